"""The console as staff use it: sign-in, the queue under SLA, a ticket's actions, the audit log."""

import csv
import html
import io
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.staff import access
from helpcenter.staff import services as staff
from helpcenter.staff.models import AuditEntry, StaffMember
from helpcenter.tickets import services, states
from helpcenter.tickets.models import OutboxEmail, Ticket
from tests.contact.conftest import file_ticket
from tests.staff.conftest import EMAILS, PASSWORD, StaffActions, csrf_of, new_ticket


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def ticket_of(app, ref: str) -> Ticket:
    with app.app_context():
        ticket = services.find_by_reference(ref)
        db.session.expunge(ticket)
        return ticket


# --- signing in -----------------------------------------------------------------------------------


def test_sign_in_and_out(app, console):
    response = console.login("operator")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert console.client.get("/staff/tickets").status_code == 200
    token = csrf_of(text(console.client.get("/staff/tickets")))
    out = console.client.post("/staff/logout", data={"csrf_token": token})
    assert out.status_code == 303
    assert console.client.get("/staff/tickets").status_code == 302
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["login", "logout"]


def test_a_wrong_email_or_password_gets_one_message(app, console):
    wrong_password = console.login("operator", password="not the password at all")
    token = csrf_of(text(console.client.get("/staff/login")))
    unknown = console.client.post(
        "/staff/login", data={"csrf_token": token, "email": "who@x.example", "password": "x" * 20}
    )
    assert wrong_password.status_code == unknown.status_code == 401
    message = "The email or the password is wrong."
    assert message in text(wrong_password) and message in text(unknown)
    assert console.client.get("/staff/tickets").status_code == 302


def test_sign_in_is_rate_limited(app, console):
    app.config["STAFF_LOGIN_EMAIL_RATE_LIMIT"] = "3 per 15 minutes"
    codes = [console.login("operator", password="wrong password!").status_code for _ in range(3)]
    assert codes == [401, 401, 401]
    # Over the limit even the right password waits.
    assert console.login("operator").status_code == 429


def test_next_only_leads_inside_the_console(app, console):
    token = csrf_of(text(console.client.get("/staff/login")))
    data = {"csrf_token": token, "email": EMAILS["operator"], "password": PASSWORD}
    outside = console.client.post("/staff/login?next=https://evil.example/", data=data)
    assert outside.headers["Location"] == "/staff/"


def test_a_new_password_ends_other_sessions(app, console):
    console.login("operator")
    with app.app_context():
        member = db.session.scalar(select(StaffMember).where(StaffMember.role == "operator"))
        member.password_hash = member.password_hash[:-4] + "AAAA"
        db.session.commit()
    assert console.client.get("/staff/tickets").status_code == 302


def test_session_cookies_are_secure_outside_debug(tmp_path):
    from helpcenter import create_app

    app = create_app({"DATA_DIR": str(tmp_path), "SESSION_COOKIE_SECURE": None})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    debug = create_app({"DATA_DIR": str(tmp_path), "SESSION_COOKIE_SECURE": None, "DEBUG": True})
    assert debug.config["SESSION_COOKIE_SECURE"] is False


