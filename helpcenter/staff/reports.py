"""Supervisors' report over the tickets created in the last N days: reads only, never writes.

Definitions (the period is the `days` days up to `now`; a ticket belongs to it by `created_at`):

- First-response time: `first_responded_at - created_at`, over the tickets that got one.
  Resolution time: `resolved_at - created_at`, over the tickets resolved (closed ones too).
  Median and 90th percentile are nearest-rank percentiles (the value at rank ceil(p/100 * n) of
  the sorted times, so always a time that happened), worked out in Python so that SQLite and
  PostgreSQL give the same answer.
- First response on time: `first_responded_at <= first_response_due_at`, over the tickets
  answered or whose first-response deadline has passed. Resolution on time: `resolved_at <=
  resolution_due_at`, over the tickets resolved or past their resolution deadline (the current
  deadline: reaching the investigation team extends it).
- Escalation rate per tier: the tickets with an event (`escalated`, `escalated_automatically`)
  that took them to that tier, of all the period's tickets. A ticket that reached the
  investigation team passed the supervisors too, so it counts for both.
- Satisfaction: ratings of 4 or 5 of all the ratings given to the period's tickets, against
  SATISFACTION_TARGET.
- NPS ("How likely are you to recommend us to a friend?", 0-10): the share of promoters (9-10)
  minus the share of detractors (0-6) of the answers given to the period's tickets, in whole
  points from -100 to 100; for the whole period, per topic, per channel and per VIP level. No
  answers: no NPS (None), never 0.
- Per VIP level (support.yml `vip`): the code "" stands for the ordinary tickets (no level, or
  one support.yml does not list); the levels follow highest first. First response and
  resolution on time are split so, each as defined above.
- First-contact resolution: of the period's resolved tickets, those resolved without any
  escalation, never reopened, and on which the player wrote nothing (no message, no
  `player_replied` or `evidence_added` event) after the first staff message the player saw.
- Deflections: the players who said an article solved their problem, by `created_at`.
- Search: `search.services.report` over the same number of days (it always ends now).
- Live chat, over the period's chats (tickets with a `chat_state`): started; settled by the
  answer bot (`chat_end_reason` "bot"), against BOT_SHARE_TARGET of the chats started; handed to
  a person (`chat_queued_at` set); waiting time `chat_accepted_at - chat_queued_at` over the
  accepted chats (nearest-rank median and 90th percentile, as above); abandoned: ended as
  `abandoned` by the worker, or ended by the player (or anyone but the bot or an escalation)
  without a single message from staff; first answer on time: `first_responded_at <=
  first_response_due_at` (due CHAT first-response minutes after the player asked for a person,
  support.yml) over the chats handed to a person that were answered or whose deadline passed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import aliased

from helpcenter import support
from helpcenter.chat import states as chat
from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.search import services as search
from helpcenter.tickets import states
from helpcenter.tickets.models import Deflection, Ticket, TicketEvent, TicketMessage

PERIODS = (7, 30)
DEFAULT_DAYS = PERIODS[0]
SATISFACTION_TARGET = 0.85
# The industry's figure: an answer bot in front of the chat settles up to 40 % of the questions.
BOT_SHARE_TARGET = 0.40
SATISFIED_FROM = 4  # ratings of 4 and 5 count as satisfied
PROMOTERS_FROM = 9  # NPS answers of 9 and 10
DETRACTORS_UP_TO = 6  # NPS answers of 0 to 6
COMMENTS = 20
TOP_ARTICLES = 10
TOP_QUERIES = 10
ESCALATION_EVENTS = ("escalated", "escalated_automatically")
PLAYER_EVENTS = ("player_replied", "evidence_added")


@dataclass(frozen=True)
class Count:
    code: str
    count: int


@dataclass(frozen=True)
class Share:
    part: int
    whole: int

    @property
    def ratio(self) -> float | None:
        """part / whole, or None when there is nothing to count."""
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class Times:
    count: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True)
class Comment:
    reference: str
    score: int
    text: str
    rated_at: datetime


@dataclass(frozen=True)
class Satisfaction:
    satisfied: Share  # ratings of SATISFIED_FROM or more, of all ratings
    comments: tuple[Comment, ...]  # the latest non-empty ones, newest first
    target: float = SATISFACTION_TARGET

    @property
    def is_met(self) -> bool | None:
        ratio = self.satisfied.ratio
        return None if ratio is None else ratio >= self.target


@dataclass(frozen=True)
class Nps:
    promoters: int
    passives: int
    detractors: int

    @property
    def answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> int | None:
        """% promoters - % detractors, rounded to a whole point; None without answers."""
        if not self.answers:
            return None
        return round(100 * (self.promoters - self.detractors) / self.answers)


@dataclass(frozen=True)
class NpsGroup:
    code: str
    nps: Nps


@dataclass(frozen=True)
class NpsReport:
    overall: Nps
    by_topic: tuple[NpsGroup, ...]
    by_channel: tuple[NpsGroup, ...]
    # "" for the ordinary tickets, then the VIP levels highest first; only those with answers.
    by_vip_level: tuple[NpsGroup, ...] = ()


@dataclass(frozen=True)
class VipOnTime:
    """The service level targets met by the tickets of one VIP level ("": ordinary ones)."""

    code: str
    first_response_on_time: Share
    resolution_on_time: Share


@dataclass(frozen=True)
class ChatStats:
    started: int
    by_bot: Share  # settled by the answer bot, of the chats started
    to_person: Share  # handed to a person (queued), of the chats started
    wait: Times  # from asking for a person to an operator accepting
    abandoned: Share  # the player left before an answer, of the chats started
    answered_on_time: Share  # first answer by its due time, of the chats counted
    first_response_minutes: int  # the chat channel's target (support.yml)
    bot_target: float = BOT_SHARE_TARGET

    @property
    def bot_target_met(self) -> bool | None:
        ratio = self.by_bot.ratio
        return None if ratio is None else ratio >= self.bot_target


@dataclass(frozen=True)
class Report:
    days: int
    since: datetime
    until: datetime
    tickets: int
    by_topic: tuple[Count, ...]
    by_channel: tuple[Count, ...]
    by_language: tuple[Count, ...]
    by_state: tuple[Count, ...]
    first_response: Times
    resolution: Times
    first_response_on_time: Share
    resolution_on_time: Share
    on_time_by_vip: tuple[VipOnTime, ...]  # "" (ordinary), then each level of support.yml
    reached_supervisor: Share
    reached_investigation: Share
    satisfaction: Satisfaction
    nps: NpsReport
    first_contact_resolution: Share
    deflections: int
    top_articles: tuple[Count, ...]
    top_queries: tuple[search.QueryStats, ...]
    zero_result_queries: tuple[search.QueryStats, ...]
    chats: ChatStats


def percentile(values: list[timedelta], p: int) -> timedelta | None:
    """The nearest-rank `p`th percentile: the value at rank ceil(p/100 * n) once sorted."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-p * len(ordered) // 100))
    return ordered[rank - 1]


