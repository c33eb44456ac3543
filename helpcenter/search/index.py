"""The search index's life: built aside, swapped atomically, kept up with the database.

Each build goes into a new directory under <data dir>/search/ and a one-line pointer file,
CURRENT, is replaced atomically (os.replace) to name it, so readers never see a half-built
index. Every process checks the pointer at most once a second and reopens when it changed.

The database stays the source of truth. Every change of published content adds a
ContentChange row in its own transaction; each generation remembers which rows it was built
from (CONTENT_VERSION). Requests check the database at most every SEARCH_SYNC_SECONDS and,
when content changed, a background thread brings this host's index up to date: one builder
per host (a non-blocking file lock), only the changed articles' documents when it can, a full
rebuild for "anything may have changed" rows and for a missing or unreadable index. No request
waits for it, except on a host that has no index at all (`/healthz` is 503 until it has one).

Each generation is written with its typo vocabulary (VOCABULARY, see spelling.py), which every
process loads with the searcher; an index built with other fields (an older version of this
code) counts as unreadable and is rebuilt. Per process and generation, the ranking columns
(slug, language, title terms) are read once; the articles' priors (ranking.py) are read
from the database every few minutes.
"""

import fcntl
import gc
import json
import logging
import os
import re
import shutil
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cachetools import LRUCache
from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from helpcenter.articles.models import Article, ArticleTranslation, Category
from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.search import ranking
from helpcenter.search.analysis import (
    FIELD_WEIGHTS,
    PrenormalizedBM25,
    WeightedValue,
    analyze_token,
    build_schema,
    field_name,
    index_terms,
    text_field,
)
from helpcenter.search.models import ContentChange
from helpcenter.search.snippets import sentence_terms, sentences_from_html, sentences_from_text
from helpcenter.search.spelling import Vocabulary

log = logging.getLogger(__name__)
POINTER = "CURRENT"
VERSION_FILE = "CONTENT_VERSION"
# The generation's typo vocabulary (spelling.Vocabulary), written with it.
VOCABULARY_FILE = "VOCABULARY"
CHECK_SECONDS = 1.0
KEEP_GENERATIONS = 2
# For Whoosh's own `searcher.search` (tools, benchmarks); queries score the same way in
# scoring.py, without Whoosh's matcher tree.
WEIGHTING = PrenormalizedBM25()
# A missing ContentChange id below the newest one is usually a transaction still running
# (ids are handed out before commit); it is watched this long, then taken as rolled back.
GAP_SECONDS = 60.0


@dataclass(frozen=True)
class Version:
    """Which ContentChange rows an index was built from.

    Every id up to `floor` is in it, and above the floor the ids in `seen`. A missing id in
    between may be a transaction still running: it stays above the floor, so if its row
    commits later, the changed count shows it and it is indexed then.
    """

    floor: int = 0
    seen: tuple[int, ...] = ()

    @property
    def number(self) -> int:
        """The content version: the highest ContentChange id indexed (0 when none)."""
        return max(self.seen, default=self.floor)

    def matches(self, count: int, highest: int | None) -> bool:
        """Whether the database's rows above the floor (`count`, `highest`) are all indexed."""
        return count == len(self.seen) and (highest or self.floor) == self.number

    def after(self, rows: list[tuple[int, datetime]], now: datetime) -> "Version":
        """The version of an index built from `rows`, every (id, created_at) above the floor.

        An id missing below a row older than GAP_SECONDS belongs to a transaction that was
        rolled back (ids are handed out in order): the floor moves past it.
        """
        floor, seen = self.floor, []
        settled = now - timedelta(seconds=GAP_SECONDS)
        for change_id, created_at in sorted(rows):
            if change_id == floor + 1 or (not seen and created_at < settled):
                floor = change_id
            else:
                seen.append(change_id)
        return Version(floor, tuple(seen))

    def dumps(self) -> str:
        return json.dumps({"floor": self.floor, "seen": list(self.seen)})

    @classmethod
    def loads(cls, text: str) -> "Version":
        data = json.loads(text)
        return cls(int(data["floor"]), tuple(int(i) for i in data["seen"]))


@dataclass
class _Holder:
    lock: threading.Lock = field(default_factory=threading.Lock)
    generation: str | None = None
    version: Version | None = None
    searcher: Searcher | None = None
    # Kept open one swap longer: a request in another thread may still be reading it.
    previous: Searcher | None = None
    checked_at: float = 0.0
    # Answers computed from the current generation only: a swap starts a new cache, so a
    # new or changed article is never hidden behind a cached answer.
    answers: LRUCache | None = None
    synced_at: float = float("-inf")
    # Set once this process has seen its host's index at the database's content version.
    is_ready: bool = False
    builder: threading.Thread | None = None
    # The current generation's typo vocabulary (built at its first use) and the articles'
    # priors (read from the database every ranking.REFRESH_SECONDS).
    vocabulary: Vocabulary | None = None
    columns: "Columns | None" = None
    priors: ranking.Priors | None = None
    priors_at: float = float("-inf")


