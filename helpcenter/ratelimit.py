"""Rate limits for the endpoints that write, with `limits` (the engine behind Flask-Limiter).

Flask-Limiter also checks every other request for app-wide limits; measured here at about
0.1 ms per cached page view, a large share of it. Only endpoints that write are limited, so
the decorator asks `limits` directly. Storage: memory:// per process, redis:// shared.
Limits are settings like "30 per minute" (several: "5 per minute; 20 per hour").
"""

from functools import wraps

from flask import Flask, abort, current_app, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


def init_app(app: Flask) -> None:
    uri = app.config["RATELIMIT_STORAGE_URI"] or app.config["REDIS_URL"] or "memory://"
    storage = storage_from_string(uri)
    app.extensions["rate_limiter"] = MovingWindowRateLimiter(storage)


def client_address() -> str:
    return request.remote_addr or "unknown"


def allow(config_key: str, *identity: str) -> bool:
    """Count one hit for `identity` against the limit named by `config_key`; False when over."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return True
    limiter = current_app.extensions["rate_limiter"]
    # Every limit counts the hit, so a client over one limit cannot spend the others freely.
    results = [
        limiter.hit(item, config_key, *identity)
        for item in parse_many(current_app.config[config_key])
    ]
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
