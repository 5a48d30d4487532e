"""The facts a report needs about each suggestion, read in two queries rather than row by row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from nlp_service.reports.period import Period
from nlp_service.storage.models import News, NewsLink, StatusEvent, Suggestion
from nlp_service.text.pii import mask_pii


@dataclass(frozen=True)
class Item:
    id: int
    external_id: str | None
    title: str
    submitted: date
    topic: str | None
    department: str | None
    channel: str | None
    likes: int
    dislikes: int
    first_replied: date | None  # date of the first ``replied`` status event

    @property
    def attention(self) -> int:
        """Likes and dislikes both mean people looked and cared; heat counts both."""
        return self.likes + self.dislikes


def load_items(session: Session, period: Period) -> dict[int, Item]:
    """Suggestions submitted in the period (undated ones cannot be placed in any period), by id.

    Titles are masked: reports go to staff, who do not see personal data (see roles.py).
    """
    replied = (select(StatusEvent.suggestion_id, func.min(StatusEvent.date).label("first"))
               .where(StatusEvent.status == "replied").group_by(StatusEvent.suggestion_id).subquery())
    stmt = (select(Suggestion.id, Suggestion.external_id, Suggestion.title, Suggestion.body, Suggestion.submitted,
                   Suggestion.topic, Suggestion.department, Suggestion.channel, Suggestion.likes,
                   Suggestion.dislikes, replied.c.first)
            .outerjoin(replied, replied.c.suggestion_id == Suggestion.id)
            .where(Suggestion.submitted >= period.since, Suggestion.submitted <= period.until)
            .order_by(Suggestion.id))
    out: dict[int, Item] = {}
    for r in session.execute(stmt):
        title = (r.title or "").strip() or (r.body or "").strip()[:40]
        out[r.id] = Item(r.id, r.external_id, mask_pii(title), r.submitted, r.topic, r.department, r.channel,
                         r.likes or 0, r.dislikes or 0, r.first)
    return out


def count_items(session: Session, period: Period) -> int:
    return session.scalar(select(func.count(Suggestion.id)).where(
        Suggestion.submitted >= period.since, Suggestion.submitted <= period.until)) or 0


@dataclass(frozen=True)
class Coverage:
    """One news article reporting on one suggestion."""

    suggestion_id: int
    news_id: int
    title: str
    published: date | None
    source: str | None
    gold: bool


def load_coverage(session: Session, suggestion_ids: set[int]) -> list[Coverage]:
    """Links given by the corpus (gold) or confirmed by staff; unconfirmed predictions are not evidence, and a
    staff "no" overrides a gold link."""
    if not suggestion_ids:
        return []
    stmt = (select(NewsLink.suggestion_id, NewsLink.news_id, NewsLink.gold, News.title, News.published,
                   News.source)
            .join(News, News.id == NewsLink.news_id)
            .where(or_(NewsLink.confirmed.is_(True), and_(NewsLink.gold.is_(True), NewsLink.confirmed.is_(None))))
            .order_by(NewsLink.news_id, NewsLink.suggestion_id))
    return [Coverage(r.suggestion_id, r.news_id, r.title, r.published, r.source, bool(r.gold))
            for r in session.execute(stmt) if r.suggestion_id in suggestion_ids]