def root(app: Flask | None = None) -> Path:
    app = app or current_app
    return Path(app.config["DATA_DIR"]) / "search"


def documents(slugs: Iterable[str] | None = None):
    """One document per published article translation (of `slugs`, or all), from the database.

    The document as written; `index_document` turns it into what the index holds.
    """
    stmt = (
        select(ArticleTranslation, Article.slug, Article.position, Category.slug)
        .join(Article, ArticleTranslation.article_id == Article.id)
        .join(Category, Article.category_id == Category.id)
        .where(Article.is_published, Category.is_published)
    )
    if slugs is not None:
        stmt = stmt.where(Article.slug.in_(list(slugs)))
    for tr, slug, position, category in db.session.execute(stmt):
        sentences = sentences_from_html(tr.body_html)
        yield {
            "key": f"{slug}:{tr.lang}",
            "slug": slug,
            "category": category,
            "lang": tr.lang,
            "title": tr.title,
            "summary": tr.summary,
            "position": position,
            "sentences": sentences,
            field_name("title", tr.lang): tr.title,
            field_name("tags", tr.lang): " ".join(tr.tags),
            field_name("summary", tr.lang): tr.summary,
            field_name("body", tr.lang): " ".join(sentences),
        }


def index_document(doc: dict) -> dict:
    """What the index holds for a document of `documents()` (or one shaped like it).

    The sections are analyzed once here (cached per word) into weighted terms, the folded
    words for typo correction, the title's terms and each sentence's terms for snippets.
    """
    lang = doc["lang"]
    sections = tuple(doc.get(field_name(name, lang), "") or "" for name in FIELD_WEIGHTS)
    weights, length, surface = index_terms(lang, sections)
    sentences = doc.get("sentences") or sentences_from_text(sections[-1])
    title_terms = dict.fromkeys(
        term for word in re.findall(r"\w+", doc["title"]) if (term := analyze_token(word, lang))
    )
    return {
        "key": doc["key"],
        "slug": doc["slug"],
        "category": doc["category"],
        "lang": lang,
        "title": doc["title"],
        "summary": doc["summary"],
        "position": doc.get("position", 0),
        "title_terms": " ".join(title_terms).encode("utf-8"),
        "sentences": sentences,
        "sentence_terms": sentence_terms(sentences, lang),
        text_field(lang): WeightedValue(weights, length),
        "surface": " ".join(sorted(surface)),
    }


@contextmanager
def _build_lock(path: Path, *, wait: bool = True):
    """One builder per host (Whoosh allows one writer per index); yields False if busy."""
    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _changes_after(floor: int) -> list[tuple[int, str | None, datetime]]:
    rows = db.session.execute(
        select(ContentChange.id, ContentChange.article_slug, ContentChange.created_at)
        .where(ContentChange.id > floor)
        .order_by(ContentChange.id)
    )
    return [tuple(row) for row in rows]


def database_version() -> int:
    """The content version: the highest ContentChange id (0 when there is none)."""
    return db.session.scalar(select(func.coalesce(func.max(ContentChange.id), 0)))


def indexed_version() -> tuple[str | None, int | None]:
    """This host's current generation and the content version it has (None: no index)."""
    base = root()
    generation = _current_generation(base)
    version = _read_version(base, generation) if generation else None
    return generation, version.number if version else None


def rebuild(docs=None) -> str:
    """Build a complete new index from the database (or `docs`) and make it current."""
    base = root()
    with _build_lock(base):
        current = _current_generation(base)
        known = _read_version(base, current) if current else None
        return _rebuild_locked(base, docs, known)


def _rebuild_locked(base: Path, docs, known: "Version | None") -> str:
    # The changes are read before the documents: whatever they say is in what follows.
    known = known or Version()
    version = known.after([(i, at) for i, _, at in _changes_after(known.floor)], utcnow())
    generation, path = _new_generation(base)
    ix = whoosh_index.create_in(str(path), build_schema())
    count = 0
    written: dict[str, Counter[str]] = defaultdict(Counter)
    with ix.writer(limitmb=256) as writer:
        for doc in documents() if docs is None else docs:
            indexed = index_document(doc)
            writer.add_document(**indexed)
            written[indexed["lang"]].update(indexed["surface"].split())
            count += 1
    _write_vocabulary(path, written)
    _make_current(base, generation, version)
    log.info(
        "search index %s built with %d documents (content version %d)",
        generation,
        count,
        version.number,
    )
    return generation


