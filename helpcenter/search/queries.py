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
from whoosh.query import Or, Term

from helpcenter.search import index
from helpcenter.search.analysis import FIELD_WEIGHTS, analyze_token, analyzer, field_name
from helpcenter.search.azerbaijani import fold_case
from helpcenter.search.cyrillic import latin_to_cyrillic, looks_latin, swap_layout
from helpcenter.vocabulary import LANGUAGES

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


def _expansions(reader, field: str, term: str) -> tuple[str, ...]:
    """Index terms of `field` within the typo allowance of `term`, the term itself excluded
    (remembered per index generation: players repeat their words, and their typos)."""
    maxdist = 2 if len(term) >= 8 else 1
    return index.cached(
        ("typos", field, term),
        lambda _: tuple(
            sorted(
                word for word in reader.terms_within(field, term, maxdist, prefix=1) if word != term
            )
        ),
    )


def build_query(text: str, reader):
    """A Whoosh query from plain player text, or None when no word is left to search.

    Typo allowances are expanded here into plain terms, once: the same terms then name the
    words to highlight.
    """
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
                        fuzzy = weight * FUZZY_BOOST
                        clauses.extend(
                            Term(name, near, boost=fuzzy)
                            for near in _expansions(reader, name, term)
                        )
    return Or(clauses) if clauses else None


def _snippet(stored: dict, wanted: frozenset[str]) -> Markup:
    """Up to two fragments of the article with the query's words in <mark>."""
    lang = stored["lang"]
    if wanted:
        fragments = highlight.highlight(
            stored["snippet"],
            wanted,
            analyzer(lang),
            highlight.ContextFragmenter(maxchars=160, surround=60),
            highlight.HtmlFormatter(tagname="mark", between=" … "),
            top=SNIPPET_FRAGMENTS,
        )
        if fragments:
            return Markup(_MARK_CLASS.sub("<mark>", fragments))
    return escape(stored["summary"] or stored["snippet"][:160])


def _terms_by_language(query) -> dict[str, frozenset[str]]:
    """The index terms the query looks for in each language, typo expansions included."""
    found: dict[str, set[str]] = {code: set() for code in LANGUAGES}
    for fieldname, text in query.iter_all_terms():
        code = fieldname.rsplit("_", 1)[-1]
        if code in found:
            found[code].add(text)
    return {code: frozenset(terms) for code, terms in found.items()}


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
    if not words(text):
        return Results(text, lang, 0, (), None, 1, per_page)
    return index.cached(
        ("answer", text, lang, page, per_page),
        lambda searcher: _answer(searcher, text, lang, page, per_page),
    )


def _answer(searcher, text: str, lang: str, page: int, per_page: int) -> Results:
    reader = searcher.reader()
    query = build_query(text, reader)
    if query is None:
        return Results(text, lang, 0, (), None, 1, per_page)
    found = searcher.search(query, limit=SCORED_HITS)
    slugs, langs = reader.column_reader("slug"), reader.column_reader("lang")
    # One result per article, ranked by its best score in any language and shown in the
    # player's language whenever that matched at all (hits arrive best first). Only the
    # columns are read here; stored fields are loaded for the page shown.
    best_score: dict[str, float] = {}
    chosen: dict[str, tuple[int, str]] = {}
    for docnum, raw in found.items():
        slug, hit_lang = slugs[docnum], langs[docnum]
        score = raw * (1.0 if hit_lang == lang else OTHER_LANGUAGE_FACTOR)
        best_score[slug] = max(score, best_score.get(slug, score))
        if slug not in chosen or (hit_lang == lang and chosen[slug][1] != lang):
            chosen[slug] = (docnum, hit_lang)
    ranked = sorted(chosen, key=lambda slug: -best_score[slug])
    total = len(ranked)
    page = max(1, min(page, _page_count(total, per_page)))
    shown = ranked[(page - 1) * per_page : page * per_page]
    wanted = _terms_by_language(query) if shown else {}
    hits = []
    for slug in shown:
        stored = searcher.stored_fields(chosen[slug][0])
        hits.append(
            Hit(
                slug=slug,
                category=stored["category"],
                lang=stored["lang"],
                title=stored["title"],
                snippet=_snippet(stored, wanted[stored["lang"]]),
                score=round(best_score[slug], 4),
                is_fallback=stored["lang"] != lang,
            )
        )
    suggestion = suggest(text, lang, searcher)
    return Results(text, lang, total, tuple(hits), suggestion, page, per_page)
