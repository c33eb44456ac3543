"""An operator in a real browser: goes available, sees a Russian chat arrive in the inbox and
the title without a reload, accepts it, replies, sees the player's answer live, escalates."""

import re

import pytest
from playwright.sync_api import expect

from helpcenter.chat import queries, services
from helpcenter.staff import services as staff
from tests.browser.test_accessibility_browser import Audit, new_context

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
PASSWORD = "correct horse battery staple"
QUESTION = "Здравствуйте, вывод на карту не пришёл"
ANSWER = "Здравствуйте! Сейчас проверю ваш вывод."
FOLLOW_UP = "Карта Kapital Bank, сумма 150 AZN"


@pytest.fixture
def team(loaded):
    loaded.config["CHAT_POLL_SECONDS"] = 0.5
    with loaded.app_context():
        for role, name in (("operator", "Aysel"), ("supervisor", "Rəşad")):
            staff.create_staff(
                email=f"{role}@casino.example", role=role, password=PASSWORD, name=name
            )
    return loaded


def start_chat(app) -> str:
    with app.test_request_context():
        filed = services.start_chat(language="ru", topic="payments", message=QUESTION)
        services.handoff(ticket=filed.ticket)  # past the bot, if it offered articles
        return filed.ticket.reference


def sign_in(page, live_server, role: str) -> None:
    page.goto(live_server + "/staff/login")
    page.get_by_label("Email").fill(f"{role}@casino.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("queue")


def audit_accessibility(browser, live_server, ref: str) -> None:
    """The inbox and the chat page as the supervisor sees them on a phone: axe finds nothing
    serious and nothing is wider than the screen (axe needs the CSP bypassed)."""
    context = new_context(browser, "phone")
    page = context.new_page()
    sign_in(page, live_server, "supervisor")
    audit = Audit(page, "phone")
    audit.visit("chat inbox", f"{live_server}/staff/chats")
    audit.visit("chat page", f"{live_server}/staff/chats/{ref}")
    context.close()
    audit.assert_clean()


def test_an_operator_takes_a_chat_live_and_escalates_it(team, live_server, browser):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    sign_in(page, live_server, "operator")
    page.get_by_role("link", name="Chats").click()
    expect(page).to_have_title("Chats · Staff console")

    toggle = page.get_by_role("button", name="Available for chats")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_be_focused()
    page.evaluate("window.stillTheSamePage = true")

    ref = start_chat(team)
    waiting = page.locator("#hc-inbox li", has_text=ref)
    expect(waiting).to_contain_text(QUESTION)
    expect(page).to_have_title("(1) Chats · Staff console")
    expect(page.get_by_role("link", name="Chats (1)")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True

    waiting.get_by_role("button", name=re.compile("Accept")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ref)
    expect(page.locator("#hc-chat-state")).to_contain_text("your chat")
    audit_accessibility(browser, live_server, ref)

    box = page.get_by_label("Your message")
    box.fill(ANSWER)
    page.get_by_role("button", name="Send", exact=True).click()
    messages = page.locator("#hc-chat-messages")
    expect(messages.locator(".message-staff", has_text=ANSWER)).to_be_visible()
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    page.evaluate("window.stillTheSamePage = true")

    with team.test_request_context():
        services.player_message(ticket=queries.find_chat(ref), text=FOLLOW_UP)
    expect(messages.locator(".message-player", has_text=FOLLOW_UP)).to_be_visible(timeout=2000)
    assert page.evaluate("window.stillTheSamePage") is True
    # Each message once, though the send and the timer both asked for news.
    expect(messages.locator(".message-staff", has_text=ANSWER)).to_have_count(1)
    expect(messages.locator(".message-player", has_text=FOLLOW_UP)).to_have_count(1)

    page.get_by_text("Escalate to a supervisor").click()
    page.get_by_label("Why a supervisor?").fill("The bank says the card is blocked")
    page.get_by_role("button", name="Escalate", exact=True).click()
    expect(page.locator(".notice-success")).to_contain_text("now a request for a supervisor")
    expect(page).to_have_title("Chats · Staff console")
    with team.app_context():
        ticket = queries.find_chat(ref)
        assert (ticket.chat_state, ticket.tier) == ("ended", "supervisor")
    context.close()
