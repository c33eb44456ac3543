"""Use cases that change the knowledge base: loading and exporting content, publishing, votes."""

import hashlib
import heapq
import json
import logging
import math
import re
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import redis
import yaml
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import selectinload

from helpcenter.articles.content import (
    ContentSet,
    Problem,
    SourceArticle,
    read_content,
    resolve_link,
)
from helpcenter.articles.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    ArticleVote,
    Category,
    RevisionOrigin,
)
from helpcenter.articles.rendering import Rendered, render_markdown
from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.search import services as search
from helpcenter.tickets.models import IdempotentRequest
from helpcenter.transaction import unit_of_work
from helpcenter.vocabulary import LANGUAGES

log = logging.getLogger(__name__)
RELATED_LIMIT = 4
# More changed articles than this in one load: search indexes rebuild rather than update.
INDEX_CHANGES_LIMIT = 50
LOADER = "content load"


class ContentInvalid(Exception):
    """The content directory has problems; nothing was loaded."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in content")
        self.problems = problems


class ArticleNotFound(Exception):
    """No published article with that slug."""


class ContentConflict(Exception):
    """Editors changed these articles in the workspace since the last load; nothing was loaded."""

    def __init__(self, articles: list[str]):
        super().__init__(f"{len(articles)} article(s) edited in the workspace")
        self.articles = articles


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.unpublished)


def load_content(*, directory: str | Path, force: bool = False, processes: int = 1) -> LoadReport:
    """Validate `directory` completely, then sync the database with it in one transaction.

    New and changed articles are saved (each changed text as a new revision), articles
    missing from the directory are unpublished. Raises ContentInvalid if any file has a
    problem, and ContentConflict if the load would replace what editors changed in the
    workspace since (unless `force`); either way nothing changes. `processes`: see
    `content.render_processes` (for commands).
    """
    content = read_content(directory, processes=processes)
    if content.problems:
        raise ContentInvalid(content.problems)
    if not force:
        conflicts = _workspace_changes(content)
        if conflicts:
            raise ContentConflict(conflicts)
    report = LoadReport()
    try:
        shown_before = _published_categories()
        categories = _sync_categories(content)
        related = related_articles(_items_of(content))
        existing = {
            a.slug: a
            for a in db.session.scalars(select(Article).options(selectinload(Article.translations)))
        }
        # New articles are inserted together, for the ids their revisions need.
        added = {}
        for source in content.articles:
            if source.slug not in existing:
                # An empty list, not a collection to load after the insert.
                added[source.slug] = Article(
                    slug=source.slug, category=categories[source.category], translations=[]
                )
        db.session.add_all(added.values())
        db.session.flush()
        revisions = _RevisionBook()
        # Nothing is read from the database below. A query (and so a flush) per text cost
        # more the more the session held: the load grew faster than the content.
        with db.session.no_autoflush:
            for source in content.articles:
                article = existing.pop(source.slug, None)
                if article is None:
                    article = added[source.slug]
                    report.created.append(source.slug)
                    _sync_article(article, source, related, revisions)
                elif _sync_article(article, source, related, revisions) | _set(
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
        revisions.save()
        _record_load_changes(report, shown_before ^ _published_categories())
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


def _published_categories() -> set[str]:
    return set(db.session.scalars(select(Category.slug).where(Category.is_published)))


def _record_load_changes(report: LoadReport, categories: set[str]) -> None:
    """Tell every host's search index which articles a load changed, in the load's transaction.

    Articles in a category that appeared or went away count too. Past INDEX_CHANGES_LIMIT
    articles, one "anything changed" row has each host rebuild instead.
    """
    slugs = {*report.created, *report.updated, *report.unpublished}
    if categories:
        slugs |= set(
            db.session.scalars(
                select(Article.slug).join(Category).where(Category.slug.in_(categories))
            )
        )
    if len(slugs) > INDEX_CHANGES_LIMIT:
        search.record_change(article_slug=None)
        return
    for slug in sorted(slugs):
        search.record_change(article_slug=slug)


# A revision's text as an editor writes it, and what follows it: the body's hash and the source
# text (and version) that it translates. Revisions and translations hold all of them.
EDITED_FIELDS = ("title", "summary", "tags", "body_md")
TRACKING_FIELDS = ("body_hash", "translated_from", "source_hash")
TEXT_FIELDS = EDITED_FIELDS + TRACKING_FIELDS


def revision_text(source, fields: tuple[str, ...] = TEXT_FIELDS) -> dict:
    """`fields` of `source` (a revision, a translation, a loaded file or a draft) to copy into
    another: the one place that copies a text, tags as a list of their own."""
    text = {name: getattr(source, name) for name in fields}
    if "tags" in text:
        text["tags"] = list(text["tags"])
    return text


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


class _RevisionBook:
    """The revisions a load makes: numbered from what the database holds, saved together.

    One query for all articles (the newest revision's id and the highest number per article
    and language) and one flush of all new revisions, instead of two queries and a flush
    per text.
    """

    def __init__(self) -> None:
        rows = db.session.execute(
            select(
                ArticleRevision.article_id,
                ArticleRevision.lang,
                func.max(ArticleRevision.id),
                func.max(ArticleRevision.number),
            ).group_by(ArticleRevision.article_id, ArticleRevision.lang)
        )
        self.newest: dict[tuple[int, str], int] = {}
        self.highest: dict[tuple[int, str], int] = {}
        for article_id, lang, newest, highest in rows:
            self.newest[(article_id, lang)] = newest
            self.highest[(article_id, lang)] = highest
        self.made: list[tuple[ArticleTranslation, ArticleRevision]] = []

    def has_draft(self, article: Article, lang: str, tr: ArticleTranslation) -> bool:
        """Whether a newer revision than the published one is there: an editor's draft."""
        newest = self.newest.get((article.id, lang))
        return newest is not None and newest != tr.revision_id

    def add(self, article: Article, lang: str, tr: ArticleTranslation) -> None:
        """The revision a load makes of a text it saved: in the files too, so synced."""
        number = self.highest.get((article.id, lang), 0) + 1
        self.highest[(article.id, lang)] = number
        revision = ArticleRevision(
            article_id=article.id,
            lang=lang,
            number=number,
            **revision_text(tr),
            author=LOADER,
            origin=RevisionOrigin.LOAD,
            is_synced=True,
        )
        self.made.append((tr, revision))

    def save(self) -> None:
        """Insert the revisions and point their translations at them."""
        if not self.made:
            return
        db.session.add_all(revision for _, revision in self.made)
        db.session.flush()
        for tr, revision in self.made:
            tr.revision_id = revision.id
        self.made = []


