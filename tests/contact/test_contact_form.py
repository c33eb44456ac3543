"""The contact form as a player uses it: channel choice, suggestions, filing, and bad input."""

import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from helpcenter.extensions import db
from helpcenter.tickets import reference, storage
from helpcenter.tickets.models import Attachment, Deflection, OutboxEmail, Ticket
from tests.contact.conftest import FORM, Player, csrf_of, png_bytes, text

# Pages and forms: what they show does not depend on the database: once (tests/conftest.py).
pytestmark = pytest.mark.one_database

HTMX = {"HX-Request": "true"}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def errors(response) -> list[str]:
    return re.findall(r'<p class="error" id="[^"]+">(.*?)</p>', text(response))


@pytest.mark.parametrize(
    ("lang", "heading", "topic", "chat"),
    [
        ("az", "Bizimlə əlaqə", "Ödənişlər: depozit və ya pul çıxarışı", "Canlı çat"),
        ("ru", "Связаться с нами", "Платежи: депозит или вывод средств", "Онлайн-чат"),
        ("en", "Contact us", "Payments: a deposit or a withdrawal", "Live chat"),
    ],
)
def test_contact_page_in_every_language(loaded, client, lang, heading, topic, chat):
    response = client.get(f"/{lang}/contact")
    page = text(response)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in page
    assert topic in page and chat in page
    assert 'name="csrf_token"' in page
    assert response.headers["Cache-Control"] == "no-store"
    # Every channel says whether it is open now and when it answers.
    assert page.count('class="radio channel-option"') == 5


def test_article_links_to_the_form_with_its_topic_and_the_form_recommends_a_channel(loaded, client):
    article = text(client.get("/en/deposits-withdrawals/withdrawal-rejected/"))
    assert 'href="/en/contact?topic=payments"' in article
    login = text(client.get("/en/account-verification/reset-password/"))
    assert 'href="/en/contact?topic=account"' in login
    page = text(client.get("/en/contact?topic=verification"))
    assert '<option selected value="verification">' in page
    assert "We recommend: <strong>Email</strong>." in page
    assert "Documents are easiest to send by email" in page
    assert re.search(r'id="channel-email" value="email"\s+checked', page)
    # Articles of the topic's category come first, before the player types anything.
    assert "These articles may answer your question" in page
    assert "/en/account-verification/" in page


def test_an_unknown_topic_in_the_link_is_ignored(loaded, client):
    page = text(client.get("/en/contact?topic=<script>"))
    assert "<script>" not in page
    assert "Choose a topic and we will suggest the quickest way to reach us." in page


def test_changing_the_topic_redraws_the_channel_part_with_htmx(loaded, client):
    response = client.get(
        "/en/contact/fields?topic=complaint&urgency=normal&channel=chat", headers=HTMX
    )
    fragment = text(response)
    assert "HX-Request" in response.headers["Vary"]
    assert fragment.lstrip().startswith('<div id="hc-channel"')
    assert "<html" not in fragment
    assert "We recommend: <strong>Email</strong>." in fragment
    assert re.search(r'id="channel-email" value="email"\s+checked', fragment)
    # A complaint needs the transaction ID.
    assert re.search(r"Transaction ID <span class=\"required\">", fragment)
    technical = text(client.get("/en/contact/fields?topic=technical", headers=HTMX))
    assert re.search(r"Transaction ID <span class=\"optional\">", technical)


def test_a_channel_the_player_picks_is_kept_when_the_topic_changes(loaded, client):
    picked = text(
        client.get(
            "/en/contact/fields?topic=complaint&channel=telegram",
            headers={**HTMX, "HX-Trigger-Name": "channel"},
        )
    )
    assert re.search(r'id="channel-telegram" value="telegram"\s+checked', picked)
    assert 'name="channel_chosen" type="hidden" value="1"' in picked
    assert "Your Telegram username" in picked
    later = text(
        client.get(
            "/en/contact/fields?topic=verification&channel=telegram&channel_chosen=1",
            headers=HTMX,
        )
    )
    assert re.search(r'id="channel-telegram" value="telegram"\s+checked', later)
    assert "We recommend: <strong>Email</strong>." in later


def test_the_fields_address_without_htmx_leads_to_the_form(loaded, client):
    response = client.get("/en/contact/fields?topic=bonuses")
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/contact?topic=bonuses"


