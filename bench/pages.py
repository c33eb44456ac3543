"""Throughput and latency of the public pages, next to a bare Flask baseline (`make bench`).

The real app runs under gunicorn with production settings on a fresh data directory (SQLite, or
the PostgreSQL database given with --database-url) after `helpcenter db upgrade` and
`helpcenter content load content/`. A bare Flask app (bench/bare_app.py) runs beside it under the
same gunicorn settings and serves the bytes of the real article page, so both send the same body.

A separate load process drives one page at a time from loopback: CONCURRENCY threads, a new
connection per request, a warm-up, then up to --requests requests or --seconds seconds. The bare
page is measured first and again last; the mean of the two is the baseline of the ratios.

    .venv/bin/python bench/pages.py [--requests N] [--seconds S] [--concurrency C]
                                    [--workers W] [--database-url URL]

Exit status: 0 when every request got a 200 (the throughput target is reported, not enforced),
1 when any request failed, 2 when the servers could not be set up.
"""

import argparse
import http.client
import math
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"

APP_TARGET = "helpcenter:create_app()"
BARE_TARGET = "bench.bare_app:create_app()"
BARE_PAGE_ENV = "BENCH_BARE_PAGE_FILE"  # read by bench/bare_app.py

HOME = "/az/"
CATEGORY = "/az/deposits-withdrawals/"
ARTICLE = "/az/deposits-withdrawals/withdrawal-times/"
TARGET_RATIO = 0.60

WARMUP_REQUESTS = 100
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
REQUEST_TIMEOUT = 10.0
LOG_TAIL_LINES = 40


class BenchError(Exception):
    """The benchmark could not be set up; the message says why."""


# --- load generator (runs in its own process) ---------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request the load sends again and again: a plain GET of `path` unless told otherwise."""

    path: str
    method: str = "GET"
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200  # the one status that counts as success


def _send(port: int, call: Call) -> tuple[int, bytes]:
    """Send `call` to 127.0.0.1:port on a new connection; return status and body."""
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request(call.method, call.path, body=call.body, headers=call.headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _get(port: int, path: str) -> tuple[int, bytes]:
    """GET path from 127.0.0.1:port on a new connection; return status and body."""
    return _send(port, Call(path))


def _drive(port: int, call: Call, total: int, seconds: float, concurrency: int) -> dict:
    """Send up to `total` requests, none started after `seconds`, from `concurrency` threads."""
    lock = threading.Lock()
    latencies: list[float] = []
    state = {"issued": 0, "errors": 0, "first_error": ""}
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        while True:
            with lock:
                if state["issued"] >= total or time.perf_counter() >= deadline:
                    return
                state["issued"] += 1
            started = time.perf_counter()
            try:
                status, _ = _send(port, call)
                problem = "" if status == call.expect else f"HTTP {status}"
            except (OSError, http.client.HTTPException) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            elapsed_ms = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed_ms)
                if problem:
                    state["errors"] += 1
                    state["first_error"] = state["first_error"] or problem

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "seconds": time.perf_counter() - started,
        "latencies_ms": latencies,
        "errors": state["errors"],
        "first_error": state["first_error"],
    }


def run_load(
    port: int, call: Call, *, requests: int, seconds: float, concurrency: int, warmup: int
) -> dict:
    """Warm up, then measure one page. Returns builtins only, to pickle back to the parent."""
    warm = _drive(port, call, warmup, seconds, concurrency)
    measured = _drive(port, call, requests, seconds, concurrency)
    measured["warmup_requests"] = len(warm["latencies_ms"])
    measured["warmup_errors"] = warm["errors"]
    measured["first_error"] = measured["first_error"] or warm["first_error"]
    return measured


# --- results and report --------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    label: str
    path: str
    requests: int
    errors: int
    warmup_errors: int
    first_error: str
    rps: float
    p50: float
    p95: float
    warmup_requests: int = 0

    @classmethod
    def from_load(cls, label: str, path: str, load: dict) -> "Result":
        latencies = sorted(load["latencies_ms"])
        count = len(latencies)
        return cls(
            label=label,
            path=path,
            requests=count,
            errors=load["errors"],
            warmup_requests=load["warmup_requests"],
            warmup_errors=load["warmup_errors"],
            first_error=load["first_error"],
            rps=count / load["seconds"] if load["seconds"] > 0 else 0.0,
            p50=_percentile(latencies, 50),
            p95=_percentile(latencies, 95),
        )


def _percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 when empty)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base > 0 else "n/a"


