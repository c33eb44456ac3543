"""Staff session limits: idle timeout, absolute lifetime, and signing out everywhere."""

import html
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from helpcenter.extensions import db
from helpcenter.staff import services as staff
from helpcenter.staff import sessions
from helpcenter.staff.models import AuditEntry, PasswordReset, StaffMember
from helpcenter.tickets import emails
from helpcenter.tickets.models import OutboxEmail
from tests.staff.conftest import EMAILS, PASSWORD, StaffActions, csrf_of, new_ticket

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database

START = 1_800_000_000.0


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self) -> float:
        return self.now

    def forward(self, *, minutes: float = 0, hours: float = 0) -> None:
        self.now += minutes * 60 + hours * 3600


@pytest.fixture
def clock(monkeypatch):
    moved = Clock()
    monkeypatch.setattr(sessions, "clock", moved)
    return moved


@pytest.fixture(autouse=True)
def english(client):
    """The pages in English, whatever the catalogs say (az is the default language)."""
    client.set_cookie("lang", "en")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def signed_out(client) -> bool:
    response = client.get("/staff/tickets")
    return response.status_code == 302 and "/staff/login" in response.headers["Location"]


def logouts(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.action, AuditEntry.detail)
            .where(AuditEntry.action.like("logout%"))
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


def test_a_session_ends_after_the_idle_minutes(app, client, console, clock):
    console.login("operator")
    clock.forward(minutes=29)
    assert client.get("/staff/tickets").status_code == 200  # activity: the clock starts again
    clock.forward(minutes=29)
    assert client.get("/staff/tickets").status_code == 200
    clock.forward(minutes=31)
    response = client.get("/staff/tickets")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    page = text(client.get(response.headers["Location"]))
    assert "You were signed out after 30 minutes without activity" in page
    assert logouts(app) == [("logout", "idle")]
    assert signed_out(client)
    # Said once: a later visit to the sign-in page is a plain one.
    assert "without activity" not in text(client.get("/staff/login"))


def test_polls_are_not_activity(app, client, console, clock):
    console.login("operator")
    for _ in range(5):
        clock.forward(minutes=10)
        poll = client.get("/staff/tickets", headers={"HX-Request": "true"})
        if poll.status_code != 200:
            break
    assert poll.status_code == 401 and "/staff/login" in poll.headers["HX-Redirect"]
    assert clock.now - START == 40 * 60  # the fourth poll, 40 minutes after the last click
    assert logouts(app) == [("logout", "idle")]


