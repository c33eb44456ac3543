"""Quotas on players' files: per request, and per day per client address and per email."""

import io
import os
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from helpcenter import ratelimit
from helpcenter.chat import services as chat
from helpcenter.extensions import db
from helpcenter.staff import services as staff
from helpcenter.tickets import quotas as ticket_quotas
from helpcenter.tickets import services, uploads
from helpcenter.tickets.models import Attachment, Ticket, TicketMessage
from tests.contact.conftest import (
    FORM,
    Player,
    file_ticket,
    opened,
    png_bytes,
    post_multipart,
    text,
)

SMALL = {
    "TICKET_MAX_FILES": 3,
    "TICKET_MAX_MEGABYTES": 1,
    "UPLOAD_DAILY_FILES_PER_ADDRESS": 1000,
    "UPLOAD_DAILY_MEGABYTES_PER_ADDRESS": 1000,
    "UPLOAD_DAILY_FILES_PER_EMAIL": 1000,
    "UPLOAD_DAILY_MEGABYTES_PER_EMAIL": 1000,
}


@pytest.fixture
def quotas(app):
    app.config.update(SMALL)
    return app.config


def errors(response) -> list[str]:
    return re.findall(r'<p class="error" id="[^"]+">(.*?)</p>', text(response))


def noise_png(kib: int) -> bytes:
    """A PNG of about `kib` KiB: noise does not compress."""
    side = int((kib * 1024 / 3) ** 0.5)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def post(client, path: str, data: dict, address: str = "127.0.0.1"):
    """A multipart POST from the client address `address`."""
    client.environ_base["REMOTE_ADDR"] = address
    try:
        return post_multipart(client, path, data)
    finally:
        client.environ_base["REMOTE_ADDR"] = "127.0.0.1"


def reply(client, path: str, body: str, files, address: str = "127.0.0.1"):
    token = re.search(
        r'name="reply-csrf_token" type="hidden" value="([^"]+)"', text(client.get(path))
    )
    data = {"reply-csrf_token": token.group(1), "reply-body": body}
    data["reply-attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return post(client, path + "/reply", data, address)


def contact(client, files, address: str = "127.0.0.1", lang: str = "en", **changes):
    data = {**FORM, **changes, "csrf_token": Player(client, lang).token()}
    data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return post(client, f"/{lang}/contact", data, address)


def stored(ticket_id: int) -> tuple[int, int]:
    """The ticket's messages and attachments in the database."""
    db.session.expire_all()
    messages = db.session.scalar(
        select(func.count(TicketMessage.id)).where(TicketMessage.ticket_id == ticket_id)
    )
    files = db.session.scalar(
        select(func.count(Attachment.id)).where(Attachment.ticket_id == ticket_id)
    )
    return messages, files


def tickets() -> int:
    return db.session.scalar(select(func.count(Ticket.id)))


def shots(*names: str):
    return [(name, png_bytes()) for name in names]


# --- per request ---------------------------------------------------------------------------------

TICKET_FULL = {
    "en": "You have already attached 3 files to this request, the most one request can hold.",
    "az": "Bu müraciətə artıq 3 fayl əlavə etmisiniz: bir müraciətə bundan çox fayl əlavə etmək "
    "olmaz.",
    "ru": "Вы уже прикрепили к этому обращению 3 файла: больше к одному обращению прикрепить "
    "нельзя.",
}
TICKET_CROSSED = {
    "en": "d.png was not sent: one request can hold at most 3 files from you.",
    "az": "d.png göndərilmədi: bir müraciətə ən çoxu 3 fayl əlavə edə bilərsiniz.",
    "ru": "Файл d.png не отправлен: к одному обращению можно прикрепить не более 3 файлов.",
}


@pytest.mark.parametrize("lang", ["en", "az", "ru"])
def test_the_file_that_crosses_the_request_quota_is_refused_and_nothing_is_kept(
    ctx, client, quotas, lang
):
    filed = file_ticket(language=lang)
    path = opened(client, filed, lang)
    assert reply(client, path, "My receipt.", shots("a.png", "b.png")).status_code == 303

    response = reply(client, path, "Two more screenshots.", shots("c.png", "d.png"))
    assert response.status_code == 422
    assert TICKET_CROSSED[lang] in errors(response)
    assert "Two more screenshots." in text(response)  # the text is kept to send again
    assert stored(filed.ticket.id) == (2, 2)  # the first message and the first reply

    assert reply(client, path, "", shots("c.png")).status_code == 303
    response = reply(client, path, "And one more.", shots("d.png"))
    assert response.status_code == 422
    assert TICKET_FULL[lang] in errors(response)
    assert stored(filed.ticket.id) == (3, 3)
    # A reply without files still goes through.
    assert reply(client, path, "Any news?", []).status_code == 303


def test_the_request_quota_counts_megabytes_over_the_contact_form_and_replies(
    loaded, ctx, client, quotas
):
    big = noise_png(600)
    response = contact(client, [("first.png", big), ("second.png", big)])
    assert response.status_code == 422
    assert (
        "second.png was not sent: the files of one request can add up to 1 MB at most."
        in errors(response)
    )
    assert tickets() == 0  # no half-filed request

    path = client.get(Player(client).file(files=[("first.png", big)])).headers["Location"]
    ticket_id = db.session.scalar(select(Ticket.id))
    response = reply(client, path, "The statement.", [("second.png", big)])
    assert response.status_code == 422
    assert (
        "second.png was not sent: the files of one request can add up to 1 MB at most."
        in errors(response)
    )
    assert stored(ticket_id) == (1, 1)


def test_a_request_holds_exactly_its_quota(ctx, client, quotas):
    filed = file_ticket()
    path = opened(client, filed)
    assert reply(client, path, "", shots("a.png", "b.png", "c.png")).status_code == 303
    assert stored(filed.ticket.id) == (2, 3)


# --- per day -------------------------------------------------------------------------------------


def test_the_daily_address_quota_refuses_the_crossing_file_and_says_when_it_ends(
    loaded, ctx, client, quotas
):
    quotas.update(UPLOAD_DAILY_FILES_PER_ADDRESS=4)
    path = client.get(Player(client).file(files=shots("a.png", "b.png"))).headers["Location"]
    assert reply(client, path, "", shots("c.png")).status_code == 303
    # Another request, another email, the same address: its second file is one too many.
    response = contact(client, shots("d.png", "e.png"), email="other@example.com")
    assert response.status_code == 429
    assert (
        "e.png was not sent: you can send at most 4 files a day. You can send more after "
        "00:00 (Baku time)." in errors(response)
    )
    assert tickets() == 1
    # The refused post counted nothing: one more file fits, from this address.
    assert contact(client, shots("d.png"), email="other@example.com").status_code == 303
    # Another address has its own day.
    assert (
        contact(client, shots("f.png"), address="10.0.0.9", email="third@example.com").status_code
        == 303
    )


def test_the_daily_megabytes_per_address_are_counted_too(loaded, ctx, client, quotas):
    quotas.update(TICKET_MAX_MEGABYTES=100, UPLOAD_DAILY_MEGABYTES_PER_ADDRESS=1)
    big = noise_png(600)
    assert contact(client, [("first.png", big)]).status_code == 303
    response = contact(client, [("second.png", big)], email="other@example.com")
    assert response.status_code == 429
    assert (
        "second.png was not sent: you can send at most 1 MB of files a day. You can send more "
        "after 00:00 (Baku time)." in errors(response)
    )


SPELLINGS = ["ｖｉｃｔｉｍ@example.com", "Victim@Example.com", "victim+1@example.com"]


def test_spellings_of_one_mailbox_share_its_daily_quota(loaded, ctx, client, quotas):
    quotas.update(UPLOAD_DAILY_FILES_PER_EMAIL=2)
    for address, email in zip(["10.0.0.1", "10.0.0.2"], SPELLINGS, strict=False):
        assert contact(client, shots("a.png"), address=address, email=email).status_code == 303
    response = contact(client, shots("c.png"), address="10.0.0.3", email=SPELLINGS[2])
    assert response.status_code == 429
    assert (
        "c.png was not sent: at most 2 files a day can be sent with one email address. You "
        "can send more after 00:00 (Baku time)." in errors(response)
    )
    assert tickets() == 2


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        (
            "az",
            "c.png göndərilmədi: bir e-poçt ünvanı ilə gündə ən çoxu 1 fayl göndərmək olar. "
            "Bakı vaxtı ilə saat 00:00-dan sonra yenə göndərmək mümkün olacaq.",
        ),
        (
            "ru",
            "Файл c.png не отправлен: с одного адреса e-mail за день можно отправить не более "
            "1 файла. Отправить ещё можно будет после 00:00 по бакинскому времени.",
        ),
    ],
)
def test_the_daily_quota_speaks_the_players_language(ctx, client, quotas, lang, message):
    quotas.update(UPLOAD_DAILY_FILES_PER_EMAIL=1)
    filed = file_ticket(language=lang, email="victim@example.com")
    path = opened(client, filed, lang)
    assert reply(client, path, "", shots("b.png")).status_code == 303
    response = reply(client, path, "Again.", shots("c.png"))
    assert response.status_code == 429
    assert message in errors(response)
    assert stored(filed.ticket.id) == (2, 1)


