"""Read models of the editors' workspace: the translation overview, an article, its history.

A cell (article x language) is `published` (players read the latest revision), `draft` (a
revision players do not see yet), or `missing`; and outdated when it was translated from a
source text that has changed since (its source_hash is no longer the source's body hash, as
`helpcenter content check` says of files).
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from helpcenter.articles.content import TranslationStatus
from helpcenter.articles.models import Article, ArticleRevision, ArticleTranslation, Category
from helpcenter.articles.services import latest_revisions
from helpcenter.editor import diff
from helpcenter.extensions import db
from helpcenter.vocabulary import LANGUAGES

STATES = ("published", "draft", "missing", "outdated")


@dataclass(frozen=True)
class Cell:
    lang: str
    state: str  # published, draft or missing
    is_outdated: bool
    revision: ArticleRevision | None  # the latest
    published: ArticleTranslation | None

    @property
    def is_up_to_date(self) -> bool:
        return self.state == "published" and not self.is_outdated


@dataclass(frozen=True)
class Row:
    article: Article
    title: str
    cells: dict[str, Cell]

    def link(self, lang: str) -> tuple[str, str | None]:
        """Where the cell of `lang` leads: ("edit", None), or ("translate" when missing,
        "update" when outdated, the language to translate from)."""
        cell = self.cells[lang]
        if cell.state != "missing" and not cell.is_outdated:
            return "edit", None
        text = cell.revision or cell.published
        first = [text.translated_from] if text is not None and text.translated_from else []
        for code in (*first, "en", *LANGUAGES):
            if code != lang and self.cells[code].revision is not None:
                return ("translate" if cell.state == "missing" else "update"), code
        return "edit", None

    def matches(self, state: str) -> bool:
        if not state:
            return True
        if state == "outdated":
            return any(cell.is_outdated for cell in self.cells.values())
        return any(cell.state == state for cell in self.cells.values())


@dataclass(frozen=True)
class Overview:
    rows: tuple[Row, ...]
    # lang -> (up to date, articles)
    counts: dict[str, tuple[int, int]]


def _cells(article: Article, latest: dict) -> dict[str, Cell]:
    published = {tr.lang: tr for tr in article.translations}
    cells = {}
    for lang in LANGUAGES:
        revision = latest.get((article.id, lang))
        translation = published.get(lang)
        unpublished = translation is None or not article.is_published
        newer = revision is not None and translation is not None
        newer = newer and revision.id != translation.revision_id
        if revision is None and translation is None:
            state = "missing"
        elif unpublished or newer:
            state = "draft"
        else:
            state = "published"
        text = revision or translation
        outdated = False
        if text is not None and text.translated_from:
            source = latest.get((article.id, text.translated_from)) or published.get(
                text.translated_from
            )
            outdated = source is None or text.source_hash != source.body_hash
        cells[lang] = Cell(lang, state, outdated, revision, translation)
    return cells


def _title(article: Article, latest: dict, lang: str) -> str:
    for code in (lang, "en", "az", "ru"):
        revision = latest.get((article.id, code))
        if revision is not None:
            return revision.title
    return article.slug


def title_of(article: Article, cells: dict[str, Cell], lang: str) -> tuple[str, str]:
    """The article's title and its language: in `lang` if written, else English, else the first."""
    for code in (lang, "en", *LANGUAGES):
        cell = cells.get(code)
        text = (cell.revision or cell.published) if cell is not None else None
        if text is not None:
            return text.title, code
    return article.slug, ""


def overview(*, lang: str, category: str = "", state: str = "") -> Overview:
    """Every article (published or not) with a cell per language, by category and position."""
    statement = (
        select(Article)
        .join(Category)
        .options(selectinload(Article.translations), selectinload(Article.category))
        .order_by(Category.position, Category.slug, Article.position, Article.slug)
    )
    if category:
        statement = statement.where(Category.slug == category)
    articles = db.session.scalars(statement).all()
    latest = latest_revisions([a.id for a in articles])
    rows = [Row(a, _title(a, latest, lang), _cells(a, latest)) for a in articles]
    counts = {
        code: (sum(1 for r in rows if r.cells[code].is_up_to_date), len(rows)) for code in LANGUAGES
    }
    return Overview(tuple(r for r in rows if r.matches(state)), counts)