def _sync_article(
    article: Article, source: SourceArticle, related: dict, revisions: _RevisionBook
) -> bool:
    changed = False
    current = {tr.lang: tr for tr in article.translations}
    for lang, src in source.translations.items():
        tr = current.pop(lang, None)
        if tr is None:
            tr = ArticleTranslation(lang=lang)
            article.translations.append(tr)
        content_changed = _set(tr, **revision_text(src, EDITED_FIELDS))
        derived_changed = _set(
            tr,
            **revision_text(src, TRACKING_FIELDS),
            body_html=src.rendered.html,
            toc=src.rendered.toc,
            word_count=src.rendered.word_count,
            related=related[(source.slug, lang)],
        )
        # A newer revision than the published one is an editor's draft: a (forced) load
        # replaces it with what the files say, as the newest revision.
        if content_changed or tr.revision_id is None or revisions.has_draft(article, lang, tr):
            revisions.add(article, lang, tr)
        if content_changed:
            tr.updated_at = utcnow()
            article.updated_at = tr.updated_at
        changed |= content_changed or derived_changed
    for tr in current.values():
        article.translations.remove(tr)
        changed = True
    return changed


def latest_revisions(article_ids: Iterable[int] | None = None) -> dict:
    """The newest revision per (article id, language), of some articles or of all."""
    newest = select(
        ArticleRevision.article_id,
        ArticleRevision.lang,
        func.max(ArticleRevision.number).label("number"),
    ).group_by(ArticleRevision.article_id, ArticleRevision.lang)
    if article_ids is not None:
        newest = newest.where(ArticleRevision.article_id.in_(list(article_ids)))
    newest = newest.subquery()
    revisions = db.session.scalars(
        select(ArticleRevision).join(
            newest,
            (ArticleRevision.article_id == newest.c.article_id)
            & (ArticleRevision.lang == newest.c.lang)
            & (ArticleRevision.number == newest.c.number),
        )
    )
    return {(r.article_id, r.lang): r for r in revisions}


