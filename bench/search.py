"""Search speed and quality: cold queries, search-as-you-type and load (`make bench`).

Measures the targets of issue 13, each next to a bare Flask page (bench/bare_app.py serving the
bytes of a real API answer) measured in the same run, so a busy machine still gives ratios
that compare: one client sends each measured request, then --bare-each requests to the bare
page, so both see the same moments of the machine's load (a sub-millisecond page's p95 is
mostly that load); under load, the bare page gets the same load before and after. Every
request is on a new connection, like a player's browser. The app runs under gunicorn with
production settings and the answer cache off (HELPCENTER_SEARCH_CACHE_SIZE=0: every request
searches the index); every measurement starts a fresh app server, whose workers first answer
a few relevance-set queries (not the measured ones), so in-process caches of one measurement
never help the next.

Player queries: bench/search_queries.yml, 120 distinct queries as players type them
(Azerbaijani with and without diacritics, Russian, English, transliterated Russian, the wrong
keyboard layout, typos, compound mistakes). Relevance: tests/search/relevance.yml.

1. Shipped content (content/ loaded with `helpcenter content load`, no synthetic copies):
   - relevance (hit@1, hit@3, MRR) with `queries.search` in process;
   - cold queries: the 120 player queries, one client, one at a time, through
     GET /api/v1/search: p50/p95 and p95 / bare p95 (target <= 5x);
   - search-as-you-type: every prefix of 3 characters or more of those queries, as typed, once
     each, through GET /<lang>/search/suggest?q=...: p95 / bare p95 (target <= 5x);
   - fresh queries under load: --concurrency client threads for --load-seconds, each request
     a query that server has not answered yet (the player queries, their prefixes, the other
     relevance queries and theirs, then all of them from the other interface languages: about
     7,800), next to the bare page under the same load: req/s.
2. Scaled corpus (--docs documents): synthetic copies of the published articles are written
   to the database (article `<slug>-copyN`, each translation's title and tags mixing half of
   its source's words with another article's, its body half of the source's blocks shuffled
   with as many blocks of other articles in the same language, its summary the source's or
   the other's), so the index is built by the app's own `index.rebuild()` from the database,
   whatever shape its documents have. The real articles keep their slugs, so the relevance set
   still applies.
   - indexing: `index.rebuild()` of the whole corpus: time (target < 60 s for 10,000
     documents; other sizes are scaled linearly to 10,000 in the summary), size on disk;
   - `queries.search` latency per kind of relevance query (passes stop at --rounds, or before
     one would end after --seconds) and relevance by kind;
   - where the time goes: `queries.search` under cProfile over a sample of the relevance set,
     the functions of helpcenter/search/ and of Whoosh with the most cumulative time;
   - cold queries through the API as above (target p95 <= 15x bare), fresh queries under load,
     and the search page (/<lang>/search) with the answer cache off and on;
   - SQLite FTS5 over the same documents: indexing, latency and hit@1/hit@3/MRR next to Whoosh.
3. A summary table: each target, the value measured, PASS or FAIL (reported, not enforced).

    .venv/bin/python bench/search.py [--quick] [--docs N] [--rounds R] [--seconds S]
                                     [--api-rounds R] [--page-rounds R] [--bare-each N]
                                     [--prefix-every K] [--concurrency C] [--load-seconds S]
                                     [--breakdown N] [--workers W] [--seed S]

--quick runs a smaller version in a couple of minutes: --docs 2000, one timed round, the
prefixes of every 4th player query, 4 s of load, 2 bare requests after each measured one, 10
profiled queries; any option given explicitly wins. A full run takes about 15 minutes on two
shared cores, most of it indexing and the cold queries at 10,000 documents.

Exit status: 0 when every request answered 200 (targets are reported, not enforced), 1 when
any did not, 2 when the benchmark could not be set up.
"""

import argparse
import cProfile
import hashlib
import http.client
import pstats
import random
import re
import sqlite3
import sys
import tempfile
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast
from urllib.parse import urlencode

import nh3
import yaml
from sqlalchemy import Table, insert, select

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
    _prepare_data,
)
from helpcenter import create_app
from helpcenter.articles.models import Article, ArticleTranslation, Category
from helpcenter.extensions import db
from helpcenter.search import index, queries

RELEVANCE_FILE = ROOT / "tests" / "search" / "relevance.yml"
PLAYER_QUERIES_FILE = ROOT / "bench" / "search_queries.yml"
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
MIN_PREFIX = 3
SERVER_WARMUP = 8  # relevance-set queries per worker (API and suggestions) before measuring
SLOWEST = 6
BARE_WARMUP = 100
CACHE_WARMUP_PASSES = 6
PROFILE_ROWS = 14
FTS_COLUMNS = ("key", "slug", "lang", "title", "tags", "summary", "body")
FTS_WEIGHTS = {"title": 4.0, "tags": 3.0, "summary": 2.0, "body": 1.0}
FTS_TOKENIZER = "unicode61 remove_diacritics 2"
FTS_MAX_WORDS = 10
_BLOCK = re.compile(r"<(h[1-6]|p|ul|ol|table|blockquote|pre|div)\b.*?</\1>", re.S)

# Issue 13's targets.
COLD_SHIPPED_MAX = 5.0
COLD_SCALED_MAX = 15.0
SUGGEST_MAX = 5.0
INDEX_SECONDS_MAX = 60.0
INDEX_TARGET_DOCS = 10_000
HIT1_MIN = 0.90
HIT3_MIN = 0.96

# Full run, and --quick; an option given on the command line wins over both.
DEFAULTS = {
    "docs": 10_000,
    "rounds": 5,
    "seconds": 120.0,
    "api_rounds": 1,
    "page_rounds": 1,
    "bare_each": 3,
    "prefix_every": 1,
    "concurrency": 8,
    "load_seconds": 10.0,
    "breakdown": 25,
}
QUICK = {
    "docs": 2000,
    "rounds": 1,
    "seconds": 30.0,
    "bare_each": 2,
    "prefix_every": 4,
    "load_seconds": 4.0,
    "breakdown": 10,
}

