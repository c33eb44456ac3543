"""The status page: lookup, the private link, what the player sees, and what they can do there."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.tickets import services, states
from helpcenter.tickets.models import Ticket
from tests.contact.conftest import (
    Player,
    csrf_of,
    file_ticket,
    opened,
    png_bytes,
    post_multipart,
    text,
)

# Pages and forms: what they show does not depend on the database: once (tests/conftest.py).
pytestmark = pytest.mark.one_database

HTMX = {"HX-Request": "true"}
STAFF = services.Actor(states.STAFF, "Rəşad", "supervisor")


def ticket_of(app, ref: str) -> Ticket:
    return db.session.scalar(select(Ticket).where(Ticket.reference == ref))


def lookup(client, ref: str, email: str, lang: str = "en"):
    token = csrf_of(text(client.get(f"/{lang}/status")))
    return client.post(
        f"/{lang}/status", data={"csrf_token": token, "reference": ref, "email": email}
    )


def test_lookup_by_reference_and_email_forgives_typing(ctx, client):
    ref = file_ticket().ticket.reference
    sloppy = ref.lower().replace("-", " ").replace("0", "o").replace("1", "i")
    response = lookup(client, sloppy, "  PLAYER@example.com ")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/en/status/{ref}"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert f"Request {ref}" in text(page)
    assert page.headers["X-Robots-Tag"] == "noindex"
    assert page.headers["Cache-Control"] == "no-store"
    assert '<meta name="referrer" content="no-referrer">' in text(page)


def test_a_wrong_pair_gets_one_message_whichever_part_is_wrong(ctx, client):
    ref = file_ticket().ticket.reference
    other = file_ticket(email="someone@example.com").ticket.reference
    wrong_email = lookup(client, ref, "someone@example.com")
    unknown = lookup(client, "HC-00000000-0", "player@example.com")
    message = "We found no request with this reference number and email."
    assert wrong_email.status_code == unknown.status_code == 404
    assert message in text(wrong_email) and message in text(unknown)
    # Nothing was granted: the reference alone opens nothing.
    assert client.get(f"/en/status/{ref}").status_code == 404
    assert client.get(f"/en/status/{other}").status_code == 404


def test_a_reference_with_a_wrong_check_character_is_explained(ctx, client):
    ref = file_ticket().ticket.reference
    last = "0" if ref[-1] != "0" else "1"
    response = lookup(client, ref[:-1] + last, "player@example.com")
    assert response.status_code == 422
    assert "This reference number is not valid. Check it for typos" in text(response)


def test_lookups_are_rate_limited_per_address_and_per_reference(ctx, client, app):
    app.config["STATUS_REFERENCE_RATE_LIMIT"] = "3 per hour"
    ref = file_ticket().ticket.reference
    codes = [lookup(client, ref, f"guess{i}@example.com").status_code for i in range(4)]
    assert codes == [404, 404, 404, 429]
    # The right email is refused too once the reference is over its limit.
    assert lookup(client, ref, "player@example.com").status_code == 429
    app.config["STATUS_LOOKUP_RATE_LIMIT"] = "2 per hour"
    other = file_ticket().ticket.reference
    assert [lookup(client, other, "x@example.com").status_code for _ in range(3)] == [
        404,
        404,
        429,
    ]
    assert "Too many attempts." in text(lookup(client, other, "player@example.com"))


def test_the_private_link_opens_the_page_and_a_wrong_one_explains(ctx, app, client):
    filed = file_ticket()
    assert client.get(f"/en/status/{filed.token}", follow_redirects=True).status_code == 200
    # A token with its last character changed (never to the character it already ends in).
    changed = filed.token[:-1] + ("x" if filed.token[-1] != "x" else "y")
    for bad in (changed, "short", "a" * 64, filed.ticket.reference):
        response = app.test_client().get(f"/en/status/{bad}")
        assert response.status_code == 404
        assert "This link does not open a request." in text(response)
    # Another ticket's token never opens this one, on any address.
    other = file_ticket()
    page = text(app.test_client().get(f"/en/status/{other.token}", follow_redirects=True))
    assert f"Request {other.ticket.reference}" in page
    assert f"Request {filed.ticket.reference}" not in page


def test_the_page_shows_stage_deadlines_replies_and_timeline_but_no_notes(ctx, client):
    now = utcnow()
    filed = file_ticket(now=now)
    ticket = filed.ticket
    services.note(ticket, STAFF, "Internal: player seems upset", now=now)
    services.escalate(ticket, STAFF, "The bank must confirm", now=now)
    services.reply(ticket, STAFF, "Please send the bank statement.", wait=True, now=now)
    page = text(client.get(opened(client, filed)))
    assert "Internal: player seems upset" not in page
    assert "Please send the bank statement." in page
    assert "Rəşad, support team" in page
    assert 'class="step step-current" aria-current="step"' in page
    assert re.search(
        r'step-current" aria-current="step">\s*<span class="step-label">With a supervisor', page
    )
    assert "Passed to a supervisor: The bank must confirm" in page
    assert "We are waiting for your reply." in page
    assert "First response by" in page and "Met" in page
    assert "Resolution expected by" in page and "On track" in page


def test_the_page_speaks_the_language_of_its_address(app, client):
    # No request context around the requests: it would share one `g`, and one locale, among them.
    with app.app_context():
        filed = file_ticket(language="en")
        services.run_sla(now=filed.ticket.first_response_due_at + timedelta(minutes=1))
    ru = text(client.get(opened(client, filed, "ru")))
    az = text(client.get(opened(client, filed, "az")))
    assert "Автоматически передано супервайзеру" in ru
    assert "Avtomatik olaraq supervayzerə ötürüldü" in az
    switcher = re.findall(r'href="(/[a-z]{2}/status/[^"]+)" hreflang', ru)
    ref = filed.ticket.reference
    assert f"/az/status/{ref}" in switcher and f"/en/status/{ref}" in switcher


def test_htmx_polling_gets_the_changing_part_and_the_forms_when_they_change(ctx, client):
    filed = file_ticket()
    page = text(client.get(opened(client, filed)))
    poll = re.search(r'id="hc-live" hx-get="([^"]+)" hx-trigger="every 30s"', page)
    assert poll
    first = client.get(poll.group(1).replace("&amp;", "&"), headers=HTMX)
    assert "HX-Request" in first.headers["Vary"]
    assert text(first).lstrip().startswith('<div id="hc-live"')
    assert "hx-swap-oob" not in text(first)
    services.resolve(filed.ticket, STAFF, "The deposit is on your balance now.", now=utcnow())
    after = text(client.get(poll.group(1).replace("&amp;", "&"), headers=HTMX))
    assert "The deposit is on your balance now." in after
    assert '<div id="hc-actions" hx-swap-oob="true">' in after
    assert "Rate our service" in after
    assert client.get(poll.group(1).replace("&amp;", "&")).status_code == 302


def reply(client, path, body="", files=(), csrf=None):
    token = csrf or csrf_of(text(client.get(path)))
    data = {"reply-csrf_token": token, "reply-body": body}
    if files:
        data["reply-attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return post_multipart(client, path + "/reply", data)


def test_the_player_replies_and_adds_evidence(ctx, client):
    filed = file_ticket()
    path = opened(client, filed)
    services.reply(filed.ticket, STAFF, "Which card?", wait=True)
    response = reply(client, path, "The Visa ending in 4242.", [("receipt.png", png_bytes())])
    assert response.status_code == 303 and response.headers["Location"] == path
    page = text(client.get(path))
    assert "Thank you. Your message has been added to the request." in page
    assert "The Visa ending in 4242." in page and "receipt.png" in page
    assert reply(client, path, "", [("second.png", png_bytes())]).status_code == 303
    db.session.expire_all()
    ticket = ticket_of(ctx, filed.ticket.reference)
    assert ticket.state == "in_progress"
    assert [e.type for e in ticket.events][-2:] == ["player_replied", "evidence_added"]
    assert len(ticket.attachments) == 2


@pytest.mark.parametrize(
    ("body", "files", "message"),
    [
        ("", (), "Write a message or attach a file."),
        ("x" * 5001, (), "Write at most 5000 characters"),
        ("Hi", [("x.png", b"GIF89a")], "x.png is not a JPEG, PNG or PDF file."),
    ],
)
def test_a_bad_reply_is_explained_and_changes_nothing(ctx, client, body, files, message):
    filed = file_ticket()
    response = reply(client, opened(client, filed), body, files)
    assert response.status_code == 422
    assert message in text(response)
    db.session.expire_all()
    assert len(ticket_of(ctx, filed.ticket.reference).messages) == 1


def test_a_stale_reply_form_keeps_the_text(ctx, client):
    filed = file_ticket()
    response = reply(client, f"/en/status/{filed.token}", "My long answer", csrf="old")
    assert response.status_code == 422
    assert "For your security this form has expired." in text(response)
    assert "My long answer" in text(response)


def test_rating_once_after_resolution_and_reopening_within_seven_days(ctx, client):
    filed = file_ticket()
    path = opened(client, filed)
    page = text(client.get(path))
    assert "Rate our service" not in page
    services.resolve(filed.ticket, STAFF, "Refunded.")
    page = text(client.get(path))
    assert "Rate our service" in page and "Not solved after all?" in page
    token = csrf_of(page)
    rated = client.post(
        path + "/rate",
        data={"rating-csrf_token": token, "rating-score": "4", "rating-comment": "Quick"},
    )
    assert rated.status_code == 303
    page = text(client.get(path))
    assert "You rated our service 4 of 5. Thank you!" in page and "Rate our service" not in page
    again = client.post(path + "/rate", data={"rating-csrf_token": token, "rating-score": "1"})
    assert again.status_code == 409
    assert "This is no longer possible" in text(again)
    bad = client.post(path + "/reopen", data={"reopen-csrf_token": token, "reopen-body": ""})
    assert bad.status_code == 422 and "Tell us what is still not solved." in text(bad)
    reopened = client.post(
        path + "/reopen", data={"reopen-csrf_token": token, "reopen-body": "Not refunded yet."}
    )
    assert reopened.status_code == 303
    db.session.expire_all()
    ticket = ticket_of(ctx, filed.ticket.reference)
    assert ticket.state == "in_progress" and ticket.rating == 4


def test_reopening_ends_after_seven_days_and_closed_requests_take_no_replies(ctx, client):
    filed = file_ticket()
    services.resolve(filed.ticket, STAFF, "Done.", now=utcnow() - timedelta(days=8))
    path = opened(client, filed)
    page = text(client.get(path))
    assert "Not solved after all?" not in page and "Reply or add evidence" not in page
    token = csrf_of(page)
    late = client.post(path + "/reopen", data={"reopen-csrf_token": token, "reopen-body": "Again"})
    assert late.status_code == 409
    services.run_sla()
    assert reply(client, path, "Hello?", csrf=token).status_code == 409
    db.session.expire_all()
    assert ticket_of(ctx, filed.ticket.reference).state == "closed"


def test_a_rating_must_be_one_to_five(ctx, client):
    filed = file_ticket()
    services.resolve(filed.ticket, STAFF, "Done.")
    path = opened(client, filed)
    token = csrf_of(text(client.get(path)))
    response = client.post(path + "/rate", data={"rating-csrf_token": token, "rating-score": "9"})
    assert response.status_code == 422
    assert "Not a valid choice" not in text(response)
    assert "Choose a rating from 1 to 5." in text(response)


def test_status_actions_are_rate_limited(ctx, client, app):
    app.config["STATUS_ACTION_RATE_LIMIT"] = "2 per hour"
    filed = file_ticket()
    path = opened(client, filed)
    codes = [reply(client, path, f"Message {i}").status_code for i in range(3)]
    assert codes == [303, 303, 429]


def test_the_filing_session_may_open_its_request_by_reference(loaded, client):
    player = Player(client)
    player.file()
    with loaded.app_context():
        ref = db.session.scalar(select(Ticket.reference))
    assert client.get(f"/en/status/{ref}").status_code == 200
    stranger = loaded.test_client()
    assert stranger.get(f"/en/status/{ref}").status_code == 404
