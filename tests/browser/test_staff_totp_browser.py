"""Staff in a real browser set up two-factor authentication and sign in with a TOTP code."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

from helpcenter.staff import services as staff

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
PASSWORD = "correct horse battery staple"
EMAIL = "operator@casino.example"


@pytest.fixture
def operator(loaded):
    loaded.config["STAFF_2FA"] = "required"
    with loaded.app_context():
        staff.create_staff(email=EMAIL, role="operator", password=PASSWORD, name="Aysel")


def sign_in_with_password(page, live_server):
    page.goto(live_server + "/staff/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_operator_sets_up_totp_then_signs_in_with_a_code(operator, live_server, page):
    sign_in_with_password(page, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text())
    # A code of the step before now: the one typed at the next sign-in is then a new one.
    page.get_by_label("Code").fill(totp.at(time.time() - 30))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have saved the codes, continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("queue")

    page.get_by_role("button", name="Sign out").click()
    sign_in_with_password(page, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    field = page.get_by_label("Code")
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    expect(field).to_have_attribute("inputmode", "numeric")
    field.fill(totp.now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("queue")
