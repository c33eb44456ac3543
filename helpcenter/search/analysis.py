"""Whoosh schema and the analyzers that make az, ru and en word forms meet.

One document per article translation. Each language has one searched field, `text_<lang>`,
because each needs its own analyzer; the field weights (title above tags above summary above
body) are applied when indexing, as the weight of each posting, so a query asks one field per
language instead of four. Documents are analyzed once, in Python (`index_terms`), with cached
word analysis: the index fields take the finished terms. A player's query is analyzed by every
language's analyzer, so a query in another language (or script) still finds the articles
written in it.

The stored `surface` field lists a document's words as written (lowercased, not stemmed):
the vocabulary that typo correction and "did you mean" pick from (spelling.py), counted when
an index generation is written rather than indexed word by word.
"""

import re
import unicodedata
from functools import lru_cache

import pymorphy3
import Stemmer
from whoosh.analysis import Filter, RegexTokenizer
from whoosh.fields import COLUMN, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.lang.stopwords import stoplists
from whoosh.scoring import BaseScorer, WeightingModel
from whoosh.system import pack_uint

from helpcenter.search.azerbaijani import analyze_word, fold_case, fold_letters
from helpcenter.vocabulary import LANGUAGES

# BM25F field weights: title above tags above summary above body.
FIELD_WEIGHTS = {"title": 4.0, "tags": 3.0, "summary": 2.0, "body": 1.0}
WORD_RE = r"\w+"

# Words that carry no meaning in a help-center question ("how", "my", "why"...).
AZ_STOPWORDS = frozenset(
    {
        "və",
        "ilə",
        "üçün",
        "bu",
        "bir",
        "nə",
        "necə",
        "niyə",
        "mən",
        "siz",
        "sən",
        "o",
        "biz",
        "onlar",
        "məni",
        "mənim",
        "sizin",
        "da",
        "də",
        "ki",
        "ya",
        "amma",
        "hansı",
        "harada",
        "haqqında",
        "kimi",
        "olar",
        "olur",
        "edə",
        "edim",
        "etmək",
        "edilir",
        "var",
        "yoxdur",
        "çox",
        "az",
        "ne",
        "nece",
        "niye",
        "menim",
        "hansi",
        "olmaq",
    }
)
RU_STOPWORDS = frozenset(stoplists["ru"]) | {"мой", "моя", "мое", "мои", "почему", "можно"}
EN_STOPWORDS = frozenset(stoplists["en"]) | {"my", "how", "why", "can", "do", "does", "i"}

_morph = pymorphy3.MorphAnalyzer()
_english = Stemmer.Stemmer("english")
_CYRILLIC = re.compile(r"[а-яё]")


@lru_cache(maxsize=200_000)
def russian_lemma(word: str) -> str:
    """Dictionary form of a Russian word with ё as е (депозиты -> депозит)."""
    return _morph.parse(word)[0].normal_form.replace("ё", "е")


@lru_cache(maxsize=200_000)
def russian_known(word: str) -> bool:
    """Whether pymorphy's dictionary has the word (a lookup, far cheaper than a parse)."""
    return _morph.word_is_known(word)


@lru_cache(maxsize=200_000)
def english_stem(word: str) -> str:
    return _english.stemWord(word)


@lru_cache(maxsize=500_000)
def analyze_token(word: str, lang: str) -> str | None:
    """The index term for one word in `lang`, or None for a stop word.

    Cached: indexing and snippets meet the same words over and over.
    """
    if lang == "az":
        lowered = fold_case(word)
        return None if lowered in AZ_STOPWORDS else analyze_word(lowered)
    lowered = word.lower().replace("ё", "е")
    if lang == "ru" and _CYRILLIC.search(lowered):
        return None if lowered in RU_STOPWORDS else russian_lemma(lowered)
    if lowered in EN_STOPWORDS or lowered in RU_STOPWORDS:
        return None
    return english_stem(lowered)


class LanguageFilter(Filter):
    """Turn each token into its language's index term; drop stop words."""

    def __init__(self, lang: str):
        self.lang = lang

    def __eq__(self, other):
        return type(other) is type(self) and other.lang == self.lang

    def __call__(self, tokens):
        for token in tokens:
            term = analyze_token(unicodedata.normalize("NFC", token.text), self.lang)
            if term:
                token.text = term
                yield token


def analyzer(lang: str):
    return RegexTokenizer(WORD_RE) | LanguageFilter(lang)


def field_name(field: str, lang: str) -> str:
    return f"{field}_{lang}"


def text_field(lang: str) -> str:
    """The one searched field of `lang`: every section's terms, weighted."""
    return f"text_{lang}"


_WORD = re.compile(WORD_RE)


@lru_cache(maxsize=500_000)
def _surface_case(word: str) -> str:
    """A word as the `surface` field keeps it: lowercased by Azerbaijani rules, letters kept
    (so "did you mean" shows them)."""
    return fold_case(word)


