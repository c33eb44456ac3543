"""Whoosh schema and the analyzers that make az, ru and en word forms meet.

One document per article translation; each language has its own fields because each needs
its own analyzer. A player's query is analyzed by every language's analyzer, so a query in
another language (or script) still finds the articles written in it.
"""

import re
import unicodedata
from functools import lru_cache

import pymorphy3
import Stemmer
from whoosh.analysis import Filter, RegexTokenizer
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.lang.stopwords import stoplists

from helpcenter.search.azerbaijani import analyze_word, fold_case
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
def english_stem(word: str) -> str:
    return _english.stemWord(word)


def analyze_token(word: str, lang: str) -> str | None:
    """The index term for one word in `lang`, or None for a stop word."""
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


class SurfaceFilter(Filter):
    """Lowercase (Azerbaijani-aware) without stemming: the vocabulary for "did you mean"."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold_case(unicodedata.normalize("NFC", token.text))
            if len(token.text) > 2:
                yield token


def analyzer(lang: str):
    return RegexTokenizer(WORD_RE) | LanguageFilter(lang)


def surface_analyzer():
    return RegexTokenizer(WORD_RE) | SurfaceFilter()


def field_name(field: str, lang: str) -> str:
    return f"{field}_{lang}"


def build_schema() -> Schema:
    fields = {
        "key": ID(stored=True, unique=True),
        # Columns too: ranking reads them for every scored hit without loading stored fields.
        "slug": ID(stored=True, sortable=True),
        "category": ID(stored=True),
        "lang": ID(stored=True, sortable=True),
        "title": STORED(),
        "summary": STORED(),
        "snippet": STORED(),
        "position": NUMERIC(stored=True),
    }
    for lang in LANGUAGES:
        for field in FIELD_WEIGHTS:
            fields[field_name(field, lang)] = TEXT(analyzer=analyzer(lang), phrase=False)
        fields[f"words_{lang}"] = TEXT(analyzer=surface_analyzer(), phrase=False, spelling=True)
    return Schema(**fields)
