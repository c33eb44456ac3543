"""Live chat use cases: starting a chat (a ticket on the `chat` channel) with the answer bot in
front, the player's and the operators' messages, accepting, transferring, escalating and ending
a chat, and presence.

A chat is a ticket: every change goes through the ticket action table (`tickets.actions`) and
the ticket services' building blocks, so a chat has events, SLA targets, a status page, can be
escalated and rated like any request. Each use case is one unit of work; staff use cases add
their audit entry to it. Two writes to one chat at the same moment (the player and the operator
typing) meet the ticket's optimistic lock: the later one is retried on the fresh ticket.

Errors: ChatClosed (not open now, or nobody available), ChatNotFound (not a chat),
AlreadyTaken (another operator accepted first), TooManyChats (CHAT_MAX_PER_OPERATOR reached),
NotAllowed (this staff member may not), WrongState (not possible in the chat's state), and
ValueError for an empty or too long message.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import wraps
from typing import cast

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import CursorResult, Table, func, select, update
from sqlalchemy.orm.attributes import flag_modified, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from helpcenter import support
from helpcenter.chat import bot
from helpcenter.chat import states as chat
from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.staff import access
from helpcenter.staff.models import StaffMember
from helpcenter.staff.services import actor, record
from helpcenter.tickets import emails
from helpcenter.tickets import services as tickets
from helpcenter.tickets import states as ticket_states
from helpcenter.tickets.actions import PLAYER, SYSTEM, Actor, NotAllowed
from helpcenter.tickets.models import Ticket
from helpcenter.tickets.services import File, Filed, NewTicket, TicketChanged
from helpcenter.tickets.sla import targets
from helpcenter.tickets.states import TransitionError
from helpcenter.transaction import in_unit_of_work, unit_of_work

__all__ = [
    "AlreadyTaken",
    "ChatClosed",
    "ChatNotFound",
    "NotAllowed",
    "TicketChanged",
    "TooManyChats",
    "WrongState",
]

log = logging.getLogger(__name__)

AVAILABLE = "available"
AWAY = "away"
PRESENCES = (AVAILABLE, AWAY)
# Someone counts as available while their status says so and their inbox was open this recently.
PRESENCE_FRESH = timedelta(minutes=2)
# The inbox confirms presence at most this often, the player's page its being there.
PRESENCE_WRITE_EVERY = timedelta(seconds=30)
PLAYER_SEEN_WRITE_EVERY = timedelta(seconds=15)
SUBJECT_CHARS = 80
# Attempts at a message when the other side changed the chat at the same moment.
ATTEMPTS = 3


class ChatClosed(Exception):
    """The chat is outside its hours or nobody is available to take it: use the contact form."""


class ChatNotFound(Exception):
    """The ticket is not a live chat."""


class AlreadyTaken(Exception):
    """Another operator accepted the chat first."""

    def __init__(self, by: str):
        super().__init__(by)
        self.by = by  # their display name


class TooManyChats(Exception):
    """The operator holds CHAT_MAX_PER_OPERATOR chats already."""


class WrongState(Exception):
    """Not possible in the chat's current state (accepting an ended chat, writing to it...)."""


# --- helpers -------------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or utcnow()


def _chat(ticket: Ticket, *allowed: str) -> None:
    """Raise ChatNotFound for a ticket that is not a chat, WrongState outside `allowed`."""
    if ticket.channel != chat.CHANNEL or ticket.chat_state is None:
        raise ChatNotFound(ticket.reference)
    if allowed and ticket.chat_state not in allowed:
        raise WrongState(ticket.chat_state)


def _checked_text(text: str, files: Sequence[File] = ()) -> str:
    text = (text or "").strip()
    if not text and not files:
        raise ValueError("a message needs text or files")
    if len(text) > current_app.config["CHAT_MESSAGE_MAX"]:
        raise ValueError("the message is too long")
    return text


def _change(function):
    """A chat use case as a unit of work; a concurrent change of the ticket (the other side
    wrote at the same moment) is retried on the fresh ticket, unless the caller's unit holds
    it (then TicketChanged). A transition the action table refuses is WrongState."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with unit_of_work():
                    result = function(*args, **kwargs)
                    db.session.flush()
                    return result
            except (StaleDataError, TicketChanged):
                if in_unit_of_work() or attempt == ATTEMPTS:
                    raise TicketChanged() from None
                log.info("chat changed concurrently; %s again", function.__name__)
            except TransitionError as error:
                raise WrongState(error.state) from None
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


def _bot_says(ticket: Ticket, text: str, now: datetime, articles: list | None = None):
    """A message of the answer bot, in the chat's language (`text` is translated already)."""
    with force_locale(ticket.language):
        name = gettext("Answer bot")
    message = tickets._message(ticket, Actor(chat.BOT_AUTHOR, name), text, now)
    message.articles = articles
    return message


