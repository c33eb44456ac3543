"""The editors' workspace pages, for every role and every action, with bad input."""

import re

import pytest
from sqlalchemy import select

from helpcenter.articles.models import Article, Category
from helpcenter.editor import services
from helpcenter.extensions import db
from helpcenter.staff import access
from tests.editor.conftest import ARTICLE, Editor, csrf_of, form_values, text

# Pages and forms: what they show does not depend on the database: once (tests/conftest.py).
pytestmark = pytest.mark.one_database

EDIT = f"/staff/content/{ARTICLE}/en/edit"
PAGES = (
    "/staff/content",
    "/staff/content/new",
    f"/staff/content/{ARTICLE}",
    EDIT,
    f"/staff/content/{ARTICLE}/az/translate?from=en",
    f"/staff/content/{ARTICLE}/en/history",
    "/staff/content/categories/new",
    "/staff/content/categories/deposits-withdrawals",
)


@pytest.mark.parametrize("role", access.ROLES)
def test_only_editors_and_admins_get_in(loaded, client, accounts, role):
    staff = Editor(client)
    staff.login(role)
    expected = 200 if access.may_edit_content(role) else 403
    assert {page: client.get(page).status_code for page in PAGES} == dict.fromkeys(PAGES, expected)
    token = csrf_of(text(client.get("/staff/login")))
    publish = client.post(f"/staff/content/{ARTICLE}/en/publish", data={"csrf_token": token})
    assert publish.status_code == (303 if expected == 200 else 403)


def test_nobody_signed_out_gets_in(loaded, client):
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_the_overview_counts_and_filters(editor):
    page = text(editor.client.get("/staff/content"))
    for lang in ("az", "ru", "en"):
        assert f"{lang}: 40 of 40 up to date" in page
    editor.save(EDIT, body="Changed in English.\n")
    page = text(editor.client.get("/staff/content"))
    assert "az: 39 of 40 up to date" in page and "en: 39 of 40 up to date" in page
    outdated = text(editor.client.get("/staff/content?state=outdated"))
    assert re.findall(r'<td><a href="/staff/content/([a-z0-9-]+)"', outdated) == [ARTICLE]
    assert outdated.count('class="badge badge-closed">outdated') == 2
    one_category = text(editor.client.get("/staff/content?category=bonuses-promotions"))
    assert ARTICLE not in one_category and "welcome-bonus" in one_category


def test_saving_keeps_a_draft_until_published(editor, loaded):
    response = editor.save(EDIT, body="A clear new text about payouts.\n", title="Payout times")
    assert response.status_code == 303
    public = text(editor.client.get(f"/en/deposits-withdrawals/{ARTICLE}/"))
    assert "Payout times" not in public
    page = text(editor.client.get(f"/staff/content/{ARTICLE}"))
    assert "#2 by editor@casino.example" in page
    token = csrf_of(page)
    published = editor.client.post(
        f"/staff/content/{ARTICLE}/en/publish", data={"csrf_token": token}
    )
    assert published.status_code == 303
    assert "Payout times" in text(editor.client.get(f"/en/deposits-withdrawals/{ARTICLE}/"))
    found = text(editor.client.get("/en/search?q=payout+times"))
    assert f"/deposits-withdrawals/{ARTICLE}/" in found


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Give the article a title."),
        ({"body": "   "}, "Write the text of the article."),
        (
            {"body": "Hi <script>alert(1)</script>"},
            "Scripts, styles, frames, forms and event handlers",
        ),
        (
            {"body": '<a href="#" onclick="x()">x</a>'},
            "Scripts, styles, frames, forms and event handlers",
        ),
        (
            {"body": "See [x](../../deposits-withdrawals/nope/)."},
            "not published: ../../deposits-withdrawals/nope/",
        ),
        ({"body": "x" * (2 * 1024 * 1024)}, "Write at most 100000 characters (now 2097152)."),
        ({"tags": ", ".join(f"tag{i}" for i in range(25))}, "At most 20 tags"),
    ],
)
def test_bad_input_is_explained_and_the_text_kept(editor, loaded, changes, message):
    response = editor.save(EDIT, **{"summary": "My careful summary", **changes})
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert "My careful summary" in page
    with loaded.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == ARTICLE))
        assert services.latest(article.id, "en").number == 1


def test_a_stale_form_shows_the_other_editors_changes_and_keeps_mine(editor, loaded):
    mine = editor.open(EDIT)
    colleague = Editor(loaded.test_client())
    colleague.login("admin")
    assert colleague.save(EDIT, body=mine["body"] + "\nTheir new paragraph.\n").status_code == 303
    response = editor.client.post(EDIT, data={**mine, "action": "save", "body": "My version."})
    assert response.status_code == 409
    page = text(response)
    assert "Someone else saved this article while you were editing it" in page
    assert "Their new paragraph." in page and "My version." in page
    assert "by admin@casino.example" in page
    # Saving again from the redrawn form is on top of theirs, knowingly.
    again = form_values(page)
    assert editor.client.post(EDIT, data={**again, "action": "save"}).status_code == 303


