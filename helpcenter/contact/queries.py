"""Read models of the player's pages: suggested articles, a ticket as its status page shows it."""

from dataclasses import dataclass
from datetime import datetime

from helpcenter import support
from helpcenter.articles import queries as articles
from helpcenter.db import utcnow
from helpcenter.search import services as search
from helpcenter.tickets import actions, labels, states
from helpcenter.tickets.models import Ticket, TicketMessage

SUGGESTIONS = 3


@dataclass(frozen=True)
class Suggestion:
    slug: str
    category: str
    lang: str
    title: str


def suggestions(*, text: str, lang: str, topic: str = "") -> tuple[Suggestion, ...]:
    """Articles that may answer the request: found by its subject, else from its topic."""
    if text.strip():
        found, _ = search.search(text=text, lang=lang, per_page=SUGGESTIONS, record=False)
        return tuple(Suggestion(h.slug, h.category, h.lang, h.title) for h in found.hits)
    config = support.current()
    topic_config = next((t for t in config.topics if t.id == topic), None)
    if topic_config is None or not topic_config.categories:
        return ()
    page = articles.category_page(lang, topic_config.categories[0])
    if page is None:
        return ()
    return tuple(Suggestion(a.slug, a.category, a.lang, a.title) for a in page.articles)[
        :SUGGESTIONS
    ]


# --- the status page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A deadline and whether it was kept: met, missed, pending (not yet due) or overdue."""

    due_at: datetime
    done_at: datetime | None
    status: str


def _target(due_at: datetime, done_at: datetime | None, now: datetime) -> Target:
    if done_at is not None:
        return Target(due_at, done_at, "met" if done_at <= due_at else "missed")
    return Target(due_at, None, "pending" if now <= due_at else "overdue")


@dataclass(frozen=True)
class Step:
    code: str
    label: str
    status: str  # done, current, todo or skipped (a tier the request never needed)


@dataclass(frozen=True)
class FileLine:
    name: str
    size: int


@dataclass(frozen=True)
class Message:
    at: datetime
    is_player: bool
    author: str
    body: str
    files: tuple[FileLine, ...]
    is_bot: bool = False  # the live chat's answer bot: never shown as a person
    articles: tuple[dict, ...] = ()  # the bot's suggested articles: {title, url, ...}


@dataclass(frozen=True)
class Entry:
    at: datetime
    type: str
    text: str  # in the current language
    actor: str  # player, staff or system


def public_events(ticket: Ticket) -> tuple[Entry, ...]:
    """The ticket's events the player may see (never notes or assignments), oldest first."""
    return tuple(
        Entry(
            at=event.created_at,
            type=event.type,
            text=labels.event_text(event.type, event.tier, event.text),
            actor=event.actor_kind,
        )
        for event in ticket.events
        if event.is_public
    )


@dataclass(frozen=True)
class StatusPage:
    reference: str
    subject: str
    topic: str
    channel: str
    contact: str
    language: str
    state: str
    tier: str
    stage: str
    steps: tuple[Step, ...]
    first_response: Target
    resolution: Target
    messages: tuple[Message, ...]
    timeline: tuple[Entry, ...]
    is_waiting: bool
    is_open: bool  # the player can reply and add evidence
    can_rate: bool
    can_recommend: bool  # the NPS question, once after resolution
    can_reopen: bool
    reopen_until: datetime | None
    rating: int | None
    rating_comment: str
    nps_score: int | None
    created_at: datetime
    updated_at: datetime

    @property
    def forms(self) -> str:
        """Which actions the page offers; when it changes, a refresh redraws the forms too."""
        offered = (self.is_open, self.can_rate, self.can_recommend, self.can_reopen)
        return "".join(str(int(flag)) for flag in offered)


def _steps(ticket: Ticket, stage: str) -> tuple[Step, ...]:
    reached = {event.tier for event in ticket.events}
    order = states.STAGES
    current = order.index(stage)
    steps = []
    for index, code in enumerate(order):
        if index == current:
            status = "current"
        elif index > current:
            status = "todo"
        elif code in states.TIERS and code not in reached:
            status = "skipped"
        else:
            status = "done"
        steps.append(Step(code, str(labels.STAGES[code]), status))
    return tuple(steps)


def _message(message: TicketMessage) -> Message:
    is_player = message.author_kind == states.PLAYER
    return Message(
        at=message.created_at,
        is_player=is_player,
        author=message.author_name,
        body=message.body,
        files=tuple(FileLine(a.display_name, a.size) for a in message.attachments),
        is_bot=message.author_kind == "bot",
        articles=tuple(message.articles or ()),
    )


def status_page(ticket: Ticket, now: datetime | None = None) -> StatusPage:
    """What the player may see of `ticket`: never internal notes or private events."""
    now = now or utcnow()
    stage = states.stage(ticket.state, ticket.tier)
    return StatusPage(
        reference=ticket.reference,
        subject=ticket.subject,
        topic=ticket.topic,
        channel=ticket.channel,
        contact=ticket.contact,
        language=ticket.language,
        state=ticket.state,
        tier=ticket.tier,
        stage=stage,
        steps=_steps(ticket, stage),
        first_response=_target(ticket.first_response_due_at, ticket.first_responded_at, now),
        resolution=_target(ticket.resolution_due_at, ticket.resolved_at, now),
        messages=tuple(_message(m) for m in ticket.messages if not m.is_internal),
        timeline=public_events(ticket),
        is_waiting=ticket.state == states.WAITING,
        is_open=ticket.can("player_reply", actions.PLAYER, now),
        can_rate=ticket.can("rate", actions.PLAYER, now),
        can_recommend=ticket.can("recommend", actions.PLAYER, now),
        can_reopen=ticket.can("reopen", actions.PLAYER, now),
        reopen_until=actions.reopen_until(ticket),
        rating=ticket.rating,
        rating_comment=ticket.rating_comment,
        nps_score=ticket.nps_score,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
    )


def ticket_document(ticket: Ticket) -> dict:
    """The status page as the tickets API returns it (a fixed contract: openapi.yml).

    Built from `status_page`, so an integration sees what the player's page shows and no more.
    """
    page = status_page(ticket)
    return {
        "reference": page.reference,
        "state": page.state,
        "tier": page.tier,
        "topic": page.topic,
        "channel": page.channel,
        "language": page.language,
        "created_at": page.created_at.isoformat(),
        "first_response_due_at": page.first_response.due_at.isoformat(),
        "resolution_due_at": page.resolution.due_at.isoformat(),
        "events": [{"at": e.at.isoformat(), "type": e.type, "text": e.text} for e in page.timeline],
    }
