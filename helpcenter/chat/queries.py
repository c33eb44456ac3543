"""Reading live chats: new messages since a cursor, the queue position and expected wait, the
operators' inbox, and the change tag the polling pages answer 304 with."""

import functools
import math
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, bindparam, case, cast, func, or_, select
from sqlalchemy.orm import aliased

from helpcenter import support
from helpcenter.chat import states as chat
from helpcenter.extensions import db
from helpcenter.staff import access
from helpcenter.staff.models import StaffMember
from helpcenter.support import SupportConfig, VipLevel
from helpcenter.tickets import reference
from helpcenter.tickets.models import Ticket, TicketMessage
from helpcenter.tickets.priority import vip_rank, vip_weight
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


_queued = aliased(Ticket)


@functools.cache
def _poll_statement(levels: tuple[VipLevel, ...]):
    # The queue in one scan: its size, who is in it and their VIP levels, as text ("3-1207-840":
    # the last sums id * weight of the VIPs, so it moves when one joins or changes level).
    queue = (
        select(
            cast(func.count(_queued.id), String)
            .concat("-")
            .concat(cast(func.coalesce(func.sum(_queued.id), 0), String))
            .concat("-")
            .concat(
                cast(func.coalesce(func.sum(_queued.id * vip_weight(levels, _queued)), 0), String)
            )
        )
        .where(_queued.chat_state == chat.QUEUED)
        .scalar_subquery()
    )
    return select(
        Ticket.version,
        Ticket.chat_state,
        # Read only for a waiting chat (the others' state does not depend on the queue).
        case((Ticket.chat_state == chat.QUEUED, queue), else_=None),
    ).where(Ticket.id == bindparam("ticket_id"))


def poll_state(execute, ticket_id: int, config: SupportConfig | None = None) -> str | None:
    """What a chat's pages show, as a short text that changes when they would: the chat's
    version (every message and state change moves it) and, while it waits, the queue (its
    size, who is in it and their VIP levels: the place in line and the expected wait move with
    them). One read; `execute` is a session's or a connection's (the polls' fast path, which
    gives its app's support `config`). None: no such chat."""
    statement = _poll_statement((config or support.current()).vip)
    row = execute(statement, {"ticket_id": ticket_id}).first()
    if row is None:
        return None
    version, state, queue = row
    return f"{version}q{queue}" if state == chat.QUEUED else str(version)


@functools.cache
def _inbox_statement(levels: tuple[VipLevel, ...]):
    return select(
        func.count(Ticket.id),
        func.coalesce(func.sum(Ticket.id), 0),
        func.coalesce(func.sum(Ticket.chat_operator_id), 0),
        # The VIP levels: a chat given another level moves in the list.
        func.coalesce(func.sum(Ticket.id * vip_weight(levels)), 0),
        select(StaffMember.presence)
        .where(StaffMember.id == bindparam("member_id"))
        .scalar_subquery(),
    ).where(Ticket.chat_state.in_((chat.QUEUED, chat.ACTIVE)))


def inbox_minute(member_id: int, now: datetime | None = None) -> str:
    """The minute a member's inbox shows its waiting times for (part of its state). Each member's
    minute starts at a second of their own, so that the inboxes are not all drawn again at once
    when the clock's minute turns."""
    moment = (now or datetime.now(UTC)) + timedelta(seconds=(member_id * 37) % 60)
    return moment.strftime("%Y%m%d%H%M")


def inbox_state(execute, member_id: int, minute: str, config: SupportConfig | None = None) -> str:
    """What a member's inbox shows, as a short text: one aggregate over the waiting and active
    chats (any arrival, acceptance, transfer, end or change of VIP level moves it), the
    member's presence, and `minute` (the shown waiting minutes change with it)."""
    # Not the chats' versions: every message would move it, and the inbox shows none.
    statement = _inbox_statement((config or support.current()).vip)
    count, ids, holders, vips, presence = execute(statement, {"member_id": member_id}).one()
    return f"{presence or 'none'}-{count}-{ids}-{holders}-{vips}-{minute}"


