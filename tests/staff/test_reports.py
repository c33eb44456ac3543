"""The supervisors' report: exact numbers over known tickets, the page, who may read it."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale

from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.search.models import SearchLog
from helpcenter.staff import reports
from helpcenter.staff.reports import Count, Share
from helpcenter.tickets import services, states
from helpcenter.tickets.models import Deflection
from tests.staff.conftest import StaffActions

STAFF = services.Actor(states.STAFF, "Aysel", "supervisor")
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Known:
    now: datetime
    refs: dict[str, str]


def _file(topic: str, channel: str, language: str, at: datetime):
    new = services.NewTicket(
        topic=topic,
        subject="Help please",
        description="Something went wrong with my account or my money.",
        email="player@example.com",
        language=language,
        channel=channel,
        transaction_id="TX-1" if topic == "payments" else "",
    )
    return services.file_ticket(new, now=at).ticket


@pytest.fixture
def known(app) -> Known:
    """Six tickets three days ago (all channels used answer around the clock, so every deadline
    is plain addition), one ten days ago, deflections and searches. In the order things happen:
    `run_sla` looks at every ticket."""
    now = utcnow().replace(second=0, microsecond=0)
    b = now - timedelta(days=3)
    with app.app_context():
        # Outside the 7 days: answered and resolved in time, closed by the first SLA run below.
        t0 = _file("technical", "chat", "ru", now - timedelta(days=10))
        services.reply(t0, STAFF, "Try again now.", now=t0.created_at + 3 * MIN)
        services.resolve(t0, STAFF, "Fixed.", now=t0.created_at + 10 * MIN)
        # Email: answered in 1 h (due 2 h), resolved in 5 h (due 48 h), rated 5 with a comment.
        t1 = _file("payments", "email", "en", b)
        # Chat: answered after 30 min (due 5 min), the player writes again, resolved late.
        t2 = _file("account", "chat", "az", b + 10 * MIN)
        services.reply(t2, STAFF, "Which browser?", now=b + 40 * MIN)
        services.player_reply(t2, "Firefox.", now=b + 50 * MIN)
        services.reply(t1, STAFF, "We are checking.", now=b + HOUR)
        # Chat, unanswered: the SLA run moves it to a supervisor, then to the investigation team.
        t3 = _file("payments", "chat", "ru", b + HOUR)
        services.run_sla(now=b + HOUR + 6 * MIN)
        t4 = _file("bonuses", "email", "en", b + 2 * HOUR)
        services.run_sla(now=b + 2 * HOUR + 7 * MIN)
        services.resolve(t2, STAFF, "Cleared the cache.", now=b + 2 * HOUR + 10 * MIN)
        # Escalated by hand, answered after 45 min (due 2 h), resolved in 2.5 h (due 4 h).
        services.escalate(t4, STAFF, "Bonus rules", now=b + 2 * HOUR + 30 * MIN)
        services.reply(t4, STAFF, "Looking into it.", now=b + 2 * HOUR + 45 * MIN)
        services.reply(t3, STAFF, "The investigation team has it.", now=b + 3 * HOUR)
        services.rate(t2, 4, now=b + 3 * HOUR)
        services.resolve(t4, STAFF, "Bonus credited.", now=b + 4 * HOUR + 30 * MIN)
        services.resolve(t1, STAFF, "Paid out.", now=b + 5 * HOUR)
        services.rate(t4, 2, "Took too long", now=b + 5 * HOUR)
        services.rate(t1, 5, "Quick and clear", now=b + 6 * HOUR)
        # Email: answered in 20 min, resolved, reopened, resolved again 3 h after filing (due 4 h).
        t5 = _file("account", "email", "az", b + 5 * HOUR)
        services.reply(t5, STAFF, "Reset link sent.", now=b + 5 * HOUR + 20 * MIN)
        services.resolve(t5, STAFF, "Done.", now=b + 6 * HOUR)
        services.reopen(t5, "The link does not work.", now=b + 7 * HOUR)
        services.resolve(t5, STAFF, "New link sent.", now=b + 8 * HOUR)
        # Email, 3 h old: its first answer was due an hour ago.
        t6 = _file("payments", "email", "en", now - 3 * HOUR)
        refs = {f"t{i}": t.reference for i, t in enumerate((t0, t1, t2, t3, t4, t5, t6))}
        db.session.add_all(
            [
                Deflection(article_slug="reset-password", language="en", created_at=now - HOUR),
                Deflection(article_slug="reset-password", language="az", created_at=now - HOUR),
                Deflection(article_slug="account-locked", language="ru", created_at=b),
                Deflection(
                    article_slug="bonus-terms", language="en", created_at=now - timedelta(days=20)
                ),
                SearchLog(query="withdrawal", lang="en", result_count=4, opened_slug="w"),
                SearchLog(query="withdrawal", lang="en", result_count=4),
                SearchLog(query="bonus xyz", lang="az", result_count=0),
            ]
        )
        db.session.commit()
    return Known(now, refs)


def test_report_over_seven_days(app, known):
    with app.app_context():
        report = reports.report(days=7, now=known.now)
    assert report.since == known.now - timedelta(days=7) and report.tickets == 6
    assert report.by_topic == (Count("payments", 3), Count("account", 2), Count("bonuses", 1))
    assert report.by_channel == (Count("email", 4), Count("chat", 2))
    assert report.by_language == (Count("en", 3), Count("az", 2), Count("ru", 1))
    assert report.by_state == (
        Count("resolved", 4),
        Count("in_progress", 1),
        Count("received", 1),
    )
    # First responses 20, 30, 45, 60, 120 min; resolutions 2 h, 2.5 h, 3 h, 5 h.
    assert report.first_response == reports.Times(5, 45 * MIN, 2 * HOUR)
    assert report.resolution == reports.Times(4, 2 * HOUR + 30 * MIN, 5 * HOUR)
    # t6 counts (its deadline passed unanswered); t3's resolution deadline moved 5 business days.
    assert report.first_response_on_time == Share(3, 6)
    assert report.resolution_on_time == Share(3, 4)
    assert report.reached_supervisor == Share(2, 6)
    assert report.reached_investigation == Share(1, 6)
    satisfaction = report.satisfaction
    assert satisfaction.satisfied == Share(2, 3) and satisfaction.is_met is False
    assert [(c.reference, c.score, c.text) for c in satisfaction.comments] == [
        (known.refs["t1"], 5, "Quick and clear"),
        (known.refs["t4"], 2, "Took too long"),
    ]
    assert satisfaction.comments[0].rated_at == known.now - timedelta(days=3) + 6 * HOUR
    # Only t1: t2 the player wrote again, t4 was escalated, t5 reopened.
    assert report.first_contact_resolution == Share(1, 4)
    assert report.deflections == 3
    assert report.top_articles == (Count("reset-password", 2), Count("account-locked", 1))
    assert [(q.query, q.searches, q.opened) for q in report.top_queries] == [
        ("withdrawal", 2, 1),
        ("bonus xyz", 1, 0),
    ]
    assert [q.query for q in report.zero_result_queries] == ["bonus xyz"]


def test_report_over_thirty_days_takes_in_the_old_ticket(app, known):
    with app.app_context():
        report = reports.report(days=30, now=known.now)
    assert report.tickets == 7
    assert Count("technical", 1) in report.by_topic
    assert Count("closed", 1) in report.by_state
    assert report.by_channel == (Count("email", 4), Count("chat", 3))
    assert report.first_response == reports.Times(6, 30 * MIN, 2 * HOUR)
    assert report.resolution == reports.Times(5, 2 * HOUR + 30 * MIN, 5 * HOUR)
    assert report.first_response_on_time == Share(4, 7)
    assert report.resolution_on_time == Share(4, 5)
    assert report.first_contact_resolution == Share(2, 5)
    assert report.deflections == 4


def test_report_of_an_empty_period(app):
    with app.app_context():
        report = reports.report(days=7)
    assert report.tickets == 0 and report.by_topic == ()
    assert report.first_response == reports.Times(0, None, None)
    assert report.first_response_on_time == Share(0, 0)
    assert report.first_response_on_time.ratio is None
    assert report.satisfaction.is_met is None and report.satisfaction.comments == ()
    assert report.first_contact_resolution == Share(0, 0)
    assert (report.deflections, report.top_articles) == (0, ())


@pytest.mark.parametrize(
    ("minutes", "median", "p90"),
    [
        ([7], 7, 7),
        ([4, 1, 3, 2], 2, 4),
        ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 50, 90),
        (list(range(1, 12)), 6, 10),
    ],
)
def test_percentiles_are_nearest_rank(minutes, median, p90):
    values = [m * MIN for m in minutes]
    assert reports.percentile(values, 50) == median * MIN
    assert reports.percentile(values, 90) == p90 * MIN
    assert reports.percentile([], 50) is None


def flat(response) -> str:
    """The page's text as a reader sees it: tags out, whitespace squeezed."""
    html = response.get_data(as_text=True)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def chart_texts(html: str, name: str) -> list[str]:
    svg = re.search(rf'<svg role="img" aria-labelledby="chart-{name}-title".*?</svg>', html, re.S)
    assert svg, f"no {name} chart"
    assert f'<title id="chart-{name}-title">' in svg.group(0)
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg.group(0))


