"""SLA time arithmetic: targets counted in a channel's open hours or in business days.

Every function takes timezone-aware datetimes in any zone and answers in the zone it was
given. Durations are real elapsed time (UTC arithmetic), so a daylight saving change in the
configured zone neither gains nor loses minutes.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from helpcenter.support import Channel, Hours, SupportConfig


@dataclass(frozen=True)
class Targets:
    first_response_due: datetime
    resolution_due: datetime


def _hours(of: Channel | Hours) -> Hours:
    return of.hours if isinstance(of, Channel) else of


def add_open_minutes(start: datetime, minutes: int, channel: Channel | Hours) -> datetime:
    """The moment `minutes` of the channel's open time have passed since `start`.

    Closed time does not count: a phone request at 20:55 with 15 minutes (phone open
    09:00-21:00) is due at 09:10 the next day. On a 24/7 channel it is plain addition.
    Zero minutes while closed: the next opening.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware one")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    hours = _hours(channel)
    left = timedelta(minutes=minutes)
    cursor = start.astimezone(UTC)
    if hours.always_open:
        return (cursor + left).astimezone(start.tzinfo)
    for opening, closing in hours.intervals(cursor):
        cursor = max(cursor, opening)
        if cursor + left <= closing:
            return (cursor + left).astimezone(start.tzinfo)
        left -= closing - cursor
        cursor = closing
    raise AssertionError("unreachable: opening hours never end")  # pragma: no cover


def add_business_days(start: datetime, days: int, config: SupportConfig) -> datetime:
    """The same local time `days` back-office business days after `start`.

    Weekends and holidays are skipped. Outside business hours the count starts at the next
    opening: Friday 19:00 plus 5 business days is the Monday after next, 09:00.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    hours = config.business_hours
    opening = hours.next_opening(start)
    local = (opening or start).astimezone(hours.tz)
    day = local.date()
    for _ in range(days):
        day += timedelta(days=1)
        while not hours.is_working_day(day):
            day += timedelta(days=1)
    due = datetime.combine(day, local.time(), hours.tz)
    return due.astimezone(start.tzinfo)


def targets(
    topic_id: str,
    channel_id: str,
    filed_at: datetime,
    config: SupportConfig,
    vip: str | None = None,
) -> Targets:
    """When the first answer and the resolution of a new request are due.

    Both are counted in the channel's open hours: the first response from the channel's
    `first_response_minutes` (or the topic's override for that channel), the resolution from
    the topic's `resolution` (or its override for that channel). With a VIP level of support.yml
    (`vip`), each is the shorter of that and the level's own: a VIP never waits longer than an
    ordinary request; an unknown level counts as none. Unknown topic or channel ids raise
    KeyError.
    """
    topic = config.topic(topic_id)
    channel = config.channel(channel_id)
    first, resolution = topic.first_response_on(channel), topic.resolution_on(channel)
    level = config.vip_level(vip)
    if level is not None:
        first = min(first, level.first_response_minutes)
        resolution = min(resolution, level.resolution_minutes)
    return Targets(
        first_response_due=add_open_minutes(filed_at, first, channel),
        resolution_due=add_open_minutes(filed_at, resolution, channel),
    )
