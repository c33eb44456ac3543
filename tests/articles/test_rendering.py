"""Article Markdown becomes safe HTML: tables and anchors work, nothing can run."""

import re

import pytest

from helpcenter.articles.rendering import render_markdown

DANGEROUS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<p style="background:url(javascript:alert(1))" onclick="alert(1)">x</p>',
    "<svg><script>alert(1)</script></svg>",
]


@pytest.mark.parametrize("source", DANGEROUS)
def test_raw_html_cannot_run_code(source):
    html = render_markdown(f"Text\n\n{source}\n").html.lower()
    assert not re.search(r"<(script|iframe|svg|img)", html)
    assert not re.search(r"\son\w+=|\sstyle=", html)
    assert not re.search(r'(href|src)="\s*(javascript|data):', html)


def test_tables_headings_and_table_of_contents():
    rendered = render_markdown(
        "## Çıxarış müddəti\n\n| Üsul | Vaxt |\n|---|---|\n| Kart | 1-3 gün |\n\n### Kartlar\n"
    )
    assert "<table>" in rendered.html and "<td>Kart</td>" in rendered.html
    assert '<h2 id="çıxarış-müddəti">' in rendered.html
    assert [(i["level"], i["id"]) for i in rendered.toc] == [(2, "çıxarış-müddəti"), (3, "kartlar")]


def test_tables_scroll_in_a_focusable_region_named_after_their_heading():
    html = render_markdown(
        "## Çıxarış & müddəti\n\n| Üsul | Vaxt |\n|---|---|\n| Kart | 1-3 gün |\n\n"
        "Mətn.\n\n| Limit | Məbləğ |\n|---|---|\n| Minimum | 10 AZN |\n"
    ).html
    region = (
        '<div class="table-scroll" role="region" tabindex="0" aria-label="Çıxarış &amp; müddəti">'
    )
    assert html.count(region + "<table>") == 2
    assert html.count("</table></div>") == 2


def test_a_table_before_any_heading_is_named_by_its_column_headings():
    html = render_markdown("| Üsul | `Vaxt` |\n|---|---|\n| Kart | 1-3 gün |\n").html
    assert 'role="region" tabindex="0" aria-label="Üsul, Vaxt"><table>' in html


def test_an_author_cannot_forge_the_table_region():
    html = render_markdown(
        '<div class="table-scroll" role="region" tabindex="0" aria-label="x" onfocus="alert(1)">'
        "<table><tr><td><table><tr><td>1</td></tr></table></td></tr></table></div>\n"
    ).html
    # The author's div and attributes go; the renderer's own region wraps the outer table once.
    assert html.count("<div") == 1 and "onfocus" not in html and 'aria-label="x"' not in html
    assert html.count('class="table-scroll"') == 1
    assert 'aria-label="1"' in html


def test_external_links_get_noopener_internal_links_do_not():
    html = render_markdown("[out](https://example.org/a) and [in](/az/x/)").html
    assert '<a rel="noopener noreferrer" href="https://example.org/a">out</a>' in html
    assert '<a href="/az/x/">in</a>' in html