def _times(values: list[timedelta]) -> Times:
    return Times(len(values), percentile(values, 50), percentile(values, 90))


def report(*, days: int, now: datetime | None = None) -> Report:
    """The report over the tickets created in the `days` days up to `now` (default: now)."""
    until = now or utcnow()
    since = until - timedelta(days=days)
    period = and_(Ticket.created_at >= since, Ticket.created_at <= until)

    def counts(column) -> tuple[Count, ...]:
        rows = db.session.execute(
            select(column, func.count(Ticket.id))
            .where(period)
            .group_by(column)
            .order_by(func.count(Ticket.id).desc(), column)
        )
        return tuple(Count(code, count) for code, count in rows)

    timings = db.session.execute(
        select(
            Ticket.created_at,
            Ticket.first_responded_at,
            Ticket.first_response_due_at,
            Ticket.resolved_at,
            Ticket.resolution_due_at,
            Ticket.vip,
        ).where(period)
    ).all()
    total = len(timings)
    levels = ("", *support.current().vip_levels)
    top, empty = search.report(days=days, limit=TOP_QUERIES)
    return Report(
        days=days,
        since=since,
        until=until,
        tickets=total,
        by_topic=counts(Ticket.topic),
        by_channel=counts(Ticket.channel),
        by_language=counts(Ticket.language),
        by_state=counts(Ticket.state),
        first_response=_times(
            [t.first_responded_at - t.created_at for t in timings if t.first_responded_at]
        ),
        resolution=_times([t.resolved_at - t.created_at for t in timings if t.resolved_at]),
        first_response_on_time=_on_time(
            [(t.first_responded_at, t.first_response_due_at) for t in timings], until
        ),
        resolution_on_time=_on_time([(t.resolved_at, t.resolution_due_at) for t in timings], until),
        on_time_by_vip=tuple(
            VipOnTime(
                level,
                _on_time(
                    [
                        (t.first_responded_at, t.first_response_due_at)
                        for t in timings
                        if _level(t.vip, levels) == level
                    ],
                    until,
                ),
                _on_time(
                    [
                        (t.resolved_at, t.resolution_due_at)
                        for t in timings
                        if _level(t.vip, levels) == level
                    ],
                    until,
                ),
            )
            for level in levels
        ),
        reached_supervisor=Share(_count(period & _escalated_to(states.SUPERVISOR)), total),
        reached_investigation=Share(_count(period & _escalated_to(states.INVESTIGATION)), total),
        satisfaction=_satisfaction(period),
        nps=_nps(period, levels),
        first_contact_resolution=_first_contact_resolution(period),
        deflections=_deflections(since, until),
        top_articles=_top_articles(since, until),
        top_queries=tuple(top),
        zero_result_queries=tuple(empty),
        chats=_chats(period, until),
    )


