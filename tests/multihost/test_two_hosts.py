"""Two hosts as separate processes: own data directories, one PostgreSQL, one Redis.

What a player on host B sees after an editor publishes and unpublishes through host A's
editors' workspace, a player's file sent to A that staff download on B, and rate limits that
count across hosts.
"""

import http.cookiejar
import io
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest
from PIL import Image
from sqlalchemy import select

from helpcenter.articles.models import Article
from helpcenter.editor import services as editor
from helpcenter.extensions import db
from helpcenter.staff import services as staff
from helpcenter.tickets.models import Attachment, Ticket
from tests.conftest import eventually
from tests.contact.conftest import FORM

REDIS_URL = os.environ.get("HELPCENTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
AUTHOR = "editor@casino.example"
ARTICLE = "withdrawal-times"
PAGE = f"/en/deposits-withdrawals/{ARTICLE}/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def database(database_url, request):
    """The shipped content in the PostgreSQL test database (the hosts share it)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("two hosts share a PostgreSQL database")
    return request.getfixturevalue("loaded")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Host:
    """One help center process (gunicorn, one gthread worker) over HTTP, with a cookie jar."""

    def __init__(self, base: str, client_address: str):
        self.base = base
        self.client_address = client_address
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(
        self, path: str, data: dict | None = None, files: dict | None = None, raw: bool = False
    ) -> tuple[int, str | bytes]:
        headers = {}
        if files:
            body, headers["Content-Type"] = _multipart(data or {}, files)
        else:
            body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        # Behind the proxy every host trusts: the player's address, new for every test run.
        req.add_header("X-Forwarded-For", self.client_address)
        try:
            with self.opener.open(req, timeout=10) as response:
                content = response.read()
                return response.status, content if raw else content.decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def form(self, path: str) -> dict:
        """The hidden fields (CSRF token, form token) of the form on page `path`."""
        status, html = self.request(path)
        assert status == 200
        fields = {}
        for tag in re.findall(r'<input [^>]*type="hidden"[^>]*>', html):
            name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
            if name:
                fields[name.group(1)] = value.group(1) if value else ""
        return fields

    def share_cookies_with(self, other: "Host") -> None:
        other.jar = self.jar
        other.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, content, mimetype) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {mimetype}\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@contextmanager
def two_hosts(app, tmp_path):
    env = {
        **os.environ,
        "HELPCENTER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "HELPCENTER_SECRET_KEY": secrets.token_hex(32),
        "HELPCENTER_REDIS_URL": REDIS_URL,
        "HELPCENTER_SESSION_COOKIE_SECURE": "false",
        "HELPCENTER_PROXY_FIX_X_FOR": "1",
        "HELPCENTER_VOTE_RATE_LIMIT": "3 per minute",
        # Staff sign in with a password alone here; tests/staff/test_totp.py covers TOTP.
        "HELPCENTER_STAFF_2FA": "optional",
    }
    client_address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(256)}"
    processes, hosts = [], []
    try:
        for name in ("a", "b"):
            port = _free_port()
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads",
                     "4", "-b", f"127.0.0.1:{port}", "helpcenter:create_app()"],
                    env={**env, "HELPCENTER_DATA_DIR": str(tmp_path / name)},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
            hosts.append(Host(f"http://127.0.0.1:{port}", client_address))
        for host in hosts:
            # Each host starts with an empty data directory: healthy once its index is built.
            eventually(
                lambda host=host: _status(host, "/healthz") == 200,
                seconds=90,
                what=f"a healthy host at {host.base}",
            )
        yield hosts
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)


def _status(host: Host, path: str) -> int:
    try:
        return host.request(path)[0]
    except OSError:
        return 0


def _finds(host: Host, q: str) -> bool:
    """Whether the host's search API answers `q` with the article (a page that finds nothing
    may still link it among the popular articles)."""
    status, body = host.request("/api/v1/search?" + urllib.parse.urlencode({"q": q, "lang": "en"}))
    assert status == 200
    return ARTICLE in [hit["slug"] for hit in json.loads(body)["results"]]


def test_b_has_a_changes_within_seconds_its_files_and_its_rate_limits(database, tmp_path, request):
    # One pair of hosts for all checks: starting them (and their indexes) takes most of the time.
    with two_hosts(database, tmp_path) as (host_a, host_b):
        _rate_limit_counts_across(host_a, host_b)
        _a_file_sent_to_a_downloads_from_b(database, host_a, host_b)

        assert not _finds(host_b, "zanzibarite")
        editor_on_a = _editor_signed_in(database, host_a)
        edit = f"/staff/content/{ARTICLE}/en/edit"
        with database.app_context():
            article = db.session.scalar(select(Article).where(Article.slug == ARTICLE))
            current = editor.latest(article.id, "en")
        draft = {
            **editor_on_a.form(edit),
            "title": current.title,
            "summary": current.summary,
            "tags": ", ".join(current.tags),
            "body": current.body_md + "\nZanzibarite cards are paid out the same day.\n",
            "action": "save",
        }
        assert editor_on_a.request(edit, draft)[0] == 200
        assert not _finds(host_b, "zanzibarite")  # a saved draft is not published
        token = editor_on_a.form(edit)["csrf_token"]
        assert (
            editor_on_a.request(f"/staff/content/{ARTICLE}/en/publish", {"csrf_token": token})[0]
            == 200
        )
        published_at = time.monotonic()
        eventually(lambda: _finds(host_b, "zanzibarite"), what="the published word found on B")
        # Reported in the JUnit XML (xunit1): the time a player on B waits for a publish on A.
        seconds = round(time.monotonic() - published_at, 2)
        request.node.user_properties.append(("publish_to_hit_on_b_seconds", seconds))
        eventually(lambda: "Zanzibarite cards" in host_b.request(PAGE)[1], what="the new text on B")

        unpublish = f"/staff/content/{ARTICLE}/unpublish"
        assert editor_on_a.request(unpublish, {"csrf_token": token})[0] == 200
        eventually(lambda: not _finds(host_b, "zanzibarite"), what="the word gone from B")
        eventually(lambda: host_b.request(PAGE)[0] == 404, what="a 404 for the page on B")
        assert host_a.request(PAGE)[0] == 404


def _editor_signed_in(app, host: Host) -> Host:
    """An editor signed in to `host`'s staff console, with a cookie jar of its own."""
    with app.app_context():
        staff.create_staff(email=AUTHOR, role="editor", password=PASSWORD, name="Nigar")
    browser = Host(host.base, host.client_address)
    login = {**browser.form("/staff/login"), "email": AUTHOR, "password": PASSWORD}
    assert browser.request("/staff/login", login)[0] == 200
    return browser


