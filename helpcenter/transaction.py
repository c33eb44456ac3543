"""One unit of work, one commit: a change, its events, audit entry, emails and files land
together or not at all.

`unit_of_work()` (a context manager and a decorator) commits when the outermost unit ends and
rolls back when it raises. Units nest: a service is a unit on its own when a command or a test
calls it, and joins the caller's unit when a view wraps it with the audit entry of the staff
member who asked for it. Only the outermost unit commits, as Django's `atomic` does, but
without savepoints: a failure anywhere inside undoes the whole unit.

`after_commit(callback)` runs `callback` once the unit's transaction has committed (clear a
page cache, say) and `on_rollback(callback)` if it rolls back instead (discard a stored file).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session

from helpcenter.extensions import db

_DEPTH = "unit_of_work_depth"
_AFTER_COMMIT = "after_commit_callbacks"
_ON_ROLLBACK = "on_rollback_callbacks"


@contextmanager
def unit_of_work() -> Iterator[None]:
    session = db.session()
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth


def in_unit_of_work() -> bool:
    return db.session().info.get(_DEPTH, 0) > 0


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback` after the current transaction commits (never, if it rolls back)."""
    db.session().info.setdefault(_AFTER_COMMIT, []).append(callback)


def on_rollback(callback: Callable[[], object]) -> None:
    """Run `callback` if the current transaction rolls back (never, if it commits)."""
    db.session().info.setdefault(_ON_ROLLBACK, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    session.info.pop(_ON_ROLLBACK, None)
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _run_on_rollback(session: Session, previous_transaction) -> None:
    # Every rollback of the session, also one before any SQL was sent (a file stored, then
    # the form found wrong), but not a savepoint's.
    if previous_transaction.nested:
        return
    session.info.pop(_AFTER_COMMIT, None)
    for callback in session.info.pop(_ON_ROLLBACK, []):
        callback()
