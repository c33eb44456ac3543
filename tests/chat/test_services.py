"""Live chat use cases on the real database, with the shipped articles and search index."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select

from helpcenter import support
from helpcenter.chat import queries, services
from helpcenter.chat import states as chat
from helpcenter.extensions import db
from helpcenter.staff import services as staff
from helpcenter.staff.models import AuditEntry, StaffMember
from helpcenter.tickets import services as tickets
from helpcenter.tickets.models import OutboxEmail, Ticket

# A Wednesday, 12:00 in Baku.
NOON = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)
QUESTION_RU = "Как пройти верификацию? Какие документы нужны?"
GREETING_RU = "Здравствуйте"


@pytest.fixture
def ctx(loaded):
    with loaded.test_request_context():
        yield loaded


def member(role: str, name: str) -> StaffMember:
    email = f"{name.lower()}@casino.example"
    return staff.create_staff(email=email, role=role, password="pw-" * 4, name=name)


@pytest.fixture
def people(ctx):
    """Two operators and a supervisor, the operators available for chats at NOON."""
    aysel, kamran = member("operator", "Aysel"), member("operator", "Kamran")
    resad = member("supervisor", "Rashad")
    for person in (aysel, kamran):
        services.set_presence(member=person, status="available", now=NOON)
    return aysel, kamran, resad


def start(text=GREETING_RU, now=NOON, **fields) -> Ticket:
    fields = {"language": "ru", "topic": "verification", "message": text, **fields}
    return services.start_chat(now=now, **fields).ticket


def audit(action: str) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def outbox() -> list[OutboxEmail]:
    return db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()


def in_russian(text: str) -> str:
    with force_locale("ru"):
        return gettext(text)


def test_a_question_the_articles_answer_gets_the_bot_first(people):
    ticket = start(QUESTION_RU, email="", player_id="P-77")
    ticket = db.session.get(Ticket, ticket.id)
    assert (ticket.channel, ticket.chat_state, ticket.chat_queued_at) == ("chat", "bot", None)
    assert ticket.subject == QUESTION_RU and ticket.player_id == "P-77"
    player, bot = ticket.messages
    assert (player.author_kind, player.body) == ("player", QUESTION_RU)
    assert bot.author_kind == "bot" and not bot.is_internal
    assert bot.body == in_russian(
        "I'm the help center's answer bot, not a person. These articles may answer your question:"
    )
    assert 1 <= len(bot.articles) <= 3
    assert bot.articles[0]["slug"] in ("verification-time", "kyc-documents")
    for article in bot.articles:
        assert article["url"].startswith("/ru/") and article["lang"] == "ru"
        assert any("а" <= ch <= "я" for ch in article["title"].lower())
        assert "<mark>" in article["snippet"]
    assert outbox() == []  # no email given: no emails at all


def test_a_greeting_goes_straight_to_the_queue(people):
    ticket = start(GREETING_RU, now=NOON, email="player@example.com")
    assert (ticket.chat_state, ticket.chat_queued_at) == ("queued", NOON)
    assert ticket.first_response_due_at == NOON + timedelta(minutes=5)
    assert [m.author_kind for m in ticket.messages] == ["player", "bot"]
    assert ticket.messages[1].articles is None
    assert [(e.type, e.actor_kind) for e in ticket.events] == [
        ("received", "player"),
        ("chat_queued", "player"),
    ]
    assert [e.kind for e in outbox()] == ["received"]  # an email given: the acknowledgement


def test_the_chat_is_closed_with_nobody_available_or_outside_its_hours(ctx, tmp_path):
    aysel = member("operator", "Aysel")
    editor = member("editor", "Elvin")
    assert not services.is_open(NOON)
    with pytest.raises(services.ChatClosed):
        start(now=NOON)
    with pytest.raises(services.NotAllowed):
        services.set_presence(member=editor, status="available", now=NOON)
    services.set_presence(member=aysel, status="available", now=NOON)
    assert services.is_open(NOON)
    # Her inbox was last open over two minutes ago: nobody is really there.
    assert not services.is_open(NOON + timedelta(minutes=3))
    services.touch_presence(member=aysel, now=NOON + timedelta(minutes=3))
    assert services.is_open(NOON + timedelta(minutes=3))
    services.set_presence(member=aysel, status="away", now=NOON + timedelta(minutes=3))
    assert not services.is_open(NOON + timedelta(minutes=3))
    assert [e.detail for e in audit("chat_presence")] == ["available", "away"]

    services.set_presence(member=aysel, status="available", now=NOON)
    hours = support.SUPPORT_FILE.read_text(encoding="utf-8").replace(
        '- id: chat\n    hours: "24/7"', '- id: chat\n    hours: {from: "09:00", until: "21:00"}'
    )
    (tmp_path / "support.yml").write_text(hours, encoding="utf-8")
    ctx.config["SUPPORT_FILE"] = str(tmp_path / "support.yml")
    assert services.is_open(NOON)
    late = datetime(2026, 11, 18, 18, 0, tzinfo=UTC)  # 22:00 in Baku
    services.touch_presence(member=aysel, now=late)
    assert not services.is_open(late)
    with pytest.raises(services.ChatClosed):
        start(now=late)
    assert db.session.scalar(select(Ticket.id)) is None


def test_the_player_asks_for_a_person_or_says_the_bot_answered(people):
    later = NOON + timedelta(minutes=3)
    wants_person = start(QUESTION_RU)
    services.handoff(ticket=wants_person, now=later)
    assert (wants_person.chat_state, wants_person.chat_queued_at) == ("queued", later)
    assert wants_person.first_response_due_at == later + timedelta(minutes=5)
    assert wants_person.messages[-1].author_kind == "bot"
    services.handoff(ticket=wants_person, now=later)  # a second click changes nothing
    assert wants_person.chat_queued_at == later

    answered = start(QUESTION_RU)
    services.bot_resolved(ticket=answered, now=later)
    assert (answered.chat_state, answered.chat_end_reason) == ("ended", "bot")
    assert (answered.state, answered.resolved_at, answered.chat_ended_at) == (
        "resolved",
        later,
        later,
    )
    assert (answered.events[-1].type, answered.events[-1].actor_kind) == ("resolved", "system")
    with pytest.raises(services.WrongState):
        services.bot_resolved(ticket=answered, now=later)
    with pytest.raises(services.WrongState):
        services.player_message(ticket=answered, text="Ещё вопрос", now=later)


def test_writing_to_the_bot_means_the_articles_were_not_enough(people):
    ticket = start(QUESTION_RU)
    services.player_message(ticket=ticket, text="Не помогло", now=NOON + timedelta(minutes=1))
    assert ticket.chat_state == "queued"
    assert [m.author_kind for m in ticket.messages] == ["player", "bot", "player", "bot"]


def test_of_two_operators_accepting_one_chat_the_second_is_told(people):
    aysel, kamran, _ = people
    ticket = start()
    services.accept(member=aysel, ticket=ticket, now=NOON + timedelta(minutes=1))
    assert (ticket.chat_state, ticket.chat_operator_id) == ("active", aysel.id)
    assert (ticket.state, ticket.assignee) == ("in_progress", aysel.email)
    assert ticket.chat_accepted_at == NOON + timedelta(minutes=1)
    assert ticket.messages[-1].body == in_russian("%(name)s has joined the chat.") % {
        "name": "Aysel"
    }
    # accept() never trusts the chat as read: the conditional UPDATE finds it taken.
    with pytest.raises(services.AlreadyTaken) as taken:
        services.accept(member=kamran, ticket=ticket, now=NOON + timedelta(minutes=2))
    assert taken.value.by == "Aysel"
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.chat_operator_id == aysel.id
    assert [e.staff_email for e in audit("chat_accept")] == [aysel.email]


def test_a_chat_taken_on_another_host_after_it_was_read_is_already_taken(people):
    aysel, kamran, _ = people
    ticket = start()
    assert ticket.chat_state == "queued"  # Kamran's page showed it waiting...
    db.session.commit()
    with db.engine.begin() as other_host:  # ...when Aysel took it elsewhere.
        other_host.execute(
            Ticket.__table__.update()
            .where(Ticket.__table__.c.id == ticket.id)
            .values(chat_state="active", chat_operator_id=aysel.id)
        )
    with pytest.raises(services.AlreadyTaken) as taken:
        services.accept(member=kamran, ticket=ticket, now=NOON)
    assert taken.value.by == "Aysel"
    assert audit("chat_accept") == []
    ended = start()
    services.accept(member=aysel, ticket=ended, now=NOON)
    services.end_chat(member=aysel, ticket=ended, now=NOON)
    with pytest.raises(services.WrongState):
        services.accept(member=kamran, ticket=ended, now=NOON)


def test_an_operator_holds_at_most_the_configured_number_of_chats(people):
    aysel, kamran, _ = people
    current_app.config["CHAT_MAX_PER_OPERATOR"] = 2
    first, second, third = start(), start(), start()
    services.accept(member=aysel, ticket=first, now=NOON)
    services.accept(member=aysel, ticket=second, now=NOON)
    with pytest.raises(services.TooManyChats):
        services.accept(member=aysel, ticket=third, now=NOON)
    assert third.chat_state == "queued"
    services.accept(member=kamran, ticket=third, now=NOON)
    with pytest.raises(services.TooManyChats):
        services.transfer(member=kamran, ticket=third, to_member_id=aysel.id, now=NOON)


def test_operator_messages_meet_the_first_response_and_carry_their_name(people):
    aysel, kamran, resad = people
    ticket = start()
    services.accept(member=aysel, ticket=ticket, now=NOON + timedelta(minutes=1))
    assert ticket.first_responded_at is None  # accepting is not an answer
    seen = ticket.messages[-1].id
    message = services.staff_message(
        member=aysel,
        ticket=ticket,
        text="Здравствуйте! Чем помочь?",
        now=NOON + timedelta(minutes=2),
    )
    assert ticket.first_responded_at == NOON + timedelta(minutes=2)
    assert (message.author_kind, message.author_name) == ("staff", "Aysel")
    services.player_message(
        ticket=ticket, text="Документы не принимают", now=NOON + timedelta(minutes=3)
    )
    assert [(m.author_kind, m.body) for m in queries.messages_after(ticket.id, seen)] == [
        ("staff", "Здравствуйте! Чем помочь?"),
        ("player", "Документы не принимают"),
    ]
    with pytest.raises(services.NotAllowed):
        services.staff_message(member=kamran, ticket=ticket, text="Привет", now=NOON)
    services.staff_message(member=resad, ticket=ticket, text="Я подключился", now=NOON)
    services.note(member=aysel, ticket=ticket, text="Проверить паспорт", now=NOON)
    last = queries.messages_after(ticket.id, seen)[-1].id
    assert queries.messages_after(ticket.id, last) == []  # the note is for staff only
    assert queries.messages_after(ticket.id, last, include_internal=True)[0].is_internal
    with pytest.raises(ValueError):
        services.staff_message(member=aysel, ticket=ticket, text="x" * 2001, now=NOON)
    assert len(audit("chat_message")) == 2 and len(audit("chat_note")) == 1


def test_ending_the_chat_resolves_it_and_emails_the_transcript(people):
    aysel, _, _ = people
    ticket = start(email="player@example.com", name="Orxan")
    services.accept(member=aysel, ticket=ticket, now=NOON)
    services.staff_message(member=aysel, ticket=ticket, text="Документы проверены.", now=NOON)
    services.end_chat(member=aysel, ticket=ticket, now=NOON + timedelta(minutes=4))
    assert (ticket.state, ticket.chat_state, ticket.chat_end_reason) == (
        "resolved",
        "ended",
        "operator",
    )
    assert ticket.messages[-1].body == in_russian("Chat ended by %(name)s.") % {"name": "Aysel"}
    transcript = outbox()[-1]
    assert (transcript.kind, transcript.recipient, transcript.language) == (
        "transcript",
        "player@example.com",
        "ru",
    )
    assert ticket.reference in transcript.subject
    assert GREETING_RU in transcript.body and "Документы проверены." in transcript.body
    assert "/ru/status" in transcript.body
    assert [e.kind for e in outbox()] == ["received", "transcript"]
    assert len(audit("chat_end")) == 1
    with pytest.raises(services.WrongState):
        services.staff_message(member=aysel, ticket=ticket, text="Ещё", now=NOON)


def test_ending_a_chat_without_an_email_sends_nothing(people):
    aysel, _, _ = people
    ticket = start()
    services.accept(member=aysel, ticket=ticket, now=NOON)
    services.end_chat(member=aysel, ticket=ticket, now=NOON)
    assert ticket.state == "resolved" and outbox() == []


def test_escalating_keeps_the_ticket_and_its_conversation_for_the_supervisor(people):
    aysel, kamran, _ = people
    ticket = start()
    services.accept(member=aysel, ticket=ticket, now=NOON)
    services.staff_message(member=aysel, ticket=ticket, text="Сейчас проверю", now=NOON)
    with pytest.raises(services.NotAllowed):
        services.escalate(member=kamran, ticket=ticket, reason="Fraud check", now=NOON)
    services.escalate(member=aysel, ticket=ticket, reason="Нужна проверка документов", now=NOON)
    ticket = db.session.get(Ticket, ticket.id)
    assert (ticket.tier, ticket.state) == ("supervisor", "in_progress")
    assert (ticket.chat_state, ticket.chat_end_reason) == ("ended", "escalated")
    assert [m.body for m in ticket.messages][:1] == [GREETING_RU]
    assert "Сейчас проверю" in [m.body for m in ticket.messages]
    escalated = [e for e in ticket.events if e.type == "escalated"]
    assert escalated[0].text == "Нужна проверка документов" and escalated[0].is_public
    assert [e.detail for e in audit("chat_escalate")] == ["Нужна проверка документов"]


def test_transfer_gives_the_chat_to_another_operator(people):
    aysel, kamran, _ = people
    ticket = start()
    services.accept(member=aysel, ticket=ticket, now=NOON)
    services.transfer(member=aysel, ticket=ticket, to_member_id=kamran.id, now=NOON)
    assert (ticket.chat_operator_id, ticket.assignee) == (kamran.id, kamran.email)
    assert queries.inbox(kamran).mine == [ticket]
    assert queries.inbox(aysel).others_active == [ticket]
    with pytest.raises(services.NotAllowed):
        services.staff_message(member=aysel, ticket=ticket, text="Привет", now=NOON)


def test_queue_position_and_estimated_wait(people):
    aysel, _, _ = people
    chats = [start(now=NOON + timedelta(minutes=n)) for n in range(3)]
    assert [queries.queue_position(t) for t in chats] == [1, 2, 3]
    assert queries.estimated_wait_minutes(2) == 4  # no history: 2 minutes a place
    assert [t.id for t in queries.inbox(aysel).waiting] == [t.id for t in chats]
    services.accept(member=aysel, ticket=chats[0], now=NOON + timedelta(minutes=6))
    assert queries.queue_position(chats[0]) is None
    assert [queries.queue_position(t) for t in chats[1:]] == [1, 2]
    assert queries.estimated_wait_minutes(2) == 12  # the one accepted chat waited 6 minutes
    assert queries.estimated_wait_minutes(1) == 6
    assert queries.inbox(aysel).waiting_count == 2


def state_of(ticket: Ticket) -> str | None:
    return queries.poll_state(db.session.execute, ticket.id)


def test_every_message_and_state_change_moves_the_poll_state(people):
    aysel, _, _ = people
    ticket = start()
    states = [state_of(ticket)]
    services.player_seen(ticket=ticket, now=NOON)  # seen: no news for anyone
    assert state_of(ticket) == states[-1]
    assert ticket.player_seen_at == NOON
    for change in (
        lambda: services.player_message(ticket=ticket, text="Алло?", now=NOON),
        lambda: services.accept(member=aysel, ticket=ticket, now=NOON),
        lambda: services.staff_message(member=aysel, ticket=ticket, text="Да", now=NOON),
        lambda: services.end_chat(member=aysel, ticket=ticket, now=NOON),
    ):
        change()
        states.append(state_of(ticket))
    assert len(set(states)) == len(states)
    assert queries.poll_state(db.session.execute, ticket.id + 1000) is None


def test_a_waiting_chat_s_poll_state_moves_with_the_queue(people):
    """The place in line shown to a waiting player changes with others' chats."""
    aysel, _, _ = people
    first, second = start(), start()
    before = state_of(second)
    third = start()  # joins behind: the queue changed
    assert state_of(second) != before
    before = state_of(second)
    services.accept(member=aysel, ticket=first, now=NOON)  # second moves up
    assert state_of(second) != before
    # An active chat's state ignores the queue.
    active = state_of(first)
    services.accept(member=aysel, ticket=third, now=NOON)
    assert state_of(first) == active


