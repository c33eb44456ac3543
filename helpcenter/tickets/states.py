"""A ticket's states, tiers and the transitions between them: the one place that allows a change.

State is where the work stands; tier is who holds it (operator -> supervisor -> investigation
team). Every action names the states it may start from and the state it leads to (None: the
state does not change). The player-facing stage combines the two.
"""

from dataclasses import dataclass

RECEIVED = "received"
IN_PROGRESS = "in_progress"
WAITING = "waiting_for_player"
RESOLVED = "resolved"
CLOSED = "closed"
STATES = (RECEIVED, IN_PROGRESS, WAITING, RESOLVED, CLOSED)
OPEN_STATES = (RECEIVED, IN_PROGRESS, WAITING)

OPERATOR = "operator"
SUPERVISOR = "supervisor"
INVESTIGATION = "investigation"
TIERS = (OPERATOR, SUPERVISOR, INVESTIGATION)

PLAYER = "player"
STAFF = "staff"
SYSTEM = "system"

REOPEN_DAYS = 7


class TransitionError(Exception):
    """The action is not allowed in the ticket's current state or tier."""

    def __init__(self, action: str, state: str, tier: str):
        super().__init__(f"{action} is not allowed for a ticket {state} at {tier} tier")
        self.action, self.state, self.tier = action, state, tier


@dataclass(frozen=True)
class Action:
    name: str
    from_states: tuple[str, ...]
    to_state: str | None


ACTIONS = {
    action.name: action
    for action in (
        Action("reply", OPEN_STATES, IN_PROGRESS),
        Action("note", STATES, None),
        Action("assign", OPEN_STATES, None),
        Action("wait_for_player", (RECEIVED, IN_PROGRESS), WAITING),
        Action("escalate", OPEN_STATES, IN_PROGRESS),
        Action("send_back", OPEN_STATES, IN_PROGRESS),
        Action("resolve", OPEN_STATES, RESOLVED),
        Action("player_reply", OPEN_STATES, None),
        Action("add_evidence", OPEN_STATES, None),
        Action("reopen", (RESOLVED,), IN_PROGRESS),
        Action("rate", (RESOLVED, CLOSED), None),
        Action("close", (RESOLVED,), CLOSED),
    )
}


def next_state(action: str, state: str, tier: str) -> str:
    """The state after `action`, or TransitionError when it is not allowed now."""
    rule = ACTIONS[action]
    if state not in rule.from_states:
        raise TransitionError(action, state, tier)
    if action == "escalate" and tier == INVESTIGATION:
        raise TransitionError(action, state, tier)
    if action == "send_back" and tier == OPERATOR:
        raise TransitionError(action, state, tier)
    if action == "player_reply" and state == WAITING:
        return IN_PROGRESS
    return rule.to_state or state


def next_tier(tier: str) -> str:
    index = TIERS.index(tier)
    if index == len(TIERS) - 1:
        raise TransitionError("escalate", "", tier)
    return TIERS[index + 1]


def previous_tier(tier: str) -> str:
    index = TIERS.index(tier)
    if index == 0:
        raise TransitionError("send_back", "", tier)
    return TIERS[index - 1]


# What the player sees, in order along the way.
STAGES = ("received", "operator", "supervisor", "investigation", "resolved", "closed")


def stage(state: str, tier: str) -> str:
    """The step of the player's progress bar: received, then the tier, then resolved/closed."""
    if state in (RESOLVED, CLOSED):
        return state
    if state == RECEIVED and tier == OPERATOR:
        return "received"
    return tier
