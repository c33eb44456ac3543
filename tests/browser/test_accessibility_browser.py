"""Every public and staff page in a real browser, on a phone and a desktop: axe finds nothing
critical or serious, and nothing scrolls sideways on a 360 px screen.

axe-core is vendored in tests/browser/vendor/ (its licence beside it) and injected into each
page; the context bypasses the site's CSP, which rightly refuses scripts it did not serve.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from helpcenter.chat import services as chat
from helpcenter.staff import services as staff
from tests.contact.conftest import file_ticket
from tests.players.conftest import AUDIENCE, ISSUER, SECRET, hs256

pytestmark = [pytest.mark.browser, pytest.mark.front_end]
PASSWORD = "correct horse battery staple"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
NARROWEST = {"width": 360, "height": 740}
ARTICLE = "/en/deposits-withdrawals/withdrawal-times/"
# A long address with no natural break: it must wrap between words, not mid-address, or at all.
EMAIL = "aysel.mammadova.longaddress@example.com"


def axe_problems(page) -> list[str]:
    """The critical and serious axe violations on the page, one line per rule and node."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
    )
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node['failureSummary'][:160]!r}"
        for v in results
        if v["impact"] in ("critical", "serious")
        for node in v["nodes"]
    ]


def horizontal_overflow(page) -> str | None:
    """What sticks out past the right edge of a 360 px screen, or None."""
    viewport = page.viewport_size
    page.set_viewport_size(NARROWEST)
    try:
        return page.evaluate(
            """() => {
              const root = document.documentElement;
              if (root.scrollWidth <= root.clientWidth) return null;
              const wide = [...document.body.querySelectorAll('*')]
                .filter(el => el.getBoundingClientRect().right > root.clientWidth + 0.5)
                .slice(0, 5)
                .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                           + (el.className && typeof el.className === 'string'
                              ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
                           + ' ' + Math.round(el.getBoundingClientRect().width) + 'px');
              return `scrollWidth ${root.scrollWidth} > ${root.clientWidth}: ${wide.join(', ')}`;
            }"""
        )
    finally:
        page.set_viewport_size(viewport)


class Audit:
    """Collects what every page visited fails, so one run reports all of them."""

    def __init__(self, page, viewport: str):
        self.page = page
        self.viewport = viewport
        self.problems: list[str] = []

    def check(self, name: str) -> None:
        expect(self.page.locator("main")).to_be_visible()
        self.problems += [f"{name}: {problem}" for problem in axe_problems(self.page)]
        if self.viewport == "phone":
            overflow = horizontal_overflow(self.page)
            if overflow:
                self.problems.append(f"{name}: wider than 360 px: {overflow}")

    def visit(self, name: str, url: str, status: int = 200) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == status, (name, url)
        self.check(name)

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def ticket(loaded):
    with loaded.app_context():
        filed = file_ticket(
            topic="payments",
            subject="Withdrawal of 200 AZN not received",
            description="I withdrew 200 AZN to my card three days ago and nothing arrived.",
            transaction_id="TX-48213-ABCDEFGH-0001",
            email=EMAIL,
        )
        return filed.ticket.reference, filed.token


@pytest.fixture
def admin(loaded):
    with loaded.app_context():
        staff.create_staff(
            email="admin@casino.example", role="admin", password=PASSWORD, name="Aysel"
        )


def new_context(browser, viewport: str):
    return browser.new_context(locale="en-US", viewport=VIEWPORTS[viewport], bypass_csp=True)


@pytest.fixture
def sso(loaded):
    loaded.config.update(SSO_SECRET=SECRET, SSO_ISSUER=ISSUER, SSO_AUDIENCE=AUDIENCE)