def article(slug: str) -> tuple[Article, dict[str, Cell]] | None:
    found = db.session.scalar(
        select(Article)
        .where(Article.slug == slug)
        .options(selectinload(Article.translations), selectinload(Article.category))
    )
    if found is None:
        return None
    return found, _cells(found, latest_revisions([found.id]))


def history(article_id: int, lang: str) -> list[ArticleRevision]:
    return list(
        db.session.scalars(
            select(ArticleRevision)
            .where(ArticleRevision.article_id == article_id, ArticleRevision.lang == lang)
            .order_by(ArticleRevision.number.desc())
        )
    )


def revision(article_id: int, lang: str, number: int) -> ArticleRevision | None:
    return db.session.scalar(
        select(ArticleRevision).where(
            ArticleRevision.article_id == article_id,
            ArticleRevision.lang == lang,
            ArticleRevision.number == number,
        )
    )


def revision_by_id(revision_id: int) -> ArticleRevision | None:
    return db.session.get(ArticleRevision, revision_id)


def source_at_translation(text) -> ArticleRevision | None:
    """The source revision a translation (revision or published text) was made from."""
    if text is None or not text.translated_from:
        return None
    exact = getattr(text, "source_revision", None)
    if exact is not None:
        return exact
    # Translated in files: the source revision whose body had the hash it names.
    return db.session.scalar(
        select(ArticleRevision)
        .where(
            ArticleRevision.article_id == text.article_id,
            ArticleRevision.lang == text.translated_from,
            ArticleRevision.body_hash == text.source_hash,
        )
        .order_by(ArticleRevision.number.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class SourceChanges:
    """What changed in a source text since a translation of it was made."""

    lines: tuple[str, ...]  # the source as it is now
    marked: frozenset[int]  # its lines (0-based) that are new since
    changes: tuple[diff.Line, ...]  # the differences, line by line

    @property
    def is_outdated(self) -> bool:
        return bool(self.changes)


def source_changes(target: ArticleRevision | None, source: ArticleRevision) -> SourceChanges:
    """The source next to its translation `target`, with what changed since it was translated."""
    before = source_at_translation(target) if target is not None else None
    lines = tuple(source.body_md.splitlines())
    if before is None or before.body_hash == source.body_hash:
        return SourceChanges(lines, frozenset(), ())
    return SourceChanges(
        lines,
        frozenset(diff.changed_lines(before.body_md, source.body_md)),
        diff.diff(before.body_md, source.body_md),
    )


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.slug)))


def category(slug: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.slug == slug))


def translation_report() -> list[TranslationStatus]:
    """What `helpcenter content check` reports of files, of the published articles instead."""
    report = []
    articles = db.session.scalars(
        select(Article)
        .join(Category)
        .where(Article.is_published)
        .options(selectinload(Article.translations), selectinload(Article.category))
    ).all()
    for found in sorted(articles, key=lambda a: (a.category.slug, a.slug)):
        published = {tr.lang: tr for tr in found.translations}
        for lang in LANGUAGES:
            tr = published.get(lang)
            if tr is None:
                report.append(TranslationStatus(found.slug, lang, "missing"))
            elif tr.translated_from is None:
                report.append(TranslationStatus(found.slug, lang, "up to date", "source"))
            else:
                source = published.get(tr.translated_from)
                if source is None or tr.source_hash != source.body_hash:
                    report.append(TranslationStatus(found.slug, lang, "outdated"))
                else:
                    report.append(
                        TranslationStatus(
                            found.slug, lang, "up to date", f"from {tr.translated_from}"
                        )
                    )
    return report
