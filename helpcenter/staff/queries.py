"""Read models of the staff console: the queue under SLA, one ticket, the audit log."""

import csv
import io
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from helpcenter import support
from helpcenter.extensions import db
from helpcenter.staff import access
from helpcenter.staff.models import AuditEntry
from helpcenter.tickets import reference, states
from helpcenter.tickets.models import Attachment, Ticket, TicketMessage
from helpcenter.tickets.priority import vip_rank
from helpcenter.web.safety import bounded_int

PER_PAGE = 25
STATE_FILTERS = ("open", *states.STATES, "all")
# Due within this long: shown as close to its deadline.
SOON = timedelta(minutes=30)
CSV_COLUMNS = (
    "reference",
    "created_at",
    "topic",
    "channel",
    "language",
    "state",
    "tier",
    "assignee",
    "email",
    "subject",
    "due_at",
    "due_kind",
    "vip",
)


def due_state(due_at: datetime, now: datetime) -> str:
    """How close a deadline is: "overdue", "soon" (within SOON) or "ok"."""
    if due_at <= now:
        return "overdue"
    return "soon" if due_at - now <= SOON else "ok"


@dataclass(frozen=True)
class Filters:
    """What the queue shows; every value comes from the query string, checked by `clean`."""

    tier: str
    topic: str = ""
    channel: str = ""
    state: str = "open"
    assignee: str = ""  # "", "me", "none" or an email address
    language: str = ""
    q: str = ""
    page: int = 1

    def args(self, **changes) -> dict:
        """The query string for these filters (with `changes`), without empty values."""
        values = {**self.__dict__, **changes}
        defaults = {"page": 1, "state": "open"}
        return {k: v for k, v in values.items() if v and defaults.get(k) != v}


def clean(args, role: str, *, topics, channels, languages) -> Filters:
    """Filters from request arguments: unknown values fall back to the defaults."""
    allowed = access.tiers(role)
    tier = args.get("tier", "")
    if tier not in allowed:
        tier = access.HOME_TIER.get(role, next(iter(sorted(allowed)), ""))
    page = args.get("page", "1")
    return Filters(
        tier=tier,
        topic=args.get("topic", "") if args.get("topic") in topics else "",
        channel=args.get("channel", "") if args.get("channel") in channels else "",
        state=args.get("state") if args.get("state") in STATE_FILTERS else "open",
        assignee=args.get("assignee", "")[:254],
        language=args.get("language", "") if args.get("language") in languages else "",
        q=" ".join(args.get("q", "").split())[:254],
        page=bounded_int(page, high=99_999, default=1),
    )


@dataclass(frozen=True)
class Row:
    reference: str
    subject: str
    topic: str
    channel: str
    language: str
    state: str
    tier: str
    email: str
    assignee: str | None
    created_at: datetime
    due_at: datetime | None
    due_kind: str  # "first_response", "resolution" or "" (nothing due: resolved or closed)
    vip: str | None = None  # the player's VIP level (support.yml), if any


@dataclass(frozen=True)
class QueuePage:
    filters: Filters
    rows: tuple[Row, ...]
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


def _next_due():
    return case(
        (Ticket.state.not_in(states.OPEN_STATES), None),
        (Ticket.first_responded_at.is_(None), Ticket.first_response_due_at),
        else_=Ticket.resolution_due_at,
    )


def _order(due):
    """Open tickets first: the highest VIP level first (support.yml), then the nearest deadline;
    then the done ones, newest first."""
    open_rank = case(
        (Ticket.state.not_in(states.OPEN_STATES), 0), else_=vip_rank(support.current().vip)
    )
    return (due.is_(None), open_rank, due, Ticket.created_at.desc(), Ticket.id)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(filters: Filters, me: str) -> list:
    conditions = [Ticket.tier == filters.tier]
    if filters.state == "open":
        conditions.append(Ticket.state.in_(states.OPEN_STATES))
    elif filters.state != "all":
        conditions.append(Ticket.state == filters.state)
    for column, value in (
        (Ticket.topic, filters.topic),
        (Ticket.channel, filters.channel),
        (Ticket.language, filters.language),
    ):
        if value:
            conditions.append(column == value)
    if filters.assignee == "me":
        conditions.append(Ticket.assignee == me)
    elif filters.assignee == "none":
        conditions.append(Ticket.assignee.is_(None))
    elif filters.assignee:
        conditions.append(Ticket.assignee == filters.assignee.casefold())
    if filters.q:
        canonical = reference.normalize(filters.q)
        if canonical is not None:
            conditions.append(Ticket.reference == canonical)
        else:
            conditions.append(func.lower(Ticket.email).like(_like(filters.q.casefold()), "\\"))
    return conditions


def _rows(statement) -> tuple[Row, ...]:
    rows = []
    for ticket, due_at in db.session.execute(statement):
        kind = ""
        if due_at is not None:
            kind = "first_response" if ticket.first_responded_at is None else "resolution"
        rows.append(
            Row(
                reference=ticket.reference,
                subject=ticket.subject,
                topic=ticket.topic,
                channel=ticket.channel,
                language=ticket.language,
                state=ticket.state,
                tier=ticket.tier,
                email=ticket.email,
                assignee=ticket.assignee,
                created_at=ticket.created_at,
                due_at=due_at,
                due_kind=kind,
                vip=ticket.vip,
            )
        )
    return tuple(rows)


def queue(filters: Filters, *, me: str) -> QueuePage:
    """The tickets of one tier that match: open ones by VIP level (highest first) and nearest
    deadline, done ones last (newest first)."""
    conditions = _conditions(filters, me)
    total = db.session.scalar(select(func.count(Ticket.id)).where(*conditions))
    pages = max(1, -(-total // PER_PAGE))
    if filters.page > pages:
        filters = replace(filters, page=pages)
    due = _next_due().label("due_at")
    statement = (
        select(Ticket, due)
        .where(*conditions)
        .order_by(*_order(due))
        .limit(PER_PAGE)
        .offset((filters.page - 1) * PER_PAGE)
    )
    return QueuePage(filters, _rows(statement), total)


def export_rows(filters: Filters, *, me: str, limit: int = 50_000) -> tuple[Row, ...]:
    """Every ticket that matches the filters (all pages), for the CSV export."""
    due = _next_due().label("due_at")
    statement = (
        select(Ticket, due).where(*_conditions(filters, me)).order_by(*_order(due)).limit(limit)
    )
    return _rows(statement)


def _cell(value) -> str:
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    # A spreadsheet runs a cell that starts like a formula: make it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_csv(rows: tuple[Row, ...]) -> str:
    """The queue rows as CSV, one line per ticket, safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(getattr(row, column)) for column in CSV_COLUMNS])
    return out.getvalue()


def ticket(ref: str) -> Ticket | None:
    """A ticket with its conversation, files and events, by reference as typed."""
    canonical = reference.normalize(ref)
    if canonical is None:
        return None
    return db.session.scalar(
        select(Ticket)
        .where(Ticket.reference == canonical)
        .options(
            selectinload(Ticket.messages).selectinload(TicketMessage.attachments),
            selectinload(Ticket.events),
        )
    )


def attachment(ticket_id: int, attachment_id: int) -> Attachment | None:
    found = db.session.get(Attachment, attachment_id)
    return found if found is not None and found.ticket_id == ticket_id else None


def audit(page: int = 1, per_page: int = 50) -> tuple[list[AuditEntry], int]:
    total = db.session.scalar(select(func.count(AuditEntry.id)))
    entries = db.session.scalars(
        select(AuditEntry)
        .order_by(AuditEntry.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return list(entries), total
