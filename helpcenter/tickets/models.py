"""Tickets, their messages, attachments and events; the email outbox; integration API keys."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpcenter.db import Base, utcnow
from helpcenter.tickets import actions


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_state_tier", "state", "tier"),
        Index("ix_ticket_chat_state_chat_queued_at", "chat_state", "chat_queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(13), unique=True)
    # sha256 of the secret in the private status link; the secret itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    topic: Mapped[str] = mapped_column(String(40))
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    channel: Mapped[str] = mapped_column(String(20))
    contact: Mapped[str] = mapped_column(String(120), default="")
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(150))
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    player_id: Mapped[str] = mapped_column(String(40), default="")
    # The casino's player ID when the casino vouched for it (a sign-in token, an API key
    # allowed to vouch, or the verified email linked at the player's first sign-in); "My
    # requests" lists by it. `player_id` may be what anybody typed.
    verified_player_id: Mapped[str | None] = mapped_column(String(40), index=True)
    # The player's VIP level (support.yml `vip`), only ever from the casino or from staff.
    vip: Mapped[str | None] = mapped_column(String(20))
    transaction_id: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(80), default="web")

    state: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str] = mapped_column(String(20))
    assignee: Mapped[str | None] = mapped_column(String(80))

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_response_due_at: Mapped[datetime]
    first_responded_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime]
    tier_since: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    rating: Mapped[int | None]
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    # "How likely are you to recommend us to a friend?" (0-10), asked once after resolution.
    nps_score: Mapped[int | None]
    nps_at: Mapped[datetime | None]
    # Optimistic locking: every UPDATE checks and bumps it, so two changes made from the same
    # reading cannot both land (the second gets StaleDataError).
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    # Live chat (channel "chat" only, NULL otherwise): bot -> queued -> active -> ended; see
    # helpcenter/chat/states.py.
    chat_state: Mapped[str | None] = mapped_column(String(10))
    chat_queued_at: Mapped[datetime | None]  # when the player asked for a person
    chat_accepted_at: Mapped[datetime | None]
    chat_ended_at: Mapped[datetime | None]
    chat_operator_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"), index=True)
    # bot, operator, escalated, abandoned or player
    chat_end_reason: Mapped[str | None] = mapped_column(String(20))
    # The player's chat page or relay last asked for news (written at most every 15 s).
    player_seen_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads a dict)

    messages: Mapped[list["TicketMessage"]] = relationship(
        back_populates="ticket", order_by="TicketMessage.id", cascade="all, delete-orphan"
    )
    events: Mapped[list["TicketEvent"]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="ticket", order_by="Attachment.id", cascade="all, delete-orphan"
    )

    def can(self, action: str, actor, now: datetime | None = None) -> bool:
        """Whether `actor` may do `action` on this ticket now (the table in `actions`)."""
        return actions.can(self, action, actor, now)


class TicketMessage(Base):
    __tablename__ = "ticket_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    # player, staff, system or bot (the chat's answer bot)
    author_kind: Mapped[str] = mapped_column(String(10))
    author_name: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[str] = mapped_column(Text)
    # Internal notes are for staff only: never shown to the player or sent out.
    is_internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The answer bot's messages: the articles offered, [{"slug", "category", "lang", "title",
    # "snippet", "url"}], in the chat's language (the snippet is HTML with <mark>).
    articles: Mapped[list | None] = mapped_column(JSON)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    attachments: Mapped[list["Attachment"]] = relationship(back_populates="message")


class Attachment(Base):
    __tablename__ = "ticket_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_message.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    mimetype: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]  # of the stored (cleaned) copy
    # Of the bytes as received, before metadata was removed (`uploads.clean`); None before
    # files were cleaned, when the stored bytes were the received ones.
    received_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    message: Mapped[TicketMessage | None] = relationship(back_populates="attachments")


class TicketEvent(Base):
    """One change of a ticket: who did it (player, staff, system), when, and what changed."""

    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    type: Mapped[str] = mapped_column(String(30))
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    # Free text where the event has one (an escalation reason); shown to the player when public.
    text: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str] = mapped_column(String(20))
    is_public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class OutboxEmail(Base):
    """An email waiting to be delivered: written in the same transaction as its cause."""

    __tablename__ = "outbox_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Set by the sender that claimed it; a claimed email is never picked up again.
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket | None] = relationship()


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # sha256 of the key; the key is shown once, at creation.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Whether the key may vouch for a player ID and VIP level (the casino's own back office).
    can_vouch: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class Deflection(Base):
    """A player who was about to contact support said an article solved the problem."""

    __tablename__ = "deflection"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_slug: Mapped[str] = mapped_column(String(80), index=True)
    language: Mapped[str] = mapped_column(String(2))
    topic: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoredFile(Base):
    """The bytes of a player's file, kept in the database (the default file storage).

    Written in the same transaction as the ticket or reply it belongs to, so a filing is all
    or nothing, and a backup of the database is a backup of the files too.
    """

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotentRequest(Base):
    """The first answer to a request sent with an idempotency key, replayed to its retries.

    `scope` says who owns the key (an API key's name, or "contact-form"), so two clients
    cannot collide; `request_hash` is the sha256 of the request body, so the same key with
    another body is refused.
    """

    __tablename__ = "idempotent_request"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotent_request_scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(90))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    response_body: Mapped[str] = mapped_column(Text, default="")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
