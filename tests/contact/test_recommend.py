"""Channel recommendation: the rule per topic and urgency, and never a closed channel."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from helpcenter import support
from helpcenter.contact.recommend import REASONS, URGENCIES, Recommendation, recommend

BAKU = ZoneInfo("Asia/Baku")
CONFIG = support.load()
NIGHT = datetime(2026, 2, 10, 3, 0, tzinfo=BAKU)  # everything but chat and email closed
NOON = datetime(2026, 2, 10, 12, 0, tzinfo=BAKU)  # everything open
LATE = datetime(2026, 2, 10, 22, 0, tzinfo=BAKU)  # phone closed, messengers open

CASES = [
    # topic, urgency, now, channel, reason
    ("account", "urgent", NIGHT, "chat", "urgent_open_now"),  # blocked account at night
    ("account", "normal", NOON, "chat", "fastest_open"),
    ("verification", "normal", NOON, "email", "documents"),  # KYC documents
    ("verification", "urgent", NIGHT, "email", "documents"),
    ("complaint", "urgent", NOON, "email", "evidence"),  # a payment dispute
    ("complaint", "low", NIGHT, "email", "evidence"),
    ("payments", "urgent", NIGHT, "chat", "urgent_open_now"),
    ("payments", "normal", NOON, "email", "transaction_proof"),
    ("payments", "low", NIGHT, "email", "transaction_proof"),
    ("responsible-gaming", "normal", NOON, "phone", "personal_talk"),
    ("responsible-gaming", "urgent", LATE, "chat", "closed_fallback"),  # phone closed
    ("responsible-gaming", "low", NIGHT, "chat", "closed_fallback"),
    ("technical", "urgent", NIGHT, "chat", "fastest_open"),
    ("technical", "low", NOON, "chat", "fastest_open"),
    ("bonuses", "urgent", NOON, "chat", "urgent_open_now"),
    ("bonuses", "normal", LATE, "telegram", "messenger"),
    ("bonuses", "low", NIGHT, "chat", "closed_fallback"),  # Telegram closed
]


@pytest.mark.parametrize(("topic", "urgency", "now", "channel", "reason"), CASES)
def test_recommendation(topic, urgency, now, channel, reason):
    assert recommend(topic, urgency, now, CONFIG) == Recommendation(CONFIG.channel(channel), reason)


def test_phone_closing_time_in_utc():
    closes = datetime(2026, 2, 10, 17, 0, tzinfo=UTC)  # 21:00 in Baku
    before = recommend("responsible-gaming", "normal", closes - timedelta(minutes=1), CONFIG)
    assert before.channel.id == "phone"
    assert recommend("responsible-gaming", "normal", closes, CONFIG).channel.id == "chat"


def test_never_a_closed_channel():
    start = datetime(2026, 2, 14, 0, 0, tzinfo=BAKU)
    for quarter in range(4 * 24):
        now = start + timedelta(minutes=15 * quarter)
        for topic in support.TOPIC_IDS:
            for urgency in URGENCIES:
                result = recommend(topic, urgency, now, CONFIG)
                assert result.channel.is_open(now), (topic, urgency, now)
                assert result.reason in REASONS


def _config_without_chat(tmp_path):
    data = yaml.safe_load(support.SUPPORT_FILE.read_text(encoding="utf-8"))
    data["channels"] = [c for c in data["channels"] if c["id"] != "chat"]
    path = tmp_path / "support.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return support.load(path)


def test_fallback_follows_the_preference_order(tmp_path):
    config = _config_without_chat(tmp_path)
    late = recommend("responsible-gaming", "normal", LATE, config)
    assert (late.channel.id, late.reason) == ("whatsapp", "closed_fallback")
    night = recommend("account", "urgent", NIGHT, config)
    assert (night.channel.id, night.reason) == ("email", "closed_fallback")


def test_bad_input():
    with pytest.raises(KeyError):
        recommend("jackpots", "urgent", NOON, CONFIG)
    with pytest.raises(ValueError, match="urgency"):
        recommend("account", "asap", NOON, CONFIG)
    with pytest.raises(ValueError, match="naive"):
        recommend("account", "urgent", datetime(2026, 2, 10, 12), CONFIG)


def test_reasons_are_short_translatable_sentences():
    assert set(REASONS) == {
        "documents",
        "evidence",
        "transaction_proof",
        "urgent_open_now",
        "fastest_open",
        "personal_talk",
        "messenger",
        "closed_fallback",
    }
    for code, sentence in REASONS.items():
        text = str(sentence)
        assert type(sentence).__name__ == "LazyString", code
        assert "\n" not in text and len(text) <= 90 and text.endswith("."), code
    result = recommend("verification", "normal", NOON, CONFIG)
    assert str(result.text) == str(REASONS["documents"])
