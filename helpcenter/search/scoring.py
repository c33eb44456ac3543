"""Scoring a query straight from the index's postings, a block at a time.

The index stays Whoosh's; only the loop that adds up scores is ours. Whoosh's matcher tree
(a union of disjunctions of term matchers) costs tens of microseconds per matching document
in method calls, which made a query over 10,000 documents take 50 ms; reading each term's
postings block by block (document numbers and weights as arrays) and adding the scores up in
a dict costs well under a microsecond per posting.

The score is BM25 over weights normalized when indexing (analysis.normalized), with Whoosh's
inverse document frequency (the same as its own BM25F, so `searcher.search` over the same
query ranks alike). Each query word counts the best of its forms (exact, transliterated,
other layout, corrected: a disjunction max), and the words' scores add up.
"""

import heapq
import math
from collections.abc import Iterator, Sequence

from whoosh.reading import TermNotFound

from helpcenter.search.analysis import BM25_K1

# One query word: the (field, term, boost) of each of its forms.
Word = Sequence[tuple[str, str, float]]


def top_documents(reader, words: Sequence[Word], limit: int) -> list[tuple[int, float]]:
    """The `limit` best (document number, score) pairs, best first, for the query `words`."""
    count = reader.doc_count_all() or 1
    totals: dict[int, float] = {}
    for forms in words:
        best: dict[int, float] = {}
        for fieldname, term, boost in forms:
            frequency = reader.doc_frequency(fieldname, term)
            if not frequency:
                continue
            scale = boost * (math.log(count / (frequency + 1)) + 1) * (BM25_K1 + 1)
            get = best.get
            for ids, weights in _blocks(reader, fieldname, term):
                for docnum, weight in zip(ids, weights, strict=True):
                    score = scale * weight / (weight + BM25_K1)
                    if score > get(docnum, 0.0):
                        best[docnum] = score
        for docnum, score in best.items():
            totals[docnum] = totals.get(docnum, 0.0) + score
    if reader.has_deletions():
        for docnum in [d for d in totals if reader.is_deleted(d)]:
            del totals[docnum]
    top = heapq.nlargest(limit, totals.items(), key=lambda item: item[1])
    return top


def _blocks(reader, fieldname: str, term: str) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """The term's postings as (document numbers, weights), a block at a time, every segment."""
    for leaf, offset in reader.leaf_readers():
        try:
            matcher = leaf.postings(fieldname, term)
        except TermNotFound:
            continue
        if not all(hasattr(matcher, name) for name in _BLOCK_API):
            # Not Whoosh's own segment format: one posting at a time through the public API.
            while matcher.is_active():
                yield (matcher.id() + offset,), (matcher.weight(),)
                matcher.next()
            continue
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids = matcher._ids
            yield (ids if not offset else [i + offset for i in ids]), matcher._weights
            matcher._next_block()


# What a W3LeafMatcher (whoosh.codec.whoosh3, the only segment format of Whoosh 2.7) offers
# to read a whole block of postings at once.
_BLOCK_API = ("_read_ids", "_read_weights", "_ids", "_weights", "_next_block")
