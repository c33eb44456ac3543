"""Render public pages through the page cache, with the visitor's own parts filled in per request.

A cached page is the same for every visitor; the CSRF token and any other per-request value
(`marks`) are rendered as markers and replaced on the way out.
"""

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from flask import g, render_template, request
from flask_htmx import make_response
from flask_wtf.csrf import generate_csrf

from helpcenter import cache
from helpcenter.extensions import htmx
from helpcenter.support import channels

_CSRF_MARK = f"csrf-{secrets.token_hex(12)}"


def _csrf_mark() -> str:
    return _CSRF_MARK


def render_page(
    template: str,
    key: tuple,
    context: Callable[[], dict],
    marks: dict[str, str] | None = None,
) -> str:
    """Render `template` with `context()`, or reuse the copy rendered for the same key.

    `key` must name everything that changes the page besides the template, host and
    language; the support channels' open/closed state is added here. `context` is only
    called on a miss, so a cached page costs no queries and no URL building. `marks` maps
    markers that `context()` put in the page to this request's values.
    """
    now = datetime.now(UTC)
    open_now = tuple(channel.is_open(now) for channel in channels())
    full_key = (template, request.host, g.lang, open_now, *key)
    html = cache.get_or_build(
        "page_cache",
        full_key,
        lambda: render_template(template, csrf_token=_csrf_mark, **context()),
    )
    for mark, value in (marks or {}).items():
        html = html.replace(mark, value)
    cache.keep_stale(_stale_key(), html)
    return _with_csrf(html)


def _with_csrf(html: str) -> str:
    if _CSRF_MARK in html:
        html = html.replace(_CSRF_MARK, generate_csrf())
    return html


def _stale_key() -> tuple:
    return (request.host, request.full_path, bool(htmx))


def stale_page() -> str | None:
    """The last good rendering of the page at this request's address, for database outages."""
    html = cache.stale(_stale_key())
    return None if html is None else _with_csrf(html)


def varying(html: str, status: int = 200, **headers):
    """A response that differs for htmx (a fragment) and plain requests (the page): says so.

    Caches must keep both apart, so every such response carries `Vary: HX-Request`.
    """
    response = make_response(html, status)
    response.headers["Vary"] = "HX-Request"
    response.headers.update(headers)
    return response
