"""VIP chats: ahead in the inbox and in the players' place in line, on their level's target, with
a badge for staff, and a change tag that moves when a VIP joins ahead."""

import html
from datetime import timedelta

import pytest

from helpcenter.chat import queries, services
from helpcenter.chat import states as chat
from helpcenter.extensions import db
from helpcenter.tickets import services as tickets
from helpcenter.tickets import states
from helpcenter.tickets.models import Ticket
from tests.chat.test_services import NOON, member
from tests.chat.test_staff_pages import available, signed_in, team  # noqa: F401 (a fixture)

SUPERVISOR = tickets.Actor(states.STAFF, "Rəşad", "supervisor")


@pytest.fixture
def aysel(loaded):
    with loaded.test_request_context():
        operator = member("operator", "Aysel")
        services.set_presence(member=operator, status="available", now=NOON)
        yield operator


def queued(second: int, vip: str | None = None) -> Ticket:
    """A chat that asked for a person `second` seconds after NOON."""
    at = NOON + timedelta(seconds=second)
    ticket = services.start_chat(
        language="en", topic="payments", message="Hello", vip=vip, now=at
    ).ticket
    services.handoff(ticket=ticket, now=at)
    assert ticket.chat_state == chat.QUEUED
    return ticket


def test_vips_go_first_in_the_inbox_and_in_the_place_in_line(aysel):
    first, second = queued(0), queued(1)
    gold = queued(2, vip="gold")
    platinum = queued(3, vip="platinum")
    last = queued(4)
    unknown = queued(5, vip="diamond")  # not a level of support.yml: an ordinary chat
    waiting = [t.id for t in queries.inbox(aysel).waiting]
    assert waiting == [platinum.id, gold.id, first.id, second.id, last.id, unknown.id]
    positions = [queries.queue_position(t) for t in (platinum, gold, first, second, last, unknown)]
    assert positions == [1, 2, 3, 4, 5, 6]
    # The VIP's first answer is due on its level's target from when it asked for a person.
    assert platinum.first_response_due_at == NOON + timedelta(seconds=3, minutes=2)
    assert first.first_response_due_at == NOON + timedelta(minutes=5)  # the chat's 5 minutes
    # Accepting the platinum chat moves everyone up one place.
    services.accept(member=aysel, ticket=platinum, now=NOON + timedelta(seconds=6))
    assert [queries.queue_position(t) for t in (gold, first, last)] == [1, 2, 4]


def test_a_vip_joining_ahead_moves_the_waiting_player_s_change_tag(aysel):
    waiting = queued(0)
    before = queries.poll_state(db.session.execute, waiting.id)
    queued(1, vip="gold")  # joins later, goes ahead
    assert queries.queue_position(waiting) == 2
    after = queries.poll_state(db.session.execute, waiting.id)
    assert after != before
    # Staff making a waiting chat a VIP changes no one's count or id, but the order: both move.
    other = queued(2)
    tag = queries.poll_state(db.session.execute, waiting.id)
    box = queries.inbox_state(db.session.execute, aysel.id, "m")
    tickets.set_vip(other, SUPERVISOR, "platinum", now=NOON + timedelta(seconds=3))
    assert queries.queue_position(waiting) == 3
    assert queries.poll_state(db.session.execute, waiting.id) != tag
    assert queries.inbox_state(db.session.execute, aysel.id, "m") != box


def test_a_vip_chat_escalates_on_its_level_s_target(aysel):
    ordinary, gold = queued(0), queued(0, vip="gold")
    # Gold: 5 minutes, as the chat's own; platinum would be 2.
    platinum = queued(0, vip="platinum")
    run = tickets.run_sla(now=NOON + timedelta(minutes=2))
    assert run.to_supervisor == 1
    db.session.expire_all()
    tiers = {t.id: db.session.get(Ticket, t.id).tier for t in (ordinary, gold, platinum)}
    assert tiers == {
        ordinary.id: states.OPERATOR,
        gold.id: states.OPERATOR,
        platinum.id: states.SUPERVISOR,
    }


def test_staff_see_the_vip_badge_in_the_inbox_and_on_the_chat(team):  # noqa: F811
    client = signed_in(team, "aysel")
    available(client)
    with team.test_request_context():
        filed = services.start_chat(language="ru", topic="payments", message="Salam", vip="gold")
        services.handoff(ticket=filed.ticket)
        ref = filed.ticket.reference
    inbox = html.unescape(client.get("/staff/chats").get_data(as_text=True))
    assert '<span class="badge badge-vip">VIP: Gold</span>' in inbox
    page = html.unescape(client.get(f"/staff/chats/{ref}").get_data(as_text=True))
    assert '<span class="badge badge-vip">VIP: Gold</span>' in page
