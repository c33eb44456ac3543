"""VIP priority in the staff console: first in the queue, escalated on the level's own targets,
a badge, the level set or cleared by supervisors and admins (audited), and the reports split by
level."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.staff import reports
from helpcenter.staff.models import AuditEntry
from helpcenter.tickets import services, states
from helpcenter.tickets.models import Ticket, TicketEvent
from tests.conftest import csrf_token
from tests.contact.conftest import Player, file_ticket
from tests.staff.conftest import new_ticket
from tests.staff.test_access import escalate_to

STAFF = services.Actor(states.STAFF, "Rəşad", "supervisor")
BADGE = '<span class="badge badge-vip">VIP: {}</span>'


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def refs_in(page: str) -> list[str]:
    return re.findall(r'href="/staff/tickets/(HC-[0-9A-Z-]+)"', page)


def ticket_of(app, ref: str) -> Ticket:
    with app.app_context():
        ticket = services.find_by_reference(ref)
        db.session.expunge(ticket)
        return ticket


def tier_of(app, ref: str) -> str:
    return ticket_of(app, ref).tier


def test_a_vip_filed_after_ten_ordinary_ones_is_first_and_escalates_on_its_own_target(app, console):
    start = utcnow()
    # Ten ordinary chats-by-form, filed over the ten minutes before: their first answers (5
    # minutes on the chat channel) are all due before the VIP's, most are overdue already.
    ordinary = [
        new_ticket(app, now=start - timedelta(minutes=10 - i), channel="chat") for i in range(10)
    ]
    vip = new_ticket(app, now=start, channel="email", vip="gold")  # first answer in 5 minutes
    beside = new_ticket(app, now=start, channel="email")  # the same moment, ordinary: 2 hours
    console.login("operator")
    page = text(console.client.get("/staff/tickets"))
    assert refs_in(page)[0] == vip
    assert refs_in(page)[1:] == [*ordinary, beside]  # then the nearest deadline first
    assert BADGE.format("Gold") in page
    assert page.count("badge-vip") == 1
    export = console.client.get("/staff/tickets.csv").get_data(as_text=True).splitlines()
    assert export[0].endswith(",vip") and export[1].startswith(vip) and export[1].endswith(",gold")

    with app.app_context():
        services.run_sla(now=start + timedelta(minutes=4, seconds=59))
    assert tier_of(app, vip) == states.OPERATOR  # not yet: its target is 5 minutes
    with app.app_context():
        services.run_sla(now=start + timedelta(minutes=5))
    assert tier_of(app, vip) == states.SUPERVISOR
    assert tier_of(app, beside) == states.OPERATOR  # filed with it, on the email's 2 hours
    with app.app_context():
        vip_ticket = services.find_by_reference(vip)
        assert vip_ticket.first_response_due_at == start + timedelta(minutes=5)
        assert vip_ticket.resolution_due_at == start + timedelta(hours=12)  # gold, not 48 h


def test_done_tickets_stay_last_whatever_their_level(app, console):
    now = utcnow()
    done = new_ticket(app, now=now, vip="platinum")
    with app.app_context():
        services.resolve(services.find_by_reference(done), STAFF, "Done.", now=now)
    ordinary = new_ticket(app, now=now)
    console.login("operator")
    page = text(console.client.get("/staff/tickets?state=all"))
    assert refs_in(page) == [ordinary, done]


def set_vip(client, ref: str, level: str, htmx: bool = False):
    page = client.get(f"/staff/tickets/{ref}").get_data(as_text=True)
    version = re.search(r'name="vip-version" value="(\d+)"', page)
    data = {
        "vip-csrf_token": csrf_token(page),
        "vip-version": version.group(1) if version else "1",
        "vip-level": level,
    }
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/staff/tickets/{ref}/vip", data=data, headers=headers)


def audit(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.action, AuditEntry.target, AuditEntry.detail)
            .where(AuditEntry.action == "ticket_vip")
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_set_and_clear_the_level_audited(app, console, role):
    filed_at = utcnow() - timedelta(minutes=30)
    ref = new_ticket(app, now=filed_at)  # payments by email: 2 hours, 48 hours
    console.login(role)
    response = set_vip(console.client, ref, "platinum")
    assert response.status_code == 303
    page = text(console.client.get(f"/staff/tickets/{ref}"))
    assert "VIP level set to Platinum." in page
    assert BADGE.format("Platinum") in page
    timeline = (
        r'<span>VIP level set to Platinum</span>\s*<span class="timeline-actor">— (\w+) · staff'
    )
    assert re.search(timeline, page).group(1) == {"supervisor": "Rəşad", "admin": "Admin"}[role]
    ticket = ticket_of(app, ref)
    assert ticket.vip == "platinum"
    # From the filing time: platinum's 2 minutes (passed already: the SLA run escalates it at
    # its next turn) and 8 hours.
    assert ticket.first_response_due_at == filed_at + timedelta(minutes=2)
    assert ticket.resolution_due_at == filed_at + timedelta(hours=8)
    assert audit(app) == [("ticket_vip", ref, "platinum")]
    with app.app_context():
        event = db.session.scalar(select(TicketEvent).where(TicketEvent.type == "vip_changed"))
        assert (event.text, event.is_public) == ("platinum", False)

    cleared = set_vip(console.client, ref, "", htmx=True)
    assert cleared.status_code == 200 and "The ticket has no VIP level now." in text(cleared)
    ticket = ticket_of(app, ref)
    assert ticket.vip is None
    assert ticket.first_response_due_at == filed_at + timedelta(hours=2)
    assert ticket.resolution_due_at == filed_at + timedelta(hours=48)
    assert audit(app) == [("ticket_vip", ref, "platinum"), ("ticket_vip", ref, "")]
    assert "VIP level removed" in text(console.client.get(f"/staff/tickets/{ref}"))


def test_the_player_never_sees_the_change(app, console):
    ref = new_ticket(app)
    console.login("supervisor")
    set_vip(console.client, ref, "gold")
    with app.app_context():
        ticket = services.find_by_reference(ref)
        assert [e.type for e in ticket.events if e.is_public] == ["received"]
        assert services.find_by_reference(ref).vip == "gold"


def test_an_unknown_level_is_refused_and_nothing_changes(app, console):
    ref = new_ticket(app, vip="silver")
    before = ticket_of(app, ref)
    console.login("supervisor")
    response = set_vip(console.client, ref, "diamond")
    assert response.status_code == 422
    assert "Choose one of the VIP levels listed: nothing was changed." in text(response)
    after = ticket_of(app, ref)
    assert (after.vip, after.version, after.first_response_due_at) == (
        "silver",
        before.version,
        before.first_response_due_at,
    )
    assert audit(app) == []


@pytest.mark.parametrize("role", ["operator", "investigator"])
def test_other_roles_may_not_set_the_level(app, console, role):
    ref = new_ticket(app)
    if role == "investigator":
        escalate_to(app, ref, states.INVESTIGATION)
    console.login(role)
    page = text(console.client.get(f"/staff/tickets/{ref}"))
    assert 'name="vip-level"' not in page
    response = set_vip(console.client, ref, "gold")
    assert response.status_code == 403
    assert "Your role does not allow this action." in text(response)
    assert ticket_of(app, ref).vip is None and audit(app) == []


def test_the_investigation_team_s_deadline_is_kept_and_an_answer_stays_answered(app, console):
    now = utcnow()
    ref = new_ticket(app, now=now - timedelta(hours=1))
    with app.app_context():
        ticket = services.find_by_reference(ref)
        services.reply(ticket, STAFF, "We are looking into it.", now=now - timedelta(minutes=50))
    escalate_to(app, ref, states.INVESTIGATION)
    before = ticket_of(app, ref)
    console.login("admin")
    assert set_vip(console.client, ref, "platinum").status_code == 303
    after = ticket_of(app, ref)
    assert after.vip == "platinum"
    assert after.resolution_due_at == before.resolution_due_at  # business days, kept
    assert after.first_response_due_at == before.first_response_due_at  # answered already


def test_a_player_cannot_give_themselves_a_level(loaded, client):
    player = Player(client)
    status = player.file(vip="platinum", vip_level="platinum")
    assert status
    with loaded.app_context():
        assert db.session.scalars(select(Ticket.vip)).all() == [None]


# --- reports ---------------------------------------------------------------------------------


@pytest.fixture
def by_level(app):
    """Resolved tickets of each kind, two days ago: first answers on time or late."""
    now = utcnow()
    at = now - timedelta(days=2)
    with app.app_context():
        for vip, late, score in [
            (None, False, 10),
            (None, True, 3),
            ("gold", False, 9),
            ("gold", True, 10),
            ("platinum", False, 0),
            ("diamond", True, None),  # not a level of support.yml: counted as ordinary
        ]:
            ticket = file_ticket(now=at, vip=vip).ticket
            # Gold's first answer is due in 5 minutes, an ordinary one's in 2 hours.
            answered = at + (timedelta(hours=3) if late else timedelta(minutes=1))
            services.resolve(ticket, STAFF, "Done.", now=answered)
            if score is not None:
                services.recommend(ticket, score, now=answered + timedelta(minutes=1))
    return now


def test_sla_and_nps_by_vip_level(app, by_level):
    with app.app_context():
        report = reports.report(days=7, now=by_level)
    split = {
        group.code: (group.first_response_on_time, group.resolution_on_time)
        for group in report.on_time_by_vip
    }
    assert list(split) == ["", "platinum", "gold", "silver"]
    assert split[""] == (reports.Share(1, 3), reports.Share(3, 3))
    assert split["gold"] == (reports.Share(1, 2), reports.Share(2, 2))
    assert split["platinum"] == (reports.Share(1, 1), reports.Share(1, 1))
    assert split["silver"] == (reports.Share(0, 0), reports.Share(0, 0))
    nps = {group.code: (group.nps.score, group.nps.answers) for group in report.nps.by_vip_level}
    assert nps == {"": (0, 2), "platinum": (-100, 1), "gold": (100, 2)}
    assert [group.code for group in report.nps.by_vip_level] == ["", "platinum", "gold"]


def test_the_report_page_shows_the_split(app, by_level, console):
    console.login("supervisor")
    page = text(console.client.get("/staff/reports/"))
    table = page[page.index('id="sla-vip"') :]
    table = table[: table.index("</table>")]
    rows = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in table.split("<tr>")
    ]
    assert rows[2:] == [
        "Ordinary (no VIP level) 33.3% (1 of 3 tickets) 100% (3 of 3 tickets)",
        "Platinum 100% (1 of 1 ticket) 100% (1 of 1 ticket)",
        "Gold 50% (1 of 2 tickets) 100% (2 of 2 tickets)",
        "Silver no data no data",
    ]
    nps = page[page.index('id="nps-vip"') :]
    nps = nps[: nps.index("</table>")]
    assert re.search(r"Platinum</th><td>[-−]100</td>", nps)
    assert re.search(r"Ordinary \(no VIP level\)</th><td>0</td>", nps)


def test_the_ticket_page_says_whether_the_casino_confirmed_the_player_id(app, console):
    vouched = new_ticket(app, player_id="P-77", verified_player_id="P-77", vip="gold")
    typed = new_ticket(app, player_id="P-78")
    console.login("operator")
    page = text(console.client.get(f"/staff/tickets/{vouched}"))
    assert "P-77 <span" in page and "(confirmed by the casino)" in page
    page = text(console.client.get(f"/staff/tickets/{typed}"))
    assert "P-78 <span" in page and "(as the player typed it: not confirmed)" in page
