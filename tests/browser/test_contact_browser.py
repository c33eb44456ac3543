"""A player in a real browser: files a request with evidence, follows its escalation, rates it."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from helpcenter.extensions import db
from helpcenter.tickets import services, states
from helpcenter.tickets.models import Ticket
from tests.contact.conftest import file_ticket, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
STAFF = services.Actor(states.STAFF, "Nigar", "supervisor")


@pytest.fixture
def fast_polling(loaded):
    loaded.config["STATUS_POLL_SECONDS"] = 1
    return loaded


def the_ticket(app) -> Ticket:
    return db.session.scalar(select(Ticket))


def test_player_files_a_request_follows_its_escalation_and_rates_it(
    fast_polling, live_server, page
):
    app = fast_polling
    page.goto(live_server + "/en/deposits-withdrawals/withdrawal-rejected/")
    page.get_by_role("link", name="Send us a request").click()
    expect(page).to_have_url(live_server + "/en/contact?topic=payments")
    expect(page.locator(".recommendation")).to_contain_text("We recommend: Email.")
    # htmx binds its listeners once the page has loaded; a busy machine may take a moment.
    page.wait_for_load_state("load")
    page.evaluate("window.stillTheSamePage = true")

    # htmx: a new topic swaps the recommendation and what the form requires.
    page.get_by_label("What is it about?").select_option("complaint")
    expect(page.locator(".recommendation")).to_contain_text("attach screenshots and receipts")
    page.get_by_label("Subject").fill("withdrawal rejected")
    expect(page.locator("#hc-suggestions")).to_contain_text("Why was my withdrawal rejected?")
    assert page.evaluate("window.stillTheSamePage") is True

    page.get_by_label("Describe the problem").fill(
        "My withdrawal of 300 AZN was rejected, but my account is verified."
    )
    page.get_by_label("Transaction ID").fill("WD-99812")
    page.get_by_label("Your email").fill("leyla@example.com")
    page.get_by_label("Screenshots or documents").set_input_files(
        [{"name": "rejection.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.get_by_label("I agree that my request").check()
    page.get_by_role("button", name="Send request").click()

    expect(
        page.get_by_role("heading", name="Thank you, we have received your request")
    ).to_be_visible()
    ref = page.locator(".reference strong").inner_text()
    assert re.fullmatch(r"HC-[0-9A-Z]{8}-[0-9A-Z]", ref)
    page.get_by_role("link", name="Open the status page").click()
    expect(page.get_by_role("heading", name=f"Request {ref}")).to_be_visible()
    expect(page.locator(".step-current")).to_contain_text("Received")
    expect(page.locator(".messages")).to_contain_text("rejection.png")
    page.evaluate("window.stillTheSamePage = true")

    # Nobody answered in time: `sla run` with the clock moved past the deadline.
    with app.app_context():
        ticket = the_ticket(app)
        services.run_sla(now=ticket.first_response_due_at + timedelta(minutes=1))
    expect(page.locator(".step-current")).to_contain_text("With a supervisor")
    expect(page.locator(".timeline")).to_contain_text(
        "Escalated automatically to a supervisor: no first response within the target time"
    )
    with app.app_context():
        ticket = the_ticket(app)
        services.escalate(ticket, STAFF, "The payment provider must check it")
        services.resolve(ticket, STAFF, "The provider confirmed it: please withdraw again.")
    expect(page.locator(".step-current")).to_contain_text("Resolved")
    expect(page.locator(".messages")).to_contain_text("please withdraw again")
    # The rating form arrives with the refresh, still without a reload.
    expect(page.get_by_role("heading", name="Rate our service")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True

    page.get_by_label("Excellent").check()
    page.get_by_label("Anything you would like to tell us?").fill("Clear and fast.")
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_text("You rated our service 5 of 5. Thank you!")).to_be_visible()
    with app.app_context():
        ticket = the_ticket(app)
        assert (ticket.rating, ticket.rating_comment) == (5, "Clear and fast.")
        assert ticket.tier == "investigation"


def test_the_contact_form_works_without_javascript(live_server, nojs_page, loaded):
    page = nojs_page
    page.goto(live_server + "/ru/contact?topic=verification")
    page.get_by_label("Тема").fill("Проверка документов")
    page.get_by_label("Опишите проблему").fill(
        "Я загрузил паспорт два дня назад, статус не меняется."
    )
    page.get_by_label("Ваш e-mail").fill("ivan@example.com")
    page.locator("#attachments").set_input_files(
        [{"name": "passport.php.png", "mimeType": "image/png", "buffer": b"<?php echo 1; ?>"}]
    )
    page.locator("#consent").check()
    page.locator("button[type=submit]", has_text="Отправить").click()
    # The disguised file is refused by name; what was typed is still there.
    expect(page.locator(".error-summary")).to_contain_text("passport.php.png")
    expect(page.get_by_label("Опишите проблему")).to_have_value(
        "Я загрузил паспорт два дня назад, статус не меняется."
    )
    page.locator("#attachments").set_input_files(
        [{"name": "passport.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.locator("#consent").check()
    page.locator("button[type=submit]", has_text="Отправить").click()
    expect(page.locator(".reference strong")).to_have_text(re.compile(r"HC-\w{8}-\w"))
    with loaded.app_context():
        ticket = the_ticket(loaded)
        assert (ticket.channel, ticket.language, len(ticket.attachments)) == ("email", "ru", 1)


def press_and_wait_for_redraw(page, key: str) -> None:
    """Press `key` and wait until htmx has put the redrawn channel part in and made it live.

    htmx:load fires on new content once htmx has processed it; a key pressed before that
    would change a radio button htmx does not listen to yet.
    """
    page.evaluate(
        "() => { window.hcLoaded = new Promise(done => document.body.addEventListener("
        "'htmx:load', done, {once: true})); }"
    )
    page.keyboard.press(key)
    assert page.evaluate(
        "Promise.race([window.hcLoaded.then(() => true),"
        " new Promise(done => setTimeout(() => done(false), 5000))])"
    ), "the channel part was not redrawn"


def test_channel_choice_keeps_keyboard_focus_through_htmx(live_server, page):
    page.goto(live_server + "/en/contact?topic=technical")
    chat = page.locator("#channel-chat")
    expect(chat).to_be_checked()
    chat.focus()
    press_and_wait_for_redraw(page, "ArrowDown")
    expect(page.locator("#channel-email")).to_be_checked()
    # The redraw remembers that the player chose the channel, and the focus stayed on it.
    expect(page.locator("input[name=channel_chosen]")).to_have_value("1")
    expect(page.locator("#channel-email")).to_be_focused()
    press_and_wait_for_redraw(page, "ArrowDown")
    expect(page.locator("#channel-phone")).to_be_checked()
    expect(page.get_by_label("Your phone number")).to_be_visible()
    expect(page.locator("#channel-phone")).to_be_focused()


def test_the_status_page_says_it_updates_itself_only_when_it_does(
    live_server, page, nojs_page, loaded
):
    with loaded.app_context():
        token = file_ticket(language="en").token
    url = f"{live_server}/en/status/{token}"
    page.goto(url)
    expect(page.get_by_text("Updated automatically.")).to_be_visible()
    expect(page.get_by_text("Reload the page to see new replies.")).to_be_hidden()
    # Without JavaScript nothing polls: the page says how to see new replies instead.
    nojs_page.goto(url)
    expect(nojs_page.get_by_text("Reload the page to see new replies.")).to_be_visible()
    expect(nojs_page.get_by_text("Updated automatically.")).to_be_hidden()
