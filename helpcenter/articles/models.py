"""Categories, articles, their translations and their revisions, and helpfulness votes."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpcenter.db import Base, TimestampMixin, utcnow


class Category(TimestampMixin, Base):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    # {"az": ..., "ru": ..., "en": ...}
    titles: Mapped[dict] = mapped_column(JSON)
    descriptions: Mapped[dict] = mapped_column(JSON, default=dict)
    is_published: Mapped[bool] = mapped_column(default=True)

    articles: Mapped[list["Article"]] = relationship(back_populates="category")


class Article(TimestampMixin, Base):
    __tablename__ = "article"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    is_published: Mapped[bool] = mapped_column(default=True)
    view_count: Mapped[int] = mapped_column(default=0)

    category: Mapped[Category] = relationship(back_populates="articles")
    translations: Mapped[list["ArticleTranslation"]] = relationship(
        back_populates="article", cascade="all, delete-orphan"
    )


class ArticleTranslation(Base):
    __tablename__ = "article_translation"
    __table_args__ = (UniqueConstraint("article_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), index=True)
    lang: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300), default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    body_md: Mapped[str] = mapped_column(Text)
    # Sanitized once at load time; templates output it as is.
    body_html: Mapped[str] = mapped_column(Text)
    # [{"level": 2, "id": "...", "text": "..."}]
    toc: Mapped[list] = mapped_column(JSON, default=list)
    # Slugs of related articles, computed over the whole content set at load time.
    related: Mapped[list] = mapped_column(JSON, default=list)
    word_count: Mapped[int] = mapped_column(default=0)
    body_hash: Mapped[str] = mapped_column(String(8))
    translated_from: Mapped[str | None] = mapped_column(String(2))
    source_hash: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The revision this published text comes from; a newer revision is a draft.
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("article_revision.id"), index=True)

    article: Mapped[Article] = relationship(back_populates="translations")


class RevisionOrigin(StrEnum):
    WORKSPACE = "workspace"  # saved by an editor
    RESTORE = "restore"  # an older revision saved again
    LOAD = "load"  # `helpcenter content load` read it from the content directory


class ArticleRevision(Base):
    """One version of an article in one language, as written; never changed afterwards.

    Players read ArticleTranslation, which names the revision it was published from.
    """

    __tablename__ = "article_revision"
    __table_args__ = (
        UniqueConstraint("article_id", "lang", "number"),
        Index("ix_article_revision_article_lang", "article_id", "lang"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"))
    lang: Mapped[str] = mapped_column(String(2))
    number: Mapped[int]  # 1, 2, 3... per article and language
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300), default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    body_md: Mapped[str] = mapped_column(Text)
    body_hash: Mapped[str] = mapped_column(String(8))
    # A translation: its source language and the exact source revision it was made from.
    translated_from: Mapped[str | None] = mapped_column(String(2))
    source_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_revision.id"), index=True
    )
    source_hash: Mapped[str | None] = mapped_column(String(8))
    author: Mapped[str] = mapped_column(String(254))
    origin: Mapped[str] = mapped_column(String(10))
    # The content directory has this text too (it was loaded from or exported to it), so a
    # load may replace it; an unsynced one is an editor's work that a load must not overwrite.
    is_synced: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    source_revision: Mapped["ArticleRevision | None"] = relationship(remote_side=[id])


class ArticleVote(Base):
    """One "Was this helpful?" answer per visitor and article; a visitor may change it."""

    __tablename__ = "article_vote"
    __table_args__ = (UniqueConstraint("article_id", "visitor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), index=True)
    visitor_id: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(2))
    is_helpful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