def _workspace_changes(content: ContentSet) -> list[str]:
    """Articles (and languages) whose newest text is an editor's and the load would replace."""
    articles = {a.slug: a for a in db.session.scalars(select(Article))}
    latest = latest_revisions()
    conflicts = []
    for source in content.articles:
        article = articles.pop(source.slug, None)
        if article is None:
            continue
        for lang in LANGUAGES:
            revision = latest.get((article.id, lang))
            if revision is None or revision.is_synced:
                continue
            src = source.translations.get(lang)
            written = (src.title, src.summary, list(src.tags), src.body_md) if src else None
            written = written and (*written, src.translated_from, src.source_hash)
            kept = (
                revision.title,
                revision.summary,
                list(revision.tags),
                revision.body_md,
                revision.translated_from,
                revision.source_hash,
            )
            if written != kept:
                conflicts.append(f"{article.slug} ({lang})")
    for article in articles.values():
        unsynced = [
            lang
            for lang in LANGUAGES
            if (revision := latest.get((article.id, lang))) is not None and not revision.is_synced
        ]
        if article.is_published and unsynced:
            conflicts.append(f"{article.slug} ({', '.join(unsynced)}; not in the directory)")
    return sorted(conflicts)


@dataclass(frozen=True)
class RelatedItem:
    slug: str
    category: str
    texts: dict  # lang -> (tags, body_md)


def _items_of(content: ContentSet) -> list[RelatedItem]:
    return [
        RelatedItem(
            a.slug, a.category, {lang: (tr.tags, tr.body_md) for lang, tr in a.translations.items()}
        )
        for a in content.articles
    ]


# A slug in a link, as the old pairwise check `f"/{slug}/" in body` found it: a run of slug
# characters right after a "/" and right before one (the run is the whole run, as "/" is not a
# slug character).
_LINKED_SLUG = re.compile(r"(?<=/)[a-z0-9-]+(?=/)")


def related_articles(items: list[RelatedItem]) -> dict[tuple[str, str], list[str]]:
    """Related articles per (slug, lang): shared tags, links between them, same category.

    The score of another article is 2 per shared tag (case aside), 3 if this one links to it, 3
    if it links to this one, 2 if both are in one category; the RELATED_LIMIT best, ties in
    content order (category, then slug). Worked out through inverted indexes, not over all
    pairs, so a large knowledge base costs time in proportion to its size: articles with the
    same tags form one group, a tag leads to its groups, and a group's members are kept per
    category in content order, so only the first few of each can make the list.
    """
    result: dict[tuple[str, str], list[str]] = {}
    category_of = {item.slug: item.category for item in items}
    for lang in LANGUAGES:
        candidates = [item for item in items if lang in item.texts]
        tags_of = {
            item.slug: frozenset(t.lower() for t in item.texts[lang][0]) for item in candidates
        }
        # group (a set of tags) -> category -> its members in content order
        groups: dict[frozenset, dict[str, list[str]]] = {}
        by_category: dict[str, list[str]] = {}
        for slug in sorted(tags_of, key=lambda s: (category_of[s], s)):
            groups.setdefault(tags_of[slug], {}).setdefault(category_of[slug], []).append(slug)
            by_category.setdefault(category_of[slug], []).append(slug)
        groups_with: dict[str, list[frozenset]] = {}
        for tags in groups:
            for tag in tags:
                groups_with.setdefault(tag, []).append(tags)
        links_out = {
            item.slug: {s for s in _LINKED_SLUG.findall(item.texts[lang][1]) if s in tags_of}
            for item in candidates
        }
        links_in: dict[str, set[str]] = {}
        for slug, targets in links_out.items():
            for target in targets:
                links_in.setdefault(target, set()).add(slug)
        for item in candidates:
            slug, category, tags = item.slug, item.category, tags_of[item.slug]
            linked = (links_out[slug] | links_in.get(slug, set())) - {slug}
            scores = {
                other: 2 * len(tags & tags_of[other])
                + 3 * (other in links_out[slug])
                + 3 * (slug in links_out[other])
                + 2 * (category_of[other] == category)
                for other in linked
            }
            skip = linked | {slug}
            shared: Counter = Counter()
            for tag in tags:
                for group in groups_with[tag]:
                    shared[group] += 1
            for group, count in shared.items():
                for group_category, members in groups[group].items():
                    score = 2 * count + 2 * (group_category == category)
                    taken = 0
                    for other in members:
                        if taken == RELATED_LIMIT:
                            break
                        if other not in skip:
                            scores[other] = score
                            taken += 1
            # Same category alone scores 2, below every article found above in this category;
            # it can make the list only when fewer than RELATED_LIMIT others score more.
            if sum(score > 2 for score in scores.values()) < RELATED_LIMIT:
                taken = 0
                for other in by_category[category]:
                    if taken == RELATED_LIMIT:
                        break
                    if other != slug and other not in scores:
                        scores[other] = 2
                        taken += 1
            ranked = heapq.nsmallest(
                RELATED_LIMIT, scores, key=lambda s: (-scores[s], category_of[s], s)
            )
            result[(slug, lang)] = ranked
    return result


