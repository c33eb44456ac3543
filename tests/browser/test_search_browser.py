"""Search in a real browser: one box on a phone, a placeholder that fits, a dropdown never stale."""

import time
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from helpcenter.search import services

pytestmark = [pytest.mark.browser, pytest.mark.front_end]

# Every input the player can see, of any kind that takes search words.
VISIBLE_SEARCH_BOXES = """() => Array.from(document.querySelectorAll('input[type="search"]'))
    .filter(input => input.offsetParent !== null && input.getClientRects().length > 0)
    .map(input => input.id)"""
# Whether the placeholder's text fits the box: the same text as a value must not scroll.
PLACEHOLDER_FITS = """(input) => {
    input.value = input.placeholder;
    const fits = input.scrollWidth <= input.clientWidth;
    input.value = "";
    return [input.placeholder, fits];
}"""
# Record the query of every answer swapped into the dropdown, oldest first.
RECORD_SWAPS = """(id) => {
    window.swapped = [];
    document.getElementById(id).addEventListener("htmx:afterSwap", (event) => {
        window.swapped.push(new URL(event.detail.xhr.responseURL).searchParams.get("q"));
    });
}"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="az")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_a_phone_shows_one_search_box_and_the_whole_placeholder(live_server, phone, lang):
    for path, own in ((f"/{lang}/", "hc-home-q"), (f"/{lang}/search?q=bonus", "hc-search-q")):
        phone.goto(live_server + path)
        assert phone.evaluate(VISIBLE_SEARCH_BOXES) == [own], path
    phone.goto(live_server + f"/{lang}/")
    placeholder, fits = phone.locator("#hc-home-q").evaluate(PLACEHOLDER_FITS)
    assert placeholder and fits, placeholder
    # A page without a box of its own keeps the header's.
    phone.goto(live_server + f"/{lang}/deposits-withdrawals/")
    assert phone.evaluate(VISIBLE_SEARCH_BOXES) == ["hc-header-q"]


def test_the_placeholder_fits_a_narrower_phone_too(live_server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    for lang in ("az", "ru", "en"):
        page.goto(live_server + f"/{lang}/")
        placeholder, fits = page.locator("#hc-home-q").evaluate(PLACEHOLDER_FITS)
        assert fits, placeholder
    context.close()


def test_a_desktop_shows_one_box_too_and_the_header_box_elsewhere(live_server, desktop):
    desktop.goto(live_server + "/en/")
    assert desktop.evaluate(VISIBLE_SEARCH_BOXES) == ["hc-home-q"]
    desktop.goto(live_server + "/en/search?q=zzqx")
    assert desktop.evaluate(VISIBLE_SEARCH_BOXES) == ["hc-search-q"]
    desktop.goto(live_server + "/en/deposits-withdrawals/withdrawal-times/")
    assert desktop.evaluate(VISIBLE_SEARCH_BOXES) == ["hc-header-q"]


def suggested_titles(page) -> list[str]:
    return [text.strip() for text in page.locator("#hc-home-q-list a").all_inner_texts()]


def titles_answered_for(page, base: str, text: str) -> list[str]:
    """The dropdown's titles for `text`, as the server answers them."""
    page.goto(f"{base}/en/search/suggest?q={quote(text)}")
    return [text.strip() for text in page.locator("a").all_inner_texts()]


def test_fast_typing_asks_once_and_shows_the_final_text(live_server, page):
    final = "how long does a withdrawal take"
    asked = []
    page.on(
        "request", lambda request: "/search/suggest" in request.url and asked.append(request.url)
    )
    page.goto(live_server + "/en/")
    page.evaluate(RECORD_SWAPS, "hc-home-q-list")
    box = page.locator("#hc-home-q")
    box.press_sequentially(final, delay=20)
    expect(page.locator("#hc-home-q-list")).to_be_visible()
    page.wait_for_timeout(600)
    assert page.evaluate("window.swapped") == [final]
    assert len(asked) == 1, asked
    shown = suggested_titles(page)
    assert shown and shown == titles_answered_for(page, live_server, final)


@pytest.mark.parametrize("slow", [0.35, 1.2], ids=["during-the-debounce", "after-it"])
def test_a_slow_answer_for_an_older_prefix_never_replaces_the_newer(
    live_server, page, monkeypatch, slow
):
    """The answer for "withdrawal" is slow; the player has typed on meanwhile.

    It comes back either while the next request still waits for the debounce delay (htmx's
    hx-sync cannot abort it yet: search.js does, on the keystroke) or after the next request
    started (hx-sync aborts it).
    """
    real_search = services.search

    def slow_for_the_prefix(**kwargs):
        if kwargs["text"] == "withdrawal":
            time.sleep(slow)
        return real_search(**kwargs)

    monkeypatch.setattr(services, "search", slow_for_the_prefix)
    page.goto(live_server + "/en/")
    page.evaluate(RECORD_SWAPS, "hc-home-q-list")
    box = page.locator("#hc-home-q")
    box.press_sequentially("withdrawal", delay=20)
    page.wait_for_timeout(400)  # the debounce is over: the slow request is on its way
    box.press_sequentially(" limits", delay=20)
    expect(page.locator("#hc-home-q-list")).to_be_visible()
    page.wait_for_timeout(1500)  # long after the slow answer would have come
    assert page.evaluate("window.swapped") == ["withdrawal limits"]
    shown = suggested_titles(page)
    assert shown and shown == titles_answered_for(page, live_server, "withdrawal limits")


def test_deleting_to_one_letter_closes_the_dropdown_without_asking(live_server, page):
    page.goto(live_server + "/en/")
    box = page.locator("#hc-home-q")
    box.press_sequentially("bonus", delay=20)
    listbox = page.locator("#hc-home-q-list")
    expect(listbox).to_be_visible()
    asked = []
    page.on(
        "request", lambda request: "/search/suggest" in request.url and asked.append(request.url)
    )
    for _ in range(4):
        box.press("Backspace")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    page.wait_for_timeout(500)
    assert asked == []
    expect(listbox).to_be_hidden()


def test_nothing_found_in_the_dropdown_leads_to_the_contact_form_by_keyboard(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_server + "/ru/")
    box = page.locator("#hc-home-q")
    box.press_sequentially("qzxjv", delay=20)
    option = page.locator("#hc-home-q-list [role=option]")
    expect(option).to_have_count(1)
    expect(option).to_contain_text("Свяжитесь со службой поддержки")
    box.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "hc-home-q-list-0")
    box.press("Enter")
    expect(page).to_have_url(live_server + "/ru/contact")
    context.close()


def test_the_zero_result_page_works_without_javascript(live_server, nojs_page):
    nojs_page.goto(live_server + "/en/")
    nojs_page.locator("#hc-home-q").fill("qzxjv")
    nojs_page.locator("#hc-home-q").press("Enter")
    expect(nojs_page.locator("#hc-results-title")).to_have_text("0 results")
    expect(nojs_page.get_by_role("heading", name="Browse by topic")).to_be_visible()
    expect(nojs_page.get_by_role("heading", name="Popular articles")).to_be_visible()
    nojs_page.get_by_role("link", name="Responsible gaming").first.click()
    expect(nojs_page).to_have_url(live_server + "/en/responsible-gaming/")
