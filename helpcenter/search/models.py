"""What players searched for, how many results they got and which one they opened."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from helpcenter.db import Base, utcnow


class SearchLog(Base):
    __tablename__ = "search_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalized: case-folded, one space between words, at most 200 characters.
    query: Mapped[str] = mapped_column(String(200), index=True)
    lang: Mapped[str] = mapped_column(String(2))
    result_count: Mapped[int]
    opened_slug: Mapped[str | None] = mapped_column(String(80))
    opened_rank: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ContentChange(Base):
    """One change of published content, written in the same transaction as the change.

    The highest id is the content version every host's search index is compared with: a
    publish, unpublish, load or category change on any host adds a row, and each host's
    index catches up from the rows after the version it was built from. `article_slug` names
    the one article that changed; NULL means "anything may have changed" (a full rebuild).
    """

    __tablename__ = "content_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_slug: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