def test_staff_create_command(app, runner):
    result = runner.invoke(
        args=["staff", "create", "--email", "New@Casino.example", "--role", "operator"],
        input="long enough password\nlong enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created new@casino.example (operator)." in result.output
    short = runner.invoke(
        args=[
            "staff",
            "create",
            "--email",
            "b@casino.example",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    again = runner.invoke(
        args=[
            "staff",
            "create",
            "--email",
            "new@casino.example",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="long enough password\n",
    )
    assert again.exit_code == 2 and "exists already" in again.output
    bad_role = runner.invoke(args=["staff", "create", "--email", "c@x.example", "--role", "boss"])
    assert bad_role.exit_code == 2
    with app.app_context():
        stored = db.session.scalar(select(StaffMember.password_hash))
    assert stored.startswith("$argon2id$") and "long enough" not in stored


def test_staff_demo_only_on_a_new_database(app, runner):
    first = runner.invoke(args=["staff", "demo"])
    assert "Sign in at http://127.0.0.1:5000/staff/login as admin@casino.example" in first.output
    password = re.search(r"with the password (\S+) ", first.output).group(1)
    with app.app_context():
        assert staff.authenticate(email="admin@casino.example", password=password).role == "admin"
    assert runner.invoke(args=["staff", "demo"]).output == ""


# --- the queue ------------------------------------------------------------------------------


def refs_in(html: str) -> list[str]:
    return re.findall(r'href="/staff/tickets/(HC-[0-9A-Z-]+)"', html)


def test_the_queue_puts_the_nearest_deadline_first_and_says_how_long(app, console):
    now = utcnow()
    later = new_ticket(app, now=now, channel="email")  # first response due in 2 hours
    sooner = new_ticket(app, now=now, channel="chat")  # due in 5 minutes
    late = new_ticket(app, now=now - timedelta(hours=3), channel="email")  # overdue by an hour
    console.login("operator")
    page = text(console.client.get("/staff/tickets"))
    assert refs_in(page) == [late, sooner, later]
    assert re.search(r'class="due due-overdue">overdue by (59 min|1 hr)', page)
    assert re.search(r'class="due due-soon">\d min left', page)
    assert re.search(r'class="due due-ok">1 hr 5\d min left', page)


def test_filters_search_and_pagination(app, console):
    for i in range(27):
        new_ticket(app, email=f"p{i}@example.com", language="ru" if i % 3 == 0 else "en")
    bonus = new_ticket(app, topic="bonuses", transaction_id="", email="fan@example.com")
    console.login("operator")
    client = console.client
    first = text(client.get("/staff/tickets"))
    assert "28 tickets" in first and len(refs_in(first)) == 25
    assert 'href="/staff/tickets?tier=operator&page=2"' in first
    assert len(refs_in(text(client.get("/staff/tickets?page=2")))) == 3
    assert refs_in(text(client.get("/staff/tickets?topic=bonuses"))) == [bonus]
    assert "9 tickets" in text(client.get("/staff/tickets?language=ru"))
    assert refs_in(text(client.get("/staff/tickets?q=FAN@example"))) == [bonus]
    sloppy = bonus.lower().replace("-", "")
    assert refs_in(text(client.get(f"/staff/tickets?q={sloppy}"))) == [bonus]
    assert "No tickets match these filters." in text(client.get("/staff/tickets?q=50%25_x"))
    # Unknown filter values fall back to the defaults instead of failing.
    assert client.get("/staff/tickets?topic=<x>&state=nope&page=abc").status_code == 200


def test_the_queue_refreshes_itself_with_its_filters(app, console):
    new_ticket(app, topic="bonuses", transaction_id="")
    console.login("operator")
    page = text(console.client.get("/staff/tickets?topic=bonuses&language=en"))
    poll = re.search(r'id="hc-queue" hx-get="([^"]+)" hx-trigger="every 30s"', page)
    assert poll and "topic=bonuses" in poll.group(1) and "language=en" in poll.group(1)
    fragment = console.client.get(
        poll.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"}
    )
    assert text(fragment).lstrip().startswith('<div id="hc-queue"')
    assert "HX-Request" in fragment.headers["Vary"]


def test_csv_export_of_the_filtered_list(app, console):
    new_ticket(app, subject='=HYPERLINK("http://evil")')
    new_ticket(app, topic="bonuses", transaction_id="")
    console.login("operator")
    response = console.client.get("/staff/tickets.csv?topic=payments")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="tickets-operator.csv"'
    rows = list(csv.DictReader(io.StringIO(text(response))))
    assert len(rows) == 1 and rows[0]["topic"] == "payments"
    assert rows[0]["subject"].startswith("'=HYPERLINK")
    with app.app_context():
        assert (
            db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()))
            == "export_csv"
        )


# --- a ticket and its actions ---------------------------------------------------------------------


def test_the_ticket_page_shows_everything_staff_need(app, console):
    ref = new_ticket(app, name="Leyla", player_id="P-77")
    console.login("operator")
    console.act(ref, "note", body="Provider says it is pending")
    page = text(console.client.get(f"/staff/tickets/{ref}"))
    # A long address may wrap on a phone, before its @ rather than in the middle of a name.
    assert "player<wbr>@example.com" in page
    page = page.replace("<wbr>", "")
    for expected in ("player@example.com", "Leyla", "P-77", "TX-1", "First response by"):
        assert expected in page
    assert "Provider says it is pending" in page and "Internal note" in page
    assert "staff only" in page


def test_a_reply_reaches_the_status_page_and_the_players_email(app, console):
    with app.app_context():
        filed = file_ticket(language="ru")
        ref, token = filed.ticket.reference, filed.token
    console.login("operator")
    response = console.act(ref, "reply", body="Платёж найден, деньги уже на балансе.", wait="y")
    assert response.status_code == 303
    status = text(app.test_client().get(f"/ru/status/{token}", follow_redirects=True))
    assert "Платёж найден, деньги уже на балансе." in status
    assert "Aysel, служба поддержки" in status or "Aysel" in status
    with app.app_context():
        ticket = services.find_by_reference(ref)
        assert ticket.state == "waiting_for_player" and ticket.first_responded_at is not None
        kinds = db.session.scalars(select(OutboxEmail.kind).order_by(OutboxEmail.id)).all()
    assert kinds == ["received", "replied"]


def test_saved_replies_come_in_the_tickets_language(app, console):
    ref = new_ticket(app, language="az")
    console.login("operator")
    page = text(console.client.get(f"/staff/tickets/{ref}"))
    assert "Bank çıxarışını istəmək" in page
    filled = text(console.client.get(f"/staff/tickets/{ref}?canned=ask-statement"))
    assert "Ödənişi tapmaq üçün" in filled
    fragment = console.client.get(
        f"/staff/tickets/{ref}/reply-form?canned=kyc-documents", headers={"HX-Request": "true"}
    )
    assert text(fragment).lstrip().startswith('<div id="hc-reply-form"')
    assert "şəxsiyyət vəsiqənizin" in text(fragment)


def test_escalation_needs_a_reason_and_takes_the_ticket_out_of_an_operators_hands(app, console):
    ref = new_ticket(app)
    console.login("operator")
    missing = console.act(ref, "escalate", reason="   ")
    assert missing.status_code == 422
    assert "Give the reason for the escalation." in text(missing)
    assert ticket_of(app, ref).tier == "operator"
    done = console.act(ref, "escalate", reason="The payment provider must check it")
    assert done.status_code == 303 and done.headers["Location"] == "/staff/tickets"
    assert ticket_of(app, ref).tier == "supervisor"
    assert console.client.get(f"/staff/tickets/{ref}").status_code == 404
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "ticket_escalate"))
    assert (entry.staff_email, entry.target, entry.detail) == (
        EMAILS["operator"],
        ref,
        "The payment provider must check it",
    )


