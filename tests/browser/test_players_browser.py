"""A player who comes from the casino signed in: a prefilled request, "My requests", its status
page without any email step, in Chromium."""

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.players.conftest import AUDIENCE, ISSUER, SECRET, hs256

pytestmark = [pytest.mark.browser, pytest.mark.one_database]


@pytest.fixture
def sso(loaded):
    loaded.config.update(SSO_SECRET=SECRET, SSO_ISSUER=ISSUER, SSO_AUDIENCE=AUDIENCE)
    return loaded


def test_a_player_from_the_casino_files_a_prefilled_request_and_follows_it(sso, live_server, page):
    token = hs256(sub="P-100234", email="leyla@example.com", name="Leyla Məmmədova", lang="en")
    page.goto(f"{live_server}/en/sso?" + urlencode({"jwt": token, "next": "/en/contact"}))

    expect(page.get_by_role("heading", name="Contact us", exact=False).first).to_be_visible()
    expect(page.locator(".player-bar")).to_contain_text("Signed in as Leyla Məmmədova")
    email = page.get_by_label("Your email")
    expect(email).to_have_value("leyla@example.com")
    expect(email).not_to_be_editable()
    expect(page.get_by_label("Player account ID")).to_have_value("P-100234")

    page.get_by_label("What is it about?").select_option("verification")
    page.get_by_label("Subject").fill("Documents for verification")
    page.get_by_label("Describe the problem").fill(
        "I uploaded my ID card two days ago and the account is still not verified."
    )
    page.get_by_label("I agree that my request").check()
    page.get_by_role("button", name="Send request").click()
    expect(
        page.get_by_role("heading", name="Thank you, we have received your request")
    ).to_be_visible()
    reference = page.locator(".reference strong").inner_text()

    # A new browser tab of the same session: "My requests" from the header.
    page.goto(f"{live_server}/en/")
    page.locator(".player-bar").get_by_role("link", name="My requests").click()
    expect(page.get_by_role("heading", name="My requests", exact=True)).to_be_visible()
    card = page.locator(".request-card", has_text=reference)
    expect(card).to_contain_text("Documents for verification")
    expect(card).to_contain_text("Received")
    expect(card).to_contain_text("First answer by")
    card.get_by_role("link", name="Documents for verification").click()

    # Straight to the status page: no email step, no token in the address.
    expect(page.get_by_role("heading", name=f"Request {reference}")).to_be_visible()
    assert page.url == f"{live_server}/en/status/{reference}"
    expect(page.get_by_label("The email you used")).to_have_count(0)
