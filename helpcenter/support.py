"""Support configuration from support.yml: channels and their hours, topics, SLA targets.

`load(path)` reads and checks a file once per process; `current()` is the file the app is
configured with (SUPPORT_FILE) or the shipped one. Any mistake in the file raises
`SupportConfigError` naming the key. Check a file with `python -m helpcenter.support PATH`.

Times in the file are local to its `timezone`; every datetime given to or returned by this
module is timezone-aware.
"""

import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, partial
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    field_validator,
    model_validator,
)

from helpcenter.schema import At, ConfigError, issues, load_file
from helpcenter.vocabulary import SLUG_URL_PATTERN

SUPPORT_FILE = Path(__file__).with_name("support.yml")

ChannelId = Literal["chat", "email", "phone", "telegram", "whatsapp"]
ContactKind = Literal["none", "email", "phone", "telegram"]
TopicId = Literal[
    "payments",
    "account",
    "verification",
    "bonuses",
    "technical",
    "responsible-gaming",
    "complaint",
]
Complexity = Literal["simple", "complex"]
WeekdayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

CHANNEL_IDS: tuple[str, ...] = get_args(ChannelId)
CONTACTS: tuple[str, ...] = get_args(ContactKind)
TOPIC_IDS: tuple[str, ...] = get_args(TopicId)  # in the contact form's order
COMPLEXITIES: tuple[str, ...] = get_args(Complexity)
WEEKDAYS: tuple[str, ...] = get_args(WeekdayName)

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)


class SupportConfigError(ConfigError):
    """The support file is missing, unreadable or wrong; `key` names the offending key.

    `key` and `problem` are the first mistake; `others` are the rest found in the same pass
    (as (key, problem) pairs), so one check shows an operator all there is to fix.
    """


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware one")
    return value