def test_htmx_actions_redraw_the_panel_or_move_the_window(app, console):
    ref = new_ticket(app)
    console.login("supervisor")
    noted = console.act(ref, "note", htmx=True, body="Looks like a bank delay")
    assert text(noted).lstrip().startswith('<div id="hc-ticket"')
    assert "The note was added." in text(noted)
    stale = console.client.post(
        f"/staff/tickets/{ref}/note",
        data={"note-csrf_token": "forged", "note-version": "1", "note-body": "My long note"},
        headers={"HX-Request": "true"},
    )
    assert stale.status_code == 422
    assert "For your security this form has expired." in text(stale)
    assert "My long note" in text(stale)
    operator = StaffActions(app.test_client())
    operator.login("operator")
    moved = operator.act(ref, "escalate", htmx=True, reason="Supervisor decides")
    assert moved.headers["HX-Redirect"] == "/staff/tickets"


def test_a_reply_to_a_closed_ticket_is_refused(app, console):
    ref = new_ticket(app)
    console.login("operator")
    console.act(ref, "resolve", summary="Done.")
    assert console.act(ref, "close").status_code == 303
    page = text(console.client.get(f"/staff/tickets/{ref}"))
    assert "Send reply" not in page
    token = csrf_of(page)
    version = re.search(r'name="note-version" value="(\d+)"', page).group(1)
    refused = console.client.post(
        f"/staff/tickets/{ref}/reply",
        data={"reply-csrf_token": token, "reply-version": version, "reply-body": "Hello?"},
    )
    assert refused.status_code == 409
    assert "This is not possible in the ticket's current state." in text(refused)
    assert ticket_of(app, ref).state == "closed"


def test_send_back_and_assign(app, console):
    ref = new_ticket(app)
    console.login("supervisor")
    console.act(ref, "escalate", reason="Mine now")
    console.act(ref, "assign", assignee=EMAILS["supervisor"])
    assert ticket_of(app, ref).assignee == EMAILS["supervisor"]
    bad = console.act(ref, "assign", assignee=EMAILS["editor"])
    assert bad.status_code == 422 and "Choose someone who works on this tier." in text(bad)
    assert console.act(ref, "send_back", reason="Operators can finish it").status_code == 303
    ticket = ticket_of(app, ref)
    assert (ticket.tier, ticket.assignee) == ("operator", None)
    with app.app_context():
        events = [e.type for e in services.find_by_reference(ref).events]
    assert events[-3:] == ["escalated", "assigned", "sent_back"]


# --- two agents on one ticket ---------------------------------------------------------------


