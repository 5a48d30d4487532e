"""Predictions, the human review queue and staff corrections, with a live accuracy figure from them.

Every automatic routing decision is stored with its model version and probabilities. A staff member either
accepts it (recorded as a correction whose ``after`` equals ``before``) or corrects it; live accuracy is the
share of reviewed predictions that staff left unchanged, per topic and per department.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nlp_service.errors import BadInputError
from nlp_service.storage.models import Correction, Prediction, Suggestion
from nlp_service.storage.repository import audit, get_suggestion

FIELDS = ("topic", "department")


def record_prediction(session: Session, suggestion_id: int, routed: dict[str, Any], actor: str) -> Prediction:
    """Store the decision; a decision the router is unsure of waits for review instead of being made."""
    row = get_suggestion(session, suggestion_id)
    pred = Prediction(
        suggestion_id=suggestion_id, model_version=routed["model_version"],
        topic=routed["topic"]["id"], topic_probability=routed["topic"]["probability"],
        department=routed["department"]["id"], department_probability=routed["department"]["probability"],
        needs_review=routed["needs_review"],
        detail={"topics": routed["topic"]["top"], "departments": [
            {"id": d["id"], "probability": d["probability"]} for d in routed["departments"]],
            "review": routed["review"]},
    )
    session.add(pred)
    for field in FIELDS:  # a sure decision is made now, even when the other one waits for staff
        if not routed["review"][field]:
            setattr(row, field, getattr(pred, field))
            setattr(row, f"{field}_source", "automatic")  # never learnt from as if it were gold
    session.flush()
    audit(session, actor, "route", "suggestion", suggestion_id, model_version=pred.model_version,
          topic=pred.topic, topic_probability=pred.topic_probability, department=pred.department,
          department_probability=pred.department_probability, needs_review=pred.needs_review,
          probabilities=pred.detail)
    return pred


def latest_prediction(session: Session, suggestion_id: int) -> Prediction | None:
    stmt = (select(Prediction).where(Prediction.suggestion_id == suggestion_id)
            .order_by(Prediction.id.desc()).limit(1))
    return session.scalar(stmt)


def _reviewed_ids(session: Session) -> select:
    return select(Correction.prediction_id).where(Correction.prediction_id.is_not(None))


def review_queue(session: Session, offset: int = 0, limit: int = 50) -> tuple[list[tuple[Suggestion, Prediction]],
                                                                             int]:
    """Suggestions whose latest prediction needs review and that nobody has reviewed yet, oldest first."""
    latest = (select(func.max(Prediction.id)).group_by(Prediction.suggestion_id)).scalar_subquery()
    base = (select(Prediction).where(Prediction.id.in_(latest), Prediction.needs_review.is_(True),
                                     Prediction.id.not_in(_reviewed_ids(session))))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    preds = list(session.scalars(base.order_by(Prediction.id).offset(offset).limit(limit)))
    return [(get_suggestion(session, p.suggestion_id), p) for p in preds], int(total)


def correct(session: Session, suggestion_id: int, actor: str, topic: str | None = None,
            department: str | None = None) -> list[Correction]:
    """Set the final topic/department. A value equal to the prediction counts as an acceptance."""
    if topic is None and department is None:
        raise BadInputError("give a topic, a department or both")
    row = get_suggestion(session, suggestion_id)
    pred = latest_prediction(session, suggestion_id)
    out = []
    for field, value in (("topic", topic), ("department", department)):
        if value is None:
            continue
        before = getattr(pred, field) if pred else getattr(row, field)
        c = Correction(suggestion_id=suggestion_id, prediction_id=pred.id if pred else None, field=field,
                       before=before, after=value, actor=actor)
        session.add(c)
        setattr(row, field, value)
        setattr(row, f"{field}_source", "staff")
        out.append(c)
        audit(session, actor, "correct" if before != value else "accept", "suggestion", suggestion_id,
              field=field, before=before, after=value)
    session.flush()
    return out


def accept(session: Session, suggestion_id: int, actor: str) -> list[Correction]:
    pred = latest_prediction(session, suggestion_id)
    if pred is None:
        raise BadInputError(f"suggestion {suggestion_id} has no prediction to accept")
    return correct(session, suggestion_id, actor, pred.topic, pred.department)


def live_accuracy(session: Session) -> dict[str, Any]:
    """Share of reviewed predictions staff left unchanged; the latest review of each prediction counts."""
    latest: dict[tuple[int, str], Correction] = {}
    for c in session.scalars(select(Correction).where(Correction.prediction_id.is_not(None))
                             .order_by(Correction.id)):
        latest[(c.prediction_id, c.field)] = c
    out: dict[str, Any] = {}
    for field in FIELDS:
        per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (_pid, f), c in latest.items():
            if f != field:
                continue
            per[c.before or "?"][0] += 1
            per[c.before or "?"][1] += int(c.before == c.after)
        n = sum(v[0] for v in per.values())
        ok = sum(v[1] for v in per.values())
        out[field] = {"reviewed": n, "unchanged": ok, "accuracy": ok / n if n else None,
                      "per_label": {k: {"reviewed": v[0], "unchanged": v[1], "accuracy": v[1] / v[0]}
                                    for k, v in sorted(per.items())}}
    return out