def _system_says(ticket: Ticket, text: str, now: datetime):
    return tickets._message(ticket, SYSTEM, text, now)


def _in_chat_language(ticket: Ticket, render) -> str:
    with force_locale(ticket.language):
        return render()


def _first_response_due(ticket: Ticket, now: datetime) -> datetime:
    due = targets(ticket.topic, ticket.channel, now, support.current(), vip=ticket.vip)
    return due.first_response_due


def _may_chat(member: StaffMember) -> None:
    if not member.is_active or not access.may_chat(member.role):
        raise NotAllowed("chat")


def _holds_or_oversees(member: StaffMember, ticket: Ticket) -> None:
    """Only the chat's operator, or a supervisor or admin, writes in and acts on an active chat."""
    _may_chat(member)
    if ticket.chat_operator_id != member.id and member.role not in (
        access.SUPERVISOR,
        access.ADMIN,
    ):
        raise NotAllowed("chat")


def _active_chats(member_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Ticket.id)).where(
                Ticket.chat_state == chat.ACTIVE, Ticket.chat_operator_id == member_id
            )
        )
        or 0
    )


def _touch(ticket: Ticket, now: datetime) -> None:
    """Mark the chat changed: its row is written even at the same instant, so its version
    (the change tag) moves with every message."""
    ticket.updated_at = now
    flag_modified(ticket, "updated_at")


def _end(ticket: Ticket, reason: str, now: datetime) -> None:
    ticket.chat_state = chat.ENDED
    ticket.chat_end_reason = reason
    ticket.chat_ended_at = now


# --- opening hours and presence ------------------------------------------------------------------


def is_open(now: datetime | None = None) -> bool:
    """Whether a player can start a chat now: the chat channel is within its hours (support.yml)
    and someone who answers chats is available (their inbox seen within PRESENCE_FRESH)."""
    now = _now(now)
    try:
        channel = support.current().channel(chat.CHANNEL)
    except KeyError:
        return False
    if not channel.is_open(now):
        return False
    roles = [role for role in access.ROLES if access.may_chat(role)]
    return (
        db.session.scalar(
            select(StaffMember.id)
            .where(
                StaffMember.is_active,
                StaffMember.role.in_(roles),
                StaffMember.presence == AVAILABLE,
                StaffMember.presence_at >= now - PRESENCE_FRESH,
            )
            .limit(1)
        )
        is not None
    )


def set_presence(*, member: StaffMember, status: str, now=None, address: str = "") -> None:
    """Set the staff member available or away for chats; raises NotAllowed, ValueError."""
    _may_chat(member)
    if status not in PRESENCES:
        raise ValueError(f"presence must be one of {PRESENCES}")
    with unit_of_work():
        member.presence, member.presence_at = status, _now(now)
        record(member, "chat_presence", detail=status, address=address)
    log.info("presence %s by %s", status, member.email)


def touch_presence(*, member: StaffMember, now=None) -> None:
    """The member's chat inbox is open: keep an `available` status fresh (written at most
    every PRESENCE_WRITE_EVERY, not audited)."""
    now = _now(now)
    if member.presence != AVAILABLE:
        return
    if member.presence_at is not None and now - member.presence_at < PRESENCE_WRITE_EVERY:
        return
    with unit_of_work():
        member.presence_at = now


# --- the player's side ---------------------------------------------------------------------------


def _subject(text: str) -> str:
    return " ".join(text.split())[:SUBJECT_CHARS]


