"""SLA arithmetic: open hours, open minutes, business days and a new request's targets."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpcenter import support
from helpcenter.support import Channel, Hours
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


def test_targets_of_unknown_ids():
    with pytest.raises(KeyError):
        targets("jackpots", "chat", baku(2, 10, 12), CONFIG)
    with pytest.raises(KeyError):
        targets("payments", "fax", baku(2, 10, 12), CONFIG)
