"""Cheap answers to the chat pages' polls: signed change tags, and a WSGI layer in front of Flask
that answers an unchanged poll with one indexed read.

Every open chat page asks for news every CHAT_POLL_SECONDS (the player's page, an operator's
chat and inbox); nearly every answer is "nothing new". Through Flask such an answer cost about
6 ms of a worker (session, sign-in, before-request hooks, a pool checkout with its ping, the
rollback at the end), so 300 open chats kept two cores busy. Here it costs one read on a
connection of its own (no ping, autocommit, so no rollback) and no Flask at all.

A change tag is what a poll sends back (If-None-Match, or the `tag` field the player's page
includes): `kind.subject.state.issued.mac`.
- kind `p` (a player's chat page), `s` (a chat in the staff console), `i` (a staff inbox);
  subject: the chat's id, or the staff member's for an inbox.
- state: what the page shows, read from the database (`queries.poll_state`): the chat's version
  (every message and state change moves it) and, while it waits, the queue (its size, who is
  in it and their VIP levels: the place in line and the expected wait change with it, also
  when a VIP joins ahead); an inbox's aggregate.
- issued: when the full answer was given (seconds, hex; up to half of TAG_LIFETIME earlier, at
  random). A tag is good for TAG_LIFETIME from then: after that the poll goes through Flask
  again, which refreshes the player's or operator's presence and anything that changes with
  time alone (the rating window, waiting minutes).
- mac: HMAC-SHA256 under a key derived from SECRET_KEY, over everything above and the chat's
  reference in the URL.

A tag is only given by a full answer that checked access (the private token, or the staff
member's sign-in and tier), and cannot be made or moved to another chat without the key. So
the only thing an unchanged answer says is "still as you last saw it" to whoever saw it: no
session is read. Anything else (no tag, a bad or old tag, a changed chat, a database error)
goes to Flask, which answers as before.
"""

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from urllib.parse import parse_qs

from flask import current_app, request
from sqlalchemy import Engine, create_engine

from helpcenter import support
from helpcenter.chat import queries
from helpcenter.tickets import reference

log = logging.getLogger(__name__)

TAG_LIFETIME = 60  # seconds
PLAYER, STAFF, INBOX = "p", "s", "i"
_TAG = re.compile(r"^([psi])\.(\d{1,10})\.([\w-]{1,120})\.([0-9a-f]{1,10})\.([\w-]{16})$")


def _key(secret: str | bytes) -> bytes:
    raw = secret.encode() if isinstance(secret, str) else secret
    return hashlib.sha256(b"helpcenter chat poll tag\0" + raw).digest()


