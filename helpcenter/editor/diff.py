"""Line and word differences between two texts, for revision history and outdated translations.

difflib (the standard library) finds the changed lines; inside a changed line the changed words
are marked, so an editor sees at a glance which words a translation must follow. Only the changed
lines are shown, with a few unchanged ones around them; the rest is one "gap" line saying how
many lines it hides, so a one-word change in a long article is not lost in it.
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_WORDS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Piece:
    text: str
    is_changed: bool


CONTEXT = 3  # unchanged lines shown before and after each change


@dataclass(frozen=True)
class Line:
    kind: str  # "same", "added", "removed", or "gap" for unchanged lines left out
    pieces: tuple[Piece, ...]
    hidden: int = 0  # how many lines a gap leaves out

    @property
    def text(self) -> str:
        return "".join(piece.text for piece in self.pieces)


def _words(old: str, new: str) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    left, right = [], []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        changed = op != "equal"
        if i2 > i1:
            left.append(Piece("".join(a[i1:i2]), changed))
        if j2 > j1:
            right.append(Piece("".join(b[j1:j2]), changed))
    return tuple(left), tuple(right)


def _same(texts: list[str]) -> list[Line]:
    return [Line("same", (Piece(text, False),)) for text in texts]


def _unchanged(texts: list[str], *, before: int, after: int) -> list[Line]:
    """A run of unchanged lines: `before` kept after a change, `after` before the next one."""
    if before + after >= len(texts):
        return _same(texts)
    hidden = Line("gap", (), hidden=len(texts) - before - after)
    return [*_same(texts[:before]), hidden, *_same(texts[len(texts) - after :])]


def diff(old: str, new: str, *, context: int = CONTEXT) -> tuple[Line, ...]:
    """`old` turned into `new`: the changed lines with `context` unchanged lines around them.

    Replaced lines show which words changed; longer runs of unchanged lines are a gap line.
    Nothing when the texts have the same lines.
    """
    a, b = old.splitlines(), new.splitlines()
    opcodes = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    if all(op == "equal" for op, *_rest in opcodes):
        return ()
    lines: list[Line] = []
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            lines.extend(
                _unchanged(
                    a[i1:i2],
                    before=context if index > 0 else 0,
                    after=context if index < len(opcodes) - 1 else 0,
                )
            )
            continue
        removed, added = a[i1:i2], b[j1:j2]
        if op == "replace" and len(removed) == len(added):
            pairs = [_words(x, y) for x, y in zip(removed, added, strict=True)]
            lines.extend(Line("removed", left) for left, _right in pairs)
            lines.extend(Line("added", right) for _left, right in pairs)
            continue
        lines.extend(Line("removed", (Piece(text, True),)) for text in removed)
        lines.extend(Line("added", (Piece(text, True),)) for text in added)
    return tuple(lines)


def changed_lines(old: str, new: str) -> set[int]:
    """0-based numbers of the lines of `new` that are not in `old` (for marking a source text)."""
    a, b = old.splitlines(), new.splitlines()
    marked: set[int] = set()
    for op, _i1, _i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("replace", "insert"):
            marked.update(range(j1, j2))
    return marked
