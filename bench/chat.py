"""Live chat under load: 300 chats polling as browsers do, 20 operators replying (`make bench`).

Why short polls and not long-lived connections: a server-sent-events stream or a long poll holds
a worker thread (gthread, deploy/gunicorn.conf.py) or a whole sync worker for as long as a chat
is open; 300 open chats would need 300 of them. A poll every CHAT_POLL_SECONDS is a short request
instead, and nearly all of them find nothing new: the page sends the change tag of what it shows
(helpcenter/chat/polling.py), and while it holds, a layer in front of Flask answers 204/304 from
one indexed read on a connection of its own, about 0.3 ms of work in the process. It works across
hosts without any fan-out: every message and state change is in PostgreSQL (and moves the
ticket's version), so a player served by one host sees an operator's message written on another
at their next poll. The cost is up to one poll interval of delay, inside the 2 s target; this
benchmark measures that cost and what it does to the rest of the site.

The real app runs under gunicorn with production settings on PostgreSQL (--database-url, or
HELPCENTER_BENCH_DATABASE_URL, else a scratch database created on postgresql://postgres@127.0.0.1:5432
and dropped afterwards) and Redis (--redis-url, default redis://127.0.0.1:6379/9, or none when it
does not answer), after `helpcenter db upgrade` and `helpcenter content load content/`, with the
rate limits raised so that one loopback address can be 320 browsers. --shape deploy (the default)
serves with deploy/gunicorn.conf.py as a web host does (gthread); --shape sync with sync workers,
for comparison. In this process, through `chat.services` on the same database: OPERATORS staff
members set available, CHATS chats started (a greeting: the answer bot finds nothing, so each
joins the queue) and as many as the operators may hold (CHAT_MAX_PER_OPERATOR, 3 each: 60)
accepted; the others stay queued, their pages polling all the same.

Measured, in order:
1. The bare pages alone: `/healthz` and the home page, one request at a time, every PROBE_EVERY,
   for ALONE_SECONDS before the load and again after it (together: the baseline), after
   WARM_UP_PROBES of each that are not measured.
2. For --seconds: every chat's player page (its session cookie obtained by opening the chat page
   with `?token=`) polls `GET /<lang>/chat/<ref>/messages?after=<id>&shown=<key>&tag=<tag>` every
   CHAT_POLL_SECONDS with HX-Request, as htmx does, following the cursor each answer carries;
   each operator (signed in through /staff/login) polls the inbox every 2 * CHAT_POLL_SECONDS and
   each chat they hold every CHAT_POLL_SECONDS with If-None-Match (following the poller each
   answer carries), and replies to their chats in turn (`POST /staff/chats/<ref>/messages`); the
   players of those chats write back (`POST /<lang>/chat/<ref>/messages`). The bare pages are
   probed as in 1 meanwhile. Players and operators run in two processes of their own (threads,
   one per browser page, each keeping its connection alive), at a lower priority (nice 10): in
   life the browsers are on other machines.
3. Delivery latency: from the start of the POST of a message to the end of the first poll of
   the other side whose answer contains it, p50/p95 each way; messages never seen count as
   failures. Server CPU: user + system seconds (/proc) during 2. of the gunicorn master and
   workers, and of the PostgreSQL backends serving the benchmark's database, per open chat per
   minute.

    .venv/bin/python bench/chat.py [--seconds S] [--chats N] [--operators N] [--shape deploy|sync]
                                   [--workers W] [--database-url URL] [--redis-url URL]

Targets: delivery p95 under 2 s both ways; the bare pages' p95 during the load at most twice
their p95 alone. Exit status: 0 when every request got its expected status and every message
was delivered (the targets are reported, not enforced), 1 otherwise, 2 when the benchmark could
not be set up.
"""

import argparse
import faulthandler
import html
import http.client
import itertools
import logging
import multiprocessing
import os
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

