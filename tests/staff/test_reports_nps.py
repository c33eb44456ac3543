"""NPS in the supervisors' report: % promoters (9-10) minus % detractors (0-6), with the number
of answers, for the period, per topic and per channel; no answers read "no answers yet"."""

import re
from datetime import timedelta

import pytest

from helpcenter.db import utcnow
from helpcenter.staff import reports
from helpcenter.tickets import services, states

STAFF = services.Actor(states.STAFF, "Aysel", "supervisor")

# (topic, channel, answer): 3 promoters, 1 passive, 2 detractors -> NPS 17 of 6 answers.
# Payments 10, 9, 7 -> 67; account 9, 3, 0 -> -33. Email 10, 9, 3 -> 33; chat 7, 9, 0 -> 0.
ANSWERS = [
    ("payments", "email", 10),
    ("payments", "email", 9),
    ("payments", "chat", 7),
    ("account", "chat", 9),
    ("account", "email", 3),
    ("account", "chat", 0),
]


def _resolved(topic: str, channel: str, at):
    new = services.NewTicket(
        topic=topic,
        subject="Help please",
        description="Something went wrong with my account or my money.",
        email="player@example.com",
        language="en",
        channel=channel,
        transaction_id="TX-1" if topic == "payments" else "",
    )
    ticket = services.file_ticket(new, now=at).ticket
    services.resolve(ticket, STAFF, "Done.", now=at + timedelta(hours=1))
    return ticket


@pytest.fixture
def answered(app):
    now = utcnow()
    with app.app_context():
        at = now - timedelta(days=2)
        for topic, channel, score in ANSWERS:
            services.recommend(_resolved(topic, channel, at), score, now=at + timedelta(hours=2))
        # Rated but not asked: no NPS answer.
        services.rate(_resolved("bonuses", "email", at), 5, now=at + timedelta(hours=2))
        # Outside the 7 days: counts only over 30.
        old = now - timedelta(days=10)
        services.recommend(_resolved("bonuses", "email", old), 0, now=old + timedelta(hours=2))
    return now


def test_nps_per_period_topic_and_channel(app, answered):
    with app.app_context():
        nps = reports.report(days=7, now=answered).nps
        month = reports.report(days=30, now=answered).nps
    assert (nps.overall.score, nps.overall.answers) == (17, 6)
    assert (nps.overall.promoters, nps.overall.passives, nps.overall.detractors) == (3, 1, 2)
    assert {g.code: (g.nps.score, g.nps.answers) for g in nps.by_topic} == {
        "payments": (67, 3),
        "account": (-33, 3),
    }
    assert {g.code: (g.nps.score, g.nps.answers) for g in nps.by_channel} == {
        "email": (33, 3),
        "chat": (0, 3),
    }
    # The old detractor: 3 promoters, 3 detractors of 7 answers.
    assert (month.overall.score, month.overall.answers) == (0, 7)


def test_no_answers_is_no_nps_not_zero(app):
    with app.app_context():
        nps = reports.report(days=7).nps
    assert nps.overall.score is None and nps.overall.answers == 0
    assert nps.by_topic == nps.by_channel == ()


def flat(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_the_page_shows_nps_beside_csat(answered, console):
    console.login("supervisor")
    page = flat(console.client.get("/staff/reports/"))
    assert "Rated 4 or 5: 100% (target 85%)." in page
    assert "Net Promoter Score NPS: 17 · 6 answers" in page
    assert "Payments: a deposit or a withdrawal 67 3 2 1 0" in page
    assert "Account and login -33 3 1 0 2" in page
    assert "Email 33 3 2 0 1" in page
    assert "Live chat 0 3 1 1 1" in page
    assert page.index("Rated 4 or 5") < page.index("Net Promoter Score")


def test_the_page_says_no_answers_yet(console):
    console.login("supervisor")
    page = flat(console.client.get("/staff/reports/"))
    assert "NPS: no answers yet · 0 answers" in page
    assert "NPS by topic" not in page
