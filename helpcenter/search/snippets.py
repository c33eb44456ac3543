"""Snippets prepared when indexing: the article's text cut into sentences, headings apart.

A result's snippet is one or two whole sentences of the article with the query's words
marked. Cutting text into sentences and analyzing their words is done once per document
when it is indexed (`sentences_from_html`, `sentence_terms`); a query only picks the
sentence that holds most of its terms and marks the words in it (`pick`). So a snippet never
starts mid-sentence, and a heading ("Good to know") is never run into the text after it.
"""

import html
import re

import nh3
from markupsafe import Markup, escape

from helpcenter.search.analysis import WORD_RE, analyze_token

# Blocks of the article body: each is its own run of sentences.
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|tr|blockquote|pre|dd|dt|div)>|<br\s*/?>", re.I)
_CELL_END = re.compile(r"</t[dh]>", re.I)
# A sentence ends at . ! ? or … followed by space and a capital letter, digit or quote.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"«(\[]?[A-ZА-ЯЁƏÜÖĞİŞÇ0-9])")
_WORD = re.compile(WORD_RE)
_SPACES = re.compile(r"\s+")
# Private-use characters marking the ends of cells and blocks while the tags are stripped.
_CELL, _BLOCK = "\ue000", "\ue001"
_FULL_STOPS = (".", "!", "?", "…")
MAX_SENTENCES = 60
MAX_SENTENCE_CHARS = 400
SNIPPET_CHARS = 220


def sentences_from_html(body_html: str) -> list[str]:
    """The body's sentences in order; headings, list items and table rows are their own."""
    marked = _CELL_END.sub(_CELL, body_html)
    marked = _BLOCK_END.sub(_BLOCK, marked)
    text = html.unescape(nh3.clean(marked, tags=set()))
    blocks = []
    for block in text.split(_BLOCK):
        cells = (_SPACES.sub(" ", cell).strip() for cell in block.split(_CELL))
        block = " — ".join(cell for cell in cells if cell)
        if block:
            blocks.append(block)
    return _split(blocks)


def sentences_from_text(text: str) -> list[str]:
    """Plain text (without blocks) cut into sentences."""
    return _split([_SPACES.sub(" ", text).strip()])


def _split(blocks: list[str]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        for sentence in _SENTENCE_END.split(block):
            sentence = sentence.strip()
            if sentence:
                out.append(sentence[:MAX_SENTENCE_CHARS])
            if len(out) >= MAX_SENTENCES:
                return out
    return out


def sentence_terms(sentences: list[str], lang: str) -> list[str]:
    """Each sentence's index terms, space-separated (stored next to the sentences).

    One entry per word of the sentence, in order ("-" for a stop word), so marking the
    words of a chosen sentence needs no analysis at query time.
    """
    return [" ".join(analyze_token(w, lang) or "-" for w in _WORD.findall(s)) for s in sentences]


def pick(
    sentences: list[str], terms: list[str], wanted: frozenset[str], lang: str, fallback: str
) -> Markup:
    """The sentence(s) with most of the `wanted` terms, their words in <mark>.

    A second sentence is added, in text order, when it brings terms the first lacks and both
    fit in SNIPPET_CHARS. Without any match: `fallback` (the summary).
    """
    scored = []
    for i, line in enumerate(terms):
        # A substring test first: most sentences have none of the words.
        if not any(term in line for term in wanted):
            continue
        found = wanted.intersection(line.split())
        if found:
            # A whole sentence before a heading or a table row with as many of the words.
            scored.append((len(found), sentences[i].endswith(_FULL_STOPS), -i, i, found))
    if not scored:
        return escape(fallback or (sentences[0] if sentences else ""))
    scored.sort(reverse=True)
    *_, first, covered = scored[0]
    chosen = [first]
    for *_, i, found in scored[1:]:
        if found - covered and len(sentences[first]) + len(sentences[i]) <= SNIPPET_CHARS:
            chosen.append(i)
            break
    return Markup(" … ").join(
        _mark(sentences[i], terms[i].split(), wanted, lang) for i in sorted(chosen)
    )


def _mark(sentence: str, terms: list[str], wanted: frozenset[str], lang: str) -> Markup:
    """The sentence escaped, its words whose term is wanted in <mark>, cut around the first.

    `terms` are the sentence's words' terms in order (`sentence_terms`); a sentence stored
    without them (an older index) has its words analyzed here.
    """
    matches = list(_WORD.finditer(sentence))
    if len(terms) != len(matches):
        terms = [analyze_token(m.group(), lang) or "-" for m in matches]
    spans = [m.span() for m, term in zip(matches, terms, strict=True) if term in wanted]
    start, end, prefix, suffix = 0, len(sentence), "", ""
    if len(sentence) > SNIPPET_CHARS:
        first = spans[0][0] if spans else 0
        start = max(0, first - SNIPPET_CHARS // 3)
        if start:
            start = sentence.find(" ", start) + 1 or start
            prefix = "… "
        end = min(len(sentence), start + SNIPPET_CHARS)
        if end < len(sentence):
            end = sentence.rfind(" ", start, end) if " " in sentence[start:end] else end
            suffix = " …"
    parts: list[str | Markup] = [prefix]
    at = start
    for s, e in spans:
        if s < start or e > end:
            continue
        parts.append(sentence[at:s])
        parts.append(Markup("<mark>%s</mark>") % sentence[s:e])
        at = e
    parts.append(sentence[at:end])
    parts.append(suffix)
    return Markup("").join(parts)
