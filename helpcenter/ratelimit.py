"""Rate limits for the endpoints that write, with `limits` (the engine behind Flask-Limiter).

Flask-Limiter also checks every other request for app-wide limits; measured here at about
0.1 ms per cached page view, a large share of it. Only endpoints that write are limited, so
the decorator asks `limits` directly. Storage: memory:// per process, redis:// shared.
"""

from functools import wraps

from flask import Flask, abort, current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


def init_app(app: Flask) -> None:
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["rate_limiter"] = MovingWindowRateLimiter(storage)


def rate_limit(config_key: str):
    """Answer 429 when a client exceeds the limit named by `config_key`, e.g. "30 per minute"."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if current_app.config["RATELIMIT_ENABLED"]:
                item = parse(current_app.config[config_key])
                limiter = current_app.extensions["rate_limiter"]
                if not limiter.hit(item, request.endpoint or "", request.remote_addr or "unknown"):
                    abort(429)
            return view(*args, **kwargs)

        return wrapper

    return decorator
