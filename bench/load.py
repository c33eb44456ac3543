"""Time of `helpcenter content load` on a large knowledge base, per phase, and how it grows.

The shipped content/ is copied N times into a temporary directory (copy k > 0 of an article gets
the slug `<slug>-c<k>` in the same category, and its links to other articles point at the same
copy of them, so every link still resolves). Each size is loaded into a fresh SQLite database in
its own data directory by `helpcenter content load DIR`, run in a separate process, and the
phases of the command are timed there:

- read:    reading and checking every file, rendering and link checks (`read_content`)
- check:   looking for workspace edits the load would replace (`_workspace_changes`)
- related: related articles of every article and language (`related_articles`)
- sync:    the rest of the database transaction (rows, revisions, commit)
- index:   rebuilding the search index (`search.services.reindex`, owned by the search package)

The same directory is then loaded a second time (a new process again), which must change
nothing. Times are wall
seconds on a shared machine: compare the growth factor (time at the largest size / time at the
smallest, ~10 when linear for 10x the files) rather than absolute numbers.

    .venv/bin/python bench/load.py [--copies 100] [--sizes 10,30,100]

Exit status: 0 when every load succeeded and each second load changed nothing, 1 otherwise,
2 when the benchmark could not be set up.
"""

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"
PHASES = ("read", "check", "related", "sync", "index")
TARGET_SECONDS = 60.0  # issue 13: 100 copies (11,100 files), index included
# A link between articles as content/ writes it: ../../<category>/<article>/ (then a language
# file or an anchor, or nothing).
_LINK = re.compile(r"(\]\(\.\./\.\./[a-z0-9-]+/)([a-z0-9-]+)(/)")


class BenchError(Exception):
    """The benchmark could not be set up; the message says why."""


# --- the scaled content directory ---------------------------------------------------------------


def build_content(dest: Path, copies: int, source: Path = CONTENT_DIR) -> int:
    """Write `copies` copies of `source` into `dest`; returns the number of article files."""
    categories = sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))
    articles = {a.name for c in categories for a in c.iterdir() if a.is_dir()}
    files = 0
    for category in categories:
        (dest / category.name).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(category / "_category.yml", dest / category.name / "_category.yml")
        for article in sorted(p for p in category.iterdir() if p.is_dir()):
            texts = {f.name: f.read_text(encoding="utf-8") for f in article.glob("*.md")}
            for copy in range(copies):
                suffix = f"-c{copy}" if copy else ""

                def relink(match: re.Match, suffix: str = suffix) -> str:
                    slug = match.group(2)
                    slug += suffix if slug in articles else ""
                    return f"{match.group(1)}{slug}{match.group(3)}"

                folder = dest / category.name / f"{article.name}{suffix}"
                folder.mkdir()
                for name, text in texts.items():
                    (folder / name).write_text(_LINK.sub(relink, text), encoding="utf-8")
                    files += 1
    return files


# --- one size, in a process of its own -----------------------------------------------------------


def _timed(seconds: dict, phase: str, function):
    """`function`, adding the time of each call to seconds[phase]."""

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[phase] = seconds.get(phase, 0.0) + time.perf_counter() - started

    return timed


def child(directory: str) -> int:
    """Run `helpcenter db upgrade`, then `content load DIRECTORY`; print its timings as JSON.

    The phases are timed by wrapping the functions the command calls, so the command runs
    exactly as an operator runs it.
    """
    from helpcenter import create_app
    from helpcenter.articles import services
    from helpcenter.search import services as search_services

    app = create_app()
    runner = app.test_cli_runner()
    upgrade = runner.invoke(args=["db", "upgrade"])
    if upgrade.exit_code != 0:
        print(upgrade.output, file=sys.stderr)
        return 2
    seconds: dict[str, float] = {}
    wrapped = {
        (services, "read_content"): "read",
        (services, "_workspace_changes"): "check",
        (services, "related_articles"): "related",
        (services, "load_content"): "load",
        (search_services, "reindex"): "index",
    }
    for (module, name), phase in wrapped.items():
        setattr(module, name, _timed(seconds, phase, getattr(module, name)))
    started = time.perf_counter()
    result = runner.invoke(args=["content", "load", directory])
    seconds["total"] = time.perf_counter() - started
    if result.exit_code != 0:
        print(result.output, file=sys.stderr)
        return 1
    inside = sum(seconds.get(p, 0.0) for p in ("read", "check", "related"))
    seconds["sync"] = seconds.pop("load") - inside
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    print(json.dumps({"seconds": seconds, "output": result.output.strip(), "peak_mb": peak_mb}))
    return 0