def _mac(key: bytes, body: str, ref: str) -> str:
    digest = hmac.new(key, f"{body}\0{ref}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def issue(secret, kind: str, subject: int, state: str, ref: str = "", now=None) -> str:
    """A tag for a full answer given now (without the quotes of an ETag). Its lifetime ends at
    a random moment of its second half: pages opened together (after a restart, say) do not
    all come back to Flask in the same second."""
    if now is None:
        now = time.time() - secrets.randbelow(TAG_LIFETIME // 2)
    issued = int(now)
    body = f"{kind}.{subject}.{state}.{issued:x}"
    return f"{body}.{_mac(_key(secret), body, ref)}"


def new_tag(kind: str, subject: int, state: str | None, ref: str = "") -> str:
    """The tag a full answer of this app gives (`issue` with the app's key)."""
    return issue(current_app.config["SECRET_KEY"], kind, subject, state or "none", ref)


def etag(tag: str) -> str:
    return f'"{tag}"'


class Tag:
    """A tag from a poll, checked: kind, subject and state, or None when it is not ours or old."""

    __slots__ = ("kind", "state", "subject")

    def __init__(self, kind: str, subject: int, state: str):
        self.kind, self.subject, self.state = kind, subject, state

    @classmethod
    def read(cls, key: bytes, text: str, ref: str, now: float | None = None) -> "Tag | None":
        text = text.strip()
        if text.startswith("W/"):
            text = text[2:]
        found = _TAG.match(text.strip('"'))
        if found is None:
            return None
        kind, subject, state, issued, mac = found.groups()
        body = f"{kind}.{subject}.{state}.{issued}"
        if not hmac.compare_digest(mac, _mac(key, body, ref)):
            return None
        age = (time.time() if now is None else now) - int(issued, 16)
        if not -5 <= age < TAG_LIFETIME:
            return None
        return cls(kind, int(subject), state)


def still_shown(kind: str, subject: int, state: str | None, ref: str = "") -> bool:
    """Whether the tag this poll sent (the player's page includes it as `tag`, the staff
    console sends it as If-None-Match) is ours, fresh, and says the page shows `state`."""
    given = request.headers.get("If-None-Match", "") or request.args.get("tag", "")
    if not given or state is None:
        return False
    tag = Tag.read(_key(current_app.config["SECRET_KEY"]), given, ref)
    return tag is not None and (tag.kind, tag.subject, tag.state) == (kind, subject, state)


def unchanged_answer():
    """What an unchanged poll gets: 304 to If-None-Match, else 204 (htmx swaps nothing)."""
    response = current_app.response_class(status=204)
    if given := request.headers.get("If-None-Match"):
        response.status_code = 304
        response.headers["ETag"] = given.strip()
    response.headers["Vary"] = "HX-Request"
    return response


# --- the layer in front of Flask ----------------------------------------------------------------

_PLAYER_PATH = re.compile(r"^/([a-z]{2})/chat/([^/]{1,40})/messages$")
_STAFF_PATH = re.compile(r"^/staff/chats/([^/]{1,40})/messages$")
_INBOX_PATH = "/staff/chats"
_HEADERS = [
    ("Cache-Control", "no-store"),
    ("Vary", "HX-Request"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Robots-Tag", "noindex"),
    ("Content-Length", "0"),
]


_ENGINES: dict[tuple[str, int], Engine] = {}


class FastPolls:
    """WSGI middleware: answers an htmx poll whose tag still holds (204, or 304 when the tag
    came as If-None-Match) from one read; passes every other request to the app."""

    def __init__(self, wsgi_app, app):
        self.wsgi_app = wsgi_app
        self.key = _key(app.config["SECRET_KEY"])
        self.languages = frozenset(app.config["LANGUAGES"])
        self.url = app.config["SQLALCHEMY_DATABASE_URI"]
        # The VIP levels order the queue, so the queue's part of a tag depends on them.
        self.support = support.load(app.config.get("SUPPORT_FILE") or support.SUPPORT_FILE)
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.pop("pool_pre_ping", None)
        # Its own small pool, without the ping per checkout; autocommit: nothing to roll back.
        self.options = {**options, "isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None}
        if not self.url.startswith("sqlite"):
            # A read holds a connection for a fraction of a millisecond: 4 serve thousands of
            # polls a second. No overflow (it would be closed after each use, and connecting
            # costs more than the poll); a poll waiting over half a second goes to Flask.
            self.options.update(pool_size=4, max_overflow=0, pool_timeout=0.5)

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("HTTP_HX_REQUEST") == "true":
            try:
                status = self._answer(environ)
            except Exception:  # the database away, a bad row: Flask answers (and says why)
                log.debug("fast poll passed on", exc_info=True)
                status = None
            if status is not None:
                environ["helpcenter.unchanged_poll"] = True  # not in the access log (deploy/)
                headers = list(_HEADERS)
                if status == "304 Not Modified":
                    headers.append(("ETag", environ["HTTP_IF_NONE_MATCH"].strip()))
                start_response(status, headers)
                return [b""]
        return self.wsgi_app(environ, start_response)

    def engine(self) -> Engine:
        # One pool per database and process (a forked worker makes its own; the apps of a test
        # run share one per database).
        key = (self.url, os.getpid())
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = create_engine(self.url, **self.options)
        return engine

    def _answer(self, environ) -> str | None:
        path = environ.get("PATH_INFO", "")
        header = environ.get("HTTP_IF_NONE_MATCH", "")
        given = header
        if path == _INBOX_PATH:
            ref, kind = "", INBOX
        elif found := _STAFF_PATH.match(path):
            ref, kind = reference.normalize(found.group(1)) or "", STAFF
        elif (found := _PLAYER_PATH.match(path)) and found.group(1) in self.languages:
            ref, kind = reference.normalize(found.group(2)) or "", PLAYER
            if not header:
                given = (parse_qs(environ.get("QUERY_STRING", "")).get("tag") or [""])[0]
        else:
            return None
        if not given or (kind != INBOX and not ref):
            return None
        tag = Tag.read(self.key, given, ref)
        if tag is None or tag.kind != kind:
            return None
        state: str | None
        with self.engine().connect() as connection:
            if kind == INBOX:
                state = queries.inbox_state(
                    connection.execute,
                    tag.subject,
                    queries.inbox_minute(tag.subject),
                    self.support,
                )
            else:
                state = queries.poll_state(connection.execute, tag.subject, self.support)
        if state != tag.state:
            return None
        return "304 Not Modified" if header else "204 No Content"