@lru_cache(maxsize=500_000)
def surface_form(word: str) -> str:
    """A word as the typo vocabulary keeps it: lowercased, Azerbaijani letters and ё folded."""
    return fold_letters(fold_case(word)).replace("ё", "е")


def index_terms(lang: str, sections: tuple[str, ...]) -> tuple[dict[str, float], int, set[str]]:
    """The weighted terms of one document's `sections` (title, tags, summary, body).

    Returns {term: summed weight}, the number of tokens (the field length BM25 normalizes
    by) and the surface words (3 letters or more) for the typo vocabulary.
    """
    weights: dict[str, float] = {}
    surface: set[str] = set()
    length = 0
    for text, weight in zip(sections, FIELD_WEIGHTS.values(), strict=True):
        for word in _WORD.findall(text):
            term = analyze_token(word, lang)
            if term:
                length += 1
                weights[term] = weights.get(term, 0.0) + weight
            if len(word) > 2:
                surface.add(_surface_case(word))
    return weights, length, surface


# BM25's parameters. The length normalization is applied when indexing, against a fixed
# reference length (about the shipped articles' mean) instead of the corpus average, so a
# document's weights do not depend on the others and a query never reads field lengths.
BM25_K1 = 8.0
BM25_B = 0.75
REFERENCE_LENGTH = 250


def normalized(weight: float, length: int) -> float:
    """A weighted term frequency divided by BM25's length normalization."""
    return weight / (1 - BM25_B + BM25_B * length / REFERENCE_LENGTH)


class PrenormalizedBM25(WeightingModel):
    """BM25 over posting weights that are already length-normalized (`normalized`).

    Scores need only the posting's weight, and the best score a block of postings can give
    comes from its maximum weight: a top-N search skips blocks that cannot make the list.
    K1 is well above Whoosh's 1.2 so the field weights given at index time (a title word
    counts 4) do not saturate: the articles about a word score clearly above those that
    only mention it, and the relevance cut (queries.RELEVANT_FRACTION) can drop the latter.
    8 was best on tests/search/relevance.yml (1.2 to 40 tried).
    """

    def __init__(self, k1: float = BM25_K1):
        self.k1 = k1

    def scorer(self, searcher, fieldname, text, qf=1):
        info = searcher.term_info(fieldname, text)
        return _PrenormalizedScorer(searcher.idf(fieldname, text), info.max_weight(), self.k1)


class _PrenormalizedScorer(BaseScorer):
    def __init__(self, idf: float, max_weight: float, k1: float):
        self.idf, self.k1 = idf, k1
        self._max = self._score(max_weight)

    def _score(self, weight: float) -> float:
        return self.idf * weight * (self.k1 + 1) / (weight + self.k1)

    def supports_block_quality(self) -> bool:
        return True

    def score(self, matcher) -> float:
        return self._score(matcher.weight())

    def max_quality(self) -> float:
        return self._max

    def block_quality(self, matcher) -> float:
        return self._score(matcher.block_max_weight())


class WeightedTerms(TEXT):
    """A TEXT field indexed from finished terms: {term: weight} (see `index_terms`).

    The posting's weight is the weighted term frequency, length-normalized (`normalized`);
    its frequency is the weight rounded, so the field length stays the number of tokens. A
    plain string is still analyzed by the field's analyzer.
    """

    def __init__(self, lang: str):
        super().__init__(analyzer=analyzer(lang), phrase=False)

    def index(self, value, **kwargs):
        if not isinstance(value, WeightedValue):
            yield from super().index(value, **kwargs)
            return
        for term, weight in value.weights.items():
            freq = max(1, round(weight * value.length_ratio))
            yield term.encode("utf-8"), freq, normalized(weight, value.length), pack_uint(freq)


class WeightedValue:
    """What `WeightedTerms` indexes: the terms, and the ratio that makes the summed
    frequencies add up to the document's token count (Whoosh's field length)."""

    __slots__ = ("length", "length_ratio", "weights")

    def __init__(self, weights: dict[str, float], length: int):
        self.weights, self.length = weights, length
        total = sum(weights.values()) or 1.0
        self.length_ratio = length / total


def build_schema() -> Schema:
    fields = {
        "key": ID(stored=True, unique=True),
        # Columns too: ranking reads them for every scored hit without loading stored fields.
        "slug": ID(stored=True, sortable=True),
        "category": ID(stored=True),
        "lang": ID(stored=True, sortable=True),
        # The title's terms, space-separated UTF-8: which query words the title answers
        # (a column, read for the best hits without loading their stored fields).
        "title_terms": COLUMN(),
        "title": STORED(),
        "summary": STORED(),
        # The body cut into sentences at index time (headings apart), and each one's terms:
        # a query only picks the best sentence and marks its words.
        "sentences": STORED(),
        "sentence_terms": STORED(),
        "position": NUMERIC(stored=True),
        # The document's words as written, space-separated: counted into the typo vocabulary
        # when a generation is written, and subtracted when the document is replaced.
        "surface": STORED(),
    }
    for lang in LANGUAGES:
        fields[text_field(lang)] = WeightedTerms(lang)
    return Schema(**fields)
