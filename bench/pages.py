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
from dataclasses import dataclass
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


def _get(port: int, path: str) -> tuple[int, bytes]:
    """GET path from 127.0.0.1:port on a new connection; return status and body."""
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _drive(port: int, path: str, total: int, seconds: float, concurrency: int) -> dict:
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
                status, _ = _get(port, path)
                problem = "" if status == 200 else f"HTTP {status}"
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
    port: int, path: str, *, requests: int, seconds: float, concurrency: int, warmup: int
) -> dict:
    """Warm up, then measure one page. Returns builtins only, to pickle back to the parent."""
    warm = _drive(port, path, warmup, seconds, concurrency)
    measured = _drive(port, path, requests, seconds, concurrency)
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

    @classmethod
    def from_load(cls, label: str, path: str, load: dict) -> "Result":
        latencies = sorted(load["latencies_ms"])
        count = len(latencies)
        return cls(
            label=label,
            path=path,
            requests=count,
            errors=load["errors"],
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
    """One gunicorn master with `workers` sync workers on 127.0.0.1:port, logging to a file."""

    def __init__(self, name: str, target: str, port: int, workers: int, env: dict, log: Path):
        self.name, self.port, self.log = name, port, log
        command = [
            str(BIN / "gunicorn"),
            "--workers", str(workers),
            "--worker-class", "sync",
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

    def wait_ready(self, path: str) -> None:
        """Return once `path` answers 200; print the log tail and raise if it never does."""
        deadline = time.monotonic() + START_TIMEOUT
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


# --- setup and main -----------------------------------------------------------------------------


def _app_env(data_dir: Path, database_url: str | None) -> dict:
    """The environment of the servers and CLI: production config, no inherited HELPCENTER_*."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HELPCENTER_")}
    env["HELPCENTER_DATA_DIR"] = str(data_dir)
    if database_url:
        env["HELPCENTER_DATABASE_URL"] = database_url
    return env


def _prepare_data(env: dict) -> None:
    for args in (["db", "upgrade"], ["content", "load", "content/"]):
        done = subprocess.run(
            [str(BIN / "helpcenter"), *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            output = (done.stdout + done.stderr).splitlines()[-LOG_TAIL_LINES:]
            print("\n".join(output), file=sys.stderr)
            raise BenchError(f"`helpcenter {' '.join(args)}` failed with status {done.returncode}")


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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
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


def measure(args: argparse.Namespace, app_port: int, bare_port: int) -> list[Result]:
    """Measure the bare page, the three app pages and the bare page again, in that order."""
    plan = [
        ("bare (first)", bare_port, ARTICLE),
        ("home", app_port, HOME),
        ("category", app_port, CATEGORY),
        ("article", app_port, ARTICLE),
        ("bare (last)", bare_port, ARTICLE),
    ]
    results = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as load_process:
        for label, port, path in plan:
            print(f"measuring {label} {path} ...", file=sys.stderr, flush=True)
            load = load_process.submit(
                run_load,
                port,
                path,
                requests=args.requests,
                seconds=args.seconds,
                concurrency=args.concurrency,
                warmup=WARMUP_REQUESTS,
            ).result()
            results.append(Result.from_load(label, path, load))
    return results


def _baseline(first: Result, last: Result) -> Result:
    return Result(
        label="bare (mean)",
        path="baseline of the ratios",
        requests=first.requests + last.requests,
        errors=first.errors + last.errors,
        warmup_errors=first.warmup_errors + last.warmup_errors,
        first_error=first.first_error or last.first_error,
        rps=(first.rps + last.rps) / 2,
        p50=(first.p50 + last.p50) / 2,
        p95=(first.p95 + last.p95) / 2,
    )


def run(args: argparse.Namespace) -> int:
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="helpcenter-bench-") as tmp:
        data_dir = Path(tmp)
        env = _app_env(data_dir, args.database_url)
        _prepare_data(env)
        app_port, bare_port = _free_ports(2)
        try:
            app = Server("app", APP_TARGET, app_port, args.workers, env, data_dir / "app.log")
            servers.append(app)
            app.wait_ready("/healthz")
            status, page = _get(app_port, ARTICLE)
            if status != 200:
                raise BenchError(f"the article page answered HTTP {status}")
            page_file = data_dir / "bare-page.html"
            page_file.write_bytes(page)
            bare_env = {**env, BARE_PAGE_ENV: str(page_file)}
            bare = Server(
                "bare", BARE_TARGET, bare_port, args.workers, bare_env, data_dir / "bare.log"
            )
            servers.append(bare)
            bare.wait_ready("/")
            bare_status, bare_page = _get(bare_port, ARTICLE)
            if bare_status != 200 or bare_page != page:
                raise BenchError("the bare page does not serve the article page's bytes")
            results = measure(args, app_port, bare_port)
        finally:
            for server in servers:
                server.stop()

    baseline = _baseline(results[0], results[-1])
    print("helpcenter page benchmark")
    print(
        f"servers:  gunicorn, {args.workers} sync workers each, on {HOST} "
        f"(app :{app_port}, bare :{bare_port}); database: {_describe_database(args.database_url)}"
    )
    print(
        f"load:     separate process, concurrency {args.concurrency}, new connection per request, "
        f"{WARMUP_REQUESTS} warm-up requests, then up to {args.requests} requests "
        f"or {args.seconds:g} s per page"
    )
    print(f"body:     article page {len(page)} bytes; the bare page serves the same bytes")
    print()
    print_report(results, baseline)
    article = next(row for row in results if row.label == "article")
    print()
    print(
        f"article page throughput ratio: {_ratio(article.rps, baseline.rps)} "
        f"(target >= {TARGET_RATIO:.2f}x)"
    )

    failed = [row for row in results if row.errors or row.warmup_errors]
    for row in failed:
        print(
            f"errors on {row.label}: {row.errors} measured, {row.warmup_errors} in warm-up; "
            f"first: {row.first_error}"
        )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