if __package__ in (None, ""):  # run as a script: make `bench` importable like helpcenter
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import (
    HOST,
    REQUEST_TIMEOUT,
    BenchError,
    Servers,
    _app_env,
    _percentile,
    _positive_float,
    _positive_int,
    _prepare_data,
    _ratio,
    guarded,
)
from helpcenter.config import Config

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"  # as a web host runs
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SCRATCH_DATABASE = "helpcenter_bench_chat"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
PASSWORD = "bench-operator-password"
LANGUAGES = ("az", "ru", "en")
GREETINGS = {"az": "Salam", "ru": "Здравствуйте", "en": "Hello"}
BARE_PAGES = ("/healthz", "/az/")
PROBE_EVERY = 0.1  # seconds between two probes of the bare pages
ALONE_SECONDS = 10.0  # before the load and again after it
WARM_UP_PROBES = 40  # of each bare page, not measured, before the first of them
POLL_SECONDS = Config.CHAT_POLL_SECONDS  # the chat pages' poll
INBOX_POLL_SECONDS = 2 * POLL_SECONDS  # the inbox's, as its page polls
OPERATOR_REPLY_EVERY = 3.0  # each operator answers one of their chats this often
PLAYER_WRITE_EVERY = 10.0  # each player of an accepted chat writes this often
DRAIN_SECONDS = 10.0  # polling goes on this long after the last message is sent
TARGET_DELIVERY_P95 = 2.0
TARGET_BARE_RATIO = 2.0
# One loopback address is every browser of the run: no limit may answer 429 (every one raised).
RAISED_LIMITS = {
    f"HELPCENTER_{name}": "1000000 per minute"
    for name in dir(Config)
    if name.endswith("RATE_LIMIT")
}
MARK = re.compile(r"bench-([op])-(\d+)-(\d+)")
CSRF = re.compile(r'name="(?:[\w-]*-)?csrf_token"(?: type="hidden")? value="([^"]+)"')
PLAYER_AFTER = re.compile(r'id="hc-after" value="(\d*)"')
PLAYER_SHOWN = re.compile(r'id="hc-shown" value="([^"]*)"')
PLAYER_TAG = re.compile(r'id="hc-tag" value="([^"]*)"')
STAFF_POLLER = re.compile(r'<div id="hc-chat-poll"[^>]*?hx-get="([^"]+)"', re.S)


# --- HTTP as a browser: one cookie jar, kept-alive connections ----------------------------------


class Browser:
    """Cookies kept from Set-Cookie and sent back. Each thread (a page of the browser) keeps
    its connection alive between requests, as browsers and the reverse proxy in front of
    gunicorn do (deploy/nginx.conf keeps upstream connections); a connection the server
    closed meanwhile is opened again and the request sent once more, as browsers do."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.local = threading.local()

    def request(
        self, method: str, path: str, body: dict | None = None, headers: dict | None = None
    ) -> tuple[int, dict[str, str], str]:
        sent = dict(headers or {})
        if self.cookies:
            # list(): an operator's chats share the jar, from threads of their own.
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in list(self.cookies.items()))
        data = None
        if body is not None:
            data = urlencode(body).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn = getattr(self.local, "conn", None)
        reused = conn is not None
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(
                HOST, self.port, timeout=REQUEST_TIMEOUT
            )
        try:
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            payload = response.read().decode("utf-8", errors="replace")
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            self.local.conn = None
            if not reused:
                raise
            return self.request(method, path, body, headers)  # on a new connection
        except BaseException:
            conn.close()
            self.local.conn = None
            raise
        if response.will_close:
            conn.close()
            self.local.conn = None
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload


def _csrf(page: str) -> str:
    match = CSRF.search(page)
    if not match:
        raise BenchError("a page has no CSRF token")
    return match.group(1)


# --- the browsers of the load (each side in a process of its own) -------------------------------


@dataclass
class Side:
    """What one side's process saw: when it sent each message, when it first got the other
    side's, its statuses and failures."""

    sent: dict[str, float] = field(default_factory=dict)
    got: dict[str, float] = field(default_factory=dict)
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


class Run:
    """The shared clock and bookkeeping of one side's threads."""

    def __init__(self, side: str, start_at: float, stop_sending_at: float, stop_at: float):
        self.side = side
        self.start_at, self.stop_sending_at, self.stop_at = start_at, stop_sending_at, stop_at
        self.result = Side()
        self.lock = threading.Lock()
        self.counter = itertools.count(1)

    def mark(self, chat: int) -> str:
        with self.lock:
            return f"bench-{self.side}-{chat}-{next(self.counter)}"

    def sent(self, mark: str, at: float) -> None:
        with self.lock:
            self.result.sent[mark] = at

    def seen(self, body: str, at: float) -> None:
        other = "p" if self.side == "o" else "o"
        with self.lock:
            for kind, chat, number in MARK.findall(body):
                if kind == other:
                    self.result.got.setdefault(f"bench-{kind}-{chat}-{number}", at)

    def status(self, what: str, status: int, expected: tuple[int, ...]) -> bool:
        with self.lock:
            self.result.statuses[f"{what} {status}"] += 1
            if status not in expected and len(self.result.failures) < 20:
                self.result.failures.append(f"{what}: HTTP {status}")
        return status in expected

    def failed(self, what: str, exc: Exception) -> None:
        with self.lock:
            self.result.statuses[f"{what} error"] += 1
            if len(self.result.failures) < 20:
                self.result.failures.append(f"{what}: {type(exc).__name__}: {exc}")


