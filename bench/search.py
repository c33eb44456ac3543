"""Search speed and quality on a corpus scaled to ~10,000 article versions (`make bench`).

Searching runs in this process with the test settings on a fresh data directory: the database
is migrated, content/ is loaded and the 111 real index documents (one per article translation)
are taken from `index.documents()`. Synthetic copies (slug `<slug>-copyN`) fill the corpus up to
--docs documents: each copy's text is its source's sentences, about half of them, shuffled with
as many sentences of other articles in the same language; its title and tags mix half of the
source's words with another article's. The real documents keep their real slugs, so the
relevance set (tests/search/relevance.yml) still applies.

Measured on that corpus:
  1. Whoosh indexing with `index.rebuild(docs=corpus)`: time, documents, size on disk.
  2. `queries.search` latency per kind of query with the answer cache off, and where its time
     goes. Every pass runs all the relevance queries; passes stop at --rounds or before one
     would end after --seconds.
  3. The real search page under gunicorn over that index (answer cache off, and on for
     queries asked before) next to a bare Flask page serving its bytes, as in bench/pages.py.
  4. SQLite FTS5 over the same corpus: indexing, latency and hit@1/hit@3/MRR next to Whoosh.

    .venv/bin/python bench/search.py [--docs N] [--rounds R] [--seconds S]
                                     [--page-rounds R] [--bare-requests N] [--workers W]
                                     [--seed S]

Exit status: 0 when every search page answered 200 (the ratio target is reported, not
enforced), 1 when any did not, 2 when the benchmark could not be set up.
"""

import argparse
import http.client
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode

import flask_migrate
import yaml
from markupsafe import Markup

if __package__ in (None, ""):  # run as a script: make `bench` importable like helpcenter
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import (
    APP_TARGET,
    BARE_PAGE_ENV,
    BARE_TARGET,
    ROOT,
    BenchError,
    Server,
    _app_env,
    _free_ports,
    _get,
    _percentile,
    _positive_float,
    _positive_int,
)
from helpcenter import create_app
from helpcenter.articles.services import load_content
from helpcenter.extensions import db
from helpcenter.search import index, queries
from helpcenter.search.analysis import FIELD_WEIGHTS, field_name

RELEVANCE_FILE = ROOT / "tests" / "search" / "relevance.yml"
CONTENT_DIR = ROOT / "content"
KINDS = (
    "exact",
    "inflected",
    "no-diacritics",
    "typo",
    "transliterated",
    "wrong-layout",
    "paraphrase",
    "fallback",
)
PER_PAGE = 10
PAGE_WARMUP = 3
CACHE_WARMUP_PASSES = 6
BREAKDOWN_SAMPLE = 25
BARE_WARMUP = 100
FTS_COLUMNS = ("key", "slug", "lang", "title", "tags", "summary", "body")
FTS_TOKENIZER = "unicode61 remove_diacritics 2"
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")

Case = dict  # one relevance.yml entry: q, lang, kind, expect


# --- corpus --------------------------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


