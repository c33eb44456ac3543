"""Search pages for players and the JSON API for chatbots and integrations."""

import secrets

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, request, url_for

from helpcenter.articles import queries as articles
from helpcenter.extensions import csrf, htmx
from helpcenter.search import services
from helpcenter.search.queries import Results
from helpcenter.web.pages import render_page, varying
from helpcenter.web.safety import bounded_int

bp = Blueprint("search", __name__, template_folder="templates")
PER_PAGE = 10
# Popular articles offered when a search finds nothing: a short list, not the home page's.
ZERO_RESULT_POPULAR = 5
# Stands for the search's log id in a cached results page (an id no database reaches).
_LOG_MARK = 10**17 + secrets.randbelow(10**17)


def _page_number() -> int:
    return bounded_int(request.args.get("page"), high=99_999, default=1)


@bp.get("/<lang:lang>/search")
def results(lang: str):
    g.lang = lang
    text = request.args.get("q", "")
    found, log_id = services.search(text=text, lang=lang, page=_page_number(), per_page=PER_PAGE)
    template = "search/_results.html" if htmx else "search/results.html"
    html = render_page(
        template,
        lambda: {
            "results": found,
            "log_id": _LOG_MARK if log_id is not None else None,
            **_ways_on(lang, found),
        },
        varies_on={
            "query": found.query,
            "results_page": found.page,
            "is_logged": log_id is not None,
        },
        marks={f"/opened/{_LOG_MARK}/": f"/opened/{log_id}/"},
    )
    return varying(html)


def _ways_on(lang: str, found: Results) -> dict:
    """What a search that found nothing offers instead: the topics and the popular articles.

    Both depend only on the language (part of every page's cache key), so the page cache
    needs nothing more declared; they are read only for a page that found nothing.
    """
    if not found.query or found.total:
        return {"topics": (), "popular": ()}
    return {
        "topics": articles.categories(lang),
        "popular": articles.popular(lang, ZERO_RESULT_POPULAR),
    }


@bp.get("/<lang:lang>/search/suggest")
def suggest(lang: str):
    """The search-as-you-type dropdown: the top results as listbox options, not logged."""
    g.lang = lang
    found, _ = services.search(text=request.args.get("q", ""), lang=lang, per_page=5, record=False)
    return render_template("search/_suggest.html", results=found)


@bp.get("/<lang:lang>/search/opened/<id:log_id>/<id:rank>/<slug:category>/<slug:article>/")
def opened(lang: str, log_id: int, rank: int, category: str, article: str):
    """Count which result of a search was opened, then go to the article."""
    services.record_opened(log_id=log_id, slug=article, rank=rank)
    return redirect(url_for("articles.show", lang=lang, category=category, article=article))


@bp.get("/api/v1/search")
@csrf.exempt
def api():
    lang = request.args.get("lang", "")
    limit = request.args.get("limit", "10")
    if lang not in current_app.config["LANGUAGES"]:
        return jsonify(error="lang must be one of az, ru, en"), 400
    per_page = bounded_int(limit, high=50)
    if per_page is None:
        return jsonify(error="limit must be a whole number from 1 to 50"), 400
    found, _ = services.search(
        text=request.args.get("q", ""), lang=lang, per_page=per_page, record=False
    )
    response = jsonify(
        query=found.query,
        lang=lang,
        total=found.total,
        suggestion=found.suggestion,
        results=[
            {
                "slug": hit.slug,
                "category": hit.category,
                "lang": hit.lang,
                "title": hit.title,
                "url": url_for(
                    "articles.show",
                    lang=hit.lang,
                    category=hit.category,
                    article=hit.slug,
                    _external=True,
                ),
                "snippet": str(hit.snippet),
                "score": hit.score,
                "fallback": hit.is_fallback,
            }
            for hit in found.hits
        ],
    )
    services.record_after_response(response, found, lang)
    return response
