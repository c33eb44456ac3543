"""Issue 11: 200 API filings retried through gunicorn worker crashes file each request once.

The app runs under gunicorn on PostgreSQL; a pool of clients files 200 tickets, each with its
own Idempotency-Key, retrying on any broken connection or 5xx until it gets its 201, while the
test kills a worker with SIGKILL a few times. A request whose worker died before the commit is
filed by its retry; one whose answer was lost after the commit gets the first answer again.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpcenter.extensions import db
from helpcenter.tickets import services
from helpcenter.tickets.models import IdempotentRequest, OutboxEmail, Ticket

FILINGS = 200
CLIENTS = 16
KILL_AFTER = (40, 90, 140)  # filings answered before each SIGKILL of a worker
DEADLINE_SECONDS = 90
BODY = {
    "topic": "payments",
    "subject": "Deposit not credited",
    "description": "I paid 50 AZN by card an hour ago and my balance did not change.",
    "email": "retry@example.com",
    "language": "en",
    "channel": "email",
    "transaction_id": "TX-1",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """The app under gunicorn, 2 gthread workers, on a free port; `workers()` lists their ids."""

    def __init__(self, database_url: str, data_dir: Path, log: Path):
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELPCENTER_")}
        env |= {
            "HELPCENTER_DATA_DIR": str(data_dir),
            "HELPCENTER_DATABASE_URL": database_url,
            "HELPCENTER_API_RATE_LIMIT": "100000 per minute",
        }
        command = [sys.executable, "-m", "gunicorn", "--workers", "2"]
        command += ["--worker-class", "gthread", "--threads", "4", "--no-control-socket"]
        command += ["--bind", f"127.0.0.1:{self.port}", "helpcenter:create_app()"]
        self.log = log.open("wb")
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=self.log)

    def workers(self) -> list[int]:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def wait_ready(self, deadline: float) -> None:
        while True:
            try:
                if self.request("GET", "/api/v1/tickets/HC-0", None, {})[0] == 404:
                    return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
            time.sleep(0.1)  # polling a starting server, bounded by the deadline

    def request(self, method: str, path: str, body: bytes | None, headers: dict):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.headers), response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class Load:
    """The clients: each files one request, retrying until it is answered 201."""

    def __init__(self, server: Gunicorn, api_key: str, deadline: float):
        self.server, self.deadline = server, deadline
        self.headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.answered = 0
        self.failed = 0
        self.retries = 0
        self.replays = 0
        self.progress = threading.Condition()

    def file(self, number: int) -> dict:
        try:
            return self._file(number)
        except BaseException:
            with self.progress:
                self.failed += 1
                self.progress.notify_all()
            raise

    def _file(self, number: int) -> dict:
        body = json.dumps({**BODY, "subject": f"Deposit {number} not credited"}).encode()
        headers = {**self.headers, "Idempotency-Key": f"load-{number:04d}"}
        while True:
            assert time.monotonic() < self.deadline, f"filing {number} was never answered"
            try:
                status, answer_headers, answer = self.server.request(
                    "POST", "/api/v1/tickets", body, headers
                )
            except (OSError, http.client.HTTPException):
                status = None
            if status in (200, 201):
                break
            assert status is None or status >= 500 or status == 409, (status, answer)
            with self.progress:
                self.retries += 1
        with self.progress:
            self.answered += 1
            self.replays += answer_headers.get("Idempotent-Replayed") == "true"
            self.progress.notify_all()
        return json.loads(answer)

    def wait_for(self, answered: int) -> None:
        with self.progress:
            reached = self.progress.wait_for(
                lambda: self.answered >= answered or self.failed,
                timeout=self.deadline - time.monotonic(),
            )
        assert reached and not self.failed, f"{self.answered} answered, {self.failed} failed"


@pytest.fixture
def postgresql(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the crash test needs PostgreSQL (several processes write at once)")


def test_filings_retried_through_worker_crashes_are_filed_once(postgresql, app, tmp_path):
    with app.app_context():
        api_key = services.create_api_key("load")
    started = time.monotonic()
    deadline = started + DEADLINE_SECONDS
    server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "web", tmp_path / "log")
    try:
        server.wait_ready(deadline)
        ready = time.monotonic() - started
        load = Load(server, api_key, deadline)
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = pool.map(load.file, range(FILINGS))
            killed = []
            for count in KILL_AFTER:
                load.wait_for(count)
                victim = next(pid for pid in server.workers() if pid not in killed)
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
            answers = list(answers)
        assert server.process.poll() is None
    finally:
        server.stop()
    elapsed = time.monotonic() - started
    print(
        f"\ngunicorn ready in {ready:.1f} s; {FILINGS} filings in {elapsed - ready:.1f} s with "
        f"{len(killed)} workers killed: {load.retries} retries, {load.replays} answered by a replay"
    )
    # The kills broke requests in flight: the retries are what this test is about.
    assert load.retries > 0
    with app.app_context():
        tickets = db.session.execute(select(Ticket.id, Ticket.reference)).all()
        keys = db.session.execute(select(IdempotentRequest.key, IdempotentRequest.ticket_id)).all()
        emails = db.session.execute(
            select(OutboxEmail.ticket_id, func.count(OutboxEmail.id))
            .where(OutboxEmail.kind == "received")
            .group_by(OutboxEmail.ticket_id)
        ).all()
    assert len(tickets) == len({key for key, _ in keys}) == FILINGS
    assert {ticket_id for _, ticket_id in keys} == {ticket_id for ticket_id, _ in tickets}
    assert sorted(emails) == sorted((ticket_id, 1) for ticket_id, _ in tickets)
    # Every client holds the reference of the one ticket its request filed.
    assert sorted(answer["reference"] for answer in answers) == sorted(r for _, r in tickets)
