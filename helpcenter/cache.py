"""A per-process, time-limited cache for read models of public pages.

Pages are read far more often than content changes; every worker keeps what it has read
for PAGE_CACHE_SECONDS, so a change is visible everywhere within that time.
"""

import threading
from functools import wraps

from cachetools import TTLCache
from flask import Flask, current_app

_lock = threading.Lock()


def init_app(app: Flask) -> None:
    ttl = float(app.config["PAGE_CACHE_SECONDS"])
    app.extensions["query_cache"] = TTLCache(maxsize=4096, ttl=ttl) if ttl > 0 else None


def clear() -> None:
    cache = current_app.extensions.get("query_cache")
    if cache is not None:
        with _lock:
            cache.clear()


def cached_query(fn):
    """Cache a query function's result by its (hashable) arguments."""

    @wraps(fn)
    def wrapper(*args):
        cache = current_app.extensions.get("query_cache")
        if cache is None:
            return fn(*args)
        key = (fn.__name__, *args)
        with _lock:
            if key in cache:
                return cache[key]
        value = fn(*args)
        with _lock:
            cache[key] = value
        return value

    return wrapper
