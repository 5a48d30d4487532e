"""Reads and writes of suggestions, their history and the audit log. Functions take an open Session."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from nlp_service.domain.records import SuggestionIn
from nlp_service.errors import ConflictError, NotFoundError
from nlp_service.storage.models import AuditEntry, PairJudgement, StatusEvent, Suggestion
from nlp_service.storage.query import in_period

LABEL_SOURCE = "imported"  # labels that arrive with a record; see Suggestion.topic_source
_FIELDS = ("title", "body", "submitted", "channel", "submitter_group", "submitter", "place", "topic",
           "department", "reply", "replied", "likes", "dislikes", "dup_group")


@dataclass
class SuggestionFilter:
    since: date | None = None
    until: date | None = None
    topic: str | None = None
    department: str | None = None
    status: str | None = None
    channel: str | None = None
    submitter_group: str | None = None
    place: str | None = None
    submitter: str | None = None
    ids: Sequence[int] | None = None

    def apply(self, stmt: Any) -> Any:
        stmt = in_period(stmt, Suggestion.submitted, self.since, self.until)
        conds = []
        for name in ("topic", "department", "status", "channel", "submitter_group", "submitter"):
            value = getattr(self, name)
            if value:
                conds.append(getattr(Suggestion, name) == value)
        if self.place:
            conds.append(Suggestion.place.contains(self.place))
        if self.ids is not None:
            conds.append(Suggestion.id.in_(list(self.ids)))
        return stmt.where(*conds) if conds else stmt


def audit(session: Session, actor: str, action: str, entity: str, entity_id: object = None,
          **detail: object) -> None:
    session.add(AuditEntry(actor=actor, action=action, entity=entity,
                           entity_id=None if entity_id is None else str(entity_id), detail=detail))


# (field, stored value, incoming value) -> whether the incoming value only stands for the stored one (an export's
# masked copy of it, say), so the stored value stays. The storage layer knows no masking; the importer does.
SameValue = Callable[[str, Any, Any], bool]


def _apply(row: Suggestion, rec: SuggestionIn, update: bool, same: SameValue | None = None) -> None:
    """On update, only the fields the record carries change: a file with fewer columns blanks nothing. A label
    that does not change keeps its source (re-importing an export never turns an automatic label into an
    imported one)."""
    given = rec.model_fields_set if update else set(_FIELDS)
    for name in _FIELDS:
        if name not in given:
            continue
        old, new = getattr(row, name), getattr(rec, name)
        if update and old == new:
            continue
        if update and same is not None and old is not None and same(name, old, new):
            continue
        setattr(row, name, new)
        if name in ("topic", "department"):
            setattr(row, f"{name}_source", LABEL_SOURCE if new else None)
    row.extra = {**(row.extra or {}), **rec.extra}
    if rec.status_history:
        # Events that match the stored ones step for step are kept as they are (with their notes and actors).
        old_events = list(row.events or [])
        events, same_so_far = [], True
        for i, e in enumerate(rec.status_history):
            same_so_far = same_so_far and i < len(old_events) and (
                old_events[i].status, old_events[i].date) == (e.status, e.date)
            events.append(old_events[i] if same_so_far else StatusEvent(status=e.status, date=e.date, note=e.note))
        if events != old_events:
            row.events = events
        row.status = rec.status_history[-1].status
    elif not update or {"status", "reply"} & given:
        status = rec.current_status()
        if status != row.status:
            row.status = status
            when = rec.replied if status == "replied" else rec.submitted
            row.events = [*(row.events or []), StatusEvent(status=status, date=when)]


def upsert_suggestions(session: Session, records: Iterable[SuggestionIn], actor: str = "system",
                       same: SameValue | None = None) -> tuple[list[int], int, int]:
    """Insert new items; update those whose external id is stored. Returns (ids touched, inserted, updated).
    ``same`` tells an incoming value that only stands for the stored one (see SameValue)."""
    records = list(records)
    ext_ids = [r.external_id for r in records if r.external_id]
    existing: dict[str, Suggestion] = {}
    for chunk_start in range(0, len(ext_ids), 500):
        chunk = ext_ids[chunk_start : chunk_start + 500]
        stmt = select(Suggestion).where(Suggestion.external_id.in_(chunk)).options(selectinload(Suggestion.events))
        existing.update({s.external_id: s for s in session.scalars(stmt)})
    inserted, updated = 0, 0
    touched = []
    for rec in records:
        row = existing.get(rec.external_id) if rec.external_id else None
        if row is None:
            row = Suggestion(external_id=rec.external_id, extra={}, events=[], status="")
            _apply(row, rec, update=False)
            session.add(row)
            if rec.external_id:
                existing[rec.external_id] = row  # a repeated id later in the same file updates this row
            inserted += 1
        else:
            _apply(row, rec, update=True, same=same)
            updated += 1
        touched.append(row)
    session.flush()
    ids = list(dict.fromkeys(r.id for r in touched))
    audit(session, actor, "upsert", "suggestion", None, inserted=inserted, updated=updated)
    return ids, inserted, updated


def get_suggestion(session: Session, suggestion_id: int) -> Suggestion:
    row = session.get(Suggestion, suggestion_id, options=[selectinload(Suggestion.events)])
    if row is None:
        raise NotFoundError(f"suggestion {suggestion_id} does not exist")
    return row


def list_suggestions(session: Session, flt: SuggestionFilter | None = None, offset: int = 0,
                     limit: int | None = 50, newest_first: bool = True) -> list[Suggestion]:
    stmt = (flt or SuggestionFilter()).apply(select(Suggestion))
    order = (Suggestion.submitted.desc(), Suggestion.id.desc()) if newest_first else (Suggestion.id,)
    stmt = stmt.order_by(*order).offset(offset).options(selectinload(Suggestion.events))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def count_suggestions(session: Session, flt: SuggestionFilter | None = None) -> int:
    stmt = (flt or SuggestionFilter()).apply(select(func.count(Suggestion.id)))
    return int(session.scalar(stmt) or 0)


def add_status(session: Session, suggestion_id: int, status: str, when: date | None, note: str | None,
               actor: str) -> Suggestion:
    row = get_suggestion(session, suggestion_id)
    row.events.append(StatusEvent(status=status, date=when, note=note, actor=actor))
    row.status = status
    if status == "replied" and note:
        row.reply, row.replied = note, when
    audit(session, actor, "status", "suggestion", suggestion_id, status=status)
    return row


def find_by_external_ids(session: Session, external_ids: Iterable[str]) -> dict[str, int]:
    ids = list(external_ids)
    out: dict[str, int] = {}
    for i in range(0, len(ids), 500):
        stmt = select(Suggestion.external_id, Suggestion.id).where(Suggestion.external_id.in_(ids[i : i + 500]))
        out.update({e: n for e, n in session.execute(stmt)})
    return out


def merge_into(session: Session, suggestion_id: int, into: int, actor: str) -> Suggestion:
    """并案: ``suggestion_id`` joins ``into``. Both rows stay; the merged one keeps its submitter and history,
    and the primary lists every item merged into it."""
    if suggestion_id == into:
        raise ValueError("a suggestion cannot be merged into itself")
    row, primary = get_suggestion(session, suggestion_id), get_suggestion(session, into)
    if primary.merged_into is not None:
        primary = get_suggestion(session, primary.merged_into)  # keep chains one level deep
    if primary.id == row.id:
        raise ConflictError(f"suggestion {into} is merged into {suggestion_id}; merging back would make a loop")
    if row.merged_into is not None:
        raise ConflictError(f"suggestion {suggestion_id} is already merged into {row.merged_into}")
    if (row.extra or {}).get("merged"):
        raise ConflictError(f"suggestion {suggestion_id} has items merged into it; merge {into} into it instead")
    row.merged_into = primary.id
    row.events.append(StatusEvent(status="merged", date=date.today(), note=f"并入 #{primary.id}", actor=actor))
    row.status = "merged"
    merged = list((primary.extra or {}).get("merged", []))
    merged.append({"id": row.id, "submitter": row.submitter, "submitted": row.submitted.isoformat()
                   if row.submitted else None, "channel": row.channel})
    primary.extra = {**(primary.extra or {}), "merged": merged}
    audit(session, actor, "merge", "suggestion", row.id, into=primary.id)
    return primary


def judge_pair(session: Session, a: int, b: int, same: bool, actor: str) -> dict[str, Any]:
    """Store (or change) a staff answer for the pair; both items must exist."""
    if a == b:
        raise ValueError("a pair needs two different suggestions")
    a, b = sorted((a, b))
    get_suggestion(session, a), get_suggestion(session, b)
    row = session.scalars(select(PairJudgement).where(PairJudgement.a_id == a, PairJudgement.b_id == b)).first()
    if row is None:
        row = PairJudgement(a_id=a, b_id=b, same=same, actor=actor)
        session.add(row)
    else:
        row.same, row.actor = same, actor
    audit(session, actor, "judge_pair", "suggestion", a, other=b, same=same)
    return {"a": a, "b": b, "same": same}


def not_same_pairs(session: Session, ids: Iterable[int] | None = None) -> set[tuple[int, int]]:
    """Pairs (low id, high id) that staff said are not the same issue; with ``ids``, those touching them."""
    stmt = select(PairJudgement.a_id, PairJudgement.b_id).where(PairJudgement.same.is_(False))
    if ids is not None:
        ids = list(ids)
        stmt = stmt.where(PairJudgement.a_id.in_(ids) | PairJudgement.b_id.in_(ids))
    return {(a, b) for a, b in session.execute(stmt)}


def delete_suggestion(session: Session, suggestion_id: int, actor: str) -> None:
    row = get_suggestion(session, suggestion_id)
    session.delete(row)
    audit(session, actor, "delete", "suggestion", suggestion_id)
