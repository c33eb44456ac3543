"""The worker and the SLA run over live chats, on the real database with the shipped content."""

import logging
from datetime import timedelta

import pytest

from helpcenter import support
from helpcenter.chat import services
from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.tickets import services as tickets
from helpcenter.tickets.models import Ticket
from helpcenter.worker import Worker
from tests.chat.test_services import GREETING_RU, NOON, QUESTION_RU, people, start

__all__ = ["people"]


def fresh(ticket: Ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def test_the_worker_ends_the_chats_whose_player_left_and_says_so(people, ctx, caplog):
    aysel, _, _ = people
    # Started on NOON (weeks ago): nobody has seen these players since.
    with_bot, in_queue, talking = start(QUESTION_RU), start(GREETING_RU), start(GREETING_RU)
    services.accept(member=aysel, ticket=talking, now=NOON)
    worker = Worker(ctx)
    job = next(job for job in worker.jobs if job.name == "idle chats")
    assert job.every == ctx.config["WORKER_POLL_SECONDS"]  # as often as the outbox
    with caplog.at_level(logging.INFO, logger="helpcenter.worker"):
        assert worker.run_job(job)
    said = [r.getMessage() for r in caplog.records if r.name == "helpcenter.worker"]
    assert said == ["idle chats: 2 ended as abandoned (the player left while waiting)"]
    for ticket in (with_bot, in_queue):
        ended = fresh(ticket)
        assert (ended.chat_state, ended.chat_end_reason, ended.state) == (
            "ended",
            "abandoned",
            "resolved",
        )
        assert ended.events[-1].type == "chat_abandoned"
    assert fresh(talking).chat_state == "active"

    # Nothing left to end: the job runs quietly.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="helpcenter.worker"):
        assert worker.run_job(job)
    assert [r for r in caplog.records if r.name == "helpcenter.worker"] == []


def test_the_worker_leaves_a_chat_whose_player_is_still_there(people, ctx):
    ticket = start(GREETING_RU)
    services.player_seen(ticket=ticket, now=utcnow())
    worker = Worker(ctx)
    assert worker.run_job(next(job for job in worker.jobs if job.name == "idle chats"))
    assert fresh(ticket).chat_state == "queued"


def test_the_first_answer_is_due_five_minutes_after_the_player_asked_for_a_person(people):
    minutes = support.current().channel("chat").first_response_minutes
    assert minutes == 5
    ticket = start(QUESTION_RU)
    assert ticket.chat_state == "bot"
    # With the bot for an hour: never escalated, however long the player reads the articles.
    for later in (6, 60):
        assert tickets.run_sla(NOON + timedelta(minutes=later)).to_supervisor == 0
        assert fresh(ticket).tier == "operator"
    asked = NOON + timedelta(hours=1)
    services.handoff(ticket=fresh(ticket), now=asked)
    ticket = fresh(ticket)
    assert ticket.first_response_due_at == asked + timedelta(minutes=minutes)
    assert tickets.run_sla(asked + timedelta(minutes=4, seconds=59)).to_supervisor == 0
    assert fresh(ticket).tier == "operator"
    assert tickets.run_sla(asked + timedelta(minutes=5)).to_supervisor == 1
    escalated = fresh(ticket)
    assert (escalated.tier, escalated.chat_state) == ("supervisor", "queued")
    assert escalated.events[-1].type == "escalated_automatically"


def test_a_chat_answered_in_time_is_not_escalated(people):
    aysel, _, _ = people
    ticket = start(GREETING_RU)
    services.accept(member=aysel, ticket=ticket, now=NOON + timedelta(minutes=1))
    services.staff_message(
        member=aysel, ticket=fresh(ticket), text="Здравствуйте!", now=NOON + timedelta(minutes=2)
    )
    assert tickets.run_sla(NOON + timedelta(minutes=30)).to_supervisor == 0
    assert fresh(ticket).tier == "operator"


@pytest.fixture
def ctx(loaded):
    with loaded.test_request_context():
        yield loaded
