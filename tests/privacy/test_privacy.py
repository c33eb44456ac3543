"""Retention, and one player's export and erasure: exactly what they say, nobody else's data."""

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.privacy import services as privacy
from helpcenter.staff import services as staff
from helpcenter.staff.models import AuditEntry
from helpcenter.tickets import services, states, uploads
from helpcenter.tickets.models import Attachment, StoredFile, Ticket, TicketMessage
from tests.conftest import csrf_token

PASSWORD = "privacy-admin-password"


def png(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def filed(app, email: str, *, closed_days_ago: int | None, name="Aysel", text="My card 4169"):
    """A request of `email` with one file, closed that many days ago (or still open)."""
    data = png()
    with app.test_request_context():
        new = services.NewTicket(
            topic="payments",
            subject="Deposit not credited",
            description=f"{text}: my deposit of 50 AZN is missing.",
            email=email,
            language="en",
            channel="email",
            name=name,
            player_id="P-1001",
        )
        ticket = services.file_ticket(
            new, [services.File(uploads.check(data, "receipt.png"), data)]
        ).ticket
        if closed_days_ago is not None:
            closed = utcnow() - timedelta(days=closed_days_ago)
            db.session.execute(
                db.update(Ticket)
                .where(Ticket.id == ticket.id)
                .values(state=states.CLOSED, closed_at=closed, resolved_at=closed)
            )
            db.session.commit()
        return ticket.id


def files_of(app, ticket_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(Attachment.id)).where(Attachment.ticket_id == ticket_id)
        )


def ticket_row(app, ticket_id: int) -> Ticket:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        db.session.expunge(ticket)
        return ticket


def player_texts(app, ticket_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(TicketMessage.body).where(
                    TicketMessage.ticket_id == ticket_id,
                    TicketMessage.author_kind == states.PLAYER,
                )
            )
        )


def test_retention_dry_run_and_run_delete_exactly_what_they_report(app, runner):
    old_files = filed(app, "a@example.com", closed_days_ago=200)
    recent = filed(app, "b@example.com", closed_days_ago=10)
    ancient = filed(app, "c@example.com", closed_days_ago=4 * 365)
    still_open = filed(app, "d@example.com", closed_days_ago=None)
    with app.app_context():
        stored_before = db.session.scalar(select(func.count(StoredFile.id)))
        plan = privacy.plan()
        planned = set(
            db.session.scalars(
                select(Attachment.ticket_id).where(Attachment.id.in_(plan.attachments))
            )
        )
    assert planned == {old_files, ancient} and plan.tickets == [ancient]

    dry = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would delete: 2 files" in dry.output and "1 tickets to anonymize" in dry.output
    assert files_of(app, old_files) == 1  # a dry run changes nothing

    run = runner.invoke(args=["privacy", "retention"])
    assert run.exit_code == 0, run.output
    assert "deleted 2 files" in run.output and "anonymized 1 tickets" in run.output
    assert [files_of(app, t) for t in (old_files, recent, ancient, still_open)] == [0, 1, 0, 1]
    with app.app_context():
        assert db.session.scalar(select(func.count(StoredFile.id))) == stored_before - 2
        assert privacy.plan().attachments == [] and privacy.plan().tickets == []
    gone = ticket_row(app, ancient)
    assert (gone.email, gone.name, gone.player_id) == ("", "", "")
    assert player_texts(app, ancient) == [""]
    kept = ticket_row(app, old_files)  # files gone, but not three years yet: details stay
    assert kept.email == "a@example.com" and "My card" in player_texts(app, old_files)[0]


def test_export_and_erase_of_one_email_leave_every_other_player_untouched(app):
    mine = [
        filed(app, "Victim@Example.com", closed_days_ago=None, text="First"),
        filed(app, "ｖｉｃｔｉｍ@example.com", closed_days_ago=5, text="Second"),
    ]
    other = filed(app, "neighbour@example.com", closed_days_ago=None, name="Kamran")
    with app.test_request_context():
        data, count = privacy.export("victim@example.com")
    assert count == 2
    archive = zipfile.ZipFile(io.BytesIO(data))
    record = json.loads(archive.read("tickets.json"))
    assert [t["messages"][0]["text"].split(":")[0] for t in record["tickets"]] == [
        "First",
        "Second",
    ]
    files = [n for n in archive.namelist() if n.startswith("files/")]
    assert len(files) == 2 and archive.read(files[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "neighbour" not in json.dumps(record) and "Kamran" not in json.dumps(record)

    with app.app_context():
        # Vouched for by the casino: "My requests" of that player no longer lists them after.
        db.session.execute(db.update(Ticket).values(verified_player_id="P-1001"))
        db.session.commit()
    before = ticket_row(app, other)
    with app.test_request_context():
        assert privacy.erase("VICTIM@example.com") == 2
        assert privacy.erase("victim@example.com") == 0  # once is enough
    for ticket_id in mine:
        assert ticket_row(app, ticket_id).email == "" and files_of(app, ticket_id) == 0
        assert player_texts(app, ticket_id) == [""]
        assert ticket_row(app, ticket_id).verified_player_id is None
    after = ticket_row(app, other)
    assert after.verified_player_id == "P-1001"
    assert (after.email, after.name, after.player_id, after.subject) == (
        before.email,
        before.name,
        before.player_id,
        before.subject,
    )
    assert files_of(app, other) == 1 and "My card" in player_texts(app, other)[0]


@pytest.fixture
def admin(app):
    with app.app_context():
        staff.create_staff(email="admin@casino.example", role="admin", password=PASSWORD)
        staff.create_staff(email="op@casino.example", role="operator", password=PASSWORD)
    client = app.test_client()
    client.set_cookie("lang", "en")
    token = csrf_token(client.get("/staff/login").get_data(as_text=True))
    answer = client.post(
        "/staff/login",
        data={"csrf_token": token, "email": "admin@casino.example", "password": PASSWORD},
    )
    assert answer.status_code == 303
    return client


def test_an_administrator_exports_and_erases_with_a_confirmation_and_it_is_audited(app, admin):
    ticket_id = filed(app, "player@example.com", closed_days_ago=None)
    page = admin.get("/staff/privacy").get_data(as_text=True)
    assert "Players' data" in page and "180 days" in page
    token = csrf_token(page)
    zipped = admin.post(
        "/staff/privacy/export", data={"csrf_token": token, "email": "player@example.com"}
    )
    assert zipped.status_code == 200 and zipped.mimetype == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(zipped.data)).namelist()[0].startswith("files/")

    unconfirmed = admin.post(
        "/staff/privacy/erase", data={"csrf_token": token, "email": "player@example.com"}
    )
    assert unconfirmed.status_code == 422
    assert "Confirm that erasing cannot be undone." in unconfirmed.get_data(as_text=True)
    assert files_of(app, ticket_id) == 1

    erased = admin.post(
        "/staff/privacy/erase",
        data={"csrf_token": token, "email": "player@example.com", "confirm": "y"},
    )
    assert erased.status_code == 303
    assert "1 request of player@example.com erased" in admin.get("/staff/privacy").get_data(
        as_text=True
    )
    assert files_of(app, ticket_id) == 0
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["privacy_export", "privacy_erase"]


def test_only_administrators_see_players_data(app, admin):
    operator = app.test_client()
    token = csrf_token(operator.get("/staff/login").get_data(as_text=True))
    operator.post(
        "/staff/login",
        data={"csrf_token": token, "email": "op@casino.example", "password": PASSWORD},
    )
    assert operator.get("/staff/privacy").status_code == 403
    assert not re.search(r"/staff/privacy\"", operator.get("/staff/").get_data(as_text=True))
