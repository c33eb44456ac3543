"""Staff use cases: accounts and sign-in, the audit log, and ticket actions under the access rules.

Every ticket action is an entry of the action table (`tickets.actions`), which says who may do
it in which state and tier; `act` refuses a form made from an older version of the ticket
(`TicketChanged`) and writes the audit entry and the change as one unit of work, so the log
never claims what did not happen.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import cast
from urllib.parse import urlsplit

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template, url_for
from flask_babel import force_locale, gettext
from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.staff import access
from helpcenter.staff.models import AuditEntry, PasswordReset, RecoveryCode, StaffMember
from helpcenter.tickets import actions, emails, states
from helpcenter.tickets import services as tickets
from helpcenter.tickets.models import Ticket
from helpcenter.transaction import unit_of_work

log = logging.getLogger(__name__)
MIN_PASSWORD = 12
MAX_PASSWORD = 1024


@cache
def _hasher_for(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def _hasher() -> PasswordHasher:
    """argon2id; production uses RFC 9106's low-memory profile (3 passes over 64 MiB)."""
    config = current_app.config
    return _hasher_for(
        int(config["PASSWORD_HASH_TIME_COST"]), int(config["PASSWORD_HASH_MEMORY_KIB"])
    )


class StaffError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


# The staff member's role does not allow this (on this tier).
NotAllowed = actions.NotAllowed


# The ticket changed since the staff member's form was made from it (or while saving).
TicketChanged = tickets.TicketChanged


class BadAction(ValueError):
    """The action's input is wrong (an unknown assignee...); the message says why."""


# --- accounts -------------------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def create_staff(*, email: str, role: str, password: str, name: str = "") -> StaffMember:
    """Create an account; raises StaffError for a bad email, role or password, or a taken email."""
    try:
        address = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as problem:
        raise StaffError(f"not a valid email address: {problem}") from None
    if role not in access.ROLES:
        raise StaffError(f"role must be one of {', '.join(access.ROLES)}")
    check_password(password)
    member = StaffMember(
        email=normalize_email(address),
        name=name.strip()[:100],
        role=role,
        password_hash=_hasher().hash(password),
    )
    db.session.add(member)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise StaffError(f"an account for {address} exists already") from None
    log.info("staff account %s created with role %s", member.email, role)
    return member


