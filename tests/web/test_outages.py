"""Outages are answered, not crashed: the database or Redis stops under the running app.

The database is a throwaway PostgreSQL cluster of this test run (never the machine's), stopped
and started again under one app; Redis is a redis-server of the test's own, killed mid-test.
"""

import logging
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import flask_migrate
import pytest
import redis
from sqlalchemy import func, select

from helpcenter import create_app, ratelimit
from helpcenter.articles import services as articles
from helpcenter.extensions import db
from helpcenter.tickets.models import Ticket
from tests.conftest import CONTENT_DIR, csrf_token, eventually, skip_without_redis
from tests.contact.conftest import FORM, Player, file_ticket, post_multipart, text

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ARTICLE = "/en/deposits-withdrawals/withdrawal-times/"
UNAVAILABLE = {
    "az": "Yardım mərkəzi qısa müddətə əlçatan deyil",
    "ru": "Центр помощи временно недоступен",
    "en": "The help center is briefly unavailable",
}
FORM_KEPT = {
    "en": "Your request has not been sent yet",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A PostgreSQL 15 cluster in a temporary directory, run as the postgres user under root."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "start", "-w")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "stop", "-m", "immediate", "-w")


@pytest.fixture(scope="session")
def cluster():
    if not (PG_BIN / "initdb").exists():
        if os.environ.get("HELPCENTER_REQUIRE_POSTGRES", "") not in ("", "0"):
            pytest.fail(f"HELPCENTER_REQUIRE_POSTGRES is set but {PG_BIN} has no initdb")
        pytest.skip(f"PostgreSQL 15 binaries not found in {PG_BIN}")
    root = Path(tempfile.mkdtemp(prefix="hc-outage-pg-"))
    cluster = Cluster(root)
    try:
        cluster.create()
        cluster.start()
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def outage_app(cluster, tmp_path_factory):
    """One app for the whole outage: it is never rebuilt, so recovery needs no restart."""
    app = create_app(
        {"DATABASE_URL": cluster.url, "DATA_DIR": str(tmp_path_factory.mktemp("outage"))}
    )
    with app.app_context():
        flask_migrate.upgrade()
        articles.load_content(directory=CONTENT_DIR)
    yield app
    with app.app_context():
        db.engine.dispose()


def _tickets(app) -> int:
    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(Ticket))
        finally:
            db.session.remove()


def _reply(client, path: str, body: str):
    token = csrf_token(text(client.get(path)))
    return post_multipart(client, path + "/reply", {"reply-csrf_token": token, "reply-body": body})