T = TypeVar("T")
Case = dict  # one YAML entry: q, lang, kind (and expect, in the relevance set)


# --- scaled corpus -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    """The text of one published article translation (one index document), for FTS5."""

    key: str
    slug: str
    lang: str
    title: str
    tags: str
    summary: str
    body: str


def _text(html: str) -> str:
    """The plain text of an article body, as the search index reads it."""
    return re.sub(r"\s+", " ", nh3.clean(html, tags=set())).strip()


def _blocks(html: str) -> list[str]:
    """The top-level blocks (headings, paragraphs, lists...) of a body; the body if none."""
    found = [match.group(0) for match in _BLOCK.finditer(html)]
    return found or [html]


def _half(rng: random.Random, items: list) -> list:
    """A random half of `items` (at least one when there is any), in random order."""
    return rng.sample(items, max(1, -(-len(items) // 2))) if items else []


def _published():
    """Published translations of published articles in published categories, as the index
    reads them: every column of the translation, and the article's slug as `article_slug`."""
    tr, art, cat = ArticleTranslation.__table__, Article.__table__, Category.__table__
    return (
        select(tr, art.c.slug.label("article_slug"))
        .join(art, tr.c.article_id == art.c.id)
        .join(cat, art.c.category_id == cat.c.id)
        .where(art.c.is_published, cat.c.is_published)
        .order_by(art.c.id, tr.c.lang)
    )


def published_docs() -> list[Doc]:
    docs = []
    for row in db.session.execute(_published()).mappings():
        slug, lang = row["article_slug"], row["lang"]
        docs.append(
            Doc(
                key=f"{slug}:{lang}",
                slug=slug,
                lang=lang,
                title=row["title"],
                tags=" ".join(row["tags"] or ()),
                summary=row["summary"] or "",
                body=_text(row["body_html"]),
            )
        )
    return docs


def add_copies(size: int, seed: int) -> int:
    """Write synthetic copies of the published articles until there are `size` published
    translations (copy1 of each article, then copy2...); returns how many were written.

    Every column is copied from the source row except the ones that make a copy a different
    article, so the copies are whatever the app's own rows are. No content change is recorded:
    the caller rebuilds the index, and the servers started after it find it current.
    """
    rng = random.Random(seed)
    tr_table = cast(Table, ArticleTranslation.__table__)
    art_table = cast(Table, Article.__table__)
    rows = [dict(row) for row in db.session.execute(_published()).mappings()]
    if not rows:
        raise BenchError("no published article to copy")
    articles = {
        row["id"]: dict(row)
        for row in db.session.execute(
            select(art_table).where(art_table.c.id.in_({r["article_id"] for r in rows}))
        ).mappings()
    }
    by_article: dict[int, list[dict]] = defaultdict(list)
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        row["blocks"] = _blocks(row["body_html"])
        by_article[row["article_id"]].append(row)
        by_lang[row["lang"]].append(row)
    others = {  # per translation: those of the other articles in its language
        row["id"]: [o for o in by_lang[row["lang"]] if o["article_id"] != row["article_id"]]
        or [row]
        for row in rows
    }
    pools = {key: [block for o in translations for block in o["blocks"]]
             for key, translations in others.items()}  # fmt: skip
    tr_columns = [c.name for c in tr_table.columns if c.name != "id"]
    art_columns = [c.name for c in art_table.columns if c.name != "id"]
    total, written, copy = len(rows), 0, 0
    while total < size:  # bounded: every pass adds len(rows) >= 1 translations
        copy += 1
        new_translations = []
        for article_id, translations in by_article.items():
            if total >= size:
                break
            source = articles[article_id]
            new_article = {name: source[name] for name in art_columns}
            new_article["slug"] = f"{source['slug']}-copy{copy}"
            new_id = db.session.execute(
                insert(art_table).values(**new_article).returning(art_table.c.id)
            ).scalar_one()
            for row in translations[: size - total]:
                new_translations.append(
                    _copy_translation(rng, row, others[row["id"]], pools[row["id"]], new_id)
                )
                total += 1
        new_rows = [{name: row[name] for name in tr_columns} for row in new_translations]
        if new_rows:
            db.session.execute(insert(tr_table), new_rows)
        written += len(new_rows)
    db.session.commit()
    return written


def _copy_translation(
    rng: random.Random, row: dict, others: list[dict], pool: list[str], article_id: int
) -> dict:
    """A copy of translation `row` for article `article_id`, mixed with `others` (the same
    language's other articles) and `pool` (their body blocks)."""
    other = rng.choice(others)
    words = _half(rng, row["title"].split()) + _half(rng, other["title"].split())
    rng.shuffle(words)
    own = _half(rng, row["blocks"])
    mixed = own + rng.sample(pool, min(len(pool), len(own)))
    rng.shuffle(mixed)
    body_html = "\n".join(mixed)
    text = _text(body_html)
    return {
        **row,
        "article_id": article_id,
        "title": " ".join(words)[:200],
        "tags": _half(rng, list(row["tags"] or ())) + _half(rng, list(other["tags"] or ())),
        "summary": rng.choice((row["summary"], other["summary"])),
        "body_md": text,
        "body_html": body_html,
        "word_count": len(text.split()),
        "body_hash": hashlib.sha1(body_html.encode()).hexdigest()[:8],
        "revision_id": None,
    }


def _dir_megabytes(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1_000_000


# --- measurements in process ---------------------------------------------------------------------


@dataclass(frozen=True)
class Latency:
    n: int
    p50: float
    p95: float

    @classmethod
    def of(cls, values_ms: Iterable[float]) -> "Latency":
        ordered = sorted(values_ms)
        return cls(len(ordered), _percentile(ordered, 50), _percentile(ordered, 95))


def _timed(func: Callable[..., T], *args, **kwargs) -> tuple[float, T]:
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
    for lang in sorted({case["lang"] for case in cases}):  # warm-up: open the index
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


@dataclass(frozen=True)
class ProfileRow:
    name: str
    calls: float  # per query
    own_ms: float  # per query
    cum_ms: float  # per query


@dataclass
class Breakdown:
    queries: int
    plain_ms: float  # mean per query without the profiler
    profiled_ms: float  # mean per query under the profiler
    ours: list[ProfileRow]
    whoosh: list[ProfileRow]  # by cumulative time
    whoosh_own: list[ProfileRow]  # by own time


def _function_name(filename: str, line: int, func: str) -> str | None:
    """`module.function:line` for functions of helpcenter/search/ and of Whoosh, None for
    any other."""
    parts = Path(filename).with_suffix("").parts
    for i in range(len(parts) - 2, -1, -1):
        if parts[i : i + 2] == ("helpcenter", "search"):
            return f"{'.'.join(parts[i + 1 :])}.{func}:{line}"
        if parts[i] == "whoosh":
            return f"{'.'.join(parts[i:])}.{func}:{line}"
    return None


def profile_breakdown(cases: list[Case]) -> Breakdown:
    """Where `queries.search` spends its time (answer cache off): the same queries timed
    plainly, then under cProfile; cumulative times include the functions called.

    Reads no internals of the search, so it keeps working whatever the search core becomes;
    the profiler slows Python code down, so compare shares, not absolute times."""
    plain = sum(_timed(queries.search, c["q"], c["lang"], per_page=PER_PAGE)[0] for c in cases)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for case in cases:
        queries.search(case["q"], case["lang"], per_page=PER_PAGE)
    profiler.disable()
    profiled = (time.perf_counter() - started) * 1000
    n = len(cases)
    ours: list[ProfileRow] = []
    whoosh: list[ProfileRow] = []
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, line, func), (_cc, calls, own, cum, _callers) in stats.items():
        name = _function_name(filename, line, func)
        if name is None:
            continue
        row = ProfileRow(name, calls / n, own * 1000 / n, cum * 1000 / n)
        (whoosh if name.startswith("whoosh.") else ours).append(row)
    top = PROFILE_ROWS // 2
    by_own = sorted(whoosh, key=lambda r: -r.own_ms)[:top]
    by_cum = sorted(whoosh, key=lambda r: -r.cum_ms)[:top]
    ours.sort(key=lambda r: -r.cum_ms)
    return Breakdown(n, plain / n, profiled / n, ours[:PROFILE_ROWS], by_cum, by_own)


# --- requests under gunicorn ---------------------------------------------------------------------


def api_path(case: Case) -> str:
    query = {"q": case["q"], "lang": case["lang"], "limit": PER_PAGE}
    return f"/api/v1/search?{urlencode(query)}"


def suggest_path(case: Case) -> str:
    return f"/{case['lang']}/search/suggest?{urlencode({'q': case['q']})}"


def page_path(case: Case) -> str:
    return f"/{case['lang']}/search?{urlencode({'q': case['q']})}"


def prefixes(cases: list[Case], every: int) -> list[Case]:
    """Every prefix of MIN_PREFIX characters or more of every `every`-th query, in the order a
    player types them, once each per language (a prefix ending in a space is the one before)."""
    seen: set[tuple[str, str]] = set()
    typed = []
    for case in cases[::every]:
        for end in range(MIN_PREFIX, len(case["q"]) + 1):
            text = case["q"][:end]
            if text[-1].isspace() or (text, case["lang"]) in seen:
                continue
            seen.add((text, case["lang"]))
            typed.append({**case, "q": text})
    return typed


def _distinct(cases: list[Case]) -> list[Case]:
    """The cases in order, each (query, language) once."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for case in cases:
        if (case["q"], case["lang"]) not in seen:
            seen.add((case["q"], case["lang"]))
            kept.append(case)
    return kept


def fresh_queries(player: list[Case], extra: list[Case]) -> list[Case]:
    """Distinct queries for the load: the player queries, their prefixes, then `extra` and
    its prefixes; then all of them again asked from the other interface languages (another
    query for the app: another answer and ranking)."""
    texts = _distinct(player + prefixes(player, 1) + extra + prefixes(extra, 1))
    languages = sorted({case["lang"] for case in texts})
    others = [{**case, "lang": lang} for case in texts for lang in languages
              if lang != case["lang"]]  # fmt: skip
    return _distinct(texts + others)


def _request(port: int, path: str, failures: list[str]) -> float:
    """GET path on a new connection, like a player's browser; milliseconds taken."""
    started = time.perf_counter()
    try:
        status, _ = _get(port, path)
        problem = "" if status == 200 else f"HTTP {status}"
    except (OSError, http.client.HTTPException) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    elapsed = (time.perf_counter() - started) * 1000
    if problem:
        failures.append(f"{problem} from :{port}{path}")
    return elapsed


def _sequential(port: int, paths: list[str], failures: list[str]) -> list[float]:
    """GET each path in turn, one at a time; ms per request."""
    return [_request(port, path, failures) for path in paths]


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    p50: float
    p95: float
    reused: int  # requests that repeated a path (the list ran out)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def under_load(
    port: int, paths: list[str], seconds: float, concurrency: int, failures: list[str]
) -> Load:
    """`concurrency` threads send the paths in order (each path once, while there are any),
    one request at a time each on a new connection; none starts after `seconds`."""
    lock = threading.Lock()
    latencies: list[float] = []
    state = {"next": 0}
    deadline = time.perf_counter() + seconds

    def client() -> None:
        while True:
            with lock:
                if time.perf_counter() >= deadline:
                    return
                path = paths[state["next"] % len(paths)]
                state["next"] += 1
            elapsed = _request(port, path, failures)
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    return Load(
        requests=len(ordered),
        seconds=time.perf_counter() - started,
        p50=_percentile(ordered, 50),
        p95=_percentile(ordered, 95),
        reused=max(0, state["next"] - len(paths)),
    )


class Servers:
    """The gunicorn servers of one run: a bare page and fresh app servers, one at a time."""

    def __init__(self, args: argparse.Namespace, data_dir: Path, warmup: list[Case]):
        self.args, self.data_dir = args, data_dir
        # Spread over languages and kinds, so whatever a worker prepares on first use of a
        # kind of query is ready before the measured queries, as in a long-running worker.
        self.warmup = _sample(warmup, SERVER_WARMUP * args.workers)
        # More queries no server answers before the load (which needs thousands).
        self.extra = [case for case in warmup if case not in self.warmup]
        self.env = _app_env(data_dir / "data", None)
        self.failures: list[str] = []
        self.bare: Server | None = None
        self.started: list[Server] = []
        self.count = 0

    def __enter__(self) -> "Servers":
        return self

    def __exit__(self, *exc_info) -> None:
        for server in self.started:
            server.stop()

    def app(self, name: str, *, cache: bool = False) -> Server:
        """A new app server with the answer cache off (or on), its workers warmed up with
        relevance-set queries through the API and the suggestions."""
        env = dict(self.env)
        if not cache:
            env["HELPCENTER_SEARCH_CACHE_SIZE"] = "0"
        self.count += 1
        port = _free_ports(1)[0]
        log = self.data_dir / f"{self.count:02d}-{name.replace(' ', '-')}.log"
        server = Server(name, APP_TARGET, port, self.args.workers, env, log)
        self.started.append(server)
        server.wait_ready("/healthz", timeout=120)
        _sequential(port, [api_path(c) for c in self.warmup], self.failures)
        _sequential(port, [suggest_path(c) for c in self.warmup], self.failures)
        return server

    def stop(self, server: Server) -> None:
        server.stop()
        self.started.remove(server)

    def start_bare(self, page: bytes) -> Server:
        """The bare page serving `page`, warmed up."""
        if self.bare is not None:
            self.stop(self.bare)
        page_file = self.data_dir / f"bare-page-{self.count}.html"
        page_file.write_bytes(page)
        port = _free_ports(1)[0]
        env = {**self.env, BARE_PAGE_ENV: str(page_file)}
        self.bare = Server("bare", BARE_TARGET, port, self.args.workers, env,
                           self.data_dir / f"bare-{self.count}.log")  # fmt: skip
        self.started.append(self.bare)
        self.bare.wait_ready("/")
        _sequential(port, ["/"] * BARE_WARMUP, self.failures)
        return self.bare

    def paired(self, port: int, paths: list[str]) -> "Paired":
        """GET each path from the app server in turn, each followed by --bare-each requests
        to the bare page, so both see the same moments of a busy machine."""
        assert self.bare is not None
        app, bare = [], []
        for path in paths:
            app.append(_request(port, path, self.failures))
            for _ in range(self.args.bare_each):
                bare.append(_request(self.bare.port, "/", self.failures))
        return Paired(Latency.of(app), Latency.of(bare), tuple(app))

    def bare_load(self) -> Load:
        assert self.bare is not None
        return under_load(
            self.bare.port, ["/"], self.args.load_seconds, self.args.concurrency, self.failures
        )


@dataclass(frozen=True)
class Paired:
    """An app's requests and the bare page's, interleaved."""

    app: Latency
    bare: Latency
    times: tuple[float, ...]  # ms of each app request, in order

    @property
    def ratio(self) -> float:
        """The app's p95 / the bare page's p95 (lower is better)."""
        return _ratio(self.app.p95, self.bare.p95)


@dataclass
class Served:
    """What one corpus measured under gunicorn."""

    documents: int
    page_bytes: int
    cold_cases: list[Case]  # in the order of cold.times
    cold: Paired
    load: Load
    bare_load_first: Load
    bare_load_last: Load
    suggest: Paired | None = None
    suggest_prefixes: int = 0
    page_uncached: Paired | None = None
    page_cached: Paired | None = None
    page_queries: int = 0

    @property
    def bare_rps(self) -> float:
        """The bare page's req/s under the same load, measured first and last (mean)."""
        return (self.bare_load_first.rps + self.bare_load_last.rps) / 2


def served(
    servers: Servers, player: list[Case], documents: int, *, typed: list[Case] | None,
    pages: list[Case] | None,
) -> Served:  # fmt: skip
    """Cold queries, optionally search-as-you-type and the search page, each interleaved with
    the bare page; then fresh queries under load, between two loads of the bare page."""
    args = servers.args
    app = servers.app("api, no cache")
    # The bare page serves the bytes of a real answer (to a warm-up query, not a measured one).
    status, page = _get(app.port, api_path(servers.warmup[0]))
    if status != 200:
        raise BenchError(f"the search API answered HTTP {status}")
    servers.start_bare(page)
    _progress(f"  bare page: {args.load_seconds:g} s of load")
    load_first = servers.bare_load()

    _progress(f"  cold API queries: {len(player)} x {args.api_rounds} ...")
    cold_cases = player * args.api_rounds
    cold = servers.paired(app.port, [api_path(c) for c in cold_cases])
    servers.stop(app)

    suggest = None
    if typed:
        _progress(f"  search-as-you-type: {len(typed)} prefixes ...")
        app = servers.app("suggest, no cache")
        suggest = servers.paired(app.port, [suggest_path(c) for c in typed])
        servers.stop(app)

    uncached = cached = None
    if pages:
        _progress(f"  search page: {len(pages)} queries x {args.page_rounds}, cache off and on ...")
        paths = [page_path(c) for c in pages]
        app = servers.app("search page, no cache")
        uncached = servers.paired(app.port, paths * args.page_rounds)
        servers.stop(app)
        app = servers.app("search page, cache", cache=True)
        # Every worker answers each query before the timed passes (the kernel hands
        # connections to workers unevenly, so several warm-up passes).
        _sequential(app.port, paths * CACHE_WARMUP_PASSES, servers.failures)
        cached = servers.paired(app.port, paths * args.page_rounds)
        servers.stop(app)

    _progress(f"  fresh queries under load: {args.concurrency} clients, {args.load_seconds:g} s")
    app = servers.app("api load, no cache")
    fresh = [api_path(c) for c in fresh_queries(player, servers.extra)]
    load = under_load(app.port, fresh, args.load_seconds, args.concurrency, servers.failures)
    servers.stop(app)
    load_last = servers.bare_load()
    return Served(
        documents=documents,
        page_bytes=len(page),
        cold_cases=cold_cases,
        cold=cold,
        load=load,
        bare_load_first=load_first,
        bare_load_last=load_last,
        suggest=suggest,
        suggest_prefixes=len(typed or ()),
        page_uncached=uncached,
        page_cached=cached,
        page_queries=len(pages or ()),
    )


# --- SQLite FTS5 ---------------------------------------------------------------------------------


def fts_build(path: Path, docs: list[Doc]) -> tuple[sqlite3.Connection, float]:
    """An FTS5 table over the documents in a file; returns the connection and the seconds."""
    conn = sqlite3.connect(path)
    started = time.perf_counter()
    columns = [f"{name} UNINDEXED" for name in FTS_COLUMNS[:3]] + list(FTS_COLUMNS[3:])
    conn.execute(
        f"CREATE VIRTUAL TABLE docs USING fts5({', '.join(columns)}, tokenize='{FTS_TOKENIZER}')"
    )
    rows = (tuple(getattr(doc, name) for name in FTS_COLUMNS) for doc in docs)
    with conn:
        conn.executemany(f"INSERT INTO docs VALUES ({', '.join('?' * len(FTS_COLUMNS))})", rows)
        conn.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    return conn, time.perf_counter() - started


def fts_match(text: str) -> str:
    """An FTS5 OR query of the quoted words of `text`: its syntax never reaches FTS5."""
    words = re.findall(r"\w+", unicodedata.normalize("NFC", text))[:FTS_MAX_WORDS]
    return " OR ".join('"{}"'.format(word.replace('"', '""')) for word in words)


_FTS_SEARCH = (
    "WITH matched AS MATERIALIZED ("
    " SELECT slug, bm25(docs, 0, 0, 0, {weights}) AS score FROM docs WHERE docs MATCH ?"
    ") SELECT slug, MIN(score) AS best FROM matched GROUP BY slug ORDER BY best LIMIT ?"
).format(weights=", ".join(str(w) for w in FTS_WEIGHTS.values()))


def fts_search(conn: sqlite3.Connection, text: str) -> list[str]:
    """Slugs of the best PER_PAGE articles, one result per slug, by bm25 (lower is better)."""
    match = fts_match(text)
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
        n = len(ranks) or 1
        return cls(
            n=len(ranks),
            hit1=sum(1 for r in ranks if r == 1) / n,
            hit3=sum(1 for r in ranks if r and r <= 3) / n,
            mrr=sum(1 / r for r in ranks if r) / n,
        )


@dataclass
class Measured:
    """Everything one run measured, for the report."""

    cases: list[Case]
    player: list[Case]
    real_size: int
    shipped_index_s: float
    shipped_ranks: list[int | None]
    shipped: Served
    corpus_size: int
    by_lang: dict[str, int]
    whoosh_index_s: float
    whoosh_mb: float
    whoosh_times: list[list[float]]
    whoosh_ranks: list[int | None]
    breakdown: Breakdown
    scaled: Served
    fts_index_s: float
    fts_mb: float
    fts_times: list[list[float]]
    fts_ranks: list[int | None]
    concurrency: int
    failures: list[str] = field(default_factory=list)


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


def _ratio(value: float, base: float) -> float:
    return value / base if base > 0 else float("inf")


def _rounds(count: int) -> str:
    return f"{count} timed round{'s' if count != 1 else ''}"


def print_quality(title: str, cases: list[Case], columns: dict[str, list[int | None]]) -> None:
    """hit@1, hit@3 and MRR per kind, one group of columns per engine."""
    grouped: dict[str, dict[str, list[int | None]]] = {name: defaultdict(list) for name in columns}
    for name, ranks in columns.items():
        for case, rank in zip(cases, ranks, strict=True):
            grouped[name][case["kind"]].append(rank)
            grouped[name]["all"].append(rank)
    lines = []
    for kind in _kinds(cases):
        cells = []
        for name in columns:
            q = Quality.of(grouped[name][kind])
            cells.append(f"{q.hit1:>6.2f} {q.hit3:>6.2f} {q.mrr:>6.2f}")
        count = len(next(iter(grouped.values()))[kind])
        lines.append(f"{kind:<15} {count:>4} | " + " | ".join(cells))
    print(title)
    _table(
        f"{'':<15} {'':>4} | " + " | ".join(f"{name:^20}" for name in columns) + "\n"
        f"{'kind':<15} {'n':>4} | "
        + " | ".join(f"{'hit@1':>6} {'hit@3':>6} {'MRR':>6}" for _ in columns),
        lines,
    )


def print_indexing(m: Measured) -> None:
    print("indexing: Whoosh = index.rebuild() from the database, size of the generation dir;")
    print(f"          FTS5 = one transaction + 'optimize', tokenize='{FTS_TOKENIZER}'")
    rows = [
        ("whoosh", m.real_size, m.shipped_index_s, None),
        ("whoosh", m.corpus_size, m.whoosh_index_s, m.whoosh_mb),
        ("fts5", m.corpus_size, m.fts_index_s, m.fts_mb),
    ]
    _table(
        f"{'engine':<8} {'documents':>9} {'index s':>8} {'size MB':>8}",
        [
            f"{name:<8} {docs:>9} {secs:>8.1f} {'' if mb is None else f'{mb:8.1f}':>8}"
            for name, docs, secs, mb in rows
        ],
    )


def print_latency(m: Measured) -> None:
    rounds_w, rounds_f = len(m.whoosh_times[0]), len(m.fts_times[0])
    print(f"query latency per kind at {m.corpus_size} documents: Whoosh = queries.search(q,")
    print(f"          lang, per_page=10) in app.test_request_context(), {_rounds(rounds_w)}")
    print("          of every relevance query after one warm-up query per language; FTS5 = OR")
    print("          of the quoted query words, bm25 weights title 4 tags 3 summary 2 body 1,")
    print(f"          one result per slug, top 10, {_rounds(rounds_f)}")
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


def print_breakdown(m: Measured) -> None:
    b = m.breakdown
    print(f"where the time goes (Whoosh, {m.corpus_size} documents): queries.search over")
    print(f"          {b.queries} relevance queries (spread over languages and kinds) under")
    print(f"          cProfile: {b.profiled_ms:.1f} ms per query profiled, {b.plain_ms:.1f} ms")
    print("          without the profiler. Per query: calls, own ms (in the function itself),")
    print("          cumulative ms (with what it calls; nested rows overlap), cumulative share")

    def lines(rows: list[ProfileRow]) -> list[str]:
        return [
            f"{row.name[:58]:<58} {row.calls:>7.1f} {row.own_ms:>8.2f} {row.cum_ms:>8.2f} "
            f"{row.cum_ms / b.profiled_ms * 100 if b.profiled_ms else 0:>6.1f}%"
            for row in rows
        ]

    def header(title: str) -> str:
        return f"{title:<58} {'calls':>7} {'own ms':>8} {'cum ms':>8} {'share':>7}"

    _table(header("helpcenter/search/ (by cumulative time)"), lines(b.ours))
    _table(header("Whoosh (by cumulative time)"), lines(b.whoosh))
    _table(header("Whoosh (by own time)"), lines(b.whoosh_own))


def print_cold_kinds(s: Served) -> None:
    """The cold API queries by kind of player query, and the slowest of them."""
    by_kind: dict[str, list[float]] = defaultdict(list)
    for case, ms in zip(s.cold_cases, s.cold.times, strict=True):
        by_kind[case["kind"]].append(ms)
    lines = []
    for kind, values in [*by_kind.items(), ("all", list(s.cold.times))]:
        lat = Latency.of(values)
        lines.append(f"{kind:<26} {lat.n:>8} {lat.p50:>8.2f} {lat.p95:>8.2f}")
    _table(f"{'api, cold, by kind':<26} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8}", lines)
    slowest = sorted(zip(s.cold.times, s.cold_cases, strict=True), key=lambda x: -x[0])
    print("slowest cold API queries: " + ", ".join(
        f"{case['q']!r} ({case['lang']}, {case['kind']}) {ms:.0f} ms"
        for ms, case in slowest[:SLOWEST]
    ))  # fmt: skip
    print()


def print_served(title: str, s: Served) -> None:
    print(title)
    rows = [("api, cold", s.cold)]
    if s.suggest is not None:
        rows.append(("suggest, cold", s.suggest))
    if s.page_uncached is not None and s.page_cached is not None:
        rows += [("search page, no cache", s.page_uncached),
                 ("search page, asked before", s.page_cached)]  # fmt: skip
    lines = [
        f"{name:<26} {p.app.n:>8} {p.app.p50:>8.2f} {p.app.p95:>8.2f} | {p.bare.n:>6} "
        f"{p.bare.p50:>7.2f} {p.bare.p95:>7.2f} | {p.ratio:>7.1f}x"
        for name, p in rows
    ]
    _table(
        f"{'':<26} {'app':^26} | {'bare, interleaved':^22} |\n"
        f"{'one client, sequential':<26} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} | "
        f"{'reqs':>6} {'p50 ms':>7} {'p95 ms':>7} | {'p95/bare':>8}",
        lines,
    )
    print_cold_kinds(s)
    loads = [("bare (first)", s.bare_load_first), ("api, fresh queries", s.load),
             ("bare (last)", s.bare_load_last)]  # fmt: skip
    lines = [
        f"{name:<26} {ld.requests:>8} {ld.rps:>8.1f} {ld.p50:>8.1f} {ld.p95:>8.1f} "
        f"{_ratio(ld.rps, s.bare_rps):>8.3f}x"
        for name, ld in loads
    ]
    if s.load.reused:  # the bare page is one path; the queries ran out
        lines.append(f"({s.load.reused} of the queries under load repeated an earlier one)")
    _table(f"{'under load':<26} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
           f"{'thr/bare':>9}", lines)  # fmt: skip


@dataclass(frozen=True)
class Target:
    what: str
    measured: str
    goal: str
    passed: bool | None  # None: reported only


def _paired_text(p: Paired) -> str:
    return f"{p.ratio:.1f}x (p95 {p.app.p95:.0f} / {p.bare.p95:.1f} ms, p50 {p.app.p50:.0f} ms)"


def targets(m: Measured) -> list[Target]:
    sh, sc = m.shipped, m.scaled
    per_10k = m.whoosh_index_s * INDEX_TARGET_DOCS / m.corpus_size
    estimated = m.corpus_size != INDEX_TARGET_DOCS
    shipped_q = Quality.of(m.shipped_ranks)
    rows = [
        Target(
            f"cold API p95 / bare p95, shipped ({m.real_size} docs, {sh.cold.app.n} queries)",
            _paired_text(sh.cold),
            f"<= {COLD_SHIPPED_MAX:g}x",
            sh.cold.ratio <= COLD_SHIPPED_MAX,
        ),
        Target(
            f"cold API p95 / bare p95, {m.corpus_size} docs ({sc.cold.app.n} queries)",
            _paired_text(sc.cold),
            f"<= {COLD_SCALED_MAX:g}x",
            sc.cold.ratio <= COLD_SCALED_MAX,
        ),
        Target(
            f"indexing {INDEX_TARGET_DOCS} docs"
            + (f" (est. from {m.corpus_size}, linear)" if estimated else ""),
            f"{per_10k:.1f} s",
            f"< {INDEX_SECONDS_MAX:g} s",
            per_10k < INDEX_SECONDS_MAX,
        ),
    ]
    if sh.suggest is not None:
        rows.append(
            Target(
                f"as-you-type p95 / bare p95, shipped ({sh.suggest_prefixes} prefixes)",
                _paired_text(sh.suggest),
                f"<= {SUGGEST_MAX:g}x",
                sh.suggest.ratio <= SUGGEST_MAX,
            )
        )
    for label, s in (("shipped", sh), (f"{m.corpus_size} docs", sc)):
        rows.append(
            Target(
                f"fresh queries under load, {label} ({m.concurrency} clients)",
                f"{s.load.rps:.1f} req/s vs bare {s.bare_rps:.0f} "
                f"({_ratio(s.load.rps, s.bare_rps):.3f}x)",
                "report",
                None,
            )
        )
    rows += [
        Target(
            f"relevance hit@3, shipped ({shipped_q.n} queries)",
            f"{shipped_q.hit3:.2f}",
            f">= {HIT3_MIN:.2f}",
            shipped_q.hit3 >= HIT3_MIN,
        ),
        Target(
            f"relevance hit@1, shipped ({shipped_q.n} queries)",
            f"{shipped_q.hit1:.2f}",
            f">= {HIT1_MIN:.2f}",
            shipped_q.hit1 >= HIT1_MIN,
        ),
    ]
    return rows


def print_summary(m: Measured, args: argparse.Namespace) -> None:
    rows = targets(m)
    width = max(len(row.what) for row in rows)
    measured = max(len(row.measured) for row in rows)
    print("summary (targets of issue 13; reported, not enforced; ratios against the bare page")
    print(f"          interleaved with the measured requests; --bare-each {args.bare_each})")
    lines = []
    for row in rows:
        verdict = "-" if row.passed is None else ("PASS" if row.passed else "FAIL")
        lines.append(f"{row.what:<{width}}  {row.measured:<{measured}}  {row.goal:<8} {verdict}")
    _table(f"{'target':<{width}}  {'measured':<{measured}}  {'goal':<8} result", lines)


def print_report(m: Measured, args: argparse.Namespace) -> None:
    langs = ", ".join(f"{lang} {n}" for lang, n in sorted(m.by_lang.items()))
    kinds: dict[str, int] = defaultdict(int)
    for case in m.player:
        kinds[case["kind"]] += 1
    print("helpcenter search benchmark" + (" (--quick)" if args.quick else ""))
    print(f"shipped:  {m.real_size} documents (content/, one per article translation)")
    print(
        f"scaled:   {m.corpus_size} documents ({m.real_size} real, "
        f"{m.corpus_size - m.real_size} synthetic copies; {langs}), seed {args.seed}"
    )
    print("copies:   <slug>-copyN rows in the database: half the source's body blocks shuffled")
    print("          with as many from other same-language articles; title and tags mix half")
    print("          the source's words with another article's; summary the source's or theirs")
    print(f"servers:  gunicorn, {args.workers} sync workers, production settings, answer cache")
    print("          off (HELPCENTER_SEARCH_CACHE_SIZE=0) except 'asked before'; a fresh app")
    print("          server per measurement; bare = bench/bare_app.py serving the bytes of a")
    print(f"          real API answer, {args.bare_each} requests after each measured one (one")
    print("          client), and the same load before and after the app's; new connections")
    print(f"player:   {len(m.player)} queries from {PLAYER_QUERIES_FILE.relative_to(ROOT)}:")
    print("          " + ", ".join(f"{kind} {n}" for kind, n in kinds.items()))
    print(
        f"relevance: {len(m.cases)} queries from {RELEVANCE_FILE.relative_to(ROOT)}; Whoosh "
        f"passes stop at --rounds {args.rounds}\n          or before one would end after "
        f"--seconds {args.seconds:g}"
    )
    print(f"          Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")
    print()
    print_served(
        f"shipped content ({m.real_size} documents) under gunicorn; the {m.shipped.page_bytes}"
        f"-byte bare page;\n          suggest = every prefix of {MIN_PREFIX}+ characters of "
        + (
            "every player query"
            if args.prefix_every == 1
            else f"every {args.prefix_every}th player query"
        )
        + ";\n          under load, each request is a query that server has not answered yet",
        m.shipped,
    )
    print_quality(
        f"relevance on the shipped content (queries.search in process, top {PER_PAGE})",
        m.cases,
        {"whoosh": m.shipped_ranks},
    )
    print_indexing(m)
    print_latency(m)
    print_breakdown(m)
    print_served(
        f"scaled corpus ({m.corpus_size} documents) under gunicorn; the "
        f"{m.scaled.page_bytes}-byte bare page;\n          search page = /<lang>/search?q=... "
        f"for the {m.scaled.page_queries} relevance queries, each logged",
        m.scaled,
    )
    print_quality(
        f"relevance at {m.corpus_size} documents: rank of the expected slug in the top "
        f"{PER_PAGE}\n          (Whoosh ranks from its first timed round)",
        m.cases,
        {"whoosh": m.whoosh_ranks, "fts5": m.fts_ranks},
    )
    print_summary(m, args)
    for failure in m.failures[:10]:
        print(f"error: {failure}")
    if len(m.failures) > 10:
        print(f"error: ... and {len(m.failures) - 10} more")


# --- setup and main ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (see the docstring)")
    parser.add_argument("--docs", type=_positive_int, help="scaled corpus size (10000; quick 2000)")
    parser.add_argument("--rounds", type=_positive_int, help="timed passes in process (5; quick 1)")
    parser.add_argument(
        "--seconds",
        type=_positive_float,
        help="no new in-process pass once the next would end after this (120; quick 30)",
    )
    parser.add_argument(
        "--api-rounds", type=_positive_int, help="passes of the cold API queries (1)"
    )
    parser.add_argument(
        "--page-rounds", type=_positive_int, help="timed passes of the search page (1)"
    )
    parser.add_argument(
        "--bare-each",
        type=_positive_int,
        help="bare page requests after each measured request (3; quick 2)",
    )
    parser.add_argument(
        "--prefix-every",
        type=_positive_int,
        help="as-you-type: the prefixes of every K-th player query (1; quick 4)",
    )
    parser.add_argument("--concurrency", type=_positive_int, help="client threads of the load (8)")
    parser.add_argument(
        "--load-seconds", type=_positive_float, help="seconds of each load (10; quick 4)"
    )
    parser.add_argument("--breakdown", type=_positive_int, help="queries profiled (25; quick 10)")
    parser.add_argument(
        "--workers", type=_positive_int, default=2, help="gunicorn sync workers per server (2)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic copies (1)")
    args = parser.parse_args(argv)
    for name, value in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, QUICK.get(name, value) if args.quick else value)
    return args


def _sample(cases: list[Case], count: int) -> list[Case]:
    """`count` cases spread evenly over the file (so over languages and kinds)."""
    step = max(1, len(cases) // count)
    return cases[::step][:count]


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _load_yaml(path: Path) -> list[Case]:
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not cases:
        raise BenchError(f"no query in {path}")
    return cases


def measure(args: argparse.Namespace, cases: list[Case], player: list[Case], tmp: Path) -> Measured:
    data_dir = tmp / "data"
    _progress("migrating and loading content/ (helpcenter db upgrade, content load) ...")
    _prepare_data(_app_env(data_dir, None))
    app = create_app({"DATA_DIR": str(data_dir), "SEARCH_CACHE_SIZE": 0})
    with app.app_context():
        shipped_ms, _ = _timed(index.rebuild)
        real = published_docs()
        if not real:
            raise BenchError("no published article in content/")
        _progress(f"shipped content: relevance of {len(cases)} queries in process ...")
        with app.test_request_context():
            _, shipped_ranks = whoosh_queries(cases, 1, args.seconds)
        db.engine.dispose()

    # The servers warm up on relevance queries, never on the measured player queries.
    with Servers(args, tmp, warmup=cases) as servers:
        _progress(f"shipped content ({len(real)} documents) under gunicorn:")
        shipped = served(servers, player, len(real), typed=prefixes(player, args.prefix_every),
                         pages=None)  # fmt: skip

        with app.app_context():
            _progress(f"scaled corpus: writing copies up to {args.docs} documents ...")
            add_copies(max(args.docs, len(real)), args.seed)
            corpus = published_docs()
            _progress(f"Whoosh: indexing {len(corpus)} documents (index.rebuild()) ...")
            whoosh_ms, generation = _timed(index.rebuild)
            whoosh_mb = _dir_megabytes(index.root() / generation)
            _progress(f"Whoosh: {len(cases)} queries, up to {args.rounds} rounds ...")
            with app.test_request_context():
                whoosh_times, whoosh_ranks = whoosh_queries(cases, args.rounds, args.seconds)
                _progress(f"Whoosh: profiling {args.breakdown} queries ...")
                breakdown = profile_breakdown(_sample(cases, args.breakdown))
            db.engine.dispose()

        _progress(f"scaled corpus ({len(corpus)} documents) under gunicorn:")
        scaled = served(servers, player, len(corpus), typed=None, pages=cases)

    _progress("SQLite FTS5: indexing and queries ...")
    fts_path = tmp / "fts5.db"
    conn, fts_secs = fts_build(fts_path, corpus)
    try:
        fts_times, fts_ranks = fts_queries(conn, cases, args.rounds)
    finally:
        conn.close()

    by_lang: dict[str, int] = defaultdict(int)
    for doc in corpus:
        by_lang[doc.lang] += 1
    return Measured(
        cases=cases,
        player=player,
        real_size=len(real),
        shipped_index_s=shipped_ms / 1000,
        shipped_ranks=shipped_ranks,
        shipped=shipped,
        corpus_size=len(corpus),
        by_lang=dict(by_lang),
        whoosh_index_s=whoosh_ms / 1000,
        whoosh_mb=whoosh_mb,
        whoosh_times=whoosh_times,
        whoosh_ranks=whoosh_ranks,
        breakdown=breakdown,
        scaled=scaled,
        fts_index_s=fts_secs,
        fts_mb=fts_path.stat().st_size / 1_000_000,
        fts_times=fts_times,
        fts_ranks=fts_ranks,
        concurrency=args.concurrency,
        failures=servers.failures,
    )


def run(args: argparse.Namespace) -> int:
    cases = _load_yaml(RELEVANCE_FILE)
    player = _load_yaml(PLAYER_QUERIES_FILE)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="helpcenter-bench-search-") as tmp:
        measured = measure(args, cases, player, Path(tmp))
    print_report(measured, args)
    print(f"run time: {time.perf_counter() - started:.0f} s")
    return 1 if measured.failures else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
