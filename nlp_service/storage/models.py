"""Tables. Suggestions, news, their links, predictions, corrections, status history, audit log, API keys."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON}


class Suggestion(Base):
    __tablename__ = "suggestions"
    # Staff filter by one facet and a date range; (facet, submitted) indexes answer that from the index alone
    # (the id is the rowid), ~6x faster than the single-column ones at 100k rows with real bodies.
    __table_args__ = tuple(Index(f"ix_suggestions_{c}_submitted", c, "submitted")
                           for c in ("topic", "department", "status", "channel", "submitter_group"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    submitted: Mapped[date | None] = mapped_column(Date, index=True)
    channel: Mapped[str | None] = mapped_column(String(64), index=True)
    submitter_group: Mapped[str | None] = mapped_column(String(64), index=True)
    submitter: Mapped[str | None] = mapped_column(String(128), index=True)  # account that submitted it
    place: Mapped[str | None] = mapped_column(String(128))
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    department: Mapped[str | None] = mapped_column(String(64), index=True)
    # Where each label came from: "imported" (with the data), "staff" (a correction or acceptance) or
    # "automatic" (a confident routing decision). Retraining learns from imported and staff labels only.
    topic_source: Mapped[str | None] = mapped_column(String(16))
    department_source: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32), default="received", index=True)
    reply: Mapped[str | None] = mapped_column(Text)
    replied: Mapped[date | None] = mapped_column(Date)
    likes: Mapped[int | None] = mapped_column(Integer)
    dislikes: Mapped[int | None] = mapped_column(Integer)
    dup_group: Mapped[str | None] = mapped_column(String(64), index=True)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id", ondelete="SET NULL"))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="suggestion", cascade="all, delete-orphan", order_by="StatusEvent.id"
    )


class StatusEvent(Base):
    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(128))

    suggestion: Mapped[Suggestion] = relationship(back_populates="events")


class News(Base):
    __tablename__ = "news"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[date | None] = mapped_column(Date, index=True)
    source: Mapped[str | None] = mapped_column(String(128))
    editor: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str | None] = mapped_column(String(32))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class NewsLink(Base):
    """A news article reporting on a suggestion; ``gold`` marks links given by the corpus, not predicted."""

    __tablename__ = "news_links"
    __table_args__ = (UniqueConstraint("news_id", "suggestion_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    news_id: Mapped[int] = mapped_column(ForeignKey("news.id", ondelete="CASCADE"), index=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    gold: Mapped[bool] = mapped_column(default=False)
    confirmed: Mapped[bool | None] = mapped_column(default=None)


class Prediction(Base):
    __tablename__ = "predictions"
    __table_args__ = (Index("ix_predictions_suggestion_created", "suggestion_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str | None] = mapped_column(String(64))
    topic_probability: Mapped[float | None] = mapped_column(Float)
    department: Mapped[str | None] = mapped_column(String(64))
    department_probability: Mapped[float | None] = mapped_column(Float)
    needs_review: Mapped[bool] = mapped_column(default=False, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Correction(Base):
    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    prediction_id: Mapped[int | None] = mapped_column(ForeignKey("predictions.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(32))  # topic | department
    before: Mapped[str | None] = mapped_column(String(64))
    after: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PairJudgement(Base):
    """A staff answer to "do these two raise the same issue?": ``same`` false is "not a duplicate", which keeps
    the pair apart in the duplicate flag and the hot-issue groups. Stored once per pair, low id first."""

    __tablename__ = "pair_judgements"
    __table_args__ = (UniqueConstraint("a_id", "b_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    a_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    b_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    same: Mapped[bool] = mapped_column()
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked: Mapped[bool] = mapped_column(default=False)


class Embedding(Base):
    """The vector of one item's text under one model: the FAISS index is rebuilt from these rows.

    Written in the same transaction as the item, so a crash never leaves a stored item without its vector.
    """

    __tablename__ = "embeddings"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # suggestion | news
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(128))
    text_sha1: Mapped[str] = mapped_column(String(40))
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class IssueCluster(Base):
    """One issue cluster as last computed, so its id survives re-clustering (matched by centroid).

    Rows are never deleted: a cluster that no longer matches is marked inactive and its id is not reused.
    ``members`` lets the next run tell new items from old ones; ``radius`` (a low percentile of the members'
    cosine to the centroid) says how far from the centre a new item may fall and still belong.
    """

    __tablename__ = "issue_clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    model: Mapped[str] = mapped_column(String(128))  # embedding model of the centroid
    centroid: Mapped[bytes] = mapped_column(LargeBinary)  # float32, L2-normalised
    label: Mapped[str] = mapped_column(String(255), default="")
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(Integer, default=0)
    radius: Mapped[float] = mapped_column(Float, default=1.0)
    members: Mapped[list[Any]] = mapped_column(JSON, default=list)
    is_new: Mapped[bool] = mapped_column(default=False)  # appeared in the last run, matching no earlier cluster
    active: Mapped[bool] = mapped_column(default=True, index=True)
    first_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