# --- opening hours -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hours:
    """Daily opening hours in `tz` on some weekdays, except holidays.

    `opens` None: always open. `closes` None (with `opens` set): open until midnight.
    """

    tz: ZoneInfo
    opens: time | None = None
    closes: time | None = None
    weekdays: frozenset[int] = frozenset(range(7))  # Monday is 0
    holidays: frozenset[date] = frozenset()

    def __post_init__(self):
        if self.opens is not None and not self.weekdays:
            raise ValueError("hours open on no day at all")
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ValueError("hours close before they open")

    @property
    def always_open(self) -> bool:
        return self.opens is None

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def intervals(self, after: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open periods (opening, closing) in UTC that end after `after`, in order.

        A period that is already running when `after` falls in it comes first, unclipped.
        """
        after = _aware(after).astimezone(UTC)
        if self.opens is None:
            yield after, _FAR_FUTURE
            return
        day = after.astimezone(self.tz).date() - timedelta(days=1)
        while True:
            if self.is_working_day(day):
                start = datetime.combine(day, self.opens, self.tz).astimezone(UTC)
                if self.closes is None:
                    end = datetime.combine(day + timedelta(days=1), time(0), self.tz)
                else:
                    end = datetime.combine(day, self.closes, self.tz)
                end = end.astimezone(UTC)
                if start < end and end > after:
                    yield start, end
            day += timedelta(days=1)

    def is_open(self, now: datetime) -> bool:
        opening, _closing = next(self.intervals(now))
        return opening <= now

    def next_opening(self, now: datetime) -> datetime | None:
        """When these hours open next, in `now`'s time zone; None when open now."""
        opening, _closing = next(self.intervals(now))
        return None if opening <= now else opening.astimezone(now.tzinfo)


# --- the configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    id: str
    hours: Hours
    first_response_minutes: int
    contact: str  # one of CONTACTS: what the player gives us to be answered here
    address: str = ""
    display: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return self.hours.tz

    @property
    def opens(self) -> time | None:
        return self.hours.opens

    @property
    def closes(self) -> time | None:
        return self.hours.closes

    @property
    def is_always_open(self) -> bool:
        return self.hours.always_open

    def is_open(self, now: datetime) -> bool:
        return self.hours.is_open(now)

    def next_opening(self, now: datetime) -> datetime | None:
        """When the channel opens next, in `now`'s time zone; None when it is open now."""
        return self.hours.next_opening(now)


@dataclass(frozen=True)
class Topic:
    id: str
    complexity: str  # "simple" or "complex"
    needs_transaction: bool
    resolution_minutes: int
    resolution_by_channel: Mapping[str, int] = field(default_factory=dict)
    first_response_by_channel: Mapping[str, int] = field(default_factory=dict)
    # Knowledge-base categories and articles whose "contact us" preselects this topic.
    categories: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()

    @property
    def is_complex(self) -> bool:
        return self.complexity == "complex"

    def first_response_on(self, channel: Channel) -> int:
        """Minutes to the first answer on `channel`: the topic's override or the channel's."""
        return self.first_response_by_channel.get(channel.id, channel.first_response_minutes)

    def resolution_on(self, channel: Channel) -> int:
        """Minutes to the resolution on `channel`: the channel override or the topic's."""
        return self.resolution_by_channel.get(channel.id, self.resolution_minutes)


@dataclass(frozen=True)
class Escalation:
    investigation_after_minutes: int
    investigation_resolution_business_days: int
    supervisor_when_resolution_missed: bool = True


@dataclass(frozen=True)
class VipLevel:
    """A VIP level of the casino's players and its targets (whole minutes, counted in the
    channel's open hours); a VIP ticket gets the shorter of these and its topic's."""

    id: str
    first_response_minutes: int
    resolution_minutes: int


@dataclass(frozen=True)
class SupportConfig:
    timezone: ZoneInfo
    business_hours: Hours
    channels: tuple[Channel, ...]
    topics: tuple[Topic, ...]  # in the contact form's order
    escalation: Escalation
    # The VIP levels a casino sign-on may give a player, highest first; any other is ignored.
    vip: tuple[VipLevel, ...] = ()

    @property
    def vip_levels(self) -> tuple[str, ...]:
        """The ids of the VIP levels, highest first."""
        return tuple(level.id for level in self.vip)

    def vip_level(self, level_id: str | None) -> VipLevel | None:
        """The VIP level with this id; None for no level or one support.yml does not list."""
        for level in self.vip:
            if level.id == level_id:
                return level
        return None

    def vip_rank(self, level_id: str | None) -> int:
        """Where a level goes in line: 0 for the highest, len(vip) for ordinary requests (no
        level, or one support.yml does not list)."""
        levels = self.vip_levels
        return levels.index(level_id) if level_id in levels else len(levels)

    def channel(self, channel_id: str) -> Channel:
        for channel in self.channels:
            if channel.id == channel_id:
                return channel
        raise KeyError(f"unknown support channel {channel_id!r}")

    def topic(self, topic_id: str) -> Topic:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(f"unknown support topic {topic_id!r}")

    def topic_for_article(self, category: str, article: str = "") -> str | None:
        """The topic a player reading this article most likely writes about, if any."""
        for topic in self.topics:
            if article and article in topic.articles:
                return topic.id
        for topic in self.topics:
            if category in topic.categories:
                return topic.id
        return None


# --- the file's schema ---------------------------------------------------------------------------
#
# The models below declare what support.yml may say; `parse` builds the objects above from a
# checked file. Strict: YAML turns an unquoted 21:00 into 1260 and 20260101 into a number, and
# no value is quietly converted into what a key expects.

_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_SLUG = re.compile(SLUG_URL_PATTERN)
_DURATION = re.compile(r"([1-9]\d*)([mh])")


def _clock(value, *, until: bool = False) -> time | None:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML reads an unquoted 21:00 as the number 1260.
        raise ValueError('write the time in quotes, like "21:00"')
    if until and value == "24:00":
        return None
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        midnight = ' ("24:00" is midnight)' if until else ""
        raise ValueError(f'{value!r} is not a time "HH:MM"{midnight}')
    return time.fromisoformat(value)


def _duration(value) -> int:
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f'{value!r} is not a duration like "15m" or "24h"')
    number, unit = int(match[1]), match[2]
    return number * 60 if unit == "h" else number


