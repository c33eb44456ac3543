"""`helpcenter worker`: the one background process, run next to the web servers.

It escalates tickets that missed their SLA targets (every WORKER_SLA_SECONDS), delivers the
outbox, ends the live chats whose player left while waiting (CHAT_ABANDON_MINUTES) and moves the
article views counted in Redis into the database (every WORKER_POLL_SECONDS), forgets expired
idempotency keys and used casino sign-in tokens, and once a day carries out the retention of
players' files and personal details (`privacy`). Each job is safe on several hosts at once:
conditional updates claim each escalation and email for one worker, each idle chat is ended
under its version by one worker, and view runs are recorded with the counts they add. A failing
job (the database or Redis down) is logged and retried with backoff while the others go on; the
process never gives up. SIGTERM and SIGINT stop it after the job in hand, with exit status 0.
"""

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import click
import redis
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from helpcenter.articles import services as articles
from helpcenter.chat import services as chat
from helpcenter.players import services as players
from helpcenter.privacy import services as privacy
from helpcenter.tickets import emails
from helpcenter.tickets import services as tickets

log = logging.getLogger(__name__)
BACKOFF_MAX_SECONDS = 60.0
# Redis for moving view counts: the worker can wait longer than a page view.
REDIS_TIMEOUT = 5.0
# How often the waiting worker looks whether it was asked to stop.
STOP_CHECK_SECONDS = 0.1


@dataclass
class Job:
    name: str
    every: float
    run: Callable[[], str | None]  # says what it did, or None when there was nothing to do
    due_at: float = 0.0
    failures: int = 0


class Worker:
    """Runs the jobs of one worker process in turn, each when it is due."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.stopping = False
        poll = float(app.config["WORKER_POLL_SECONDS"])
        self.poll = poll
        self.jobs = [
            Job("sla", float(app.config["WORKER_SLA_SECONDS"]), self._sla),
            Job("outbox", poll, self._outbox),
            Job("idle chats", poll, self._idle_chats),
            Job("idempotency keys", 3600.0, self._idempotency_keys),
            Job("sign-in tokens", 3600.0, self._sign_in_tokens),
            Job("retention", 86400.0, self._retention),
        ]
        with app.app_context():
            self.store = articles.view_counter(timeout=REDIS_TIMEOUT)
        if self.store is not None:
            self.jobs.append(Job("views", poll, self._views))

    def _sla(self) -> str | None:
        done = tickets.run_sla()
        if not (done.to_supervisor or done.to_investigation or done.closed):
            return None
        return (
            f"{done.to_supervisor} escalated to a supervisor, {done.to_investigation} to the "
            f"investigation team, {done.closed} closed"
        )

    def _outbox(self) -> str | None:
        done = emails.send_pending()
        if not (done.sent or done.failed):
            return None
        return f"{done.sent} sent, {done.failed} failed (retried later)"

    def _idle_chats(self) -> str | None:
        ended = chat.abandon_idle()
        return f"{ended} ended as abandoned (the player left while waiting)" if ended else None

    def _idempotency_keys(self) -> str | None:
        forgotten = tickets.forget_idempotency_keys()
        return f"{forgotten} expired forgotten" if forgotten else None

    def _sign_in_tokens(self) -> str | None:
        forgotten = players.forget_used_tokens()
        return f"{forgotten} expired forgotten" if forgotten else None

    def _retention(self) -> str | None:
        done = privacy.apply(privacy.plan())
        if not (done.files or done.tickets):
            return None
        return f"{done.files} files deleted ({done.bytes} bytes), {done.tickets} tickets anonymized"

    def _views(self) -> str | None:
        moved = articles.move_view_counts(self.store)
        return f"{moved} added to the articles" if moved else None

    def stop(self, signum: int, frame=None) -> None:
        if not self.stopping:
            log.info("%s: stopping after the job in hand", signal.Signals(signum).name)
        self.stopping = True

    def run_job(self, job: Job) -> bool:
        """Run `job` once in an app context of its own; False when it failed."""
        try:
            with self.app.app_context():
                said = job.run()
        except (SQLAlchemyError, redis.RedisError, OSError) as exc:
            self._failed(job, exc)
            return False
        except Exception as exc:
            log.exception("%s failed unexpectedly", job.name)
            self._failed(job, exc)
            return False
        if job.failures:
            log.info("%s: working again after %d failed tries", job.name, job.failures)
        job.failures = 0
        job.due_at = time.monotonic() + job.every
        if said:
            log.info("%s: %s", job.name, said)
        return True

    def _failed(self, job: Job, exc: Exception) -> None:
        job.failures += 1
        delay = min(BACKOFF_MAX_SECONDS, self.poll * 2 ** (job.failures - 1))
        job.due_at = time.monotonic() + delay
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        log.warning(
            "%s failed (%d in a row), next try in %.1f s: %s: %s",
            job.name,
            job.failures,
            delay,
            type(exc).__name__,
            reason[:300],
        )

    def run_once(self) -> bool:
        """Every job once; whether all of them succeeded."""
        return all([self.run_job(job) for job in self.jobs if not self.stopping])

    def run_forever(self) -> None:
        log.info(
            "worker started: %s (outbox without SMTP: %s/outbox)",
            ", ".join(f"{job.name} every {job.every:g} s" for job in self.jobs),
            self.app.config["DATA_DIR"],
        )
        while not self.stopping:
            for job in self.jobs:
                if self.stopping:
                    break
                if time.monotonic() >= job.due_at:
                    self.run_job(job)
            next_due = min(job.due_at for job in self.jobs)
            while not self.stopping and time.monotonic() < next_due:
                time.sleep(min(STOP_CHECK_SECONDS, max(0.0, next_due - time.monotonic())))
        log.info("worker stopped")


@click.command(
    "worker",
    help="Run the background jobs until SIGTERM or SIGINT: SLA escalations every "
    "HELPCENTER_WORKER_SLA_SECONDS (60), email delivery every HELPCENTER_WORKER_POLL_SECONDS (2), "
    "and with Redis the article view counts into the database. Safe to run on several hosts at "
    "once. Without HELPCENTER_SMTP_HOST, emails are written as .eml files into the outbox "
    "directory (<data dir>/outbox/) of the host whose worker sends them. Failures (the database "
    "or Redis down) are logged and retried with backoff; the worker never exits on them.",
)
@click.option(
    "--once",
    is_flag=True,
    help="Run every job once and exit: status 1 if one failed (for cron instead of a service).",
)
@with_appcontext
def worker(once: bool) -> None:
    app = current_app._get_current_object()
    runner = Worker(app)
    if once:
        if not runner.run_once():
            raise SystemExit(1)
        return
    signal.signal(signal.SIGTERM, runner.stop)
    signal.signal(signal.SIGINT, runner.stop)
    runner.run_forever()
