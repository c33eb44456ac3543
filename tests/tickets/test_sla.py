"""SLA arithmetic (open hours, open minutes, business days, targets) and `sla run`'s rules."""

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from helpcenter import support
from helpcenter.extensions import db
from helpcenter.support import Channel, Hours
from helpcenter.tickets import services, states
from helpcenter.tickets.sla import Targets, add_business_days, add_open_minutes, targets

BAKU = ZoneInfo("Asia/Baku")
BERLIN = ZoneInfo("Europe/Berlin")  # has daylight saving time: 2026-03-29 02:00 -> 03:00
CONFIG = support.load()


def baku(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BAKU)


# 2026-02-10 is a Tuesday; 2026-01-01 a Thursday; 2026-05-28 (Independence Day) a Thursday.

OPEN = [
    # channel, now, open, next opening
    ("chat", baku(2, 10, 3), True, None),
    ("email", baku(2, 14, 23, 59), True, None),
    ("phone", baku(2, 10, 8, 59), False, baku(2, 10, 9)),
    ("phone", baku(2, 10, 9), True, None),
    ("phone", baku(2, 10, 20, 59), True, None),
    ("phone", baku(2, 10, 21), False, baku(2, 11, 9)),
    ("phone", baku(2, 10, 23, 30), False, baku(2, 11, 9)),
    ("phone", baku(2, 14, 12), True, None),  # channels are open on weekends
    ("telegram", baku(2, 10, 23, 59), True, None),
    ("telegram", baku(2, 11, 0), False, baku(2, 11, 9)),
    ("whatsapp", baku(1, 1, 3), False, baku(1, 1, 9)),  # and on holidays
]


@pytest.mark.parametrize(("channel_id", "now", "is_open", "opening"), OPEN)
def test_is_open_and_next_opening(channel_id, now, is_open, opening):
    channel = CONFIG.channel(channel_id)
    assert channel.is_open(now) is is_open
    assert channel.next_opening(now) == opening


def test_any_time_zone_in_the_same_one_out():
    phone = CONFIG.channel("phone")
    assert phone.is_open(datetime(2026, 2, 10, 5, 0, tzinfo=UTC))  # 09:00 in Baku
    assert not phone.is_open(datetime(2026, 2, 10, 4, 59, tzinfo=UTC))
    opening = phone.next_opening(datetime(2026, 2, 10, 17, 0, tzinfo=UTC))  # 21:00 in Baku
    assert opening == baku(2, 11, 9) and opening.tzinfo is UTC
    due = add_open_minutes(datetime(2026, 2, 10, 16, 55, tzinfo=UTC), 15, phone)
    assert due == baku(2, 11, 9, 10) and due.tzinfo is UTC
    assert add_open_minutes(baku(2, 10, 12), 5, phone).tzinfo is BAKU


def test_naive_datetimes_are_refused():
    phone = CONFIG.channel("phone")
    with pytest.raises(ValueError, match="naive"):
        phone.is_open(datetime(2026, 2, 10, 12))
    with pytest.raises(ValueError, match="naive"):
        add_open_minutes(datetime(2026, 2, 10, 12), 5, CONFIG.channel("chat"))
    with pytest.raises(ValueError, match="naive"):
        add_business_days(datetime(2026, 2, 10, 12), 1, CONFIG)


OPEN_MINUTES = [
    # channel, start, minutes, due
    ("phone", baku(2, 10, 20, 55), 15, baku(2, 11, 9, 10)),  # across closing time
    ("phone", baku(2, 10, 20, 45), 15, baku(2, 10, 21)),  # due at closing time
    ("phone", baku(2, 10, 7), 15, baku(2, 10, 9, 15)),  # filed before opening
    ("phone", baku(2, 10, 22), 0, baku(2, 11, 9)),  # nothing to count: the next opening
    ("phone", baku(2, 10, 12), 0, baku(2, 10, 12)),
    ("phone", baku(2, 10, 20), 24 * 60, baku(2, 12, 20)),  # 12 open hours a day
    ("phone", baku(2, 13, 20, 30), 60, baku(2, 14, 9, 30)),  # weekends count for channels
    ("telegram", baku(2, 10, 23, 50), 30, baku(2, 11, 9, 20)),  # across midnight
    ("telegram", baku(2, 10, 23, 30), 30, baku(2, 11, 0)),  # due at midnight
    ("telegram", baku(2, 10, 0, 30), 30, baku(2, 10, 9, 30)),  # after midnight
    ("whatsapp", baku(12, 31, 23, 45, year=2026), 30, baku(1, 1, 9, 15, year=2027)),
    ("chat", baku(2, 10, 23, 50), 30, baku(2, 11, 0, 20)),  # 24/7: plain addition
    ("email", baku(2, 10, 10), 48 * 60, baku(2, 12, 10)),
]


