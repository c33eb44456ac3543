"""What the help center keeps about players, and for how long: retention, export and erasure.

Retention (run by the worker once a day, or `helpcenter privacy retention`):
- the player's files of a ticket closed more than RETENTION_FILES_DAYS ago (180) are deleted:
  their bytes (in either storage) and their attachment rows; the ticket says so in its history;
- a ticket closed more than RETENTION_PERSONAL_DAYS ago (3 years) is anonymized (`anonymize`).
`plan()` says what a run would do (the dry run) and `apply(plan)` does exactly that.

The player's rights (`helpcenter privacy export/erase`, or an administrator's page): everything
held about one email address as a ZIP (`export`), and erasure (`erase`): its tickets are
anonymized and their files deleted. Addresses match as mailboxes do, whatever the case or the
Unicode form (`matching`); another player's data is never touched.

Anonymizing keeps what the reports count (topic, channel, states, tiers, times, the rating's
score) and drops what says who the player was: email, name, player ID, contact, transaction ID,
the subject and the player's messages and rating comment, the player's files and the emails
sent to them.
"""

import io
import json
import logging
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, select

from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.tickets import encryption, states, storage
from helpcenter.tickets.models import (
    Attachment,
    OutboxEmail,
    StoredFile,
    Ticket,
    TicketEvent,
)
from helpcenter.transaction import after_commit, unit_of_work

log = logging.getLogger(__name__)

ANONYMIZED = "anonymized"  # the ticket event that marks an anonymized ticket
FILES_DELETED = "files_deleted"
BATCH = 200


@dataclass(frozen=True)
class Plan:
    """What a retention run does: the attachments to delete and the tickets to anonymize."""

    now: datetime
    attachments: list[int] = field(default_factory=list)
    tickets: list[int] = field(default_factory=list)
    bytes: int = 0


@dataclass(frozen=True)
class Done:
    files: int
    bytes: int
    tickets: int


def _cutoffs(now: datetime) -> tuple[datetime, datetime]:
    config = current_app.config
    return (
        now - timedelta(days=int(config["RETENTION_FILES_DAYS"])),
        now - timedelta(days=int(config["RETENTION_PERSONAL_DAYS"])),
    )


def _not_anonymized():
    return ~exists().where(TicketEvent.ticket_id == Ticket.id, TicketEvent.type == ANONYMIZED)


def plan(now: datetime | None = None) -> Plan:
    """What retention would delete now: the player's files of tickets closed before the files'
    cutoff, and the tickets closed before the personal details' cutoff not yet anonymized."""
    now = now or utcnow()
    files_before, personal_before = _cutoffs(now)
    rows = db.session.execute(
        select(Attachment.id, Attachment.size)
        .join(Ticket, Attachment.ticket_id == Ticket.id)
        .where(Ticket.state == states.CLOSED, Ticket.closed_at < files_before)
        .order_by(Attachment.id)
    ).all()
    tickets = db.session.scalars(
        select(Ticket.id)
        .where(Ticket.state == states.CLOSED, Ticket.closed_at < personal_before)
        .where(_not_anonymized())
        .order_by(Ticket.id)
    ).all()
    return Plan(now, [r.id for r in rows], list(tickets), sum(r.size for r in rows))


def apply(plan: Plan) -> Done:
    """Carry out `plan`, in batches: exactly its files and tickets (those already gone are
    skipped)."""
    files = size = 0
    for start in range(0, len(plan.attachments), BATCH):
        batch = plan.attachments[start : start + BATCH]
        deleted = _delete_attachments(batch, plan.now, reason="retention")
        files += len(deleted)
        size += sum(deleted)
    anonymized = 0
    for ticket_id in plan.tickets:
        with unit_of_work():
            ticket = db.session.get(Ticket, ticket_id)
            if ticket is not None and anonymize(ticket, plan.now, reason="retention"):
                anonymized += 1
    return Done(files, size, anonymized)


def _delete_attachments(ids: list[int], now: datetime, *, reason: str) -> list[int]:
    """Delete these attachments and their bytes in a unit of work of their own; the sizes of
    those deleted."""
    with unit_of_work():
        found = db.session.scalars(select(Attachment).where(Attachment.id.in_(ids))).all()
        return _delete_files(list(found), now, reason=reason)


def _delete_files(found: list[Attachment], now: datetime, *, reason: str) -> list[int]:
    """In the caller's unit of work: delete `found` and their bytes (the database storage's
    rows now, the directory storage's copies once it commits), and say so in each ticket's
    history. Returns their sizes."""
    names = [a.stored_name for a in found]
    per_ticket: dict[int, int] = {}
    for attachment in found:
        per_ticket[attachment.ticket_id] = per_ticket.get(attachment.ticket_id, 0) + 1
        db.session.delete(attachment)
    if names:
        db.session.execute(delete(StoredFile).where(StoredFile.name.in_(names)))
        directory = storage.DirectoryStorage(storage.upload_dir())

        def discard_copies() -> None:
            for name in names:
                directory.discard(name)

        after_commit(discard_copies)
    for ticket_id, count in per_ticket.items():
        _staff_only_event(
            db.session.get_one(Ticket, ticket_id), FILES_DELETED, f"{count} ({reason})", now
        )
    return [a.size for a in found]