def print_report(results: list[Result], baseline: Result) -> None:
    header = (
        f"{'page':<13} {'path':<43} {'requests':>8} {'errors':>6} {'req/s':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'thr/bare':>8} {'p50/bare':>8} {'p95/bare':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in [*results, baseline]:
        print(
            f"{row.label:<13} {row.path:<43} {row.requests:>8} {row.errors:>6} {row.rps:>8.1f} "
            f"{row.p50:>7.1f} {row.p95:>7.1f} {_ratio(row.rps, baseline.rps):>8} "
            f"{_ratio(row.p50, baseline.p50):>8} {_ratio(row.p95, baseline.p95):>8}"
        )
    print()
    print("thr/bare: page req/s / bare req/s (higher is better); p50/p95 ratios: lower is better.")
    print("baseline: mean of the bare page measured first and last in this run.")


# --- servers ------------------------------------------------------------------------------------


def _free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all sockets are held open until every port is chosen)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Server:
    """One gunicorn master on 127.0.0.1:port, logging to a file: `workers` sync workers, or
    the settings of `config` (a gunicorn config file, as a host runs) when given."""

    def __init__(
        self,
        name: str,
        target: str,
        port: int,
        workers: int,
        env: dict,
        log: Path,
        config: Path | None = None,
    ):
        self.name, self.port, self.log = name, port, log
        shape = ["-c", str(config)] if config else ["--worker-class", "sync"]
        command = [
            str(BIN / "gunicorn"),
            *shape,
            "--workers", str(workers),
            "--bind", f"{HOST}:{port}",
            "--chdir", str(ROOT),
            "--no-control-socket",  # two masters would otherwise share one control socket path
            "--error-logfile", "-",
            target,
        ]  # fmt: skip
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self, path: str, timeout: float = START_TIMEOUT) -> None:
        """Return once `path` answers 200; print the log tail and raise if it never does
        within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        problem = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                problem = f"gunicorn exited with status {self.proc.returncode}"
                break
            try:
                status, _ = _get(self.port, path)
            except (OSError, http.client.HTTPException) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if status == 200:
                    return
                problem = f"HTTP {status} from {path}"
            time.sleep(0.1)
        self.print_log_tail()
        raise BenchError(f"{self.name} server on port {self.port} did not start: {problem}")

    def print_log_tail(self) -> None:
        lines = self.log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        print(f"--- last {len(lines)} lines of the {self.name} gunicorn log ---", file=sys.stderr)
        for line in lines:
            print(line, file=sys.stderr)
        print("---", file=sys.stderr)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Servers:
    """The app and the bare server of one run on two free ports; leaving `with` stops both."""

    def __init__(self, workers: int, env: dict, data_dir: Path, config: Path | None = None):
        self.workers, self.env, self.data_dir, self.config = workers, env, data_dir, config
        self.app_port, self.bare_port = _free_ports(2)
        self.started: list[Server] = []

    def __enter__(self) -> "Servers":
        return self

    def __exit__(self, *exc_info) -> None:
        for server in self.started:
            server.stop()

    def _start(self, name: str, target: str, port: int, env: dict) -> Server:
        log = self.data_dir / f"{name}.log"
        server = Server(name, target, port, self.workers, env, log, self.config)
        self.started.append(server)
        return server

    def start_app(self) -> None:
        self._start("app", APP_TARGET, self.app_port, self.env).wait_ready("/healthz")

    def start_bare(self, path: str, what: str) -> bytes:
        """Serve the app's answer to `path` (the `what`) from the bare app too; return its bytes."""
        status, page = _get(self.app_port, path)
        if status != 200:
            raise BenchError(f"the {what} answered HTTP {status}")
        page_file = self.data_dir / "bare-page.html"
        page_file.write_bytes(page)
        bare_env = {**self.env, BARE_PAGE_ENV: str(page_file)}
        self._start("bare", BARE_TARGET, self.bare_port, bare_env).wait_ready("/")
        bare_status, bare_page = _get(self.bare_port, path)
        if bare_status != 200 or bare_page != page:
            raise BenchError(f"the bare page does not serve the {what}'s bytes")
        return page


# --- setup and main -----------------------------------------------------------------------------