@pytest.mark.parametrize(("channel_id", "start", "minutes", "due"), OPEN_MINUTES)
def test_add_open_minutes(channel_id, start, minutes, due):
    assert add_open_minutes(start, minutes, CONFIG.channel(channel_id)) == due


def test_negative_minutes_are_refused():
    with pytest.raises(ValueError):
        add_open_minutes(baku(2, 10, 12), -1, CONFIG.channel("phone"))


def test_daylight_saving_time_counts_real_minutes():
    always = Channel("chat", Hours(tz=BERLIN), 5, "none")
    start = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)  # 00:30 UTC, the clocks jump at 01:00
    assert add_open_minutes(start, 60, always) == datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN)
    elapsed = add_open_minutes(start, 60, always).astimezone(UTC) - start.astimezone(UTC)
    assert elapsed == timedelta(hours=1)  # a wall clock difference would be 2 hours
    phone = Channel("phone", Hours(tz=BERLIN, opens=time(9), closes=time(21)), 15, "phone")
    due = add_open_minutes(datetime(2026, 3, 28, 20, 55, tzinfo=BERLIN), 15, phone)
    assert due == datetime(2026, 3, 29, 9, 10, tzinfo=BERLIN)  # 07:10 UTC, not 08:10
    # Open 00:00-24:00 on the day the clocks move: 23 open hours, not 24.
    night = Channel("telegram", Hours(tz=BERLIN, opens=time(0), closes=None), 30, "telegram")
    due = add_open_minutes(datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN), 24 * 60, night)
    assert due == datetime(2026, 3, 30, 1, 0, tzinfo=BERLIN)


BUSINESS_DAYS = [
    # start, days, due
    (baku(2, 10, 14), 5, baku(2, 17, 14)),  # Tuesday to Tuesday
    (baku(2, 10, 14), 1, baku(2, 11, 14)),
    (baku(2, 10, 14), 0, baku(2, 10, 14)),
    (baku(2, 13, 17, 59), 1, baku(2, 16, 17, 59)),  # Friday to Monday
    (baku(2, 13, 18), 1, baku(2, 17, 9)),  # closed at 18:00: counted from Monday 09:00
    (baku(2, 13, 19), 5, baku(2, 23, 9)),  # Friday evening: the Monday after next
    (baku(2, 14, 12), 1, baku(2, 17, 9)),  # Saturday: from Monday 09:00
    (baku(2, 15, 12), 0, baku(2, 16, 9)),  # Sunday, no days: the next opening
    (baku(2, 11, 7), 1, baku(2, 12, 9)),  # before opening
    (baku(5, 27, 10), 1, baku(5, 29, 10)),  # Independence Day (Thursday) skipped
    (baku(5, 25, 10), 5, baku(6, 2, 10)),
    (baku(1, 1, 10), 1, baku(1, 6, 9)),  # New Year (Thu, Fri) and a weekend
    (baku(12, 30, 15, year=2026), 2, baku(1, 5, 15, year=2027)),  # Dec 31, Jan 1-2 off
    (baku(11, 6, 12), 1, baku(11, 10, 12)),  # Friday; Monday 9 November is State Flag Day
]


@pytest.mark.parametrize(("start", "days", "due"), BUSINESS_DAYS)
def test_add_business_days(start, days, due):
    assert add_business_days(start, days, CONFIG) == due


