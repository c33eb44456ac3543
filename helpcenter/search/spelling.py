"""Typo correction from the index's own vocabulary, through a symmetric deletion index.

Built with each index generation (`Vocabulary.of(reader)`, saved next to it by index.py and
loaded by each process with the searcher): every word of the vocabulary is filed under
itself and under each form with one letter deleted. A typed word then only generates its own
deletions (one letter, or two for words of 8 letters or more) and looks them up: no scan of
the vocabulary, no automaton. Of two typos in a long word, one must be an extra letter (two
wrong or missing letters are not found: that would take deletions of two letters of every
word, many times the memory). The candidates are checked with the real edit distance
(adjacent transpositions count one) and must keep the first letter, as players rarely
mistype that one.

Two vocabularies per language: the index terms of `text_<lang>` (stemmed, what a query looks
up) and the words as written (`written`: how many documents have each; folded for lookup:
what "did you mean" shows, and what a typo of an inflected or stemmed word is corrected
against).
"""

import marshal
import re
from collections import defaultdict
from dataclasses import dataclass, field

from helpcenter.search.analysis import analyze_token, surface_form, text_field
from helpcenter.vocabulary import LANGUAGES

_CYRILLIC = re.compile(r"[а-яё]")
MIN_LETTERS = 4
MAX_LETTERS = 24
LONG_WORD = 8  # from this length two typos are forgiven


def max_distance(word: str) -> int:
    return 2 if len(word) >= LONG_WORD else 1


def _deletions(word: str, depth: int) -> set[str]:
    found = {word}
    edge = {word}
    for _ in range(depth):
        edge = {w[:i] + w[i + 1 :] for w in edge for i in range(len(w))} - found
        found |= edge
    return found


def distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance of a and b, or limit + 1 when it is larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current.append(value)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


@dataclass
class Lexicon:
    """One vocabulary: word -> number of documents, and its one-deletion index.

    With `fold`, words are filed folded (ə -> e, ё -> е ...), and `display` gives back the
    most common way each folded word is written.
    """

    counts: dict[str, int]
    # A deletion -> the words it comes from, space-separated (one string loads faster).
    deleted: dict[str, str] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, written: dict[str, int], fold=None) -> "Lexicon":
        if fold is None:
            lexicon = cls(written)
        else:
            counts: dict[str, int] = {}
            display: dict[str, tuple[int, str]] = {}
            for word, count in written.items():
                key = fold(word)
                counts[key] = counts.get(key, 0) + count
                if key not in display or count > display[key][0]:
                    display[key] = (count, word)
            lexicon = cls(counts, display={key: word for key, (_, word) in display.items()})
        deleted: dict[str, list[str]] = defaultdict(list)
        for word in lexicon.counts:
            if MIN_LETTERS - 1 <= len(word) <= MAX_LETTERS:
                for form in _deletions(word, 1):
                    deleted[form].append(word)
        lexicon.deleted = {form: " ".join(words) for form, words in deleted.items()}
        return lexicon

    def written(self, word: str) -> str:
        return self.display.get(word, word)

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def near(self, word: str) -> list[tuple[int, int, str]]:
        """Words within the typo allowance of `word` (itself excluded), as
        (distance, -documents, word), closest and most common first."""
        if not MIN_LETTERS <= len(word) <= MAX_LETTERS:
            return []
        limit = max_distance(word)
        seen: set[str] = set()
        found = []
        for form in _deletions(word, limit):
            for candidate in self.deleted.get(form, "").split():
                if candidate in seen or candidate == word or candidate[0] != word[0]:
                    continue
                seen.add(candidate)
                d = distance(word, candidate, limit)
                if d <= limit:
                    found.append((d, -self.counts[candidate], candidate))
        found.sort()
        return found


@dataclass
class Vocabulary:
    """Index terms and surface words of every language of one index generation."""

    terms: dict[str, Lexicon]
    surface: dict[str, Lexicon]
    # Per language: each word as written -> the number of documents that have it.
    written: dict[str, dict[str, int]]
    # The Russian words of the documents (lowercase, ё as е) -> their index terms: a query
    # word the articles use needs no morphological parse (about a millisecond when cold).
    lemmas: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, reader, written: dict[str, dict[str, int]]) -> "Vocabulary":
        """The terms of the index `reader` reads, and the `written` words of its documents."""

        def counts(fieldname: str) -> dict[str, int]:
            if fieldname not in reader.schema:
                return {}
            return {
                term.decode("utf-8") if isinstance(term, bytes) else term: info.doc_frequency()
                for term, info in reader.iter_field(fieldname)
            }

        return cls(
            terms={code: Lexicon.of(counts(text_field(code))) for code in LANGUAGES},
            surface={
                code: Lexicon.of(written.get(code, {}), fold=surface_form) for code in LANGUAGES
            },
            written={code: dict(written.get(code, {})) for code in LANGUAGES},
            lemmas={
                word.replace("ё", "е"): term
                for word in written.get("ru", {})
                if _CYRILLIC.search(word) and (term := analyze_token(word, "ru"))
            },
        )

    def dumps(self) -> bytes:
        """The vocabulary as bytes (marshal: builtins only, quick to load)."""
        return marshal.dumps(
            {
                **{
                    kind: {
                        code: (lx.counts, lx.deleted, lx.display) for code, lx in lexicons.items()
                    }
                    for kind, lexicons in (("terms", self.terms), ("surface", self.surface))
                },
                "written": self.written,
                "lemmas": self.lemmas,
            }
        )

    @classmethod
    def loads(cls, data: bytes) -> "Vocabulary":
        raw = marshal.loads(data)  # written by dumps() into our own index
        return cls(
            **{
                kind: {code: Lexicon(*parts) for code, parts in raw[kind].items()}
                for kind in ("terms", "surface")
            },
            written=raw["written"],
            lemmas=raw["lemmas"],
        )

    def knows_term(self, lang: str, term: str) -> bool:
        return term in self.terms[lang]

    def knows_surface(self, word: str) -> bool:
        return any(word in lexicon for lexicon in self.surface.values())