def test_filing_a_request_with_evidence(loaded, client):
    player = Player(client)
    response = player.contact(files=[("bank statement.png", png_bytes())])
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/contact/sent"
    sent = text(client.get("/en/contact/sent"))
    with loaded.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.subject == FORM["subject"] and ticket.transaction_id == "TX-48213"
        assert (ticket.state, ticket.tier, ticket.channel) == ("received", "operator", "email")
        assert ticket.language == "en" and ticket.source == "web" and ticket.name == "Aysel"
        assert [a.display_name for a in ticket.attachments] == ["bank statement.png"]
        assert [e.type for e in ticket.events] == ["received"]
        outbox = db.session.scalars(select(OutboxEmail)).all()
        stored = storage.open_file(ticket.attachments[0].stored_name)
        with stored.file:
            assert stored.file.read(8) == b"\x89PNG\r\n\x1a\n"
        ref = ticket.reference
    assert reference.is_valid(ref)
    assert f"<strong>{ref}</strong>" in sent
    assert "What happens next" in sent
    assert "We will answer you by email at player@example.com." in sent
    assert "The first answer is due by" in sent
    private = re.search(r'class="private-url" href="http://localhost(/en/status/[^"]+)"', sent)
    assert private
    assert len(outbox) == 1 and outbox[0].recipient == "player@example.com"
    # The email carries the same private link, on the public address.
    assert "http://127.0.0.1:5000" + private.group(1) in outbox[0].body


def test_without_a_chosen_channel_the_form_picks_the_recommended_one(loaded, client):
    Player(client).contact(channel=None, topic="verification", transaction_id="")
    with loaded.app_context():
        assert db.session.scalar(select(Ticket.channel)) == "email"


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"transaction_id": ""}, "Enter the transaction ID"),
        ({"channel": "phone", "contact": ""}, "Enter the phone number we should contact you on."),
        ({"channel": "whatsapp", "contact": "12345"}, "Enter a phone number with its country code"),
        ({"channel": "telegram", "contact": "a b"}, "Enter your Telegram username, like @name"),
        ({"description": "Too short."}, "Write 20 to 5000 characters (now 10)."),
        ({"description": "x" * 5001}, "Write 20 to 5000 characters (now 5001)."),
        ({"subject": "s" * 151}, "Write at most 150 characters (now 151)."),
        ({"subject": "Payment\x00 stuck"}, "Remove the invisible control characters"),
        ({"subject": "Refund \u202eevil"}, "Remove the invisible control characters"),
        ({"email": "not-an-email"}, "Enter an email address like name@example.com."),
        ({"topic": "lottery"}, "Choose one of the topics in the list."),
        ({"channel": "fax"}, "Choose one of the channels in the list."),
        ({"consent": None}, "We need your consent to process the request."),
        ({"player_id": "<b>1</b>"}, "Use only Latin letters (A–Z), digits, - and _."),
    ],
)
def test_bad_input_is_refused_clearly_and_keeps_the_form(loaded, client, changes, field_error):
    response = Player(client).contact(**changes)
    page = text(response)
    assert response.status_code == 422
    assert any(field_error in e for e in errors(response)), errors(response)
    assert "Please correct the following:" in page
    assert 'aria-invalid="true"' in page
    # What the player wrote is still there.
    assert FORM["name"] in page
    assert count(loaded, Ticket) == 0 and count(loaded, OutboxEmail) == 0


def test_phone_numbers_and_telegram_names_are_stored_in_one_form(loaded, client):
    player = Player(client)
    player.contact(channel="phone", contact="050 123 45 67")
    player.contact(channel="telegram", contact="casino_fan")
    with loaded.app_context():
        contacts = db.session.scalars(select(Ticket.contact).order_by(Ticket.id)).all()
    assert contacts == ["+994501234567", "@casino_fan"]


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", b"0" * 5_000_000)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("shell.png", b"<?php system($_GET['c']); ?>", "shell.png is not a JPEG, PNG or PDF file."),
        ("page.png", b"<html><script>alert(1)</script></html>", "page.png is not a JPEG"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "logo.svg is not a JPEG"),
        ("statement.pdf", zip_bomb(), "statement.pdf is not a JPEG, PNG or PDF file."),
        ("empty.png", b"", "empty.png is empty."),
        ("cut.png", png_bytes()[:60], "cut.png is damaged or incomplete."),
        ("huge.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"\n%%EOF", "larger than 10 MB"),
    ],
)
def test_refused_uploads_are_named_and_nothing_is_saved(loaded, client, name, content, message):
    response = Player(client).contact(files=[("ok.png", png_bytes()), (name, content)])
    assert response.status_code == 422
    assert any(message in e for e in errors(response)), errors(response)
    assert FORM["description"] in text(response)
    assert count(loaded, Ticket) == 0 and count(loaded, Attachment) == 0