def check_password(password: str) -> None:
    """The rule for every staff password; raises StaffError for one that breaks it."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise StaffError(f"the password must have at least {MIN_PASSWORD} characters")


def has_staff() -> bool:
    return db.session.scalar(select(func.count(StaffMember.id))) > 0


def _dummy_hash() -> str:
    """A hash to check when the email is unknown, made with the current parameters."""
    config = current_app.config
    return _dummy_for(
        int(config["PASSWORD_HASH_TIME_COST"]), int(config["PASSWORD_HASH_MEMORY_KIB"])
    )


@cache
def _dummy_for(time_cost: int, memory_kib: int) -> str:
    return _hasher_for(time_cost, memory_kib).hash("no account has this password")


def authenticate(*, email: str, password: str, address: str = "") -> StaffMember | None:
    """The active account with this email and password, else None.

    Records the sign-in when the password is all it takes (`second_step` is None); otherwise
    the member is not signed in until `pass_second_step` or `confirm_totp` and `sign_in`.
    An unknown email costs one hash check like a known one, so timing tells nothing.
    """
    member = db.session.scalar(
        select(StaffMember).where(StaffMember.email == normalize_email(email)[:254])
    )
    stored = member.password_hash if member is not None else _dummy_hash()
    try:
        _hasher().verify(stored, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        if member is not None:
            with unit_of_work():
                record(member, "login_failed", address=address)
        return None
    if member is None or not member.is_active:
        return None
    with unit_of_work():
        if _hasher().check_needs_rehash(member.password_hash):
            member.password_hash = _hasher().hash(password)
        if second_step(member) is None:
            sign_in(member, address=address)
        else:
            record(member, "login_password", address=address)
    return member


def sign_in(member: StaffMember, *, address: str = "") -> None:
    """Record a completed sign-in: the time, and the audit entry."""
    with unit_of_work():
        member.last_login_at = utcnow()
        record(member, "login", address=address)


def end_sessions(member: StaffMember) -> None:
    """End every session of `member` at its next request (in the caller's unit of work)."""
    member.session_generation = (member.session_generation or 0) + 1


def sign_out_everywhere(*, member: StaffMember, address: str = "") -> None:
    """End every session of `member`, this one included; recorded."""
    with unit_of_work():
        end_sessions(member)
        record(member, "logout_everywhere", address=address)
    log.info("%s signed out everywhere", member.email)


def load_session_user(session_id: str) -> StaffMember | None:
    """Flask-Login's user loader: the account behind a session id from `get_id()`."""
    member = load_pending_user(session_id)
    if member is not None and must_have_totp(member) and not member.has_totp:
        # A session from before TOTP was required (or reset): sign in again, and enrol.
        return None
    return member


def load_pending_user(session_id: str) -> StaffMember | None:
    """The active account behind `get_id()`, whose password has not changed since."""
    staff_id = session_id.partition(":")[0]
    if not staff_id.isdigit():
        return None
    member = db.session.get(StaffMember, int(staff_id))
    if member is None or not member.is_active or member.get_id() != session_id:
        return None
    return member


def staff_for_tier(tier: str) -> list[StaffMember]:
    """Active people a ticket at `tier` can be assigned to, by name."""
    return list(
        db.session.scalars(
            select(StaffMember)
            .where(StaffMember.is_active, StaffMember.role.in_(access.assignable_roles(tier)))
            .order_by(StaffMember.name, StaffMember.email)
        )
    )


# --- two-factor authentication (TOTP, RFC 6238) ---------------------------------------------------

# Codes of the step before and after the current one count too: clocks drift, people type.
VALID_WINDOW = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class WrongCode(ValueError):
    """The TOTP or recovery code is wrong, already used, or from too far away in time."""


def must_have_totp(member: StaffMember) -> bool:
    """Whether the member may not work without TOTP: required, for every role that sees tickets."""
    return current_app.config["STAFF_2FA"] == "required" and access.works_tickets(member.role)


def second_step(member: StaffMember) -> str | None:
    """What the member must do after the password: "code", "enrol", or None (signed in)."""
    if member.has_totp:
        return "code"
    if must_have_totp(member):
        return "enrol"
    return None


def begin_totp(*, member: StaffMember) -> str:
    """The secret the member enrols with: a new one, or the one shown before and not yet
    confirmed (a reloaded page shows the same QR code). Raises StaffError if TOTP is on."""
    if member.has_totp:
        raise StaffError("two-factor authentication is on already")
    if member.totp_secret is None:
        with unit_of_work():
            member.totp_secret = pyotp.random_base32()
            member.totp_last_step = None
    return member.totp_secret


def totp_uri(member: StaffMember, secret: str) -> str:
    """The otpauth:// address the authenticator app reads from the QR code."""
    host = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "helpcenter"
    return pyotp.TOTP(secret).provisioning_uri(name=member.email, issuer_name=f"Help center {host}")


def _take_totp(member: StaffMember, secret: str, code: str) -> bool:
    """Whether `code` is right now and newer than the last one taken; takes its time step.

    The step is claimed with one conditional UPDATE, so two requests racing with the same
    code cannot both pass.
    """
    totp = pyotp.TOTP(secret)
    now = utcnow()
    if not (code.isdigit() and len(code) == totp.digits):
        return False
    if not totp.verify(code, for_time=now, valid_window=VALID_WINDOW):
        return False
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            claimed = db.session.execute(
                update(StaffMember)
                .where(
                    StaffMember.id == member.id,
                    or_(StaffMember.totp_last_step.is_(None), StaffMember.totp_last_step < step),
                )
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            db.session.refresh(member)
            return cast(CursorResult, claimed).rowcount == 1
    return False


def _normalize_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").casefold()[:64]


def _new_recovery_codes(member: StaffMember) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == member.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(staff_id=member.id, code_hash=_hasher().hash(raw)))
    return codes


def confirm_totp(*, member: StaffMember, code: str, address: str = "") -> list[str]:
    """Turn TOTP on once a code made with the secret from `begin_totp` is right; returns the
    recovery codes, in plain text only this once. Raises WrongCode (recorded), StaffError."""
    if member.has_totp or member.totp_secret is None:
        raise StaffError("no two-factor authentication is being set up")
    with unit_of_work():
        taken = _take_totp(member, member.totp_secret, _normalize_code(code))
    if not taken:
        record_now(member, "totp_failed", detail="setup", address=address)
        raise WrongCode()
    with unit_of_work():
        member.totp_enabled_at = utcnow()
        codes = _new_recovery_codes(member)
        record(member, "totp_enrolled", address=address)
    log.info("two-factor authentication set up by %s", member.email)
    return codes


def _take_recovery_code(member: StaffMember, code: str) -> bool:
    unused = db.session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.staff_id == member.id, RecoveryCode.used_at.is_(None)
        )
    )
    for row in unused:
        try:
            _hasher().verify(row.code_hash, code)
        except (VerificationError, InvalidHashError):
            continue
        claimed = db.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return cast(CursorResult, claimed).rowcount == 1
    return False