# --- publishing from the workspace ---------------------------------------------------------------


def _published_articles() -> list[Article]:
    return list(
        db.session.scalars(
            select(Article)
            .join(Category)
            .where(Article.is_published, Category.is_published)
            .options(selectinload(Article.translations), selectinload(Article.category))
        )
    )


def render_for(article: Article, lang: str, body_md: str) -> Rendered:
    """Render a body of `article` as its public page would: links only to published articles."""
    published = _published_articles()
    where = {a.slug: a.category.slug for a in published}
    where[article.slug] = article.category.slug
    categories = {a.category.slug for a in published} | {article.category.slug}
    return render_markdown(
        body_md,
        resolve_link=lambda href: resolve_link(
            href,
            category=article.category.slug,
            slug=article.slug,
            lang=lang,
            where=where,
            categories=categories,
        ),
    )


@unit_of_work()
def publish_revision(article: Article, revision: ArticleRevision) -> ArticleTranslation:
    """Make `revision` the text players read in its language, and put the article on the site
    (a unit of work, or part of the caller's).

    Related articles are worked out again over everything published, as a load would.
    """
    rendered = render_for(article, revision.lang, revision.body_md)
    tr = next((t for t in article.translations if t.lang == revision.lang), None)
    if tr is None:
        tr = ArticleTranslation(lang=revision.lang)
        article.translations.append(tr)
    now = utcnow()
    _set(
        tr,
        **revision_text(revision),
        body_html=rendered.html,
        toc=rendered.toc,
        word_count=rendered.word_count,
        revision_id=revision.id,
    )
    tr.updated_at = article.updated_at = now
    article.is_published = True
    db.session.flush()
    _refresh_related()
    search.record_change(article_slug=article.slug)
    return tr


def _refresh_related() -> None:
    published = _published_articles()
    related = related_articles(
        [
            RelatedItem(
                a.slug, a.category.slug, {tr.lang: (tr.tags, tr.body_md) for tr in a.translations}
            )
            for a in published
        ]
    )
    for article in published:
        for tr in article.translations:
            _set(tr, related=related[(article.slug, tr.lang)])


# --- export ---------------------------------------------------------------------------------------


@dataclass
class ExportReport:
    articles: int = 0
    files: int = 0
    removed: list[str] = field(default_factory=list)


class _FrontMatterDumper(yaml.SafeDumper):
    """YAML's safe writer, keeping text with a line break on one line, in double quotes.

    Its other styles spread such text over several lines, and one of them could read
    "---", the line that closes the front matter.
    """

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if any(char in data for char in "\n\r\x85\u2028\u2029"):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)


_FrontMatterDumper.add_representer(str, _FrontMatterDumper.represent_str)


def _article_file(tr: ArticleTranslation, position: int) -> str:
    """The file `content check` reads back as this translation: front matter, then body."""
    front: dict[str, object] = {"title": tr.title}
    if tr.summary:
        front["summary"] = tr.summary
    if tr.tags:
        front["tags"] = list(tr.tags)
    front["order"] = position
    if tr.translated_from:
        front["translated_from"] = tr.translated_from
    if tr.source_hash:
        front["source_hash"] = tr.source_hash
    # No width: a long title stays on its line rather than folded over several.
    text = yaml.dump(
        front,
        Dumper=_FrontMatterDumper,
        allow_unicode=True,
        sort_keys=False,
        width=math.inf,
    )
    return f"---\n{text}---\n{tr.body_md}"


