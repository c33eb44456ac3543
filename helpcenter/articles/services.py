"""Use cases that change the knowledge base: loading content and recording votes."""

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from helpcenter.articles.content import LANGUAGES, ContentSet, Problem, SourceArticle, read_content
from helpcenter.articles.models import Article, ArticleTranslation, ArticleVote, Category
from helpcenter.db import utcnow
from helpcenter.extensions import db

log = logging.getLogger(__name__)
RELATED_LIMIT = 4


class ContentInvalid(Exception):
    """The content directory has problems; nothing was loaded."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in content")
        self.problems = problems


class ArticleNotFound(Exception):
    """No published article with that slug."""


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.unpublished)


def load_content(*, directory: str | Path) -> LoadReport:
    """Validate `directory` completely, then sync the database with it in one transaction.

    New and changed articles are saved, articles missing from the directory are
    unpublished. Raises ContentInvalid (and changes nothing) if any file has a problem.
    """
    content = read_content(directory)
    if content.problems:
        raise ContentInvalid(content.problems)
    report = LoadReport()
    try:
        categories = _sync_categories(content)
        related = _related(content)
        existing = {a.slug: a for a in db.session.scalars(select(Article))}
        for source in content.articles:
            article = existing.pop(source.slug, None)
            if article is None:
                article = Article(slug=source.slug, category=categories[source.category])
                db.session.add(article)
                report.created.append(source.slug)
                _sync_article(article, source, related)
            elif _sync_article(article, source, related) | _set(
                article,
                category_id=categories[source.category].id,
                position=source.position,
                is_published=True,
            ):
                report.updated.append(source.slug)
            else:
                report.unchanged += 1
            article.position = source.position
        for article in existing.values():
            if article.is_published:
                article.is_published = False
                article.updated_at = utcnow()
                report.unpublished.append(article.slug)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info(
        "content loaded from %s: %d created, %d updated, %d unpublished, %d unchanged",
        directory,
        len(report.created),
        len(report.updated),
        len(report.unpublished),
        report.unchanged,
    )
    return report


def _set(obj, **values) -> bool:
    """Assign only differing values; return whether anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _sync_categories(content: ContentSet) -> dict[str, Category]:
    existing = {c.slug: c for c in db.session.scalars(select(Category))}
    result = {}
    for source in content.categories:
        category = existing.pop(source.slug, None)
        if category is None:
            category = Category(slug=source.slug)
            db.session.add(category)
        if _set(
            category,
            position=source.position,
            titles=source.titles,
            descriptions=source.descriptions,
            is_published=True,
        ):
            category.updated_at = utcnow()
        result[source.slug] = category
    for category in existing.values():
        if category.is_published:
            category.is_published = False
            category.updated_at = utcnow()
    db.session.flush()
    return result


def _sync_article(article: Article, source: SourceArticle, related: dict) -> bool:
    changed = False
    current = {tr.lang: tr for tr in article.translations}
    for lang, src in source.translations.items():
        tr = current.pop(lang, None)
        if tr is None:
            tr = ArticleTranslation(lang=lang)
            article.translations.append(tr)
        content_changed = _set(
            tr, title=src.title, summary=src.summary, tags=src.tags, body_md=src.body_md
        )
        derived_changed = _set(
            tr,
            body_html=src.rendered.html,
            toc=src.rendered.toc,
            word_count=src.rendered.word_count,
            body_hash=src.body_hash,
            translated_from=src.translated_from,
            source_hash=src.source_hash,
            related=related[(source.slug, lang)],
        )
        if content_changed:
            tr.updated_at = utcnow()
            article.updated_at = tr.updated_at
        changed |= content_changed or derived_changed
    for tr in current.values():
        article.translations.remove(tr)
        changed = True
    return changed


def _related(content: ContentSet) -> dict[tuple[str, str], list[str]]:
    """Related articles per (slug, lang): shared tags, links between them, same category."""
    result = {}
    for lang in LANGUAGES:
        candidates = [a for a in content.articles if lang in a.translations]
        for article in content.articles:
            tr = article.translations.get(lang)
            if tr is None:
                continue
            tags = {t.lower() for t in tr.tags}
            scores = Counter()
            for other in candidates:
                if other.slug == article.slug:
                    continue
                other_tr = other.translations[lang]
                score = 2 * len(tags & {t.lower() for t in other_tr.tags})
                score += 3 * (f"/{other.slug}/" in tr.body_md) + 3 * (
                    f"/{article.slug}/" in other_tr.body_md
                )
                score += 2 * (other.category == article.category)
                if score:
                    scores[other.slug] = score
            ranked = sorted(scores, key=lambda s: -scores[s])
            result[(article.slug, lang)] = ranked[:RELATED_LIMIT]
    return result


def record_vote(*, slug: str, lang: str, visitor_id: str, is_helpful: bool) -> ArticleVote:
    """Record a visitor's "Was this helpful?" answer; a second answer replaces the first.

    Raises ArticleNotFound for an unknown or unpublished article.
    """
    article = db.session.scalar(select(Article).where(Article.slug == slug, Article.is_published))
    if article is None:
        raise ArticleNotFound(slug)
    vote = db.session.scalar(
        select(ArticleVote).where(
            ArticleVote.article_id == article.id, ArticleVote.visitor_id == visitor_id
        )
    )
    if vote is None:
        vote = ArticleVote(
            article_id=article.id, visitor_id=visitor_id, lang=lang, is_helpful=is_helpful
        )
        db.session.add(vote)
    else:
        vote.is_helpful, vote.lang, vote.updated_at = is_helpful, lang, utcnow()
    db.session.commit()
    log.info("helpful=%s on %s (%s) by visitor %s", is_helpful, slug, lang, visitor_id[:8])
    return vote


def add_views(counts: dict[int, int]) -> None:
    """Add batched page views to the articles' counters in one transaction."""
    for article_id, count in counts.items():
        db.session.execute(
            update(Article)
            .where(Article.id == article_id)
            .values(view_count=Article.view_count + count)
        )
    db.session.commit()


class _ViewBuffer:
    """Page views counted in memory and written in one batch at most every VIEW_FLUSH_SECONDS.

    Writing a row per page view would make every read a write; popularity does not need
    views to the second, and a worker that dies loses at most one interval of counts.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.flushed_at = time.monotonic()


def count_view(*, article_id: int) -> None:
    """Count one view of an article; flush the batch to the database when it is due."""
    buffer = current_app.extensions.get("article_views")
    if buffer is None:
        buffer = current_app.extensions.setdefault("article_views", _ViewBuffer())
    with buffer.lock:
        buffer.counts[article_id] += 1
        due = time.monotonic() - buffer.flushed_at >= current_app.config["VIEW_FLUSH_SECONDS"]
        if not due:
            return
        counts, buffer.counts = dict(buffer.counts), Counter()
        buffer.flushed_at = time.monotonic()
    try:
        add_views(counts)
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not write %d article views; they are dropped", sum(counts.values()))
