"""Per-process, time-limited caches for public pages and their read models.

Pages are read far more often than content changes; every worker keeps what it has read or
rendered for PAGE_CACHE_SECONDS, so a change is visible everywhere within that time.

Apart from that, the last good rendering of each page address is kept beyond its time, in a
store bounded by STALE_PAGE_CACHE_MB (least recently used out first). It is read only while the
database is unreachable, so players still get the pages they were reading.
"""

import threading
from collections.abc import Callable, Hashable
from functools import wraps

from cachetools import LRUCache, TTLCache
from flask import Flask, current_app

_lock = threading.Lock()
_NAMES = ("query_cache", "page_cache")


def init_app(app: Flask) -> None:
    ttl = float(app.config["PAGE_CACHE_SECONDS"])
    for name in _NAMES:
        app.extensions[name] = TTLCache(maxsize=4096, ttl=ttl) if ttl > 0 else None
    size = int(float(app.config["STALE_PAGE_CACHE_MB"]) * 1024 * 1024)
    # Sized by characters: close enough to bytes for pages that are mostly ASCII markup.
    app.extensions["stale_pages"] = LRUCache(maxsize=size, getsizeof=len) if size > 0 else None


def clear() -> None:
    for name in _NAMES:
        cache = current_app.extensions.get(name)
        if cache is not None:
            with _lock:
                cache.clear()


def keep_stale(key: Hashable, html: str) -> None:
    """Keep `html` as the last good rendering of the page at `key`, for database outages."""
    store = current_app.extensions.get("stale_pages")
    if store is None or len(html) > store.maxsize:
        return
    with _lock:
        store[key] = html


def stale(key: Hashable) -> str | None:
    """The last good rendering kept for `key`, however old, or None."""
    store = current_app.extensions.get("stale_pages")
    if store is None:
        return None
    with _lock:
        return store.get(key)


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
