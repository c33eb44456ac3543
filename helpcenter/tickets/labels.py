"""The words players and staff read for the ticket domain's codes: topics, channels, states, events.

All lazy strings, so one table serves the pages (in the visitor's language), the emails and
the API (each in the ticket's language, under `force_locale`).
"""

from flask_babel import gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l

from helpcenter.tickets import states

TOPICS = {
    "payments": _l("Payments: a deposit or a withdrawal"),
    "account": _l("Account and login"),
    "verification": _l("Verification of identity (KYC)"),
    "bonuses": _l("Bonuses and promotions"),
    "technical": _l("A technical problem with a game or the site"),
    "responsible-gaming": _l("Responsible gaming: limits, a break, self-exclusion"),
    "complaint": _l("A complaint or a dispute"),
}

CHANNELS = {
    "chat": _l("Live chat"),
    "email": _l("Email"),
    "phone": lazy_pgettext("support channel", "Phone"),
    "telegram": "Telegram",
    "whatsapp": "WhatsApp",
}

URGENCIES = {
    "urgent": _l("Urgent: I cannot play or my money is stuck right now"),
    "normal": _l("Normal"),
    "low": _l("Not urgent, it can wait"),
}

# Where the request stands, for the player: the state, or the tier while it is being worked on.
STAGES = {
    "received": _l("Received"),
    states.OPERATOR: _l("With an operator"),
    states.SUPERVISOR: _l("With a supervisor"),
    states.INVESTIGATION: _l("With the investigation team"),
    states.RESOLVED: _l("Resolved"),
    states.CLOSED: _l("Closed"),
}

STATES = {
    states.RECEIVED: _l("Received"),
    states.IN_PROGRESS: _l("In progress"),
    states.WAITING: _l("Waiting for your reply"),
    states.RESOLVED: _l("Resolved"),
    states.CLOSED: _l("Closed"),
}

# The same states as staff name them (STATES speaks to the player).
STAFF_STATES = {
    states.RECEIVED: _l("New"),
    states.IN_PROGRESS: _l("In progress"),
    states.WAITING: _l("Waiting for the player"),
    states.RESOLVED: _l("Resolved"),
    states.CLOSED: _l("Closed"),
}

# The VIP levels of the shipped support.yml; another level is shown by its id.
VIP_LEVELS = {
    "platinum": lazy_pgettext("VIP level", "Platinum"),
    "gold": lazy_pgettext("VIP level", "Gold"),
    "silver": lazy_pgettext("VIP level", "Silver"),
}


def vip_name(level: str) -> str:
    """A VIP level's name in the visitor's language (its id when it has no translation)."""
    return str(VIP_LEVELS.get(level, level))


# Each tier's queue in the staff console.
QUEUES = {
    states.OPERATOR: _l("Operators' queue"),
    states.SUPERVISOR: _l("Supervisors' queue"),
    states.INVESTIGATION: _l("Investigation team's queue"),
}

# Why `sla run` moved a ticket (the event's text is one of these codes).
ESCALATION_REASONS = {
    "no_first_response": _l("no first response within the target time"),
    "not_resolved_at_supervisor": _l("not resolved at supervisor level within the target time"),
    "not_resolved_in_time": _l("not resolved within the target time"),
}

_EVENTS = {
    "received": _l("Request received"),
    "replied": _l("The support team replied"),
    "waiting_for_player": _l("The support team is waiting for your reply"),
    "player_replied": _l("You replied"),
    "evidence_added": _l("You added files"),
    "resolved": _l("Resolved"),
    "reopened": _l("You reopened the request"),
    "closed": _l("Closed"),
    "chat_queued": _l("You asked to talk to a person"),
    "chat_accepted": _l("An operator joined the chat"),
    "chat_abandoned": _l("The chat ended: you had left it"),
}
_ESCALATED = {
    states.SUPERVISOR: _l("Passed to a supervisor"),
    states.INVESTIGATION: _l("Passed to the investigation team"),
}
_SENT_BACK = {
    states.OPERATOR: _l("Returned to an operator"),
    states.SUPERVISOR: _l("Returned to a supervisor"),
}
_ESCALATED_AUTOMATICALLY = {
    states.SUPERVISOR: _l("Escalated automatically to a supervisor: %(reason)s"),
    states.INVESTIGATION: _l("Escalated automatically to the investigation team: %(reason)s"),
}


def event_text(type_: str, tier: str, text: str) -> str:
    """What the player reads for a public event; `tier` is the tier after the event."""
    if type_ == "escalated_automatically":
        reason = ESCALATION_REASONS.get(text, text)
        return str(_ESCALATED_AUTOMATICALLY[tier]) % {"reason": reason}
    if type_ in ("escalated", "sent_back"):
        # The staff member's reason, as written: the player should know why.
        label = (_ESCALATED if type_ == "escalated" else _SENT_BACK)[tier]
        return f"{label}: {text}" if text else str(label)
    if type_ == "rated":
        return gettext("You rated the service %(score)s of 5", score=text)
    if type_ == "recommended":
        # i18n: the player's answer to "How likely are you to recommend us to a friend?"
        return gettext("You said how likely you are to recommend us: %(score)s of 10", score=text)
    return str(_EVENTS.get(type_, type_))


def staff_event_text(type_: str, tier: str, text: str) -> str:
    """What staff read for any event, the private ones (notes, assignments) included."""
    if type_ == "note":
        return str(_l("Internal note"))
    if type_ == "assigned":
        return gettext("Assigned to %(who)s", who=text) if text else gettext("Unassigned")
    if type_ == "rated":
        return gettext("The player rated the service %(score)s of 5", score=text)
    if type_ == "recommended":
        return gettext("The player would recommend us %(score)s of 10", score=text)
    if type_ == "vip_changed":
        if text:
            return gettext("VIP level set to %(level)s", level=vip_name(text))
        return gettext("VIP level removed")
    return event_text(type_, tier, text)