def _new_generation(base: Path) -> tuple[str, Path]:
    generation = f"gen-{time.time_ns()}"
    path = base / generation
    path.mkdir()
    return generation, path


def _make_current(base: Path, generation: str, version: Version) -> None:
    (base / generation / VERSION_FILE).write_text(version.dumps())
    tmp = base / f"{POINTER}.tmp"
    tmp.write_text(generation + "\n")
    os.replace(tmp, base / POINTER)
    _prune(base, keep=generation)


def catch_up(*, wait: bool = True) -> str | None:
    """Bring this host's index up to the database's content version; return its generation.

    Only the changed articles' documents (every language) are replaced, in a copy of the
    current generation; a change of "anything" (no slug), a generation without a version or
    an unreadable one gets a full rebuild. With `wait=False`, returns None at once when another
    process of this host is building (it will swap in its index; readers pick it up).
    """
    base = root()
    with _build_lock(base, wait=wait) as acquired:
        if not acquired:
            return None
        current = _current_generation(base)
        known = _read_version(base, current) if current else None
        if known is None or not _readable(base / current):
            what = "missing" if current is None else f"{current} unusable"
            log.warning("search index %s; rebuilding from the database", what)
            return _rebuild_locked(base, None, None)
        rows = _changes_after(known.floor)
        changes = [(i, slug) for i, slug, _ in rows if i not in known.seen]
        if not changes:
            return current
        if any(slug is None for _, slug in changes):
            return _rebuild_locked(base, None, known)
        slugs = sorted({slug for _, slug in changes})
        version = known.after([(i, at) for i, _, at in rows], utcnow())
        try:
            generation = _update(base, current, slugs)
        except Exception as exc:  # an unreadable generation is rebuilt from the database
            log.warning("search index %s not updatable (%s); rebuilding it", current, exc)
            return _rebuild_locked(base, None, known)
        _make_current(base, generation, version)
    log.info(
        "search index %s updated for %s (content version %d)",
        generation,
        ", ".join(slugs),
        version.number,
    )
    return generation


def _readable(path: Path) -> bool:
    try:
        ix = whoosh_index.open_dir(str(path))
        ix.reader().close()
    except Exception:  # whatever Whoosh raises for a damaged index
        return False
    return _current_format(ix.schema)


def _current_format(schema) -> bool:
    """Whether an index has this code's fields (one built before a schema change is rebuilt)."""
    return set(build_schema().names()) == set(schema.names())


def _write_vocabulary(path: Path, written: dict[str, Counter[str]]) -> None:
    """Save the typo vocabulary of the index in `path` (whose documents have the `written`
    words) next to it."""
    words = {code: {w: n for w, n in counts.items() if n > 0} for code, counts in written.items()}
    with whoosh_index.open_dir(str(path)).reader() as reader:
        data = Vocabulary.of(reader, words).dumps()
    (path / VOCABULARY_FILE).write_bytes(data)


def _written_words(current: Searcher) -> dict[str, dict[str, int]]:
    """The words as written of every document `current` searches (when the saved vocabulary
    is missing: a slow read of every stored document, once)."""
    written: dict[str, Counter[str]] = defaultdict(Counter)
    for stored in current.all_stored_fields():
        written[stored["lang"]].update(stored.get("surface", "").split())
    return {code: dict(counts) for code, counts in written.items()}


def _read_vocabulary(path: Path) -> Vocabulary | None:
    try:
        return Vocabulary.loads((path / VOCABULARY_FILE).read_bytes())
    except (OSError, ValueError, EOFError, KeyError, TypeError):
        return None


def _update(base: Path, current: str, slugs: list[str]) -> str:
    """A copy of generation `current` with the documents of `slugs` replaced."""
    generation, path = _new_generation(base)
    try:
        # Whoosh never changes a file it has written, so the copy is consistent while readers
        # keep using the original; the commit below writes and merges inside the copy only.
        shutil.copytree(
            base / current,
            path,
            ignore=shutil.ignore_patterns(VERSION_FILE, VOCABULARY_FILE),
            dirs_exist_ok=True,
        )
        known = _read_vocabulary(base / current)
        if known is None:
            raise ValueError("no typo vocabulary")
        written = defaultdict(Counter, {code: Counter(c) for code, c in known.written.items()})
        ix = whoosh_index.open_dir(str(path))
        with ix.searcher() as old:
            for slug in slugs:
                for docnum in old.document_numbers(slug=slug):
                    stored = old.stored_fields(docnum)
                    written[stored["lang"]].subtract(stored["surface"].split())
        with ix.writer(limitmb=64) as writer:
            for slug in slugs:
                writer.delete_by_term("slug", slug)
            for doc in documents(slugs):
                indexed = index_document(doc)
                writer.add_document(**indexed)
                written[indexed["lang"]].update(indexed["surface"].split())
        _write_vocabulary(path, written)
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return generation