def test_spellings_of_one_mailbox_share_the_contact_rate_limit(loaded, client, app):
    app.config["CONTACT_EMAIL_RATE_LIMIT"] = "2 per hour"
    for address, email in zip(["10.0.0.1", "10.0.0.2"], SPELLINGS, strict=False):
        assert contact(client, [], address=address, email=email).status_code == 303
    assert contact(client, [], address="10.0.0.3", email=SPELLINGS[2]).status_code == 429
    assert contact(client, [], address="10.0.0.3", email="someone@example.com").status_code == 303


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("ｖｉｃｔｉｍ@example.com", "victim@example.com"),
        ("Victim@Example.COM", "victim@example.com"),
        ("victim+1@example.com", "victim@example.com"),
        ("VICTIM+a+b@EXAMPLE.com", "victim@example.com"),
        ("Straße@example.com", "strasse@example.com"),
        ("+tag@example.com", "+tag@example.com"),
        ("not an address", "not an address"),
    ],
)
def test_email_key(email, key):
    assert ratelimit.email_key(email) == key


# --- the live chat -------------------------------------------------------------------------------


def test_the_chat_counts_towards_the_request_quota_and_keeps_nothing_refused(loaded, quotas):
    def files(*names):
        data = png_bytes()
        return [services.File(uploads.check(data, name), data) for name in names]

    with loaded.test_request_context():
        aysel = staff.create_staff(
            email="aysel@casino.example", role="operator", password="pw-" * 4, name="Aysel"
        )
        chat.set_presence(member=aysel, status="available")
        ticket = chat.start_chat(language="ru", topic="verification", message="Здравствуйте").ticket
        chat.player_message(ticket=ticket, text="Скриншоты", files=files("a.png", "b.png"))
        before = stored(ticket.id)
        with pytest.raises(ticket_quotas.QuotaExceeded) as refused:
            chat.player_message(ticket=ticket, text="Ещё", files=files("c.png", "d.png"))
        assert (refused.value.limit, refused.value.name) == ("ticket_files", "d.png")
        assert stored(ticket.id) == before