def _date(value) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    # Only YYYY-MM-DD: fromisoformat also takes "20260101", which YAML reads as a number
    # when unquoted and a person may mean something else by.
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date YYYY-MM-DD")


def _zone(value) -> ZoneInfo:
    if not isinstance(value, str):
        raise ValueError(f"expected the name of a time zone, like Asia/Baku, not {value!r}")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {value!r}") from error


def _slug(value) -> str:
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise ValueError(f"{value!r} is not a slug (a-z, 0-9 and hyphens)")
    return value


def _always_open(value):
    """A channel's hours: "24/7" becomes None (always open), else they are {from, until}."""
    if value == "24/7":
        return None
    if not isinstance(value, dict):
        raise ValueError('expected "24/7" or {from: "HH:MM", until: "HH:MM"}')
    return value


Clock = Annotated[time, PlainValidator(_clock)]
Closing = Annotated[time | None, PlainValidator(partial(_clock, until=True))]
Duration = Annotated[int, PlainValidator(_duration)]
Day = Annotated[date, PlainValidator(_date)]
Zone = Annotated[ZoneInfo, PlainValidator(_zone)]
Slug = Annotated[str, PlainValidator(_slug)]
Minutes = Annotated[int, Field(ge=1)]


class _Schema(BaseModel):
    """A mapping in the file: another key is a mistake, and no value is converted."""

    model_config = ConfigDict(extra="forbid", strict=True)


class _OpenHours(_Schema):
    opens: Clock = Field(alias="from")
    closes: Closing = Field(alias="until")

    @model_validator(mode="after")
    def _closes_after_opening(self):
        if self.closes is not None and self.closes <= self.opens:
            raise At("until", problem='must be later than "from" (use "24:00" for midnight)')
        return self


class _BusinessHours(_OpenHours):
    days: Annotated[list[WeekdayName], Field(min_length=1)]
    holidays: list[Day] | None = None


class _Channel(_Schema):
    id: ChannelId
    hours: Annotated[_OpenHours | None, BeforeValidator(_always_open)]
    first_response_minutes: Minutes
    contact: ContactKind
    address: str = ""
    display: str = ""


class _Topic(_Schema):
    id: TopicId
    complexity: Complexity
    needs_transaction: bool
    resolution: Duration
    resolution_by_channel: dict[str, Duration] | None = None
    first_response_by_channel: dict[str, Minutes] | None = None
    categories: list[Slug] | None = None
    articles: list[Slug] | None = None


class _Escalation(_Schema):
    investigation_after_minutes: Minutes
    investigation_resolution_business_days: Minutes
    supervisor_when_resolution_missed: bool = True


class _VipLevel(_Schema):
    id: Slug
    first_response_minutes: Minutes
    resolution: Duration

    @model_validator(mode="after")
    def _resolution_after_first_response(self):
        if self.resolution < self.first_response_minutes:
            raise At(
                "resolution",
                problem=f"resolution in {self.resolution} min is shorter than the first "
                f"response in {self.first_response_minutes} min: set a longer one",
            )
        return self


class _Vip(_Schema):
    levels: Annotated[list[_VipLevel], Field(min_length=1)]

    @field_validator("levels")
    @classmethod
    def _each_level_once(cls, levels: list[_VipLevel]) -> list[_VipLevel]:
        _once(levels)
        return levels