def _write(path: Path, text: str) -> bool:
    """Write `text` to `path` unless it says that already; whether it was written."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return True


def _is_article_folder(path: Path) -> bool:
    if not path.is_dir():
        return False
    return {p.name for p in path.iterdir()} <= {f"{lang}.md" for lang in LANGUAGES}


def export_content(*, directory: str | Path) -> ExportReport:
    """Write the published categories and articles into `directory` in the content format.

    Files that already say the same are left alone; article folders and language files of
    what is no longer published are removed (only folders that hold nothing but article
    files). Loading the directory afterwards changes nothing. The exported revisions count
    as synced: a later load may replace them.
    """
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    categories = db.session.scalars(
        select(Category).where(Category.is_published).order_by(Category.slug)
    ).all()
    by_category: dict[int, list[Article]] = {}
    for article in _published_articles():
        by_category.setdefault(article.category_id, []).append(article)
    for category in categories:
        folder = root / category.slug
        data = {"order": category.position, "title": dict(category.titles)}
        if category.descriptions:
            data["description"] = dict(category.descriptions)
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        report.files += _write(folder / "_category.yml", text)
        keep = set()
        for article in sorted(by_category.get(category.id, []), key=lambda a: a.slug):
            keep.add(article.slug)
            report.articles += 1
            languages = {tr.lang: tr for tr in article.translations}
            for lang in LANGUAGES:
                path = folder / article.slug / f"{lang}.md"
                tr = languages.get(lang)
                if tr is None:
                    if path.exists():
                        path.unlink()
                        report.removed.append(str(path))
                    continue
                report.files += _write(path, _article_file(tr, article.position))
                if tr.revision_id is not None:
                    db.session.execute(
                        update(ArticleRevision)
                        .where(ArticleRevision.id == tr.revision_id)
                        .values(is_synced=True)
                    )
        for stale in sorted(p for p in folder.iterdir() if p.is_dir() and p.name not in keep):
            if _is_article_folder(stale):
                shutil.rmtree(stale)
                report.removed.append(str(stale))
    published = {c.slug for c in categories}
    for stale in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in published):
        article_folders = [p for p in stale.iterdir() if p.is_dir()]
        if (stale / "_category.yml").is_file() and all(map(_is_article_folder, article_folders)):
            shutil.rmtree(stale)
            report.removed.append(str(stale))
    db.session.commit()
    log.info("content exported to %s: %d articles", directory, report.articles)
    return report


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


# --- page views ----------------------------------------------------------------------------------
#
# With Redis (REDIS_URL), a view is one HINCRBY into the hash VIEW_COUNTER_KEY + ":pending", seen
# by every host; `helpcenter worker` moves the counts into article.view_count. Without Redis, or
# while Redis is down, a view is one atomic UPDATE of its article. Either way a restarted web
# worker holds nothing that was not counted yet.

# A page view must not wait for a dead Redis: it is counted in the database instead.
VIEW_REDIS_TIMEOUT = 0.2
# Runs of move_view_counts recorded in idempotent_request (in the same transaction as the
# counts they add), so a run finished by another worker after a crash never adds them twice.
VIEW_RUN_SCOPE = "worker:view-counts"
# Built once: making an ORM UPDATE per view cost more than running it.
_ONE_VIEW = (
    update(Article.__table__)
    .where(Article.__table__.c.id == bindparam("article_id"))
    .values(view_count=Article.__table__.c.view_count + 1)
)
# Not waiting for the WAL flush makes a view's commit several times cheaper on PostgreSQL; only a
# crash of the database server itself could lose the last fraction of a second of views.
_NO_FLUSH_WAIT = db.text("SET LOCAL synchronous_commit TO OFF")


class _OncePerMinute:
    """Says a warning at most once a minute per process: an outage is not a line per view."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.said_at: float | None = None

    def warning(self, message: str, *args) -> None:
        now = time.monotonic()
        with self.lock:
            if self.said_at is not None and now - self.said_at < 60:
                return
            self.said_at = now
        log.warning(message + " (said once a minute at most)", *args)


