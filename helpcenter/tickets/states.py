"""A ticket's states and tiers, and the stage the player sees.

State is where the work stands; tier is who holds it (operator -> supervisor -> investigation
team). Which action may move a ticket from which state and tier, for whom, is the action table
in `actions`. The player-facing stage combines the two.
"""

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


# What the player sees, in order along the way.
STAGES = ("received", "operator", "supervisor", "investigation", "resolved", "closed")


def stage(state: str, tier: str) -> str:
    """The step of the player's progress bar: received, then the tier, then resolved/closed."""
    if state in (RESOLVED, CLOSED):
        return state
    if state == RECEIVED and tier == OPERATOR:
        return "received"
    return tier
