"""Reading live chats: new messages since a cursor, the queue position and expected wait, the
operators' inbox, and the change tag the polling pages answer 304 with."""

import math
import statistics
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from helpcenter.chat import states as chat
from helpcenter.extensions import db
from helpcenter.staff import access
from helpcenter.staff.models import StaffMember
from helpcenter.tickets import reference
from helpcenter.tickets.models import Ticket, TicketMessage
from helpcenter.tickets.services import hash_secret

# The expected wait is the median wait of this many latest accepted chats...
WAIT_HISTORY = 20
# ...or this many minutes per place in the queue while there is no history yet.
DEFAULT_WAIT_MINUTES = 2


def find_chat(reference_text: str) -> Ticket | None:
    """The chat with this reference number, or None (no such ticket, or not a chat)."""
    canonical = reference.normalize(reference_text or "")
    if canonical is None:
        return None
    return db.session.scalar(
        select(Ticket).where(
            Ticket.reference == canonical,
            Ticket.channel == chat.CHANNEL,
            Ticket.chat_state.is_not(None),
        )
    )


def messages_after(
    ticket_id: int, after_id: int = 0, *, include_internal: bool = False
) -> list[TicketMessage]:
    """The chat's messages newer than message `after_id`, oldest first; internal notes only
    with `include_internal` (for staff)."""
    query = select(TicketMessage).where(
        TicketMessage.ticket_id == ticket_id, TicketMessage.id > (after_id or 0)
    )
    if not include_internal:
        query = query.where(TicketMessage.is_internal.is_(False))
    return list(db.session.scalars(query.order_by(TicketMessage.id)))


def change_tag(ticket: Ticket) -> str:
    """An ETag of the chat as it is now: every message and state change moves it."""
    return f'"{ticket.id}-{ticket.version}"'


def change_tag_of(ticket_id: int) -> str | None:
    """The change tag read from the database alone (one indexed column): what a poll
    compares with If-None-Match before loading anything else. None: no such ticket."""
    version = db.session.scalar(select(Ticket.version).where(Ticket.id == ticket_id))
    return None if version is None else f'"{ticket_id}-{version}"'


def access_tag(reference_text: str, token: str) -> tuple[int, str] | None:
    """The chat's id and change tag when `token` is the private token of the chat with this
    reference, else None: one read of an indexed row, what a player's poll checks before
    anything else (player pages)."""
    canonical = reference.normalize(reference_text or "")
    if canonical is None or not token or len(token) > 100:
        return None
    row = db.session.execute(
        select(Ticket.id, Ticket.version).where(
            Ticket.reference == canonical,
            Ticket.token_hash == hash_secret(token),
            Ticket.chat_state.is_not(None),
        )
    ).first()
    return None if row is None else (row.id, f'"{row.id}-{row.version}"')


def queue_position(ticket: Ticket) -> int | None:
    """The chat's place in the queue (1 = next), or None when it is not waiting for a person."""
    if ticket.chat_state != chat.QUEUED or ticket.chat_queued_at is None:
        return None
    ahead = db.session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.chat_state == chat.QUEUED,
            or_(
                Ticket.chat_queued_at < ticket.chat_queued_at,
                (Ticket.chat_queued_at == ticket.chat_queued_at) & (Ticket.id < ticket.id),
            ),
        )
    )
    return (ahead or 0) + 1


def estimated_wait_minutes(position: int) -> int:
    """Minutes until an operator answers at `position` in the queue: the median wait of the
    last WAIT_HISTORY accepted chats times the position, at least 1 (DEFAULT_WAIT_MINUTES a
    place while no chat was accepted yet)."""
    rows = db.session.execute(
        select(Ticket.chat_queued_at, Ticket.chat_accepted_at)
        .where(Ticket.chat_accepted_at.is_not(None), Ticket.chat_queued_at.is_not(None))
        .order_by(Ticket.chat_accepted_at.desc())
        .limit(WAIT_HISTORY)
    ).all()
    if not rows:
        return max(1, DEFAULT_WAIT_MINUTES * position)
    median = statistics.median(
        max(0.0, (accepted - queued).total_seconds()) / 60
        for queued, accepted in rows
        if queued is not None and accepted is not None
    )
    return max(1, math.ceil(median * position))


@dataclass(frozen=True)
class Inbox:
    waiting: list[Ticket]  # queued, longest waiting first
    mine: list[Ticket]  # active, held by the member
    others_active: list[Ticket]  # active, held by someone else

    @property
    def waiting_count(self) -> int:
        return len(self.waiting)


def inbox(member: StaffMember) -> Inbox:
    """The member's chat inbox: the waiting chats, their own and the others' active ones."""
    waiting = db.session.scalars(
        select(Ticket)
        .where(Ticket.chat_state == chat.QUEUED)
        .order_by(Ticket.chat_queued_at, Ticket.id)
    ).all()
    active = db.session.scalars(
        select(Ticket)
        .where(Ticket.chat_state == chat.ACTIVE)
        .order_by(Ticket.chat_accepted_at, Ticket.id)
    ).all()
    return Inbox(
        waiting=list(waiting),
        mine=[t for t in active if t.chat_operator_id == member.id],
        others_active=[t for t in active if t.chat_operator_id != member.id],
    )


def operator_names(ids) -> dict[int, str]:
    """Display names of the staff members with these ids (the operators holding chats)."""
    members = db.session.scalars(select(StaffMember).where(StaffMember.id.in_(set(ids))))
    return {m.id: m.display_name for m in members}


def available_operators(exclude_id: int | None = None) -> list[StaffMember]:
    """Active staff who answer chats, by name: whom a chat can be transferred to."""
    roles = [role for role in access.ROLES if access.may_chat(role)]
    query = (
        select(StaffMember)
        .where(StaffMember.is_active, StaffMember.role.in_(roles))
        .order_by(StaffMember.name, StaffMember.email)
    )
    if exclude_id is not None:
        query = query.where(StaffMember.id != exclude_id)
    return list(db.session.scalars(query))


def waiting_count() -> int:
    """How many chats wait for a person (the staff console's nav and the inbox title)."""
    return (
        db.session.scalar(select(func.count(Ticket.id)).where(Ticket.chat_state == chat.QUEUED))
        or 0
    )


def inbox_tag(member: StaffMember, minute: str) -> str:
    """An ETag of `member`'s inbox as it is now: one aggregate over the waiting and active
    chats (any arrival, acceptance, transfer or end moves it), the member's presence, and
    `minute` (the shown waiting minutes change with it)."""
    # Not the chats' versions: every message would move the tag, and the inbox shows none.
    count, ids, holders = db.session.execute(
        select(
            func.count(Ticket.id),
            func.coalesce(func.sum(Ticket.id), 0),
            func.coalesce(func.sum(Ticket.chat_operator_id), 0),
        ).where(Ticket.chat_state.in_((chat.QUEUED, chat.ACTIVE)))
    ).one()
    return f'"inbox-{member.id}-{member.presence}-{count}-{ids}-{holders}-{minute}"'
