"""Editors' use cases: drafts saved as revisions, publishing, unpublishing, restoring, categories.

Every save is a new ArticleRevision (author, time, text). Players read ArticleTranslation,
which only `publish` writes, from the latest revision. A form carries the revision it was made
from (`base_id`): a save on top of someone else's newer one is refused with `EditConflict`,
which names that revision so the editor can see what changed.
"""

import logging
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from helpcenter import cache
from helpcenter.articles import services as articles
from helpcenter.articles.content import body_hash
from helpcenter.articles.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    RevisionOrigin,
)
from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.search import services as search
from helpcenter.transaction import after_commit, unit_of_work
from helpcenter.vocabulary import LANGUAGES, MAX_SLUG, SLUG

log = logging.getLogger(__name__)


class EditConflict(Exception):
    """Someone saved a newer revision since the form was made; `latest` is theirs."""

    def __init__(self, latest: ArticleRevision | None):
        super().__init__("the article changed since the form was made")
        self.latest = latest


class InvalidContent(ValueError):
    """The text cannot be saved or published; `problems` maps a field to its messages."""

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class Draft:
    title: str
    summary: str
    tags: tuple[str, ...]
    body_md: str


def normalize_body(text: str) -> str:
    """The body as the content loader keeps it: NFC, LF line ends, one final newline."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip() + "\n"


def latest(article_id: int, lang: str) -> ArticleRevision | None:
    return db.session.scalar(
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article_id, ArticleRevision.lang == lang)
        .order_by(ArticleRevision.number.desc())
        .limit(1)
    )


def _check_links(article: Article, lang: str, body_md: str) -> None:
    rendered = articles.render_for(article, lang, body_md)
    if rendered.bad_links:
        links = ", ".join(href for _line, href in rendered.bad_links)
        raise InvalidContent({"body": [f"links to articles that are not published: {links}"]})


def _same(revision: ArticleRevision, draft: Draft, translated_from, source) -> bool:
    text = articles.EDITED_FIELDS
    return (
        articles.revision_text(revision, text) == articles.revision_text(draft, text)
        and revision.translated_from == translated_from
        and revision.source_revision_id == (source.id if source else None)
    )


@unit_of_work()
def save(
    *,
    article: Article,
    lang: str,
    draft: Draft,
    base_id: int | None,
    author: str,
    translated_from: str | None = None,
    source: ArticleRevision | None = None,
    origin: str = RevisionOrigin.WORKSPACE,
) -> ArticleRevision:
    """Save `draft` as the next revision of the article in `lang`; players see it once published.

    Raises EditConflict when a newer revision than `base_id` exists, InvalidContent for links
    to articles that are not published. Saving what the latest revision says adds nothing.
    """
    if lang not in LANGUAGES:
        raise InvalidContent({"lang": [f"unknown language {lang!r}"]})
    draft = Draft(
        draft.title.strip(), draft.summary.strip(), draft.tags, normalize_body(draft.body_md)
    )
    current = latest(article.id, lang)
    if (current.id if current else None) != base_id:
        raise EditConflict(current)
    if translated_from is None and source is None and current is not None:
        # An edit of a translation stays a translation of the same source revision.
        translated_from, source = current.translated_from, current.source_revision
    if current is not None and _same(current, draft, translated_from, source):
        return current
    _check_links(article, lang, draft.body_md)
    revision = ArticleRevision(
        article_id=article.id,
        lang=lang,
        number=(current.number if current else 0) + 1,
        **articles.revision_text(draft, articles.EDITED_FIELDS),
        body_hash=body_hash(draft.body_md),
        translated_from=translated_from,
        source_revision_id=source.id if source else None,
        source_hash=source.body_hash if source else None,
        author=author,
        origin=origin,
    )
    db.session.add(revision)
    try:
        db.session.flush()
    except IntegrityError:
        # Another save took this number in the meantime (the unique constraint): the whole
        # unit of work is undone.
        db.session.rollback()
        raise EditConflict(latest(article.id, lang)) from None
    log.info("%s %s revision %d saved by %s", article.slug, lang, revision.number, author)
    return revision


@unit_of_work()
def create_article(*, category: Category, slug: str, lang: str, draft: Draft, author: str):
    """A new article, unpublished, with its first revision; raises InvalidContent."""
    if not SLUG.match(slug) or len(slug) > MAX_SLUG:
        raise InvalidContent({"slug": ["use lowercase a-z, 0-9 and hyphens (at most 80)"]})
    if db.session.scalar(select(func.count(Article.id)).where(Article.slug == slug)):
        raise InvalidContent({"slug": ["an article with this slug exists already"]})
    position = db.session.scalar(
        select(func.coalesce(func.max(Article.position), 0)).where(
            Article.category_id == category.id
        )
    )
    article = Article(slug=slug, category=category, position=position + 10, is_published=False)
    db.session.add(article)
    db.session.flush()
    save(article=article, lang=lang, draft=draft, base_id=None, author=author)
    return article


@unit_of_work()
def restore(*, article: Article, lang: str, revision: ArticleRevision, base_id, author: str):
    """Save an older revision's text again, as the newest revision (history is never rewritten)."""
    return save(
        article=article,
        lang=lang,
        draft=Draft(revision.title, revision.summary, tuple(revision.tags), revision.body_md),
        base_id=base_id,
        author=author,
        translated_from=revision.translated_from,
        source=revision.source_revision,
        origin=RevisionOrigin.RESTORE,
    )


def _after_publishing() -> None:
    """Make the change visible once it commits: this worker's caches at once, the others'
    within their TTL (search: every host's index catches up with the ContentChange row within
    seconds)."""
    after_commit(cache.clear)


@unit_of_work()
def publish(*, article: Article, lang: str, author: str) -> ArticleTranslation:
    """Publish the latest revision in `lang`: players see it, search finds it within seconds.

    Raises InvalidContent when there is nothing to publish or a link points nowhere.
    """
    revision = latest(article.id, lang)
    if revision is None:
        raise InvalidContent({"lang": [f"there is no text in {lang} to publish"]})
    translation = articles.publish_revision(article, revision)
    log.info("%s %s revision %d published by %s", article.slug, lang, revision.number, author)
    _after_publishing()
    return translation


@unit_of_work()
def unpublish(*, article: Article, author: str) -> None:
    """Take the article off the site in every language; its text and history are kept."""
    article.is_published = False
    article.updated_at = utcnow()
    search.record_change(article_slug=article.slug)
    log.info("%s unpublished by %s", article.slug, author)
    _after_publishing()


@unit_of_work()
def save_category(
    *,
    slug: str,
    position: int,
    titles: dict[str, str],
    descriptions: dict[str, str],
    existing: Category | None = None,
) -> Category:
    """Create a category or change one; raises InvalidContent for a bad or taken slug."""
    category = existing
    if category is None:
        if not SLUG.match(slug) or len(slug) > MAX_SLUG:
            raise InvalidContent({"slug": ["use lowercase a-z, 0-9 and hyphens (at most 80)"]})
        if db.session.scalar(select(func.count(Category.id)).where(Category.slug == slug)):
            raise InvalidContent({"slug": ["a category with this slug exists already"]})
        category = Category(slug=slug, is_published=True)
        db.session.add(category)
    category.position = position
    category.titles = {lang: titles[lang].strip() for lang in LANGUAGES}
    category.descriptions = {k: v.strip() for k, v in descriptions.items() if v.strip()}
    category.updated_at = utcnow()
    search.record_change(article_slug=None)
    _after_publishing()
    return category
