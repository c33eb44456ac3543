"""The staff side of the live chat through its pages (Flask client, real database): presence,
the inbox, accepting, replying, notes, transfer, escalation, ending, polling and access."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from helpcenter.chat import queries, services
from helpcenter.extensions import db
from helpcenter.staff import services as staff
from helpcenter.staff.models import StaffMember
from helpcenter.tickets.models import Ticket
from tests.conftest import csrf_token

# Pages and forms: what they show does not depend on the database: once (tests/conftest.py).
pytestmark = pytest.mark.one_database

PASSWORD = "correct horse battery staple"
GREETING = "Здравствуйте, у меня не проходит вывод на карту"
PEOPLE = {
    "aysel": ("operator", "Aysel"),
    "kamran": ("operator", "Kamran"),
    "resad": ("supervisor", "Rəşad"),
    "elvin": ("editor", "Elvin"),
}


@pytest.fixture
def team(loaded):
    with loaded.app_context():
        for key, (role, name) in PEOPLE.items():
            staff.create_staff(
                email=f"{key}@casino.example", role=role, password=PASSWORD, name=name
            )
    return loaded


def signed_in(app, key: str):
    client = app.test_client()
    client.set_cookie("lang", "en")
    token = csrf_token(client.get("/staff/login").get_data(as_text=True))
    answer = client.post(
        "/staff/login",
        data={"csrf_token": token, "email": f"{key}@casino.example", "password": PASSWORD},
    )
    assert answer.status_code == 303
    return client


def post(client, url: str, page: str = "/staff/chats", **fields):
    """Post a form of `page` with its CSRF token."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **fields})


def available(client):
    return post(client, "/staff/presence", status="available", next="/staff/chats")


def start_chat(app, text=GREETING) -> str:
    with app.test_request_context():
        filed = services.start_chat(language="ru", topic="payments", message=text)
        services.handoff(ticket=filed.ticket)  # past the bot, if it offered articles
        return filed.ticket.reference


def chat(app, ref: str) -> Ticket:
    with app.app_context():
        ticket = queries.find_chat(ref)
        db.session.expunge(ticket)
        return ticket


def player_messages(app, ref: str) -> list[tuple[str, str]]:
    with app.app_context():
        ticket = queries.find_chat(ref)
        return [(m.author_kind, m.body) for m in queries.messages_after(ticket.id, 0)]


def is_open(app) -> bool:
    with app.app_context():
        return services.is_open()


@pytest.fixture
def waiting(team):
    """Aysel is available and a Russian chat waits for a person; her signed-in client."""
    aysel = signed_in(team, "aysel")
    available(aysel)
    return aysel, start_chat(team)