def measure(directory: Path, data_dir: Path) -> list[dict]:
    """Two loads of `directory` into a fresh data directory, each from a new process."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HELPCENTER_")}
    env["HELPCENTER_DATA_DIR"] = str(data_dir)
    loads = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(directory)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(done.stderr[-4000:], file=sys.stderr)
            raise BenchError(f"loading {directory} failed with status {done.returncode}")
        loads.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return loads


# --- report and main -----------------------------------------------------------------------------


def _row(label: str, files: int, load: dict) -> str:
    seconds = load["seconds"]
    phases = " ".join(f"{seconds.get(p, 0.0):>8.2f}" for p in PHASES)
    rate = files / seconds["total"] if seconds["total"] > 0 else 0.0
    return (
        f"{label:<14} {files:>7} {phases} {seconds['total']:>8.2f} {rate:>8.0f} "
        f"{load.get('peak_mb', 0):>8.0f}"
    )


def print_report(rows: list[tuple[int, int, list[dict]]]) -> bool:
    """The table of both loads per size and the growth factors; True when all went well."""
    header = (
        f"{'load':<14} {'files':>7} "
        + " ".join(f"{p:>8}" for p in PHASES)
        + f" {'total s':>8} {'files/s':>8} {'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for copies, files, loads in rows:
        print(_row(f"{copies} copies", files, loads[0]))
        print(_row("  again", files, loads[1]))
        if " 0 created, 0 updated, 0 unpublished" not in loads[1]["output"]:
            print(f"  the second load changed something: {loads[1]['output']}")
            ok = False
    print()
    (small, small_files, small_loads), (large, large_files, large_loads) = rows[0], rows[-1]
    if large > small:
        files_factor = large_files / small_files
        print(f"growth from {small} to {large} copies ({files_factor:.0f}x the files):")
        for phase in (*PHASES, "total"):
            before = small_loads[0]["seconds"].get(phase, 0.0)
            after = large_loads[0]["seconds"].get(phase, 0.0)
            factor = f"{after / before:.1f}x" if before > 0 else "n/a"
            print(f"  {phase:<8} {factor:>7}  (linear: {files_factor:.0f}x)")
    total = large_loads[0]["seconds"]["total"]
    print(
        f"\n{large} copies ({large_files} files): {total:.1f} s in total, index included "
        f"(target < {TARGET_SECONDS:.0f} s)"
    )
    print(f"output of the first load: {large_loads[0]['output']}")
    return ok


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes are whole numbers of copies, at least 1")
    return sizes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--copies",
        type=int,
        default=100,
        help="copies of content/ at the largest size (default 100; also 1/10 and 3/10 of it)",
    )
    parser.add_argument("--sizes", type=_sizes, help="comma-separated copies, e.g. 10,30,100")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = _sizes(f"{max(1, args.copies // 10)},{max(1, args.copies * 3 // 10)},"
                            f"{args.copies}")  # fmt: skip
    return args


def run(args: argparse.Namespace) -> int:
    rows = []
    with tempfile.TemporaryDirectory(prefix="helpcenter-bench-load-") as tmp:
        for copies in args.sizes:
            directory = Path(tmp) / f"content-{copies}"
            files = build_content(directory, copies)
            print(f"loading {copies} copies ({files} files) ...", file=sys.stderr, flush=True)
            data_dir = Path(tmp) / f"data-{copies}"
            data_dir.mkdir()
            rows.append((copies, files, measure(directory, data_dir)))
            shutil.rmtree(directory)
            shutil.rmtree(data_dir)
    print("helpcenter content load benchmark")
    print("database: SQLite in a temporary data directory; one process per size; wall seconds")
    print(f"content:  content/ copied {', '.join(map(str, args.sizes))} times")
    print()
    return 0 if print_report(rows) else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child(args.child)
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
