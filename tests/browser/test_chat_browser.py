"""A player chats in a real browser: the answer bot's articles, the queue, an operator's answer
arriving without a reload, the player's reply; and the same without JavaScript."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from helpcenter.chat import queries, services
from helpcenter.extensions import db
from helpcenter.staff import services as staff
from helpcenter.staff.models import StaffMember
from helpcenter.tickets.models import Ticket, TicketMessage

pytestmark = [pytest.mark.browser, pytest.mark.one_database]

QUESTION_RU = "Как пройти верификацию? Какие документы нужны?"
ANSWER = "Здравствуйте! Меня зовут Айсель. Пришлите, пожалуйста, фото паспорта."
REPLY = "Спасибо, отправляю фото паспорта."


@pytest.fixture
def chat_app(loaded):
    """The chat open (an available operator) and polling every second."""
    loaded.config["CHAT_POLL_SECONDS"] = 1
    with loaded.test_request_context():
        aysel = staff.create_staff(
            email="aysel@casino.example", role="operator", password="pw-" * 4, name="Aysel"
        )
        services.set_presence(member=aysel, status="available")
    return loaded


def start_in_russian(page, live_server) -> str:
    page.goto(live_server + "/ru/chat")
    page.select_option("#topic", "verification")
    page.fill("#message", QUESTION_RU)
    page.click("form.chat-start button[type=submit]")
    expect(page).to_have_url(re.compile(r"/ru/chat/HC-[0-9A-Z-]+$"))
    articles = page.locator(".chat-article a")
    expect(articles.first).to_be_visible()
    assert 1 <= articles.count() <= 3
    assert re.search("[а-я]", articles.first.inner_text().lower())
    page.click("form[action$='/handoff'] button")
    expect(page.locator(".chat-queue")).to_contain_text("1")
    return page.url.rsplit("/", 1)[1]


def operator_answers(app, reference: str) -> None:
    with app.test_request_context():
        member = db.session.scalar(select(StaffMember).where(StaffMember.name == "Aysel"))
        ticket = queries.find_chat(reference)
        services.accept(member=member, ticket=ticket)
        services.staff_message(member=member, ticket=ticket, text=ANSWER)


def player_messages(app, reference: str) -> list[str]:
    with app.app_context():
        ticket = queries.find_chat(reference)
        return list(
            db.session.scalars(
                select(TicketMessage.body).where(
                    TicketMessage.ticket_id == ticket.id, TicketMessage.author_kind == "player"
                )
            )
        )


def test_a_player_chats_in_russian_and_the_operator_answers_live(chat_app, live_server, page):
    reference = start_in_russian(page, live_server)
    text = page.locator("#text")
    text.focus()
    operator_answers(chat_app, reference)
    messages = page.locator("#hc-messages")
    expect(messages).to_contain_text(ANSWER, timeout=2000)
    expect(page.locator(".chat-operator")).to_contain_text("Aysel")
    assert messages.get_attribute("aria-live") == "polite"
    expect(text).to_be_focused()  # the poll did not take the focus

    text.fill(REPLY)
    page.click(".chat-send button[type=submit]")
    expect(messages).to_contain_text(REPLY)
    expect(page.locator("#text")).to_be_focused()
    expect(page.locator("#text")).to_have_value("")
    # The polls after the send do not bring the reply a second time.
    for _ in range(2):
        with page.expect_response(lambda r: "/messages?" in r.url and r.request.method == "GET"):
            pass
    expect(messages.locator("li", has_text=REPLY)).to_have_count(1)
    assert player_messages(chat_app, reference) == [QUESTION_RU, REPLY]


def test_the_chat_works_without_javascript(chat_app, live_server, nojs_page):
    page = nojs_page
    reference = start_in_russian(page, live_server)
    operator_answers(chat_app, reference)
    expect(page.locator("#hc-messages")).not_to_contain_text(ANSWER)
    page.click("a.chat-refresh")  # "Show new messages"
    expect(page.locator("#hc-messages")).to_contain_text(ANSWER)

    page.fill("#text", REPLY)
    page.click(".chat-send button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/ru/chat/{reference}#hc-compose$"))
    expect(page.locator("#hc-messages")).to_contain_text(REPLY)
    assert player_messages(chat_app, reference) == [QUESTION_RU, REPLY]
    with chat_app.app_context():
        assert db.session.scalar(select(Ticket.chat_state)) == "active"