def test_business_days_in_another_zone():
    due = add_business_days(datetime(2026, 2, 13, 15, 0, tzinfo=UTC), 5, CONFIG)  # Fri 19:00
    assert due == baku(2, 23, 9) and due.tzinfo is UTC


TARGETS = [
    # topic, channel, filed at, first response due, resolution due
    ("payments", "chat", baku(2, 10, 3), baku(2, 10, 3, 5), baku(2, 11, 3)),
    ("payments", "email", baku(2, 10, 3), baku(2, 10, 5), baku(2, 12, 3)),
    ("account", "chat", baku(2, 10, 23, 58), baku(2, 11, 0, 3), baku(2, 11, 0, 13)),
    ("account", "phone", baku(2, 10, 20, 55), baku(2, 11, 9, 10), baku(2, 11, 9, 10)),
    ("account", "email", baku(2, 10, 12), baku(2, 10, 14), baku(2, 10, 16)),
    ("bonuses", "telegram", baku(2, 10, 23, 50), baku(2, 11, 9, 20), baku(2, 11, 9, 50)),
    ("verification", "phone", baku(2, 10, 9), baku(2, 10, 9, 15), baku(2, 13, 21)),
    ("responsible-gaming", "email", baku(2, 10, 12), baku(2, 10, 12, 30), baku(2, 11, 12)),
    ("complaint", "whatsapp", baku(2, 10, 9), baku(2, 10, 9, 30), baku(2, 14, 21)),
]


@pytest.mark.parametrize(("topic", "channel", "filed", "first", "resolution"), TARGETS)
def test_targets(topic, channel, filed, first, resolution):
    assert targets(topic, channel, filed, CONFIG) == Targets(first, resolution)


VIP_TARGETS = [
    # topic, channel, VIP level, filed at, first response due, resolution due
    # The level's targets (platinum 2 min, 8 h; gold 5 min, 12 h; silver 10 min, 24 h)...
    ("payments", "email", "platinum", baku(2, 10, 3), baku(2, 10, 3, 2), baku(2, 10, 11)),
    ("payments", "email", "gold", baku(2, 10, 3), baku(2, 10, 3, 5), baku(2, 10, 15)),
    ("complaint", "chat", "silver", baku(2, 10, 3), baku(2, 10, 3, 5), baku(2, 11, 3)),
    # ...the topic's or channel's where they are shorter: a VIP never waits longer...
    ("account", "chat", "silver", baku(2, 10, 12), baku(2, 10, 12, 5), baku(2, 10, 12, 15)),
    (
        "responsible-gaming",
        "email",
        "silver",
        baku(2, 10, 12),
        baku(2, 10, 12, 10),
        baku(2, 11, 12),
    ),
    # ...counted in the channel's open hours (phone 09:00-21:00)...
    ("payments", "phone", "gold", baku(2, 10, 20, 58), baku(2, 11, 9, 3), baku(2, 11, 20, 58)),
    # ...and a level support.yml does not list is an ordinary request.
    ("payments", "email", "diamond", baku(2, 10, 3), baku(2, 10, 5), baku(2, 12, 3)),
]


@pytest.mark.parametrize(("topic", "channel", "vip", "filed", "first", "resolution"), VIP_TARGETS)
def test_vip_targets(topic, channel, vip, filed, first, resolution):
    due = targets(topic, channel, filed, CONFIG, vip=vip)
    assert due.first_response_due == first
    if resolution is not None:
        assert due.resolution_due == resolution
    ordinary = targets(topic, channel, filed, CONFIG)
    assert due.first_response_due <= ordinary.first_response_due
    assert due.resolution_due <= ordinary.resolution_due


def test_targets_of_unknown_ids():
    with pytest.raises(KeyError):
        targets("jackpots", "chat", baku(2, 10, 12), CONFIG)
    with pytest.raises(KeyError):
        targets("payments", "fax", baku(2, 10, 12), CONFIG)


# --- the SLA rules of `sla run`, on the real database -------------------------------------------

STAFF = services.Actor(states.STAFF, "Aysel", "supervisor")
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


