"""The ticket domain on the real database: filing, lookups, staff actions, SLA, outbox."""

import email
import email.policy
import io
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from helpcenter.extensions import db
from helpcenter.tickets import emails, reference, services, states, storage, uploads
from helpcenter.tickets.models import Attachment, OutboxEmail, StoredFile, Ticket, TicketEvent

# A Wednesday, 12:00 in Baku.
NOON = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)
STAFF = services.Actor(states.STAFF, "Aysel", "supervisor")


def new_ticket(**changes) -> services.NewTicket:
    fields = {
        "topic": "payments",
        "subject": "Withdrawal not received",
        "description": "I withdrew 200 AZN three days ago and nothing arrived on my card.",
        "email": "Player@Example.com",
        "language": "az",
        "channel": "email",
        "contact": "",
        "transaction_id": "TX-1001",
    }
    fields.update(changes)
    return services.NewTicket(**fields)


def png_file() -> services.File:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, "PNG")
    data = buffer.getvalue()
    return services.File(uploads.check(data, "screenshot.png"), data)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


def events(ticket: Ticket) -> list[tuple[str, str]]:
    return [(e.type, e.actor_kind) for e in ticket.events]


def test_filing_saves_ticket_message_file_event_and_one_acknowledgement(ctx):
    filed = services.file_ticket(new_ticket(), [png_file()], now=NOON)
    ticket = db.session.get(Ticket, filed.ticket.id)
    assert reference.normalize(ticket.reference) == ticket.reference
    assert (ticket.state, ticket.tier) == ("received", "operator")
    assert ticket.messages[0].body.startswith("I withdrew 200 AZN")
    assert [a.display_name for a in ticket.attachments] == ["screenshot.png"]
    stored = storage.open_file(ticket.attachments[0].stored_name)
    with stored.file:
        assert stored.file.read(8) == b"\x89PNG\r\n\x1a\n"
    assert events(ticket) == [("received", "player")]
    # Email answers within 2 hours, around the clock.
    assert ticket.first_response_due_at == NOON + timedelta(hours=2)
    outbox = db.session.scalars(select(OutboxEmail)).all()
    assert len(outbox) == 1 and outbox[0].language == "az"
    assert ticket.reference in outbox[0].subject
    assert outbox[0].subject.endswith("nömrəli müraciətinizi aldıq")
    assert "İlk cavabı" in outbox[0].body and "(Bakı vaxtı ilə)" in outbox[0].body
    assert f"/az/status/{filed.token}" in outbox[0].body
    assert filed.token not in ticket.token_hash