def test_the_page_shows_the_numbers(known, console):
    console.login("supervisor")
    response = console.client.get("/staff/reports/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = flat(response)
    assert '<strong aria-current="page">Last 7 days</strong>' in html
    assert "6 tickets created in this period." in page
    assert chart_texts(html, "topic") == [
        "Payments: a deposit or a withdrawal",
        "3",
        "Account and login",
        "2",
        "Bonuses and promotions",
        "1",
    ]
    assert chart_texts(html, "channel") == ["Email", "4", "Live chat", "2"]
    assert chart_texts(html, "language") == ["English", "3", "Azərbaycanca", "2", "Русский", "1"]
    assert chart_texts(html, "state") == ["Resolved", "4", "In progress", "1", "New", "1"]
    for row in (
        "Payments: a deposit or a withdrawal 3",
        "Live chat 2",
        "Русский 1",
        "In progress 1",
        "First response 5 45 min 2 hr",
        "Resolution 4 2 hr 30 min 5 hr",
        "First response on time 50% 3 of 6 tickets",
        "Resolution on time 75% 3 of 4 tickets",
        "Reached a supervisor 33.3% 2 of 6 tickets",
        "Reached the investigation team 16.7% 1 of 6 tickets",
        "Rated 4 or 5: 66.7% (target 85%). Target not met",
        "2 of 3 ratings",
        f"5 of 5 Quick and clear {known.refs['t1']}",
        f"2 of 5 Took too long {known.refs['t4']}",
        "25%: 1 of 4 resolved tickets",
        "3 players said an article solved the problem.",
        "reset-password 2 account-locked 1",
        "withdrawal English 2 4 1 bonus xyz Azərbaycanca 1 0 0",
    ):
        assert row in page, row
    assert page.index("Quick and clear") < page.index("Took too long")
    assert known.refs["t0"] not in page and "technical" not in page.lower()
    assert f'href="/staff/tickets/{known.refs["t1"]}"' in html
    assert '<a href="/staff/reports/" aria-current="page">Reports</a>' in html


def test_thirty_days_take_in_the_old_ticket_and_seven_do_not(known, console):
    console.login("admin")
    month = flat(console.client.get("/staff/reports/?days=30"))
    week = flat(console.client.get("/staff/reports/?days=7"))
    assert "7 tickets created in this period." in month and "Last 30 days" in month
    assert "A technical problem with a game or the site 1" in month and "Closed 1" in month
    assert "6 tickets created in this period." in week
    assert "A technical problem with a game or the site" not in week
    assert "4 players said an article solved the problem." in month


@pytest.mark.parametrize("days", ["abc", "14", "-7", "", "30.5", "7" * 30])
def test_any_other_period_is_seven_days(known, console, days):
    console.login("supervisor")
    response = console.client.get(f"/staff/reports/?days={days}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<strong aria-current="page">Last 7 days</strong>' in html
    assert "6 tickets created in this period." in flat(response)


def test_an_empty_period_reads_no_data(console):
    console.login("supervisor")
    response = console.client.get("/staff/reports/")
    assert response.status_code == 200
    page = flat(response)
    assert "0 tickets created in this period." in page
    assert "No data: no tickets were created in this period." in page
    assert "First response 0 no data no data" in page
    assert "First response on time no data 0 of 0 tickets" in page
    assert "No data: no ratings for the tickets of this period." in page
    assert "No data: no ticket of this period is resolved." in page
    assert "<svg" not in response.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["az", "ru"])
def test_the_page_renders_in_every_language(app, known, accounts, lang):
    console = StaffActions(app.test_client(), lang=lang)
    console.login("supervisor")
    response = console.client.get("/staff/reports/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert html.count('<svg role="img"') == 4


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("operator", 403),
        ("investigator", 403),
        ("editor", 403),
        ("supervisor", 200),
        ("admin", 200),
    ],
)
def test_only_supervisors_and_admins_read_reports(console, role, status):
    console.login(role)
    response = console.client.get("/staff/reports/")
    assert response.status_code == status
    assert response.headers["Cache-Control"] == "no-store"