def _prune(base: Path, keep: str) -> None:
    """Remove old generations; the previous one stays for workers still switching."""
    generations = sorted(p for p in base.glob("gen-*") if p.is_dir())
    for old in generations[:-KEEP_GENERATIONS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def _current_generation(base: Path) -> str | None:
    try:
        return (base / POINTER).read_text().strip() or None
    except FileNotFoundError:
        return None


def _read_version(base: Path, generation: str) -> Version | None:
    """What `generation` was built from; None for a generation that does not say (rebuild it)."""
    try:
        return Version.loads((base / generation / VERSION_FILE).read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _holder() -> _Holder:
    return current_app.extensions.setdefault("search_index", _Holder())


def cached(key: Hashable, compute: Callable[[Searcher], object]):
    """`compute(searcher)` over the current index, remembered per index generation.

    Players repeat the same few hundred questions; SEARCH_CACHE_SIZE answers are kept per
    process (0 turns this off).
    """
    current = searcher()
    holder = _holder()
    with holder.lock:
        answers = holder.answers if holder.searcher is current else None
        if answers is not None and key in answers:
            return answers[key]
    value = compute(current)
    if answers is not None:
        with holder.lock:
            answers[key] = value
    return value


def vocabulary(current: Searcher) -> Vocabulary:
    """The typo vocabulary of the generation `current` searches: the one saved with it, or
    (a generation without one) built from it once per process."""
    holder = _holder()
    with holder.lock:
        if holder.searcher is current and holder.vocabulary is not None:
            return holder.vocabulary
    built = Vocabulary.of(current.reader(), _written_words(current))
    with holder.lock:
        if holder.searcher is current:
            holder.vocabulary = built
    return built


@dataclass(frozen=True)
class Columns:
    """Per document number: its slug, language and title terms (set), read once per
    generation: a column reader costs a read of every document's offset each time it opens."""

    slugs: list[str]
    langs: list[str]
    titles: list[frozenset[str]]


def columns(current: Searcher) -> Columns:
    """The ranking columns of the generation `current` searches (read once per process)."""
    holder = _holder()
    with holder.lock:
        if holder.searcher is current and holder.columns is not None:
            return holder.columns
    reader = current.reader()
    titles = reader.column_reader("title_terms")
    read = Columns(
        slugs=list(reader.column_reader("slug")),
        langs=list(reader.column_reader("lang")),
        titles=[frozenset((value or b"").decode("utf-8").split()) for value in titles],
    )
    with holder.lock:
        if holder.searcher is current:
            holder.columns = read
    _out_of_the_collectors_way()
    return read


def priors() -> ranking.Priors:
    """The articles' priors, read again every ranking.REFRESH_SECONDS.

    A refresh starts a new answer cache: the cached answers were ranked with the old ones.
    """
    holder = _holder()
    now = time.monotonic()
    if holder.priors is not None and now - holder.priors_at < ranking.REFRESH_SECONDS:
        return holder.priors
    fresh = ranking.load()
    with holder.lock:
        holder.priors, holder.priors_at = fresh, now
        if holder.answers is not None:
            holder.answers.clear()
    return fresh


def searcher() -> Searcher:
    """This process's searcher over the current index, reopened when the index was swapped.

    Content changed in the database is indexed in the background (the caller gets the index
    as it is). Only when this host has no readable index at all is one built from the
    database first, with a log line.
    """
    holder = _holder()
    opened = _open_current(holder)
    if opened is None and holder.searcher is not None:
        # The new generation is damaged: answer from the one before while it is rebuilt.
        _start_building(holder)
        return holder.searcher
    if opened is None:
        base = root()
        unusable = _current_generation(base)
        with _build_lock(base):
            # Another worker may have built one while this one waited for the lock.
            if _current_generation(base) == unusable:
                what = "missing" if unusable is None else f"{unusable} unusable"
                log.warning("search index %s; rebuilding from the database", what)
                _rebuild_locked(base, None, None)
        holder.checked_at = 0.0
        opened = _open_current(holder)
        if opened is None:
            raise RuntimeError("the search index just built cannot be opened")
    _check_database(holder)
    return opened


def _open_current(holder: _Holder) -> Searcher | None:
    """The searcher over the generation CURRENT names (checked once a second); None if unusable."""
    now = time.monotonic()
    if holder.searcher is not None and now - holder.checked_at < CHECK_SECONDS:
        return holder.searcher
    with holder.lock:
        base = root()
        generation = _current_generation(base)
        if generation is not None and generation == holder.generation:
            holder.checked_at = now
            return holder.searcher
        if generation is None:  # a new host: its first build is on the way (and logged)
            holder.checked_at = now
            return None
        try:
            opened = whoosh_index.open_dir(str(base / generation)).searcher(weighting=WEIGHTING)
            if not _current_format(opened.schema):
                opened.close()
                raise ValueError("built with other fields (an older version)")
        except Exception as exc:  # any unreadable index is rebuilt, never a 500
            log.warning("search index %s unusable: %s", generation, exc)
            holder.checked_at = now
            return None
        if holder.previous is not None:
            holder.previous.close()
        holder.previous = holder.searcher
        holder.searcher, holder.generation = opened, generation
        holder.vocabulary = _read_vocabulary(base / generation)
        holder.columns = None
        holder.version = _read_version(base, generation)
        holder.checked_at = now
        size = current_app.config["SEARCH_CACHE_SIZE"]
        holder.answers = LRUCache(maxsize=size) if size > 0 else None
        _out_of_the_collectors_way()
        return opened


def _out_of_the_collectors_way() -> None:
    """Move what is loaded now (the vocabulary, columns) out of the cyclic garbage collector's
    reach: its full passes over these millions of objects cost a request 80-240 ms now and
    then (bench/search.py). They are freed by reference counting when replaced."""
    gc.freeze()


def _check_database(holder: _Holder, *, force: bool = False) -> bool:
    """Whether this host's index has every content change (asking at most every
    SEARCH_SYNC_SECONDS, unless `force`); when not, start catching up in the background."""
    now = time.monotonic()
    if not force and now - holder.synced_at < current_app.config["SEARCH_SYNC_SECONDS"]:
        return holder.is_ready
    with holder.lock:
        holder.synced_at = now
        version = holder.version
    if version is None:
        _start_building(holder)
        return False
    try:
        with db.engine.connect() as conn:
            count, highest = conn.execute(
                select(func.count(ContentChange.id), func.max(ContentChange.id)).where(
                    ContentChange.id > version.floor
                )
            ).one()
    except SQLAlchemyError as exc:  # keep answering from the index we have
        log.warning("search index: cannot read the content version (%s)", exc)
        return holder.is_ready
    if version.matches(count, highest):
        holder.is_ready = True
        return True
    _start_building(holder)
    return False


def catch_up_soon() -> None:
    """Start bringing this host's index up to date now, in the background."""
    _start_building(_holder())


def wait_for_builder(app: Flask, timeout: float = 60.0) -> None:
    """Wait until this process's background index build (if any) has finished."""
    holder = app.extensions.get("search_index")
    builder = holder.builder if holder is not None else None
    if builder is not None:
        builder.join(timeout)


def _start_building(holder: _Holder) -> None:
    """Catch up in a background thread, unless this process runs one already."""
    app = current_app._get_current_object()
    with holder.lock:
        if holder.builder is not None and holder.builder.is_alive():
            return
        holder.builder = threading.Thread(
            target=_build_in_background, args=(app, holder), name="search-index", daemon=True
        )
        holder.builder.start()


def _build_in_background(app: Flask, holder: _Holder) -> None:
    with app.app_context():
        try:
            if catch_up(wait=False) is not None:
                # Our own swap: reopen at the next request instead of within a second.
                holder.checked_at = 0.0
                holder.synced_at = float("-inf")
        except Exception:
            log.exception("search index: catching up with the database failed")
        finally:
            db.session.remove()


def readiness() -> str:
    """Whether this host can answer searches: "ok", or "building" while it cannot yet.

    "ok" once this host's index has reached the database's content version.

    A host without a readable index starts building one in the background; one that is
    behind starts catching up. Once ready, a process stays ready while it catches up with
    later changes (a few seconds), so a publish does not take hosts out of the balancer.
    """
    holder = _holder()
    if _open_current(holder) is None:
        _start_building(holder)
        return "building"
    if holder.is_ready:
        _check_database(holder)
        return "ok"
    return "ok" if _check_database(holder, force=True) else "building"
