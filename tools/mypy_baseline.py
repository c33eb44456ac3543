"""Run mypy and fail on any error not in mypy-baseline.txt; the baseline may only shrink.

The baseline holds the errors mypy reported when it was added, one per line without the line
number (so editing a file does not invalidate it), sorted. A new error fails the check; an error
that has gone also fails it until the baseline is rewritten with `--update`, so a fixed error
cannot quietly come back later.
"""

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.txt"
# "helpcenter/x.py:12: error: message  [code]", with a column after the line when configured.
ERROR = re.compile(r"^(?P<path>[^:\n]+):\d+(?::\d+)?: error: (?P<message>.*)$")


def run_mypy() -> tuple[list[str], dict[str, list[str]]]:
    """Return mypy's errors, normalized, and the full lines of each (to show where)."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-pretty", "--no-color-output", "--no-error-summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1):
        sys.exit(f"mypy did not finish (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    errors: list[str] = []
    where: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        if match := ERROR.match(line):
            normalized = f"{match['path']}: error: {match['message']}"
            errors.append(normalized)
            where.setdefault(normalized, []).append(line)
    return errors, where


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--update", action="store_true", help="rewrite the baseline with today's errors"
    )
    args = parser.parse_args()

    errors, where = run_mypy()
    known = (
        Counter(BASELINE.read_text(encoding="utf-8").splitlines())
        if BASELINE.exists()
        else Counter()
    )
    found = Counter(errors)
    new = found - known
    if args.update:
        BASELINE.write_text("".join(f"{error}\n" for error in sorted(errors)), encoding="utf-8")
        print(f"mypy baseline: wrote {len(errors)} errors to {BASELINE.name}")
        if new and known:
            print(f"it grew by {new.total()}: moved code, or say in the commit why they stay")
        return 0

    gone = known - found
    for error in sorted(new):
        # With the same message more often than the baseline says, any of them may be the new one.
        for line in where[error]:
            print(f"new: {line}")
    for error in sorted(gone.elements()):
        print(f"fixed: {error}")
    if new:
        print(f"mypy baseline: {new.total()} new errors: fix them (the baseline only shrinks)")
    if gone:
        print(
            f"mypy baseline: {gone.total()} errors fixed, well done: shrink the baseline with "
            f"`.venv/bin/python tools/mypy_baseline.py --update` and commit it"
        )
    return 1 if new or gone else 0


if __name__ == "__main__":
    sys.exit(main())