def test_signing_in_comes_first(client):
    response = client.get("/staff/reports/?days=30")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")


@pytest.mark.parametrize(
    ("lang", "ratio", "shown"),
    [
        ("en", 11 / 13, "84.6%"),
        ("en", 0.85, "85%"),
        ("ru", 11 / 13, "84,6\xa0%"),
        ("az", 0.5, "50%"),
    ],
)
def test_a_share_below_its_target_never_reads_as_the_target(app, lang, ratio, shown):
    # 11 good ratings of 13 are 84.6 %: shown as "85 %" next to "target 85 %: not met" before.
    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        assert app.jinja_env.filters["share"](ratio) == shown


# --- live chat ------------------------------------------------------------------------------------

CHAT_QUESTION = "Как пройти верификацию? Какие документы нужны?"  # the bot finds articles
CHAT_GREETING = "Здравствуйте"  # the bot finds none: straight to the queue
SEC = timedelta(seconds=1)


@pytest.fixture
def chats(loaded) -> datetime:
    """Five chats two days ago: two settled by the bot, one handed over by the player and
    answered in 1 min, one queued and answered 6 min later (after its 5 min), one abandoned in
    the queue. Returns `now`."""
    from helpcenter.chat import services as chat
    from helpcenter.staff import services as staff

    now = utcnow().replace(second=0, microsecond=0)
    b = now - timedelta(days=2)
    with loaded.test_request_context():
        aysel = staff.create_staff(
            email="aysel.chat@casino.example", role="operator", password="pw-" * 4, name="Aysel"
        )

        def start(text: str, at: datetime):
            chat.set_presence(member=aysel, status="available", now=at)
            return chat.start_chat(language="ru", topic="verification", message=text, now=at).ticket

        by_bot = start(CHAT_QUESTION, b)
        chat.bot_resolved(ticket=by_bot, now=b + MIN)
        handed = start(CHAT_QUESTION, b + 2 * MIN)
        chat.handoff(ticket=handed, now=b + 3 * MIN)
        chat.accept(member=aysel, ticket=handed, now=b + 3 * MIN + 30 * SEC)
        chat.staff_message(member=aysel, ticket=handed, text="Здравствуйте!", now=b + 4 * MIN)
        chat.end_chat(member=aysel, ticket=handed, now=b + 8 * MIN)
        late = start(CHAT_GREETING, b + 10 * MIN)
        chat.accept(member=aysel, ticket=late, now=b + 14 * MIN)
        chat.staff_message(member=aysel, ticket=late, text="Слушаю вас.", now=b + 16 * MIN)
        start(CHAT_GREETING, b + 20 * MIN)  # the player leaves: nobody sees them again
        assert chat.abandon_idle(b + 31 * MIN) == 1
        also_by_bot = start(CHAT_QUESTION, b + 40 * MIN)
        chat.bot_resolved(ticket=also_by_bot, now=b + 41 * MIN)
    return now