def test_at_most_five_files(loaded, client):
    files = [(f"shot{i}.png", png_bytes()) for i in range(6)]
    response = Player(client).contact(files=files)
    assert response.status_code == 422
    assert "Attach at most 5 files." in errors(response)
    assert count(loaded, Ticket) == 0


def test_a_request_over_the_size_limit_gets_a_localized_page(loaded, client):
    loaded.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    # A raw body: the test client would spool a built multipart body to a file it never closes.
    response = client.post(
        "/ru/contact",
        data=b"-" * (2 * 1024 * 1024),
        content_type="multipart/form-data; boundary=xyz",
    )
    assert response.status_code == 413
    assert "Файлы слишком большие" in text(response)
    assert count(loaded, Ticket) == 0


def test_a_wrong_csrf_token_keeps_the_text_and_saves_nothing(loaded, client):
    response = Player(client).contact(csrf="forged")
    assert response.status_code == 422
    page = text(response)
    assert "For your security this form has expired." in page
    assert FORM["description"] in page
    assert count(loaded, Ticket) == 0


def test_the_honeypot_stops_bots(loaded, client):
    response = Player(client).contact(website="http://spam.example")
    assert response.status_code == 422
    assert "Your request could not be sent." in text(response)
    assert count(loaded, Ticket) == 0


def test_the_form_is_rate_limited_per_address_and_per_email(loaded, client):
    loaded.config["CONTACT_RATE_LIMIT"] = "5 per hour"
    loaded.config["CONTACT_EMAIL_RATE_LIMIT"] = "2 per hour"
    player = Player(client)
    codes = [player.contact(email="same@example.com").status_code for _ in range(3)]
    assert codes == [303, 303, 429]
    assert player.contact(email="other@example.com").status_code == 303
    assert player.contact(email="third@example.com").status_code == 303
    response = player.contact(email="fourth@example.com")
    assert response.status_code == 429
    assert "You have sent many requests in a short time." in text(response)
    assert FORM["description"] in text(response)
    assert count(loaded, Ticket) == 4


def test_suggestions_follow_the_subject(loaded, client):
    response = client.get("/en/contact/suggest?subject=withdrawal+rejected", headers=HTMX)
    fragment = text(response)
    assert "HX-Request" in response.headers["Vary"]
    assert fragment.lstrip().startswith('<div id="hc-suggestions"')
    assert "/en/deposits-withdrawals/withdrawal-rejected/" in fragment
    assert fragment.count("This solved my problem") == 3
    assert 'hx-params="article,topic,csrf_token"' in fragment
    # Without htmx the address is a plain search.
    plain = client.get("/en/contact/suggest?subject=withdrawal")
    assert plain.headers["Location"] == "/en/search?q=withdrawal"


def test_this_solved_my_problem_is_counted(loaded, client):
    token = csrf_of(text(client.get("/az/contact?topic=payments")))
    data = {"csrf_token": token, "article": "withdrawal-times", "topic": "payments"}
    fragment = text(client.post("/az/contact/solved", data=data, headers=HTMX))
    assert "Məqalənin kömək etməsinə şadıq!" in fragment
    plain = client.post("/az/contact/solved", data=data)
    assert plain.status_code == 303
    assert plain.headers["Location"] == "/az/contact?solved=1#hc-solved"
    assert "Məqalənin kömək etməsinə şadıq!" in text(client.get(plain.headers["Location"]))
    with loaded.app_context():
        rows = db.session.execute(
            select(Deflection.article_slug, Deflection.language, Deflection.topic)
        ).all()
    assert rows == [("withdrawal-times", "az", "payments")] * 2
    assert client.post("/az/contact/solved", data={**data, "article": "nope"}).status_code == 404
    assert client.post("/az/contact/solved", data={**data, "csrf_token": "x"}).status_code == 400
    assert count(loaded, Deflection) == 2