def _app_env(data_dir: Path, database_url: str | None) -> dict:
    """The environment of the servers and CLI: production config, no inherited HELPCENTER_*."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HELPCENTER_")}
    env["HELPCENTER_DATA_DIR"] = str(data_dir)
    if database_url:
        env["HELPCENTER_DATABASE_URL"] = database_url
    return env


def _cli(env: dict, args: list[str]) -> str:
    """Run `helpcenter ARGS` with `env` and return what it printed on stdout."""
    done = subprocess.run(
        [str(BIN / "helpcenter"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr).splitlines()[-LOG_TAIL_LINES:]
        print("\n".join(output), file=sys.stderr)
        raise BenchError(f"`helpcenter {' '.join(args)}` failed with status {done.returncode}")
    return done.stdout


def _prepare_data(env: dict) -> None:
    for args in (["db", "upgrade"], ["content", "load", "content/"]):
        _cli(env, args)


def _describe_database(url: str | None) -> str:
    if not url:
        return "SQLite in a temporary data directory"
    parts = urlsplit(url)
    host = parts.hostname or "local socket"
    port = f":{parts.port}" if parts.port else ""
    return f"PostgreSQL {host}{port}{parts.path}"


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {value}")
    return value


def parse_args(argv: list[str] | None = None, doc: str = __doc__) -> argparse.Namespace:
    """The options of a page benchmark; its description is the first paragraph of `doc`."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n", 1)[0])
    parser.add_argument(
        "--requests", type=_positive_int, default=3000, help="at most this many per page"
    )
    parser.add_argument(
        "--seconds", type=_positive_float, default=20.0, help="at most this long per page"
    )
    parser.add_argument(
        "--concurrency", type=_positive_int, default=8, help="client threads (default 8)"
    )
    parser.add_argument(
        "--workers", type=_positive_int, default=2, help="gunicorn sync workers per server"
    )
    parser.add_argument(
        "--database-url", help="PostgreSQL URL to load and serve from (default: a fresh SQLite)"
    )
    return parser.parse_args(argv)


def measure_plan(args: argparse.Namespace, plan: list[tuple[str, int, Call, str]]) -> list[Result]:
    """Measure each (label, port, call, path shown) of `plan` in order, from one load process."""
    results = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as load_process:
        for label, port, call, shown in plan:
            print(f"measuring {label} {shown} ...", file=sys.stderr, flush=True)
            load = load_process.submit(
                run_load,
                port,
                call,
                requests=args.requests,
                seconds=args.seconds,
                concurrency=args.concurrency,
                warmup=WARMUP_REQUESTS,
            ).result()
            results.append(Result.from_load(label, shown, load))
    return results


def measure(args: argparse.Namespace, app_port: int, bare_port: int) -> list[Result]:
    """Measure the bare page, the three app pages and the bare page again, in that order."""
    plan = [
        ("bare (first)", bare_port, ARTICLE),
        ("home", app_port, HOME),
        ("category", app_port, CATEGORY),
        ("article", app_port, ARTICLE),
        ("bare (last)", bare_port, ARTICLE),
    ]
    return measure_plan(args, [(label, port, Call(path), path) for label, port, path in plan])


def _baseline(first: Result, last: Result) -> Result:
    return Result(
        label="bare (mean)",
        path="baseline of the ratios",
        requests=first.requests + last.requests,
        errors=first.errors + last.errors,
        warmup_requests=first.warmup_requests + last.warmup_requests,
        warmup_errors=first.warmup_errors + last.warmup_errors,
        first_error=first.first_error or last.first_error,
        rps=(first.rps + last.rps) / 2,
        p50=(first.p50 + last.p50) / 2,
        p95=(first.p95 + last.p95) / 2,
    )


def print_setup(title: str, args: argparse.Namespace, servers: Servers) -> None:
    """The first lines of a report: what was measured, on which servers, with what load."""
    ports = f"app :{servers.app_port}, bare :{servers.bare_port}"
    print(title)
    print(
        f"servers:  gunicorn, {args.workers} sync workers each, on {HOST} "
        f"({ports}); database: {_describe_database(args.database_url)}"
    )
    print(
        f"load:     separate process, concurrency {args.concurrency}, new connection per request, "
        f"{WARMUP_REQUESTS} warm-up requests, then up to {args.requests} requests "
        f"or {args.seconds:g} s per page"
    )


def report_failures(results: list[Result]) -> bool:
    """Print a line for each row with failed requests; True when there was any."""
    failed = [row for row in results if row.errors or row.warmup_errors]
    for row in failed:
        print(
            f"errors on {row.label}: {row.errors} measured, {row.warmup_errors} in warm-up; "
            f"first: {row.first_error}"
        )
    return bool(failed)


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="helpcenter-bench-") as tmp:
        data_dir = Path(tmp)
        env = _app_env(data_dir, args.database_url)
        _prepare_data(env)
        with Servers(args.workers, env, data_dir) as servers:
            servers.start_app()
            page = servers.start_bare(ARTICLE, "article page")
            results = measure(args, servers.app_port, servers.bare_port)

    baseline = _baseline(results[0], results[-1])
    print_setup("helpcenter page benchmark", args, servers)
    print(f"body:     article page {len(page)} bytes; the bare page serves the same bytes")
    print()
    print_report(results, baseline)
    article = next(row for row in results if row.label == "article")
    print()
    print(
        f"article page throughput ratio: {_ratio(article.rps, baseline.rps)} "
        f"(target >= {TARGET_RATIO:.2f}x)"
    )
    return 1 if report_failures(results) else 0


def guarded(run_benchmark, args: argparse.Namespace) -> int:
    """Run a benchmark; a setup failure (BenchError) is reported and becomes exit status 2."""
    try:
        return run_benchmark(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    return guarded(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
