"""Editors and the glossary: the glossary page, and its warnings in the preview."""

import re

import pytest

from tests.editor.conftest import ARTICLE, form_values, text

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database

GLOSSARY = """\
terms:
  - concept: two-factor authentication
    note: "A second step after the password."
    en: {use: "two-factor authentication", avoid: ["2-step verification"]}
    az: {use: "iki mərhələli doğrulama", avoid: ["iki faktorlu doğrulama"]}
    ru: {use: "двухфакторная аутентификация"}
  - concept: password
    az: {use: "şifrə", avoid: ["parol"]}
"""
TRANSLATE = f"/staff/content/{ARTICLE}/az/translate?from=en"
WARNING = "“iki faktorlu doğrulama” → “iki mərhələli doğrulama”"


def visible(page: str) -> str:
    """The page's text without its tags, whitespace runs made one space."""
    return " ".join(re.sub(r"<[^>]+>", "", page).split())


@pytest.fixture
def glossary_file(loaded, tmp_path, monkeypatch):
    path = tmp_path / "glossary.yml"
    path.write_text(GLOSSARY, encoding="utf-8")
    monkeypatch.setitem(loaded.config, "GLOSSARY_FILE", str(path))
    return path


def test_the_glossary_page_lists_each_term_for_an_editor(editor, glossary_file):
    overview = text(editor.client.get("/staff/content"))
    assert 'href="/staff/content/glossary">Glossary</a>' in overview
    response = editor.client.get("/staff/content/glossary")
    assert response.status_code == 200
    page = text(response)
    assert "<h1>Glossary</h1>" in page
    row = re.search(r"<tr>\s*<th scope=\"row\"[^>]*>two-factor authentication.*?</tr>", page, re.S)
    assert row is not None
    row_text = " ".join(re.sub(r"<[^>]+>", " ", row.group(0)).split())
    assert "A second step after the password." in row_text
    assert "iki mərhələli doğrulama" in row_text and "Avoid: iki faktorlu doğrulama" in row_text
    assert "двухфакторная аутентификация" in row_text
    assert "No term in this language" not in row_text
    password = re.search(r"<th scope=\"row\"[^>]*>password.*?</tr>", page, re.S).group(0)
    assert password.count("No term in this language") == 2


def test_the_glossary_page_needs_an_editor(loaded, client, glossary_file):
    response = client.get("/staff/content/glossary")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_a_malformed_glossary_is_shown_on_its_page_and_editing_goes_on(editor, glossary_file):
    glossary_file.write_text("terms:\n  - concept: x\n    az: {use: a, avoid: b}\n")
    page = text(editor.client.get("/staff/content/glossary"))
    assert "The glossary file has a mistake" in page and "terms[0].az.avoid" in page
    values = form_values(text(editor.client.get(TRANSLATE)))
    preview = editor.client.post(
        TRANSLATE, data={**values, "action": "preview", "body": "iki faktorlu doğrulama"}
    )
    assert preview.status_code == 200 and WARNING not in visible(text(preview))


def test_no_glossary_file_is_said_so(editor, glossary_file):
    glossary_file.unlink()
    assert "There is no glossary yet." in text(editor.client.get("/staff/content/glossary"))


def test_the_live_preview_warns_of_variants_in_the_language_of_the_text(editor, glossary_file):
    values = editor.open(TRANSLATE)
    data = {
        "csrf_token": values["csrf_token"],
        "article": ARTICLE,
        "lang": "az",
        "title": "Parol və pul çıxarışı",
        "summary": "",
        "body": "Hesabınızda iki faktorlu\ndoğrulamanı yandırın.\n\n`parol` kodu",
    }
    fragment = text(
        editor.client.post("/staff/content/preview", data=data, headers={"HX-Request": "true"})
    )
    assert fragment.startswith('<div id="hc-preview"')
    assert "Words the glossary asks to replace" in fragment
    warnings = re.sub(r"<[^>]+>", "", re.search(r"<ul>.*?</ul>", fragment, re.S).group(0))
    assert [" ".join(line.split()) for line in warnings.strip().splitlines()] == [
        "“parol” → “şifrə” (in the title)",
        "“iki faktorlu doğrulama” → “iki mərhələli doğrulama” (text, line 1)",
    ]
    # The same words in English are not Azerbaijani variants.
    english = text(
        editor.client.post(
            "/staff/content/preview", data={**data, "lang": "en"}, headers={"HX-Request": "true"}
        )
    )
    assert "Words the glossary asks to replace" not in english


def test_previewing_and_saving_a_translation_warns_without_blocking(editor, glossary_file):
    values = editor.open(TRANSLATE)
    body = values["body"] + "\nİki faktorlu doğrulamanı da yandırın.\n"
    preview = editor.client.post(TRANSLATE, data={**values, "action": "preview", "body": body})
    assert preview.status_code == 200
    page = text(preview)
    assert WARNING in visible(page) and "İki faktorlu doğrulamanı da yandırın." in page
    saved = editor.client.post(TRANSLATE, data={**values, "action": "save", "body": body})
    assert saved.status_code == 303
    article = text(editor.client.get(f"/staff/content/{ARTICLE}"))
    assert "Saved as revision 2" in article
    assert f"Azərbaycanca: {WARNING}" in visible(article)


def test_the_edit_page_shows_no_warning_for_clean_text(editor, glossary_file):
    page = text(editor.client.get(f"/staff/content/{ARTICLE}/az/edit"))
    assert "Words the glossary asks to replace" not in page