def file(topic: str, channel: str, now: datetime):
    new = services.NewTicket(
        topic=topic,
        subject="Withdrawal not received",
        description="I withdrew 200 AZN three days ago and nothing arrived on my card.",
        email="player@example.com",
        language="az",
        channel=channel,
        contact="+994501234567" if channel == "phone" else "",
        transaction_id="TX-1001",
    )
    return services.file_ticket(new, now=now).ticket


def run(ticket, now: datetime) -> services.SlaRun:
    result = services.run_sla(now=now)
    db.session.refresh(ticket)
    return result


def test_a_send_back_gets_a_fresh_first_response_target(ctx):
    # payments by email: first response within 2 hours, around the clock.
    noon = baku(11, 18, 12)
    ticket = file("payments", "email", noon)
    assert run(ticket, noon + 2 * HOUR + MINUTE).to_supervisor == 1
    services.send_back(ticket, STAFF, "Operators can answer", now=noon + 2 * HOUR + 30 * MINUTE)
    assert ticket.first_response_due_at == noon + 4 * HOUR + 30 * MINUTE
    assert run(ticket, noon + 2 * HOUR + 31 * MINUTE) == services.SlaRun(0, 0, 0)
    assert run(ticket, noon + 4 * HOUR + 29 * MINUTE) == services.SlaRun(0, 0, 0)
    assert ticket.tier == states.OPERATOR
    assert run(ticket, noon + 4 * HOUR + 31 * MINUTE).to_supervisor == 1
    assert ticket.tier == states.SUPERVISOR


def test_a_send_back_counts_the_new_target_in_open_hours(ctx):
    # account by phone: 15 minutes, phone open 09:00-21:00.
    ticket = file("account", "phone", baku(11, 18, 20, 30))
    assert run(ticket, baku(11, 18, 20, 46)).to_supervisor == 1
    services.send_back(ticket, STAFF, "Operators can answer this", now=baku(11, 18, 20, 55))
    assert ticket.first_response_due_at == baku(11, 19, 9, 10)
    assert run(ticket, baku(11, 19, 9, 9)).to_supervisor == 0
    assert run(ticket, baku(11, 19, 9, 11)).to_supervisor == 1


def test_no_escalation_while_waiting_and_the_first_response_clock_pauses(ctx):
    noon = baku(11, 18, 12)
    ticket = file("payments", "email", noon)  # first response by 14:00, resolution in 48 hours
    services.set_waiting_for_player(ticket, STAFF, now=noon + HOUR)
    assert run(ticket, noon + 3 * HOUR) == services.SlaRun(0, 0, 0)
    assert (ticket.state, ticket.tier) == (states.WAITING, states.OPERATOR)
    services.player_reply(ticket, "Here is my statement.", now=noon + 4 * HOUR)  # waited 3 hours
    assert ticket.state == states.IN_PROGRESS
    assert ticket.first_response_due_at == noon + 5 * HOUR
    assert ticket.resolution_due_at == noon + 51 * HOUR
    assert run(ticket, noon + 4 * HOUR + 59 * MINUTE).to_supervisor == 0
    assert run(ticket, noon + 5 * HOUR + MINUTE).to_supervisor == 1


def test_a_complex_case_waiting_at_supervisor_stays_there_and_its_clock_pauses(ctx):
    noon = baku(11, 18, 12)
    ticket = file("payments", "email", noon)
    services.reply(ticket, STAFF, "Checking", now=noon + 30 * MINUTE)
    services.escalate(ticket, STAFF, "Needs a supervisor", now=noon + HOUR)
    services.note(ticket, STAFF, "Asked for a statement", now=noon + HOUR + 5 * MINUTE)
    services.set_waiting_for_player(ticket, STAFF, now=noon + HOUR + 10 * MINUTE)
    services.note(ticket, STAFF, "Still waiting", now=noon + 3 * HOUR)
    assert run(ticket, noon + 5 * HOUR) == services.SlaRun(0, 0, 0)
    assert (ticket.state, ticket.tier) == (states.WAITING, states.SUPERVISOR)
    # The player answers after 5 hours: 50 of the 60 minutes at supervisor are left.
    services.player_reply(ticket, "Statement attached.", now=noon + 6 * HOUR + 10 * MINUTE)
    assert ticket.resolution_due_at == noon + 53 * HOUR
    assert ticket.first_response_due_at == noon + 2 * HOUR  # already met: unchanged
    assert run(ticket, noon + 6 * HOUR + 59 * MINUTE).to_investigation == 0
    assert run(ticket, noon + 7 * HOUR + MINUTE).to_investigation == 1
    assert (ticket.state, ticket.tier) == (states.IN_PROGRESS, states.INVESTIGATION)