def pass_second_step(*, member: StaffMember, code: str, address: str = "") -> str:
    """Check the code asked after the password and sign the member in: "totp" or "recovery"
    for what it was. A recovery code works once. Raises WrongCode (recorded)."""
    if not member.has_totp or member.totp_secret is None:
        raise WrongCode()
    code = _normalize_code(code)
    with unit_of_work():
        if _take_totp(member, member.totp_secret, code):
            kind = "totp"
        elif len(code) == 10 and _take_recovery_code(member, code):
            kind = "recovery"
            record(member, "recovery_code_used", address=address)
        else:
            kind = ""
    if not kind:
        record_now(member, "totp_failed", address=address)
        raise WrongCode()
    sign_in(member, address=address)
    return kind


def recovery_codes_left(member: StaffMember) -> int:
    return (
        db.session.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.staff_id == member.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def reset_totp(*, email: str) -> StaffMember:
    """Turn TOTP off for a lost phone; where it is required, the member's sessions end and they
    enrol again at the next sign-in. Raises StaffError for an unknown email."""
    member = db.session.scalar(
        select(StaffMember).where(StaffMember.email == normalize_email(email))
    )
    if member is None:
        raise StaffError(f"no account for {email}")
    with unit_of_work():
        member.totp_secret = None
        member.totp_enabled_at = None
        member.totp_last_step = None
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == member.id))
        end_sessions(member)
        record(member, "totp_reset", detail="command line")
    log.info("two-factor authentication reset for %s", member.email)
    return member


# --- checking who it is again, before an export --------------------------------------------------


def reconfirm(*, member: StaffMember, password: str, address: str = "") -> bool:
    """Whether `password` is the member's; recorded either way (`reauth`, `reauth_failed`)."""
    try:
        _hasher().verify(member.password_hash, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        record_now(member, "reauth_failed", address=address)
        return False
    record_now(member, "reauth", address=address)
    return True


# --- password reset by email ---------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(
    *, email: str, language: str, now: datetime | None = None, address: str = ""
) -> None:
    """Email a single-use link to choose a new password, valid STAFF_RESET_MINUTES, to the
    active account with this email; nothing (and no sign of it) for any other address."""
    member = db.session.scalar(
        select(StaffMember).where(StaffMember.email == normalize_email(email)[:254])
    )
    if member is None or not member.is_active:
        return
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    minutes = int(current_app.config["STAFF_RESET_MINUTES"])
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    with unit_of_work():
        db.session.add(
            PasswordReset(
                staff_id=member.id,
                token_hash=_token_hash(token),
                created_at=now,
                expires_at=now + timedelta(minutes=minutes),
            )
        )
        with force_locale(language):
            emails.queue_to(
                recipient=member.email,
                kind="staff_password_reset",
                language=language,
                subject=gettext("Choose a new password for the staff console"),
                body=render_template(
                    "staff/email/password_reset.txt",
                    member=member,
                    # From PUBLIC_BASE_URL, never the request's Host: a forged Host header
                    # must not put someone else's site in the link.
                    link=f"{base}{url_for('staff.reset_password', token=token)}",
                    minutes=minutes,
                ),
            )
        record(member, "password_reset_requested", address=address)
    log.info("password reset link sent to %s", member.email)


def password_reset(token: str, now: datetime | None = None) -> PasswordReset | None:
    """The unused, unexpired reset behind a link's token, else None."""
    reset = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == _token_hash(token[:200]))
    )
    now = now or utcnow()
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        return None
    return reset


