"""The facts the issue figures and the reports need about each suggestion, read once per listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nlp_service.issues.adoption import ItemOutcome, outcome_of
from nlp_service.storage.models import Suggestion
from nlp_service.storage.query import in_period


@dataclass(frozen=True)
class Item:
    id: int
    external_id: str | None
    title: str  # the title, or the start of the body where there is none
    submitted: date | None
    topic: str | None
    department: str | None
    channel: str | None
    likes: int
    dislikes: int
    first_replied: date | None  # date of the first ``replied`` status event
    outcome: ItemOutcome

    @property
    def attention(self) -> int:
        """Likes and dislikes both mean people looked and cared; heat counts both."""
        return self.likes + self.dislikes


def load_items(session: Session, since: date | None = None, until: date | None = None) -> dict[int, Item]:
    """Suggestions submitted in [since, until] by id (undated ones fall outside any bounded period)."""
    stmt = in_period(select(Suggestion).options(selectinload(Suggestion.events)).order_by(Suggestion.id),
                     Suggestion.submitted, since, until)
    out: dict[int, Item] = {}
    for r in session.scalars(stmt):
        replied = [e.date for e in r.events if e.status == "replied" and e.date]
        title = (r.title or "").strip() or (r.body or "").strip()[:40]
        out[r.id] = Item(r.id, r.external_id, title, r.submitted, r.topic, r.department, r.channel, r.likes or 0,
                         r.dislikes or 0, min(replied, default=None), outcome_of(r))
    return out
