"""Read and validate a content directory (<category>/<article>/<lang>.md); no database here.

Everything is checked before anything is loaded, and every problem is reported as
`path:line: message`, so one run shows an editor all there is to fix.
"""

import hashlib
import multiprocessing
import os
import posixpath
import re
import unicodedata
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from helpcenter.articles.rendering import Rendered, render_markdown
from helpcenter.vocabulary import LANGUAGES, MAX_SLUG, MAX_SUMMARY, MAX_TITLE, SLUG

MAX_FILE_BYTES = 1024 * 1024
CATEGORY_KEYS = {"order", "title", "description"}
HASH_RE = re.compile(r"^[0-9a-f]{8}$")
MAX_TAGS, MAX_TAG = 20, 50
# Files beside the category folders, read by their own modules (articles/glossary.py).
ROOT_FILES = {"glossary.yml"}


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class SourceTranslation:
    lang: str
    path: str
    title: str
    summary: str
    tags: list[str]
    order: int | None
    translated_from: str | None
    source_hash: str | None
    body_md: str
    body_hash: str
    body_line: int
    rendered: Rendered | None = None
    title_line: int = 1  # where the front matter gives the title and the summary
    summary_line: int = 1


@dataclass
class SourceArticle:
    slug: str
    category: str
    path: str
    translations: dict[str, SourceTranslation] = field(default_factory=dict)

    @property
    def position(self) -> int:
        for lang in ("en", "az", "ru"):
            tr = self.translations.get(lang)
            if tr and tr.order is not None:
                return tr.order
        return 0


@dataclass
class SourceCategory:
    slug: str
    path: str
    position: int
    titles: dict[str, str]
    descriptions: dict[str, str]


@dataclass
class ContentSet:
    root: str
    categories: list[SourceCategory] = field(default_factory=list)
    articles: list[SourceArticle] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --- front matter --------------------------------------------------------------------------------


def _text(**limits) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, **limits)


