"""Searching the knowledge base: the player's words become a Whoosh query, never its syntax.

Each word is analyzed by every language's analyzer and looked up in that language's fields
(title, tags, summary, body with BM25F weights), exactly and with a typo allowance (ranked
lower). Latin text is also tried as transliterated Russian, and any text as typed on the
other keyboard layout. Hits in the player's language come first; an article found only in
another language is shown in that language and marked as a fallback.
"""

import re
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape
from whoosh import highlight
from whoosh.query import FuzzyTerm, Or, Term

from helpcenter.search import index
from helpcenter.search.analysis import FIELD_WEIGHTS, LANGUAGES, analyze_token, analyzer, field_name
from helpcenter.search.azerbaijani import fold_case
from helpcenter.search.cyrillic import latin_to_cyrillic, looks_latin, swap_layout

MAX_QUERY_CHARS = 200
MAX_WORDS = 10
# No real word is longer; fuzzy matching and suggestions slow down with the word's length.
MAX_FUZZY_LETTERS = 24
FUZZY_BOOST = 0.35
TRANSLIT_BOOST = 0.8
LAYOUT_BOOST = 0.7
OTHER_LANGUAGE_FACTOR = 0.75
# Documents scored per search: enough for one result per article in every language,
# while a top-N collector can skip the rest instead of scoring every match.
SCORED_HITS = 200
# Typos are forgiven where they matter: titles, tags and summaries.
FUZZY_FIELDS = ("title", "tags", "summary")
SNIPPET_FRAGMENTS = 2
_MARK_CLASS = re.compile(r'<mark class="match term\d+">')


@dataclass(frozen=True)
class Hit:
    slug: str
    category: str
    lang: str
    title: str
    snippet: Markup
    score: float
    is_fallback: bool


@dataclass(frozen=True)
class Results:
    query: str
    lang: str
    total: int
    hits: tuple[Hit, ...]
    suggestion: str | None
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return _page_count(self.total, self.per_page)


def _page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def normalize(text: str) -> str:
    """The query as searched and logged: NFC, no control or format characters, one space."""
    text = unicodedata.normalize("NFC", text)[: MAX_QUERY_CHARS * 4]
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    return " ".join(text.split())[:MAX_QUERY_CHARS].strip()


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)[:MAX_WORDS]


def _variants(text: str) -> list[tuple[list[str], float]]:
    variants = [(words(text), 1.0)]
    if looks_latin(text):
        variants.append((words(latin_to_cyrillic(text.lower())), TRANSLIT_BOOST))
    swapped = swap_layout(text)
    if swapped != text:
        variants.append((words(swapped), LAYOUT_BOOST))
    return variants


def build_query(text: str):
    """A Whoosh query from plain player text, or None when no word is left to search."""
    clauses, seen = [], set()
    for variant, boost in _variants(text):
        for word in variant:
            for lang in LANGUAGES:
                term = analyze_token(word, lang)
                if not term or (lang, term, boost) in seen:
                    continue
                seen.add((lang, term, boost))
                for field, weight in FIELD_WEIGHTS.items():
                    name = field_name(field, lang)
                    clauses.append(Term(name, term, boost=weight * boost))
                    if (
                        boost == 1.0
                        and field in FUZZY_FIELDS
                        and 4 <= len(term) <= MAX_FUZZY_LETTERS
                    ):
                        clauses.append(
                            FuzzyTerm(
                                name,
                                term,
                                boost=weight * boost * FUZZY_BOOST,
                                maxdist=2 if len(term) >= 8 else 1,
                                prefixlength=1,
                            )
                        )
    return Or(clauses) if clauses else None


def _snippet(hit) -> Markup:
    """Up to two fragments of the article with the words this hit matched in <mark>."""
    lang = hit["lang"]
    wanted = {
        text.decode() if isinstance(text, bytes) else text
        for fieldname, text in hit.matched_terms()
        if fieldname.endswith(f"_{lang}")
    }
    if wanted:
        fragments = highlight.highlight(
            hit["snippet"],
            frozenset(wanted),
            analyzer(lang),
            highlight.ContextFragmenter(maxchars=160, surround=60),
            highlight.HtmlFormatter(tagname="mark", between=" … "),
            top=SNIPPET_FRAGMENTS,
        )
        if fragments:
            return Markup(_MARK_CLASS.sub("<mark>", fragments))
    return escape(hit["summary"] or hit["snippet"][:160])


def suggest(text: str, lang: str, searcher) -> str | None:
    """A corrected query from the index vocabulary when a word looks misspelled.

    A word is known when it, its Russian transliteration or its other-layout form is in
    any language's vocabulary; corrections obey the typo rule (1 edit, 2 from 8 letters).
    """
    reader = searcher.reader()
    corrected, changed = [], False
    for word in words(text):
        surface = fold_case(word)
        forms = {surface, fold_case(swap_layout(word))}
        if looks_latin(word):
            forms.add(fold_case(latin_to_cyrillic(word.lower())))
        known = any(reader.frequency(f"words_{code}", form) for form in forms for code in LANGUAGES)
        if known or not 4 <= len(surface) <= MAX_FUZZY_LETTERS:
            corrected.append(word)
            continue
        maxdist = 2 if len(surface) >= 8 else 1
        candidates = []
        for code in (lang, *[c for c in LANGUAGES if c != lang]):
            candidates = searcher.suggest(f"words_{code}", surface, limit=1, maxdist=maxdist)
            if candidates:
                break
        corrected.append(candidates[0] if candidates else word)
        changed |= bool(candidates)
    return " ".join(corrected) if changed else None


def search(text: str, lang: str, *, page: int = 1, per_page: int = 10) -> Results:
    """Search for `text` as a player browsing in `lang` would expect; never raises on input."""
    text = normalize(text)
    query = build_query(text) if text else None
    if query is None:
        return Results(text, lang, 0, (), None, 1, per_page)
    searcher = index.searcher()
    found = searcher.search(query, limit=SCORED_HITS, terms=True)
    # One result per article, ranked by its best score in any language and shown in the
    # player's language whenever that matched at all (hits arrive best first).
    best_score: dict[str, float] = {}
    chosen: dict = {}
    for hit in found:
        slug = hit["slug"]
        score = hit.score * (1.0 if hit["lang"] == lang else OTHER_LANGUAGE_FACTOR)
        best_score[slug] = max(score, best_score.get(slug, score))
        if slug not in chosen or (hit["lang"] == lang and chosen[slug]["lang"] != lang):
            chosen[slug] = hit
    ranked = sorted(chosen, key=lambda slug: -best_score[slug])
    total = len(ranked)
    page = max(1, min(page, _page_count(total, per_page)))
    shown = [
        (best_score[slug], chosen[slug]) for slug in ranked[(page - 1) * per_page : page * per_page]
    ]
    hits = tuple(
        Hit(
            slug=hit["slug"],
            category=hit["category"],
            lang=hit["lang"],
            title=hit["title"],
            snippet=_snippet(hit),
            score=round(score, 4),
            is_fallback=hit["lang"] != lang,
        )
        for score, hit in shown
    )
    suggestion = suggest(text, lang, searcher)
    return Results(text, lang, total, hits, suggestion, page, per_page)
