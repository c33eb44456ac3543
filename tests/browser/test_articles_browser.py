"""What a player does in a real browser: switch language, vote with and without JavaScript."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from helpcenter.articles.models import ArticleVote
from helpcenter.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.front_end]
ARTICLE = "/en/deposits-withdrawals/withdrawal-times/"


def stored_votes(app) -> list[tuple[bool, str]]:
    with app.app_context():
        return [(v.is_helpful, v.lang) for v in db.session.scalars(select(ArticleVote))]


def test_language_switcher_keeps_the_article(live_server, page):
    page.goto(live_server + ARTICLE)
    expect(page.locator("h1")).to_have_text("How long does a withdrawal take?")
    page.get_by_role("navigation", name="Choose language").get_by_role(
        "link", name="Русский"
    ).click()
    expect(page).to_have_url(live_server + "/ru/deposits-withdrawals/withdrawal-times/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text("Сколько времени занимает вывод средств?")
    page.get_by_role("navigation", name="Выбор языка").get_by_role(
        "link", name="Azərbaycanca"
    ).click()
    expect(page.locator("h1")).to_have_text("Pul çıxarışı nə qədər vaxt aparır?")
    page.goto(live_server + "/")
    expect(page).to_have_url(live_server + "/az/")


def test_helpful_vote_swaps_in_place_with_htmx(live_server, page, loaded):
    page.goto(live_server + ARTICLE)
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_role("heading", name="Thank you for your feedback!")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page).to_have_url(live_server + ARTICLE)
    assert stored_votes(loaded) == [(True, "en")]
    page.reload()
    expect(page.get_by_role("heading", name="Thank you for your feedback!")).to_be_visible()
    # The answer given stays visible and can be changed: a second vote replaces the first.
    expect(page.get_by_role("button", name="Yes")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="No").click()
    expect(page.get_by_role("button", name="No")).to_have_attribute("aria-pressed", "true")
    expect(
        page.get_by_text("We are sorry this article did not answer your question.")
    ).to_be_visible()
    assert stored_votes(loaded) == [(False, "en")]


def test_vote_works_without_javascript(live_server, nojs_page, loaded):
    nojs_page.goto(live_server + "/ru/deposits-withdrawals/withdrawal-times/")
    nojs_page.get_by_role("button", name="Нет").click()
    expect(nojs_page).to_have_url(
        live_server + "/ru/deposits-withdrawals/withdrawal-times/#hc-feedback"
    )
    expect(nojs_page.get_by_role("heading", name="Спасибо за отзыв!")).to_be_visible()
    expect(nojs_page.get_by_text("Жаль, что эта статья не ответила на ваш вопрос.")).to_be_visible()
    assert stored_votes(loaded) == [(False, "ru")]


def test_keyboard_user_can_skip_to_content_and_vote(live_server, page, loaded):
    page.goto(live_server + ARTICLE)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.get_by_role("button", name="No").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Thank you for your feedback!")).to_be_visible()
    assert stored_votes(loaded) == [(False, "en")]


def test_phone_layout_has_no_horizontal_scroll(live_server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="az")
    page = context.new_page()
    for path in ("/az/", "/az/deposits-withdrawals/", "/az/deposits-withdrawals/withdrawal-times/"):
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    context.close()


def test_search_as_you_type_is_a_keyboard_combobox(live_server, page):
    page.goto(live_server + "/en/")
    box = page.locator("#hc-home-q")
    box.fill("withdrawal rejected")
    listbox = page.locator("#hc-home-q-list")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("Escape")
    expect(listbox).to_be_hidden()
    box.press("ArrowDown")
    expect(page.locator("#hc-home-q-list-0")).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "hc-home-q-list-0")
    box.press("Enter")
    expect(page).to_have_url(live_server + "/en/deposits-withdrawals/withdrawal-rejected/")


def test_search_form_works_without_javascript(live_server, nojs_page):
    nojs_page.goto(live_server + "/ru/")
    nojs_page.locator("#hc-home-q").fill("kak vyvesti dengi")
    nojs_page.locator("#hc-home-q").press("Enter")
    expect(nojs_page.locator("#hc-results-title")).to_contain_text("результат")
    expect(nojs_page.locator(".hit a").first).to_be_visible()