def test_the_live_chat_numbers(app, chats):
    with app.app_context():
        stats = reports.report(days=7, now=chats).chats
    assert stats.started == 5
    assert stats.by_bot == Share(2, 5) and stats.bot_target == 0.40 and stats.bot_target_met
    assert stats.to_person == Share(3, 5)
    # Accepted 30 s and 4 min after the player asked for a person; the abandoned one never was.
    assert stats.wait == reports.Times(2, 30 * SEC, 4 * MIN)
    assert stats.abandoned == Share(1, 5)
    # Answered 1 min and 6 min after asking (due 5 min); the abandoned one's deadline passed.
    assert stats.answered_on_time == Share(1, 3) and stats.first_response_minutes == 5


def test_the_page_shows_the_live_chat_numbers(chats, console):
    console.login("supervisor")
    response = console.client.get("/staff/reports/")
    html = response.get_data(as_text=True)
    page = flat(response)
    for row in (
        "5 chats started in this period.",
        "Settled by the answer bot: 40% (benchmark 40%). Benchmark reached",
        "Settled by the answer bot 40% 2 of 5 chats",
        "Handed to a person 60% 3 of 5 chats",
        "Abandoned before an answer 20% 1 of 5 chats",
        "First answer within 5 minutes 33.3% 1 of 3 chats",
        "Wait for an operator 2 30 sec 4 min",
    ):
        assert row in page, row
    for label in ("Live chats", "Waiting time for a person"):
        assert f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">' in html
        assert f'<caption class="visually-hidden">{label}</caption>' in html


def test_no_chats_read_no_data(console):
    console.login("supervisor")
    page = flat(console.client.get("/staff/reports/"))
    assert "0 chats started in this period." in page
    assert "No data: no chats were started in this period." in page
