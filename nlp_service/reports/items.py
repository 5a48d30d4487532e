"""Counts and news coverage for a report; the items themselves come from ``issues.items``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from nlp_service.reports.period import Period
from nlp_service.storage.models import News, NewsLink, Suggestion
from nlp_service.storage.query import in_period


def count_items(session: Session, period: Period) -> int:
    stmt = in_period(select(func.count(Suggestion.id)), Suggestion.submitted, period.since, period.until)
    return session.scalar(stmt) or 0


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