def test_two_agents_on_one_ticket_never_lose_an_update(app, accounts):
    ref = new_ticket(app)
    first, second = StaffActions(app.test_client()), StaffActions(app.test_client())
    first.login("operator")
    second.login("supervisor")
    # Both open the ticket before either acts.
    pages = [text(agent.client.get(f"/staff/tickets/{ref}")) for agent in (first, second)]
    posts = []
    for agent, page, body in zip(
        (first, second), pages, ("First answer", "Second answer"), strict=True
    ):
        version = re.search(r'name="reply-version" value="(\d+)"', page).group(1)
        posts.append(
            agent.client.post(
                f"/staff/tickets/{ref}/reply",
                data={
                    "reply-csrf_token": csrf_of(page),
                    "reply-version": version,
                    "reply-body": body,
                },
            )
        )
    assert [p.status_code for p in posts] == [303, 409]
    refused = text(posts[1])
    assert "Someone changed this ticket while you were working on it." in refused
    assert "Second answer" in refused  # the text is kept
    assert "First answer" in refused  # and the other's change shown
    with app.app_context():
        bodies = [m.body for m in services.find_by_reference(ref).messages]
    assert bodies[1:] == ["First answer"]


def test_concurrent_actions_from_the_same_reading_land_once(app, accounts):
    """Two staff members' commits race; the version lets exactly one through."""
    ref = new_ticket(app)
    with app.app_context():
        members = {
            role: db.session.scalar(select(StaffMember).where(StaffMember.role == role))
            for role in ("operator", "supervisor")
        }
        member_ids = {role: m.id for role, m in members.items()}
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work(role, body):
        try:
            with app.app_context():
                member = db.session.get(StaffMember, member_ids[role])
                ticket = services.find_by_reference(ref)
                barrier.wait()
                try:
                    staff.act(member=member, ticket=ticket, version=1, action="reply", body=body)
                    results.append("done")
                except staff.TicketChanged:
                    results.append("changed")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=("operator", "A")),
        threading.Thread(target=work, args=("supervisor", "B")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(results) == ["changed", "done"]
    with app.app_context():
        ticket = services.find_by_reference(ref)
        assert len(ticket.messages) == 2 and ticket.version > 1
        assert (
            db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "ticket_reply"))
            is not None
        )
        audit = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "ticket_reply")
        ).all()
    assert len(audit) == 1


# --- the audit log --------------------------------------------------------------------------


def test_admins_read_the_audit_log(app, console):
    ref = new_ticket(app)
    operator = StaffActions(app.test_client())
    operator.login("operator")
    operator.act(ref, "note", body="Checked")
    console.login("admin")
    page = text(console.client.get("/staff/audit"))
    assert ref in page and EMAILS["operator"] in page
    # People read what happened; the stored code stays at hand as the label's title.
    assert '<span title="ticket_note">Added an internal note</span>' in page
    console.client.set_cookie("lang", "ru")
    assert '<span title="ticket_note">Добавление внутренней заметки</span>' in text(
        console.client.get("/staff/audit")
    )
    console.client.set_cookie("lang", "az")
    assert '<span title="login">Sistemə daxil oldu</span>' in text(
        console.client.get("/staff/audit")
    )


@pytest.mark.parametrize("role", [r for r in access.ROLES if r != "admin"])
def test_nobody_else_reads_it(console, role):
    console.login(role)
    assert console.client.get("/staff/audit").status_code == 403


def test_sla_targets_and_escalation_show_to_staff(app, console):
    now = utcnow()
    ref = new_ticket(app, now=now - timedelta(hours=3))
    with app.app_context():
        services.run_sla(now=now)
    console.login("supervisor")
    page = text(console.client.get(f"/staff/tickets/{ref}"))
    assert (
        "Escalated automatically to a supervisor: no first response within the target time" in page
    )
    assert "— system" in page
    assert ticket_of(app, ref).tier == states.SUPERVISOR


def test_the_timeline_tells_staff_what_the_player_did_in_staff_words(app, console):
    ref = new_ticket(app)
    console.login("operator")
    assert console.act(ref, "resolve", summary="Refunded.").status_code == 303
    with app.app_context():
        services.rate(services.find_by_reference(ref), 4)
    page = text(console.client.get(f"/staff/tickets/{ref}"))
    assert "The player rated the service 4 of 5" in page
    assert "You rated" not in page
    console.client.set_cookie("lang", "ru")
    assert "Игрок оценил работу поддержки на 4 из 5" in text(
        console.client.get(f"/staff/tickets/{ref}")
    )


def test_a_plain_form_action_shows_its_confirmation_once(app, console):
    """Without JavaScript the action redirects to the whole ticket page: one message there."""
    ref = new_ticket(app)
    console.login("operator")
    done = console.act(ref, "note", body="Checked the provider.")
    assert done.status_code == 303
    page = text(console.client.get(done.headers["Location"]))
    assert page.count("The note was added. Players never see notes.") == 1
