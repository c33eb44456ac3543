"""The glossary (content/glossary.yml): one term per concept and language, variants to avoid.

`content check` warns of every variant in an article's title, summary and text, and the editors'
workspace shows the same warnings in its preview and lists the glossary for editors. Tags are
not checked: they hold the words players type, variants included.

A variant matches in any letter case, at the start of a word (no letter or digit before it),
with any ending after it, since Azerbaijani and Russian inflect ("iki faktorlu doğrulamanı" is
"iki faktorlu doğrulama"); a space in it matches any run of whitespace, a line break included.
A variant that does not start with a letter or digit (a straight quote) matches anywhere.
Code, link targets and HTML tags in the Markdown are not text a player reads, so they are
skipped.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated

from markdown_it import MarkdownIt
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from helpcenter.schema import At, ConfigError, issues, load_file

FILE_NAME = "glossary.yml"


class GlossaryError(ConfigError):
    """glossary.yml is unreadable or wrong: `key` names the key (terms[2].az.avoid)."""


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Usage(BaseModel):
    """One language of a concept: the term to use and the variants to avoid."""

    model_config = ConfigDict(extra="forbid", strict=True)
    use: Text
    avoid: Annotated[list[Text], Field(max_length=100)] = []

    @model_validator(mode="after")
    def _use_is_not_avoided(self) -> "_Usage":
        seen: set[str] = set()
        for index, variant in enumerate(self.avoid):
            folded = fold(variant)
            if folded == fold(self.use):
                raise At("avoid", index, problem=f"{variant!r} is also the term to use")
            if folded in seen:
                raise At("avoid", index, problem=f"{variant!r} is listed twice")
            seen.add(folded)
        return self


class _Term(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    concept: Text
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""
    az: _Usage | None = None
    ru: _Usage | None = None
    en: _Usage | None = None  # vocabulary.LANGUAGES

    @model_validator(mode="after")
    def _some_language(self) -> "_Term":
        if self.az is None and self.ru is None and self.en is None:
            raise ValueError("a term needs at least one language: az, ru or en")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    terms: list[_Term]

    @model_validator(mode="after")
    def _concepts_once(self) -> "_File":
        seen: set[str] = set()
        for index, term in enumerate(self.terms):
            if fold(term.concept) in seen:
                raise At("terms", index, "concept", problem=f"{term.concept!r} is listed twice")
            seen.add(fold(term.concept))
        return self


@dataclass(frozen=True)
class Usage:
    use: str
    avoid: tuple[str, ...]


@dataclass(frozen=True)
class Term:
    concept: str
    note: str
    usages: dict[str, Usage]  # language -> usage, for the languages the file gives


@dataclass(frozen=True)
class Hit:
    """A variant to avoid, found in a text."""

    field: str  # "title", "summary" or "body"
    line: int  # 1-based, in that field's text
    found: str  # the words as written
    variant: str  # as the glossary spells it
    use: str
    concept: str


def fold(text: str) -> str:
    """`text` in one letter case, with one character for each of its characters.

    Case folding may turn a character into two (İ, ß); keeping one for one lets a position in
    the folded text be a position in the text. İ becomes i, so "İki" is "iki".
    """
    text = unicodedata.normalize("NFC", text)
    folded = text.casefold()
    if len(folded) == len(text):
        return folded
    return "".join(_fold_char(char) for char in text)


@cache
def _fold_char(char: str) -> str:
    if char == "\u0130":
        return "i"
    for candidate in (char.casefold(), char.lower()):
        if len(candidate) == 1:
            return candidate
    return char


def _pattern(variant: str) -> re.Pattern[str]:
    words = fold(variant).split()
    body = r"\s+".join(re.escape(word) for word in words)
    if words and words[0][0].isalnum():
        body = r"(?<![^\W_])" + body  # no letter or digit before it
    return re.compile(body)


class Glossary:
    """The terms of a glossary file, with the patterns that find their variants."""

    def __init__(self, terms: Iterable[Term]):
        self.terms = tuple(terms)
        self._patterns: dict[str, list[tuple[Term, str, re.Pattern[str], re.Pattern[str]]]] = {}
        for term in self.terms:
            for lang, usage in term.usages.items():
                use = _pattern(usage.use)
                for variant in usage.avoid:
                    self._patterns.setdefault(lang, []).append(
                        (term, variant, _pattern(variant), use)
                    )

    def __len__(self) -> int:
        return len(self.terms)

    def find(self, text: str, lang: str, *, field: str = "body") -> list[Hit]:
        """The variants to avoid in `text` (plain text) of language `lang`, in order."""
        text = unicodedata.normalize("NFC", text)
        folded = fold(text)
        found: list[tuple[int, int, Term, str]] = []
        for term, variant, pattern, use in self._patterns.get(lang, ()):
            preferred = [m.span() for m in use.finditer(folded)]
            for match in pattern.finditer(folded):
                start, end = match.span()
                # The term to use may hold a variant; the term itself is never a mistake.
                if any(a <= start and end <= b for a, b in preferred):
                    continue
                found.append((start, end, term, variant))
        found.sort(key=lambda item: (item[0], -item[1]))
        hits: list[Hit] = []
        reach = -1
        for start, end, term, variant in found:
            if end <= reach:  # inside a longer variant found already
                continue
            reach = max(reach, end)
            hits.append(
                Hit(
                    field=field,
                    line=text.count("\n", 0, start) + 1,
                    found=" ".join(text[start:end].split()),
                    variant=variant,
                    use=term.usages[lang].use,
                    concept=term.concept,
                )
            )
        return hits

    def check(
        self, lang: str, *, title: str = "", summary: str = "", body_md: str = ""
    ) -> list[Hit]:
        """The variants in an article's title, summary and Markdown text (not its tags)."""
        if lang not in self._patterns:
            return []
        return [
            *self.find(title, lang, field="title"),
            *self.find(summary, lang, field="summary"),
            *self.find(readable_text(body_md), lang, field="body"),
        ]


