"""Render public pages through the page cache, with the visitor's own parts filled in per request.

A cached page is the same for every visitor who shares its key. Each view declares what its
page varies on (`varies_on`); the key is built from that declaration here, and the template
reads those values and the view's context only: the visitor's request, session, sign-in and
htmx flag are refused in a cached render, so a value left out of the key cannot leak. The CSRF
token, the header's signed-in player (`player_bar`) and any other per-request value (`marks`)
are rendered as markers and replaced on the way out.
"""

import secrets
from collections.abc import Callable, Hashable, Mapping
from datetime import UTC, datetime

from flask import (
    before_render_template,
    current_app,
    g,
    has_request_context,
    render_template,
    request,
    template_rendered,
)
from flask_htmx import make_response
from flask_wtf.csrf import generate_csrf
from jinja2 import Environment
from markupsafe import Markup

from helpcenter import cache
from helpcenter.extensions import htmx
from helpcenter.support import channels

_CSRF_MARK = f"csrf-{secrets.token_hex(12)}"
_PLAYER_MARK = f"<!--player-{secrets.token_hex(12)}-->"

# Template names that carry one visitor's state (Flask, Flask-Login, Flask-WTF, flask-htmx).
PER_VISITOR = (
    "request",
    "session",
    "g",
    "current_user",
    "get_flashed_messages",
    "htmx",
    "csrf_meta_tag",
)


class UndeclaredValue(RuntimeError):
    """A cached page's template read a per-visitor value its view did not declare."""


class _Refused:
    """Stands for a per-visitor value in a cached render: any use of it raises."""

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return f"<refused {self._name}>"

    def _refuse(self, *args, **kwargs):
        raise UndeclaredValue(
            f"a cached page read {self._name!r}: declare what the page varies on in "
            "render_page(varies_on=...) and pass the value, or render it uncached"
        )

    __getattr__ = __getitem__ = __call__ = __iter__ = __len__ = __contains__ = _refuse
    __bool__ = __str__ = __html__ = _refuse


def _csrf_mark() -> str:
    return _CSRF_MARK


def player_bar() -> Markup:
    """The header's line for a player signed in from the casino (their name, "My requests",
    signing out); empty for anyone else. A template global: in a cached render it is a marker
    that every response fills for its own visitor."""
    from helpcenter.players import current  # the players' package builds on this one

    player = current.player() if has_request_context() else None
    if player is None:
        return Markup("")
    g.shows_player = True
    return Markup(render_template("web/_player_bar.html", player=player))


def _player_mark() -> Markup:
    return Markup(_PLAYER_MARK)


def _cached_env() -> Environment:
    """The app's Jinja environment with the per-visitor globals refused (imported macros too)."""
    app = current_app._get_current_object()
    env = app.extensions.get("page_cache_env")
    if env is None:
        # A fresh template cache: templates compiled by the app's environment hold its globals.
        env = app.jinja_env.overlay(cache_size=400)
        env.globals = {
            **app.jinja_env.globals,
            **{name: _Refused(name) for name in PER_VISITOR},
            "player_bar": _player_mark,
        }
        app.extensions["page_cache_env"] = env
    return env


def _render_cached(template_name: str, context: dict) -> str:
    app = current_app._get_current_object()
    app.update_template_context(context)
    template = _cached_env().get_template(template_name)
    before_render_template.send(app, template=template, context=context)
    html = template.render(context)
    template_rendered.send(app, template=template, context=context)
    return html


def render_page(
    template: str,
    context: Callable[[], dict],
    *,
    varies_on: Mapping[str, Hashable] | None = None,
    marks: dict[str, str] | None = None,
) -> str:
    """Render `template` with `context()`, or reuse the copy rendered for the same key.

    `varies_on` names everything that changes the page besides the template, host and
    language (the article, the query, the visitor's vote...): it makes the key, with the
    support channels' open/closed state, and the template reads it by those names. `context`
    is only called on a miss, so a cached page costs no queries and no URL building; it must
    derive from the declared values only. `marks` maps markers that `context()` put in the
    page to this request's values. Raises UndeclaredValue if the template reads a
    per-visitor value (PER_VISITOR).
    """
    declared = dict(varies_on or {})
    now = datetime.now(UTC)
    open_now = tuple(channel.is_open(now) for channel in channels())
    full_key = (template, request.host, g.lang, open_now, *sorted(declared.items()))

    def build() -> str:
        values = context()
        if clash := declared.keys() & values.keys():
            raise ValueError(f"{template}: {sorted(clash)} both declared and in the context")
        refused = {name: _Refused(name) for name in PER_VISITOR}
        return _render_cached(template, {**values, **declared, **refused, "csrf_token": _csrf_mark})

    html = cache.get_or_build("page_cache", full_key, build)
    for mark, value in (marks or {}).items():
        html = html.replace(mark, value)
    cache.keep_stale(_stale_key(), html)
    return _with_visitor_parts(html)


def _with_visitor_parts(html: str) -> str:
    """`html` with this request's own parts: the CSRF token and the signed-in player."""
    if _CSRF_MARK in html:
        html = html.replace(_CSRF_MARK, generate_csrf())
    if _PLAYER_MARK in html:
        html = html.replace(_PLAYER_MARK, player_bar())
    return html


def _stale_key() -> tuple:
    return (request.host, request.full_path, bool(htmx))


def stale_page() -> str | None:
    """The last good rendering of the page at this request's address, for database outages."""
    html = cache.stale(_stale_key())
    return None if html is None else _with_visitor_parts(html)


def varying(html: str, status: int = 200, **headers):
    """A response that differs for htmx (a fragment) and plain requests (the page): says so.

    Caches must keep both apart, so every such response carries `Vary: HX-Request`.
    """
    response = make_response(html, status)
    response.headers["Vary"] = "HX-Request"
    response.headers.update(headers)
    return response
