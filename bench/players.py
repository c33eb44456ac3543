"""VIP priority and "My requests" at scale, next to the orderings they replaced (`make bench`).

Issue 17 put VIP tickets first in the staff queue and the chat inbox (an SQL CASE over the
levels of support.yml ahead of the deadline order) and lists a player's requests by the
casino-vouched player ID. This fills a fresh database (SQLite, or the PostgreSQL database given
with --database-url, emptied first) with --tickets open tickets (one in fifty VIP, spread over
the levels; one in a hundred of them a queued chat), every twentieth vouched for one of
--players players, and times, in this process, each read as the console and the player's page
run it (the real query functions), --repeat times, against its baseline in the same run:

- the operators' queue page (25 rows, nearest deadline first) with VIP first, against the same
  page ordered by deadline alone (the query before issue 17);
- the chat inbox's waiting list (50 chats) with VIP first (the order of `chat.queries.inbox`),
  against longest waiting alone;
- one player's "My requests" (20 of their requests, newest first), against the queue page's
  baseline query.

It prints the median and 95th percentile of each and the ratio to its baseline.

    .venv/bin/python bench/players.py [--tickets N] [--players P] [--repeat R]
                                      [--database-url URL]
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate
from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpcenter import create_app, support  # noqa: E402
from helpcenter.chat import queries as chat_queries  # noqa: E402
from helpcenter.chat import states as chat  # noqa: E402
from helpcenter.extensions import db  # noqa: E402
from helpcenter.players import queries as players  # noqa: E402
from helpcenter.staff import queries as staff  # noqa: E402
from helpcenter.tickets import states  # noqa: E402
from helpcenter.tickets.models import Ticket  # noqa: E402
from helpcenter.tickets.priority import vip_rank  # noqa: E402


def fill(tickets: int, player_count: int) -> None:
    """Insert the tickets in batches (Core inserts: the filing service is measured elsewhere)."""
    levels = support.current().vip_levels
    now = datetime.now(UTC)
    rng = random.Random(17)
    rows = []
    for n in range(tickets):
        filed = now - timedelta(minutes=rng.randint(0, 60 * 24 * 7))
        is_chat = n % 100 == 0
        rows.append(
            {
                "reference": f"HC-{n:08d}-X",
                "token_hash": f"{n:064d}",
                "topic": "payments",
                "urgency": "normal",
                "channel": chat.CHANNEL if is_chat else "email",
                "language": "en",
                "subject": f"Request {n}",
                "email": f"player{n % 5000}@example.com",
                "state": states.RECEIVED,
                "tier": states.OPERATOR,
                "created_at": filed,
                "updated_at": filed,
                "tier_since": filed,
                "first_response_due_at": filed + timedelta(minutes=rng.randint(5, 240)),
                "resolution_due_at": filed + timedelta(hours=48),
                "vip": levels[n % len(levels)] if levels and n % 50 == 0 else None,
                "verified_player_id": f"P-{n % player_count}" if n % 20 == 0 else None,
                "chat_state": chat.QUEUED if is_chat else None,
                "chat_queued_at": filed if is_chat else None,
            }
        )
        if len(rows) == 5000:
            db.session.execute(insert(Ticket), rows)
            rows = []
    if rows:
        db.session.execute(insert(Ticket), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE ticket"))
        db.session.commit()


def deadline_only_queue(filters: staff.Filters) -> list:
    """The operators' queue page as it was before VIP priority: its count, and the page nearest
    deadline first."""
    conditions = staff._conditions(filters, "")
    db.session.scalar(select(func.count(Ticket.id)).where(*conditions))
    due = staff._next_due().label("due_at")
    statement = (
        select(Ticket, due)
        .where(*conditions)
        .order_by(due.is_(None), due, Ticket.created_at.desc(), Ticket.id)
        .limit(staff.PER_PAGE)
    )
    return list(db.session.execute(statement))


def longest_waiting_only() -> list:
    """The inbox's waiting list as it was before VIP priority."""
    return list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.chat_state == chat.QUEUED)
            .order_by(Ticket.chat_queued_at, Ticket.id)
            .limit(chat_queries.INBOX_WAITING_SHOWN)
        )
    )


def timed(read, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        read()
        times.append(time.perf_counter() - start)
        db.session.rollback()  # no identity map carried over: each read as a request's
        db.session.expunge_all()
    return times


def summary(name: str, times: list[float], baseline: list[float] | None) -> str:
    median = statistics.median(times) * 1000
    p95 = statistics.quantiles(times, n=20)[-1] * 1000
    ratio = ""
    if baseline is not None:
        ratio = f"  x{median / (statistics.median(baseline) * 1000):.2f} of the baseline's median"
    return f"{name:<44} median {median:7.2f} ms  p95 {p95:7.2f} ms{ratio}"


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as data_dir:
        url = args.database_url or f"sqlite:///{data_dir}/bench.db"
        app = create_app({"DATABASE_URL": url, "DATA_DIR": data_dir})
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
            flask_migrate.upgrade()
            started = time.perf_counter()
            fill(args.tickets, args.players)
            count = db.session.scalar(select(func.count(Ticket.id)))
            print(
                f"{count} open tickets on {db.engine.dialect.name} in "
                f"{time.perf_counter() - started:.1f} s; {args.repeat} reads each"
            )
            filters = staff.Filters(tier=states.OPERATOR)
            with app.test_request_context():
                queue_base = timed(lambda: deadline_only_queue(filters), args.repeat)
                queue_vip = timed(lambda: staff.queue(filters, me=""), args.repeat)
                page = staff.queue(filters, me="")
                vip_first = [row.reference for row in page.rows[:3]]
                inbox_base = timed(longest_waiting_only, args.repeat)
                inbox_vip = timed(
                    lambda: db.session.scalars(
                        select(Ticket)
                        .where(Ticket.chat_state == chat.QUEUED)
                        .order_by(vip_rank(support.current().vip), Ticket.chat_queued_at, Ticket.id)
                        .limit(chat_queries.INBOX_WAITING_SHOWN)
                    ).all(),
                    args.repeat,
                )
                mine = timed(lambda: players.requests_of("P-7", limit=20), args.repeat)
            print(summary("queue page, deadline only (baseline)", queue_base, None))
            print(summary("queue page, VIP first", queue_vip, queue_base))
            print(summary("chat inbox waiting, longest first (baseline)", inbox_base, None))
            print(summary("chat inbox waiting, VIP first", inbox_vip, inbox_base))
            print(summary("My requests of one player (20 newest)", mine, queue_base))
            rows = db.session.scalars(select(Ticket.vip).where(Ticket.reference.in_(vip_first)))
            print(f"first rows of the VIP-first queue: {sorted(set(rows), key=str)}")
            db.session.remove()
            db.engine.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--players", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--database-url", default="")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