def _level(vip: str | None, levels: tuple[str, ...]) -> str:
    """A ticket's VIP level as the report groups it: "" for none or one not in `levels`."""
    return vip if vip in levels else ""


def _on_time(pairs: list[tuple[datetime | None, datetime]], now: datetime) -> Share:
    """Of the (done_at, due_at) pairs done or past due, those done by their due time."""
    counted = [(done, due) for done, due in pairs if done is not None or due <= now]
    return Share(sum(1 for done, due in counted if done is not None and done <= due), len(counted))


def _escalated_to(tier: str | None = None):
    """EXISTS an escalation of the ticket (to `tier`, or to any tier)."""
    condition = and_(TicketEvent.ticket_id == Ticket.id, TicketEvent.type.in_(ESCALATION_EVENTS))
    if tier is not None:
        condition = and_(condition, TicketEvent.tier == tier)
    return exists().where(condition)


def _count(condition) -> int:
    return db.session.scalar(select(func.count(Ticket.id)).where(condition))


def _satisfaction(period) -> Satisfaction:
    rated, satisfied = db.session.execute(
        select(
            func.count(Ticket.rating),
            func.coalesce(func.sum(case((Ticket.rating >= SATISFIED_FROM, 1), else_=0)), 0),
        ).where(period)
    ).one()
    rows = db.session.execute(
        select(Ticket.reference, Ticket.rating, Ticket.rating_comment, TicketEvent.created_at)
        .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .where(period, TicketEvent.type == "rated", Ticket.rating_comment != "")
        .order_by(TicketEvent.created_at.desc(), TicketEvent.id.desc())
        .limit(COMMENTS)
    )
    comments = tuple(Comment(*row) for row in rows)
    return Satisfaction(Share(int(satisfied), rated), comments)