def _next_tick(tick: float, every: float = POLL_SECONDS) -> float:
    """The poll after the one due at `tick`: `every` seconds later, or now when the answer took
    longer (a browser's timer does not queue up the ticks it missed)."""
    return max(tick + every, time.time())


def _sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


def _player(run: Run, port: int, chat: dict) -> None:
    """One player's chat page: open it with ?token=, then poll every second and, in an
    accepted chat, write every PLAYER_WRITE_EVERY seconds."""
    browser = Browser(port)
    lang, ref = chat["lang"], chat["reference"]
    page_path = f"/{lang}/chat/{ref}"
    try:
        status, _, _ = browser.request("GET", f"{page_path}?token={chat['token']}")
        if not run.status("player open", status, (303, 302)):
            return
        status, _, page = browser.request("GET", page_path)
        if not run.status("player page", status, (200,)):
            return
    except (OSError, http.client.HTTPException) as exc:
        run.failed("player open", exc)
        return
    token = _csrf(page)
    after = (PLAYER_AFTER.search(page) or [None, ""])[1]
    shown = (PLAYER_SHOWN.search(page) or [None, ""])[1]
    tag = (PLAYER_TAG.search(page) or [None, ""])[1]
    rng = random.Random(chat["number"])
    next_poll = run.start_at + rng.uniform(0, POLL_SECONDS)
    next_write = (
        run.start_at + rng.uniform(1, PLAYER_WRITE_EVERY) if chat["accepted"] else float("inf")
    )
    while True:
        moment = min(next_poll, next_write)
        if moment >= run.stop_at or time.time() >= run.stop_at:
            return
        _sleep_until(moment)
        try:
            if moment == next_write:
                next_write += PLAYER_WRITE_EVERY
                if moment >= run.stop_sending_at:
                    next_write = float("inf")
                    continue
                mark = run.mark(chat["number"])
                run.sent(mark, time.time())
                status, _, _ = browser.request(
                    "POST",
                    f"{page_path}/messages",
                    {"csrf_token": token, "text": f"Still waiting for it ({mark})", "after": after},
                )
                run.status("player send", status, (303,))
                continue
            next_poll = _next_tick(next_poll)
            query = urlencode({"after": after, "shown": shown, "tag": tag})
            status, _, body = browser.request(
                "GET", f"{page_path}/messages?{query}", headers={"HX-Request": "true"}
            )
            at = time.time()
            if run.status("player poll", status, (200, 204, 304)) and status == 200:
                run.seen(body, at)
                after = (PLAYER_AFTER.search(body) or [None, after])[1]
                shown = (PLAYER_SHOWN.search(body) or [None, shown])[1]
                tag = (PLAYER_TAG.search(body) or [None, tag])[1]
        except (OSError, http.client.HTTPException) as exc:
            run.failed("player", exc)


def _operator_chat(run: Run, browser: Browser, chat: dict) -> None:
    """One chat open in an operator's console: poll it every second, following the poller."""
    ref = chat["reference"]
    try:
        status, heads, page = browser.request("GET", f"/staff/chats/{ref}")
        if not run.status("staff chat page", status, (200,)):
            return
    except (OSError, http.client.HTTPException) as exc:
        run.failed("staff chat page", exc)
        return
    chat["csrf"] = _csrf(page)
    poller = STAFF_POLLER.search(page)
    if not poller:
        raise BenchError("the staff chat page has no poller (#hc-chat-poll)")
    url = html.unescape(poller.group(1))
    etag = ""
    rng = random.Random(-chat["number"])
    next_poll = run.start_at + rng.uniform(0, POLL_SECONDS)
    while next_poll < run.stop_at and time.time() < run.stop_at:
        _sleep_until(next_poll)
        next_poll = _next_tick(next_poll)
        headers = {"HX-Request": "true"}
        if etag:
            headers["If-None-Match"] = etag
        try:
            status, heads, body = browser.request("GET", url, headers=headers)
        except (OSError, http.client.HTTPException) as exc:
            run.failed("staff poll", exc)
            continue
        at = time.time()
        if run.status("staff poll", status, (200, 204, 304)) and status == 200:
            run.seen(body, at)
            found = STAFF_POLLER.search(body)
            if found:
                url = html.unescape(found.group(1))
        etag = heads.get("etag", etag)


