"""How much evidence a player may send: per ticket, and per day per client address and email.

`uploads` bounds one file and one post (MAX_FILES files of MAX_BYTES). Without more, a ticket
took a reply after reply of files, and an address or email gigabytes a day. So:

* a ticket holds at most TICKET_MAX_FILES of the player's files and TICKET_MAX_MEGABYTES in
  all, counted from its attachments in the database, so every host sees the same count. Two
  posts to one ticket at once cannot both pass on a stale count: each changes the ticket,
  whose version (optimistic locking) lets only the first commit;
* a client address and an email address (in its `ratelimit.email_key` form, so spellings of
  one mailbox share it) may send UPLOAD_DAILY_FILES_PER_* files and UPLOAD_DAILY_MEGABYTES_PER_*
  a day, a day in Baku, counted in the rate-limit storage (Redis in production, shared by the
  hosts). A post that the transaction then rolls back gives its count back.

A post that crosses a quota is refused whole (QuotaExceeded names the file that crosses it)
and nothing of it is stored or counted. Staff files count against none of this.
"""

from collections.abc import Sequence
from datetime import datetime
from itertools import accumulate
from typing import NoReturn

from flask import current_app, has_request_context
from sqlalchemy import func, select

from helpcenter import ratelimit
from helpcenter.extensions import db
from helpcenter.tickets import states
from helpcenter.tickets.models import Attachment, Ticket, TicketMessage
from helpcenter.transaction import on_rollback
from helpcenter.vocabulary import MEGABYTE

# Which quota refused a post: the ticket's, or the day's of the client address or the email.
LIMITS = (
    "ticket_files",
    "ticket_bytes",
    "address_files",
    "address_bytes",
    "email_files",
    "email_bytes",
)


class QuotaExceeded(Exception):
    """A post of files crosses the quota `limit` (one of LIMITS); nothing of it was kept.

    `maximum` is the quota (files, or megabytes for the *_bytes ones), `used` the files or
    bytes counted before this post, `name` the display name of the file that crosses it, and
    `resets_at` when a daily quota begins again (None for a ticket's, which never does).
    """

    def __init__(
        self, limit: str, *, maximum: int, used: int, name: str, resets_at: datetime | None
    ):
        if limit not in LIMITS:
            raise ValueError(f"unknown quota {limit!r}")
        super().__init__(limit)
        self.limit = limit
        self.maximum = maximum
        self.used = used
        self.name = name
        self.resets_at = resets_at

    @property
    def is_daily(self) -> bool:
        return self.resets_at is not None


def spend(ticket: Ticket, files: Sequence) -> None:
    """Count the player's `files` (tickets.services.File) for `ticket`, or raise QuotaExceeded.

    Call it in the unit of work that stores them, before storing any: the daily counts are
    given back if it rolls back. The client address is that of the request being served;
    commands and the worker serve none and spend only the ticket's and the email's quotas.
    """
    if not files:
        return
    config = current_app.config
    sizes = [file.checked.size for file in files]
    names = [file.checked.display_name for file in files]
    used_files, used_bytes = _ticket_usage(ticket)
    _within("ticket_files", config["TICKET_MAX_FILES"], used_files, [1] * len(files), names)
    _within("ticket_bytes", config["TICKET_MAX_MEGABYTES"] * MEGABYTE, used_bytes, sizes, names)
    identities = []
    if has_request_context():
        identities.append(("address", ratelimit.client_address()))
    if ticket.email:
        identities.append(("email", ratelimit.email_key(ticket.email)))
    undos = []
    try:
        for kind, identity in identities:
            for unit, costs in (("files", [1] * len(files)), ("bytes", sizes)):
                limit = f"{kind}_{unit}"
                allowance = _daily_allowance(limit)
                spent, undo = ratelimit.spend_today(
                    f"upload_{limit}", allowance, sum(costs), identity
                )
                if undo is None:
                    _within(limit, allowance, spent, costs, names, daily=True)
                    # Only the counts raced past the allowance: refused all the same.
                    _refuse(limit, allowance, spent, names[-1], daily=True)
                undos.append(undo)
    except QuotaExceeded:
        for undo in undos:
            undo()
        raise
    for undo in undos:
        on_rollback(undo)


def _ticket_usage(ticket: Ticket) -> tuple[int, int]:
    """The player's files of `ticket` in the database, and their bytes."""
    if ticket.id is None:  # being filed: nothing stored yet
        return 0, 0
    with db.session.no_autoflush:
        count, size = db.session.execute(
            select(func.count(Attachment.id), func.coalesce(func.sum(Attachment.size), 0))
            .join(TicketMessage, Attachment.message_id == TicketMessage.id)
            .where(Attachment.ticket_id == ticket.id, TicketMessage.author_kind == states.PLAYER)
        ).one()
    return int(count), int(size)


def _daily_allowance(limit: str) -> int:
    kind, unit = limit.split("_")
    per = "ADDRESS" if kind == "address" else "EMAIL"
    if unit == "files":
        return int(current_app.config[f"UPLOAD_DAILY_FILES_PER_{per}"])
    return int(current_app.config[f"UPLOAD_DAILY_MEGABYTES_PER_{per}"]) * MEGABYTE


def _within(
    limit: str, maximum: int, used: int, costs: list[int], names: list[str], daily=False
) -> None:
    """Raise QuotaExceeded for the first file whose cost takes `used` past `maximum`."""
    for name, total in zip(names, accumulate(costs), strict=True):
        if used + total > maximum:
            _refuse(limit, maximum, used, name, daily=daily)


def _refuse(limit: str, maximum: int, used: int, name: str, *, daily: bool) -> NoReturn:
    if limit.endswith("_bytes"):
        maximum //= MEGABYTE
    raise QuotaExceeded(
        limit,
        maximum=maximum,
        used=used,
        name=name,
        resets_at=ratelimit.next_midnight() if daily else None,
    )