def _half(rng: random.Random, items: list[str]) -> list[str]:
    """A random half of `items` (at least one when there is any), in random order."""
    return rng.sample(items, max(1, -(-len(items) // 2))) if items else []


def _text_fields(doc: dict) -> tuple[str, list[str], str, str]:
    lang = doc["lang"]
    return (
        doc[field_name("title", lang)],
        doc[field_name("tags", lang)].split(),
        doc[field_name("summary", lang)],
        doc[field_name("body", lang)],
    )


def _index_doc(base: dict, slug: str, title: str, tags: str, summary: str, body: str) -> dict:
    """An index document shaped like the ones `index.documents()` yields."""
    lang = base["lang"]
    return {
        "key": f"{slug}:{lang}",
        "slug": slug,
        "category": base["category"],
        "lang": lang,
        "title": title,
        "summary": summary,
        "snippet": body[: index.SNIPPET_CHARS],
        "position": base["position"],
        field_name("title", lang): title,
        field_name("tags", lang): tags,
        field_name("summary", lang): summary,
        field_name("body", lang): body,
        f"words_{lang}": " ".join((title, tags, summary, body)),
    }


def build_corpus(real: list[dict], size: int, seed: int) -> list[dict]:
    """The real documents, then copies of them in turn (copy1 of each, copy2...) up to `size`."""
    rng = random.Random(seed)
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for doc in real:
        by_lang[doc["lang"]].append(doc)
    sentences = {doc["key"]: _sentences(_text_fields(doc)[3]) for doc in real}
    others = {  # per document: the other articles in its language (itself if there is none)
        doc["key"]: [o for o in by_lang[doc["lang"]] if o["slug"] != doc["slug"]] or [doc]
        for doc in real
    }
    pools = {key: [s for o in docs for s in sentences[o["key"]]] for key, docs in others.items()}
    corpus = list(real)
    copy = 0
    while len(corpus) < size:  # bounded: every pass adds len(real) >= 1 documents
        copy += 1
        for doc in real:
            if len(corpus) >= size:
                break
            other = rng.choice(others[doc["key"]])
            title, tags, summary, _ = _text_fields(doc)
            other_title, other_tags, other_summary, _ = _text_fields(other)
            own = _half(rng, sentences[doc["key"]])
            pool = pools[doc["key"]]
            mixed = own + rng.sample(pool, min(len(pool), max(1, len(own))))
            rng.shuffle(mixed)
            words = _half(rng, title.split()) + _half(rng, other_title.split())
            rng.shuffle(words)
            corpus.append(
                _index_doc(
                    doc,
                    slug=f"{doc['slug']}-copy{copy}",
                    title=" ".join(words),
                    tags=" ".join(_half(rng, tags) + _half(rng, other_tags)),
                    summary=rng.choice((summary, other_summary)),
                    body=" ".join(mixed),
                )
            )
    return corpus


def _dir_megabytes(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1_000_000


# --- measurements --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Latency:
    n: int
    p50: float
    p95: float

    @classmethod
    def of(cls, values_ms: Iterable[float]) -> "Latency":
        ordered = sorted(values_ms)
        return cls(len(ordered), _percentile(ordered, 50), _percentile(ordered, 95))


def _timed(func: Callable, *args, **kwargs) -> tuple[float, object]:
    """(milliseconds, result) of one call."""
    started = time.perf_counter()
    result = func(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, result


def _rank(slugs: list[str], expect: str) -> int | None:
    return slugs.index(expect) + 1 if expect in slugs else None


def _by_kind(cases: list[Case], values: list[list[float]]) -> dict[str, list[float]]:
    """Per kind and "all": every value measured for the cases of that kind."""
    grouped: dict[str, list[float]] = defaultdict(list)
    for case, measured in zip(cases, values, strict=True):
        grouped[case["kind"]].extend(measured)
        grouped["all"].extend(measured)
    return grouped


def whoosh_queries(
    cases: list[Case], rounds: int, budget: float
) -> tuple[list[list[float]], list[int | None]]:
    """Timed passes over every case: at least one, at most `rounds`, and no new pass once the
    next would likely end after `budget` seconds. The first pass gives the ranks."""
    for lang in sorted({case["lang"] for case in cases}):  # warm-up: open the index, caches
        queries.search(next(c["q"] for c in cases if c["lang"] == lang), lang, per_page=PER_PAGE)
    ranks: list[int | None] = []
    timings: list[list[float]] = [[] for _ in cases]
    started = time.perf_counter()
    for done in range(rounds):
        spent = time.perf_counter() - started
        if done and spent + spent / done > budget:
            break
        for i, case in enumerate(cases):
            elapsed, found = _timed(queries.search, case["q"], case["lang"], per_page=PER_PAGE)
            timings[i].append(elapsed)
            if not done:
                ranks.append(_rank([hit.slug for hit in found.hits], case["expect"]))
    return timings, ranks


def _no_snippet(stored: dict, wanted: frozenset[str]) -> Markup:
    return Markup("")


def whoosh_breakdown(cases: list[Case]) -> dict[str, float]:
    """Mean milliseconds per query of each step of `queries.search` (answer cache off)."""
    totals: dict[str, float] = defaultdict(float)
    for case in cases:
        q, lang = case["q"], case["lang"]
        full, _ = _timed(queries.search, q, lang, per_page=PER_PAGE)
        with mock.patch.object(queries, "_snippet", _no_snippet):
            bare, _ = _timed(queries.search, q, lang, per_page=PER_PAGE)
        text = queries.normalize(q)
        searcher = index.searcher()
        build, query = _timed(queries.build_query, text, searcher.reader())
        if query is not None:
            totals["searcher.search"] += _timed(searcher.search, query, limit=queries.SCORED_HITS)[
                0
            ]
            totals["query terms"] += _timed(queries._terms_by_language, query)[0]
            totals["suggest"] += _timed(queries.suggest, text, lang, searcher)[0]
        totals["full"] += full
        totals["without snippets"] += bare
        totals["build_query"] += build
        totals["snippets"] += full - bare
    return {step: value / len(cases) for step, value in totals.items()}


def _search_url(case: Case) -> str:
    return f"/{case['lang']}/search?{urlencode({'q': case['q']})}"


def _sequential(port: int, paths: list[str], failures: list[str]) -> list[float]:
    """GET each path in turn on a new connection, like a player's browser; ms per request."""
    timings = []
    for path in paths:
        started = time.perf_counter()
        try:
            status, _ = _get(port, path)
            problem = "" if status == 200 else f"HTTP {status}"
        except (OSError, http.client.HTTPException) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        timings.append((time.perf_counter() - started) * 1000)
        if problem:
            failures.append(f"{problem} from :{port}{path}")
    return timings


@dataclass
class Pages:
    """The search page and a bare page under gunicorn, measured in one run."""

    workers: int
    page_bytes: int
    queries: int
    bare_first: Latency
    uncached: Latency
    cached: Latency
    bare_last: Latency
    failures: list[str]

    @property
    def base_p95(self) -> float:
        return (self.bare_first.p95 + self.bare_last.p95) / 2


def gunicorn_pages(args: argparse.Namespace, data_dir: Path, cases: list[Case]) -> Pages:
    """Serve the real search page from the benchmark's data directory (its scaled index)
    under gunicorn with production settings, next to a bare Flask app serving its bytes.

    One app server runs with the answer cache off (every request searches the index), one
    with it on (the query was asked before, as the common questions are); requests go one
    at a time on new connections from this process.
    """
    env = _app_env(data_dir / "data", None)
    cold_port, warm_port, bare_port = _free_ports(3)
    paths = [_search_url(case) for case in cases]
    failures: list[str] = []
    servers: list[Server] = []
    try:
        cold_env = {**env, "HELPCENTER_SEARCH_CACHE_SIZE": "0"}
        cold = Server("search, no cache", APP_TARGET, cold_port, args.workers, cold_env,
                      data_dir / "cold.log")  # fmt: skip
        servers.append(cold)
        warm = Server("search", APP_TARGET, warm_port, args.workers, env, data_dir / "warm.log")
        servers.append(warm)
        cold.wait_ready("/healthz")
        warm.wait_ready("/healthz")
        status, page = _get(warm_port, paths[0])
        if status != 200:
            raise BenchError(f"the search page answered HTTP {status}")
        page_file = data_dir / "bare-page.html"
        page_file.write_bytes(page)
        bare = Server("bare", BARE_TARGET, bare_port, args.workers,
                      {**env, BARE_PAGE_ENV: str(page_file)}, data_dir / "bare.log")  # fmt: skip
        servers.append(bare)
        bare.wait_ready("/")
        bare_paths = ["/"] * args.bare_requests
        _sequential(bare_port, ["/"] * BARE_WARMUP, failures)
        bare_first = Latency.of(_sequential(bare_port, bare_paths, failures))
        _sequential(cold_port, paths[:PAGE_WARMUP] * args.workers, failures)
        uncached = Latency.of(_sequential(cold_port, paths * args.page_rounds, failures))
        # Every worker answers each query at least once before the timed passes (the
        # kernel hands connections to workers unevenly, so several warm-up passes).
        _sequential(warm_port, paths * CACHE_WARMUP_PASSES, failures)
        cached = Latency.of(_sequential(warm_port, paths * args.page_rounds, failures))
        bare_last = Latency.of(_sequential(bare_port, bare_paths, failures))
    finally:
        for server in servers:
            server.stop()
    return Pages(
        workers=args.workers,
        page_bytes=len(page),
        queries=len(paths),
        bare_first=bare_first,
        uncached=uncached,
        cached=cached,
        bare_last=bare_last,
        failures=failures,
    )


# --- SQLite FTS5 ---------------------------------------------------------------------------------


def fts_build(path: Path, corpus: list[dict]) -> tuple[sqlite3.Connection, float]:
    """An FTS5 table over the corpus in a file; returns the connection and the seconds taken."""
    conn = sqlite3.connect(path)
    started = time.perf_counter()
    columns = [f"{name} UNINDEXED" for name in FTS_COLUMNS[:3]] + list(FTS_COLUMNS[3:])
    conn.execute(
        f"CREATE VIRTUAL TABLE docs USING fts5({', '.join(columns)}, tokenize='{FTS_TOKENIZER}')"
    )
    rows = ((doc["key"], doc["slug"], doc["lang"], *_fts_text(doc)) for doc in corpus)
    with conn:
        conn.executemany(f"INSERT INTO docs VALUES ({', '.join('?' * len(FTS_COLUMNS))})", rows)
        conn.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    return conn, time.perf_counter() - started


def _fts_text(doc: dict) -> list[str]:
    """The title, tags, summary and body of an index document."""
    return [doc[field_name(field, doc["lang"])] for field in FIELD_WEIGHTS]


def fts_match(text: str) -> str:
    """An FTS5 OR query of the quoted words of `text`: its syntax never reaches FTS5."""
    return " OR ".join('"{}"'.format(word.replace('"', '""')) for word in queries.words(text))


_FTS_SEARCH = (
    "WITH matched AS MATERIALIZED ("
    " SELECT slug, bm25(docs, 0, 0, 0, {weights}) AS score FROM docs WHERE docs MATCH ?"
    ") SELECT slug, MIN(score) AS best FROM matched GROUP BY slug ORDER BY best LIMIT ?"
).format(weights=", ".join(str(w) for w in FIELD_WEIGHTS.values()))


def fts_search(conn: sqlite3.Connection, text: str) -> list[str]:
    """Slugs of the best PER_PAGE articles, one result per slug, by bm25 (lower is better)."""
    match = fts_match(queries.normalize(text))
    if not match:
        return []
    return [slug for slug, _ in conn.execute(_FTS_SEARCH, (match, PER_PAGE))]


def fts_queries(
    conn: sqlite3.Connection, cases: list[Case], rounds: int
) -> tuple[list[list[float]], list[int | None]]:
    ranks = [_rank(fts_search(conn, case["q"]), case["expect"]) for case in cases]
    timings: list[list[float]] = [[] for _ in cases]
    for _ in range(rounds):
        for i, case in enumerate(cases):
            timings[i].append(_timed(fts_search, conn, case["q"])[0])
    return timings, ranks


# --- report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quality:
    n: int
    hit1: float
    hit3: float
    mrr: float

    @classmethod
    def of(cls, ranks: list[int | None]) -> "Quality":
        n = len(ranks)
        return cls(
            n=n,
            hit1=sum(1 for r in ranks if r == 1) / n,
            hit3=sum(1 for r in ranks if r and r <= 3) / n,
            mrr=sum(1 / r for r in ranks if r) / n,
        )


@dataclass
class Measured:
    """Everything one run measured, for the report."""

    cases: list[Case]
    corpus_size: int
    real_size: int
    by_lang: dict[str, int]
    whoosh_index_s: float
    whoosh_mb: float
    whoosh_times: list[list[float]]
    whoosh_ranks: list[int | None]
    breakdown: dict[str, float]
    breakdown_count: int
    pages: Pages
    fts_index_s: float
    fts_mb: float
    fts_times: list[list[float]]
    fts_ranks: list[int | None]


def _kinds(cases: list[Case]) -> list[str]:
    present = {case["kind"] for case in cases}
    return [kind for kind in KINDS if kind in present] + sorted(present - set(KINDS)) + ["all"]


def _table(header: str, lines: list[str]) -> None:
    header = "\n".join(line.rstrip() for line in header.splitlines())
    print(header)
    print("-" * max(len(line) for line in header.splitlines()))
    for line in lines:
        print(line)
    print()


def print_indexing(m: Measured) -> None:
    print("indexing: Whoosh = index.rebuild(docs=corpus), size of the generation dir;")
    print(f"          FTS5 = one transaction + 'optimize', tokenize='{FTS_TOKENIZER}'")
    rows = [("whoosh", m.whoosh_index_s, m.whoosh_mb), ("fts5", m.fts_index_s, m.fts_mb)]
    _table(
        f"{'engine':<8} {'documents':>9} {'index s':>8} {'size MB':>8}",
        [f"{name:<8} {m.corpus_size:>9} {secs:>8.1f} {mb:>8.1f}" for name, secs, mb in rows],
    )


def print_latency(m: Measured) -> None:
    rounds_w, rounds_f = len(m.whoosh_times[0]), len(m.fts_times[0])
    print("query latency per kind: Whoosh = queries.search(q, lang, per_page=10) in")
    print(f"          app.test_request_context(), {_rounds(rounds_w)} of every query after one")
    print("          warm-up query per language; FTS5 = OR of the quoted query words, bm25")
    print("          weights title 4 tags 3 summary 2 body 1, one result per slug, top 10,")
    print(f"          {_rounds(rounds_f)}")
    w, f = _by_kind(m.cases, m.whoosh_times), _by_kind(m.cases, m.fts_times)
    lines = []
    for kind in _kinds(m.cases):
        lw, lf = Latency.of(w[kind]), Latency.of(f[kind])
        count = sum(1 for case in m.cases if kind in ("all", case["kind"]))
        lines.append(
            f"{kind:<15} {count:>7} | {lw.n:>5} {lw.p50:>8.1f} {lw.p95:>8.1f} | "
            f"{lf.n:>5} {lf.p50:>8.2f} {lf.p95:>8.2f}"
        )
    _table(
        f"{'':<15} {'':>7} | {'whoosh':^23} | {'fts5':^23}\n"
        f"{'kind':<15} {'queries':>7} | {'runs':>5} {'p50 ms':>8} {'p95 ms':>8} | "
        f"{'runs':>5} {'p50 ms':>8} {'p95 ms':>8}",
        lines,
    )


def _rounds(count: int) -> str:
    return f"{count} timed round{'s' if count != 1 else ''}"


def print_breakdown(m: Measured) -> None:
    steps = m.breakdown
    full = steps["full"]
    named = ["build_query", "searcher.search", "query terms", "snippets", "suggest"]
    values = [(name, steps[name]) for name in named]
    values.append(("rest (dedupe by columns, stored fields)", full - sum(steps[n] for n in named)))
    lines = [f"{name:<44} {ms:>8.2f} {ms / full * 100:>6.1f}%" for name, ms in values]
    lines.append(f"{'queries.search, total':<44} {full:>8.2f} {100:>6.1f}%")
    print(f"where the time goes (Whoosh): one pass over {m.breakdown_count} of the relevance")
    print("          queries (spread over languages and kinds), mean ms per query")
    _table(f"{'step':<44} {'ms':>8} {'share':>7}", lines)
    print("snippets = queries.search minus a second run of it with queries._snippet")
    print(
        f"monkeypatched to a trivial function returning empty Markup ({full:.2f} - "
        f"{steps['without snippets']:.2f} ms); build_query, searcher.search(limit="
        f"{queries.SCORED_HITS}),"
    )
    print("query terms (the words to highlight) and suggest are timed directly;")
    print("rest is what remains of the total.")
    print()


def print_pages(m: Measured) -> tuple[float, float]:
    p = m.pages
    base_p50 = (p.bare_first.p50 + p.bare_last.p50) / 2
    print(f"pages under gunicorn ({p.workers} sync workers each, production settings), one")
    print("          request at a time on a new connection: bare = bench/bare_app.py serving")
    print(f"          the {p.page_bytes} bytes of a real search page, measured first and last;")
    print(f"          search = /<lang>/search?q=... for the {p.queries} relevance queries in")
    print("          turn, each writing its SearchLog row; 'no cache' searches the index on")
    print("          every request, 'asked before' answers from the per-worker answer cache")
    rows = [
        ("bare (first)", p.bare_first),
        ("search, no cache", p.uncached),
        ("search, asked before", p.cached),
        ("bare (last)", p.bare_last),
    ]
    lines = [f"{name:<21} {lat.n:>8} {lat.p50:>8.2f} {lat.p95:>8.2f}" for name, lat in rows]
    lines.append(f"{'bare (mean)':<21} {'':>8} {base_p50:>8.2f} {p.base_p95:>8.2f}")
    _table(f"{'page':<21} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8}", lines)
    if p.base_p95 <= 0:
        return float("inf"), float("inf")
    return p.uncached.p95 / p.base_p95, p.cached.p95 / p.base_p95


def print_quality(m: Measured) -> None:
    w: dict[str, list[int | None]] = defaultdict(list)
    f: dict[str, list[int | None]] = defaultdict(list)
    for case, rw, rf in zip(m.cases, m.whoosh_ranks, m.fts_ranks, strict=True):
        for key in (case["kind"], "all"):
            w[key].append(rw)
            f[key].append(rf)
    lines = []
    for kind in _kinds(m.cases):
        qw, qf = Quality.of(w[kind]), Quality.of(f[kind])
        lines.append(
            f"{kind:<15} {qw.n:>4} | {qw.hit1:>6.2f} {qw.hit3:>6.2f} {qw.mrr:>6.2f} | "
            f"{qf.hit1:>6.2f} {qf.hit3:>6.2f} {qf.mrr:>6.2f}"
        )
    print("relevance on the scaled corpus: rank of the expected slug in the top 10")
    print("          (Whoosh ranks from its first timed round)")
    _table(
        f"{'':<15} {'':>4} | {'whoosh':^20} | {'fts5':^20}\n"
        f"{'kind':<15} {'n':>4} | {'hit@1':>6} {'hit@3':>6} {'MRR':>6} | "
        f"{'hit@1':>6} {'hit@3':>6} {'MRR':>6}",
        lines,
    )


def print_report(m: Measured, args: argparse.Namespace) -> None:
    langs = ", ".join(f"{lang} {n}" for lang, n in sorted(m.by_lang.items()))
    print("helpcenter search benchmark")
    print(
        f"corpus:   {m.corpus_size} documents ({m.real_size} real, "
        f"{m.corpus_size - m.real_size} synthetic copies; {langs}), seed {args.seed}"
    )
    print("copies:   <slug>-copyN: half the source's sentences shuffled with as many from other")
    print("          same-language articles; title and tags mix half the source's words with")
    print("          another article's; summary is the source's or that other article's")
    print("app:      create_app() with TestConfig on a temporary SQLite data dir, in process,")
    print("          answer cache off (SEARCH_CACHE_SIZE=0); pages under gunicorn (below)")
    print(f"          Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")
    print(
        f"queries:  {len(m.cases)} from {RELEVANCE_FILE.relative_to(ROOT)}; Whoosh passes stop "
        f"at --rounds {args.rounds}\n          or before one would end after --seconds "
        f"{args.seconds:g}"
    )
    print()
    print_indexing(m)
    print_latency(m)
    print_breakdown(m)
    uncached, cached = print_pages(m)
    print(f"search page p95 / bare p95: no cache {uncached:.2f}x, asked before {cached:.2f}x")
    print("          (target <= 3x)")
    print()
    print_quality(m)
    overall_w, overall_f = Quality.of(m.whoosh_ranks), Quality.of(m.fts_ranks)
    print(f"hit@3: whoosh {overall_w.hit3:.2f} vs fts5 {overall_f.hit3:.2f}")
    for failure in m.pages.failures[:10]:
        print(f"error: {failure}")


# --- setup and main ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--docs", type=_positive_int, default=10_000, help="corpus size (default 10000)"
    )
    parser.add_argument(
        "--rounds", type=_positive_int, default=5, help="timed passes over the relevance set"
    )
    parser.add_argument(
        "--seconds",
        type=_positive_float,
        default=120.0,
        help="no new Whoosh pass once the next would end after this (default 120)",
    )
    parser.add_argument(
        "--page-rounds", type=_positive_int, default=2, help="timed passes of the search page"
    )
    parser.add_argument(
        "--bare-requests", type=_positive_int, default=1000, help="requests per bare page run"
    )
    parser.add_argument(
        "--workers", type=_positive_int, default=2, help="gunicorn sync workers per server"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic copies")
    return parser.parse_args(argv)


def _sample(cases: list[Case], count: int) -> list[Case]:
    """`count` cases spread evenly over the file (so over languages and kinds)."""
    step = max(1, len(cases) // count)
    return cases[::step][:count]


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(args: argparse.Namespace, cases: list[Case], data_dir: Path) -> Measured:
    app = create_app({"DATA_DIR": str(data_dir / "data"), "SEARCH_CACHE_SIZE": 0})
    sample = _sample(cases, BREAKDOWN_SAMPLE)
    with app.app_context():
        _progress("migrating and loading content ...")
        flask_migrate.upgrade()
        load_content(directory=CONTENT_DIR)
        real = list(index.documents())
        if not real:
            raise BenchError(f"no published article in {CONTENT_DIR}")
        corpus = build_corpus(real, max(args.docs, len(real)), args.seed)

        _progress(f"Whoosh: indexing {len(corpus)} documents ...")
        whoosh_ms, generation = _timed(index.rebuild, docs=corpus)
        whoosh_mb = _dir_megabytes(index.root() / generation)

        _progress(f"Whoosh: {len(cases)} queries, up to {args.rounds} rounds ...")
        with app.test_request_context():
            whoosh_times, whoosh_ranks = whoosh_queries(cases, args.rounds, args.seconds)
            _progress(f"Whoosh: breakdown over {len(sample)} queries ...")
            breakdown = whoosh_breakdown(sample)
        db.engine.dispose()

    _progress("pages: search page and bare page under gunicorn ...")
    pages = gunicorn_pages(args, data_dir, cases)

    _progress("SQLite FTS5: indexing and queries ...")
    fts_path = data_dir / "fts5.db"
    conn, fts_secs = fts_build(fts_path, corpus)
    try:
        fts_times, fts_ranks = fts_queries(conn, cases, args.rounds)
    finally:
        conn.close()

    by_lang: dict[str, int] = defaultdict(int)
    for doc in corpus:
        by_lang[doc["lang"]] += 1
    return Measured(
        cases=cases,
        corpus_size=len(corpus),
        real_size=len(real),
        by_lang=dict(by_lang),
        whoosh_index_s=whoosh_ms / 1000,
        whoosh_mb=whoosh_mb,
        whoosh_times=whoosh_times,
        whoosh_ranks=whoosh_ranks,
        breakdown=breakdown,
        breakdown_count=len(sample),
        pages=pages,
        fts_index_s=fts_secs,
        fts_mb=fts_path.stat().st_size / 1_000_000,
        fts_times=fts_times,
        fts_ranks=fts_ranks,
    )


def run(args: argparse.Namespace) -> int:
    cases: list[Case] = yaml.safe_load(RELEVANCE_FILE.read_text(encoding="utf-8"))
    if not cases:
        raise BenchError(f"no query in {RELEVANCE_FILE}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="helpcenter-bench-search-") as tmp:
        measured = measure(args, cases, Path(tmp))
    print_report(measured, args)
    print(f"run time: {time.perf_counter() - started:.0f} s")
    return 1 if measured.pages.failures else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