@pytest.fixture
def chat_open(loaded):
    """An operator available for chats, so the chat is open."""
    with loaded.test_request_context():
        member = staff.create_staff(
            email="leyla@casino.example", role="operator", password=PASSWORD, name="Leyla"
        )
        chat.set_presence(member=member, status="available")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_public_pages_have_no_serious_accessibility_problem_and_fit_a_phone(
    live_server, browser, ticket, chat_open, sso, viewport
):
    context = new_context(browser, viewport)
    page = context.new_page()
    audit = Audit(page, viewport)
    audit.visit("home", f"{live_server}/en/")
    channels = page.locator(".channels")
    expect(channels.locator(".channel")).to_have_count(5)
    if viewport == "phone":
        # The five channels that end every page are one compact list on a phone, not a wall.
        assert channels.bounding_box()["height"] < 600
    audit.visit("category", f"{live_server}/en/deposits-withdrawals/")
    audit.visit("article with tables", live_server + ARTICLE)
    # Each table is a scroll region that the keyboard reaches, named after its heading.
    tables = page.locator(".article-body .table-scroll")
    expect(tables.first).to_have_attribute("tabindex", "0")
    heading = tables.first.locator("xpath=preceding-sibling::h2[1]").inner_text()
    expect(tables.first).to_have_attribute("aria-label", heading)
    expect(page.get_by_role("region", name=heading).first).to_be_visible()
    audit.visit("search", f"{live_server}/en/search?q=withdrawal")
    expect(page.locator(".hit").first).to_be_visible()
    audit.visit("search with no result", f"{live_server}/en/search?q=qqzzxxjj")
    audit.visit("contact form", f"{live_server}/en/contact")
    audit.visit("contact form from an article", f"{live_server}/en/contact?topic=payments")

    page.goto(f"{live_server}/en/contact")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#hc-error-summary")).to_be_visible()
    audit.check("contact form after an invalid submit")

    page.get_by_label("What is it about?").select_option("account")
    page.get_by_label("Subject").fill("Cannot sign in")
    page.get_by_label("Describe the problem").fill("My account says it is locked since today.")
    page.get_by_label("Your email").fill(EMAIL)
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".reference")).to_be_visible()
    audit.check("confirmation")

    audit.visit("status lookup", f"{live_server}/en/status")
    _ref, token = ticket
    audit.visit("status page", f"{live_server}/en/status/{token}")
    audit.visit("page not found", f"{live_server}/en/no-such-category/", status=404)

    # The live chat, opened: the start form, then the chat with the answer bot's articles.
    audit.visit("chat start", f"{live_server}/en/chat")
    page.get_by_label("What is it about?").select_option("payments")
    page.get_by_label("Your question").fill("My withdrawal was rejected, why?")
    page.get_by_role("button", name="Start the chat").click()
    expect(page.locator(".bot-articles, .message-bot").first).to_be_visible()
    audit.check("chat with the answer bot")
    page.get_by_role("button", name="I want to talk to a person").click()
    expect(page.locator(".chat-queue")).to_be_visible()
    audit.check("chat in the queue")

    # Signed in from the casino: the header's line, the read-only form, "My requests".
    token = hs256(sub="P-100234", email=EMAIL, name="Aysel Məmmədova", lang="en")
    audit.visit("contact form signed in", f"{live_server}/en/sso?jwt={token}&next=/en/contact")
    expect(page.locator(".player-bar")).to_contain_text("Aysel Məmmədova")
    audit.visit("my requests", f"{live_server}/en/requests")
    expect(page.locator(".request-card").first).to_be_visible()
    context.close()
    audit.assert_clean()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_staff_pages_have_no_serious_accessibility_problem_and_fit_a_phone(
    live_server, browser, ticket, admin, viewport
):
    context = new_context(browser, viewport)
    page = context.new_page()
    page.goto(live_server + "/staff/login")
    page.get_by_label("Email").fill("admin@casino.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("queue")
    audit = Audit(page, viewport)
    audit.check("queue")
    ref, _token = ticket
    audit.visit("ticket page", f"{live_server}/staff/tickets/{ref}")
    audit.visit("reports", f"{live_server}/staff/reports/")
    audit.visit("audit log", f"{live_server}/staff/audit")
    audit.visit("editor overview", f"{live_server}/staff/content")
    slug = "withdrawal-times"
    audit.visit("editor article", f"{live_server}/staff/content/{slug}")
    audit.visit("edit", f"{live_server}/staff/content/{slug}/en/edit")
    audit.visit("translate", f"{live_server}/staff/content/{slug}/az/translate")
    audit.visit("history", f"{live_server}/staff/content/{slug}/en/history")
    audit.visit("glossary", f"{live_server}/staff/content/glossary")
    audit.visit("staff page not found", f"{live_server}/staff/tickets/HC-NOSUCH00-0", status=404)
    context.close()
    audit.assert_clean()