def start_chat(
    *,
    language: str,
    topic: str,
    message: str,
    email: str = "",
    player_id: str = "",
    name: str = "",
    files: Sequence[File] = (),
    source: str = "web",
    verified_player_id: str | None = None,
    vip: str | None = None,
    now=None,
) -> Filed:
    """File a chat with its first message and let the answer bot answer it.

    With articles that may answer the message, the chat waits for the player's answer to the
    bot (`bot`); without, it joins the queue for a person at once (`queued`). Raises ChatClosed
    when `is_open` is not, ValueError for an empty or too long message, KeyError for an unknown
    topic. Files the ticket on its own (see `tickets.services.file_ticket`).
    `verified_player_id` and `vip` only as the casino vouched for them.
    """
    now = _now(now)
    text = _checked_text(message)
    support.current().topic(topic)
    if not is_open(now):
        raise ChatClosed()
    found = bot.suggest(text, language)
    filed = tickets.file_ticket(
        NewTicket(
            topic=topic,
            subject=_subject(text),
            description=text,
            email=(email or "").strip(),
            language=language,
            channel=chat.CHANNEL,
            name=(name or "").strip(),
            player_id=(player_id or "").strip(),
            source=source,
            verified_player_id=verified_player_id,
            vip=vip,
        ),
        files,
        now=now,
    )
    ticket = filed.ticket
    with unit_of_work():
        if found:
            ticket.chat_state = chat.BOT
            text = _in_chat_language(
                ticket,
                lambda: gettext(
                    "I'm the help center's answer bot, not a person. These articles may answer "
                    "your question:"
                ),
            )
            _bot_says(ticket, text, now, [s.as_json() for s in found])
        else:
            _to_queue(
                ticket,
                now,
                lambda: gettext(
                    "I'm the help center's answer bot, not a person. I found no article about "
                    "this, so I'm passing your chat to a person. An operator will answer you "
                    "here."
                ),
            )
        _touch(ticket, now)
    log.info("chat %s started (%s)", ticket.reference, ticket.chat_state)
    return filed


def _to_queue(ticket: Ticket, now: datetime, render=None) -> None:
    """The chat joins the queue; the bot says so with `render` (by default: it is passing the
    chat to a person)."""
    ticket.chat_state = chat.QUEUED
    ticket.chat_queued_at = now
    # The first answer of a person is due from the moment the player asked for one.
    ticket.first_response_due_at = _first_response_due(ticket, now)
    text = _in_chat_language(
        ticket,
        render
        or (
            lambda: gettext(
                "I'm passing your chat to a person. An operator will answer you here; you can "
                "keep writing meanwhile."
            )
        ),
    )
    _bot_says(ticket, text, now)
    tickets._event(ticket, "chat_queued", PLAYER, now)


@_change
def player_message(*, ticket: Ticket, text: str, files: Sequence[File] = (), now=None):
    """The player's message (or files) in an open chat; returns the TicketMessage.

    A message written while the bot waits for an answer means its articles were not enough:
    the chat joins the queue. Raises WrongState once the chat ended, ValueError for an empty
    or too long message.
    """
    _chat(ticket, chat.BOT, chat.QUEUED, chat.ACTIVE)
    now = _now(now)
    text = _checked_text(text, files)
    tickets._apply(ticket, "player_reply" if text else "add_evidence", PLAYER, now)
    message = tickets._message(ticket, Actor(ticket_states.PLAYER, ticket.name), text, now)
    tickets._attach(ticket, message, files)
    if ticket.chat_state == chat.BOT:
        _to_queue(ticket, now)
    _touch(ticket, now)
    return message


@_change
def handoff(*, ticket: Ticket, now=None) -> None:
    """The player wants a person: the chat joins the queue (nothing changes if it is there or
    with an operator already). Raises WrongState once the chat ended."""
    _chat(ticket, chat.BOT, chat.QUEUED, chat.ACTIVE)
    if ticket.chat_state == chat.BOT:
        _to_queue(ticket, _now(now))


@_change
def bot_resolved(*, ticket: Ticket, now=None) -> None:
    """The bot's articles answered the question: the chat ends, the ticket resolved by the
    system (reason `bot`, counted in the reports). Raises WrongState unless with the bot."""
    _chat(ticket, chat.BOT)
    now = _now(now)
    tickets._apply(ticket, "settle", SYSTEM, now)
    ticket.resolved_at = now
    _end(ticket, chat.BY_BOT, now)
    text = _in_chat_language(
        ticket, lambda: gettext("Glad the article helped. This chat is now closed.")
    )
    _bot_says(ticket, text, now)
    tickets._event(ticket, "resolved", SYSTEM, now, text=chat.BY_BOT)


