"""gunicorn settings for a helpcenter web host: `gunicorn -c deploy/gunicorn.conf.py`.

Why gthread: a sync worker reads a request body itself, so a client that drips an upload holds
the whole worker until `timeout` (two slow uploads froze /healthz for 39 s), and an expensive
image check holds it too. A gthread worker serves THREADS requests at once, so a few slow or
heavy requests leave threads free for everyone else; the reverse proxy in front
(deploy/nginx.conf) buffers request bodies so that slow clients never reach gunicorn at all.
bench/resilience.py measures both shapes.

Override any setting without editing this file with GUNICORN_CMD_ARGS (for example
`--workers 4 --threads 8`) and the bind address with GUNICORN_BIND.
"""

import multiprocessing
import os
import re

from gunicorn import glogging

wsgi_app = "helpcenter:create_app()"
proc_name = "helpcenter-web"

# The proxy reaches each web host on its private address; allow port 8000 from the proxy only.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]

# --- workers ---------------------------------------------------------------------------------
worker_class = "gthread"
# One process per core (at least 2, so that a worker restart never leaves the host without one).
# Each process loads the app, the search index and the Russian dictionaries (about 120 MB).
workers = max(2, multiprocessing.cpu_count())
# Requests served at once per process. Image checks and uploads release the GIL for most of their
# work, so free threads keep /healthz and pages quick while some requests are slow. 12: even when
# 4 slow uploads and 4 heavy image posts all land on one process, 4 threads are left (8 were not
# enough there: /healthz waited 10.9 s; bench/resilience.py). At most HELPCENTER_DATABASE_POOL_SIZE
# (12) + 4: the connections a process keeps, and a thread waiting for one waits up to 30 s; the
# chat polls' fast path keeps 4 more (helpcenter/chat/polling.py). Memory: an
# image check holds its decoded pixels (about 100 MB at the 25-megapixel cap) while it runs.
threads = 12
# Connections a process keeps open (waiting ones cost a socket, not a thread).
worker_connections = 1000
# Restart a process now and then (bounded memory growth); jitter keeps them from restarting at once.
# Counted in requests, and every open chat page polls once a second: 300 open chats are about
# 350 requests a second, so 5,000 restarted each process every 15 s or so (bench/chat.py), and
# a restart costs a second of CPU and a slow answer to whoever waits meanwhile.
max_requests = 200000
max_requests_jitter = 20000

# --- timeouts --------------------------------------------------------------------------------
# A process that stops answering the master's heartbeat for this long is killed and replaced.
# With gthread this does not bound one request; the proxy's timeouts do (deploy/nginx.conf).
timeout = 30
# On SIGTERM/SIGHUP (systemd stop, reload) running requests get this long to finish;
# helpcenter-web.service waits a little longer before it kills.
graceful_timeout = 30
# Idle kept-alive connections from the proxy: longer than the proxy's upstream keepalive_timeout
# (4 s in deploy/nginx.conf), so gunicorn never closes a connection the proxy is about to reuse.
keepalive = 5
# The heartbeat file lives in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm"

# --- request limits --------------------------------------------------------------------------
# gunicorn limits the request line and headers; it has no body limit. Bodies are limited by the
# app (MAX_CONTENT_LENGTH, 52 MB: five files of 10 MB and the form, a 413 above it) and, before
# that, by the proxy's client_max_body_size.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# --- proxies ---------------------------------------------------------------------------------
# The app trusts X-Forwarded-For/-Proto through Werkzeug's ProxyFix when HELPCENTER_PROXY_FIX_X_FOR
# is set (1 behind one proxy): that is what rate limits and the audit log see. gunicorn itself only
# reads X-Forwarded-Proto from these addresses; set them to the proxy's address with the
# FORWARDED_ALLOW_IPS environment variable (default: loopback). Never "*" when the web hosts can
# be reached other than through the proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# --- logs ------------------------------------------------------------------------------------
# Both to stdout/stderr, that is the journal under systemd (`journalctl -u helpcenter-web`).
errorlog = "-"
accesslog = "-"
loglevel = "info"
# Method, path without the query string, status, bytes, milliseconds. No query strings (search
# terms, emails in lookups) and no Referer (it carries them too); the player's address is
# %({x-forwarded-for}i)s behind the proxy.
access_log_format = (
    '%(h)s %({x-forwarded-for}i)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
)

# No control socket: the units manage the server with signals (ExecReload sends HUP).
control_socket_disable = True

# The private status link carries its secret in the path: /<lang>/status/<token>[/...].
_STATUS_SECRET = re.compile(r"(/status/)[^/?]+")


class AccessLogger(glogging.Logger):
    """gunicorn's logger, with the status page's token replaced by `<token>` in access lines,
    and without the chat polls answered "unchanged" before the app (helpcenter/chat/polling.py):
    every open chat page polls once a second, a million lines an hour for 300 chats."""

    def access(self, resp, req, environ, request_time):
        if environ.get("helpcenter.unchanged_poll"):
            return
        super().access(resp, req, environ, request_time)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r"):
            if atoms.get(key):
                atoms[key] = _STATUS_SECRET.sub(r"\1<token>", atoms[key])
        return atoms


logger_class = AccessLogger
