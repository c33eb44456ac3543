"""support.yml: the shipped file, loading, the app's file and the checks on an edited file."""

from datetime import date, datetime, time
from pathlib import Path

import pytest
import yaml
from flask import Flask

from helpcenter import support
from helpcenter.support import SupportConfigError


def _shipped() -> dict:
    return yaml.safe_load(support.SUPPORT_FILE.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict, name: str = "support.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _item(items: list[dict], item_id: str) -> dict:
    return next(item for item in items if item["id"] == item_id)


def test_shipped_channels():
    config = support.load()
    assert [c.id for c in config.channels] == ["chat", "email", "phone", "telegram", "whatsapp"]
    assert {c.id: c.first_response_minutes for c in config.channels} == {
        "chat": 5,
        "email": 120,
        "phone": 15,
        "telegram": 30,
        "whatsapp": 30,
    }
    assert {c.id: c.contact for c in config.channels} == {
        "chat": "none",
        "email": "email",
        "phone": "phone",
        "telegram": "telegram",
        "whatsapp": "phone",
    }
    hours = {c.id: (c.is_always_open, c.opens, c.closes) for c in config.channels}
    assert hours == {
        "chat": (True, None, None),
        "email": (True, None, None),
        "phone": (False, time(9), time(21)),
        "telegram": (False, time(9), None),
        "whatsapp": (False, time(9), None),
    }
    phone = config.channel("phone")
    assert phone.address == "tel:+994120000000" and phone.display == "+994 12 000 00 00"
    assert str(phone.tz) == "Asia/Baku"


def test_shipped_topics_escalation_and_business_hours():
    config = support.load()
    assert [t.id for t in config.topics] == list(support.TOPIC_IDS)
    assert {t.id for t in config.topics if t.needs_transaction} == {"payments", "complaint"}
    assert {t.id for t in config.topics if t.is_complex} == {
        "payments",
        "verification",
        "responsible-gaming",
        "complaint",
    }
    resolutions = {t.id: t.resolution_minutes for t in config.topics}
    assert resolutions["payments"] == 24 * 60
    assert resolutions["verification"] == 48 * 60
    assert resolutions["complaint"] == 72 * 60
    for topic in config.topics:
        if topic.is_complex:
            assert 24 * 60 <= topic.resolution_minutes <= 72 * 60, topic.id
        else:
            assert topic.resolution_minutes == 15, topic.id
    email = config.channel("email")
    assert config.topic("payments").resolution_on(email) > config.topic("payments").resolution_on(
        config.channel("chat")
    )
    assert config.topic("responsible-gaming").first_response_on(email) == 30
    assert config.topic("technical").first_response_on(email) == 120
    assert config.escalation == support.Escalation(60, 5)
    office = config.business_hours
    assert (office.opens, office.closes, office.weekdays) == (time(9), time(18), {0, 1, 2, 3, 4})
    assert {date(2026, 1, 1), date(2026, 5, 28), date(2027, 12, 31)} <= office.holidays


def test_load_is_cached_per_file(tmp_path):
    assert support.load() is support.load(str(support.SUPPORT_FILE))
    path = _write(tmp_path, _shipped())
    assert support.load(path) is support.load(str(path))
    assert support.load(path) is not support.load()
    assert support.load(path) == support.load()


def test_current_is_the_apps_file_or_the_shipped_one(tmp_path):
    data = _shipped()
    _item(data["channels"], "chat")["first_response_minutes"] = 1
    path = _write(tmp_path, data)
    assert support.current() is support.load()
    app = Flask(__name__)
    with app.app_context():
        assert support.current() is support.load()
        app.config["SUPPORT_FILE"] = str(path)
        assert support.current() is support.load(path)
        assert support.channels()[0].first_response_minutes == 1


def test_check_command(tmp_path, capsys):
    assert support.main([]) == 0
    assert "5 channels, 7 topics, OK" in capsys.readouterr().out
    data = _shipped()
    data["colour"] = "red"
    assert support.main([str(_write(tmp_path, data))]) == 1
    assert "colour: unknown key" in capsys.readouterr().err


def _drop(items: list[dict], item_id: str) -> None:
    items.remove(_item(items, item_id))


def _set(section: str, item_id: str, key: str, value):
    def change(data):
        _item(data[section], item_id)[key] = value

    return change


def _hours(channel_id: str, **hours):
    return _set("channels", channel_id, "hours", hours)


BAD = {
    "unknown top-level key": (lambda d: d.update(colour="red"), "colour", "unknown key"),
    "missing section": (lambda d: d.pop("escalation"), "escalation", "missing"),
    "unknown timezone": (lambda d: d.update(timezone="Asia/Nowhere"), "timezone", "unknown"),
    "unknown channel key": (
        _set("channels", "phone", "reply_minutes", 5),
        "channels.phone.reply_minutes",
        "unknown key",
    ),
    "unknown channel id": (
        _set("channels", "phone", "id", "fax"),
        "channels[2].id",
        "'fax' is not one of",
    ),
    "channel twice": (
        lambda d: d["channels"].append(dict(d["channels"][0])),
        "channels.chat",
        "listed twice",
    ),
    "hour out of range": (_hours("phone", **{"from": "25:00", "until": "21:00"}), "from", "HH:MM"),
    "time not HH:MM": (_hours("phone", **{"from": "9am", "until": "21:00"}), "from", "HH:MM"),
    "unquoted time": (_hours("phone", **{"from": "09:00", "until": 1260}), "until", "quotes"),
    "24:00 as opening": (_hours("phone", **{"from": "24:00", "until": "24:00"}), "from", "HH:MM"),
    "closes before it opens": (
        _hours("phone", **{"from": "21:00", "until": "09:00"}),
        "channels.phone.hours.until",
        "later",
    ),
    "hours key": (_hours("phone", start="09:00", until="21:00"), "hours.start", "unknown key"),
    "hours text": (
        _set("channels", "chat", "hours", "always"),
        "channels.chat.hours",
        "24/7",
    ),
    "bad contact": (
        _set("channels", "telegram", "contact", "username"),
        "channels.telegram.contact",
        "not one of",
    ),
    "zero minutes": (
        _set("channels", "chat", "first_response_minutes", 0),
        "channels.chat.first_response_minutes",
        "at least 1",
    ),
    "no 24/7 channel": (
        lambda d: [
            _item(d["channels"], i).update(hours={"from": "09:00", "until": "24:00"})
            for i in ("chat", "email")
        ],
        "channels",
        "24/7",
    ),
    "missing topic": (
        lambda d: _drop(d["topics"], "complaint"),
        "topics",
        "missing: complaint",
    ),
    "unknown topic": (
        _set("topics", "bonuses", "id", "jackpots"),
        "topics[3].id",
        "'jackpots' is not one of",
    ),
    "unknown topic key": (
        _set("topics", "bonuses", "priority", "high"),
        "topics.bonuses.priority",
        "unknown key",
    ),
    "bad complexity": (
        _set("topics", "bonuses", "complexity", "hard"),
        "topics.bonuses.complexity",
        "not one of",
    ),
    "needs_transaction text": (
        _set("topics", "payments", "needs_transaction", "yes"),
        "topics.payments.needs_transaction",
        "true or false",
    ),
    "duration in days": (
        _set("topics", "complaint", "resolution", "3d"),
        "topics.complaint.resolution",
        "duration",
    ),
    "unknown channel in resolution override": (
        _set("topics", "payments", "resolution_by_channel", {"fax": "48h"}),
        "topics.payments.resolution_by_channel.fax",
        "unknown channel",
    ),
    "unknown channel in first response override": (
        _set("topics", "payments", "first_response_by_channel", {"sms": 10}),
        "topics.payments.first_response_by_channel.sms",
        "unknown channel",
    ),
    "override of a channel not in the file": (
        lambda d: _drop(d["channels"], "telegram"),
        "topics.account.resolution_by_channel.telegram",
        "unknown channel",
    ),
    "resolution before first response": (
        _set("topics", "account", "resolution_by_channel", {}),
        "topics.account.resolution_by_channel.email",
        "shorter than its first response",
    ),
    "business day name": (
        lambda d: d["business_hours"].update(days=["monday"]),
        "business_hours.days",
        "not one of",
    ),
    "no business days": (
        lambda d: d["business_hours"].update(days=[]),
        "business_hours.days",
        "at least one",
    ),
    "business hours time": (
        lambda d: d["business_hours"].update(until="18.00"),
        "business_hours.until",
        "HH:MM",
    ),
    "holiday not a date": (
        lambda d: d["business_hours"]["holidays"].append("2026-02-30"),
        "business_hours.holidays",
        "YYYY-MM-DD",
    ),
    # YAML reads an unquoted 20260101 as a number, not as a date.
    "holiday unquoted number": (
        lambda d: d["business_hours"]["holidays"].append(20260101),
        "business_hours.holidays",
        "YYYY-MM-DD",
    ),
    "holiday without dashes": (
        lambda d: d["business_hours"]["holidays"].append("20260101"),
        "business_hours.holidays",
        "YYYY-MM-DD",
    ),
    # Strict: no value is converted into what its key expects.
    "minutes as text": (
        _set("channels", "chat", "first_response_minutes", "5"),
        "channels.chat.first_response_minutes",
        "whole number",
    ),
    "minutes as true": (
        _set("channels", "chat", "first_response_minutes", True),
        "channels.chat.first_response_minutes",
        "whole number",
    ),
    "minutes as a fraction": (
        _set("topics", "responsible-gaming", "first_response_by_channel", {"email": 30.5}),
        "topics.responsible-gaming.first_response_by_channel.email",
        "whole number",
    ),
    "address as a number": (
        _set("channels", "phone", "address", 994120000000),
        "channels.phone.address",
        "quotes",
    ),
    "needs_transaction as 1": (
        _set("topics", "payments", "needs_transaction", 1),
        "topics.payments.needs_transaction",
        "true or false",
    ),
    "duration as a number": (
        _set("topics", "complaint", "resolution", 72),
        "topics.complaint.resolution",
        "duration",
    ),
    "timezone as a number": (lambda d: d.update(timezone=4), "timezone", "time zone"),
    "holiday with a time": (
        lambda d: d["business_hours"]["holidays"].append(datetime(2026, 4, 1, 10, 0)),
        "business_hours.holidays",
        "YYYY-MM-DD",
    ),
    "category not a slug": (
        _set("topics", "payments", "categories", ["Deposits & Withdrawals"]),
        "topics.payments.categories",
        "not a slug",
    ),
    "business hours key": (
        lambda d: d["business_hours"].update(weekends=["sat"]),
        "business_hours.weekends",
        "unknown key (days, from, holidays, until)",
    ),
    "escalation key": (
        lambda d: d["escalation"].update(supervisor_after_minutes=30),
        "escalation.supervisor_after_minutes",
        "unknown key",
    ),
    "escalation zero": (
        lambda d: d["escalation"].update(investigation_after_minutes=0),
        "escalation.investigation_after_minutes",
        "at least 1",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_mistakes_name_their_key(tmp_path, case):
    change, key, problem = BAD[case]
    data = _shipped()
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(SupportConfigError) as raised:
        support.load(path)
    assert raised.value.key.endswith(key)
    assert problem in raised.value.problem
    assert str(raised.value).startswith(f"{path}: ")


def test_an_unquoted_holiday_is_a_date_and_an_unquoted_number_is_refused(tmp_path):
    shipped = support.SUPPORT_FILE.read_text(encoding="utf-8")
    assert "    - 2026-01-01  # New Year\n" in shipped
    path = tmp_path / "support.yml"
    path.write_text(shipped, encoding="utf-8")
    assert date(2026, 1, 1) in support.load(path).business_hours.holidays
    path = tmp_path / "number.yml"
    path.write_text(shipped.replace("- 2026-01-01  #", "- 20260101  #"), encoding="utf-8")
    with pytest.raises(SupportConfigError) as raised:
        support.load(path)
    assert (raised.value.key, raised.value.problem) == (
        "business_hours.holidays",
        "20260101 is not a date YYYY-MM-DD",
    )


def test_every_mistake_is_listed_the_first_one_named(tmp_path):
    data = _shipped()
    _item(data["channels"], "phone")["hours"] = {"start": "09:00", "until": "21:00"}
    _item(data["topics"], "bonuses")["complexity"] = "hard"
    data["escalation"]["investigation_after_minutes"] = "60"
    path = _write(tmp_path, data)
    with pytest.raises(SupportConfigError) as raised:
        support.load(path)
    assert raised.value.key == "channels.phone.hours.start"
    assert raised.value.problem == "unknown key (from, until)"
    assert str(raised.value).splitlines() == [
        f"{path}: channels.phone.hours.start: unknown key (from, until)",
        f"{path}: channels.phone.hours.from: missing",
        f"{path}: topics.bonuses.complexity: 'hard' is not one of simple, complex",
        f"{path}: escalation.investigation_after_minutes: expected a whole number, not '60'",
    ]


def test_quoted_dates_and_empty_overrides_are_accepted(tmp_path):
    data = _shipped()
    data["business_hours"]["holidays"] = ["2026-04-01"]
    _item(data["topics"], "complaint")["resolution_by_channel"] = None
    config = support.load(_write(tmp_path, data))
    assert config.business_hours.holidays == {date(2026, 4, 1)}
    assert dict(config.topic("complaint").resolution_by_channel) == {}


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(SupportConfigError, match="cannot read"):
        support.load(tmp_path / "absent.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("channels: [\n", encoding="utf-8")
    with pytest.raises(SupportConfigError, match="not valid YAML"):
        support.load(broken)
    listed = tmp_path / "list.yml"
    listed.write_text("- chat\n", encoding="utf-8")
    with pytest.raises(SupportConfigError, match="expected a mapping"):
        support.load(listed)


def test_unknown_ids_raise_key_error():
    config = support.load()
    with pytest.raises(KeyError):
        config.channel("fax")
    with pytest.raises(KeyError):
        config.topic("jackpots")


# --- VIP levels ----------------------------------------------------------------------------------


def test_shipped_vip_levels_highest_first():
    config = support.load()
    assert config.vip_levels == ("platinum", "gold", "silver")
    assert config.vip_level("gold") == support.VipLevel("gold", 5, 720)
    assert config.vip_level("diamond") is None and config.vip_level(None) is None
    assert [config.vip_rank(level) for level in ("platinum", "gold", "silver")] == [0, 1, 2]
    assert config.vip_rank(None) == config.vip_rank("diamond") == 3  # ordinary


def _vip(change):
    def apply(data):
        change(data["vip"]["levels"])

    return apply


BAD_VIP = {
    "level listed twice": (
        _vip(lambda levels: levels.append(dict(levels[0]))),
        "vip.levels.platinum",
        "listed twice",
    ),
    "level without targets": (
        _vip(lambda levels: levels[1].pop("resolution")),
        "vip.levels.gold.resolution",
        "missing",
    ),
    "bad duration": (
        _vip(lambda levels: levels[1].update(resolution="4 hours")),
        "vip.levels.gold.resolution",
        "is not a duration",
    ),
    "zero minutes": (
        _vip(lambda levels: levels[1].update(first_response_minutes=0)),
        "vip.levels.gold.first_response_minutes",
        "at least 1",
    ),
    "resolution before the first response": (
        _vip(lambda levels: levels[1].update(first_response_minutes=800)),
        "vip.levels.gold.resolution",
        "shorter than the first response",
    ),
    "id not a slug": (
        _vip(lambda levels: levels[1].update(id="Gold VIP")),
        "vip.levels[1].id",
        "not a slug",
    ),
    "unknown key": (
        _vip(lambda levels: levels[1].update(colour="gold")),
        "vip.levels.gold.colour",
        "unknown key",
    ),
    "no levels": (lambda d: d["vip"].update(levels=[]), "vip.levels", "at least one item"),
    "old list of names": (
        lambda d: d["vip"].update(levels=["silver", "gold"]),
        "vip.levels[0]",
        "expected a mapping",
    ),
}


@pytest.mark.parametrize("case", BAD_VIP)
def test_vip_mistakes_name_their_key(tmp_path, case):
    change, key, problem = BAD_VIP[case]
    data = _shipped()
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(SupportConfigError) as raised:
        support.load(path)
    assert raised.value.key == key
    assert problem in raised.value.problem


def test_without_vip_section_nobody_is_vip(tmp_path):
    data = _shipped()
    del data["vip"]
    config = support.load(_write(tmp_path, data))
    assert config.vip_levels == () and config.vip_rank("gold") == 0
