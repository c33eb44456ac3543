"""Throughput and latency of the ticket pages and API next to a bare Flask baseline (`make bench`).

Set up as in bench/pages.py: the real app under gunicorn with production settings on a fresh data
directory (SQLite, or the PostgreSQL database given with --database-url) after `helpcenter db
upgrade` and `helpcenter content load content/`, with the API's rate limits raised so that they
do not answer the load with 429s. An API key is created with `helpcenter api-key create` and one
ticket is filed through the API; a bare Flask app (bench/bare_app.py) serves the bytes of that
ticket's private status page.

Measured in order, from a separate load process as in bench/pages.py: the bare page, the contact
form, the private status page, `POST /api/v1/tickets` (every request files a new ticket; 201 is
success), `GET /api/v1/tickets/<reference>` with its X-Ticket-Token, and the bare page again.

Then the database is checked in this process: one ticket per 201 answer plus the first one, no
reference twice, and exactly one "received" email in the outbox for each ticket.

    .venv/bin/python bench/tickets.py [--requests N] [--seconds S] [--concurrency C]
                                      [--workers W] [--database-url URL]

Exit status: 0 when every request got its expected status and the checks hold, 1 when any
request failed or any check did not hold, 2 when the benchmark could not be set up.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

from sqlalchemy import func, select

if __package__ in (None, ""):  # run as a script: make `bench` importable like helpcenter
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import (
    BenchError,
    Call,
    Result,
    Servers,
    _app_env,
    _baseline,
    _cli,
    _prepare_data,
    _send,
    guarded,
    measure_plan,
    parse_args,
    print_report,
    print_setup,
    report_failures,
)
from helpcenter import create_app
from helpcenter.extensions import db
from helpcenter.tickets.models import OutboxEmail, Ticket

CONTACT = "/az/contact"
TICKETS_API = "/api/v1/tickets"
TICKET_BODY = {
    "topic": "payments",
    "subject": "Deposit not credited",
    "description": "I paid 50 AZN by card an hour ago and my balance did not change.",
    "email": "bench@example.com",
    "language": "az",
    "channel": "email",
    "contact": None,
    "transaction_id": "TX-1",
    "player_id": None,
    "name": None,
}
# The API's limits count per key and per client address: every request of the load is one of both.
RAISED_LIMITS = {
    "HELPCENTER_API_RATE_LIMIT": "1000000 per minute",
    "HELPCENTER_API_READ_RATE_LIMIT": "1000000 per minute",
}
CREATE_LABEL = "api create"


def _create_api_key(env: dict) -> str:
    """Create the key named bench with the CLI, which prints it on stdout."""
    key = _cli(env, ["api-key", "create", "--name", "bench"]).strip()
    if not key:
        raise BenchError("`helpcenter api-key create` printed no key")
    return key


def _create_call(key: str) -> Call:
    return Call(
        TICKETS_API,
        method="POST",
        body=json.dumps(TICKET_BODY).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        expect=201,
    )


def _file_first_ticket(port: int, key: str) -> tuple[str, str]:
    """File one ticket through the API; return its reference and the path of its status page."""
    status, body = _send(port, _create_call(key))
    if status != 201:
        raise BenchError(f"filing the first ticket answered HTTP {status}: {body[:200]!r}")
    answer = json.loads(body)
    return answer["reference"], urlsplit(answer["status_url"]).path


def measure(
    args: argparse.Namespace, servers: Servers, key: str, ref: str, status_path: str
) -> list[Result]:
    """Measure the bare page, the ticket pages, the API calls and the bare page again, in order."""
    app_port, bare_port = servers.app_port, servers.bare_port
    token = status_path.rsplit("/", 1)[1]
    shown_status = status_path.removesuffix(token) + "<token>"
    plan = [
        ("bare (first)", bare_port, Call(status_path), shown_status),
        ("contact", app_port, Call(CONTACT), CONTACT),
        ("status", app_port, Call(status_path), shown_status),
        (CREATE_LABEL, app_port, _create_call(key), f"POST {TICKETS_API}"),
        (
            "api read",
            app_port,
            Call(f"{TICKETS_API}/{ref}", headers={"X-Ticket-Token": token}),
            f"GET {TICKETS_API}/<reference>",
        ),
        ("bare (last)", bare_port, Call(status_path), shown_status),
    ]
    return measure_plan(args, plan)


def _answered_201(row: Result) -> int:
    """How many tickets the create row filed: every request that did not fail got its 201."""
    return (row.requests - row.errors) + (row.warmup_requests - row.warmup_errors)


def check_tickets(env: dict, expected: int) -> list[tuple[str, bool]]:
    """Each fact about the tickets in the database, with whether it holds."""
    with mock.patch.dict(os.environ, env, clear=True):
        app = create_app()
    with app.app_context():
        tickets = db.session.scalar(select(func.count(Ticket.id)))
        references = db.session.scalar(select(func.count(func.distinct(Ticket.reference))))
        received = (
            select(OutboxEmail.ticket_id, func.count(OutboxEmail.id).label("emails"))
            .where(OutboxEmail.kind == "received")
            .group_by(OutboxEmail.ticket_id)
            .subquery()
        )
        wrong = db.session.scalar(
            select(func.count(Ticket.id))
            .outerjoin(received, received.c.ticket_id == Ticket.id)
            .where(func.coalesce(received.c.emails, 0) != 1)
        )
        db.session.remove()
        db.engine.dispose()
    return [
        (
            f"tickets in the database: {tickets} (expected 1 + {expected - 1} answers 201)",
            tickets == expected,
        ),
        (f"unique references: {references} of {tickets}", references == tickets),
        (f'tickets without exactly one "received" email in the outbox: {wrong}', wrong == 0),
    ]


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="helpcenter-bench-") as tmp:
        data_dir = Path(tmp)
        env = {**_app_env(data_dir, args.database_url), **RAISED_LIMITS}
        _prepare_data(env)
        key = _create_api_key(env)
        with Servers(args.workers, env, data_dir) as servers:
            servers.start_app()
            ref, status_path = _file_first_ticket(servers.app_port, key)
            page = servers.start_bare(status_path, "status page")
            results = measure(args, servers, key, ref, status_path)
        create = next(row for row in results if row.label == CREATE_LABEL)
        checks = check_tickets(env, 1 + _answered_201(create))

    baseline = _baseline(results[0], results[-1])
    print_setup("helpcenter ticket benchmark", args, servers)
    print(f"body:     status page {len(page)} bytes; the bare page serves the same bytes")
    limits = ", ".join(f'{name}="{value}"' for name, value in RAISED_LIMITS.items())
    print(f"limits:   raised for the load: {limits}")
    print()
    print_report(results, baseline)
    print()
    for fact, holds in checks:
        print(f"{'ok  ' if holds else 'FAIL'} {fact}")
    failed = report_failures(results)
    return 1 if failed or not all(holds for _, holds in checks) else 0


def main(argv: list[str] | None = None) -> int:
    return guarded(run, parse_args(argv, __doc__))


if __name__ == "__main__":
    sys.exit(main())
