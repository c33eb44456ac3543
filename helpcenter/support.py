"""Support configuration from support.yml: channels and their hours, topics, SLA targets.

`load(path)` reads and checks a file once per process; `current()` is the file the app is
configured with (SUPPORT_FILE) or the shipped one. Any mistake in the file raises
`SupportConfigError` naming the key. Check a file with `python -m helpcenter.support PATH`.

Times in the file are local to its `timezone`; every datetime given to or returned by this
module is timezone-aware.
"""

import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from flask import current_app, has_app_context

from helpcenter.vocabulary import SLUG_URL_PATTERN

SUPPORT_FILE = Path(__file__).with_name("support.yml")

CHANNEL_IDS = ("chat", "email", "phone", "telegram", "whatsapp")
CONTACTS = ("none", "email", "phone", "telegram")
TOPIC_IDS = (
    "payments",
    "account",
    "verification",
    "bonuses",
    "technical",
    "responsible-gaming",
    "complaint",
)
COMPLEXITIES = ("simple", "complex")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)


class SupportConfigError(ValueError):
    """The support file is missing, unreadable or wrong; `key` names the offending key."""

    def __init__(self, key: str, problem: str, file: Path | str | None = None):
        self.key = key
        self.problem = problem
        where = f"{file}: " if file else ""
        super().__init__(f"{where}{key}: {problem}" if key else f"{where}{problem}")


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


@dataclass(frozen=True)
class SupportConfig:
    timezone: ZoneInfo
    business_hours: Hours
    channels: tuple[Channel, ...]
    topics: tuple[Topic, ...]  # in the contact form's order
    escalation: Escalation

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


# --- loading and checking ------------------------------------------------------------------------

_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_SLUG = re.compile(SLUG_URL_PATTERN)
_DURATION = re.compile(r"([1-9]\d*)([mh])")


