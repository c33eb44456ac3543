"""Everything that may be done to a ticket, in one table: who, from which states and tiers, and
what it changes.

Each `Rule` is read by every layer: the services apply it (`apply`), the staff console offers
exactly the actions a staff member `can` do now and posts them by name, the status page and the
API show the player's (`can(ticket, "rate", player)`), and the tests walk the table. A new
action is one entry here plus its service, registered with `@performs(name)`; the console then
offers it (a generic form, or one of its own in `staff/_ticket.html`) and refuses it wherever
the rule says no.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from helpcenter.db import utcnow
from helpcenter.staff import access
from helpcenter.tickets import states
from helpcenter.tickets.states import (
    CLOSED,
    IN_PROGRESS,
    OPEN_STATES,
    RECEIVED,
    RESOLVED,
    STATES,
    TIERS,
    WAITING,
    TransitionError,
)

if TYPE_CHECKING:
    from helpcenter.tickets.models import Ticket

# A resolved ticket may be reopened by the player for this long; then `sla run` closes it.
REOPEN_WINDOW = timedelta(days=states.REOPEN_DAYS)

# The staff roles that work tickets (each within the tiers `access` gives it).
TICKET_ROLES = tuple(role for role in access.ROLES if access.works_tickets(role))


class NotAllowed(Exception):
    """This actor may not do the action at all (a player closing, an editor replying...)."""


@dataclass(frozen=True)
class Actor:
    """Who acts: a player, a staff member (with their role) or the system (the SLA worker)."""

    kind: str  # states.PLAYER, STAFF or SYSTEM
    name: str = ""
    role: str = ""  # staff only: one of access.ROLES


PLAYER = Actor(states.PLAYER)
SYSTEM = Actor(states.SYSTEM)


def stay(*from_states: str) -> Mapping[str, str]:
    """Allowed from these states, which it does not change."""
    return {state: state for state in from_states}


def to(state: str, *from_states: str) -> Mapping[str, str]:
    """Allowed from these states, each leading to `state`."""
    return dict.fromkeys(from_states, state)


def _within_reopen_window(ticket: Ticket, now: datetime) -> bool:
    return ticket.resolved_at is not None and now - ticket.resolved_at <= REOPEN_WINDOW


def _not_rated(ticket: Ticket, now: datetime) -> bool:
    return ticket.rating is None


def _not_recommended(ticket: Ticket, now: datetime) -> bool:
    return ticket.nps_score is None


@dataclass(frozen=True)
class Rule:
    name: str
    by: frozenset[str]  # actor kinds: states.PLAYER, STAFF, SYSTEM
    moves: Mapping[str, str]  # state it may start from -> state after it
    tiers: tuple[str, ...] = TIERS  # tiers it may start from
    tier_step: int = 0  # +1: up one tier (escalate), -1: down one (send back)
    roles: tuple[str, ...] = TICKET_ROLES  # staff roles that may do it (within their tiers)
    when: Callable[[Ticket, datetime], bool] | None = None  # a further condition
    # The staff console: the button's label (None: not offered on its own) and the form
    # fields the service takes, by name (staff/forms.py knows the fields' labels).
    label: Any = None
    fields: tuple[str, ...] = ()

    @property
    def from_states(self) -> tuple[str, ...]:
        return tuple(self.moves)


STAFF_ONLY = frozenset({states.STAFF})
PLAYER_ONLY = frozenset({states.PLAYER})
STAFF_OR_SYSTEM = frozenset({states.STAFF, states.SYSTEM})
SYSTEM_ONLY = frozenset({states.SYSTEM})

RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        # Staff, in the console.
        Rule(
            "reply",
            STAFF_ONLY,
            to(IN_PROGRESS, *OPEN_STATES),
            label=_l("Send reply"),
            fields=("body", "wait"),
        ),
        Rule("note", STAFF_ONLY, stay(*STATES), label=_l("Add note"), fields=("body",)),
        Rule(
            "assign",
            STAFF_ONLY,
            {RECEIVED: IN_PROGRESS, IN_PROGRESS: IN_PROGRESS, WAITING: WAITING},
            label=_l("Assign"),
            fields=("assignee",),
        ),
        Rule("unassign", STAFF_ONLY, stay(*OPEN_STATES)),
        Rule(
            "wait", STAFF_ONLY, to(WAITING, RECEIVED, IN_PROGRESS), label=_l("Wait for the player")
        ),
        Rule(
            "escalate",
            STAFF_OR_SYSTEM,
            to(IN_PROGRESS, *OPEN_STATES),
            tiers=TIERS[:-1],
            tier_step=1,
            label=_l("Escalate one tier"),
            fields=("reason",),
        ),
        Rule(
            "send_back",
            STAFF_ONLY,
            to(IN_PROGRESS, *OPEN_STATES),
            tiers=TIERS[1:],
            tier_step=-1,
            label=_l("Send back"),
            fields=("reason",),
        ),
        Rule(
            "resolve",
            STAFF_ONLY,
            to(RESOLVED, *OPEN_STATES),
            label=_l("Resolve"),
            fields=("summary",),
        ),
        Rule("close", STAFF_OR_SYSTEM, to(CLOSED, RESOLVED), label=_l("Close now")),
        # The system, for live chats: the answer bot's articles were enough, or the player left
        # before anyone answered (helpcenter/chat/services.py).
        Rule("settle", SYSTEM_ONLY, to(RESOLVED, *OPEN_STATES)),
        # The player, on the status page and through the API.
        Rule("player_reply", PLAYER_ONLY, {**stay(*OPEN_STATES), WAITING: IN_PROGRESS}),
        Rule("add_evidence", PLAYER_ONLY, stay(*OPEN_STATES)),
        Rule("reopen", PLAYER_ONLY, to(IN_PROGRESS, RESOLVED), when=_within_reopen_window),
        Rule("rate", PLAYER_ONLY, stay(RESOLVED, CLOSED), when=_not_rated),
        # The NPS question ("recommend us to a friend?", 0-10): once, with the rating or alone.
        Rule("recommend", PLAYER_ONLY, stay(RESOLVED, CLOSED), when=_not_recommended),
    )
}

# The service of each action (`performs`): what the staff console calls, by the action's name.
SERVICES: dict[str, Callable[..., None]] = {}


def performs(name: str):
    """Register the decorated function as the service of action `name` (which must be in RULES)."""

    def register(function):
        if name not in RULES:
            raise KeyError(f"no rule for action {name!r}")
        SERVICES[name] = function
        return function

    return register


def rule(action: str) -> Rule:
    return RULES[action]


def _may_act(rule_: Rule, ticket: Ticket, actor: Actor) -> bool:
    if actor.kind not in rule_.by:
        return False
    if actor.kind != states.STAFF:
        return True
    return actor.role in rule_.roles and access.may_handle(actor.role, ticket.tier)


def check(ticket: Ticket, action: str, actor: Actor, now: datetime | None = None) -> str:
    """The ticket's state after `action` by `actor`; raises NotAllowed or TransitionError."""
    rule_ = RULES[action]
    if not _may_act(rule_, ticket, actor):
        raise NotAllowed(action)
    if (
        ticket.state not in rule_.moves
        or ticket.tier not in rule_.tiers
        or (rule_.when is not None and not rule_.when(ticket, now or utcnow()))
    ):
        raise TransitionError(action, ticket.state, ticket.tier)
    return rule_.moves[ticket.state]