def _a_file_sent_to_a_downloads_from_b(app, host_a: Host, host_b: Host) -> None:
    image = io.BytesIO()
    Image.new("RGB", (64, 48), tuple(random.randrange(256) for _ in range(3))).save(image, "PNG")
    email = f"player-{secrets.token_hex(4)}@example.com"
    with app.app_context():
        staff.create_staff(
            email="supervisor@casino.example", role="supervisor", password=PASSWORD, name="Rəşad"
        )
    player = Host(host_a.base, host_a.client_address)
    status, sent = player.request(
        "/en/contact",
        {**player.form("/en/contact"), **FORM, "email": email},
        files={"attachments": ("receipt.png", image.getvalue(), "image/png")},
    )
    assert status == 200
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.email == email))
        attachment = db.session.scalar(select(Attachment).where(Attachment.ticket_id == ticket.id))
    assert ticket.reference in sent
    supervisor = Host(host_b.base, host_b.client_address)
    login = {**supervisor.form("/staff/login"), "email": "supervisor@casino.example"}
    assert supervisor.request("/staff/login", {**login, "password": PASSWORD})[0] == 200
    status, content = supervisor.request(
        f"/staff/tickets/{ticket.reference}/files/{attachment.id}", raw=True
    )
    assert status == 200
    assert content == image.getvalue()


def _rate_limit_counts_across(host_a: Host, host_b: Host) -> None:
    host_a.share_cookies_with(host_b)
    status, html = host_a.request(PAGE)
    assert status == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    vote = {"csrf_token": token, "helpful": "yes"}
    answers = [host.request(PAGE + "vote", vote)[0] for host in (host_a, host_b, host_a, host_b)]
    # "3 per minute" for the player: the fourth vote is refused, on whichever host.
    assert answers == [200, 200, 200, 429]
