"""Search use cases: answering and recording a query, recording the opened result, keeping the
index in step with published content."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_request_context
from sqlalchemy import case, event, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.search import index, queries
from helpcenter.search.azerbaijani import fold_case
from helpcenter.search.models import ContentChange, SearchLog

log = logging.getLogger(__name__)


def search(
    *, text: str, lang: str, page: int = 1, per_page: int = 10, record: bool = True
) -> tuple[queries.Results, int | None]:
    """Search the knowledge base and record the search; returns the results and the log id.

    A broken index is rebuilt, never an error for the player; a failed log write is logged
    and does not cost the player the results.
    """
    results = queries.search(text, lang, page=page, per_page=per_page)
    if not record or not results.query or page > 1:
        return results, None
    return results, _record(results, lang)


def record_after_response(response, results: queries.Results, lang: str) -> None:
    """Record a search once `response` has been sent: for the API, whose callers need no log
    id, so the write (and its commit) adds nothing to the time they wait."""
    if not results.query or results.page > 1:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def write() -> None:
        with app.app_context():
            _record(results, lang)

    response.call_on_close(write)


def _record(results: queries.Results, lang: str) -> int | None:
    # One INSERT ... RETURNING, not the ORM's unit of work: every search writes a row, and
    # the object bookkeeping cost more than the search itself.
    row = {"query": fold_case(results.query), "lang": lang, "result_count": results.total}
    try:
        log_id = db.session.execute(
            insert(SearchLog).values(created_at=utcnow(), **row).returning(SearchLog.id)
        ).scalar_one()
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not record search %r", results.query)
        return None
    return log_id


def record_opened(*, log_id: int, slug: str, rank: int) -> None:
    """Remember which result of a recorded search the player opened (the first one counts)."""
    entry = db.session.get(SearchLog, log_id)
    if entry is None or entry.opened_slug is not None:
        return
    entry.opened_slug, entry.opened_rank = slug[:80], rank
    db.session.commit()


@dataclass(frozen=True)
class QueryStats:
    query: str
    lang: str
    searches: int
    avg_results: float
    opened: int


def report(*, days: int, limit: int) -> tuple[list[QueryStats], list[QueryStats]]:
    """Top queries and the queries that found nothing, over the last `days` days."""
    since = utcnow() - timedelta(days=days)
    base = (
        select(
            SearchLog.query,
            SearchLog.lang,
            func.count(SearchLog.id),
            func.avg(SearchLog.result_count),
            func.sum(case((SearchLog.opened_slug.is_not(None), 1), else_=0)),
        )
        .where(SearchLog.created_at >= since)
        .group_by(SearchLog.query, SearchLog.lang)
        .order_by(func.count(SearchLog.id).desc(), SearchLog.query)
        .limit(limit)
    )

    def rows(stmt):
        return [
            QueryStats(query, lang, count, float(avg or 0), int(opened or 0))
            for query, lang, count, avg, opened in db.session.execute(stmt)
        ]

    top = rows(base)
    empty = rows(base.having(func.max(SearchLog.result_count) == 0))
    return top, empty


def record_change(*, article_slug: str | None) -> None:
    """Note a change of published content in the caller's transaction (it commits).

    `article_slug` names the one article whose text or visibility changed; None means anything
    may have changed. Every host's index catches up within seconds; the host that made the
    change starts at once, when the transaction commits.
    """
    db.session.add(ContentChange(article_slug=article_slug))
    db.session.info[_CHANGED] = True


_CHANGED = "search_content_changed"


@event.listens_for(Session, "after_commit")
def _catch_up_after_commit(session: Session) -> None:
    # In a request (an editor publishing): this host's index catches up now, in the
    # background, instead of at its next check. Commands rebuild the index themselves.
    if session.info.pop(_CHANGED, False) and has_request_context():
        index.catch_up_soon()


@event.listens_for(Session, "after_rollback")
def _forget_change(session: Session) -> None:
    session.info.pop(_CHANGED, None)


@dataclass(frozen=True)
class IndexStatus:
    generation: str | None
    indexed_version: int | None
    content_version: int


def index_status() -> IndexStatus:
    """This host's index (None: none yet) and the content versions it has and should have."""
    generation, indexed = index.indexed_version()
    return IndexStatus(generation, indexed, index.database_version())


def reindex() -> str:
    """Rebuild the whole index from the database and make it current; returns its name."""
    return index.rebuild()


def readiness() -> str:
    """Whether this host can answer searches: "ok", or "building" (and building started)."""
    return index.readiness()
