"""Searching the knowledge base: the player's words become a Whoosh query, never its syntax.

Each word is analyzed by every language's analyzer and looked up in that language's one
field (title, tags, summary and body, weighted when indexed). Latin text is also tried as
transliterated Russian, and any text as typed on the other keyboard layout. Every form is
first checked against the index's own vocabulary (in memory) and only forms that exist there
become clauses, so a query has a few clauses, not a hundred. A word found in no form is
corrected through the deletion index of the vocabulary (spelling.py), in every form: so a
layout swap or a transliteration with a typo on top ("dtdjl" for "вевод", "вывод") still
meets its article, ranked lower than an exact match. The correction is also the "did you
mean" suggestion.

Ranking: BM25 over the weighted field, times a bonus for the share of the query the title
answers, times the article's prior (ranking.py: what players open and find helpful, and the
editors' order). Hits in the player's language come first; an article found only in another
language is shown in that language and marked as a fallback. Hits scoring below
RELEVANT_FRACTION of the best are not results.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from markupsafe import Markup
from whoosh.query import DisjunctionMax, Or, Term

from helpcenter.search import index, scoring
from helpcenter.search.analysis import (
    RU_STOPWORDS,
    analyze_token,
    russian_known,
    surface_form,
    text_field,
)
from helpcenter.search.cyrillic import latin_to_cyrillic, looks_latin, swap_layout
from helpcenter.search.snippets import pick
from helpcenter.search.spelling import MAX_LETTERS, MIN_LETTERS, Vocabulary
from helpcenter.vocabulary import LANGUAGES

_CYRILLIC = re.compile(r"[а-яё]")
MAX_QUERY_CHARS = 200
MAX_WORDS = 10
# No real word is longer; typo correction slows down with the word's length.
MAX_FUZZY_LETTERS = MAX_LETTERS
FUZZY_BOOST = 0.35
TRANSLIT_BOOST = 0.8
LAYOUT_BOOST = 0.7
OTHER_LANGUAGE_FACTOR = 0.75
# Corrections tried per word and language (closest and most common first).
CORRECTIONS = 3
# Documents ranked per search (after scoring, see scoring.py): enough for one result per
# article in every language; the relevance cut keeps far fewer.
SCORED_HITS = 200
# A hit is a result when it scores at least this share of the best one.
RELEVANT_FRACTION = 0.3
# The best hits (by text score) whose titles are compared with the query.
TITLE_CHECKED = 30
TITLE_BONUS = 0.3


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


@dataclass
class Plan:
    """What a query looks for: its clauses, the words each one stands for, a suggestion."""

    # (language, term) -> boost: the best reason to look the term up.
    clauses: dict[tuple[str, str], float] = field(default_factory=dict)
    # For each query word (by position), the (language, term) pairs that stand for it.
    concepts: dict[int, set[tuple[str, str]]] = field(default_factory=dict)
    suggestion: str | None = None

    def add(self, position: int, lang: str, term: str, boost: float) -> None:
        key = (lang, term)
        if boost > self.clauses.get(key, 0.0):
            self.clauses[key] = boost
        self.concepts.setdefault(position, set()).add(key)

    @property
    def query(self):
        """One clause per query word: the best of its forms (exact, transliterated, other
        layout, corrected), so a word's many forms do not add up."""
        if not self.clauses:
            return None
        words = []
        for keys in self.concepts.values():
            terms = [Term(text_field(code), t, boost=self.clauses[code, t]) for code, t in keys]
            words.append(terms[0] if len(terms) == 1 else DisjunctionMax(terms, tiebreak=0.1))
        return words[0] if len(words) == 1 else Or(words)

    def words(self) -> list[list[tuple[str, str, float]]]:
        """Per query word, the (field, term, boost) of its forms (see scoring.py)."""
        return [
            [(text_field(code), t, self.clauses[code, t]) for code, t in keys]
            for keys in self.concepts.values()
        ]

    def wanted(self, lang: str) -> frozenset[str]:
        return frozenset(term for code, term in self.clauses if code == lang)


def plan(text: str, lang: str, vocab: Vocabulary) -> Plan:
    """The clauses for `text`: every form of every word that exists in the index, and
    corrections for a word that exists in no form."""
    result = Plan()
    variants = _variants(text)
    width = len(variants[0][0])
    known: set[int] = set()
    for n, (variant, boost) in enumerate(variants):
        aligned = len(variant) == width
        for i, word in enumerate(variant):
            position = i if aligned else width + i
            for code in LANGUAGES:
                term = _term(word, code, vocab, typed=n == 0)
                if term is None:  # a stop word: known, and not searched
                    known.add(position)
                elif vocab.knows_term(code, term):
                    known.add(position)
                    result.add(position, code, term, boost)
    # The suggestion: each unknown word by its first correction (as typed, then as
    # transliterated, then on the other layout).
    corrected: dict[int, str] = {}
    for n, (variant, boost) in enumerate(variants):
        aligned = len(variant) == width
        for i, word in enumerate(variant):
            position = i if aligned else width + i
            if position in known:
                continue
            best = _correct(result, position, word, boost, vocab, lang, typed=n == 0)
            if best is not None and aligned:
                corrected.setdefault(i, best)
    if corrected:
        typed = variants[0][0]
        result.suggestion = " ".join(corrected.get(i, word) for i, word in enumerate(typed))
    return result


