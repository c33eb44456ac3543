"""Staff two-factor authentication (TOTP): required, a code after the password, or optional."""

import html
import re
import time

import pyotp
import pytest
from sqlalchemy import select

from helpcenter.extensions import db
from helpcenter.staff import services as staff
from helpcenter.staff.models import AuditEntry, StaffMember
from tests.staff.conftest import EMAILS, csrf_of

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def required(app, accounts):
    app.config["STAFF_2FA"] = "required"
    return app


def member(app, role: str) -> StaffMember:
    with app.app_context():
        found = db.session.scalar(select(StaffMember).where(StaffMember.email == EMAILS[role]))
        db.session.expunge(found)
        return found


def enrol(app, role: str) -> tuple[pyotp.TOTP, list[str]]:
    """Set TOTP up for `role` as the setup page does, with a code of the step before now (so
    the test's own codes of this step are new); the app and the recovery codes."""
    with app.app_context():
        account = db.session.scalar(select(StaffMember).where(StaffMember.email == EMAILS[role]))
        totp = pyotp.TOTP(staff.begin_totp(member=account))
        codes = staff.confirm_totp(member=account, code=totp.at(time.time() - 30))
    return totp, codes


def post_code(client, code: str, url: str = "/staff/login/code"):
    token = csrf_of(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "code": code})


def audit(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


def locked(client) -> bool:
    response = client.get("/staff/tickets")
    return response.status_code == 302 and "/staff/login" in response.headers["Location"]


def wrong_code(totp: pyotp.TOTP) -> str:
    right = {totp.at(time.time() + 30 * step) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in right)


def test_a_password_alone_leads_to_the_code_step_and_signs_nobody_in(required, client, console):
    enrol(required, "operator")
    response = console.login("operator")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login/code"
    assert locked(client)
    assert client.get("/staff/").status_code == 302
    page = client.get("/staff/login/code")
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in text(page) and 'inputmode="numeric"' in text(page)
    assert "login" not in audit(required)  # the password was right; nobody signed in yet
    assert "login_password" in audit(required)


def test_the_right_code_signs_in_a_wrong_one_does_not(required, client, console):
    totp, _ = enrol(required, "operator")
    console.login("operator")
    response = post_code(client, wrong_code(totp))
    assert response.status_code == 401
    assert "The code is wrong or was used already" in text(response)
    assert locked(client)
    response = post_code(client, totp.now())
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    assert client.get("/staff/tickets").status_code == 200
    assert audit(required)[-2:] == ["totp_failed", "login"]


def test_a_code_is_not_taken_twice(required, client, console):
    totp, _ = enrol(required, "operator")
    code = totp.now()
    console.login("operator")
    assert post_code(client, code).status_code == 303
    client.post("/staff/logout", data={"csrf_token": csrf_of(text(client.get("/staff/tickets")))})
    assert locked(client)
    console.login("operator")
    assert post_code(client, code).status_code == 401
    assert locked(client)
    # The next step's code (within the window of one step) is new, so it is taken.
    assert post_code(client, totp.at(time.time() + 30)).status_code == 303


def test_a_recovery_code_works_once(required, client, console):
    _, codes = enrol(required, "supervisor")
    assert len(codes) == 10 and len(set(codes)) == 10
    console.login("supervisor")
    response = post_code(client, codes[3].upper())  # as read aloud or typed from paper
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"], follow_redirects=True))
    assert "9 recovery codes are left" in page
    assert audit(required)[-2:] == ["recovery_code_used", "login"]
    client.post("/staff/logout", data={"csrf_token": csrf_of(page)})
    console.login("supervisor")
    assert post_code(client, codes[3]).status_code == 401
    assert locked(client)
    assert post_code(client, codes[4]).status_code == 303


def test_enrolment_confirms_a_code_before_turning_totp_on(required, client, console):
    response = console.login("admin")
    assert response.headers["Location"] == "/staff/two-step/setup"
    assert locked(client)
    page = text(client.get("/staff/two-step/setup"))
    assert 'src="data:image/svg+xml' in page  # the QR code, made here: no request elsewhere
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    # A reloaded page shows the same secret: the app may have scanned it already.
    assert secret in text(client.get("/staff/two-step/setup"))
    totp = pyotp.TOTP(secret)

    response = post_code(client, wrong_code(totp), url="/staff/two-step/setup")
    assert response.status_code == 401
    assert not member(required, "admin").has_totp
    assert locked(client)

    response = post_code(client, totp.now(), url="/staff/two-step/setup")
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", text(response))
    assert len(codes) == 10
    assert member(required, "admin").has_totp
    assert client.get("/staff/tickets").status_code == 200
    assert audit(required)[-3:] == ["totp_failed", "totp_enrolled", "login"]
    with required.app_context():
        stored = db.session.scalars(select(staff.RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # hashes only


def test_the_code_step_is_rate_limited(required, client, console):
    required.config["STAFF_CODE_RATE_LIMIT"] = "3 per 15 minutes"
    totp, _ = enrol(required, "operator")
    console.login("operator")
    for _ in range(3):
        assert post_code(client, wrong_code(totp)).status_code == 401
    response = post_code(client, totp.now())
    assert response.status_code == 429 and "Too many attempts" in text(response)
    assert locked(client)


def test_editors_see_no_tickets_and_are_not_forced(required, client, console):
    response = console.login("editor")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"


def test_a_session_from_before_totp_was_required_ends(app, accounts, client, console):
    console.login("operator")
    assert client.get("/staff/tickets").status_code == 200
    app.config["STAFF_2FA"] = "required"
    assert locked(client)


def test_optional_a_password_signs_in_and_totp_can_be_set_up_from_the_account_page(
    app, accounts, client, console
):
    response = console.login("operator")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    page = text(client.get("/staff/account"))
    assert "Off: signing in asks only for your password." in page
    setup = text(client.get("/staff/two-step/setup"))
    totp = pyotp.TOTP(re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', setup).group(1))
    response = post_code(client, totp.now(), url="/staff/two-step/setup")
    assert response.status_code == 200 and "Two-factor authentication is on." in text(response)
    assert "10 recovery codes are left." in text(client.get("/staff/account"))

    client.post("/staff/logout", data={"csrf_token": csrf_of(page)})
    assert console.login("operator").headers["Location"] == "/staff/login/code"
    assert locked(client)
    assert post_code(client, totp.at(time.time() + 30)).status_code == 303


def test_the_code_step_without_a_password_goes_back_to_sign_in(required, client):
    response = client.get("/staff/login/code")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login"
    assert client.get("/staff/two-step/setup").headers["Location"] == "/staff/login"


def test_commands_create_an_account_and_reset_totp(required, runner):
    result = runner.invoke(
        args=[
            "staff",
            "create",
            "--email",
            "new@casino.example",
            "--role",
            "operator",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    enrol(required, "operator")
    result = runner.invoke(args=["staff", "reset-2fa", "--email", EMAILS["operator"]])
    assert result.exit_code == 0, result.output
    assert not member(required, "operator").has_totp
    assert audit(required)[-1] == "totp_reset"


def test_the_demo_admin_is_told_to_have_an_authenticator_app_at_hand(app, runner):
    app.config["STAFF_2FA"] = "required"
    result = runner.invoke(args=["staff", "demo"])
    assert result.exit_code == 0, result.output
    assert "/staff/login as admin@casino.example" in result.output
    assert "At the first sign-in you set up two-factor authentication" in result.output
