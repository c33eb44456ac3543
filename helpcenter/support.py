"""Support channels and their opening hours, read from channels.yml."""

from dataclasses import dataclass
from datetime import datetime, time
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

CHANNELS_FILE = Path(__file__).with_name("channels.yml")


@dataclass(frozen=True)
class Channel:
    id: str
    opens: time | None  # None: always open
    closes: time | None  # None with opens set: until midnight
    reply_minutes: int
    address: str
    display: str
    tz: ZoneInfo

    @property
    def is_always_open(self) -> bool:
        return self.opens is None

    def is_open(self, now: datetime) -> bool:
        if self.opens is None:
            return True
        local = now.astimezone(self.tz).time()
        return self.opens <= local and (self.closes is None or local < self.closes)


def _time(value: str) -> time | None:
    return None if value == "24:00" else time.fromisoformat(value)


@cache
def channels(path: Path = CHANNELS_FILE) -> tuple[Channel, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    tz = ZoneInfo(data["timezone"])
    result = []
    for item in data["channels"]:
        hours = item["hours"]
        opens = closes = None
        if hours != "24/7":
            opens, closes = _time(hours["from"]), _time(hours["until"])
        result.append(
            Channel(
                id=item["id"],
                opens=opens,
                closes=closes,
                reply_minutes=int(item["reply_minutes"]),
                address=item.get("address", ""),
                display=item.get("display", ""),
                tz=tz,
            )
        )
    return tuple(result)