class _SupportFile(_Schema):
    timezone: Zone
    business_hours: _BusinessHours
    channels: Annotated[list[_Channel], Field(min_length=1)]
    topics: Annotated[list[_Topic], Field(min_length=1)]
    escalation: _Escalation
    vip: _Vip | None = None

    @field_validator("channels")
    @classmethod
    def _channels_once_one_always_open(cls, channels: list[_Channel]) -> list[_Channel]:
        _once(channels)
        if all(channel.hours is not None for channel in channels):
            raise ValueError('at least one channel must be open "24/7"')
        return channels

    @field_validator("topics")
    @classmethod
    def _every_topic_once(cls, topics: list[_Topic]) -> list[_Topic]:
        _once(topics)
        missing = [topic_id for topic_id in TOPIC_IDS if all(t.id != topic_id for t in topics)]
        if missing:
            raise ValueError(f"missing: {', '.join(missing)}")
        return topics

    @model_validator(mode="after")
    def _targets_fit_the_channels(self):
        minutes = {channel.id: channel.first_response_minutes for channel in self.channels}
        for index, topic in enumerate(self.topics):
            for name in ("resolution_by_channel", "first_response_by_channel"):
                for channel_id in getattr(topic, name) or {}:
                    if channel_id not in minutes:
                        known = ", ".join(sorted(minutes))
                        raise At(
                            "topics",
                            index,
                            name,
                            channel_id,
                            problem=f"unknown channel (channels: {known})",
                        )
            for channel_id, channel_first in minutes.items():
                first = (topic.first_response_by_channel or {}).get(channel_id, channel_first)
                resolution = (topic.resolution_by_channel or {}).get(channel_id, topic.resolution)
                if resolution < first:
                    raise At(
                        "topics",
                        index,
                        "resolution_by_channel",
                        channel_id,
                        problem=f"resolution in {resolution} min on {channel_id} is shorter "
                        f"than its first response in {first} min: set a longer one",
                    )
        return self


def _once(items: Sequence[_Channel | _Topic | _VipLevel]) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.id in seen:
            raise At(index, problem="listed twice")
        seen.add(item.id)


def _hours(tz: ZoneInfo, hours: _OpenHours | None) -> Hours:
    return Hours(tz=tz) if hours is None else Hours(tz=tz, opens=hours.opens, closes=hours.closes)


def parse(data) -> SupportConfig:
    """Check the parsed YAML document and build the configuration from it."""
    try:
        checked = _SupportFile.model_validate(data)
    except ValidationError as error:
        found = [(issue.key, issue.problem) for issue in issues(error, _SupportFile, data)]
        raise SupportConfigError(*found[0], others=found[1:]) from None
    tz, office = checked.timezone, checked.business_hours
    return SupportConfig(
        timezone=tz,
        business_hours=Hours(
            tz=tz,
            opens=office.opens,
            closes=office.closes,
            weekdays=frozenset(WEEKDAYS.index(day) for day in office.days),
            holidays=frozenset(office.holidays or ()),
        ),
        channels=tuple(
            Channel(hours=_hours(tz, channel.hours), **channel.model_dump(exclude={"hours"}))
            for channel in checked.channels
        ),
        topics=tuple(
            Topic(
                id=topic.id,
                complexity=topic.complexity,
                needs_transaction=topic.needs_transaction,
                resolution_minutes=topic.resolution,
                resolution_by_channel=MappingProxyType(dict(topic.resolution_by_channel or {})),
                first_response_by_channel=MappingProxyType(
                    dict(topic.first_response_by_channel or {})
                ),
                categories=tuple(topic.categories or ()),
                articles=tuple(topic.articles or ()),
            )
            for topic in checked.topics
        ),
        escalation=Escalation(**checked.escalation.model_dump()),
        vip=tuple(
            VipLevel(
                id=level.id,
                first_response_minutes=level.first_response_minutes,
                resolution_minutes=level.resolution,
            )
            for level in (checked.vip.levels if checked.vip else ())
        ),
    )


@cache
def _load(path: Path) -> SupportConfig:
    return load_file(path, parse, SupportConfigError, "support file")


def load(path: str | Path = SUPPORT_FILE) -> SupportConfig:
    """The checked configuration in `path`, read once per process."""
    return _load(Path(path).resolve())


def current() -> SupportConfig:
    """The app's support configuration: SUPPORT_FILE, or the shipped support.yml."""
    path = current_app.config.get("SUPPORT_FILE") if has_app_context() else None
    return load(path or SUPPORT_FILE)


def channels() -> tuple[Channel, ...]:
    """The support channels, in the order the site shows them."""
    return current().channels


def main(argv: list[str]) -> int:
    path = argv[0] if argv else SUPPORT_FILE
    try:
        config = load(path)
    except SupportConfigError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{path}: {len(config.channels)} channels, {len(config.topics)} topics, OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
