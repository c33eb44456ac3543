"""The whole chat in two real browsers: a player writing in Russian and an operator in the
staff console, each seeing the other's messages without a reload, until the operator escalates
to a supervisor and the player follows it on the status page."""

import re

import pytest
from playwright.sync_api import expect

from helpcenter.staff import services as staff
from tests.browser.test_chat_browser import QUESTION_RU, start_in_russian
from tests.browser.test_chat_staff_browser import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
ANSWER = "Здравствуйте! Пришлите, пожалуйста, фото паспорта."
REPLY = "Спасибо, сейчас пришлю."


@pytest.fixture
def team(loaded):
    loaded.config["CHAT_POLL_SECONDS"] = 0.5
    with loaded.app_context():
        staff.create_staff(
            email="operator@casino.example", role="operator", password=PASSWORD, name="Aysel"
        )
    return loaded


def test_player_and_operator_chat_live_then_the_player_follows_the_escalation(
    team, live_server, browser
):
    staff_context = browser.new_context(locale="en-US")
    operator = staff_context.new_page()
    sign_in(operator, live_server, "operator")
    operator.get_by_role("link", name="Chats").click()
    operator.get_by_role("button", name="Available for chats").click()
    expect(operator.get_by_role("button", name="Available for chats")).to_have_attribute(
        "aria-pressed", "true"
    )

    player_context = browser.new_context(locale="ru-RU")
    player = player_context.new_page()
    reference = start_in_russian(player, live_server)  # the bot's articles, then the queue

    waiting = operator.locator("#hc-inbox li", has_text=reference)
    expect(waiting).to_contain_text(QUESTION_RU)
    waiting.get_by_role("button", name=re.compile("Accept")).click()
    operator.get_by_label("Your message").fill(ANSWER)
    operator.get_by_role("button", name="Send", exact=True).click()

    player_messages = player.locator("#hc-messages")
    expect(player_messages).to_contain_text(ANSWER, timeout=2000)
    player.fill("#text", REPLY)
    player.click(".chat-send button[type=submit]")
    staff_messages = operator.locator("#hc-chat-messages")
    expect(staff_messages.locator(".message-player", has_text=REPLY)).to_be_visible(timeout=2000)

    operator.get_by_text("Escalate to a supervisor").click()
    operator.get_by_label("Why a supervisor?").fill("Нужна проверка паспорта супервайзером")
    operator.get_by_role("button", name="Escalate", exact=True).click()
    expect(operator.locator(".notice-success")).to_contain_text("now a request for a supervisor")

    # The player's page tells what happens next, without a reload, and links the status page.
    status_link = player.locator("a[href*='/ru/status/']").first
    expect(status_link).to_be_visible(timeout=3000)
    status_link.click()
    expect(player.locator(".stage-current, [aria-current='step']").first).to_contain_text(
        "упервайзер"
    )
    expect(player.locator("body")).to_contain_text(ANSWER)
    expect(player.locator("body")).to_contain_text(REPLY)
    player_context.close()
    staff_context.close()