class FrontMatter(BaseModel):
    """What the front matter of an article file may say; no other key, no value converted."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: Annotated[str, _text(min_length=1, max_length=MAX_TITLE)]
    summary: Annotated[str, _text(max_length=MAX_SUMMARY)] = ""
    tags: Annotated[
        list[Annotated[str, _text(min_length=1, max_length=MAX_TAG)]], Field(max_length=MAX_TAGS)
    ] = []
    order: Annotated[int, Field(ge=0, lt=10**6)] | None = None
    translated_from: Literal["az", "ru", "en"] | None = None  # vocabulary.LANGUAGES
    source_hash: Annotated[str, StringConstraints(pattern=HASH_RE.pattern)] | None = None

    @field_validator("translated_from")
    @classmethod
    def _another_language(cls, source: str | None, info: ValidationInfo) -> str | None:
        if source is not None and source == (info.context or {}).get("lang"):
            raise ValueError("a translation from its own language")
        return source


# What an editor reads when a key's value is wrong; a value too long has its own sentence.
_WRONG = {
    "title": "title must be non-empty text",
    "summary": "summary must be text",
    "tags": "tags must be a list of words, e.g. [withdrawal, payout]",
    "order": "order must be a whole number from 0 to 999999",
    "translated_from": f"translated_from must be another of {', '.join(LANGUAGES)}",
    "source_hash": "source_hash must be 8 lowercase hex digits",
}
_TOO_LONG = {
    "title": f"title is longer than {MAX_TITLE} characters",
    "summary": f"summary is longer than {MAX_SUMMARY} characters",
    "tags": f"at most {MAX_TAGS} tags of at most {MAX_TAG} characters each",
}
# The keys whose plain (unquoted) values are text as written, whatever YAML would make of them:
# a hash such as 12345678 or 00001234 is not a number, a tag such as 2024 or yes is a word.
_AS_WRITTEN = {"source_hash", "tags"}
_NOT_TEXT = {f"tag:yaml.org,2002:{kind}" for kind in ("int", "float", "bool")}


class _AsWritten:
    """Reads the plain values of `_AS_WRITTEN` keys as they are written (a loader mixin).

    The nodes still hold the characters of the file, so their type is set back to text
    before they become Python values: no digits are lost and nothing is guessed back.
    """

    def construct_document(self, node):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.value not in _AS_WRITTEN:
                    continue
                items = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for item in items:
                    # A plain scalar's style is None from the Python parser, "" from libyaml.
                    plain = isinstance(item, yaml.ScalarNode) and not item.style
                    if plain and item.tag in _NOT_TEXT:
                        item.tag = "tag:yaml.org,2002:str"
        return super().construct_document(node)  # type: ignore[misc]


class _FrontMatterLoader(_AsWritten, yaml.SafeLoader):
    """The safe YAML loader with `_AsWritten`: the one whose error messages editors read."""


# libyaml parses several times faster than the Python parser, which made YAML a third of the
# time of reading a large content directory. It reads valid files the same; on an error the
# Python loader parses the file again, so the message and line stay the ones it gives.
_FAST_LOADERS: dict[type, type] = {}
if getattr(yaml, "__with_libyaml__", False):

    class _CFrontMatterLoader(_AsWritten, yaml.CSafeLoader):
        """`_FrontMatterLoader` on libyaml."""

    _FAST_LOADERS = {yaml.SafeLoader: yaml.CSafeLoader, _FrontMatterLoader: _CFrontMatterLoader}


def body_hash(body: str) -> str:
    """First 8 hex digits of the sha256 of a body, as written in `source_hash`."""
    return hashlib.sha256(body.strip().encode("utf-8")).hexdigest()[:8]


def read_content(root: str | Path, *, processes: int = 1) -> ContentSet:
    """Read and validate a whole content directory; problems are collected, never raised.

    With `processes` > 1 (see `render_processes`), a large directory is rendered in that many
    processes.
    """
    root_path = Path(root)
    content = ContentSet(root=str(root_path))
    if not root_path.is_dir():
        content.problems.append(Problem(str(root_path), 0, "content directory does not exist"))
        return content
    seen_articles: dict[str, str] = {}
    for cat_dir in sorted(p for p in root_path.iterdir() if not p.name.startswith(".")):
        if cat_dir.name in ROOT_FILES and cat_dir.is_file():
            continue  # read by its own module: the glossary
        if not cat_dir.is_dir():
            content.problems.append(
                Problem(str(cat_dir), 1, "unexpected file: only category folders belong here")
            )
            continue
        if not _check_slug(cat_dir, "category", content.problems):
            continue
        category = _read_category(cat_dir, content.problems)
        if category:
            content.categories.append(category)
        for art_dir in sorted(p for p in cat_dir.iterdir() if not p.name.startswith(".")):
            if art_dir.name == "_category.yml":
                continue
            if not art_dir.is_dir():
                content.problems.append(
                    Problem(
                        str(art_dir),
                        1,
                        "unexpected file: a category holds _category.yml and article folders",
                    )
                )
                continue
            if not _check_slug(art_dir, "article", content.problems):
                continue
            if art_dir.name in seen_articles:
                content.problems.append(
                    Problem(
                        str(art_dir),
                        1,
                        f"duplicate article slug, also used by {seen_articles[art_dir.name]}",
                    )
                )
                continue
            seen_articles[art_dir.name] = str(art_dir)
            article = _read_article(art_dir, cat_dir.name, content.problems)
            if article:
                content.articles.append(article)
    _render_all(content, processes)
    content.problems.sort()
    return content


def _check_slug(path: Path, kind: str, problems: list[Problem]) -> bool:
    if SLUG.match(path.name) and len(path.name) <= MAX_SLUG:
        return True
    problems.append(
        Problem(
            str(path),
            1,
            f"bad {kind} slug {path.name!r}: use lowercase a-z, 0-9 and hyphens"
            f" (at most {MAX_SLUG})",
        )
    )
    return False


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        problems.append(Problem(str(path), 1, f"file is {size} bytes, over the 1 MB limit"))
        return None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem(str(path), line, "not valid UTF-8"))
        return None
    return unicodedata.normalize("NFC", text.removeprefix("\ufeff").replace("\r\n", "\n"))


def _load_yaml(
    text: str, path: Path, first_line: int, problems: list[Problem], loader=yaml.SafeLoader
):
    fast = _FAST_LOADERS.get(loader)
    if fast is not None:
        try:
            return yaml.load(text, Loader=fast)
        except yaml.YAMLError:
            pass  # parsed again below, for the Python parser's message
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + (mark.line if mark else 0)
        reason = getattr(exc, "problem", None) or "cannot be parsed"
        problems.append(Problem(str(path), line, f"invalid YAML: {reason}"))
        return None


def _key_line(text: str, key: str, first_line: int) -> int:
    for offset, line in enumerate(text.split("\n")):
        if line.startswith(f"{key}:"):
            return first_line + offset
    return first_line


def _read_category(cat_dir: Path, problems: list[Problem]) -> SourceCategory | None:
    path = cat_dir / "_category.yml"
    if not path.is_file():
        problems.append(Problem(str(cat_dir), 1, "missing _category.yml"))
        return None
    text = _read_text(path, problems)
    if text is None:
        return None
    data = _load_yaml(text, path, 1, problems)
    if data is None and text.strip():
        return None
    if not isinstance(data, dict):
        problems.append(Problem(str(path), 1, "expected a mapping with order and title"))
        return None
    ok = True
    for key in sorted(set(data) - CATEGORY_KEYS):
        problems.append(Problem(str(path), _key_line(text, str(key), 1), f"unknown key {key!r}"))
        ok = False
    order = data.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool):
        problems.append(
            Problem(str(path), _key_line(text, "order", 1), "order must be a whole number")
        )
        ok = False
    titles = _localized(
        data.get("title"), "title", path, _key_line(text, "title", 1), problems, required=True
    )
    descriptions = _localized(
        data.get("description", {}),
        "description",
        path,
        _key_line(text, "description", 1),
        problems,
        required=False,
    )
    if titles is None or descriptions is None or not ok:
        return None
    return SourceCategory(cat_dir.name, str(path), order, titles, descriptions)


def _localized(value, key: str, path: Path, line: int, problems: list[Problem], *, required: bool):
    if not isinstance(value, dict):
        problems.append(Problem(str(path), line, f"{key} must map languages (az, ru, en) to text"))
        return None
    result = {}
    for lang, text in value.items():
        if lang not in LANGUAGES:
            problems.append(Problem(str(path), line, f"{key}: unknown language {lang!r}"))
            return None
        if not isinstance(text, str) or not text.strip():
            problems.append(Problem(str(path), line, f"{key}.{lang} must be non-empty text"))
            return None
        result[lang] = text.strip()
    missing = [lang for lang in LANGUAGES if lang not in result]
    if required and missing:
        problems.append(Problem(str(path), line, f"{key} is missing for {', '.join(missing)}"))
        return None
    return result


def _read_article(art_dir: Path, category: str, problems: list[Problem]) -> SourceArticle | None:
    article = SourceArticle(slug=art_dir.name, category=category, path=str(art_dir))
    for path in sorted(p for p in art_dir.iterdir() if not p.name.startswith(".")):
        lang = path.name.removesuffix(".md")
        if not path.is_file() or not path.name.endswith(".md") or lang not in LANGUAGES:
            problems.append(
                Problem(str(path), 1, "unknown language file: expected az.md, ru.md or en.md")
            )
            continue
        translation = _read_translation(path, lang, problems)
        if translation:
            article.translations[lang] = translation
    if not article.translations and not any(p.path.startswith(str(art_dir)) for p in problems):
        problems.append(Problem(str(art_dir), 1, "article has no az.md, ru.md or en.md"))
    return article if article.translations else None


def _read_translation(path: Path, lang: str, problems: list[Problem]) -> SourceTranslation | None:
    text = _read_text(path, problems)
    if text is None:
        return None
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        problems.append(
            Problem(str(path), 1, "missing front matter: the file must start with a --- line")
        )
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.append(Problem(str(path), 1, "front matter is not closed by a --- line"))
        return None
    fm_text = "\n".join(lines[1:end])
    data = _load_yaml(fm_text, path, 2, problems, _FrontMatterLoader)
    if data is None and fm_text.strip():
        return None
    data = data or {}
    if not isinstance(data, dict):
        problems.append(Problem(str(path), 2, "front matter must be a mapping of keys to values"))
        return None
    count = len(problems)
    front = None
    try:
        front = FrontMatter.model_validate(
            {str(key): value for key, value in data.items()}, context={"lang": lang}
        )
    except ValidationError as error:
        for key, message in _front_matter_problems(error):
            line = 1 if message == "missing title" else _key_line(fm_text, key, 2)
            problems.append(Problem(str(path), line, message))
    body = "\n".join(lines[end + 1 :])
    if not body.strip():
        problems.append(
            Problem(str(path), end + 2, "the article has no text after the front matter")
        )
    if front is None or len(problems) > count:
        return None
    return SourceTranslation(
        lang=lang,
        path=str(path),
        title=front.title,
        summary=front.summary,
        tags=front.tags,
        order=front.order,
        translated_from=front.translated_from,
        source_hash=front.source_hash,
        body_md=body.strip() + "\n",
        body_hash=body_hash(body),
        body_line=end + 2 + (len(body) - len(body.lstrip("\n"))),
        title_line=_key_line(fm_text, "title", 2),
        summary_line=_key_line(fm_text, "summary", 2),
    )


def _front_matter_problems(error: ValidationError) -> list[tuple[str, str]]:
    """(key, message) for each key the front matter got wrong: one message per key."""
    found: dict[str, str] = {}
    for item in error.errors():
        key = str(item["loc"][0]) if item["loc"] else ""
        if item["type"] == "extra_forbidden":
            message = f"unknown front matter key {key!r}"
        elif item["type"] == "missing":
            message = f"missing {key}"
        elif item["type"] in ("string_too_long", "too_long") and key in _TOO_LONG:
            message = _TOO_LONG[key]
        else:
            message = _WRONG.get(key, str(item["msg"]))
        found.setdefault(key, message)
    return list(found.items())


# Rendering is most of the time of reading a large directory (markdown-it is pure Python), so
# the commands may spread it over the machine's cores, from this many bodies on: fewer are not
# worth starting the processes.
PARALLEL_RENDER = 1000
MAX_RENDER_PROCESSES = 8


@dataclass(frozen=True)
class _Linker:
    """What a link between articles may point at: article slugs to categories, categories."""

    where: dict[str, str]
    categories: frozenset[str]

    def render(self, job: tuple[str, str, str, str]) -> Rendered:
        """Render one body: (body_md, category, slug, lang) of the translation it belongs to."""
        body_md, category, slug, lang = job
        return render_markdown(
            body_md,
            resolve_link=lambda href: resolve_link(
                href,
                category=category,
                slug=slug,
                lang=lang,
                where=self.where,
                categories=self.categories,
            ),
        )


_worker_linker: _Linker | None = None


def _start_worker(linker: _Linker) -> None:
    global _worker_linker
    _worker_linker = linker


def _render_in_worker(job: tuple[str, str, str, str]) -> Rendered:
    assert _worker_linker is not None
    return _worker_linker.render(job)


def render_processes() -> int:
    """How many processes a command may render with: the cores this process may use.

    Only for a command's own process: the processes are forked (a spawned one would import
    the caller's main module again), which is safe only before any thread was started.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, MAX_RENDER_PROCESSES))