def _term(word: str, code: str, vocab: Vocabulary, *, typed: bool) -> str | None:
    """The index term of `word` in `code`: None for a stop word, "" when not worth a parse.

    Russian words the articles use come from the vocabulary; a Russian form the player did
    not type (a transliteration, the other layout: "цшервкфцфд" for "withdrawal") that no
    dictionary knows is not parsed at all: it cannot be in the index.
    """
    if code == "ru":
        lowered = word.lower().replace("ё", "е")
        known = vocab.lemmas.get(lowered)
        if known:
            return known
        if (
            not typed
            and _CYRILLIC.search(lowered)
            and lowered not in RU_STOPWORDS
            and not russian_known(lowered)
        ):
            return ""
    return analyze_token(word, code)


def _correct(
    result: Plan,
    position: int,
    word: str,
    boost: float,
    vocab: Vocabulary,
    lang: str,
    *,
    typed: bool,
) -> str | None:
    """Add the corrections of an unknown `word`; return the best one as written."""
    surface = surface_form(word)
    if not MIN_LETTERS <= len(surface) <= MAX_FUZZY_LETTERS:
        return None
    best: tuple[tuple[int, bool, int], str] | None = None
    for code in LANGUAGES:
        lexicon = vocab.surface[code]
        for distance, minus_count, candidate in lexicon.near(surface)[:CORRECTIONS]:
            term = _term(candidate, code, vocab, typed=True)
            if term and vocab.knows_term(code, term):
                result.add(position, code, term, boost * FUZZY_BOOST)
                rank = (distance, code != lang, minus_count)
                if best is None or rank < best[0]:
                    best = (rank, lexicon.written(candidate))
        term = _term(word, code, vocab, typed=typed)
        if term:
            for _, _, near in vocab.terms[code].near(term)[:CORRECTIONS]:
                result.add(position, code, near, boost * FUZZY_BOOST)
    return best[1] if best else None


def build_query(text: str, reader=None):
    """A Whoosh query from plain player text, or None when no word is left to search."""
    current = index.searcher()
    return plan(text, "en", index.vocabulary(current)).query


def _terms_by_language(query) -> dict[str, frozenset[str]]:
    """The index terms the query looks for in each language, typo corrections included."""
    found: dict[str, set[str]] = {code: set() for code in LANGUAGES}
    for fieldname, text in query.iter_all_terms():
        code = fieldname.rsplit("_", 1)[-1]
        if code in found:
            found[code].add(text)
    return {code: frozenset(terms) for code, terms in found.items()}


def suggest(text: str, lang: str, searcher) -> str | None:
    """A corrected query from the index vocabulary when a word is found in no form.

    A word is known when it, its Russian transliteration or its other-layout form is in
    any language's vocabulary; corrections obey the typo rule (1 edit, 2 from 8 letters).
    """
    return plan(normalize(text), lang, index.vocabulary(searcher)).suggestion


def _snippet(stored: dict, wanted: frozenset[str]) -> Markup:
    """One or two sentences of the article with the query's words in <mark>."""
    return pick(
        stored.get("sentences") or [],
        stored.get("sentence_terms") or [],
        wanted,
        stored["lang"],
        stored["summary"],
    )


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
    planned = plan(text, lang, index.vocabulary(searcher))
    if not planned.clauses:
        return Results(text, lang, 0, (), planned.suggestion, 1, per_page)
    columns = index.columns(searcher)
    found = scoring.top_documents(searcher.reader(), planned.words(), SCORED_HITS)
    slugs, langs = columns.slugs, columns.langs
    # One result per article, ranked by its best score in any language and shown in the
    # player's language whenever that matched at all (hits arrive best first). Only the
    # columns are read here; stored fields are loaded for the page shown.
    best_score: dict[str, float] = {}
    chosen: dict[str, tuple[int, str]] = {}
    for docnum, raw in found:
        slug, hit_lang = slugs[docnum], langs[docnum]
        score = raw * (1.0 if hit_lang == lang else OTHER_LANGUAGE_FACTOR)
        best_score[slug] = max(score, best_score.get(slug, score))
        if slug not in chosen or (hit_lang == lang and chosen[slug][1] != lang):
            chosen[slug] = (docnum, hit_lang)
    ranked = sorted(chosen, key=lambda slug: -best_score[slug])
    priors = index.priors()
    concepts = [c for c in planned.concepts.values() if c]
    final: dict[str, float] = {}
    for n, slug in enumerate(ranked):
        score = best_score[slug] * priors.factor(slug)
        if n < TITLE_CHECKED and concepts:
            docnum, hit_lang = chosen[slug]
            title = columns.titles[docnum]
            answered = sum(
                1 for c in concepts if any(code == hit_lang and t in title for code, t in c)
            )
            score *= 1.0 + TITLE_BONUS * answered / len(concepts)
        final[slug] = score
    ranked.sort(key=lambda slug: -final[slug])
    if ranked:
        floor = final[ranked[0]] * RELEVANT_FRACTION
        ranked = [slug for slug in ranked if final[slug] >= floor]
    total = len(ranked)
    page = max(1, min(page, _page_count(total, per_page)))
    shown = ranked[(page - 1) * per_page : page * per_page]
    hits = []
    for slug in shown:
        stored = searcher.stored_fields(chosen[slug][0])
        hits.append(
            Hit(
                slug=slug,
                category=stored["category"],
                lang=stored["lang"],
                title=stored["title"],
                snippet=_snippet(stored, planned.wanted(stored["lang"])),
                score=round(final[slug], 4),
                is_fallback=stored["lang"] != lang,
            )
        )
    return Results(text, lang, total, tuple(hits), planned.suggestion, page, per_page)
