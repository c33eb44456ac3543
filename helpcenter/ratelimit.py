"""Rate limits for the endpoints that write, with `limits` (the engine behind Flask-Limiter).

Flask-Limiter also checks every other request for app-wide limits; measured here at about
0.1 ms per cached page view, a large share of it. Only endpoints that write are limited, so
the decorator asks `limits` directly. Storage: memory:// per process, redis:// shared.
Limits are settings like "30 per minute" (several: "5 per minute; 20 per hour").

A limit protects the site; it must not take it down. When the storage (Redis) cannot be
reached the request goes through (fails open), with one log line a minute at most, and short
socket timeouts keep a dead Redis to milliseconds per request.

Daily allowances (`spend_today`: files and bytes a player may upload) live in the same storage
as fixed windows named by the date in Baku, so they end at midnight there, as players are told.
Every limit or allowance keyed by an email address keys it with `email_key`.
"""

import logging
import threading
import time
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import wraps
from zoneinfo import ZoneInfo

from flask import Flask, abort, current_app, request
from limits import RateLimitItemPerDay, parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)


class _OutageLog:
    """Says that the storage is unreachable at most once every `every` seconds."""

    def __init__(self, every: float = 60.0):
        self.every = every
        self._lock = threading.Lock()
        self._logged_at: float | None = None

    def failed(self, error: StorageError) -> None:
        now = time.monotonic()
        with self._lock:
            if self._logged_at is not None and now - self._logged_at < self.every:
                return
            self._logged_at = now
        log.warning(
            "rate limit storage unreachable, letting requests through (said once a minute): %r",
            error.storage_error,
        )


def init_app(app: Flask) -> None:
    uri = app.config["RATELIMIT_STORAGE_URI"] or app.config["REDIS_URL"] or "memory://"
    options = {}
    if uri.startswith(("redis", "rediss")):
        timeout = float(app.config["RATELIMIT_SOCKET_TIMEOUT"])
        # No retries: redis-py's default retries with backoff would turn a dead Redis into
        # seconds per request.
        options = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 0),
        }
    storage = storage_from_string(uri, wrap_exceptions=True, **options)
    app.extensions["rate_limiter"] = MovingWindowRateLimiter(storage)
    app.extensions["rate_limit_storage"] = storage
    app.extensions["rate_limit_outage_log"] = _OutageLog()


def client_address() -> str:
    return request.remote_addr or "unknown"


def email_key(email: str) -> str:
    """The one form of an email address that limits count it under.

    NFKC first (a full-width "ｖｉｃｔｉｍ@example.com" is "victim@example.com"), then casefold,
    and a plus address ("victim+1@example.com") counts as its base address: otherwise each
    spelling of one mailbox would get a limit of its own.
    """
    folded = unicodedata.normalize("NFKC", email or "").strip().casefold()
    local, at, domain = folded.rpartition("@")
    if not at:
        return folded[:254]
    base = local.split("+", 1)[0] or local
    return f"{base}@{domain}"[:254]


def allow(config_key: str, *identity: str) -> bool:
    """Count one hit for `identity` against the limit named by `config_key`; False when over.

    True when the storage cannot be reached: a broken Redis must not lock players out.
    """
    if not current_app.config["RATELIMIT_ENABLED"]:
        return True
    limiter = current_app.extensions["rate_limiter"]
    try:
        # Every limit counts the hit, so a client over one limit cannot spend the others freely.
        results = [
            limiter.hit(item, config_key, *identity)
            for item in parse_many(current_app.config[config_key])
        ]
    except StorageError as error:
        current_app.extensions["rate_limit_outage_log"].failed(error)
        return True
    return all(results)


def rate_limit(config_key: str, key=client_address):
    """Answer 429 when `key()` (the client address by default) exceeds the limit `config_key`."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not allow(config_key, request.endpoint or "", key()):
                abort(429)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _nothing() -> None:
    pass


def today() -> date:
    """Today's date in Baku, where the daily allowances end at midnight."""
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def next_midnight() -> datetime:
    """When the daily allowances begin again (midnight in Baku), as an aware datetime."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(today() + timedelta(days=1), clock(), zone)


def spend_today(
    name: str, allowance: int, cost: int, *identity: str
) -> tuple[int, Callable[[], None] | None]:
    """Count `cost` against today's `allowance` named `name` for `identity`.

    Returns (spent before, undo): `undo()` gives the cost back. When the cost does not fit
    the allowance nothing stays counted and `undo` is None. Fails open like `allow`: with the
    storage unreachable (or limits off) everything fits and nothing is counted.
    """
    if not current_app.config["RATELIMIT_ENABLED"] or cost <= 0:
        return 0, _nothing
    storage = current_app.extensions["rate_limit_storage"]
    item = RateLimitItemPerDay(allowance)
    key = item.key_for(name, today().isoformat(), *identity)
    try:
        # One atomic increment, taken back when over: two uploads at once cannot both fit.
        spent = storage.incr(key, item.get_expiry(), amount=cost)
    except StorageError as error:
        current_app.extensions["rate_limit_outage_log"].failed(error)
        return 0, _nothing

    def undo() -> None:
        try:
            storage.incr(key, item.get_expiry(), amount=-cost)
        except StorageError as error:
            current_app.extensions["rate_limit_outage_log"].failed(error)

    if spent > allowance:
        undo()
        return spent - cost, None
    return spent - cost, undo
