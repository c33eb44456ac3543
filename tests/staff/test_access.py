"""The role matrix: every role against every staff page and every ticket action."""

import io

import pytest
from PIL import Image

from helpcenter.staff import access
from helpcenter.tickets import actions, services, states, uploads
from tests.contact.conftest import TICKET, file_ticket
from tests.staff.conftest import StaffActions, csrf_of, new_ticket

# What it checks does not depend on the database behind it: once (tests/conftest.py).
pytestmark = pytest.mark.one_database

TICKET_ROLES = ("operator", "supervisor", "investigator", "admin")


def escalate_to(app, ref: str, tier: str) -> None:
    with app.app_context():
        ticket = services.find_by_reference(ref)
        while ticket.tier != tier:
            services.escalate(ticket, services.Actor(states.STAFF, "Setup", "supervisor"), "setup")


@pytest.mark.parametrize("role", access.ROLES)
def test_pages_by_role(app, console, role):
    at_operator = new_ticket(app)
    at_investigation = new_ticket(app)
    escalate_to(app, at_investigation, "investigation")
    console.login(role)
    client = console.client
    works = role in TICKET_ROLES
    expected = {
        "/staff/tickets": 200 if works else 403,
        "/staff/tickets.csv": 200 if works else 403,
        f"/staff/tickets/{at_operator}": 200
        if access.may_handle(role, "operator")
        else (404 if works else 403),
        f"/staff/tickets/{at_investigation}": 200
        if access.may_handle(role, "investigation")
        else (404 if works else 403),
        "/staff/audit": 200 if role == "admin" else 403,
        "/staff/reports/": 200 if role in ("supervisor", "admin") else 403,
    }
    got = {url: client.get(url).status_code for url in expected}
    assert got == expected
    home = client.get("/staff/")
    assert home.status_code == 302
    assert home.headers["Location"] == ("/staff/tickets" if works else "/staff/content")


def test_operators_cannot_switch_to_another_tier(app, console):
    new_ticket(app)
    console.login("operator")
    page = console.client.get("/staff/tickets?tier=investigation").get_data(as_text=True)
    assert "Operators' queue" in page
    assert 'name="tier"' not in page
    sup = StaffActions(app.test_client())
    sup.login("supervisor")
    assert "Investigation team's queue" in sup.client.get(
        "/staff/tickets?tier=investigation"
    ).get_data(as_text=True)


# What each field of an action's form gets here; the actions come from the table.
SAMPLES = {
    "body": "We are on it.",
    "wait": "",
    "assignee": "operator@casino.example",
    "reason": "Needs a decision",
    "summary": "Refunded.",
}
ACTIONS = {
    name: {field: SAMPLES[field] for field in actions.rule(name).fields}
    for name in actions.SERVICES
}


def test_every_console_action_of_the_table_is_tried_here():
    assert set(ACTIONS) >= {"reply", "note", "assign", "wait", "escalate", "send_back"}
    assert set(ACTIONS) >= {"resolve", "close"}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", access.ROLES)
def test_actions_by_role_on_an_operator_ticket(app, client, accounts, role, action):
    ref = new_ticket(app)
    staff = StaffActions(client)
    staff.login(role)
    if role == "editor" or not access.may_handle(role, "operator"):
        # They cannot even load the page to make the form: post with a real token anyway.
        token = csrf_of(client.get("/staff/login").get_data(as_text=True))
        response = client.post(
            f"/staff/tickets/{ref}/{action}", data={"csrf_token": token, "version": "1"}
        )
        assert response.status_code == (403 if role == "editor" else 404)
        with app.app_context():
            ticket = services.find_by_reference(ref)
            assert (ticket.state, ticket.version, len(ticket.events)) == ("received", 1, 1)
        return
    response = staff.act(ref, action, **ACTIONS[action])
    # Closing needs a resolved ticket, sending back a tier above the operators.
    impossible = action in ("close", "send_back")
    assert response.status_code == (409 if impossible else 303), response.get_data(as_text=True)


def test_a_players_status_session_opens_nothing_for_staff(app, client, accounts):
    with app.app_context():
        filed = file_ticket(topic="technical", transaction_id="")
        ref, token = filed.ticket.reference, filed.token
    assert client.get(f"/en/status/{token}", follow_redirects=True).status_code == 200
    for url in ("/staff/tickets", f"/staff/tickets/{ref}", "/staff/audit"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/staff/login")
    csrf = csrf_of(client.get(f"/en/status/{ref}").get_data(as_text=True))
    posted = client.post(
        f"/staff/tickets/{ref}/note",
        data={"note-csrf_token": csrf, "note-version": "1", "note-body": "x"},
    )
    assert posted.status_code == 302


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("role", access.ROLES)
def test_files_download_only_for_staff_with_access(app, console, role):
    data = png()
    with app.app_context():
        filed = services.file_ticket(
            services.NewTicket(**{**TICKET, "topic": "complaint"}),
            [services.File(uploads.check(data, "<script>.html"), data)],
        )
        attachment_id = filed.ticket.attachments[0].id
        ref = filed.ticket.reference
    console.login(role)
    with console.client.get(f"/staff/tickets/{ref}/files/{attachment_id}") as response:
        status, body, headers = response.status_code, response.data, response.headers
    if not access.may_handle(role, "operator"):
        assert status == (403 if role == "editor" else 404)
        return
    assert status == 200
    assert body == data
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and ".html.png" in disposition
    # Another ticket's file is not reachable through this ticket's address.
    other = new_ticket(app)
    assert console.client.get(f"/staff/tickets/{other}/files/{attachment_id}").status_code == 404
