"""An editor in a real browser: changes an English article, updates the Azerbaijani side by side."""

import re

import pytest
from playwright.sync_api import expect

from helpcenter.staff import services as staff
from tests.conftest import eventually

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
PASSWORD = "correct horse battery staple"
ARTICLE = "withdrawal-times"


@pytest.fixture
def editor_account(loaded):
    with loaded.app_context():
        staff.create_staff(
            email="editor@casino.example", role="editor", password=PASSWORD, name="Elvin"
        )


def row_of(page, slug):
    return page.locator("tr", has=page.locator(f'a[href="/staff/content/{slug}"]'))


def signed_in_editor(browser, live_server, **options):
    """A new browser context (and its page) signed in as the editor, on the overview."""
    context = browser.new_context(locale="en-US", **options)
    page = context.new_page()
    page.goto(live_server + "/staff/login")
    page.get_by_label("Email").fill("editor@casino.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Articles and translations")).to_be_visible()
    return context, page


def test_editor_updates_a_translation_side_by_side_and_players_find_it(
    editor_account, live_server, browser
):
    context, page = signed_in_editor(browser, live_server)
    expect(row_of(page, ARTICLE).locator("td[data-lang=az] .badge")).to_have_text("published")

    # Change the English text; the live preview shows it as players will see it.
    page.goto(f"{live_server}/staff/content/{ARTICLE}/en/edit")
    body = page.get_by_label("Text (Markdown)")
    body.press("Control+End")
    body.type("\n\n## Quasar payouts\n\nQuasar wallets are paid out within one hour.")
    expect(page.locator("#hc-preview h2", has_text="Quasar payouts")).to_be_visible()
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".notice")).to_contain_text("Saved as revision 2")
    page.get_by_role("button", name="Publish en").click()
    expect(page.locator(".notice")).to_contain_text("Published")

    # The translations are marked outdated.
    page.goto(live_server + "/staff/content")
    row = row_of(page, ARTICLE)
    expect(row.locator("td[data-lang=az]")).to_contain_text("outdated")
    expect(row.locator("td[data-lang=ru]")).to_contain_text("outdated")

    # Side by side: the source with the new lines marked, the Azerbaijani text to change. The
    # outdated cell of the overview leads there.
    row.get_by_role("link", name="Update the Azerbaijani translation of").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("into Azərbaycanca")
    expect(page.locator(".source-changed", has_text="Quasar payouts")).to_be_visible()
    az_body = page.get_by_label("Text (Markdown)")
    az_body.press("Control+End")
    az_body.type(
        "\n\n## Kvazar ödənişləri\n\nKvazar pul kisələrinə ödənişlər bir saat ərzində edilir."
    )
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".notice")).to_contain_text("Saved as revision 2")
    page.get_by_role("button", name="Publish az").click()
    expect(page.locator(".notice")).to_contain_text("Published")
    page.goto(live_server + "/staff/content")
    expect(row_of(page, ARTICLE).locator("td[data-lang=az] .badge")).to_have_text("published")
    expect(row_of(page, ARTICLE).locator("td[data-lang=ru]")).to_contain_text("outdated")

    # Players find the new Azerbaijani text through the public search.
    player = browser.new_context(locale="az").new_page()

    def found() -> int:
        # The index catches up in the background within seconds of the publish.
        player.goto(live_server + "/az/search?q=kvazar")
        return player.locator(".hit a").count()

    eventually(found, seconds=10, what="the public search finds the published text")
    first = player.locator(".hit a").first
    expect(first).to_have_attribute(
        "href", re.compile(rf"/az/search/opened/\d+/1/deposits-withdrawals/{ARTICLE}/")
    )
    first.click()
    expect(player.get_by_role("heading", name="Kvazar ödənişləri")).to_be_visible()
    context.close()


def test_the_translate_page_keeps_the_centred_column_at_1280_px(
    editor_account, live_server, browser
):
    context, page = signed_in_editor(browser, live_server, viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server}/staff/content/{ARTICLE}/az/translate?from=en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("into Azərbaycanca")
    header = page.locator(".staff-header .wrap").first.bounding_box()
    main = page.locator("main > .wrap").first.bounding_box()
    source = page.locator(".side-by-side > .source").bounding_box()
    target = page.locator(".side-by-side > .target").bounding_box()
    # The same centred column as the header and every other editor page, both sides inside it.
    assert (round(main["x"]), round(main["width"])) == (round(header["x"]), round(header["width"]))
    assert main["width"] < 1280 and round(main["x"] * 2 + main["width"]) == 1280
    assert main["x"] <= source["x"] < target["x"]
    assert target["x"] + target["width"] <= main["x"] + main["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    context.close()
