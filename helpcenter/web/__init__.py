"""Site-wide pages and plumbing: language redirect, health check, sitemap, errors, headers."""

from datetime import UTC, datetime

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from helpcenter.articles import queries
from helpcenter.i18n import LANG_COOKIE, LANGUAGE_NAMES, best_language
from helpcenter.support import channels

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


class SlugConverter(BaseConverter):
    """Lowercase a-z, 0-9 and hyphens, at most 80 characters: anything else is a 404."""

    regex = r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?"


def init_app(app: Flask) -> None:
    langs = "|".join(app.config["LANGUAGES"])

    class LangConverter(BaseConverter):
        regex = f"(?:{langs})"

    app.url_map.converters["lang"] = LangConverter
    app.url_map.converters["slug"] = SlugConverter
    app.context_processor(_template_globals)
    app.after_request(_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)


def _template_globals() -> dict:
    return {
        "lang": g.get("lang") or best_language(),
        "languages": current_app.config["LANGUAGES"],
        "language_names": LANGUAGE_NAMES,
        "support_channels": channels(),
        "now": datetime.now(UTC),
        "has_endpoint": lambda name: name in current_app.view_functions,
    }


def _headers(response):
    # Plain assignment: Headers.setdefault raises and catches a KeyError per missing header.
    response.headers.update(SECURITY_HEADERS)
    lang = g.get("lang")
    if lang and request.cookies.get(LANG_COOKIE) != lang and response.status_code < 400:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if not g.get("lang"):
        # An unmatched URL still names its language first: /ru/no-such-page -> Russian 404.
        first = request.path.strip("/").split("/", 1)[0]
        if first in current_app.config["LANGUAGES"]:
            g.lang = first
    return render_template("web/error.html", error=error), error.code


def _csrf_error(error: CSRFError):
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
    return {"status": "ok", "database": "ok"}


@bp.get("/sitemap.xml")
def sitemap():
    xml = render_template("web/sitemap.xml", entries=queries.sitemap_entries())
    return current_app.response_class(xml, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    body = f"User-agent: *\nAllow: /\nSitemap: {url_for('web.sitemap', _external=True)}\n"
    return current_app.response_class(body, mimetype="text/plain")