def test_a_failed_filing_leaves_no_ticket_and_no_file(ctx, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("mail template broke")

    monkeypatch.setattr(emails, "queue", broken)
    with pytest.raises(RuntimeError):
        services.file_ticket(new_ticket(), [png_file()], now=NOON)
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert db.session.scalar(select(func.count(StoredFile.id))) == 0
    directory = storage.upload_dir()
    assert not directory.exists() or not any(directory.iterdir())


def test_lookup_needs_reference_and_email_and_forgives_typing(ctx):
    filed = services.file_ticket(new_ticket(), now=NOON)
    ref = filed.ticket.reference
    sloppy = ref.lower().replace("-", "").replace("0", "o").replace("1", "l")
    assert services.find_for_player(sloppy, " player@example.COM ").id == filed.ticket.id
    assert services.find_for_player(ref, "other@example.com") is None
    body, check = ref[3:11], ref[-1]
    wrong_check = reference.ALPHABET[(reference.ALPHABET.index(check) + 1) % 32]
    assert services.find_for_player(f"HC-{body}-{wrong_check}", "player@example.com") is None
    assert services.find_by_token(filed.token).id == filed.ticket.id
    assert services.find_by_token(filed.token + "x") is None


def test_staff_actions_move_the_ticket_and_record_who_did_what(ctx):
    ticket = services.file_ticket(new_ticket(), now=NOON).ticket
    services.note(ticket, STAFF, "Checking with the payment provider", now=NOON)
    services.reply(ticket, STAFF, "Please send a bank statement.", wait=True, now=NOON)
    assert ticket.state == "waiting_for_player"
    assert ticket.first_responded_at == NOON
    services.player_reply(ticket, "Statement attached.", [png_file()], now=NOON)
    assert ticket.state == "in_progress"
    services.escalate(ticket, STAFF, "Needs the payments team", now=NOON)
    assert ticket.tier == "supervisor"
    services.resolve(ticket, STAFF, "The money was returned to your card.", now=NOON)
    assert ticket.state == "resolved"
    with pytest.raises(states.TransitionError):
        services.escalate(ticket, STAFF, "too late", now=NOON)
    services.rate(ticket, 5, "Quick and polite", now=NOON)
    with pytest.raises(states.TransitionError):
        services.rate(ticket, 1, now=NOON)
    assert events(ticket) == [
        ("received", "player"),
        ("note", "staff"),
        ("waiting_for_player", "staff"),
        ("player_replied", "player"),
        ("escalated", "staff"),
        ("resolved", "staff"),
        ("rated", "player"),
    ]
    assert [e.is_public for e in ticket.events][1] is False
    assert ticket.messages[1].is_internal
    kinds = db.session.scalars(select(OutboxEmail.kind).order_by(OutboxEmail.id)).all()
    assert kinds == ["received", "replied", "resolved"]


def test_reopen_only_within_seven_days_of_resolution(ctx):
    ticket = services.file_ticket(new_ticket(), now=NOON).ticket
    services.resolve(ticket, STAFF, "Done", now=NOON)
    assert not ticket.can("reopen", services.PLAYER, now=NOON + timedelta(days=8))
    assert ticket.can("reopen", services.PLAYER, now=NOON + timedelta(days=6))
    with pytest.raises(states.TransitionError):
        services.reopen(ticket, "Still broken", now=NOON + timedelta(days=8))
    services.reopen(ticket, "Still broken", now=NOON + timedelta(days=6))
    assert ticket.state == "in_progress"


def test_sla_run_escalates_late_tickets_once_and_closes_old_resolved_ones(ctx):
    late = services.file_ticket(new_ticket(), now=NOON).ticket
    answered = services.file_ticket(new_ticket(), now=NOON).ticket
    services.reply(answered, STAFF, "On it", now=NOON + timedelta(minutes=30))
    early = services.run_sla(now=NOON + timedelta(minutes=119))
    assert early == services.SlaRun(0, 0, 0)
    first = services.run_sla(now=NOON + timedelta(hours=2, minutes=1))
    again = services.run_sla(now=NOON + timedelta(hours=2, minutes=2))
    assert (first.to_supervisor, again.to_supervisor) == (1, 0)
    db.session.refresh(late)
    assert late.tier == "supervisor" and answered.tier == "operator"
    auto = [e for e in late.events if e.type == "escalated_automatically"]
    assert len(auto) == 1 and auto[0].actor_kind == "system" and auto[0].is_public
    assert auto[0].text == services.NO_FIRST_RESPONSE
    # payments is complex: one hour at supervisor level without resolution -> investigation.
    later = services.run_sla(now=NOON + timedelta(hours=3, minutes=2))
    db.session.refresh(late)
    assert later.to_investigation == 1 and late.tier == "investigation"
    assert late.resolution_due_at > NOON + timedelta(days=6)
    services.resolve(answered, STAFF, "Done", now=NOON + timedelta(hours=4))
    closing = services.run_sla(now=NOON + timedelta(days=8))
    db.session.refresh(answered)
    assert closing.closed == 1 and answered.state == "closed"


def test_two_sla_runs_at_once_escalate_each_ticket_once(app):
    with app.test_request_context():
        ids = [services.file_ticket(new_ticket(), now=NOON).ticket.id for _ in range(5)]
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                results.append(services.run_sla(now=NOON + timedelta(hours=3)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r.to_supervisor for r in results) == 5
    with app.app_context():
        count = db.session.scalar(
            select(func.count(TicketEvent.id)).where(
                TicketEvent.type == "escalated_automatically", TicketEvent.ticket_id.in_(ids)
            )
        )
    assert count == 5


def test_outbox_writes_each_email_once_as_eml(ctx):
    services.file_ticket(new_ticket(language="ru"), now=NOON)
    assert emails.send_pending(now=NOON) == emails.Delivery(1, 0)
    assert emails.send_pending(now=NOON) == emails.Delivery(0, 0)
    files = list((Path(ctx.config["DATA_DIR"]) / "outbox").glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "Player@Example.com"
    assert "HC-" in message["Subject"]
    # The sender's name and the dates as the player's pages write them, in Russian.
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Служба поддержки", "support@casino.example")
    body = message.get_content()
    assert re.search(r"\b\d{1,2} [а-я]+ \d{4}, \d{2}:\d{2} ", body), body
    assert not re.search(r"\d{2}:\d{2}:\d{2}|г\.,", body), body


def test_a_failed_delivery_is_retried_later_with_backoff(ctx):
    ctx.config["SMTP_HOST"] = "127.0.0.1"
    ctx.config["SMTP_PORT"] = 9  # nothing listens there
    services.file_ticket(new_ticket(), now=NOON)
    assert emails.send_pending(now=NOON) == emails.Delivery(0, 1)
    queued = db.session.scalar(select(OutboxEmail))
    assert queued.sent_at is None and queued.attempts == 1 and queued.last_error
    assert emails.send_pending(now=NOON + timedelta(seconds=30)) == emails.Delivery(0, 0)
    ctx.config["SMTP_HOST"] = ""
    assert emails.send_pending(now=NOON + timedelta(minutes=3)) == emails.Delivery(1, 0)


def test_an_email_claimed_by_a_sender_that_died_is_sent_after_the_claim_times_out(ctx):
    services.file_ticket(new_ticket(), now=NOON)
    queued = db.session.scalar(select(OutboxEmail))
    queued.claimed_at = NOON  # a sender claimed it, then its process was killed
    db.session.commit()
    assert emails.send_pending(now=NOON + timedelta(minutes=1)) == emails.Delivery(0, 0)
    later = NOON + emails.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert emails.send_pending(now=later) == emails.Delivery(1, 0)
    assert emails.send_pending(now=later + timedelta(hours=1)) == emails.Delivery(0, 0)
    assert len(list((Path(ctx.config["DATA_DIR"]) / "outbox").glob("*.eml"))) == 1


def test_filing_200_tickets_concurrently_saves_all_with_unique_references(app):
    errors = []

    def file_some(count):
        try:
            with app.test_request_context():
                for _ in range(count):
                    services.file_ticket(new_ticket(), now=NOON)
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=file_some, args=(25,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with app.app_context():
        refs = db.session.scalars(select(Ticket.reference)).all()
        acks = db.session.scalars(select(OutboxEmail.ticket_id)).all()
    assert len(refs) == 200 and len(set(refs)) == 200
    assert len(acks) == 200 and len(set(acks)) == 200


def test_api_keys_are_shown_once_stored_hashed_and_revocable(ctx, runner):
    result = runner.invoke(args=["api-key", "create", "--name", "telegram-bot"])
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert services.authenticate(key).name == "telegram-bot"
    duplicate = runner.invoke(args=["api-key", "create", "--name", "telegram-bot"])
    assert duplicate.exit_code == 2 and "exists already" in duplicate.output
    assert runner.invoke(args=["api-key", "revoke", "telegram-bot"]).exit_code == 0
    assert services.authenticate(key) is None
    assert runner.invoke(args=["api-key", "revoke", "nobody"]).exit_code == 2


def test_sla_and_outbox_commands_report_what_they_did(ctx, runner):
    services.file_ticket(new_ticket(), now=NOON)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and "Sent: 1" in result.output
    result = runner.invoke(args=["sla", "run"])
    assert result.exit_code == 0 and "Escalated to supervisor: 1" in result.output


def test_emails_are_queued_outside_any_request_too(app):
    """Commands (`sla run`, the staff console's jobs) change tickets with no request around."""
    with app.app_context():
        ticket = services.file_ticket(new_ticket(language="ru"), now=NOON).ticket
        services.resolve(ticket, STAFF, "Деньги вернулись на карту.", now=NOON)
        bodies = db.session.scalars(select(OutboxEmail.body).order_by(OutboxEmail.id)).all()
        ref = ticket.reference
    assert len(bodies) == 2
    assert "/ru/status/" in bodies[0] and ref in bodies[1]