def reset_password(
    *, token: str, password: str, now: datetime | None = None, address: str = ""
) -> StaffMember:
    """Set a new password from a reset link and end every session of the account; the next
    sign-in still asks for the two-factor authentication code. Raises StaffError for a
    password that breaks the rule, LinkExpired for a used, expired or unknown link."""
    check_password(password)
    now = now or utcnow()
    reset = password_reset(token, now)
    if reset is None:
        raise LinkExpired()
    with unit_of_work():
        # Claimed with a conditional UPDATE: two posts of one link cannot both set a password.
        claimed = db.session.execute(
            update(PasswordReset)
            .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult, claimed).rowcount != 1:
            raise LinkExpired()
        member = db.session.get(StaffMember, reset.staff_id)
        if member is None or not member.is_active:
            raise LinkExpired()
        member.password_hash = _hasher().hash(password)
        end_sessions(member)
        record(member, "password_reset", address=address)
    log.info("password of %s reset by email", member.email)
    return member


class LinkExpired(ValueError):
    """The password reset link was used already, is too old, or never existed."""


# --- the audit log -------------------------------------------------------------------------------


def record(member: StaffMember, action: str, *, target: str = "", detail: str = "", address=""):
    """Add an audit entry to the current unit of work (the caller's, which commits it)."""
    db.session.add(
        AuditEntry(
            staff_id=member.id,
            staff_email=member.email,
            action=action,
            target=target[:80],
            detail=detail[:2000],
            address=(address or "")[:64],
        )
    )


def record_now(member: StaffMember, action: str, **fields) -> None:
    """An audit entry as a unit of work: on its own (a sign-out, a download, an export), or
    with the change it records when the caller's unit of work holds both."""
    with unit_of_work():
        record(member, action, **fields)


def record_command(command: str, action: str, *, detail: str = "") -> None:
    """An audit entry for a command run on a server: no staff member, the command as "who"."""
    with unit_of_work():
        db.session.add(AuditEntry(staff_email=command[:254], action=action, detail=detail[:2000]))


# --- ticket actions ------------------------------------------------------------------------------


def actor(member: StaffMember) -> actions.Actor:
    """The staff member as the action table sees them: their role and the name players see."""
    return actions.Actor(states.STAFF, member.display_name, member.role)


@actions.performs("assign")
def _assign(ticket: Ticket, actor: actions.Actor, *, assignee: str) -> None:
    if assignee:
        member = db.session.scalar(
            select(StaffMember).where(StaffMember.email == normalize_email(assignee))
        )
        if member is None or not member.is_active:
            raise BadAction("assignee")
        if not access.may_handle(member.role, ticket.tier):
            raise BadAction("assignee")
        assignee = member.email
    tickets.assign(ticket, actor, assignee or None)


@dataclass(frozen=True)
class Done:
    ticket: Ticket
    still_mine: bool  # False when the action moved the ticket out of the member's reach


def act(
    *, member: StaffMember, ticket: Ticket, version: int, action: str, address="", **fields
) -> Done:
    """Do `action` on `ticket` as `member`, on the version of it they saw.

    Raises NotAllowed (role and tier), TicketChanged (someone acted first),
    states.TransitionError (not possible in this state) or BadAction (bad input).
    The audit entry and the change are one unit of work: nothing changes when it raises.
    """
    if not access.may_handle(member.role, ticket.tier):
        raise NotAllowed(action)
    if ticket.version != version:
        raise TicketChanged()
    detail = fields.get("reason") or fields.get("assignee") or ""
    with unit_of_work():
        record(member, f"ticket_{action}", target=ticket.reference, detail=detail, address=address)
        actions.SERVICES[action](ticket, actor(member), **fields)
    log.info("%s on %s by %s", action, ticket.reference, member.email)
    return Done(ticket, access.may_handle(member.role, ticket.tier))


UnknownVipLevel = tickets.UnknownVipLevel


def set_vip(
    *, member: StaffMember, ticket: Ticket, version: int, level: str, address: str = ""
) -> bool:
    """Set the ticket's VIP level (one of support.yml's) or clear it (""), as `member`, on the
    version of the ticket they saw; the pending deadlines follow (`tickets.services.set_vip`).
    Returns False when the ticket had that level already (nothing is written).

    Raises NotAllowed (only supervisors and admins, on a tier they handle), TicketChanged or
    UnknownVipLevel; the audit entry and the change are one unit of work.
    """
    if not access.may_set_vip(member.role) or not access.may_handle(member.role, ticket.tier):
        raise NotAllowed("vip")
    if ticket.version != version:
        raise TicketChanged()
    if (level or None) == ticket.vip:
        return False
    with unit_of_work():
        record(member, "ticket_vip", target=ticket.reference, detail=level, address=address)
        tickets.set_vip(ticket, actor(member), level or None)
    log.info("VIP level %r on %s by %s", level, ticket.reference, member.email)
    return True
