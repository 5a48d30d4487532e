"""Similar past proposals and duplicates for a text, with the reasons they match."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from nlp_service.domain.records import OUTCOMES, STATUS_NAMES, item_text
from nlp_service.index.store import IndexStore
from nlp_service.pairs.judge import PairJudge
from nlp_service.storage.models import Suggestion
from nlp_service.storage.repository import not_same_pairs
from nlp_service.text.document import Document
from nlp_service.text.keywords import tfidf_keywords


@dataclass(frozen=True)
class Query:
    """A new or stored text, analysed once, with the facts "why" compares."""

    doc: Document
    place: str | None = None
    submitted: Any = None


def _outcome(row: Suggestion) -> str | None:
    outcome = next((e.status for e in reversed(row.events) if e.status in OUTCOMES), None)
    implemented = any(e.status == "implemented" for e in row.events)
    if outcome is None:
        return None
    return STATUS_NAMES[outcome] + ("，已落实" if implemented else "")


def why(q: Query, row: Suggestion, hit_tokens: set[str]) -> dict[str, Any]:
    """Shared keywords and named things, same place, and how far apart in time."""
    shared = [w for w, _ in tfidf_keywords(q.doc.tokens, 15) if w in hit_tokens][:6]
    reason: dict[str, Any] = {"shared_keywords": shared}
    named = sorted(n for n in q.doc.names if n in item_text(row.title, row.body))
    if named:
        reason["shared_entities"] = named[:6]
    if q.place and row.place and (q.place in row.place or row.place in q.place):
        reason["same_place"] = row.place
    if q.submitted and row.submitted:
        reason["days_apart"] = abs((q.submitted - row.submitted).days)
    return reason


def similar_suggestions(session: Session, store: IndexStore, q: Query, judge: PairJudge, k: int = 5,
                        exclude: set[int] | None = None, query_id: int | None = None) -> list[dict[str, Any]]:
    """The ``k`` nearest stored suggestions, each with the pair decision (``duplicate``, its calibrated
    ``duplicate_probability`` and ``duplicate_why``: reasons for and against) and the shared facts (``why``).
    For a stored query (``query_id``), staff "not the same issue" answers override the model."""
    exclude = exclude or set()
    scores, ids = store.vectors["suggestion"].search(q.doc.vector[None, :], k + len(exclude) + 1)
    hits = []
    for score, item_id in zip(scores[0], ids[0], strict=True):
        if item_id < 0 or int(item_id) in exclude:
            continue
        row = session.get(Suggestion, int(item_id))
        if row is not None:
            hits.append((float(score), row))
        if len(hits) >= k:
            break
    if not hits:
        return []
    banned = not_same_pairs(session, [query_id]) if query_id is not None else set()
    terms = [store.keywords["suggestion"].terms_of(row.id) for _, row in hits]
    vectors = store.vectors["suggestion"]
    others = [judge.side(store.clean(item_text(row.title, row.body)), t, vectors.vector(row.id))
              for (_, row), t in zip(hits, terms, strict=True)]
    query = judge.side(q.doc.clean, q.doc.tokens, q.doc.vector)
    decisions = judge.decide(query, others, [tuple(sorted((query_id, r.id))) in banned for _, r in hits]
                             if query_id is not None else None)
    out = []
    for (score, row), tokens, decision in zip(hits, terms, decisions, strict=True):
        out.append({"id": row.id, "external_id": row.external_id, "title": row.title,
                    "score": round(score, 4), "duplicate": decision["duplicate"],
                    "duplicate_probability": decision["probability"], "duplicate_why": decision["why"],
                    "status": row.status,
                    "status_name": STATUS_NAMES.get(row.status, row.status), "outcome": _outcome(row),
                    "submitted": row.submitted.isoformat() if row.submitted else None, "place": row.place,
                    "topic": row.topic, "department": row.department,
                    "why": why(q, row, set(tokens))})
    return out
