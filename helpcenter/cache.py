"""Per-process, time-limited caches for public pages and their read models.

Pages are read far more often than content changes; every worker keeps what it has read or
rendered for PAGE_CACHE_SECONDS, so a change is visible everywhere within that time.
"""

import threading
from collections.abc import Callable, Hashable
from functools import wraps

from cachetools import TTLCache
from flask import Flask, current_app

_lock = threading.Lock()
_NAMES = ("query_cache", "page_cache")


def init_app(app: Flask) -> None:
    ttl = float(app.config["PAGE_CACHE_SECONDS"])
    for name in _NAMES:
        app.extensions[name] = TTLCache(maxsize=4096, ttl=ttl) if ttl > 0 else None


def clear() -> None:
    for name in _NAMES:
        cache = current_app.extensions.get(name)
        if cache is not None:
            with _lock:
                cache.clear()


def get_or_build(name: str, key: Hashable, build: Callable[[], object]):
    """The cached value for `key` in cache `name`, built and stored on a miss."""
    cache = current_app.extensions.get(name)
    if cache is None:
        return build()
    with _lock:
        if key in cache:
            return cache[key]
    value = build()
    with _lock:
        cache[key] = value
    return value


def cached_query(fn):
    """Cache a query function's result by its (hashable) arguments."""

    @wraps(fn)
    def wrapper(*args):
        return get_or_build("query_cache", (fn.__name__, *args), lambda: fn(*args))

    return wrapper
