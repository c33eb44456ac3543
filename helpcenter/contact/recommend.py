"""Which support channel to suggest for a topic, how urgent it is and what is open now.

Urgency is one of URGENCIES: "urgent" means it stops the player playing or money is at stake
right now; "normal" and "low" are everything else.

The rules, first choice per topic (reason code in brackets):

- verification: email, the documents attached (documents).
- complaint (a dispute): email, with the evidence attached (evidence).
- payments: urgent -> chat (urgent_open_now); otherwise email with the transaction proof
  (transaction_proof).
- account (login, blocked account): chat; urgent (urgent_open_now), else (fastest_open).
- responsible-gaming: phone, to talk it through with a person (personal_talk).
- technical: chat (fastest_open).
- bonuses: urgent -> chat (urgent_open_now); otherwise Telegram, no need to wait in a chat
  (messenger).

A closed first choice (or one the configuration does not have) is never suggested: the first
open channel in FALLBACK_ORDER takes its place (closed_fallback). So responsible gaming and
bonuses go to chat when the phone or Telegram is closed.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from helpcenter.support import Channel, SupportConfig

URGENCIES = ("urgent", "normal", "low")
FALLBACK_ORDER = ("chat", "whatsapp", "telegram", "phone", "email")

REASONS = {
    "documents": _l("Documents are easiest to send by email, with the files attached."),
    "evidence": _l("By email you can attach screenshots and receipts, so we can check everything."),
    "transaction_proof": _l("Email us the payment receipt or a screenshot so we can trace it."),
    "urgent_open_now": _l("It is open right now and the quickest to answer."),
    "fastest_open": _l("The quickest way to an answer, and it is open now."),
    "personal_talk": _l("This is best talked through with one of our team in person."),
    "messenger": _l(
        "No need to wait in a chat: write to us and read the answer when it suits you."
    ),
    "closed_fallback": _l("The best channel for this is closed right now, but this one is open."),
}


@dataclass(frozen=True)
class Recommendation:
    channel: Channel
    reason: str  # a key of REASONS

    @property
    def text(self):
        """The reason as a sentence in the current language (a lazy string)."""
        return REASONS[self.reason]


def _first_choice(topic_id: str, urgent: bool) -> tuple[str, str]:
    if topic_id == "verification":
        return "email", "documents"
    if topic_id == "complaint":
        return "email", "evidence"
    if topic_id == "payments":
        return ("chat", "urgent_open_now") if urgent else ("email", "transaction_proof")
    if topic_id == "account":
        return "chat", "urgent_open_now" if urgent else "fastest_open"
    if topic_id == "responsible-gaming":
        return "phone", "personal_talk"
    if topic_id == "bonuses":
        return ("chat", "urgent_open_now") if urgent else ("telegram", "messenger")
    return "chat", "fastest_open"  # technical, and any topic without a rule of its own


def recommend(topic_id: str, urgency: str, now: datetime, config: SupportConfig) -> Recommendation:
    """The channel to suggest now, with the reason code; never a closed channel.

    Raises KeyError for a topic the configuration does not have, ValueError for an urgency
    not in URGENCIES or a naive `now`.
    """
    config.topic(topic_id)
    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {', '.join(URGENCIES)}, not {urgency!r}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware one")
    channel_id, reason = _first_choice(topic_id, urgency == "urgent")
    available = {channel.id: channel for channel in config.channels}
    chosen = available.get(channel_id)
    if chosen is not None and chosen.is_open(now):
        return Recommendation(chosen, reason)
    order = [*FALLBACK_ORDER, *(c for c in available if c not in FALLBACK_ORDER)]
    for fallback_id in order:
        fallback = available.get(fallback_id)
        if fallback is not None and fallback_id != channel_id and fallback.is_open(now):
            return Recommendation(fallback, "closed_fallback")
    raise LookupError("no support channel is open")  # support.yml requires a 24/7 channel
