"""Where the keyboard focus lands, and what the live region says, after each change in place.

htmx replaces the part of the page that held the button just pressed; static/js/focus.js moves
the focus to the result (never leaving it on <body>) and reads out the fragment's message through
#hc-announcer. A form that fails its checks on a plain POST gets its error summary focused.
"""

import re

import pytest
from playwright.sync_api import expect

from helpcenter.staff import services as staff
from tests.browser.test_staff_browser import PASSWORD, sign_in
from tests.contact.conftest import file_ticket

pytestmark = [pytest.mark.browser, pytest.mark.front_end]


def announced(page):
    return page.locator("#hc-announcer")


def forget_announcement(page) -> None:
    """Empty the live region, so that the next expectation can only meet a new message."""
    page.evaluate("document.getElementById('hc-announcer').textContent = ''")


def focused_tag(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.tagName : ''")


def ready(page, url: str) -> None:
    page.goto(url)
    # htmx and focus.js bind their listeners once the page has loaded.
    page.wait_for_load_state("load")


@pytest.mark.parametrize(
    ("lang", "yes", "no", "thanks"),
    [
        ("en", "Yes", "No", "Thank you for your feedback!"),
        ("az", "Bəli", "Xeyr", "Rəyiniz üçün təşəkkür edirik!"),
    ],
)
def test_a_vote_and_a_changed_vote_keep_the_focus_on_the_pressed_button(
    live_server, page, loaded, lang, yes, no, thanks
):
    ready(page, f"{live_server}/{lang}/deposits-withdrawals/withdrawal-times/")
    feedback = page.locator("#hc-feedback")
    feedback.get_by_role("button", name=yes).click()
    expect(feedback.get_by_role("button", name=yes)).to_have_attribute("aria-pressed", "true")
    expect(feedback.get_by_role("button", name=yes)).to_be_focused()
    expect(announced(page)).to_have_text(thanks)

    forget_announcement(page)
    feedback.get_by_role("button", name=no).click()
    expect(feedback.get_by_role("button", name=no)).to_have_attribute("aria-pressed", "true")
    expect(feedback.get_by_role("button", name=yes)).to_have_attribute("aria-pressed", "false")
    expect(feedback.get_by_role("button", name=no)).to_be_focused()
    expect(announced(page)).to_have_text(thanks)
    assert focused_tag(page) == "BUTTON"


def test_this_solved_my_problem_focuses_the_thanks(live_server, page, loaded):
    ready(page, live_server + "/en/contact?topic=payments")
    page.get_by_label("Subject").fill("withdrawal rejected")
    suggestions = page.locator("#hc-suggestions")
    expect(suggestions).to_contain_text("Why was my withdrawal rejected?")
    suggestions.get_by_role("button", name="This solved my problem").first.click()
    expect(page.get_by_text("We are glad the article helped!")).to_be_visible()
    expect(page.locator("#hc-solved-notice")).to_be_focused()
    expect(announced(page)).to_have_text("We are glad the article helped!")
    # Suggestions asked for by typing after the click never replace the thanks.
    page.get_by_label("Subject").press_sequentially(" again")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#hc-solved-notice")).to_contain_text("We are glad the article helped!")


@pytest.fixture
def operator_ticket(loaded):
    with loaded.app_context():
        staff.create_staff(
            email="operator@casino.example", role="operator", password=PASSWORD, name="Aysel"
        )
        return file_ticket(language="en").ticket.reference


def test_staff_actions_and_saved_replies_move_the_focus_to_their_result(
    operator_ticket, live_server, browser
):
    context, page = sign_in(browser, live_server, "operator")
    page.get_by_role("link", name=operator_ticket).click()
    page.wait_for_load_state("load")
    ticket = page.locator("#hc-ticket")

    # A saved reply goes into the reply box, which takes the focus to be checked and edited.
    page.get_by_label("Start from a saved reply").select_option(label="Ask for a bank statement")
    page.get_by_role("button", name="Use").click()
    body = page.get_by_label("Reply to the player")
    expect(body).to_have_value(re.compile(r"^Thank you for your patience\."))
    expect(body).to_be_focused()
    expect(announced(page)).to_have_text(
        "The saved reply “Ask for a bank statement” is in the reply box. "
        "Check it before you send it."
    )

    # An action done: its message, at the top of the redrawn ticket, has the focus.
    page.get_by_role("button", name="Send reply").click()
    notice = ticket.locator(".notice")
    expect(notice).to_have_text("Your reply was sent to the player.")
    expect(notice).to_be_focused()
    expect(announced(page)).to_have_text("Your reply was sent to the player.")

    # An action refused by its checks: the error takes the focus and is read out.
    ticket.get_by_text("Escalate to the next tier").click()
    ticket.get_by_role("button", name="Escalate one tier").click()
    error = ticket.locator(".notice-error")
    expect(error).to_have_text("Check the form: the action was not done.")
    expect(error).to_be_focused()
    expect(announced(page)).to_have_text("Check the form: the action was not done.")

    # An escalation takes the ticket out of the operator's hands: the queue loads, and the
    # message of what was done has the focus there.
    ticket.get_by_label("Reason").fill("The bank needs a supervisor's request")
    ticket.get_by_role("button", name="Escalate one tier").click()
    expect(page).to_have_url(re.compile(r"/staff/tickets$"))
    done = page.locator(".notice-success")
    expect(done).to_have_text("Escalated to a supervisor.")
    expect(done).to_be_focused()
    context.close()


@pytest.mark.parametrize(
    ("lang", "send", "heading", "field"),
    [
        ("en", "Send request", "Please correct the following:", "#subject"),
        ("az", "Müraciəti göndər", "Zəhmət olmasa, aşağıdakıları düzəldin:", "#subject"),
    ],
)
def test_an_invalid_contact_form_focuses_its_error_summary(
    live_server, page, loaded, lang, send, heading, field
):
    ready(page, f"{live_server}/{lang}/contact?topic=payments")
    page.get_by_role("button", name=send).click()
    summary = page.locator("#hc-error-summary")
    expect(summary).to_contain_text(heading)
    expect(summary).to_be_focused()
    # Its links lead to their fields, and the focus with them.
    summary.locator(f"a[href='{field}']").click()
    expect(page.locator(field)).to_be_focused()


def test_a_poll_never_takes_the_focus_or_speaks(live_server, page, loaded):
    loaded.config["STATUS_POLL_SECONDS"] = 1
    with loaded.app_context():
        token = file_ticket(language="en").token
    ready(page, f"{live_server}/en/status/{token}")
    # The page counts the redraws on <html> (the CSP refuses wait_for_function's eval).
    page.evaluate(
        "() => { let polls = 0; document.addEventListener('htmx:afterSettle', () => "
        "document.documentElement.setAttribute('data-polls', String(++polls))); }"
    )
    reply = page.locator("#hc-reply textarea")
    reply.focus()
    expect(page.locator("html")).to_have_attribute("data-polls", re.compile(r"^[2-9]"))
    expect(reply).to_be_focused()
    expect(announced(page)).to_have_text("")