def _operator(run: Run, port: int, operator: dict) -> None:
    """One operator: sign in, open the inbox and each chat held (threads of their own), poll
    the inbox every second, and answer the chats in turn every OPERATOR_REPLY_EVERY seconds."""
    browser = Browser(port)
    try:
        status, _, page = browser.request("GET", "/staff/login")
        status, _, _ = browser.request(
            "POST",
            "/staff/login",
            {"csrf_token": _csrf(page), "email": operator["email"], "password": PASSWORD},
        )
        if not run.status("staff login", status, (302, 303)):
            return
    except (OSError, http.client.HTTPException) as exc:
        run.failed("staff login", exc)
        return
    chats = operator["chats"]
    threads = [
        threading.Thread(target=_operator_chat, args=(run, browser, chat), daemon=True)
        for chat in chats
    ]
    for thread in threads:
        thread.start()
    rng = random.Random(operator["email"])
    next_poll = run.start_at + rng.uniform(0, INBOX_POLL_SECONDS)
    next_reply = run.start_at + rng.uniform(0.5, OPERATOR_REPLY_EVERY) if chats else float("inf")
    turn = itertools.cycle(chats)
    inbox_etag = ""
    while True:
        moment = min(next_poll, next_reply)
        if moment >= run.stop_at or time.time() >= run.stop_at:
            break
        _sleep_until(moment)
        try:
            if moment == next_reply:
                next_reply += OPERATOR_REPLY_EVERY
                if moment >= run.stop_sending_at:
                    next_reply = float("inf")
                    continue
                chat = next(turn)
                if "csrf" not in chat:
                    continue  # its page is not open yet
                mark = run.mark(chat["number"])
                run.sent(mark, time.time())
                status, _, _ = browser.request(
                    "POST",
                    f"/staff/chats/{chat['reference']}/messages",
                    {"csrf_token": chat["csrf"], "text": f"We are checking it ({mark})"},
                )
                run.status("staff send", status, (302, 303))
                continue
            next_poll = _next_tick(next_poll, INBOX_POLL_SECONDS)
            headers = {"HX-Request": "true"}
            if inbox_etag:
                headers["If-None-Match"] = inbox_etag
            status, heads, _ = browser.request("GET", "/staff/chats", headers=headers)
            run.status("staff inbox", status, (200, 304))
            inbox_etag = heads.get("etag", inbox_etag)
        except (OSError, http.client.HTTPException) as exc:
            run.failed("staff", exc)
    for thread in threads:
        thread.join()


