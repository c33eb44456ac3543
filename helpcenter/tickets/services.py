"""Ticket use cases: filing, the player's and staff's actions, escalation by SLA, lookups.

Every change goes through `_apply`, which asks the action table (`actions`) whether this actor
may do it now and applies the state and tier it leads to, and is recorded by `_event` with its
actor. Each use case is one unit of work (`transaction.unit_of_work`): it commits on its own,
or with the caller's unit when a view adds the staff member's audit entry, so a change lands
with its events, messages, files and emails or not at all.
"""

import functools
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import wraps

from flask import current_app
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from helpcenter import support, vocabulary
from helpcenter.chat import states as chat_states
from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.tickets import actions, emails, quotas, reference, states, storage, uploads
from helpcenter.tickets.actions import PLAYER, SYSTEM, Actor
from helpcenter.tickets.models import (
    ApiKey,
    Attachment,
    IdempotentRequest,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from helpcenter.tickets.sla import add_business_days, targets
from helpcenter.transaction import in_unit_of_work, on_rollback, unit_of_work

log = logging.getLogger(__name__)
REFERENCE_ATTEMPTS = 8


class TicketChanged(Exception):
    """Someone else changed the ticket between reading and writing it; nothing was saved."""


def _use_case(function):
    """A change of one ticket as a unit of work: a concurrent change of it (its version moved
    on) is TicketChanged, found at the flush, so also when the unit is the caller's."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        try:
            with unit_of_work():
                result = function(*args, **kwargs)
                db.session.flush()
                return result
        except StaleDataError:
            raise TicketChanged() from None

    return wrapper


@dataclass(frozen=True)
class NewTicket:
    topic: str
    subject: str
    description: str
    email: str
    language: str
    channel: str
    contact: str = ""
    urgency: str = "normal"
    name: str = ""
    player_id: str = ""
    transaction_id: str = ""
    source: str = "web"
    # Only what the casino vouched for (a sign-in token, an API key allowed to vouch).
    verified_player_id: str | None = None
    vip: str | None = None


@dataclass(frozen=True)
class File:
    """An upload that passed `uploads.check`, with the bytes to keep (`uploads.clean`'s)."""

    checked: uploads.Checked
    data: bytes


@dataclass(frozen=True)
class Filed:
    ticket: Ticket
    token: str  # the secret of the private status link, known only to the player
    is_replay: bool = False  # filed earlier under the same idempotency key, not now


class IdempotencyKeyReused(Exception):
    """The idempotency key came earlier with another request; nothing was filed."""

    def __init__(self, filed: Filed):
        super().__init__(filed.ticket.reference)
        self.filed = filed  # the earlier request's filing


class IdempotencyKeyInUse(Exception):
    """The first request with this idempotency key is still being filed; try again shortly."""


@dataclass(frozen=True)
class Idempotency:
    """A request's idempotency key: who sent it (`scope`), the key, and the request's hash."""

    scope: str
    key: str
    request_hash: str


def request_hash(body) -> str:
    """sha256 of the canonical JSON of `body`: the same request hashes alike however it is sent."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now(now: datetime | None) -> datetime:
    return now or utcnow()


def _event(ticket: Ticket, type_: str, actor: Actor, now: datetime, text: str = "", public=True):
    ticket.events.append(
        TicketEvent(
            type=type_,
            actor_kind=actor.kind,
            actor_name=actor.name,
            text=text,
            state=ticket.state,
            tier=ticket.tier,
            is_public=public,
            created_at=now,
        )
    )
    ticket.updated_at = now


def _apply(ticket: Ticket, action: str, actor: Actor, now: datetime) -> None:
    """Do what the action table says `action` changes, or raise NotAllowed/TransitionError."""
    state = actions.check(ticket, action, actor, now)
    if ticket.state == states.WAITING and state != states.WAITING:
        _pause_sla_clocks(ticket, now - _waiting_since(ticket, now))
    if actions.rule(action).tier_step:
        ticket.tier = actions.next_tier(ticket, action)
        ticket.tier_since = now
        ticket.assignee = None
    ticket.state = state


def _message(
    ticket: Ticket, author: Actor, body: str, now: datetime, *, internal: bool = False
) -> TicketMessage:
    message = TicketMessage(
        author_kind=author.kind,
        author_name=author.name,
        body=body,
        is_internal=internal,
        created_at=now,
    )
    ticket.messages.append(message)
    return message


def _attach(ticket: Ticket, message: TicketMessage, files: Sequence[File]):
    """Store `files` (storage.current(), in this transaction) as attachments of `message`.

    The player's files must fit the ticket's and the day's quotas (`quotas.spend`; else
    QuotaExceeded, before anything is stored). A file stored outside the database is
    discarded if the transaction rolls back.
    """
    if message.author_kind == states.PLAYER:
        quotas.spend(ticket, files)
    place = storage.current()
    for file in files:
        name = place.save(file.checked, file.data)
        on_rollback(functools.partial(place.discard, name))
        ticket.attachments.append(
            Attachment(
                message=message,
                stored_name=name,
                display_name=file.checked.display_name,
                mimetype=file.checked.mimetype,
                size=file.checked.size,
                received_sha256=file.checked.sha256 or None,
                created_at=message.created_at,
            )
        )


def _idempotency_window() -> timedelta:
    return timedelta(hours=current_app.config["IDEMPOTENCY_KEY_HOURS"])


def _filed_before(idempotency: Idempotency, now: datetime) -> Filed | None:
    """The ticket filed under this key within the window, or None; raises IdempotencyKeyReused."""
    record = db.session.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.scope == idempotency.scope,
            IdempotentRequest.key == idempotency.key,
            IdempotentRequest.created_at > now - _idempotency_window(),
        )
    )
    if record is None:
        return None
    ticket = db.session.get(Ticket, record.ticket_id)
    filed = Filed(ticket, json.loads(record.response_body)["token"], is_replay=True)
    if not hmac.compare_digest(record.request_hash, idempotency.request_hash):
        raise IdempotencyKeyReused(filed)
    return filed


def _claim(idempotency: Idempotency, ticket: Ticket, token: str, now: datetime) -> None:
    """Record the key with the ticket, in its transaction: a crash before commit keeps neither.

    A concurrent request with the same key meets the unique constraint: PostgreSQL makes it wait
    for this transaction and then fail. The token is kept for the replay (for the key's window
    only), as the acknowledgement in the outbox keeps it.
    """
    db.session.flush()  # the ticket's id, for the record
    db.session.execute(
        delete(IdempotentRequest).where(
            IdempotentRequest.scope == idempotency.scope,
            IdempotentRequest.key == idempotency.key,
            IdempotentRequest.created_at <= now - _idempotency_window(),
        )
    )
    db.session.add(
        IdempotentRequest(
            scope=idempotency.scope,
            key=idempotency.key,
            request_hash=idempotency.request_hash,
            status_code=201,
            response_body=json.dumps({"reference": ticket.reference, "token": token}),
            ticket_id=ticket.id,
            created_at=now,
        )
    )


def file_ticket(
    new: NewTicket,
    files: Sequence[File] = (),
    now: datetime | None = None,
    idempotency: Idempotency | None = None,
) -> Filed:
    """Save a new ticket with its first message, files, "received" event and acknowledgement.

    With `idempotency`, the key is claimed in the same transaction, so a request files one
    ticket however often it is sent: a key already used within IDEMPOTENCY_KEY_HOURS returns
    its ticket again (`is_replay`). Raises IdempotencyKeyReused when the key came with another
    request, IdempotencyKeyInUse when its first request is not committed yet,
    quotas.QuotaExceeded when the files cross a quota (nothing is filed then).

    Filing is a unit of work of its own, never part of a caller's: when a reference was drawn
    twice it rolls back and tries another, which needs its own transaction.
    """
    if in_unit_of_work():
        raise RuntimeError("file_ticket commits on its own: call it outside a unit of work")
    now = _now(now)
    if idempotency is not None and (earlier := _filed_before(idempotency, now)) is not None:
        return earlier
    due = targets(new.topic, new.channel, now, support.current(), vip=new.vip)
    token = secrets.token_urlsafe(24)
    fields = asdict(new)
    description = fields.pop("description")
    for attempt in range(1, REFERENCE_ATTEMPTS + 1):
        ticket = Ticket(
            **fields,
            reference=reference.generate(),
            token_hash=hash_secret(token),
            state=states.RECEIVED,
            tier=states.OPERATOR,
            created_at=now,
            tier_since=now,
            first_response_due_at=due.first_response_due,
            resolution_due_at=due.resolution_due,
        )
        try:
            with unit_of_work():
                db.session.add(ticket)
                if idempotency is not None:
                    _claim(idempotency, ticket, token, now)
                message = _message(ticket, Actor(states.PLAYER, new.name), description, now)
                _attach(ticket, message, files)
                _event(ticket, "received", PLAYER, now)
                emails.queue(ticket, "received", token=token)
        except IntegrityError:
            # The key claimed by a concurrent request that committed first: answer as it did.
            if idempotency is not None and (earlier := _filed_before(idempotency, now)) is not None:
                return earlier
            # A reference drawn twice (the unique constraint): the one failure worth a retry.
            if attempt == REFERENCE_ATTEMPTS:
                if idempotency is not None:
                    raise IdempotencyKeyInUse() from None
                raise
            log.warning("ticket reference %s taken; drawing another", ticket.reference)
        else:
            return Filed(ticket, token)


def forget_idempotency_keys(now: datetime | None = None) -> int:
    """Delete the idempotency records older than IDEMPOTENCY_KEY_HOURS; returns how many.

    They are ignored already (their keys file anew); this only frees the space. Safe to run on
    several hosts at once.
    """
    with unit_of_work():
        result = db.session.execute(
            delete(IdempotentRequest).where(
                IdempotentRequest.created_at <= _now(now) - _idempotency_window()
            )
        )
    if result.rowcount:
        log.info("forgot %d idempotency keys older than the window", result.rowcount)
    return result.rowcount


# --- lookups ------------------------------------------------------------------------------------


def find_by_token(token: str) -> Ticket | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.token_hash == hash_secret(token)))


def find_by_reference(text: str) -> Ticket | None:
    canonical = reference.normalize(text)
    if canonical is None:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.reference == canonical))


def find_for_player(reference_text: str, email: str) -> Ticket | None:
    """The ticket when the reference and the email filed with it both match, else None."""
    ticket = find_by_reference(reference_text)
    if ticket is None:
        return None
    given = email.strip().casefold().encode()
    return ticket if hmac.compare_digest(given, ticket.email.casefold().encode()) else None


# --- the player's actions ------------------------------------------------------------------------


def _player(ticket: Ticket) -> Actor:
    return Actor(states.PLAYER, ticket.name)


@_use_case
def player_reply(ticket: Ticket, body: str, files: Sequence[File] = (), now=None) -> None:
    """The player's answer, or only more evidence (files without text); raises TransitionError,
    or quotas.QuotaExceeded when the files cross a quota (nothing is added then)."""
    if not body and not files:
        raise ValueError("a reply needs text or files")
    now = _now(now)
    _apply(ticket, "player_reply" if body else "add_evidence", PLAYER, now)
    _attach(ticket, _message(ticket, _player(ticket), body, now), files)
    _event(ticket, "player_replied" if body else "evidence_added", PLAYER, now)


@_use_case
def rate(ticket: Ticket, score: int, comment: str = "", now=None) -> None:
    """Rate the service once (1-5), after resolution; raises TransitionError otherwise."""
    if not 1 <= score <= 5:
        raise ValueError("a rating is 1 to 5")
    now = _now(now)
    _apply(ticket, "rate", PLAYER, now)
    ticket.rating, ticket.rating_comment = score, comment
    _event(ticket, "rated", PLAYER, now, text=str(score))


class AlreadyRecommended(states.TransitionError):
    """The player already answered the NPS question of this ticket."""


@_use_case
def recommend(ticket: Ticket, score: int, now=None) -> None:
    """Answer the NPS question once (0-10), after resolution; raises AlreadyRecommended when it
    was answered before, TransitionError before resolution, ValueError out of range."""
    if not vocabulary.NPS_MIN <= score <= vocabulary.NPS_MAX:
        raise ValueError("an NPS answer is 0 to 10")
    if ticket.nps_score is not None:
        raise AlreadyRecommended("recommend", ticket.state, ticket.tier)
    now = _now(now)
    _apply(ticket, "recommend", PLAYER, now)
    ticket.nps_score, ticket.nps_at = score, now
    _event(ticket, "recommended", PLAYER, now, text=str(score))


@_use_case
def reopen(ticket: Ticket, body: str, now=None) -> None:
    """Reopen a resolved ticket within the reopen window, with the player's message."""
    now = _now(now)
    _apply(ticket, "reopen", PLAYER, now)
    ticket.resolved_at = None
    _message(ticket, _player(ticket), body, now)
    _event(ticket, "reopened", PLAYER, now)


# --- staff actions (the staff console calls these through `actions.SERVICES`) ------------------


@actions.performs("reply")
@_use_case
def reply(ticket: Ticket, staff: Actor, body: str, *, wait=False, now=None) -> None:
    """A staff reply the player sees (asking for an answer with `wait`); the first one meets
    the first-response target."""
    now = _now(now)
    _apply(ticket, "reply", staff, now)
    if wait:
        _apply(ticket, "wait", staff, now)
    ticket.first_responded_at = ticket.first_responded_at or now
    _message(ticket, staff, body, now)
    _event(ticket, "waiting_for_player" if wait else "replied", staff, now)
    emails.queue(ticket, "replied")


@actions.performs("note")
@_use_case
def note(ticket: Ticket, staff: Actor, body: str, now=None) -> None:
    """An internal note: for staff only, never shown to the player."""
    now = _now(now)
    _apply(ticket, "note", staff, now)
    _message(ticket, staff, body, now, internal=True)
    _event(ticket, "note", staff, now, public=False)


@_use_case
def assign(ticket: Ticket, staff: Actor, assignee: str | None, now=None) -> None:
    """Give the ticket to `assignee` (a new ticket is then in progress), or to nobody."""
    now = _now(now)
    _apply(ticket, "assign" if assignee else "unassign", staff, now)
    ticket.assignee = assignee or None
    _event(ticket, "assigned", staff, now, text=assignee or "", public=False)


@actions.performs("wait")
@_use_case
def set_waiting_for_player(ticket: Ticket, staff: Actor, now=None) -> None:
    now = _now(now)
    _apply(ticket, "wait", staff, now)
    _event(ticket, "waiting_for_player", staff, now)


def _escalate(ticket: Ticket, actor: Actor, reason: str, now: datetime) -> None:
    _apply(ticket, "escalate", actor, now)
    if ticket.tier == states.INVESTIGATION:
        config = support.current()
        ticket.resolution_due_at = max(
            ticket.resolution_due_at,
            add_business_days(
                now, config.escalation.investigation_resolution_business_days, config
            ),
        )
    kind = "escalated_automatically" if actor.kind == states.SYSTEM else "escalated"
    _event(ticket, kind, actor, now, text=reason)


@actions.performs("escalate")
@_use_case
def escalate(ticket: Ticket, staff: Actor, reason: str, now=None) -> None:
    """Hand the ticket to the next tier with a reason the player sees."""
    _escalate(ticket, staff, reason, _now(now))


@actions.performs("send_back")
@_use_case
def send_back(ticket: Ticket, staff: Actor, reason: str, now=None) -> None:
    """Hand the ticket back to the tier below (a supervisor to the operators...), with a reason."""
    now = _now(now)
    _apply(ticket, "send_back", staff, now)
    if ticket.first_responded_at is None:
        # A fresh first-response target from the send-back, as at filing; `run_sla` escalates
        # it again only when this one passes unanswered.
        due = targets(ticket.topic, ticket.channel, now, support.current(), vip=ticket.vip)
        ticket.first_response_due_at = due.first_response_due
    _event(ticket, "sent_back", staff, now, text=reason)


class UnknownVipLevel(ValueError):
    """The VIP level is not one of support.yml's; nothing was changed."""


@_use_case
def set_vip(ticket: Ticket, staff: Actor, level: str | None, now=None) -> None:
    """Give the ticket a VIP level of support.yml, or none (`level` None or ""), with a
    staff-only event; raises UnknownVipLevel for a level support.yml does not list.

    The pending deadlines are worked out again from when the clock started, with the new
    level: the first response (from the filing, or for a chat from when the player asked for a
    person) unless it was given, the resolution unless the ticket is resolved or with the
    investigation team (their deadline is counted in business days, `_escalate`).
    """
    config = support.current()
    level = level or None
    if level is not None and config.vip_level(level) is None:
        raise UnknownVipLevel(level)
    if level == ticket.vip:
        return
    now = _now(now)
    ticket.vip = level
    due = targets(ticket.topic, ticket.channel, ticket.created_at, config, vip=level)
    if ticket.first_responded_at is None:
        started = ticket.chat_queued_at or ticket.created_at
        first = targets(ticket.topic, ticket.channel, started, config, vip=level)
        ticket.first_response_due_at = first.first_response_due
    if ticket.resolved_at is None and ticket.tier != states.INVESTIGATION:
        ticket.resolution_due_at = due.resolution_due
    _event(ticket, "vip_changed", staff, now, text=level or "", public=False)


def _close(ticket: Ticket, actor: Actor, now: datetime) -> None:
    _apply(ticket, "close", actor, now)
    ticket.closed_at = now
    _event(ticket, "closed", actor, now)


@actions.performs("close")
@_use_case
def close(ticket: Ticket, staff: Actor, now=None) -> None:
    """Close a resolved ticket before the reopen window ends (then `sla run` closes it)."""
    _close(ticket, staff, _now(now))


@actions.performs("resolve")
@_use_case
def resolve(ticket: Ticket, staff: Actor, summary: str, now=None) -> None:
    now = _now(now)
    _apply(ticket, "resolve", staff, now)
    ticket.resolved_at = now
    ticket.first_responded_at = ticket.first_responded_at or now
    _message(ticket, staff, summary, now)
    _event(ticket, "resolved", staff, now)
    emails.queue(ticket, "resolved")


# --- escalation by SLA ----------------------------------------------------------------------------

NO_FIRST_RESPONSE = "no_first_response"
NOT_RESOLVED_AT_SUPERVISOR = "not_resolved_at_supervisor"
NOT_RESOLVED_IN_TIME = "not_resolved_in_time"
# The states whose SLA clocks run: while the ticket waits for the player they are paused, and
# `run_sla` neither escalates it nor changes its state.
SLA_CLOCK_STATES = (states.RECEIVED, states.IN_PROGRESS)


def _waiting_since(ticket: Ticket, now: datetime) -> datetime:
    """When the ticket, waiting for the player now, began its latest spell of waiting.

    Derived from the events: only a "waiting_for_player" event (a staff reply asking the
    player, or setting the state) starts a spell, so a reply that asks again starts a new one.
    """
    started = [e.created_at for e in ticket.events if e.type == "waiting_for_player"]
    return started[-1] if started else now


def _pause_sla_clocks(ticket: Ticket, waited: timedelta) -> None:
    """Move the pending SLA deadlines later by the time spent waiting for the player."""
    if ticket.first_responded_at is None:
        ticket.first_response_due_at += waited
    ticket.resolution_due_at += waited
    ticket.tier_since += waited


# A chat with the answer bot waits for the player, not for us: its first-response clock starts
# when the player asks for a person (`chat.services.handoff`).
_not_with_the_bot = or_(Ticket.chat_state.is_(None), Ticket.chat_state != chat_states.BOT)


@dataclass(frozen=True)
class SlaRun:
    to_supervisor: int
    to_investigation: int
    closed: int


def _commit_unless_changed(change) -> bool:
    """Make `change` as a unit of work, or roll it back when another process changed the
    ticket first.

    The flush that finds the row's version moved on may come from the commit or from an
    autoflush inside `change`, so both are inside.
    """
    try:
        with unit_of_work():
            change()
    except StaleDataError:
        return False
    return True


def run_sla(now: datetime | None = None) -> SlaRun:
    """Escalate tickets whose targets were missed and close long-resolved ones.

    Idempotent and safe to run from cron every minute, also twice at once: each ticket is
    re-read and changed under its version (optimistic locking), so of two runs that read the
    same ticket only the first commits its change and event; the other skips it.
    """
    now = _now(now)
    config = support.current()
    complex_topics = {topic.id for topic in config.topics if topic.is_complex}
    after = timedelta(minutes=config.escalation.investigation_after_minutes)
    counts = {"supervisor": 0, "investigation": 0, "closed": 0}

    late = db.session.scalars(
        select(Ticket.id).where(
            Ticket.state.in_(SLA_CLOCK_STATES),
            Ticket.tier == states.OPERATOR,
            Ticket.first_responded_at.is_(None),
            Ticket.first_response_due_at <= now,
            _not_with_the_bot,
        )
    ).all()
    overdue = (
        db.session.scalars(
            select(Ticket.id).where(
                Ticket.state.in_(SLA_CLOCK_STATES),
                Ticket.tier == states.OPERATOR,
                Ticket.topic.in_(complex_topics),
                Ticket.resolution_due_at <= now,
                Ticket.id.not_in(late),
                _not_with_the_bot,
            )
        ).all()
        if config.escalation.supervisor_when_resolution_missed
        else []
    )
    stuck = db.session.scalars(
        select(Ticket.id).where(
            Ticket.state.in_(SLA_CLOCK_STATES),
            Ticket.tier == states.SUPERVISOR,
            Ticket.topic.in_(complex_topics),
            Ticket.tier_since <= now - after,
        )
    ).all()
    stale = db.session.scalars(
        select(Ticket.id).where(
            Ticket.state == states.RESOLVED,
            Ticket.resolved_at <= now - actions.REOPEN_WINDOW,
        )
    ).all()
    for ticket_id, reason, tier in [
        *[(i, NO_FIRST_RESPONSE, states.OPERATOR) for i in late],
        *[(i, NOT_RESOLVED_IN_TIME, states.OPERATOR) for i in overdue],
        *[(i, NOT_RESOLVED_AT_SUPERVISOR, states.SUPERVISOR) for i in stuck],
    ]:
        ticket = db.session.get(Ticket, ticket_id, populate_existing=True)
        if ticket.tier != tier or ticket.state not in SLA_CLOCK_STATES:
            db.session.rollback()
            continue
        if _commit_unless_changed(lambda: _escalate(ticket, SYSTEM, reason, now)):  # noqa: B023
            counts[ticket.tier] += 1
    for ticket_id in stale:
        ticket = db.session.get(Ticket, ticket_id, populate_existing=True)
        if ticket.state != states.RESOLVED:
            db.session.rollback()
            continue
        if _commit_unless_changed(lambda: _close(ticket, SYSTEM, now)):  # noqa: B023
            counts["closed"] += 1
    return SlaRun(counts["supervisor"], counts["investigation"], counts["closed"])


# --- API keys -----------------------------------------------------------------------------------


class ApiKeyError(Exception):
    pass


def create_api_key(name: str, *, can_vouch: bool = False) -> str:
    """Store a new key's hash under `name`; returns the key, which is not kept anywhere.

    With `can_vouch`, the key may vouch for a player ID and VIP level (the casino's own back
    office). Raises ApiKeyError for a bad name or one taken already.
    """
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise ApiKeyError("the name must have 1 to 80 characters")
    key = "hc_" + secrets.token_urlsafe(32)
    db.session.add(ApiKey(name=name, key_hash=hash_secret(key), can_vouch=can_vouch))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ApiKeyError(f"a key named {name!r} exists already") from None
    log.info("API key %s created%s", name, " (may vouch)" * can_vouch)
    return key


def _active_key(name: str) -> ApiKey:
    key = db.session.scalar(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None)))
    if key is None:
        raise ApiKeyError(f"no active key named {name!r}")
    return key


def revoke_api_key(name: str, now=None) -> None:
    key = _active_key(name)
    key.revoked_at = _now(now)
    db.session.commit()
    log.info("API key %s revoked", name)


def set_api_key_vouching(name: str, *, can_vouch: bool) -> bool:
    """Allow or withdraw the active key `name`'s vouching for player IDs and VIP levels; it
    applies to the key's next request. Returns whether it changed; ApiKeyError for no such key."""
    key = _active_key(name)
    changed = key.can_vouch != can_vouch
    key.can_vouch = can_vouch
    db.session.commit()
    if changed:
        log.info("API key %s %s", name, "may vouch now" if can_vouch else "may no longer vouch")
    return changed


def api_keys() -> list[ApiKey]:
    """Every key, active or revoked, by name."""
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.name)))


def authenticate(key: str) -> ApiKey | None:
    if not key or len(key) > 200:
        return None
    return db.session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_secret(key), ApiKey.revoked_at.is_(None))
    )
