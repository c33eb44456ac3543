"""Read models of the knowledge base pages: small frozen dataclasses, no writes."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from helpcenter.articles.models import Article, ArticleTranslation, Category
from helpcenter.cache import cached_query
from helpcenter.extensions import db
from helpcenter.vocabulary import LANGUAGES

POPULAR_LIMIT = 6


@dataclass(frozen=True)
class ArticleLink:
    slug: str
    category: str
    title: str
    summary: str
    lang: str


@dataclass(frozen=True)
class CategorySummary:
    slug: str
    title: str
    description: str
    article_count: int


@dataclass(frozen=True)
class CategoryPage:
    slug: str
    title: str
    description: str
    articles: tuple[ArticleLink, ...]
    # Articles of this category that exist only in other languages, with those languages.
    elsewhere: tuple[tuple[ArticleLink, tuple[str, ...]], ...]


@dataclass(frozen=True)
class ArticlePage:
    id: int
    slug: str
    category: str
    category_title: str
    lang: str
    title: str
    summary: str
    body_html: str
    toc: tuple[dict, ...]
    word_count: int
    updated_at: datetime
    languages: tuple[str, ...]
    related: tuple[ArticleLink, ...]


@dataclass(frozen=True)
class ArticleLocation:
    """Where a published article lives, whatever language was asked for."""

    slug: str
    category: str
    titles: dict
    languages: tuple[str, ...]


def _published_translations(lang: str):
    return (
        select(ArticleTranslation, Article)
        .join(Article, ArticleTranslation.article_id == Article.id)
        .join(Category, Article.category_id == Category.id)
        .where(ArticleTranslation.lang == lang, Article.is_published, Category.is_published)
    )


def _link(tr: ArticleTranslation, article: Article, category_slug: str) -> ArticleLink:
    return ArticleLink(article.slug, category_slug, tr.title, tr.summary, tr.lang)


@cached_query
def categories(lang: str) -> tuple[CategorySummary, ...]:
    """Published categories in order, with how many articles each has in `lang`."""
    counts = dict(
        db.session.execute(
            _published_translations(lang)
            .with_only_columns(Article.category_id, func.count(ArticleTranslation.id))
            .group_by(Article.category_id)
        ).all()
    )
    rows = db.session.scalars(
        select(Category).where(Category.is_published).order_by(Category.position, Category.slug)
    )
    return tuple(
        CategorySummary(c.slug, c.titles[lang], c.descriptions.get(lang, ""), counts.get(c.id, 0))
        for c in rows
    )


@cached_query
def popular(lang: str, limit: int = POPULAR_LIMIT) -> tuple[ArticleLink, ...]:
    """The most viewed published articles that exist in `lang`."""
    rows = db.session.execute(
        _published_translations(lang)
        .add_columns(Category.slug)
        .order_by(Article.view_count.desc(), Category.position, Article.position, Article.slug)
        .limit(limit)
    )
    return tuple(_link(tr, article, cat) for tr, article, cat in rows)


@cached_query
def category_page(lang: str, slug: str) -> CategoryPage | None:
    """A published category with its articles in `lang` and those only in other languages."""
    category = db.session.scalar(
        select(Category).where(Category.slug == slug, Category.is_published)
    )
    if category is None:
        return None
    articles = db.session.scalars(
        select(Article)
        .where(Article.category_id == category.id, Article.is_published)
        .options(joinedload(Article.translations))
        .order_by(Article.position, Article.slug)
    ).unique()
    here, elsewhere = [], []
    for article in articles:
        by_lang = {tr.lang: tr for tr in article.translations}
        if lang in by_lang:
            here.append(_link(by_lang[lang], article, slug))
        elif by_lang:
            first = next(by_lang[code] for code in ("en", "az", "ru") if code in by_lang)
            elsewhere.append((_link(first, article, slug), tuple(sorted(by_lang))))
    return CategoryPage(
        slug,
        category.titles[lang],
        category.descriptions.get(lang, ""),
        tuple(here),
        tuple(elsewhere),
    )


@cached_query
def article_page(lang: str, slug: str) -> ArticlePage | None:
    """The published article `slug` in `lang`, with its related articles; None if absent."""
    row = db.session.execute(
        _published_translations(lang).add_columns(Category).where(Article.slug == slug)
    ).first()
    if row is None:
        return None
    tr, article, category = row
    languages = tuple(
        db.session.scalars(
            select(ArticleTranslation.lang).where(ArticleTranslation.article_id == article.id)
        )
    )
    related = ()
    if tr.related:
        found = {
            a.slug: _link(t, a, cat)
            for t, a, cat in db.session.execute(
                _published_translations(lang)
                .add_columns(Category.slug)
                .where(Article.slug.in_(tr.related))
            )
        }
        related = tuple(found[s] for s in tr.related if s in found)
    return ArticlePage(
        id=article.id,
        slug=article.slug,
        category=category.slug,
        category_title=category.titles[lang],
        lang=lang,
        title=tr.title,
        summary=tr.summary,
        body_html=tr.body_html,
        toc=tuple(tr.toc),
        word_count=tr.word_count,
        updated_at=tr.updated_at,
        languages=tuple(code for code in LANGUAGES if code in languages),
        related=related,
    )


@cached_query
def locate_article(slug: str) -> ArticleLocation | None:
    """Category, titles and languages of a published article, for redirects and notices."""
    article = db.session.scalar(
        select(Article)
        .join(Category)
        .where(Article.slug == slug, Article.is_published, Category.is_published)
        .options(joinedload(Article.translations), joinedload(Article.category))
    )
    if article is None:
        return None
    titles = {tr.lang: tr.title for tr in article.translations}
    return ArticleLocation(
        article.slug,
        article.category.slug,
        titles,
        tuple(code for code in LANGUAGES if code in titles),
    )


def sitemap_entries() -> list[tuple[str, str, dict[str, str], datetime]]:
    """(kind, category, {lang: slug-or-empty}, updated_at) for every published page."""
    entries = []
    for category in db.session.scalars(
        select(Category).where(Category.is_published).order_by(Category.position)
    ):
        entries.append(
            ("category", category.slug, {lang: "" for lang in category.titles}, category.updated_at)
        )
    rows = db.session.scalars(
        select(Article)
        .join(Category)
        .where(Article.is_published, Category.is_published)
        .options(joinedload(Article.translations), joinedload(Article.category))
        .order_by(Category.position, Article.position)
    ).unique()
    for article in rows:
        langs = {tr.lang: article.slug for tr in article.translations}
        updated = max(tr.updated_at for tr in article.translations)
        entries.append(("article", article.category.slug, langs, updated))
    return entries


def database_ok() -> bool:
    """Whether the database answers a trivial query."""
    db.session.execute(select(1))
    return True
