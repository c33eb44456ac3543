"""Rate limits for the endpoints that write, with `limits` (the engine behind Flask-Limiter).

Flask-Limiter also checks every other request for app-wide limits; measured here at about
0.1 ms per cached page view, a large share of it. Only endpoints that write are limited, so
the decorator asks `limits` directly. Storage: memory:// per process, redis:// shared.
Limits are settings like "30 per minute" (several: "5 per minute; 20 per hour").

A limit protects the site; it must not take it down. When the storage (Redis) cannot be
reached the request goes through (fails open), with one log line a minute at most, and short
socket timeouts keep a dead Redis to milliseconds per request.
"""

import logging
import threading
import time
from functools import wraps

from flask import Flask, abort, current_app, request
from limits import parse_many
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
    app.extensions["rate_limit_outage_log"] = _OutageLog()


def client_address() -> str:
    return request.remote_addr or "unknown"


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