def player_seen(*, ticket: Ticket, now=None) -> None:
    """The player's page (or relay) asked for news: remember when, at most every 15 s.

    A plain UPDATE outside the ticket's version, so it neither changes the chat's change tag
    nor collides with a message written at the same moment.
    """
    now = _now(now)
    if ticket.player_seen_at is not None and now - ticket.player_seen_at < PLAYER_SEEN_WRITE_EVERY:
        return
    # The table, not the mapped class: an ORM UPDATE would bump the version column.
    table = cast(Table, Ticket.__table__)
    with unit_of_work():
        db.session.execute(
            table.update()
            .where(table.c.id == ticket.id)
            .where(
                (table.c.player_seen_at.is_(None))
                | (table.c.player_seen_at < now - PLAYER_SEEN_WRITE_EVERY)
            )
            .values(player_seen_at=now)
        )
    set_committed_value(ticket, "player_seen_at", now)


# --- the staff side ------------------------------------------------------------------------------


def accept(*, member: StaffMember, ticket: Ticket, now=None, address: str = "") -> None:
    """Take a waiting chat: it becomes the member's, assigned to them and in progress.

    One conditional UPDATE (queued -> active) decides between operators accepting at once.
    Raises AlreadyTaken (someone else was first), TooManyChats, NotAllowed, WrongState.
    """
    _may_chat(member)
    _chat(ticket)
    now = _now(now)
    if _active_chats(member.id) >= current_app.config["CHAT_MAX_PER_OPERATOR"]:
        raise TooManyChats()
    ticket_id = ticket.id
    try:
        with unit_of_work():
            taken = db.session.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.chat_state == chat.QUEUED)
                .values(
                    chat_state=chat.ACTIVE,
                    chat_operator_id=member.id,
                    chat_accepted_at=now,
                    version=Ticket.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if cast(CursorResult, taken).rowcount != 1:
                raise _NotQueued()
            db.session.refresh(ticket)
            staff = actor(member)
            tickets._apply(ticket, "assign", staff, now)
            ticket.assignee = member.email
            tickets._event(ticket, "assigned", staff, now, text=member.email, public=False)
            tickets._event(ticket, "chat_accepted", staff, now)
            text = _in_chat_language(
                ticket,
                lambda: gettext("%(name)s has joined the chat.", name=member.display_name),
            )
            _system_says(ticket, text, now)
            record(member, "chat_accept", target=ticket.reference, address=address)
    except _NotQueued:
        db.session.refresh(ticket)
        if ticket.chat_state == chat.ACTIVE and ticket.chat_operator_id is not None:
            holder = db.session.get(StaffMember, ticket.chat_operator_id)
            raise AlreadyTaken(holder.display_name if holder else "") from None
        raise WrongState(ticket.chat_state) from None
    except TransitionError as error:
        raise WrongState(error.state) from None
    log.info("chat %s accepted by %s", ticket.reference, member.email)


class _NotQueued(Exception):
    pass


@_change
def staff_message(
    *,
    member: StaffMember,
    ticket: Ticket,
    text: str,
    files: Sequence[File] = (),
    now=None,
    address: str = "",
):
    """The operator's message to the player (signed with their display name); the first one
    meets the first-response target. Returns the TicketMessage. Only the chat's operator, or
    a supervisor or admin. Raises NotAllowed, WrongState (not active), ValueError."""
    _chat(ticket, chat.ACTIVE)
    _holds_or_oversees(member, ticket)
    now = _now(now)
    text = _checked_text(text, files)
    staff = actor(member)
    tickets._apply(ticket, "reply", staff, now)
    ticket.first_responded_at = ticket.first_responded_at or now
    message = tickets._message(ticket, staff, text, now)
    tickets._attach(ticket, message, files)
    _touch(ticket, now)
    record(member, "chat_message", target=ticket.reference, address=address)
    return message


@_change
def note(*, member: StaffMember, ticket: Ticket, text: str, now=None, address: str = ""):
    """An internal note on the chat, for staff only (`tickets.services.note`)."""
    _chat(ticket)
    _may_chat(member)
    text = _checked_text(text)
    if not access.may_handle(member.role, ticket.tier):
        raise NotAllowed("note")
    record(member, "chat_note", target=ticket.reference, address=address)
    tickets.note(ticket, actor(member), text, now=_now(now))


@_change
def transfer(
    *, member: StaffMember, ticket: Ticket, to_member_id: int, now=None, address: str = ""
) -> None:
    """Hand an active chat to another available-to-chat staff member, who then holds it.

    Raises NotAllowed (not the member's chat, or the other cannot take chats), TooManyChats
    (the other holds their limit), WrongState, ChatNotFound.
    """
    _chat(ticket, chat.ACTIVE)
    _holds_or_oversees(member, ticket)
    now = _now(now)
    other = db.session.get(StaffMember, to_member_id)
    if (
        other is None
        or not other.is_active
        or not access.may_chat(other.role)
        or not access.may_handle(other.role, ticket.tier)
        or other.id == ticket.chat_operator_id
    ):
        raise NotAllowed("transfer")
    if _active_chats(other.id) >= current_app.config["CHAT_MAX_PER_OPERATOR"]:
        raise TooManyChats()
    staff = actor(member)
    tickets._apply(ticket, "assign", staff, now)
    ticket.chat_operator_id = other.id
    ticket.assignee = other.email
    tickets._event(ticket, "assigned", staff, now, text=other.email, public=False)
    text = _in_chat_language(
        ticket, lambda: gettext("%(name)s has joined the chat.", name=other.display_name)
    )
    _system_says(ticket, text, now)
    record(member, "chat_transfer", target=ticket.reference, detail=other.email, address=address)


@_change
def escalate(
    *, member: StaffMember, ticket: Ticket, reason: str, now=None, address: str = ""
) -> None:
    """End the chat as escalated: the same ticket, with the whole conversation, goes to the
    next tier (`tickets.services.escalate`), where it continues as a request followed on the
    status page. Raises NotAllowed, WrongState, ValueError (no reason)."""
    _chat(ticket, chat.ACTIVE)
    _holds_or_oversees(member, ticket)
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("an escalation needs a reason")
    now = _now(now)
    _end(ticket, chat.ESCALATED, now)
    tickets.escalate(ticket, actor(member), reason, now=now)
    _system_says(ticket, _in_chat_language(ticket, lambda: _escalated_text(ticket.tier)), now)
    record(member, "chat_escalate", target=ticket.reference, detail=reason, address=address)


def _escalated_text(tier: str) -> str:
    if tier == ticket_states.INVESTIGATION:
        return gettext(
            "Your chat is now a request for the investigation team. They will answer you on "
            "the status page of your request; you don't need to stay in the chat."
        )
    return gettext(
        "Your chat is now a request for a supervisor. They will answer you on the status page "
        "of your request; you don't need to stay in the chat."
    )


@_change
def end_chat(*, member: StaffMember, ticket: Ticket, now=None, address: str = "") -> None:
    """End an active chat as resolved by the operator ("Chat ended by <name>"), and queue the
    transcript email when the player gave an address. Raises NotAllowed, WrongState."""
    _chat(ticket, chat.ACTIVE)
    _holds_or_oversees(member, ticket)
    now = _now(now)
    staff = actor(member)
    tickets._apply(ticket, "resolve", staff, now)
    ticket.resolved_at = now
    ticket.first_responded_at = ticket.first_responded_at or now
    _end(ticket, chat.BY_OPERATOR, now)
    summary = _in_chat_language(
        ticket, lambda: gettext("Chat ended by %(name)s.", name=member.display_name)
    )
    tickets._message(ticket, staff, summary, now)
    tickets._event(ticket, "resolved", staff, now)
    emails.queue(ticket, "transcript")
    record(member, "chat_end", target=ticket.reference, address=address)


# --- the worker ----------------------------------------------------------------------------------


def abandon_idle(now=None) -> int:
    """End the waiting chats (with the bot or in the queue) whose player has not been seen for
    CHAT_ABANDON_MINUTES, as abandoned: the ticket is resolved by the system. Returns how many.

    Safe on several hosts at once: each chat is changed under its version, so of two workers
    only one ends it.
    """
    now = _now(now)
    since = now - timedelta(minutes=current_app.config["CHAT_ABANDON_MINUTES"])
    idle = db.session.scalars(
        select(Ticket.id).where(
            Ticket.chat_state.in_(chat.WAITING_STATES),
            func.coalesce(Ticket.player_seen_at, Ticket.created_at) <= since,
        )
    ).all()
    ended = 0
    for ticket_id in idle:
        ticket = db.session.get_one(Ticket, ticket_id, populate_existing=True)
        seen = ticket.player_seen_at or ticket.created_at
        if ticket.chat_state not in chat.WAITING_STATES or seen > since:
            db.session.rollback()
            continue
        try:
            with unit_of_work():
                tickets._apply(ticket, "settle", SYSTEM, now)
                ticket.resolved_at = now
                _end(ticket, chat.ABANDONED, now)
                tickets._event(ticket, "chat_abandoned", SYSTEM, now)
        except (StaleDataError, TransitionError):
            continue
        ended += 1
    if ended:
        log.info("%d idle chats ended as abandoned", ended)
    return ended