def test_while_the_database_is_down_players_get_answers_and_then_everything_works(
    outage_app, cluster
):
    app = outage_app
    client = app.test_client()
    player = Player(client)
    with app.test_request_context():
        access = file_ticket().token
        db.session.remove()
    status_path = f"/en/status/{access}"
    warm = client.get(ARTICLE)
    assert warm.status_code == 200
    title = re.search(r"<h1[^>]*>(.*?)</h1>", text(warm)).group(1)
    home = text(client.get("/az/"))
    # A new host builds its search index in the background: wait for the first results.
    eventually(
        lambda: "/en/search/opened/" in text(client.get("/en/search?q=withdrawal")),
        seconds=10,
        what="search results",
    )
    results = text(client.get("/en/search?q=withdrawal"))
    result = re.search(r'href="(/en/search/opened/[^"]+)"', results).group(1)
    contact_token = player.token()
    status_path = client.get(status_path).headers["Location"]  # the private link, opened
    reply_token = csrf_token(text(client.get(status_path)))
    filed_before = _tickets(app)

    cluster.stop()
    try:
        # The page read before the outage is served as it was, with a token that works later.
        stale = client.get(ARTICLE)
        assert stale.status_code == 200
        assert title in text(stale)
        assert "Was this article helpful?" in text(stale)
        assert client.get("/az/").status_code == 200
        assert re.sub(r'value="[^"]+"', "", text(client.get("/az/"))) == re.sub(
            r'value="[^"]+"', "", home
        )

        # Search runs on the index; only its log is lost. A result clicked on a page from
        # before is not counted but still leads to the article.
        found = client.get("/en/search?q=withdrawal")
        assert found.status_code == 200
        assert 'href="/en/deposits-withdrawals/withdrawal-times/"' in text(found)
        click = client.get(result)
        assert click.status_code == 302
        assert click.headers["Location"] == "/en/" + result.split("/", 6)[6]

        for lang, words in UNAVAILABLE.items():
            page = client.get(f"/{lang}/responsible-gaming/")
            assert page.status_code == 503
            assert page.headers["Retry-After"] == "30"
            assert f'<html lang="{lang}">' in text(page)
            assert words in text(page)
            # A person is still reachable by phone and messengers while the site recovers.
            assert 'href="tel:+994120000000"' in text(page)

        api = client.get(f"/api/v1/tickets/{access}", headers={"X-Ticket-Token": access})
        assert api.status_code == 503
        assert api.headers["Retry-After"] == "30"
        assert api.is_json and set(api.get_json()) == {"error"}

        description = "Nothing arrived on my card during the outage, 300 AZN, please check."
        sent = player.contact(csrf=contact_token, description=description)
        assert sent.status_code == 503
        assert sent.headers["Retry-After"] == "30"
        assert description in text(sent)
        assert FORM_KEPT["en"] in text(sent)
        assert f'value="{FORM["subject"]}"' in text(sent)

        answer = "The Visa ending in 4242, sent during the outage."
        replied = post_multipart(
            client,
            status_path + "/reply",
            {"reply-csrf_token": reply_token, "reply-body": answer},
        )
        assert replied.status_code == 503
        assert answer in text(replied)
        assert "Your message has not been sent yet" in text(replied)

        started = time.monotonic()
        health = client.get("/healthz")
        health_seconds = time.monotonic() - started
        assert health.status_code == 503
        assert health.get_json()["database"] == "unreachable"
        assert health_seconds < 3
    finally:
        cluster.start()

    # The same app, not rebuilt: the next request reaches the database again.
    # (The health check may still wait for the search index; the database part is back.)
    assert client.get("/healthz").get_json()["database"] == "ok"
    assert client.get("/ru/responsible-gaming/").status_code == 200
    assert client.get(f"/api/v1/tickets/{access}", headers={"X-Ticket-Token": access}).is_json
    assert _tickets(app) == filed_before
    assert player.contact(csrf=player.token(), description=description).status_code == 303
    assert _tickets(app) == filed_before + 1
    assert _reply(client, status_path, answer).status_code == 303
    assert answer in text(client.get(status_path))


def test_a_database_server_that_never_answers_costs_the_connect_timeout(tmp_path):
    """A host that accepts connections and then says nothing (a hung server, a half-open
    network) must not hold the worker: the connection attempt gives up and players get a 503."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        app = create_app(
            {
                "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/postgres",
                "DATA_DIR": str(tmp_path),
                "DATABASE_CONNECT_TIMEOUT": 2,  # libpq's smallest
            }
        )
        answers = []
        started = time.monotonic()
        request = threading.Thread(
            target=lambda: answers.append(app.test_client().get("/en/responsible-gaming/")),
            daemon=True,
        )
        request.start()
        request.join(timeout=15)
        assert answers, "the request still waits for the database after 15 s"
        assert answers[0].status_code == 503
        assert answers[0].headers["Retry-After"] == "30"
        assert time.monotonic() - started < 10
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def redis_port(tmp_path):
    executable = shutil.which("redis-server")
    if executable is None:
        skip_without_redis("redis-server is not installed")
    port = _free_port()
    options = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = subprocess.Popen(
        [executable, *options, "--dir", str(tmp_path)], stdout=subprocess.DEVNULL
    )
    probe = redis.Redis(port=port, socket_timeout=0.5)

    def answers() -> bool:
        try:
            return probe.ping()
        except redis.ConnectionError:
            return False

    try:
        eventually(answers, seconds=10, what="redis-server started")
        yield port, server
    finally:
        probe.close()
        server.kill()
        server.wait()


def _vote(client, token: str):
    return client.post(ARTICLE + "vote", data={"csrf_token": token, "helpful": "yes"})


def test_rate_limits_let_requests_through_when_redis_is_down(loaded, redis_port, caplog):
    port, server = redis_port
    loaded.config["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{port}"
    loaded.config["VOTE_RATE_LIMIT"] = "1 per minute"
    ratelimit.init_app(loaded)
    client = loaded.test_client()
    token = csrf_token(text(client.get(ARTICLE)))
    assert _vote(client, token).status_code == 303
    assert _vote(client, token).status_code == 429  # counted in Redis

    server.kill()
    server.wait()
    caplog.set_level(logging.WARNING, logger="helpcenter.ratelimit")
    assert _vote(client, token).status_code == 303
    assert _vote(client, token).status_code == 303
    assert Player(client).contact().status_code == 303
    said = [r for r in caplog.records if r.name == "helpcenter.ratelimit"]
    assert len(said) == 1
    assert "letting requests through" in said[0].getMessage()
