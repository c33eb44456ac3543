"""Staff in real browsers pass a ticket up the tiers while the player watches the status page."""

import pytest
from playwright.sync_api import expect

from helpcenter.staff import services as staff
from tests.contact.conftest import file_ticket

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def team(loaded):
    loaded.config["STATUS_POLL_SECONDS"] = 1
    with loaded.app_context():
        for role, name in (
            ("operator", "Aysel"),
            ("supervisor", "Rəşad"),
            ("investigator", "Nigar"),
        ):
            staff.create_staff(
                email=f"{role}@casino.example", role=role, password=PASSWORD, name=name
            )
        filed = file_ticket(
            topic="complaint",
            subject="Roulette result differs",
            description="The wheel showed 17 but the game paid out as if it was 7.",
        )
        return filed.ticket.reference, filed.token


def sign_in(browser, live_server, role):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(live_server + "/staff/login")
    page.get_by_label("Email").fill(f"{role}@casino.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("queue")
    return context, page


def test_a_ticket_goes_from_operator_to_investigation_while_the_player_watches(
    team, live_server, browser
):
    ref, token = team
    player_context = browser.new_context(locale="en-US")
    player = player_context.new_page()
    player.goto(f"{live_server}/en/status/{token}")
    player.evaluate("window.stillTheSamePage = true")
    expect(player.locator(".step-current")).to_contain_text("Received")

    # The operator answers and escalates.
    operator_context, operator = sign_in(browser, live_server, "operator")
    operator.get_by_role("link", name=ref).click()
    operator.get_by_label("Reply to the player").fill(
        "We are checking the game log with the provider."
    )
    operator.get_by_role("button", name="Send reply").click()
    expect(operator.locator("#hc-ticket .notice")).to_contain_text("Your reply was sent")
    expect(player.locator(".messages")).to_contain_text("We are checking the game log")
    operator.get_by_text("Escalate to the next tier").click()
    operator.get_by_label("Reason for the escalation").fill("A supervisor must decide")
    operator.get_by_role("button", name="Escalate one tier").click()
    expect(operator).to_have_url(live_server + "/staff/tickets")
    expect(operator.locator(".notice")).to_contain_text("Escalated to a supervisor.")
    expect(player.locator(".step-current")).to_contain_text("With a supervisor")
    expect(player.locator(".timeline")).to_contain_text(
        "Passed to a supervisor: A supervisor must decide"
    )

    # The supervisor passes it to the investigation team.
    supervisor_context, supervisor = sign_in(browser, live_server, "supervisor")
    supervisor.get_by_role("link", name=ref).click()
    supervisor.get_by_text("Escalate to the next tier").click()
    supervisor.get_by_label("Reason for the escalation").fill("The game provider's logs are needed")
    supervisor.get_by_role("button", name="Escalate one tier").click()
    expect(supervisor.locator(".ticket-state")).to_contain_text("Investigation team's queue")
    expect(player.locator(".step-current")).to_contain_text("With the investigation team")

    # The investigator takes it and resolves it.
    investigator_context, investigator = sign_in(browser, live_server, "investigator")
    investigator.get_by_role("link", name=ref).click()
    investigator.get_by_role("button", name="Assign to me").click()
    expect(investigator.locator(".ticket-state")).to_contain_text("assigned to investigator@")
    investigator.get_by_text("Resolve the ticket").click()
    investigator.get_by_label("Summary for the player").fill(
        "The provider's log shows 7: the payout was right. The video stream lagged behind."
    )
    investigator.get_by_role("button", name="Resolve", exact=True).click()
    expect(investigator.locator(".ticket-state")).to_contain_text("Resolved")

    expect(player.locator(".step-current")).to_contain_text("Resolved")
    expect(player.locator(".messages")).to_contain_text("The video stream lagged behind.")
    expect(player.get_by_role("heading", name="Rate our service")).to_be_visible()
    assert player.evaluate("window.stillTheSamePage") is True
    for context in (player_context, operator_context, supervisor_context, investigator_context):
        context.close()