def chat_id_for_token(reference_text: str, token: str) -> int | None:
    """The id of the chat with this reference when `token` is its private token, else None:
    one read of an indexed row, what a player's page checks before anything else."""
    canonical = reference.normalize(reference_text or "")
    if canonical is None or not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(Ticket.id).where(
            Ticket.reference == canonical,
            Ticket.token_hash == hash_secret(token),
            Ticket.chat_state.is_not(None),
        )
    )


def chat_id_for_player(reference_text: str, player_id: str) -> int | None:
    """The id of the chat at this reference if the casino vouched it is `player_id`'s."""
    canonical = reference.normalize(reference_text)
    if canonical is None or not player_id:
        return None
    return db.session.scalar(
        select(Ticket.id).where(
            Ticket.reference == canonical,
            Ticket.verified_player_id == player_id,
            Ticket.chat_state.is_not(None),
        )
    )


def queue_position(ticket: Ticket) -> int | None:
    """The chat's place in the queue (1 = next), or None when it is not waiting for a person.

    The VIPs go first, the highest level first (support.yml); within a level, the longest
    waiting first. So an ordinary chat counts the VIP chats that joined after it as ahead."""
    if ticket.chat_state != chat.QUEUED or ticket.chat_queued_at is None:
        return None
    config = support.current()
    rank, mine = vip_rank(config.vip), config.vip_rank(ticket.vip)
    ahead = db.session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.chat_state == chat.QUEUED,
            or_(
                rank < mine,
                (rank == mine)
                & or_(
                    Ticket.chat_queued_at < ticket.chat_queued_at,
                    (Ticket.chat_queued_at == ticket.chat_queued_at) & (Ticket.id < ticket.id),
                ),
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


# The inbox lists this many waiting chats, VIPs and then the longest waiting first, and counts the
# others: a list of hundreds helps nobody choose, and drawing it cost 60 ms a poll (bench/chat.py).
INBOX_WAITING_SHOWN = 50


@dataclass(frozen=True)
class Inbox:
    # queued, the highest VIP level first, then the longest waiting (at most INBOX_WAITING_SHOWN)
    waiting: list[Ticket]
    mine: list[Ticket]  # active, held by the member
    others_active: list[Ticket]  # active, held by someone else
    waiting_count: int  # all the queued chats

    @property
    def more_waiting(self) -> int:
        return self.waiting_count - len(self.waiting)


def inbox(member: StaffMember) -> Inbox:
    """The member's chat inbox: the waiting chats, their own and the others' active ones."""
    waiting = db.session.scalars(
        select(Ticket)
        .where(Ticket.chat_state == chat.QUEUED)
        .order_by(vip_rank(support.current().vip), Ticket.chat_queued_at, Ticket.id)
        .limit(INBOX_WAITING_SHOWN)
    ).all()
    count = len(waiting) if len(waiting) < INBOX_WAITING_SHOWN else waiting_count()
    active = db.session.scalars(
        select(Ticket)
        .where(Ticket.chat_state == chat.ACTIVE)
        .order_by(Ticket.chat_accepted_at, Ticket.id)
    ).all()
    return Inbox(
        waiting=list(waiting),
        mine=[t for t in active if t.chat_operator_id == member.id],
        others_active=[t for t in active if t.chat_operator_id != member.id],
        waiting_count=count,
    )


def first_messages(tickets) -> dict[int, str]:
    """The first message the player wrote in each of these chats (its subject when none), in
    one read: what the inbox shows of a waiting chat."""
    ids = [t.id for t in tickets]
    first = (
        select(func.min(TicketMessage.id))
        .where(TicketMessage.ticket_id.in_(ids), TicketMessage.author_kind == "player")
        .group_by(TicketMessage.ticket_id)
    )
    rows = (
        db.session.execute(
            select(TicketMessage.ticket_id, TicketMessage.body).where(TicketMessage.id.in_(first))
        ).all()
        if ids
        else []
    )
    bodies = {ticket_id: body for ticket_id, body in rows}
    return {t.id: bodies.get(t.id, t.subject) for t in tickets}


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
