"""Similar past proposals and duplicates for a text, with the reasons they match."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from nlp_service.domain.records import OUTCOMES, STATUS_NAMES, item_text
from nlp_service.index.store import IndexStore
from nlp_service.storage.models import Suggestion
from nlp_service.text.document import Document
from nlp_service.text.keywords import tfidf_keywords

# Cosine at or above which two suggestions count as duplicates (the same issue raised again), measured with
# multilingual-e5-small (bench/bench_duplicates.py): e5 cosines sit in a narrow band (LCQMC positives
# average 0.98, negatives 0.94), and LCQMC's hard negatives push a precision-0.90 threshold to 0.983, which
# flags none of the corpus's marked duplicates. At 0.94: LCQMC dev precision 0.63, recall 0.98; the corpus's
# marked duplicate pairs recall 0.60, and every flagged pair between marked items is a true one. Staff confirm
# a flag before merging (并案), so recall is worth more here than on a paraphrase benchmark.
DUPLICATE_THRESHOLD = 0.94


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


def similar_suggestions(session: Session, store: IndexStore, q: Query, k: int = 5,
                        exclude: set[int] | None = None, duplicate_threshold: float = DUPLICATE_THRESHOLD
                        ) -> list[dict[str, Any]]:
    exclude = exclude or set()
    scores, ids = store.vectors["suggestion"].search(q.doc.vector[None, :], k + len(exclude) + 1)
    out = []
    for score, item_id in zip(scores[0], ids[0], strict=True):
        if item_id < 0 or int(item_id) in exclude:
            continue
        row = session.get(Suggestion, int(item_id))
        if row is None:
            continue
        tokens = set(store.keywords["suggestion"].terms_of(row.id))
        out.append({"id": row.id, "external_id": row.external_id, "title": row.title,
                    "score": round(float(score), 4),
                    "duplicate": bool(score >= duplicate_threshold), "status": row.status,
                    "status_name": STATUS_NAMES.get(row.status, row.status), "outcome": _outcome(row),
                    "submitted": row.submitted.isoformat() if row.submitted else None, "place": row.place,
                    "topic": row.topic, "department": row.department,
                    "why": why(q, row, tokens)})
        if len(out) >= k:
            break
    return out