def test_an_expired_form_keeps_the_text(editor):
    values = editor.open(EDIT)
    response = editor.client.post(
        EDIT, data={**values, "csrf_token": "stale", "action": "save", "body": "Long text"}
    )
    assert response.status_code == 422
    assert "For your security this form has expired." in text(response)
    assert "Long text" in text(response)


def test_preview_is_rendered_and_sanitized_like_the_public_page(editor):
    values = editor.open(EDIT)
    data = {
        "csrf_token": values["csrf_token"],
        "article": ARTICLE,
        "lang": "en",
        "body": "## Fees\n\n**None** <img src=x onerror=alert(1)> "
        "[more](../../deposits-withdrawals/fees-and-currency/)",
    }
    fragment = text(
        editor.client.post("/staff/content/preview", data=data, headers={"HX-Request": "true"})
    )
    assert fragment.startswith('<div id="hc-preview"')
    assert '<h2 id="fees">Fees</h2>' in fragment and "<strong>None</strong>" in fragment
    assert "onerror" not in fragment and "<img" not in fragment
    assert 'href="/en/deposits-withdrawals/fees-and-currency/"' in fragment
    plain = editor.client.post(EDIT, data={**values, "action": "preview", "body": "**Bold** text"})
    assert plain.status_code == 200 and "<strong>Bold</strong>" in text(plain)


def test_translating_side_by_side_marks_what_changed_and_records_the_source(editor, loaded):
    source = editor.open(EDIT)
    new_body = source["body"].replace("business days", "working days", 1) + "\nA new last line.\n"
    editor.save(EDIT, body=new_body)
    page = text(editor.client.get(f"/staff/content/{ARTICLE}/az/translate?from=en"))
    assert "The source changed since this translation was made" in page
    assert page.count('class="source-changed"') >= 1 and "A new last line." in page
    assert "<ins>" in page
    response = editor.save(
        f"/staff/content/{ARTICLE}/az/translate?from=en",
        body=form_values(page)["body"] + "\nYeni son sətir.\n",
    )
    assert response.status_code == 303
    overview = text(editor.client.get(f"/staff/content/{ARTICLE}"))
    row = re.search(r'<th scope="row" lang="az">.*?</tr>', overview, re.S).group(0)
    assert "outdated" not in row and "draft" in row


def test_history_compares_and_restores(editor):
    editor.save(EDIT, body="Second text.\n")
    editor.save(EDIT, body="Third text.\n")
    page = text(editor.client.get(f"/staff/content/{ARTICLE}/en/history?a=2&b=3"))
    assert "Changes from #2 to #3" in page
    assert "<del>Second</del>" in page and "<ins>Third</ins>" in page
    token = csrf_of(page)
    base = re.search(r'name="base" value="(\d+)"', page).group(1)
    restored = editor.client.post(
        f"/staff/content/{ARTICLE}/en/restore/2", data={"csrf_token": token, "base": base}
    )
    assert restored.status_code == 303
    page = text(editor.client.get(f"/staff/content/{ARTICLE}/en/history"))
    assert "Revision 2 was saved again as revision 4." in page
    assert "#4" in page and "(restored)" in page


def test_new_article_with_a_taken_slug_keeps_the_text(editor):
    token = csrf_of(text(editor.client.get("/staff/content/new")))
    data = {
        "csrf_token": token,
        "category": "deposits-withdrawals",
        "slug": ARTICLE,
        "language": "en",
        "title": "Another",
        "body": "My new article body.",
    }
    taken = editor.client.post("/staff/content/new", data=data)
    assert taken.status_code == 422
    assert "an article with this slug exists already" in text(taken)
    assert "My new article body." in text(taken)
    created = editor.client.post("/staff/content/new", data={**data, "slug": "crypto-deposits"})
    assert created.headers["Location"] == "/staff/content/crypto-deposits"
    # A draft is invisible to players.
    assert editor.client.get("/en/deposits-withdrawals/crypto-deposits/").status_code == 404


def test_unpublish_and_categories(editor, loaded):
    page = text(editor.client.get(f"/staff/content/{ARTICLE}"))
    done = editor.client.post(
        f"/staff/content/{ARTICLE}/unpublish", data={"csrf_token": csrf_of(page)}
    )
    assert done.status_code == 303
    assert editor.client.get(f"/en/deposits-withdrawals/{ARTICLE}/").status_code == 404
    form = text(editor.client.get("/staff/content/categories/new"))
    data = {
        "csrf_token": csrf_of(form),
        "slug": "casino-games",
        "order": "70",
        "title_az": "Kazino oyunları",
        "title_ru": "Игры казино",
        "title_en": "Casino games",
    }
    assert editor.client.post("/staff/content/categories/new", data=data).status_code == 303
    again = editor.client.post("/staff/content/categories/new", data=data)
    assert again.status_code == 422 and "a category with this slug exists already" in text(again)
    missing = editor.client.post(
        "/staff/content/categories/new", data={**data, "slug": "other", "title_ru": ""}
    )
    assert missing.status_code == 422 and "Required in every language." in text(missing)
    with loaded.app_context():
        category = db.session.scalar(select(Category).where(Category.slug == "casino-games"))
        assert category.titles == {
            "az": "Kazino oyunları",
            "ru": "Игры казино",
            "en": "Casino games",
        }