def view_counter(*, timeout: float = VIEW_REDIS_TIMEOUT) -> redis.Redis | None:
    """A Redis client for the view counters (None without REDIS_URL); no retries, short waits."""
    url = current_app.config["REDIS_URL"]
    if not url:
        return None
    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )


def _pending_key() -> str:
    return current_app.config["VIEW_COUNTER_KEY"] + ":pending"


def _runs_key() -> str:
    return current_app.config["VIEW_COUNTER_KEY"] + ":runs"


def count_view(*, article_id: int) -> None:
    """Count one view of an article where every host sees it; never raises.

    In Redis when REDIS_URL is set (the worker adds it to the article later), else (and while
    Redis is unreachable) straight in the database. A view that neither can take is dropped
    with a warning: the page is still served.
    """
    extensions = current_app.extensions
    if "view_counter" not in extensions:
        extensions["view_warnings"] = _OncePerMinute()
        extensions["view_counter"] = view_counter()
    store, warnings = extensions["view_counter"], extensions["view_warnings"]
    if store is not None:
        try:
            store.hincrby(_pending_key(), str(article_id), 1)
            return
        except redis.RedisError as exc:
            warnings.warning("Redis unreachable, counting views in the database: %r", exc)
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(_NO_FLUSH_WAIT)
        db.session.execute(_ONE_VIEW, {"article_id": article_id})
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        warnings.warning("article views not counted, database unreachable: %r", exc)


def move_view_counts(store: redis.Redis) -> int:
    """Add the views counted in Redis to the articles; returns how many views were added.

    The pending hash is first RENAMEd to a key of this run (views counted meanwhile start a new
    hash) and the key is listed in VIEW_COUNTER_KEY:runs; its counts are added in one
    transaction that also records the key; then the key is deleted. Runs that died midway
    (on any host) are finished first, their counts added only if their key was not recorded:
    no view is lost or counted twice. Safe on several hosts at once. Raises redis.RedisError
    and SQLAlchemyError (nothing is lost then either).
    """
    moved = sum(_finish_run(store, key.decode()) for key in store.smembers(_runs_key()))
    key = claim_view_run(store)
    if key is not None:
        moved += _finish_run(store, key)
    return moved


def claim_view_run(store: redis.Redis) -> str | None:
    """Take the pending counts under a key of their own; None when there were none."""
    key = f"{current_app.config['VIEW_COUNTER_KEY']}:run:{uuid.uuid4().hex}"
    pipe = store.pipeline(transaction=True)
    pipe.sadd(_runs_key(), key)
    pipe.rename(_pending_key(), key)
    try:
        pipe.execute()
    except redis.ResponseError:  # no such key: no views since the last run
        store.srem(_runs_key(), key)
        return None
    return key


def add_view_run(store: redis.Redis, key: str) -> int:
    """Add the counts of run `key` to the articles once, recording the key; how many added."""
    counts = {int(k): int(v) for k, v in store.hgetall(key).items() if int(v)}
    recorded = select(IdempotentRequest.id).where(
        IdempotentRequest.scope == VIEW_RUN_SCOPE, IdempotentRequest.key == key
    )
    if not counts or db.session.scalar(recorded) is not None:
        db.session.rollback()
        return 0
    # Always in the same order, so two hosts finishing the same run cannot deadlock.
    for article_id in sorted(counts):
        db.session.execute(
            update(Article)
            .where(Article.id == article_id)
            .values(view_count=Article.view_count + counts[article_id])
        )
    digest = hashlib.sha256(json.dumps(sorted(counts.items())).encode()).hexdigest()
    db.session.add(IdempotentRequest(scope=VIEW_RUN_SCOPE, key=key, request_hash=digest))
    try:
        db.session.commit()
    except IntegrityError:  # another host finished this run first
        db.session.rollback()
        return 0
    return sum(counts.values())


def _finish_run(store: redis.Redis, key: str) -> int:
    added = add_view_run(store, key)
    pipe = store.pipeline(transaction=True)
    pipe.delete(key)
    pipe.srem(_runs_key(), key)
    pipe.execute()
    return added