def anonymize(ticket: Ticket, now: datetime, *, reason: str) -> bool:
    """Drop who the player was from `ticket` (in the caller's unit of work); False when it was
    anonymized already."""
    if not db.session.scalar(select(_not_anonymized()).where(Ticket.id == ticket.id)):
        return False
    _delete_files(list(ticket.attachments), now, reason=reason)
    ticket.email = ""
    ticket.name = ""
    ticket.player_id = ""
    ticket.verified_player_id = None
    ticket.contact = ""
    ticket.transaction_id = ""
    ticket.subject = "—"
    ticket.rating_comment = ""
    for message in ticket.messages:
        if message.author_kind == states.PLAYER:
            message.body = ""
            message.author_name = ""
    db.session.execute(delete(OutboxEmail).where(OutboxEmail.ticket_id == ticket.id))
    _staff_only_event(ticket, ANONYMIZED, reason, now)
    return True


def _staff_only_event(ticket: Ticket, type_: str, text: str, now: datetime) -> None:
    """A line of the ticket's history, by the system, that only staff see."""
    ticket.events.append(
        TicketEvent(
            type=type_,
            actor_kind=states.SYSTEM,
            text=text,
            state=ticket.state,
            tier=ticket.tier,
            is_public=False,
            created_at=now,
        )
    )


# --- one player's data ---------------------------------------------------------------------------


def mailbox(email: str) -> str:
    """An address as a mailbox is found: Unicode NFKC and case folded."""
    return unicodedata.normalize("NFKC", email or "").strip().casefold()


def matching(email: str) -> list[Ticket]:
    """The tickets filed with this email address (any case or Unicode form), oldest first.

    Compared in Python, address by address: the database cannot fold Unicode the same way, and
    an address typed in full-width letters was accepted once."""
    wanted = mailbox(email)
    if "@" not in wanted:
        return []
    ids = [
        ticket_id
        for ticket_id, address in db.session.execute(
            select(Ticket.id, Ticket.email).where(Ticket.email != "")
        )
        if mailbox(address) == wanted
    ]
    if not ids:
        return []
    return list(db.session.scalars(select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)))


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export(email: str) -> tuple[bytes, int]:
    """Everything held about `email`: a ZIP with `tickets.json` (each ticket with its messages
    and history) and the files under `files/<reference>/`; and how many tickets it holds."""
    tickets = matching(email)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        records = []
        for ticket in tickets:
            files = []
            for attachment in ticket.attachments:
                path = f"files/{ticket.reference}/{attachment.id}-{attachment.display_name}"
                try:
                    opened = storage.open_file(attachment.stored_name)
                except encryption.Unreadable:  # its key is gone: logged, and said in the ZIP
                    log.exception("export of %s: file %s unreadable", email, path)
                    files.append(f"{path} (cannot be decrypted)")
                    continue
                if opened is not None:
                    with opened.file as file:
                        archive.writestr(path, file.read())
                    files.append(path)
            records.append(
                {
                    "reference": ticket.reference,
                    "topic": ticket.topic,
                    "channel": ticket.channel,
                    "language": ticket.language,
                    "email": ticket.email,
                    "name": ticket.name,
                    "player_id": ticket.player_id,
                    "contact": ticket.contact,
                    "transaction_id": ticket.transaction_id,
                    "subject": ticket.subject,
                    "state": ticket.state,
                    "created_at": _when(ticket.created_at),
                    "closed_at": _when(ticket.closed_at),
                    "rating": ticket.rating,
                    "rating_comment": ticket.rating_comment,
                    "messages": [
                        {
                            "at": _when(m.created_at),
                            "author": m.author_kind,
                            "name": m.author_name,
                            "internal": m.is_internal,
                            "text": m.body,
                        }
                        for m in ticket.messages
                    ],
                    "history": [
                        {"at": _when(e.created_at), "event": e.type, "state": e.state}
                        for e in ticket.events
                    ],
                    "files": files,
                }
            )
        archive.writestr("tickets.json", json.dumps({"email": email, "tickets": records}, indent=2))
    return buffer.getvalue(), len(tickets)


def erase(email: str, now: datetime | None = None) -> int:
    """Anonymize every ticket of `email` and delete its files; how many tickets it erased."""
    now = now or utcnow()
    erased = 0
    for ticket_id in [t.id for t in matching(email)]:
        with unit_of_work():
            ticket = db.session.get_one(Ticket, ticket_id)
            if anonymize(ticket, now, reason="erasure"):
                erased += 1
    return erased
