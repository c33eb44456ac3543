"""Answers while the database is unreachable: stale pages, localized 503s, forms kept.

A database outage (PostgreSQL restarting, a network cut, an exhausted pool) must not turn
into 500s. Public pages come from the last good copy this worker rendered; anything else is a
503 with Retry-After (JSON under /api/); forms that carry a player's text are shown again with
the text (see `keeps_form`). Nothing here holds state about the outage: the next request after
the database is back reaches it again (pool_pre_ping replaces the dead connections).
"""

import logging
import threading
import time
from functools import wraps

from flask import Flask, current_app, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import ServiceUnavailable

from helpcenter.web.pages import stale_page

log = logging.getLogger(__name__)

# Connection refused or lost, server shutting down, pool exhausted: the database is away, not
# the request wrong. (Driver errors SQLAlchemy sees as disconnects arrive as one of these.)
DATABASE_DOWN = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)


class _Throttled:
    """Logs the outage once every `every` seconds per process, not once per request."""

    def __init__(self, every: float = 10.0):
        self.every = every
        self._lock = threading.Lock()
        self._logged_at: float | None = None
        self._quiet = 0

    def __call__(self, error: Exception, answer: str) -> None:
        now = time.monotonic()
        with self._lock:
            if self._logged_at is not None and now - self._logged_at < self.every:
                self._quiet += 1
                return
            quiet, self._quiet, self._logged_at = self._quiet, 0, now
        log.warning(
            "database unreachable (%s more since the last line): %s %s answered with %s: %s",
            quiet,
            request.method,
            request.path,
            answer,
            str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200],
        )


_log_outage = _Throttled()


def init_app(app: Flask) -> None:
    for error in DATABASE_DOWN:
        app.register_error_handler(error, _database_down)


def retry_after() -> str:
    return str(int(current_app.config["OUTAGE_RETRY_AFTER_SECONDS"]))


def unavailable(body, headers: dict | None = None):
    """`body` as a 503 response that tells clients when to try again."""
    response = current_app.make_response(body)
    response.status_code = 503
    response.headers["Retry-After"] = retry_after()
    response.headers.update(headers or {})
    return response


def _database_down(error: Exception):
    if request.path.startswith("/api/"):
        _log_outage(error, "503 (JSON)")
        # The API speaks English, like its other errors.
        return unavailable(jsonify(error="service unavailable, try again later"))
    if request.method in ("GET", "HEAD"):
        html = stale_page()
        if html is not None:
            _log_outage(error, "the last good copy")
            response = current_app.make_response(html)
            response.headers["Vary"] = "HX-Request"
            return response
        if request.endpoint == "search.opened":
            # The click on a search result is only counted: still take the player there.
            _log_outage(error, "a redirect (click not counted)")
            args = request.view_args or {}
            return redirect(
                url_for(
                    "articles.show",
                    lang=g.get("lang") or args.get("lang"),
                    category=args.get("category"),
                    article=args.get("article"),
                )
            )
    _log_outage(error, "503")
    if not g.get("lang"):
        first = request.path.strip("/").split("/", 1)[0]
        if first in current_app.config["LANGUAGES"]:
            g.lang = first
    return unavailable(render_template("web/error.html", error=ServiceUnavailable()))


def keeps_form(page):
    """On a database outage during a form's POST, answer `page(*args, **kwargs)` with 503.

    `page` shows the form again from the posted data, with a notice that nothing was sent;
    it must not need the database.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if request.method != "POST":
                return view(*args, **kwargs)
            try:
                return view(*args, **kwargs)
            except DATABASE_DOWN as error:
                _log_outage(error, "the form kept")
                return unavailable(page(*args, **kwargs))

        return wrapper

    return decorator