def test_player_seen_is_written_at_most_every_15_seconds(people):
    ticket = start()
    services.player_seen(ticket=ticket, now=NOON)
    services.player_seen(ticket=ticket, now=NOON + timedelta(seconds=10))
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).player_seen_at == NOON
    services.player_seen(ticket=ticket, now=NOON + timedelta(seconds=20))
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).player_seen_at == NOON + timedelta(seconds=20)


def test_waiting_chats_whose_player_left_are_abandoned(people):
    aysel, _, _ = people
    left_bot = start(QUESTION_RU)
    left_queue = start()
    still_here = start()
    talking = start()
    services.accept(member=aysel, ticket=talking, now=NOON)
    services.player_seen(ticket=still_here, now=NOON + timedelta(minutes=8))
    assert services.abandon_idle(NOON + timedelta(minutes=9)) == 0
    assert services.abandon_idle(NOON + timedelta(minutes=11)) == 2
    db.session.expire_all()
    for ticket in (left_bot, left_queue):
        ticket = db.session.get(Ticket, ticket.id)
        assert (ticket.chat_state, ticket.chat_end_reason, ticket.state) == (
            "ended",
            "abandoned",
            "resolved",
        )
    assert db.session.get(Ticket, still_here.id).chat_state == "queued"
    assert db.session.get(Ticket, talking.id).chat_state == "active"
    assert services.abandon_idle(NOON + timedelta(minutes=11)) == 0


