"""Site-wide pages and plumbing: language redirect, health check, sitemap, errors, headers."""

from datetime import UTC, datetime, timedelta

from babel.units import format_unit
from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime, format_percent, get_locale
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, IntegerConverter

from helpcenter import vocabulary
from helpcenter.articles import queries
from helpcenter.i18n import LANG_COOKIE, LANGUAGE_NAMES, best_language
from helpcenter.search import services as search
from helpcenter.support import channels
from helpcenter.tickets import labels
from helpcenter.web import outage, pages, safety

bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def language_blueprint(name: str, import_name: str, **options) -> Blueprint:
    """A blueprint under /<lang>/: the language goes to `g.lang` and into its URLs by default."""
    blueprint = Blueprint(name, import_name, url_prefix="/<lang:lang>", **options)

    @blueprint.url_value_preprocessor
    def _pull_lang(endpoint, values):
        g.lang = values.pop("lang")

    @blueprint.url_defaults
    def _add_lang(endpoint, values):
        if "lang" not in values and g.get("lang"):
            values["lang"] = g.lang

    return blueprint


class SlugConverter(BaseConverter):
    """Lowercase a-z, 0-9 and hyphens, at most 80 characters: anything else is a 404."""

    regex = vocabulary.SLUG_URL_PATTERN


class IdConverter(IntegerConverter):
    """A row id in a URL: 1 to 2^31-1. Larger numbers are a 404, not a database error."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, min=1, max=2**31 - 1)


def init_app(app: Flask) -> None:
    langs = "|".join(app.config["LANGUAGES"])

    class LangConverter(BaseConverter):
        regex = f"(?:{langs})"

    app.url_map.converters["lang"] = LangConverter
    app.url_map.converters["slug"] = SlugConverter
    app.url_map.converters["id"] = IdConverter
    app.context_processor(_template_globals)
    app.jinja_env.globals["player_bar"] = pages.player_bar
    app.add_template_filter(_when, "when")
    app.add_template_filter(_filesize, "filesize")
    app.add_template_filter(_duration, "duration")
    app.add_template_filter(_share, "share")
    app.after_request(_headers)
    app.request_class = safety.SafeRequest
    app.json = safety.GuardedJSONProvider(app)
    app.before_request(safety.refuse_unstorable_input)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    outage.init_app(app)


def _template_globals() -> dict:
    return {
        # Emails are rendered by commands too, outside any request.
        "lang": g.get("lang")
        or (best_language() if has_request_context() else current_app.config["DEFAULT_LANGUAGE"]),
        "languages": current_app.config["LANGUAGES"],
        "language_names": LANGUAGE_NAMES,
        "support_channels": channels(),
        "ticket_labels": labels,
        "now": datetime.now(UTC),
        "has_endpoint": lambda name: name in current_app.view_functions,
        "vocabulary": vocabulary,
    }


def _when(value: datetime) -> str:
    """A moment as players read it, in Baku time: "1 December 2026, 18:20"."""
    return format_datetime(value, "d MMMM y, HH:mm")


def _duration(delta: timedelta) -> str:
    """A span of time in the visitor's language, to the minute: "1 d 3 h", "2 h 5 min"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "duration-day"), (hours, "duration-hour"), (minutes, "duration-minute")]
    if days:
        parts = parts[:2]
    shown = [(n, unit) for n, unit in parts if n] or [(0, "duration-minute")]
    locale = get_locale()
    return " ".join(format_unit(n, unit, "short", locale=locale) for n, unit in shown)


def _share(ratio: float) -> str:
    """A share as a percentage to a tenth, in the visitor's language: "84,6 %", "85%".

    Whole percents would show 84.6 % as "85 %" next to "target 85 %: not met".
    """
    pattern = get_locale().percent_formats[None].pattern
    head, zero, tail = pattern.rpartition("0")
    return format_percent(ratio, format=f"{head}{zero}.#{tail}" if zero else None)


def _filesize(size: int) -> str:
    """A file size in the visitor's language: "1,2 MB", "340 КБ"."""
    locale = get_locale()
    if size >= 1024 * 1024:
        return format_unit(round(size / 1024 / 1024, 1), "digital-megabyte", "short", locale=locale)
    return format_unit(max(1, round(size / 1024)), "digital-kilobyte", "short", locale=locale)


def _headers(response):
    # A response's own policy stays (a player's file: "default-src 'none'; sandbox").
    own_policy = response.headers.get("Content-Security-Policy")
    # Plain assignment: Headers.setdefault raises and catches a KeyError per missing header.
    response.headers.update(SECURITY_HEADERS)
    if own_policy:
        response.headers["Content-Security-Policy"] = own_policy
    if g.get("shows_player") and "Cache-Control" not in response.headers:
        # The page names the signed-in player (the header's player bar): for this browser only.
        response.headers["Cache-Control"] = "private, no-store"
    lang = g.get("lang")
    if lang and request.cookies.get(LANG_COOKIE) != lang and response.status_code < 400:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


# What API clients read in {"error": ...}: the contract is in English, like the API's own errors.
API_ERRORS = {
    400: "bad request",
    404: "not found",
    405: "method not allowed",
    413: "the request body is too large",
    415: "unsupported media type",
    500: "internal error",
    503: "service unavailable, try again later",
}


def _api_error(error: HTTPException):
    """Every 4xx/5xx under /api/ as JSON {"error": ...}, with the error's own headers
    (Allow, Retry-After, WWW-Authenticate)."""
    if isinstance(error, safety.BadInput):
        message = "the request holds characters that cannot be accepted (NUL or a lone surrogate)"
    else:
        message = API_ERRORS.get(error.code, (error.name or "error").lower())
    response = jsonify(error=message)
    response.status_code = error.code
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if request.path.startswith("/api/"):
        return _api_error(error)
    if not g.get("lang"):
        # An unmatched URL still names its language first: /ru/no-such-page -> Russian 404.
        first = request.path.strip("/").split("/", 1)[0]
        if first in current_app.config["LANGUAGES"]:
            g.lang = first
    return render_template(
        "web/error.html", error=error, bad_input=isinstance(error, safety.BadInput)
    ), error.code


def _csrf_error(error: CSRFError):
    if request.path.startswith("/api/"):
        return _api_error(error)
    return render_template("web/error.html", error=error, csrf_failed=True), 400


@bp.get("/")
def index():
    return redirect(url_for("articles.home", lang=best_language()))


@bp.get("/healthz")
def healthz():
    try:
        queries.database_ok()
    except SQLAlchemyError:
        current_app.logger.exception("health check: database unreachable")
        return {"status": "error", "database": "unreachable"}, 503
    # A host without its own search index at the current content version takes no players yet.
    if search.readiness() != "ok":
        return {"status": "starting", "database": "ok", "search": "building"}, 503
    return {"status": "ok", "database": "ok", "search": "ok"}


@bp.get("/sitemap.xml")
def sitemap():
    xml = render_template("web/sitemap.xml", entries=queries.sitemap_entries())
    return current_app.response_class(xml, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    body = f"User-agent: *\nAllow: /\nSitemap: {url_for('web.sitemap', _external=True)}\n"
    return current_app.response_class(body, mimetype="text/plain")
