"""Staff use cases: accounts and sign-in, the audit log, and ticket actions under the access rules.

Every ticket action is an entry of the action table (`tickets.actions`), which says who may do
it in which state and tier; `act` refuses a form made from an older version of the ticket
(`TicketChanged`) and writes the audit entry and the change as one unit of work, so the log
never claims what did not happen.
"""

import logging
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.staff import access
from helpcenter.staff.models import AuditEntry, StaffMember
from helpcenter.tickets import actions, states
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
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise StaffError(f"the password must have at least {MIN_PASSWORD} characters")
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
    """The active account with this email and password, else None; records the sign-in.

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
        member.last_login_at = utcnow()
        record(member, "login", address=address)
    return member


def load_session_user(session_id: str) -> StaffMember | None:
    """Flask-Login's user loader: the account behind a session id from `get_id()`."""
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