def drive_side(side: str, port: int, people: list[dict], times: tuple) -> Side:
    """Run one side (players "p" or operators "o") in this process until `times` says stop."""
    # The browsers are on other machines in life; here they share the two cores with the
    # server. At a lower priority they take what the server leaves instead of slowing it down
    # (the probes of the bare pages keep the normal one).
    os.nice(10)
    run = Run(side, *times)
    # A side that has not finished long after the end says where its threads are.
    faulthandler.dump_traceback_later(times[2] - time.time() + 60, exit=True)
    target = _player if side == "p" else _operator
    threads = [threading.Thread(target=target, args=(run, port, who)) for who in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    faulthandler.cancel_dump_traceback_later()
    return run.result


# --- the bare pages ---------------------------------------------------------------------------


class Prober:
    """Probes the bare pages one request at a time, every PROBE_EVERY, into `latencies`."""

    def __init__(self, port: int):
        self.port = port
        self.latencies: dict[str, list[float]] = {path: [] for path in BARE_PAGES}
        self.errors = 0

    def run_for(self, seconds: float) -> None:
        browser = Browser(self.port)
        stop_at = time.time() + seconds
        for path in itertools.cycle(BARE_PAGES):
            if time.time() >= stop_at:
                return
            started = time.perf_counter()
            try:
                status, _, _ = browser.request("GET", path)
            except (OSError, http.client.HTTPException):
                status = 0
            if status == 200:
                self.latencies[path].append(time.perf_counter() - started)
            else:
                self.errors += 1
            time.sleep(PROBE_EVERY / len(BARE_PAGES))

    def stats(self, path: str) -> tuple[int, float, float]:
        ordered = sorted(self.latencies[path])
        return len(ordered), _percentile(ordered, 50), _percentile(ordered, 95)


# --- server CPU -------------------------------------------------------------------------------


def _processes() -> dict[int, tuple[int, str, float]]:
    """Every process: {pid: (parent pid, command line, user + system CPU seconds so far)}."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # Fields 4 (ppid), 14 (utime) and 15 (stime) of proc(5), counted after the name.
        cpu = (int(fields[11]) + int(fields[12])) / ticks
        found[int(entry.name)] = (int(fields[1]), command, cpu)
    return found


class CpuMeter:
    """CPU seconds used between `start()` and `stop()` by the gunicorn master and its workers,
    and by the PostgreSQL backends serving `database` (their command line names it)."""

    def __init__(self, masters: list[int], database: str):
        self.masters, self.database = set(masters), database
        self.before: dict[int, float] = {}
        self.app = self.db = 0.0

    def _snapshot(self) -> dict[int, tuple[str, float]]:
        every = _processes()
        kinds = {}
        for pid, (parent, command, cpu) in every.items():
            if pid in self.masters or parent in self.masters:
                kinds[pid] = ("app", cpu)
            elif command.startswith("postgres:") and f" {self.database} " in command:
                kinds[pid] = ("db", cpu)
        return kinds

    def start(self) -> None:
        self.before = {pid: cpu for pid, (_, cpu) in self._snapshot().items()}

    def stop(self) -> None:
        for pid, (kind, cpu) in self._snapshot().items():
            used = cpu - self.before.get(pid, 0.0)
            if kind == "app":
                self.app += used
            else:
                self.db += used


# --- setup --------------------------------------------------------------------------------------


def _scratch_database(server_url: str) -> str:
    """Create (again) the scratch database next to `server_url`'s; return its URL."""
    url = make_url(server_url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {SCRATCH_DATABASE}"))
    except Exception as exc:
        raise BenchError(f"cannot create the scratch database on {url.host}: {exc}") from exc
    finally:
        engine.dispose()
    return url.set(database=SCRATCH_DATABASE).render_as_string(hide_password=False)


def _drop_scratch(server_url: str) -> None:
    engine = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)"))
    finally:
        engine.dispose()


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def create_chats(env: dict, chats: int, operators: int) -> tuple[list[dict], list[dict]]:
    """Operators set available and chats started and accepted through `chat.services`, on the
    servers' database; (the players' chats, the operators with the chats they hold)."""
    from helpcenter import create_app
    from helpcenter.chat import services as chat_services
    from helpcenter.extensions import db
    from helpcenter.staff import services as staff

    logging.getLogger("helpcenter").setLevel(logging.WARNING)  # not a line per chat
    app = create_app(
        {
            "DATABASE_URL": env["HELPCENTER_DATABASE_URL"],
            "DATA_DIR": env["HELPCENTER_DATA_DIR"],
            "REDIS_URL": env.get("HELPCENTER_REDIS_URL", ""),
        }
    )
    limit = app.config["CHAT_MAX_PER_OPERATOR"]
    with app.test_request_context():
        members = []
        for n in range(1, operators + 1):
            member = staff.create_staff(
                email=f"operator{n:02d}@bench.example",
                role="operator",
                password=PASSWORD,
                name=f"Operator {n}",
            )
            chat_services.set_presence(member=member, status="available")
            members.append({"id": member.id, "email": member.email, "chats": [], "member": member})
        players = []
        for n in range(chats):
            lang = LANGUAGES[n % len(LANGUAGES)]
            filed = chat_services.start_chat(
                language=lang, topic="account", message=GREETINGS[lang], player_id=f"B-{n}"
            )
            if filed.ticket.chat_state == "bot":  # the bot found articles: ask for a person
                chat_services.handoff(ticket=filed.ticket)
            players.append(
                {
                    "number": n,
                    "lang": lang,
                    "reference": filed.ticket.reference,
                    "token": filed.token,
                    "accepted": False,
                    "ticket": filed.ticket,
                }
            )
        # The oldest waiting chats first, each operator up to the limit, in turn.
        holders = itertools.cycle(members)
        for player in players[: limit * operators]:
            holder = next(holders)
            chat_services.accept(member=holder["member"], ticket=player["ticket"])
            player["accepted"] = True
            holder["chats"].append({"number": player["number"], "reference": player["reference"]})
        db.session.remove()
        db.engine.dispose()
    for player in players:
        del player["ticket"]
    for member in members:
        del member["member"]
    return players, members


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--seconds", type=_positive_float, default=60.0, help="load (default 60)")
    parser.add_argument("--chats", type=_positive_int, default=300, help="open chats (300)")
    parser.add_argument("--operators", type=_positive_int, default=20, help="operators (20)")
    parser.add_argument(
        "--shape",
        choices=("deploy", "sync"),
        default="deploy",
        help="deploy: deploy/gunicorn.conf.py (gthread), as a host runs; sync: sync workers",
    )
    parser.add_argument(
        "--workers",
        type=_positive_int,
        help="gunicorn workers (deploy: one per core, at least 2; sync: two per core)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("HELPCENTER_BENCH_DATABASE_URL", ""),
        help="PostgreSQL to use (emptied by the migrations' first run: give a scratch one); "
        f"default HELPCENTER_BENCH_DATABASE_URL, else {SCRATCH_DATABASE} on {DEFAULT_SERVER}",
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help=f"default {DEFAULT_REDIS}")
    args = parser.parse_args(argv)
    if args.workers is None:
        cores = os.cpu_count() or 1
        args.workers = 2 * cores if args.shape == "sync" else max(2, cores)
    return args


# --- report -------------------------------------------------------------------------------------


def _delivery(sent: dict[str, float], got: dict[str, float]) -> tuple[int, int, float, float]:
    """(messages sent, never seen, p50, p95) of the delivery latencies in seconds."""
    latencies = sorted(got[mark] - at for mark, at in sent.items() if mark in got)
    return (
        len(sent),
        len(sent) - len(latencies),
        _percentile(latencies, 50),
        _percentile(latencies, 95),
    )


def print_report(args, players: Side, operators: Side, alone: Prober, during: Prober, meter, held):
    print(f"{'delivery':<20} {'messages':>8} {'lost':>5} {'p50 s':>7} {'p95 s':>7} {'target':>8}")
    worst = 0.0
    lost_total = 0
    for label, sent, got in (
        ("operator -> player", operators.sent, players.got),
        ("player -> operator", players.sent, operators.got),
    ):
        count, lost, p50, p95 = _delivery(sent, got)
        worst, lost_total = max(worst, p95), lost_total + lost
        met = "met" if p95 < TARGET_DELIVERY_P95 and count else "NOT met"
        print(f"{label:<20} {count:>8} {lost:>5} {p50:>7.3f} {p95:>7.3f} {met:>8}")
    print()
    print(
        f"{'bare page':<10} {'alone n':>7} {'p50 ms':>7} {'p95 ms':>7} {'load n':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p95 x':>6} {'target':>8}"
    )
    for path in BARE_PAGES:
        n0, a50, a95 = alone.stats(path)
        n1, d50, d95 = during.stats(path)
        met = "met" if a95 and d95 <= TARGET_BARE_RATIO * a95 else "NOT met"
        print(
            f"{path:<10} {n0:>7} {a50 * 1000:>7.1f} {a95 * 1000:>7.1f} {n1:>7} "
            f"{d50 * 1000:>7.1f} {d95 * 1000:>7.1f} {_ratio(d95, a95):>6} {met:>8}"
        )
    print()
    minutes = args.seconds / 60
    for label, cpu in (
        ("gunicorn (masters and workers)", meter.app),
        ("PostgreSQL backends", meter.db),
        ("both", meter.app + meter.db),
    ):
        print(
            f"server CPU, {label}: {cpu:.1f} s in {args.seconds:g} s = "
            f"{cpu / args.chats / minutes:.4f} CPU s per open chat per minute "
            f"({cpu / args.seconds:.2f} cores for {args.chats} chats)"
        )
    print(f"chats: {args.chats} open, {held} accepted by {args.operators} operators")
    statuses = players.statuses + operators.statuses
    print("requests: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    print()
    print(
        f"targets: delivery p95 < {TARGET_DELIVERY_P95:g} s both ways; bare page p95 under load "
        f"at most {TARGET_BARE_RATIO:g}x its p95 alone (both measured in this run)."
    )
    return lost_total


def run(args: argparse.Namespace) -> int:
    database_url, scratch_server = args.database_url, ""
    if not database_url:
        scratch_server = DEFAULT_SERVER
        database_url = _scratch_database(scratch_server)
    if not database_url.startswith("postgresql"):
        raise BenchError("the chat benchmark needs PostgreSQL (--database-url)")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp:
            return _run(args, database_url, Path(tmp))
    finally:
        if scratch_server:
            _drop_scratch(scratch_server)


def _run(args: argparse.Namespace, database_url: str, data_dir: Path) -> int:
    env = {**_app_env(data_dir, database_url), **RAISED_LIMITS}
    # The operators sign in with a password alone: the second step is not what is measured.
    env["HELPCENTER_STAFF_2FA"] = "optional"
    redis_note = "none (it does not answer)"
    if args.redis_url and _redis_answers(args.redis_url):
        env["HELPCENTER_REDIS_URL"] = redis_note = args.redis_url
    _prepare_data(env)
    parts = urlsplit(database_url)
    print(
        f"live chat benchmark: {args.chats} chats, {args.operators} operators, "
        f"{args.seconds:g} s of load"
    )
    print(f"database: PostgreSQL {parts.hostname}:{parts.port or 5432}{parts.path}")
    config = None if args.shape == "sync" else GUNICORN_CONFIG
    shape = {
        "deploy": f"{GUNICORN_CONFIG.relative_to(ROOT)} (gthread), {args.workers} workers",
        "sync": f"{args.workers} sync workers",
    }[args.shape]
    print(f"redis: {redis_note}; gunicorn: {shape}; cores: {os.cpu_count()}")
    players, operators = create_chats(env, args.chats, args.operators)
    held = sum(len(o["chats"]) for o in operators)
    with Servers(args.workers, env, data_dir, config) as servers:
        servers.start_app()
        port = servers.app_port
        meter = CpuMeter(
            [server.proc.pid for server in servers.started],
            urlsplit(database_url).path.lstrip("/"),
        )
        # The pages of this run must exist (the player's and the staff's chat pages).
        first = players[0]
        for path in (
            f"/{first['lang']}/chat/{first['reference']}?token={first['token']}",
            "/staff/chats",
        ):
            status, _, _ = Browser(port).request("GET", path)
            if status == 404:
                raise BenchError(f"{path} answers 404: the chat pages are not there")
        # Warm up first, on connections of their own (each lands on some worker): a worker's
        # first answers (templates compiled, connections opened) are not what "alone" means.
        for _ in range(WARM_UP_PROBES):
            for path in BARE_PAGES:
                Browser(port).request("GET", path, headers={"Connection": "close"})
        alone = Prober(port)  # measured before the load and again after it
        alone.run_for(ALONE_SECONDS)
        # Every browser has opened its page by then (a few ms each, on a few workers).
        start_at = time.time() + 8.0 + 0.02 * (args.chats + held)
        stop_sending_at = start_at + args.seconds - DRAIN_SECONDS
        times = (start_at, stop_sending_at, start_at + args.seconds)
        context = multiprocessing.get_context("spawn")
        with context.Pool(2) as pool:
            player_side = pool.apply_async(drive_side, ("p", port, players, times))
            operator_side = pool.apply_async(drive_side, ("o", port, operators, times))
            _sleep_until(start_at)
            meter.start()
            during = Prober(port)
            during.run_for(args.seconds)
            meter.stop()
            player_result = player_side.get(timeout=args.seconds + 120)
            operator_result = operator_side.get(timeout=args.seconds + 120)
        alone.run_for(ALONE_SECONDS)
        log = servers.started[0].log.read_text(errors="replace")
    print()
    lost = print_report(args, player_result, operator_result, alone, during, meter, held)
    failures = player_result.failures + operator_result.failures
    for failure in failures:
        print(f"failed: {failure}", file=sys.stderr)
    # The first error the app logged, to say why a request failed.
    error = re.search(r"^.*(?:ERROR|Exception on).*$(?:\n(?:[ T].*|\S*Error.*))*", log, re.M)
    if error:
        print(f"--- the app's first error ---\n{error.group(0)}", file=sys.stderr)
    if alone.errors or during.errors:
        print(f"bare page errors: {alone.errors} alone, {during.errors} during", file=sys.stderr)
    return 1 if failures or lost or alone.errors or during.errors else 0


def main(argv: list[str] | None = None) -> int:
    return guarded(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
