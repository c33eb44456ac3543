"""Line and word differences between two texts, for revision history and outdated translations.

difflib (the standard library) finds the changed lines; inside a changed line the changed words
are marked, so an editor sees at a glance which words a translation must follow.
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_WORDS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Piece:
    text: str
    is_changed: bool


@dataclass(frozen=True)
class Line:
    kind: str  # "same", "added" or "removed"
    pieces: tuple[Piece, ...]

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


def diff(old: str, new: str) -> tuple[Line, ...]:
    """`old` turned into `new`, line by line; replaced lines show which words changed."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[Line] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            lines.extend(Line("same", (Piece(text, False),)) for text in a[i1:i2])
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