def _render_all(content: ContentSet, processes: int = 1) -> None:
    """Render every body, resolving links between articles now that all slugs are known."""
    linker = _Linker(
        where={a.slug: a.category for a in content.articles},
        categories=frozenset(c.slug for c in content.categories),
    )
    translations = [tr for article in content.articles for tr in article.translations.values()]
    jobs = [
        (tr.body_md, article.category, article.slug, tr.lang)
        for article in content.articles
        for tr in article.translations.values()
    ]
    if processes > 1 and len(jobs) >= PARALLEL_RENDER:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            processes, mp_context=context, initializer=_start_worker, initargs=(linker,)
        ) as pool:
            chunk = max(1, min(64, len(jobs) // (processes * 4)))
            rendered = list(pool.map(_render_in_worker, jobs, chunksize=chunk))
    else:
        rendered = [linker.render(job) for job in jobs]
    for tr, result in zip(translations, rendered, strict=True):
        tr.rendered = result
        for line, href in result.bad_links:
            content.problems.append(
                Problem(
                    tr.path,
                    tr.body_line + line - 1,
                    f"link to an article that does not exist: {href}",
                )
            )


def resolve_link(
    href: str,
    *,
    category: str,
    slug: str,
    lang: str,
    where: Mapping[str, str],
    categories: AbstractSet[str],
) -> str | None:
    """Map `../../<category>/<article>/` (optionally `<lang>.md`, `#anchor`) to its page URL.

    The link is written in article `slug` of `category`; `where` maps the slugs of the
    articles that may be linked to their categories, `categories` the categories that may.
    """
    parts = urlsplit(href)
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    target = posixpath.normpath(posixpath.join(category, slug, parts.path))
    segments = [s for s in target.split("/") if s]
    if segments and segments[-1].endswith(".md") and segments[-1][:-3] in LANGUAGES:
        lang = segments.pop()[:-3]
    if len(segments) == 2 and where.get(segments[1]) == segments[0]:
        return f"/{lang}/{segments[0]}/{segments[1]}/{fragment}"
    if len(segments) == 1 and segments[0] in categories:
        return f"/{lang}/{segments[0]}/{fragment}"
    return None


@dataclass(frozen=True)
class TranslationStatus:
    slug: str
    lang: str
    status: str  # "up to date", "outdated", "missing"
    detail: str = ""


def translation_report(content: ContentSet) -> list[TranslationStatus]:
    """Per article and language: up to date, outdated (source changed since) or missing."""
    report = []
    for article in sorted(content.articles, key=lambda a: (a.category, a.slug)):
        for lang in LANGUAGES:
            tr = article.translations.get(lang)
            if tr is None:
                report.append(TranslationStatus(article.slug, lang, "missing"))
            elif tr.translated_from is None:
                report.append(TranslationStatus(article.slug, lang, "up to date", "source"))
            else:
                source = article.translations.get(tr.translated_from)
                if source is None:
                    detail = f"source {tr.translated_from}.md is missing"
                    report.append(TranslationStatus(article.slug, lang, "outdated", detail))
                elif tr.source_hash is None:
                    report.append(
                        TranslationStatus(article.slug, lang, "outdated", "no source_hash")
                    )
                elif tr.source_hash != source.body_hash:
                    detail = f"{tr.translated_from} changed: {tr.source_hash} -> {source.body_hash}"
                    report.append(TranslationStatus(article.slug, lang, "outdated", detail))
                else:
                    report.append(
                        TranslationStatus(
                            article.slug, lang, "up to date", f"from {tr.translated_from}"
                        )
                    )
    return report