def test_an_htmx_post_is_activity(app, client, console, clock):
    ref = new_ticket(app)
    console.login("operator")
    clock.forward(minutes=25)
    page = client.get(f"/staff/tickets/{ref}").get_data(as_text=True)
    version = re.search(r'name="[\w-]*version" value="(\d+)"', page).group(1)
    clock.forward(minutes=25)
    response = client.post(
        f"/staff/tickets/{ref}/note",
        data={"note-csrf_token": csrf_of(page), "note-version": version, "note-body": "Checked."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "The note was added" in text(response)
    clock.forward(minutes=25)
    assert client.get("/staff/tickets", headers={"HX-Request": "true"}).status_code == 200


def test_a_session_ends_after_its_lifetime_however_active(app, client, console, clock):
    app.config["STAFF_SESSION_HOURS"] = 2
    console.login("operator")
    for _ in range(7):
        clock.forward(minutes=17)
        assert client.get("/staff/tickets").status_code == 200  # 119 minutes in
    clock.forward(minutes=2)
    response = client.get("/staff/tickets")
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "a sign-in lasts at most 2 hours" in page
    assert logouts(app) == [("logout", "session lifetime")]


def test_the_limits_are_settings(app, client, console, clock):
    app.config["STAFF_IDLE_MINUTES"] = 5
    console.login("operator")
    clock.forward(minutes=6)
    assert signed_out(client)


def test_sign_out_everywhere_ends_every_session(app, client, console, clock):
    other = FlaskClient(app, use_cookies=True)
    StaffActions(other).login("operator")
    console.login("operator")
    StaffActions(client).login("supervisor")  # someone else's session stays
    supervisor = FlaskClient(app, use_cookies=True)
    StaffActions(supervisor).login("supervisor")
    console.login("operator")

    page = client.get("/staff/account").get_data(as_text=True)
    assert "Sign out everywhere" in page
    response = client.post("/staff/logout/everywhere", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login"
    assert "You have signed out everywhere" in text(client.get("/staff/login"))
    assert signed_out(client)

    response = other.get("/staff/tickets")
    assert response.status_code == 302
    assert "your account was signed out everywhere" in text(other.get("/staff/login"))
    assert supervisor.get("/staff/tickets").status_code == 200
    assert [a for a, _ in logouts(app)] == ["logout_everywhere", "logout"]
    assert logouts(app)[-1] == ("logout", "signed out everywhere")

    console.login("operator")  # a new sign-in works
    assert client.get("/staff/tickets").status_code == 200


def test_sign_out_everywhere_needs_the_form_token(client, console):
    console.login("operator")
    assert client.post("/staff/logout/everywhere").status_code == 400
    assert client.get("/staff/tickets").status_code == 200


def test_a_reset_of_two_factor_authentication_ends_the_sessions(app, client, console, runner):
    console.login("operator")
    with app.app_context():
        before = db.session.scalar(
            select(StaffMember.session_generation).where(StaffMember.email == EMAILS["operator"])
        )
        staff.reset_totp(email=EMAILS["operator"])
        after = db.session.scalar(
            select(StaffMember.session_generation).where(StaffMember.email == EMAILS["operator"])
        )
    assert after == before + 1
    assert signed_out(client)


# --- password reset by email ---------------------------------------------------------------------


def outbox(app) -> list[OutboxEmail]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
        db.session.expunge_all()
        return list(rows)


def ask_reset(client, email: str):
    token = csrf_of(client.get("/staff/password/forgot").get_data(as_text=True))
    return client.post("/staff/password/forgot", data={"csrf_token": token, "email": email})


def link_path(app) -> str:
    body = outbox(app)[-1].body
    return urlsplit(re.search(r"http\S+/staff/password/reset/\S+", body).group(0)).path


def choose(client, path: str, password: str, again: str | None = None):
    token = csrf_of(client.get(path).get_data(as_text=True))
    return client.post(
        path, data={"csrf_token": token, "password": password, "confirm": again or password}
    )


NEW = "a brand new long passphrase"


def test_the_sign_in_page_leads_to_the_reset_and_the_answer_tells_nothing(app, client, accounts):
    assert "/staff/password/forgot" in text(client.get("/staff/login"))
    known = ask_reset(client, EMAILS["operator"].upper())
    unknown = ask_reset(client, "nobody@casino.example")
    assert known.status_code == unknown.status_code == 200
    strip = lambda page: re.sub(r'name="csrf_token" value="[^"]*"', "", text(page))  # noqa: E731
    assert strip(known) == strip(unknown)
    assert "If a staff account uses this email, we have sent it a link" in text(known)
    [email] = outbox(app)
    assert email.recipient == EMAILS["operator"] and email.ticket_id is None
    assert "The link works once, for 30 minutes" in email.body
    assert email.body.count("http://127.0.0.1:5000/staff/password/reset/") == 1
    with app.app_context():
        stored = db.session.scalar(select(PasswordReset.token_hash))
    assert stored not in email.body  # only a hash of the token is kept
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions == ["password_reset_requested"]
    with app.app_context():
        assert emails.send_pending().sent == 1  # delivered as the players' emails are
    [eml] = (Path(app.config["DATA_DIR"]) / "outbox").glob("*-staff_password_reset.eml")
    assert f"To: {EMAILS['operator']}" in eml.read_text()


def test_a_link_sets_a_new_password_once_and_signs_out_everywhere(app, client, accounts, clock):
    elsewhere = FlaskClient(app, use_cookies=True)
    StaffActions(elsewhere).login("operator")
    ask_reset(client, EMAILS["operator"])
    path = link_path(app)
    assert "Choose a new password" in text(client.get(path))
    short = choose(client, path, "too short")
    assert short.status_code == 422 and "at least 12 characters" in text(short)
    differ = choose(client, path, NEW, NEW + "!")
    assert differ.status_code == 422 and "not the same" in text(differ)
    response = choose(client, path, NEW)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login"
    assert "Your new password is set" in text(client.get("/staff/login"))
    assert signed_out(elsewhere)
    # Used: the link shows so, and the new password works, the old one not.
    used = client.get(path)
    assert used.status_code == 410 and "This link no longer works" in text(used)
    token = csrf_of(client.get("/staff/login").get_data(as_text=True))
    again = {
        "csrf_token": token,
        "password": "yet another passphrase",
        "confirm": "yet another passphrase",
    }
    assert client.post(path, data=again).status_code == 410
    assert StaffActions(client).login("operator").status_code == 401
    assert StaffActions(client).login("operator", password=NEW).status_code == 303
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "password_reset" in actions and "login" in actions


def test_a_link_expires(app, client, accounts, clock):
    ask_reset(client, EMAILS["operator"])
    path = link_path(app)
    clock.forward(minutes=29)
    assert client.get(path).status_code == 200
    clock.forward(minutes=2)
    expired = client.get(path)
    assert expired.status_code == 410 and "Ask for a new link" in text(expired)
    assert client.get("/staff/password/reset/made-up-token").status_code == 410


def test_a_reset_does_not_skip_two_factor_authentication(app, client, accounts, clock):
    app.config["STAFF_2FA"] = "required"
    with app.app_context():
        account = db.session.scalar(
            select(StaffMember).where(StaffMember.email == EMAILS["operator"])
        )
        totp = pyotp.TOTP(staff.begin_totp(member=account))
        staff.confirm_totp(member=account, code=totp.at(time.time() - 30))
    ask_reset(client, EMAILS["operator"])
    assert choose(client, link_path(app), NEW).status_code == 303
    response = StaffActions(client).login("operator", password=NEW)
    assert response.headers["Location"] == "/staff/login/code"
    assert signed_out(client)


def test_asking_for_links_is_rate_limited_per_email(app, client, accounts):
    answers = [ask_reset(client, f"operator+{n}@casino.example").status_code for n in range(4)]
    assert answers == [200, 200, 200, 429]
    assert ask_reset(client, EMAILS["supervisor"]).status_code == 200


# --- the password again before an export ---------------------------------------------------------


def confirm(client, password: str, location: str):
    token = csrf_of(client.get(location).get_data(as_text=True))
    return client.post(location, data={"csrf_token": token, "password": password})


def test_the_csv_export_asks_for_the_password_after_five_minutes(app, client, console, clock):
    console.login("operator")
    clock.forward(minutes=4)
    assert client.get("/staff/tickets.csv?tier=operator").status_code == 200
    clock.forward(minutes=2)
    response = client.get("/staff/tickets.csv?tier=operator")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/staff/confirm?next=")
    assert "Enter your password again" in text(client.get(location))
    wrong = confirm(client, "not my password at all", location)
    assert wrong.status_code == 401 and "The password is wrong" in text(wrong)
    right = confirm(client, PASSWORD, location)
    assert (
        right.status_code == 303 and right.headers["Location"] == "/staff/tickets.csv?tier=operator"
    )
    assert client.get(right.headers["Location"]).mimetype == "text/csv"
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["login", "export_csv", "reauth_failed", "reauth", "export_csv"]


def test_the_privacy_page_and_its_forms_ask_for_the_password(app, client, console, clock):
    console.login("admin")
    clock.forward(minutes=6)
    page = client.get("/staff/privacy")
    assert page.status_code == 302 and page.headers["Location"].startswith("/staff/confirm")
    # The page was open before the five minutes ran out: its form goes to the check, then back.
    token = csrf_of(client.get("/staff/account").get_data(as_text=True))
    posted = client.post(
        "/staff/privacy/export", data={"csrf_token": token, "email": "player@example.com"}
    )
    assert posted.status_code == 302
    location = posted.headers["Location"]
    assert confirm(client, PASSWORD, location).headers["Location"] == "/staff/privacy"
    assert client.get("/staff/privacy").status_code == 200
