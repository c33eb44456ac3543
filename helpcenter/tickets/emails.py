"""Emails to players: queued in the outbox with the change that causes them, sent later.

`queue` renders the email in the ticket's language inside the caller's transaction.
`send_pending` (the `helpcenter outbox send` command) delivers over SMTP when HELPCENTER_SMTP_HOST
is set, or writes .eml files into <data dir>/outbox/. Each email is claimed by one sender with
a conditional UPDATE before it goes out, so it is never sent twice; a failure releases it for
a later run with exponential backoff. A claim older than CLAIM_TIMEOUT was left by a sender
that died mid-send: it is taken over, so an email is at worst sent twice, never lost.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import or_, select, update

from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.tickets.links import status_url
from helpcenter.tickets.models import OutboxEmail, Ticket

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BACKOFF_BASE_MINUTES = 2
BACKOFF_MAX_MINUTES = 240
# A sender holds its claim only while it sends; SMTP gives up long before this.
CLAIM_TIMEOUT = timedelta(minutes=10)


def _subject(kind: str, reference: str) -> str:
    subjects = {
        "received": gettext("We have received your request %(reference)s", reference=reference),
        "replied": gettext("New reply to your request %(reference)s", reference=reference),
        "resolved": gettext("Your request %(reference)s is resolved", reference=reference),
        "transcript": gettext("Your chat %(reference)s with the support team", reference=reference),
    }
    return subjects[kind]


def queue(ticket: Ticket, kind: str, token: str | None = None) -> OutboxEmail | None:
    """Add the email about `kind` to the outbox, in the ticket's language; None (nothing to
    send) for a ticket filed without an email address, as a live chat may be."""
    if not ticket.email:
        return None
    with force_locale(ticket.language):
        body = render_template(
            f"tickets/email/{kind}.txt", ticket=ticket, status_url=status_url(ticket, token)
        )
        subject = _subject(kind, ticket.reference)
    email = OutboxEmail(
        ticket=ticket,
        kind=kind,
        recipient=ticket.email,
        language=ticket.language,
        subject=subject,
        body=body,
        # Due from the moment of the change that caused it (the ticket was just touched).
        created_at=ticket.updated_at,
        next_attempt_at=ticket.updated_at,
    )
    db.session.add(email)
    return email


def queue_to(*, recipient: str, kind: str, language: str, subject: str, body: str) -> OutboxEmail:
    """Add an email about no ticket (a staff member's password reset) to the outbox, written
    by the caller in `language`; sent like the others, with the caller's unit of work."""
    now = utcnow()
    email = OutboxEmail(
        kind=kind,
        recipient=recipient,
        language=language,
        subject=subject[:200],
        body=body,
        created_at=now,
        next_attempt_at=now,
    )
    db.session.add(email)
    return email


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int


def _message(email: OutboxEmail, sender: str) -> EmailMessage:
    """The email as sent: from MAIL_FROM's address under the name players read in their
    language, as the email signs off ("Support team", "Dəstək komandası"...)."""
    with force_locale(email.language):
        name = gettext("Support team")
    message = EmailMessage()
    message["From"] = formataddr((name, parseaddr(sender)[1]))
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at)
    message["Message-ID"] = make_msgid(idstring=f"outbox-{email.id}")
    message["Content-Language"] = email.language
    message.set_content(email.body)
    return message


def _deliver(message: EmailMessage, email: OutboxEmail) -> None:
    config = current_app.config
    host = config["SMTP_HOST"]
    if not host:
        directory = Path(config["DATA_DIR"]) / "outbox"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{email.id:08d}-{email.kind}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(message))
        tmp.replace(path)
        return
    with smtplib.SMTP(host, config["SMTP_PORT"], timeout=30) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        smtp.send_message(message)


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(BACKOFF_MAX_MINUTES, BACKOFF_BASE_MINUTES * 2 ** (attempts - 1)))


def _unclaimed(now: datetime):
    """Not claimed, or claimed by a sender that died before it could finish (long ago)."""
    return or_(OutboxEmail.claimed_at.is_(None), OutboxEmail.claimed_at < now - CLAIM_TIMEOUT)


def send_pending(now: datetime | None = None, limit: int = 500) -> Delivery:
    now = now or utcnow()
    sender = current_app.config["MAIL_FROM"]
    due = db.session.scalars(
        select(OutboxEmail.id)
        .where(
            OutboxEmail.sent_at.is_(None),
            _unclaimed(now),
            OutboxEmail.attempts < MAX_ATTEMPTS,
            OutboxEmail.next_attempt_at <= now,
        )
        .order_by(OutboxEmail.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for email_id in due:
        claimed = db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id, OutboxEmail.sent_at.is_(None), _unclaimed(now))
            .values(claimed_at=now)
        )
        db.session.commit()
        if claimed.rowcount != 1:
            continue  # another sender has it
        email = db.session.get(OutboxEmail, email_id)
        email.attempts += 1
        try:
            _deliver(_message(email, sender), email)
        except (OSError, smtplib.SMTPException) as exc:
            email.claimed_at = None
            email.next_attempt_at = now + backoff(email.attempts)
            email.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            failed += 1
            log.warning("email %d not sent (attempt %d): %s", email.id, email.attempts, exc)
        else:
            email.sent_at = now
            sent += 1
        db.session.commit()
    return Delivery(sent, failed)