def _nps(period, levels: tuple[str, ...] = ("",)) -> NpsReport:
    def grouped(column):
        return db.session.execute(
            select(
                column,
                func.sum(case((Ticket.nps_score >= PROMOTERS_FROM, 1), else_=0)),
                func.sum(
                    case(
                        (
                            and_(
                                Ticket.nps_score > DETRACTORS_UP_TO,
                                Ticket.nps_score < PROMOTERS_FROM,
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                func.sum(case((Ticket.nps_score <= DETRACTORS_UP_TO, 1), else_=0)),
            )
            .where(period, Ticket.nps_score.is_not(None))
            .group_by(column)
            .order_by(func.count(Ticket.id).desc(), column)
        ).all()

    def groups(column) -> tuple[NpsGroup, ...]:
        return tuple(
            NpsGroup(code, Nps(int(p), int(m), int(d))) for code, p, m, d in grouped(column)
        )

    by_topic = groups(Ticket.topic)
    overall = Nps(
        sum(g.nps.promoters for g in by_topic),
        sum(g.nps.passives for g in by_topic),
        sum(g.nps.detractors for g in by_topic),
    )
    by_level: dict[str, list[int]] = {}
    for code, *answers in grouped(Ticket.vip):
        counts = by_level.setdefault(_level(code, levels), [0, 0, 0])
        for index, value in enumerate(answers):
            counts[index] += int(value)
    by_vip_level = tuple(
        NpsGroup(level, Nps(*by_level[level])) for level in levels if level in by_level
    )
    return NpsReport(overall, by_topic, groups(Ticket.channel), by_vip_level)


def _first_contact_resolution(period) -> Share:
    first_staff_message_at = (
        select(func.min(TicketMessage.created_at))
        .where(
            TicketMessage.ticket_id == Ticket.id,
            TicketMessage.author_kind == states.STAFF,
            TicketMessage.is_internal.is_(False),
        )
        # Read inside EXISTS below: auto-correlation would not reach the outer ticket.
        .correlate(Ticket)
        .scalar_subquery()
    )
    later_message = aliased(TicketMessage)
    player_wrote_again = exists().where(
        later_message.ticket_id == Ticket.id,
        later_message.author_kind == states.PLAYER,
        later_message.created_at > first_staff_message_at,
    )
    player_event_again = exists().where(
        TicketEvent.ticket_id == Ticket.id,
        TicketEvent.type.in_(PLAYER_EVENTS),
        TicketEvent.created_at > first_staff_message_at,
    )
    reopened = exists().where(TicketEvent.ticket_id == Ticket.id, TicketEvent.type == "reopened")
    resolved = and_(period, Ticket.resolved_at.is_not(None))
    first_contact = and_(
        resolved, ~_escalated_to(), ~reopened, ~player_wrote_again, ~player_event_again
    )
    return Share(_count(first_contact), _count(resolved))


def _chats(period, now: datetime) -> ChatStats:
    staff_wrote = exists().where(
        TicketMessage.ticket_id == Ticket.id,
        TicketMessage.author_kind == states.STAFF,
        TicketMessage.is_internal.is_(False),
    )
    rows = db.session.execute(
        select(
            Ticket.chat_end_reason,
            Ticket.chat_state,
            Ticket.chat_queued_at,
            Ticket.chat_accepted_at,
            Ticket.first_responded_at,
            Ticket.first_response_due_at,
            staff_wrote.label("staff_wrote"),
        ).where(period, Ticket.chat_state.is_not(None))
    ).all()
    started = len(rows)
    queued = [row for row in rows if row.chat_queued_at is not None]
    left = [
        row
        for row in rows
        if row.chat_end_reason == chat.ABANDONED
        or (
            row.chat_state == chat.ENDED
            and row.chat_end_reason not in (chat.BY_BOT, chat.ESCALATED)
            and not row.staff_wrote
        )
    ]
    try:
        minutes = support.current().channel(chat.CHANNEL).first_response_minutes
    except KeyError:
        minutes = 0
    return ChatStats(
        started=started,
        by_bot=Share(sum(1 for row in rows if row.chat_end_reason == chat.BY_BOT), started),
        to_person=Share(len(queued), started),
        wait=_times(
            [
                row.chat_accepted_at - row.chat_queued_at
                for row in queued
                if row.chat_accepted_at is not None
            ]
        ),
        abandoned=Share(len(left), started),
        answered_on_time=_on_time(
            [(row.first_responded_at, row.first_response_due_at) for row in queued], now
        ),
        first_response_minutes=minutes,
    )


def _deflection_period(since: datetime, until: datetime):
    return and_(Deflection.created_at >= since, Deflection.created_at <= until)


def _deflections(since: datetime, until: datetime) -> int:
    return db.session.scalar(
        select(func.count(Deflection.id)).where(_deflection_period(since, until))
    )


def _top_articles(since: datetime, until: datetime) -> tuple[Count, ...]:
    rows = db.session.execute(
        select(Deflection.article_slug, func.count(Deflection.id))
        .where(_deflection_period(since, until))
        .group_by(Deflection.article_slug)
        .order_by(func.count(Deflection.id).desc(), Deflection.article_slug)
        .limit(TOP_ARTICLES)
    )
    return tuple(Count(slug, count) for slug, count in rows)