def test_the_presence_toggle_opens_and_closes_the_chat(team):
    aysel = signed_in(team, "aysel")
    page = aysel.get("/staff/chats").get_data(as_text=True)
    assert 'aria-pressed="false"' in page and "Available for chats" in page
    assert not is_open(team)

    answer = available(aysel)
    assert answer.status_code == 303 and answer.location == "/staff/chats"
    assert is_open(team)
    assert 'aria-pressed="true"' in aysel.get("/staff/chats").get_data(as_text=True)

    # htmx gets the toggle alone, announced and focused.
    token = csrf_token(aysel.get("/staff/chats").get_data(as_text=True))
    answer = aysel.post(
        "/staff/presence",
        data={"csrf_token": token, "status": "away"},
        headers={"HX-Request": "true"},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and html.lstrip().startswith('<form id="hc-presence"')
    assert 'aria-pressed="false"' in html and "data-announce" in html
    assert not is_open(team)


def test_the_inbox_lists_a_waiting_chat_with_its_first_message(waiting, team):
    aysel, ref = waiting
    page = aysel.get("/staff/chats")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "<title>(1) Chats · Staff console</title>" in html
    assert ref in html and GREETING in html and "Payments: a deposit or a withdrawal" in html
    assert "waiting under a minute" in html
    assert re.search(r">Chats<span id=\"hc-nav-chat-count\"> \(1\)</span>", html)

    # The htmx poll carries the title and the nav count; unchanged, it is a bare 304.
    poll = aysel.get("/staff/chats", headers={"HX-Request": "true"})
    fragment = poll.get_data(as_text=True)
    assert fragment.lstrip().startswith("<title>(1) Chats") and 'hx-swap-oob="true"' in fragment
    again = aysel.get(
        "/staff/chats", headers={"HX-Request": "true", "If-None-Match": poll.headers["ETag"]}
    )
    assert again.status_code == 304 and again.get_data() == b""
    start_chat(team, "Второй вопрос")
    changed = aysel.get(
        "/staff/chats", headers={"HX-Request": "true", "If-None-Match": poll.headers["ETag"]}
    )
    assert changed.status_code == 200 and "<title>(2) Chats" in changed.get_data(as_text=True)


def test_accepting_and_the_second_operator_is_told(waiting, team):
    aysel, ref = waiting
    kamran = signed_in(team, "kamran")

    answer = post(aysel, f"/staff/chats/{ref}/accept")
    assert answer.status_code == 303 and answer.location == f"/staff/chats/{ref}"
    page = aysel.get(answer.location).get_data(as_text=True)
    assert "You accepted the chat." in page and "your chat" in page
    assert chat(team, ref).chat_state == "active"

    late = post(kamran, f"/staff/chats/{ref}/accept")
    assert late.status_code == 303 and late.location == "/staff/chats"
    assert "Aysel already took this chat." in kamran.get("/staff/chats").get_data(as_text=True)
    assert chat(team, ref).chat_operator_id == member_id(team, "aysel")


def member_id(app, key: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(StaffMember.id).where(StaffMember.email == f"{key}@casino.example")
        )


@pytest.fixture
def accepted(waiting):
    aysel, ref = waiting
    assert post(aysel, f"/staff/chats/{ref}/accept").status_code == 303
    return aysel, ref


def test_a_reply_reaches_the_player_and_a_note_does_not(accepted, team):
    aysel, ref = accepted
    page = f"/staff/chats/{ref}"
    answer = post(aysel, f"{page}/messages", page, text="Добрый день! Проверяю ваш вывод.")
    assert answer.status_code == 303
    assert ("staff", "Добрый день! Проверяю ваш вывод.") in player_messages(team, ref)

    # htmx: the reply box comes back empty with the focus in it, and the poll is triggered.
    token = csrf_token(aysel.get(page).get_data(as_text=True))
    answer = aysel.post(
        f"{page}/messages",
        data={"csrf_token": token, "text": "Ещё минуту."},
        headers={"HX-Request": "true"},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["HX-Trigger"] == "hc-chat-changed"
    assert re.search(r'<textarea[^>]*data-focus[^>]*id="hc-chat-text"[^>]*>\s*</textarea>', html)

    assert post(aysel, f"{page}/note", page, text="Проверить лимиты карты").status_code == 303
    assert all("лимиты" not in body for _, body in player_messages(team, ref))
    staff_page = aysel.get(page).get_data(as_text=True)
    assert "Проверить лимиты карты" in staff_page and "Internal note" in staff_page


def test_an_empty_reply_is_refused_with_a_message(accepted, team):
    aysel, ref = accepted
    page = f"/staff/chats/{ref}"
    answer = post(aysel, f"{page}/messages", page, text="   ")
    assert answer.status_code == 422
    assert "Write a message of at most 2000 characters" in answer.get_data(as_text=True)


def test_a_saved_reply_in_the_chat_language_fills_the_box(accepted, team):
    aysel, ref = accepted
    page = aysel.get(f"/staff/chats/{ref}").get_data(as_text=True)
    # The saved replies are offered in the chat's language (Russian), not the console's.
    assert '<option value="ask-statement">Попросить банковскую выписку</option>' in page
    canned = "ask-statement"
    fragment = aysel.get(
        f"/staff/chats/{ref}/reply-form?canned={canned}", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "is in the reply box" in fragment
    box = re.search(r'<textarea[^>]*id="hc-chat-text"[^>]*>([^<]+)</textarea>', fragment)
    assert box and re.search("[а-я]", box.group(1))


def test_polling_new_messages_with_the_change_tag(accepted, team):
    aysel, ref = accepted
    page = aysel.get(f"/staff/chats/{ref}").get_data(as_text=True)
    poll_url = re.search(r'hx-get="(/staff/chats/[^"]+/messages\?[^"]+)"', page).group(1)
    tag = re.search(r"hx-headers='\{\"If-None-Match\": \"\\\"(s\.[\w.-]+)", page)
    headers = {"HX-Request": "true", "If-None-Match": f'"{tag.group(1)}"'}
    poll_url = poll_url.replace("&amp;", "&")

    unchanged = aysel.get(poll_url, headers=headers)
    assert unchanged.status_code == 304

    with team.test_request_context():
        services.player_message(ticket=queries.find_chat(ref), text="Карта Kapital Bank")
    fresh = aysel.get(poll_url, headers=headers)
    html = fresh.get_data(as_text=True)
    assert fresh.status_code == 200 and "Карта Kapital Bank" in html
    assert 'id="hc-chat-poll" hx-swap-oob="true"' in html
    assert "has joined the chat" not in html  # only what is newer than the page


def test_transfer_to_another_operator(accepted, team):
    aysel, ref = accepted
    kamran = member_id(team, "kamran")
    page = f"/staff/chats/{ref}"
    assert f'<option value="{kamran}"' in aysel.get(page).get_data(as_text=True)
    answer = post(aysel, f"{page}/transfer", page, to=str(kamran))
    assert answer.status_code == 303 and answer.location == "/staff/chats"
    assert "The chat is now with Kamran." in aysel.get("/staff/chats").get_data(as_text=True)
    assert chat(team, ref).chat_operator_id == kamran


def test_escalating_makes_a_supervisor_ticket_with_the_conversation(accepted, team):
    aysel, ref = accepted
    page = f"/staff/chats/{ref}"
    post(aysel, f"{page}/messages", page, text="Передаю старшему смены.")
    answer = post(aysel, f"{page}/escalate", page, reason="Card blocked by the bank")
    assert answer.status_code == 303 and answer.location == "/staff/chats"
    ticket = chat(team, ref)
    assert (ticket.chat_state, ticket.chat_end_reason, ticket.tier) == (
        "ended",
        "escalated",
        "supervisor",
    )
    bodies = [body for _, body in player_messages(team, ref)]
    assert GREETING in bodies and "Передаю старшему смены." in bodies
    supervisor = signed_in(team, "resad").get(f"/staff/tickets/{ref}").get_data(as_text=True)
    assert GREETING in supervisor and "Передаю старшему смены." in supervisor


def test_an_escalation_needs_a_reason(accepted, team):
    aysel, ref = accepted
    page = f"/staff/chats/{ref}"
    answer = post(aysel, f"{page}/escalate", page, reason="")
    assert answer.status_code == 422
    assert "Say why the chat goes to a supervisor." in answer.get_data(as_text=True)
    assert chat(team, ref).chat_state == "active"


def test_ending_resolves_the_chat(accepted, team):
    aysel, ref = accepted
    answer = post(aysel, f"/staff/chats/{ref}/end", f"/staff/chats/{ref}")
    assert answer.status_code == 303
    ticket = chat(team, ref)
    assert (ticket.chat_state, ticket.state, ticket.chat_end_reason) == (
        "ended",
        "resolved",
        "operator",
    )
    assert "is resolved" in aysel.get("/staff/chats").get_data(as_text=True)


def test_an_editor_may_not_chat(waiting, team):
    _, ref = waiting
    elvin = signed_in(team, "elvin")
    assert elvin.get("/staff/chats").status_code == 403
    assert elvin.get(f"/staff/chats/{ref}").status_code == 403
    assert elvin.post(f"/staff/chats/{ref}/accept").status_code == 403
    assert elvin.post("/staff/presence", data={"status": "available"}).status_code == 403
    assert "Chats" not in elvin.get("/staff/editor/").get_data(as_text=True).split("<main")[0]


def test_without_the_csrf_token_nothing_changes(waiting, team):
    aysel, ref = waiting
    answer = aysel.post(f"/staff/chats/{ref}/accept", data={})
    assert answer.status_code == 303
    assert "this form has expired" in aysel.get("/staff/chats").get_data(as_text=True)
    assert chat(team, ref).chat_state == "queued"
    answer = aysel.post("/staff/presence", data={"status": "away"})
    assert answer.status_code == 303 and is_open(team)


def test_the_chat_page_shows_the_bot_articles_and_marks_notes(team):
    aysel = signed_in(team, "aysel")
    available(aysel)
    with team.test_request_context():
        filed = services.start_chat(
            language="ru",
            topic="verification",
            message="Как пройти верификацию? Какие документы нужны?",
        )
        ref = filed.ticket.reference
        articles = queries.find_chat(ref).messages[-1].articles
    page = aysel.get(f"/staff/chats/{ref}").get_data(as_text=True)
    assert "With the answer bot" in page and "Articles offered by the answer bot" in page
    assert articles and all(a["title"] in page for a in articles)
    assert "<mark>" in page  # the snippet that matched

    with team.test_request_context():
        services.handoff(ticket=queries.find_chat(ref))
    page = aysel.get(f"/staff/chats/{ref}").get_data(as_text=True)
    assert "Waiting for an operator" in page and "Accept this chat" in page
    post(aysel, f"/staff/chats/{ref}/note", f"/staff/chats/{ref}", text="Паспорт просрочен")
    page = aysel.get(f"/staff/chats/{ref}").get_data(as_text=True)
    note = re.search(r'<li class="message message-note">.*?</li>', page, re.S).group(0)
    assert "Паспорт просрочен" in note and "Internal note" in note


def test_the_inbox_lists_the_longest_waiting_and_counts_the_others(waiting, team, monkeypatch):
    aysel, first = waiting
    second = start_chat(team, "Второй вопрос")
    third = start_chat(team, "Третий вопрос")
    monkeypatch.setattr(queries, "INBOX_WAITING_SHOWN", 2)
    html = aysel.get("/staff/chats").get_data(as_text=True)
    assert first in html and second in html and third not in html
    assert "1 more chat is waiting after these." in html
    assert "<title>(3) Chats · Staff console</title>" in html


def test_each_member_s_inbox_minute_turns_at_a_second_of_its_own():
    noon = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)
    turns = {
        member: next(
            second
            for second in range(61)
            if queries.inbox_minute(member, noon + timedelta(seconds=second))
            != queries.inbox_minute(member, noon)
        )
        for member in range(1, 6)
    }
    assert len(set(turns.values())) == 5  # five members, five different seconds