# --- what a player reads of the Markdown -------------------------------------------------------

_BLOCKS = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# A code span may run over a line break, not over a blank line.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(?:(?!\n[ \t]*\n)[^`]|`(?!\1))+?(?<!`)\1(?!`)")
_LINK_TARGET = re.compile(
    r"(?<=\])\((?:<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\)))?\s*\)"
)
_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:[^\n]*", re.M)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<![^<>]*>|<[a-z][a-z0-9+.-]*:[^\s<>]*>", re.I)
HIDDEN = "\x00"  # neither a letter nor whitespace: a variant cannot run across it


def _hide(text: str, start: int, end: int) -> str:
    return text[:start] + re.sub(r"[^\n]", HIDDEN, text[start:end]) + text[end:]


def readable_text(body_md: str) -> str:
    """`body_md` with code, link targets and HTML tags blanked out, lines kept in place."""
    lines = body_md.split("\n")
    for token in _BLOCKS.parse(body_md):
        if token.type in ("fence", "code_block") and token.map:
            for number in range(*token.map):
                if number < len(lines):
                    lines[number] = HIDDEN * len(lines[number])
    text = "\n".join(lines)
    for pattern in (_CODE_SPAN, _REFERENCE, _LINK_TARGET, _TAG):
        for match in list(pattern.finditer(text)):
            text = _hide(text, *match.span())
    return text


# --- the file ------------------------------------------------------------------------------------


def parse(data) -> Glossary:
    """Check a parsed glossary document and build the glossary from it."""
    try:
        checked = _File.model_validate(data)
    except ValidationError as error:
        found = [(issue.key, issue.problem) for issue in issues(error, _File, data)]
        raise GlossaryError(*found[0], others=found[1:]) from None
    return Glossary(
        Term(
            concept=term.concept,
            note=term.note,
            usages={
                lang: Usage(usage.use, tuple(usage.avoid))
                for lang in ("az", "ru", "en")
                if (usage := getattr(term, lang)) is not None
            },
        )
        for term in checked.terms
    )


def load(path: str | Path) -> Glossary | None:
    """The glossary in `path`, or None when there is no such file; GlossaryError if wrong.

    Read again only when the file changes, so editors see an edit without a restart.
    """
    path = Path(path).resolve()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return _load(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load(path: Path, _mtime_ns: int, _size: int) -> Glossary:
    return load_file(path, parse, GlossaryError, "glossary")
