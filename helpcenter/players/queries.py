"""A casino player's requests: the tickets and chats the casino vouched for as theirs.

Only `Ticket.verified_player_id` counts (a sign-in token, an API key allowed to vouch, or the
email linked at the player's first sign-in); `Ticket.player_id` is what anybody may type and
never lists a request. The casino's back office reads this through the API and the player's
"My requests" page on the web.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select

from helpcenter.extensions import db
from helpcenter.tickets import reference, states
from helpcenter.tickets.models import Ticket


class UnknownCursor(ValueError):
    """`before` names no request of this player."""


@dataclass(frozen=True)
class PlayerRequest:
    """One of the player's requests as the player may see it: no token, no messages or notes."""

    reference: str
    channel: str
    topic: str
    subject: str
    language: str
    state: str
    tier: str
    vip: str | None
    created_at: datetime
    updated_at: datetime
    first_response_due_at: datetime
    first_responded_at: datetime | None
    resolution_due_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.state in states.OPEN_STATES

    @property
    def next_deadline(self) -> datetime | None:
        """The first response's due time while nobody answered, else the resolution's while the
        request is open; None once it is resolved or closed."""
        if not self.is_open:
            return None
        if self.first_responded_at is None:
            return self.first_response_due_at
        return self.resolution_due_at


def _request(ticket: Ticket) -> PlayerRequest:
    return PlayerRequest(
        reference=ticket.reference,
        channel=ticket.channel,
        topic=ticket.topic,
        subject=ticket.subject,
        language=ticket.language,
        state=ticket.state,
        tier=ticket.tier,
        vip=ticket.vip,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        first_response_due_at=ticket.first_response_due_at,
        first_responded_at=ticket.first_responded_at,
        resolution_due_at=ticket.resolution_due_at,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
    )


def requests_of(player_id: str, *, limit: int, before: str | None = None) -> list[PlayerRequest]:
    """The player's requests (tickets and chats), newest first, at most `limit`.

    `before` is the reference of a request of this player: only older ones follow (a cursor,
    so a page does not shift when a new request arrives). Raises UnknownCursor when `before`
    is not one of theirs. An unknown player has no requests.
    """
    mine = Ticket.verified_player_id == player_id
    query = select(Ticket).where(mine)
    if before is not None:
        older = db.session.execute(
            select(Ticket.created_at, Ticket.id).where(
                mine, Ticket.reference == (reference.normalize(before) or "")
            )
        ).first()
        if older is None:
            raise UnknownCursor(before)
        created_at, ticket_id = older
        query = query.where(
            or_(
                Ticket.created_at < created_at,
                and_(Ticket.created_at == created_at, Ticket.id < ticket_id),
            )
        )
    query = query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
    return [_request(ticket) for ticket in db.session.scalars(query)]