def _mapping(value, key: str, required: set[str], optional: set[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        raise SupportConfigError(key, "expected a mapping of keys to values")
    for name in value:
        if name not in required | optional:
            known = ", ".join(sorted(required | optional))
            raise SupportConfigError(
                f"{key}.{name}" if key else str(name), f"unknown key ({known})"
            )
    for name in sorted(required):
        if name not in value:
            raise SupportConfigError(f"{key}.{name}" if key else name, "missing")
    return value


def _list(value, key: str) -> list:
    if not isinstance(value, list) or not value:
        raise SupportConfigError(key, "expected a list with at least one item")
    return value


def _choice(value, key: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise SupportConfigError(key, f"{value!r} is not one of {', '.join(choices)}")
    return value


def _count(value, key: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SupportConfigError(key, f"expected a whole number of at least {minimum}")
    return value


def _string(value, key: str) -> str:
    if not isinstance(value, str):
        raise SupportConfigError(key, "expected text (put it in quotes)")
    return value


def _time(value, key: str, *, until: bool = False) -> time | None:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML reads an unquoted 21:00 as the number 1260.
        raise SupportConfigError(key, 'write the time in quotes, like "21:00"')
    if until and value == "24:00":
        return None
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        midnight = ' ("24:00" is midnight)' if until else ""
        raise SupportConfigError(key, f'{value!r} is not a time "HH:MM"{midnight}')
    return time.fromisoformat(value)


def _duration(value, key: str) -> int:
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise SupportConfigError(key, f'{value!r} is not a duration like "15m" or "24h"')
    number, unit = int(match[1]), match[2]
    return number * 60 if unit == "h" else number


def _date(value, key: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    # Only YYYY-MM-DD: fromisoformat also takes "20260101", which YAML reads as a number
    # when unquoted and a person may mean something else by.
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise SupportConfigError(key, f"{value!r} is not a date YYYY-MM-DD")


def _from_until(value: dict, key: str) -> tuple[time, time | None]:
    opens = _time(value["from"], f"{key}.from")
    closes = _time(value["until"], f"{key}.until", until=True)
    if closes is not None and closes <= opens:
        raise SupportConfigError(
            f"{key}.until", 'must be later than "from" (use "24:00" for midnight)'
        )
    return opens, closes


def _business_hours(value, tz: ZoneInfo) -> Hours:
    key = "business_hours"
    value = _mapping(value, key, {"days", "from", "until"}, {"holidays"})
    days = _list(value["days"], f"{key}.days")
    for day in days:
        _choice(day, f"{key}.days", WEEKDAYS)
    opens, closes = _from_until(value, key)
    holidays = value.get("holidays") or []
    if not isinstance(holidays, list):
        raise SupportConfigError(f"{key}.holidays", "expected a list of dates YYYY-MM-DD")
    return Hours(
        tz=tz,
        opens=opens,
        closes=closes,
        weekdays=frozenset(WEEKDAYS.index(day) for day in days),
        holidays=frozenset(_date(day, f"{key}.holidays") for day in holidays),
    )


def _label(section: str, value, index: int, ids: tuple[str, ...]) -> str:
    """How error messages name a list item: by its id when it has a known one."""
    item_id = value.get("id") if isinstance(value, dict) else None
    return f"{section}.{item_id}" if item_id in ids else f"{section}[{index}]"


def _channel(value, index: int, tz: ZoneInfo, seen: set[str]) -> Channel:
    fields = {"id", "hours", "first_response_minutes", "contact"}
    label = _label("channels", value, index, CHANNEL_IDS)
    value = _mapping(value, label, fields, {"address", "display"})
    channel_id = _choice(value["id"], f"{label}.id", CHANNEL_IDS)
    if channel_id in seen:
        raise SupportConfigError(f"channels.{channel_id}", "listed twice")
    seen.add(channel_id)
    key = f"channels.{channel_id}"
    hours = value["hours"]
    if hours == "24/7":
        channel_hours = Hours(tz=tz)
    else:
        if not isinstance(hours, dict):
            raise SupportConfigError(
                f"{key}.hours", 'expected "24/7" or {from: "HH:MM", until: "HH:MM"}'
            )
        opens, closes = _from_until(
            _mapping(hours, f"{key}.hours", {"from", "until"}), f"{key}.hours"
        )
        channel_hours = Hours(tz=tz, opens=opens, closes=closes)
    return Channel(
        id=channel_id,
        hours=channel_hours,
        first_response_minutes=_count(
            value["first_response_minutes"], f"{key}.first_response_minutes"
        ),
        contact=_choice(value["contact"], f"{key}.contact", CONTACTS),
        address=_string(value.get("address", ""), f"{key}.address"),
        display=_string(value.get("display", ""), f"{key}.display"),
    )


def _slugs(value, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SupportConfigError(key, "expected a list of slugs, like [deposits-withdrawals]")
    for slug in value:
        if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
            raise SupportConfigError(key, f"{slug!r} is not a slug (a-z, 0-9 and hyphens)")
    return tuple(value)


def _by_channel(value, key: str, channel_ids: set[str], parse) -> Mapping[str, int]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, dict):
        raise SupportConfigError(key, "expected a mapping of channel ids to values")
    result = {}
    for channel_id, item in value.items():
        if channel_id not in channel_ids:
            raise SupportConfigError(
                f"{key}.{channel_id}",
                f"unknown channel (channels: {', '.join(sorted(channel_ids))})",
            )
        result[channel_id] = parse(item, f"{key}.{channel_id}")
    return MappingProxyType(result)


def _topic(value, index: int, channels: tuple[Channel, ...], seen: set[str]) -> Topic:
    label = _label("topics", value, index, TOPIC_IDS)
    value = _mapping(
        value,
        label,
        {"id", "complexity", "needs_transaction", "resolution"},
        {"resolution_by_channel", "first_response_by_channel", "categories", "articles"},
    )
    topic_id = _choice(value["id"], f"{label}.id", TOPIC_IDS)
    if topic_id in seen:
        raise SupportConfigError(f"topics.{topic_id}", "listed twice")
    seen.add(topic_id)
    key = f"topics.{topic_id}"
    if not isinstance(value["needs_transaction"], bool):
        raise SupportConfigError(f"{key}.needs_transaction", "expected true or false")
    channel_ids = {channel.id for channel in channels}
    topic = Topic(
        id=topic_id,
        complexity=_choice(value["complexity"], f"{key}.complexity", COMPLEXITIES),
        needs_transaction=value["needs_transaction"],
        resolution_minutes=_duration(value["resolution"], f"{key}.resolution"),
        resolution_by_channel=_by_channel(
            value.get("resolution_by_channel"),
            f"{key}.resolution_by_channel",
            channel_ids,
            _duration,
        ),
        first_response_by_channel=_by_channel(
            value.get("first_response_by_channel"),
            f"{key}.first_response_by_channel",
            channel_ids,
            _count,
        ),
        categories=_slugs(value.get("categories"), f"{key}.categories"),
        articles=_slugs(value.get("articles"), f"{key}.articles"),
    )
    for channel in channels:
        first, resolution = topic.first_response_on(channel), topic.resolution_on(channel)
        if resolution < first:
            raise SupportConfigError(
                f"{key}.resolution_by_channel.{channel.id}",
                f"resolution in {resolution} min on {channel.id} is shorter than its first "
                f"response in {first} min: set a longer one",
            )
    return topic


def parse(data) -> SupportConfig:
    """Check the parsed YAML document and build the configuration from it."""
    data = _mapping(data, "", {"timezone", "business_hours", "channels", "topics", "escalation"})
    try:
        tz = ZoneInfo(_string(data["timezone"], "timezone"))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise SupportConfigError("timezone", f"unknown time zone {data['timezone']!r}") from error
    seen: set[str] = set()
    channels = tuple(
        _channel(item, index, tz, seen)
        for index, item in enumerate(_list(data["channels"], "channels"))
    )
    if all(not channel.is_always_open for channel in channels):
        raise SupportConfigError("channels", 'at least one channel must be open "24/7"')
    seen = set()
    topics = tuple(
        _topic(item, index, channels, seen)
        for index, item in enumerate(_list(data["topics"], "topics"))
    )
    missing = [topic_id for topic_id in TOPIC_IDS if topic_id not in seen]
    if missing:
        raise SupportConfigError("topics", f"missing: {', '.join(missing)}")
    escalation = _mapping(
        data["escalation"],
        "escalation",
        {"investigation_after_minutes", "investigation_resolution_business_days"},
    )
    return SupportConfig(
        timezone=tz,
        business_hours=_business_hours(data["business_hours"], tz),
        channels=channels,
        topics=topics,
        escalation=Escalation(
            investigation_after_minutes=_count(
                escalation["investigation_after_minutes"],
                "escalation.investigation_after_minutes",
            ),
            investigation_resolution_business_days=_count(
                escalation["investigation_resolution_business_days"],
                "escalation.investigation_resolution_business_days",
            ),
        ),
    )


@cache
def _load(path: Path) -> SupportConfig:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SupportConfigError("", f"cannot read the support file: {error}", path) from error
    except yaml.YAMLError as error:
        raise SupportConfigError("", f"not valid YAML: {error}", path) from error
    try:
        return parse(data)
    except SupportConfigError as error:
        raise SupportConfigError(error.key, error.problem, path) from None


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
