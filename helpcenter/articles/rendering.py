"""Markdown to safe HTML: the one renderer and sanitizer for loader, pages and editor preview.

markdown-it-py (CommonMark plus tables and strikethrough) renders; nh3 (Rust's ammonia)
sanitizes with an allowlist, so raw HTML in an article can format text but never run code.
"""

import html as html_lib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "s", "del",
    "code", "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr",
    "th", "td", "sup", "sub", "kbd", "abbr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "abbr": {"title"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
TOC_LEVELS = (2, 3)

_A_TAG = re.compile(r'<a href="(https?://[^"]*)"')
_TABLE_TAG = re.compile(r"<(/?)table>")
_HEADING = re.compile(r"<h[2-6][^>]*>(.*?)</h[2-6]>", re.S)
_FIRST_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_CELL = re.compile(r"<t[hd]>(.*?)</t[hd]>", re.S)


def slugify(text: str) -> str:
    """Heading anchor: lowercase words joined by hyphens, letters of any script kept."""
    text = unicodedata.normalize("NFC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s_-]+", "-", text).strip("-") or "section"


_md = (
    MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    .enable(["table", "strikethrough"])
    .use(anchors_plugin, min_level=2, max_level=4, slug_func=slugify)
)


@dataclass
class Rendered:
    html: str
    toc: list[dict] = field(default_factory=list)
    word_count: int = 0
    # (1-based line in the Markdown text, href) of relative links the resolver rejected
    bad_links: list[tuple[int, str]] = field(default_factory=list)


def is_relative(href: str) -> bool:
    parts = urlsplit(href)
    return not parts.scheme and not parts.netloc and not href.startswith(("/", "#"))


def sanitize(html: str) -> str:
    """Allowlist-clean HTML; external links open without access to this page."""
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
    # ammonia serializes attributes in source order with double quotes, and href is the
    # first attribute markdown-it writes, so external links are found reliably here.
    return _A_TAG.sub(r'<a rel="noopener noreferrer" href="\1"', clean)


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(nh3.clean(fragment, tags=set())).split())


def scrollable_tables(clean: str) -> str:
    """Wrap each outermost table of sanitized HTML in a labelled, focusable scroll region.

    A wide table then scrolls inside its box on a phone, and keyboard and screen-reader users
    can reach and name that box. The label is the heading the table follows, else the cells of
    its first row: words in the article's own language, known when it is loaded. Run after
    the sanitizer, which allows no div or ARIA attribute from an article's author.
    """
    out, depth, start, last = [], 0, 0, 0
    for tag in _TABLE_TAG.finditer(clean):
        if tag.group(1):
            depth -= 1
            if depth == 0:
                table = clean[start : tag.end()]
                headings = _HEADING.findall(clean, 0, start)
                label = _text(headings[-1]) if headings else ""
                if not label and (row := _FIRST_ROW.search(table)):
                    label = ", ".join(_text(cell) for cell in _CELL.findall(row.group(1)))
                out.append(clean[last:start])
                out.append(
                    '<div class="table-scroll" role="region" tabindex="0" '
                    f'aria-label="{html_lib.escape(label, quote=True)}">{table}</div>'
                )
                last = tag.end()
        else:
            if depth == 0:
                start = tag.start()
            depth += 1
    out.append(clean[last:])
    return "".join(out)


def render_markdown(
    text: str, *, resolve_link: Callable[[str], str | None] | None = None
) -> Rendered:
    """Render Markdown to sanitized HTML with heading anchors and a table of contents.

    `resolve_link` maps a relative link to its public URL, or returns None when it points
    nowhere; such links are reported in `bad_links` and left as they are.
    """
    tokens = _md.parse(text)
    result = Rendered(html="")
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and int(token.tag[1]) in TOC_LEVELS:
            inline = tokens[index + 1]
            label = "".join(
                child.content
                for child in inline.children or []
                if child.type in ("text", "code_inline")
            )
            result.toc.append(
                {"level": int(token.tag[1]), "id": token.attrs.get("id"), "text": label}
            )
        if token.type != "inline":
            continue
        line = token.map[0] + 1 if token.map else 1
        for child in token.children or []:
            if child.type != "link_open" or resolve_link is None:
                continue
            href = str(child.attrs.get("href", ""))
            if not is_relative(href):
                continue
            target = resolve_link(href)
            if target is None:
                result.bad_links.append((line, href))
            else:
                child.attrs["href"] = target
    html = _md.renderer.render(tokens, _md.options, {})
    result.html = scrollable_tables(sanitize(html))
    result.word_count = len(re.findall(r"\w+", nh3.clean(result.html, tags=set())))
    return result
