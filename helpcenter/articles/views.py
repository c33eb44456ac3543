"""Knowledge base pages: home, category, article, and the helpful vote."""

import secrets

from flask import (
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from helpcenter import support
from helpcenter.articles import queries, services
from helpcenter.articles.forms import VoteForm
from helpcenter.extensions import htmx
from helpcenter.ratelimit import rate_limit
from helpcenter.web import language_blueprint
from helpcenter.web.pages import render_page, varying

bp = language_blueprint("articles", __name__, template_folder="templates")


def _page_links(endpoint: str, available, missing=None, **values) -> dict:
    """Canonical URL, hreflang alternates and language switcher targets of a page.

    A language the page does not exist in is switched to `missing(code)` instead.
    """
    alternates = {
        code: url_for(endpoint, lang=code, _external=True, **values) for code in available
    }
    switch = {
        code: url_for(endpoint, lang=code, **values) if code in available else missing(code)
        for code in current_app.config["LANGUAGES"]
    }
    return {"canonical": alternates.get(g.lang), "alternates": alternates, "switch_urls": switch}


@bp.get("/")
def home():
    return render_page(
        "articles/home.html",
        lambda: {
            "categories": queries.categories(g.lang),
            "popular": queries.popular(g.lang),
            **_page_links(".home", current_app.config["LANGUAGES"]),
        },
    )


@bp.get("/<slug:category>/")
def category(category: str):
    page = queries.category_page(g.lang, category)
    if page is None:
        abort(404)
    unavailable = None
    wanted = request.args.get("unavailable", "")
    if wanted:
        unavailable = queries.locate_article(wanted[:80])
    return render_page(
        "articles/category.html",
        lambda: {
            "page": page,
            "unavailable": unavailable,
            "contact_topic": support.current().topic_for_article(category),
            **_page_links(".category", current_app.config["LANGUAGES"], category=category),
        },
        varies_on={
            "category": category,
            "unavailable_slug": unavailable.slug if unavailable else None,
        },
    )


@bp.get("/<slug:category>/<slug:article>/")
def show(category: str, article: str):
    page = queries.article_page(g.lang, article)
    if page is None:
        location = queries.locate_article(article)
        if location is None or location.category != category:
            abort(404)
        # The article exists, just not in this language: say so on its category page.
        return redirect(url_for(".category", category=category, unavailable=article))
    if page.category != category:
        return redirect(url_for(".show", category=page.category, article=article), 301)
    services.count_view(article_id=page.id)
    vote = session.get("votes", {}).get(page.slug)
    return render_page(
        "articles/article.html",
        lambda: {
            "page": page,
            "contact_topic": support.current().topic_for_article(category, article),
            **_page_links(
                ".show",
                page.languages,
                lambda code: url_for(
                    ".category", lang=code, category=category, unavailable=article
                ),
                category=category,
                article=article,
            ),
        },
        varies_on={"category": category, "article": article, "vote": vote},
    )


@bp.post("/<slug:category>/<slug:article>/vote")
@rate_limit("VOTE_RATE_LIMIT")
def vote(category: str, article: str):
    form = VoteForm()
    location = queries.locate_article(article)
    if location is None or location.category != category:
        abort(404)
    if not form.validate():
        abort(400)
    visitor = session.setdefault("visitor", secrets.token_urlsafe(18))
    try:
        services.record_vote(
            slug=article, lang=g.lang, visitor_id=visitor, is_helpful=form.helpful.data == "yes"
        )
    except services.ArticleNotFound:
        abort(404)
    session["votes"] = {**session.get("votes", {}), article: form.helpful.data}
    if htmx:
        return varying(
            render_template(
                "articles/_feedback.html", slug=article, category=category, vote=form.helpful.data
            )
        )
    return redirect(
        url_for(".show", category=category, article=article, _anchor="hc-feedback"), 303
    )
