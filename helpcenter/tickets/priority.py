"""VIP priority in SQL: the rank of a ticket's VIP level (support.yml `vip`) as a column."""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, case, literal

from helpcenter.support import VipLevel
from helpcenter.tickets.models import Ticket


def vip_rank(levels: Sequence[VipLevel], ticket=Ticket) -> ColumnElement[int]:
    """0 for the highest VIP level, 1 for the next... and len(levels) for ordinary tickets (no
    level, or one support.yml does not list): `ORDER BY` it to put VIPs first. `levels` are
    support.yml's (`SupportConfig.vip`), highest first; `ticket` is Ticket or an alias of it."""
    ordinary = len(levels)
    if not ordinary:
        return literal(0)
    return case(
        *((ticket.vip == level.id, rank) for rank, level in enumerate(levels)),
        else_=ordinary,
    )


def vip_weight(levels: Sequence[VipLevel], ticket=Ticket) -> ColumnElement[int]:
    """len(levels) for the highest level down to 1 for the lowest, 0 for ordinary tickets: summed
    as `id * weight` over a queue, it moves when any ticket in it changes level."""
    return len(levels) - vip_rank(levels, ticket)