def test_sla_leaves_a_chat_with_the_bot_alone_but_escalates_an_unanswered_queue(people):
    with_bot = start(QUESTION_RU)
    waiting = start()
    run = tickets.run_sla(NOON + timedelta(minutes=4))
    assert run.to_supervisor == 0
    run = tickets.run_sla(NOON + timedelta(minutes=6))
    assert run.to_supervisor == 1
    db.session.expire_all()
    assert db.session.get(Ticket, with_bot.id).tier == "operator"
    escalated = db.session.get(Ticket, waiting.id)
    assert (escalated.tier, escalated.chat_state) == ("supervisor", "queued")
    assert escalated.events[-1].type == "escalated_automatically"


def test_a_ticket_that_is_not_a_chat_is_not_found(people):
    aysel, _, _ = people
    filed = tickets.file_ticket(
        tickets.NewTicket(
            topic="payments",
            subject="Withdrawal",
            description="Where is my money?",
            email="player@example.com",
            language="az",
            channel="email",
        )
    )
    with pytest.raises(services.ChatNotFound):
        services.accept(member=aysel, ticket=filed.ticket, now=NOON)
    assert queries.find_chat(filed.ticket.reference) is None
    chat_ticket = start()
    assert queries.find_chat(chat_ticket.reference.lower()) == chat_ticket
    assert chat_ticket.channel == chat.CHANNEL
