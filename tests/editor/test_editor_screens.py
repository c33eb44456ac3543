"""What editors see on the overview, article and history pages, and in a difference."""

import re

import pytest

from helpcenter.editor import diff
from tests.editor.conftest import ARTICLE, csrf_of, text

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database

EDIT = f"/staff/content/{ARTICLE}/en/edit"
TITLE = "How long does a withdrawal take?"


def cell(page: str, slug: str, lang: str) -> str:
    row = re.search(rf'<tr>\s*<td><a href="/staff/content/{slug}">.*?</tr>', page, re.S).group(0)
    return re.search(rf'<td data-lang="{lang}">(.*?)</td>', row, re.S).group(1)


def link(cell_html: str) -> tuple[str, str]:
    """The cell's link: its href, and its accessible name (its text, hidden parts included)."""
    found = re.search(r'<a class="cell-link" href="([^"]+)">(.*?)</a>', cell_html, re.S)
    assert found, cell_html
    return found.group(1), " ".join(re.sub(r"<[^>]+>", "", found.group(2)).split())


def test_each_cell_of_the_overview_links_to_editing_that_translation(editor):
    page = text(editor.client.get("/staff/content"))
    assert link(cell(page, ARTICLE, "ru")) == (
        f"/staff/content/{ARTICLE}/ru/edit",
        f"Edit the Russian translation of “{TITLE}”: published",
    )
    assert link(cell(page, ARTICLE, "az"))[0] == f"/staff/content/{ARTICLE}/az/edit"


def test_an_outdated_or_missing_cell_links_to_translating_it(editor):
    editor.save(EDIT, body="A changed English text.\n")
    page = text(editor.client.get("/staff/content"))
    assert link(cell(page, ARTICLE, "az")) == (
        f"/staff/content/{ARTICLE}/az/translate?from=en",
        f"Update the Azerbaijani translation of “{TITLE}”: published outdated",
    )
    assert link(cell(page, ARTICLE, "en"))[0] == EDIT
    form = text(editor.client.get("/staff/content/new"))
    created = editor.client.post(
        "/staff/content/new",
        data={
            "csrf_token": csrf_of(form),
            "category": "deposits-withdrawals",
            "slug": "crypto-deposits",
            "language": "en",
            "title": "Crypto deposits",
            "body": "Send coins.",
        },
    )
    assert created.status_code == 303
    page = text(editor.client.get("/staff/content"))
    assert link(cell(page, "crypto-deposits", "ru")) == (
        "/staff/content/crypto-deposits/ru/translate?from=en",
        "Translate “Crypto deposits” into Russian: missing",
    )
    # The link leads to a page that works.
    assert editor.client.get(link(cell(page, "crypto-deposits", "ru"))[0]).status_code == 200


@pytest.mark.parametrize(
    ("ui", "heading"),
    [("en", TITLE), ("ru", "Сколько времени занимает вывод средств?")],
)
def test_the_article_page_is_headed_by_its_title_in_the_editors_language(editor, ui, heading):
    editor.client.set_cookie("lang", ui)
    page = text(editor.client.get(f"/staff/content/{ARTICLE}"))
    assert re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1) == heading
    assert f'<code class="slug">{ARTICLE}</code>' in page


def test_a_history_of_one_revision_shows_it_without_a_difference(editor):
    page = text(editor.client.get(f"/staff/content/{ARTICLE}/en/history"))
    assert "First version (#1)" in page
    assert "Changes from" not in page and 'class="diff"' not in page
    assert "Show the differences" not in page  # nothing to compare with
    assert TITLE in page and "business days" in page


LINES = [f"Paragraph {n} of a long article." for n in range(1, 31)]


def test_a_difference_shows_the_changed_lines_with_three_around_them():
    changed = [*LINES]
    changed[14] = "Paragraph 15, rewritten."
    changed[27] = "Paragraph 28, rewritten."
    lines = diff.diff("\n".join(LINES), "\n".join(changed))
    shown = [(line.kind, line.text, line.hidden) for line in lines]
    assert shown == [
        ("gap", "", 11),
        *[("same", LINES[n], 0) for n in range(11, 14)],
        ("removed", LINES[14], 0),
        ("added", changed[14], 0),
        *[("same", LINES[n], 0) for n in range(15, 18)],
        ("gap", "", 6),
        *[("same", LINES[n], 0) for n in range(24, 27)],
        ("removed", LINES[27], 0),
        ("added", changed[27], 0),
        *[("same", LINES[n], 0) for n in range(28, 30)],
    ]
    assert diff.diff("same\ntext", "same\ntext") == ()
    short = diff.diff("a\nb\nc", "a\nB\nc")
    assert [line.kind for line in short] == ["same", "removed", "added", "same"]


def test_the_history_shows_only_the_changed_lines_of_the_text(editor):
    editor.save(EDIT, body="\n".join(LINES) + "\n")
    editor.save(EDIT, body="\n".join(LINES).replace("Paragraph 20 of", "Paragraph 20, new, of"))
    page = text(editor.client.get(f"/staff/content/{ARTICLE}/en/history?a=2&b=3"))
    changes = re.search(r'<section aria-labelledby="hc-diff-title">.*?</section>', page, re.S)
    shown = re.sub(r"<[^>]+>", "", changes.group(0))
    assert "Changes from #2 to #3" in shown
    assert "Paragraph 20, new, of a long article." in shown
    assert "Paragraph 17 of" in shown and "Paragraph 23 of" in shown
    assert "Paragraph 1 of" not in shown and "Paragraph 30 of" not in shown
    assert "16 unchanged lines hidden" in shown and "7 unchanged lines hidden" in shown
    assert "No changes." in shown  # the title, summary and tags are the same