def test_a_staff_action_that_ends_the_wait_also_moves_the_deadlines(ctx):
    noon = baku(11, 18, 12)
    ticket = file("payments", "email", noon)
    services.set_waiting_for_player(ticket, STAFF, now=noon + HOUR)
    services.reply(ticket, STAFF, "We found it ourselves", now=noon + 2 * HOUR)  # waited 1 hour
    assert ticket.state == states.IN_PROGRESS
    assert ticket.first_responded_at == noon + 2 * HOUR
    assert ticket.resolution_due_at == noon + 49 * HOUR


def test_asking_the_player_again_starts_a_new_wait(ctx):
    noon = baku(11, 18, 12)
    ticket = file("payments", "email", noon)
    services.reply(ticket, STAFF, "A statement, please", wait=True, now=noon + HOUR)
    # Asked again after 2 hours of waiting: the deadlines move by those 2 hours, once.
    services.reply(ticket, STAFF, "Still need it", wait=True, now=noon + 3 * HOUR)
    assert ticket.resolution_due_at == noon + 50 * HOUR
    services.player_reply(ticket, "Attached.", now=noon + 4 * HOUR)  # 1 more hour
    assert ticket.resolution_due_at == noon + 51 * HOUR
    assert ticket.state == states.IN_PROGRESS


def test_a_complex_request_answered_but_not_resolved_in_time_moves_to_a_supervisor(ctx):
    # Verification by email: answered at once, resolution within 48 hours (what the knowledge
    # base promises: "if the review takes longer, your request moves to a supervisor").
    noon = baku(11, 18, 12)
    ticket = file("verification", "email", noon)
    services.reply(ticket, STAFF, "We are checking your documents", now=noon + 10 * MINUTE)
    assert ticket.resolution_due_at == noon + 48 * HOUR
    assert run(ticket, noon + 48 * HOUR - MINUTE) == services.SlaRun(0, 0, 0)
    assert run(ticket, noon + 48 * HOUR + MINUTE) == services.SlaRun(1, 0, 0)
    assert (ticket.state, ticket.tier) == (states.IN_PROGRESS, states.SUPERVISOR)
    assert ticket.events[-1].text == services.NOT_RESOLVED_IN_TIME


def test_a_simple_request_not_resolved_in_time_stays_with_the_operators(ctx):
    noon = baku(11, 18, 12)
    ticket = file("account", "email", noon)  # simple: resolution within 4 hours by email
    services.reply(ticket, STAFF, "Checking", now=noon + 10 * MINUTE)
    assert run(ticket, noon + 5 * HOUR) == services.SlaRun(0, 0, 0)
    assert ticket.tier == states.OPERATOR


def test_the_resolution_rule_can_be_switched_off(ctx, tmp_path):
    shipped = Path(support.SUPPORT_FILE).read_text(encoding="utf-8")
    switched_off = shipped.replace(
        "supervisor_when_resolution_missed: true", "supervisor_when_resolution_missed: false"
    )
    assert switched_off != shipped
    (tmp_path / "support.yml").write_text(switched_off, encoding="utf-8")
    ctx.config["SUPPORT_FILE"] = str(tmp_path / "support.yml")
    noon = baku(11, 18, 12)
    ticket = file("verification", "email", noon)
    services.reply(ticket, STAFF, "Checking", now=noon + 10 * MINUTE)
    assert run(ticket, noon + 49 * HOUR) == services.SlaRun(0, 0, 0)
    assert ticket.tier == states.OPERATOR