def can(ticket: Ticket, action: str, actor: Actor, now: datetime | None = None) -> bool:
    """Whether `actor` may do `action` on `ticket` now."""
    try:
        check(ticket, action, actor, now)
    except (NotAllowed, TransitionError):
        return False
    return True


def offered(ticket: Ticket, actor: Actor, now: datetime | None = None) -> tuple[Rule, ...]:
    """The console actions (those with a label) `actor` can do on `ticket` now, in table order."""
    now = now or utcnow()
    return tuple(r for r in RULES.values() if r.label and can(ticket, r.name, actor, now))


def next_tier(ticket: Ticket, action: str) -> str:
    """The ticket's tier after `action` (checked already)."""
    return TIERS[TIERS.index(ticket.tier) + RULES[action].tier_step]


def reopen_until(ticket: Ticket) -> datetime | None:
    """Until when the player may reopen the resolved ticket (None: not resolved)."""
    if ticket.state != RESOLVED or ticket.resolved_at is None:
        return None
    return ticket.resolved_at + REOPEN_WINDOW


@dataclass(frozen=True)
class Offer:
    """For templates: which actions a viewer can do on a ticket (`"rate" in offer`)."""

    names: frozenset[str] = field(default_factory=frozenset)
    rules: tuple[Rule, ...] = ()

    def __contains__(self, name: object) -> bool:
        return name in self.names


def offer(ticket: Ticket, actor: Actor, now: datetime | None = None) -> Offer:
    rules = offered(ticket, actor, now)
    return Offer(frozenset(r.name for r in rules), rules)
