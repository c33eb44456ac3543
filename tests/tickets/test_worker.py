"""`helpcenter worker` as real processes: two at once on one database, outages, stopping."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import flask_migrate
from sqlalchemy import func, select

from helpcenter.extensions import db
from helpcenter.tickets import services
from helpcenter.tickets.models import OutboxEmail, Ticket, TicketEvent
from tests.conftest import eventually, make_app

HELPCENTER = Path(sys.executable).parent / "helpcenter"
# Long past: every ticket filed then has missed its first-response target now.
FILED_AT = datetime(2026, 1, 14, 8, 0, tzinfo=UTC)
DEADLINE = 30.0


def wait_for(condition: Callable[[], object], what: str, *workers: "WorkerProcess"):
    """Poll `condition` until it is truthy (and return it); fail after DEADLINE seconds, with
    the workers' logs."""
    return eventually(
        condition, DEADLINE, what, details=lambda: "\n".join(worker.log for worker in workers)
    )


class WorkerProcess:
    """`helpcenter worker` in a process of its own, with its own data directory (a host)."""

    def __init__(self, database_url: str, data_dir: Path, **settings):
        self.data_dir = data_dir
        self.log_path = data_dir.parent / f"{data_dir.name}-worker.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELPCENTER_")}
        env.update(
            HELPCENTER_DATABASE_URL=database_url,
            HELPCENTER_DATA_DIR=str(data_dir),
            HELPCENTER_WORKER_POLL_SECONDS="0.1",
            **{f"HELPCENTER_{key}": str(value) for key, value in settings.items()},
        )
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(HELPCENTER), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10.0) -> float:
        """Send `signum`, wait for the exit, return the seconds it took; fail on a non-0 exit."""
        started = time.monotonic()
        self.process.send_signal(signum)
        code = self.process.wait(timeout=timeout)
        assert code == 0, self.log
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def new_ticket(number: int) -> services.NewTicket:
    return services.NewTicket(
        topic="payments",
        subject=f"Withdrawal {number} not received",
        description="I withdrew 200 AZN three days ago and nothing arrived on my card.",
        email=f"player{number}@example.com",
        language="az",
        channel="email",
        contact="",
        transaction_id=f"TX-{number}",
    )


def _outbox_files(*workers: WorkerProcess) -> list[str]:
    return [p.name for w in workers for p in (w.data_dir / "outbox").glob("*.eml")]


def test_two_workers_escalate_each_ticket_once_and_send_each_email_once(app, tmp_path):
    with app.test_request_context():
        ids = [services.file_ticket(new_ticket(n), now=FILED_AT).ticket.id for n in range(20)]
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    workers = [WorkerProcess(url, tmp_path / "host-a"), WorkerProcess(url, tmp_path / "host-b")]
    try:

        def state():
            with app.app_context():
                db.session.remove()
                tiers = db.session.scalars(select(Ticket.tier).where(Ticket.id.in_(ids))).all()
                unsent = db.session.scalar(
                    select(func.count(OutboxEmail.id)).where(OutboxEmail.sent_at.is_(None))
                )
            return set(tiers) == {"supervisor"} and unsent == 0

        wait_for(state, "every ticket escalated and every acknowledgement sent", *workers)
        # On a busy machine one worker may have done all the work while the other was still
        # starting: signals are only handled once it has started.
        for worker in workers:
            wait_for(lambda w=worker: "worker started" in w.log, "the worker started", worker)
        # SIGTERM and SIGINT alike: the job in hand is finished, then a clean exit.
        assert workers[0].stop(signal.SIGTERM) < 5
        assert workers[1].stop(signal.SIGINT) < 5
    finally:
        for worker in workers:
            worker.kill()
    with app.app_context():
        escalations = db.session.scalars(
            select(TicketEvent.ticket_id).where(TicketEvent.type == "escalated_automatically")
        ).all()
        emails = db.session.scalars(select(OutboxEmail.id)).all()
    assert sorted(escalations) == sorted(ids)
    # Each acknowledgement was written once, into the outbox of the host that sent it.
    files = _outbox_files(*workers)
    assert sorted(files) == sorted(f"{i:08d}-received.eml" for i in emails)
    logs = [worker.log for worker in workers]
    said = [int(n) for log in logs for n in re.findall(r"sla: (\d+) escalated", log)]
    assert sum(said) == 20
    sent = [int(n) for log in logs for n in re.findall(r"outbox: (\d+) sent", log)]
    assert sum(sent) == 20
    assert all("worker stopped" in log for log in logs)


def test_the_worker_survives_outages_and_recovers_without_restart(tmp_path):
    # The database cannot be opened yet: its directory does not exist. Redis is down throughout.
    url = f"sqlite:///{tmp_path / 'not-yet' / 'helpcenter.db'}"
    worker = WorkerProcess(url, tmp_path / "host", REDIS_URL="redis://127.0.0.1:1/0")
    try:
        wait_for(lambda: "outbox failed (3 in a row)" in worker.log, "three failed tries", worker)
        assert worker.process.poll() is None
        assert re.search(r"next try in 0\.4 s: OperationalError", worker.log)
        (tmp_path / "not-yet").mkdir()
        app = make_app(url, tmp_path / "web")
        with app.app_context():
            flask_migrate.upgrade()
        with app.test_request_context():
            services.file_ticket(new_ticket(1), now=FILED_AT)
            db.engine.dispose()
        wait_for(lambda: "outbox: 1 sent" in worker.log, "the email sent after recovery", worker)
        assert len(_outbox_files(worker)) == 1
        # The jobs that can work again do, while the one that needs Redis keeps trying.
        assert "outbox: working again" in worker.log
        assert re.search(
            r"views failed \(\d+ in a row\), next try in [\d.]+ s: Connection", worker.log
        )
        assert worker.stop() < 5
    finally:
        worker.kill()


def test_worker_once_runs_every_job_and_exits(app, runner):
    with app.test_request_context():
        services.file_ticket(new_ticket(1), now=FILED_AT)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.tier == "supervisor"
        assert db.session.scalar(select(OutboxEmail.sent_at)) is not None
    assert len(list((Path(app.config["DATA_DIR"]) / "outbox").glob("*.eml"))) == 1
