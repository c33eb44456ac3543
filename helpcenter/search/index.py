"""The search index's life: built aside, swapped atomically, reopened by every worker.

Each build goes into a new directory under <data dir>/search/ and a one-line pointer file,
CURRENT, is replaced atomically (os.replace) to name it, so readers never see a half-built
index. Every process checks the pointer at most once a second and reopens when it changed.
The database stays the source of truth: a missing or corrupt index is rebuilt from it.
"""

import fcntl
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nh3
from cachetools import LRUCache
from flask import Flask, current_app
from sqlalchemy import select
from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from helpcenter.articles.models import Article, ArticleTranslation, Category
from helpcenter.extensions import db
from helpcenter.search.analysis import build_schema, field_name

log = logging.getLogger(__name__)
POINTER = "CURRENT"
CHECK_SECONDS = 1.0
KEEP_GENERATIONS = 2
SNIPPET_CHARS = 1200


@dataclass
class _Holder:
    lock: threading.Lock = field(default_factory=threading.Lock)
    generation: str | None = None
    searcher: Searcher | None = None
    # Kept open one swap longer: a request in another thread may still be reading it.
    previous: Searcher | None = None
    checked_at: float = 0.0
    # Answers computed from the current generation only: a swap starts a new cache, so a
    # new or changed article is never hidden behind a cached answer.
    answers: LRUCache | None = None


def root(app: Flask | None = None) -> Path:
    app = app or current_app
    return Path(app.config["DATA_DIR"]) / "search"


def documents():
    """One document per published article translation, from the database."""
    rows = db.session.execute(
        select(ArticleTranslation, Article.slug, Article.position, Category.slug)
        .join(Article, ArticleTranslation.article_id == Article.id)
        .join(Category, Article.category_id == Category.id)
        .where(Article.is_published, Category.is_published)
    )
    for tr, slug, position, category in rows:
        text = re.sub(r"\s+", " ", nh3.clean(tr.body_html, tags=set())).strip()
        tags = " ".join(tr.tags)
        yield {
            "key": f"{slug}:{tr.lang}",
            "slug": slug,
            "category": category,
            "lang": tr.lang,
            "title": tr.title,
            "summary": tr.summary,
            "snippet": text[:SNIPPET_CHARS],
            "position": position,
            field_name("title", tr.lang): tr.title,
            field_name("tags", tr.lang): tags,
            field_name("summary", tr.lang): tr.summary,
            field_name("body", tr.lang): text,
            f"words_{tr.lang}": " ".join((tr.title, tags, tr.summary, text)),
        }


@contextmanager
def _build_lock(path: Path):
    """One builder at a time across processes (Whoosh allows one writer per index)."""
    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def rebuild(docs=None) -> str:
    """Build a complete new index from the database (or `docs`) and make it current."""
    base = root()
    with _build_lock(base):
        generation = f"gen-{time.time_ns()}"
        path = base / generation
        path.mkdir()
        ix = whoosh_index.create_in(str(path), build_schema())
        count = 0
        with ix.writer(limitmb=256) as writer:
            for doc in documents() if docs is None else docs:
                writer.add_document(**doc)
                count += 1
        tmp = base / f"{POINTER}.tmp"
        tmp.write_text(generation + "\n")
        os.replace(tmp, base / POINTER)
        _prune(base, keep=generation)
    log.info("search index %s built with %d documents", generation, count)
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


def searcher() -> Searcher:
    """This process's searcher over the current index, reopened when the index was swapped.

    A missing or unreadable index is rebuilt from the database first, with a log line.
    """
    holder = _holder()
    now = time.monotonic()
    if holder.searcher is not None and now - holder.checked_at < CHECK_SECONDS:
        return holder.searcher
    with holder.lock:
        holder.checked_at = now
        base = root()
        generation = _current_generation(base)
        if generation is not None and generation == holder.generation:
            return holder.searcher
        try:
            if generation is None:
                raise FileNotFoundError("no search index yet")
            opened = whoosh_index.open_dir(str(base / generation)).searcher()
        except Exception as exc:  # any unreadable index is rebuilt, never a 500
            log.warning(
                "search index %s unusable (%s); rebuilding from the database", generation, exc
            )
            generation = rebuild()
            opened = whoosh_index.open_dir(str(base / generation)).searcher()
        if holder.previous is not None:
            holder.previous.close()
        holder.previous = holder.searcher
        holder.searcher, holder.generation = opened, generation
        size = current_app.config["SEARCH_CACHE_SIZE"]
        holder.answers = LRUCache(maxsize=size) if size > 0 else None
        return opened
