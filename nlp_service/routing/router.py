"""Route a suggestion to a topic and a responsible department, with calibrated confidence and reasons.

Department = classifier probabilities, re-weighted by explicit evidence (a unit named in the text; the
responsibilities line the text matches), then renormalised. The classifier learns one class for all district
and county governments ("this is a district matter"); the district the text or the place names decides which
government takes it. Seven district units with ~25 items each could not be told apart by words, while the
place settles it at once (held-out department accuracy 0.714 -> 0.742 when this was measured).

Topic and department each have a review threshold (chosen in training for a stated precision on texts the
model had not seen): a decision below its threshold waits for staff, one above it is made straight away, so a
sure department can reach its desk while a person confirms an unsure topic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp_service.classify.artifact import load_artifact
from nlp_service.classify.model import TextClassifier
from nlp_service.errors import ArtifactError
from nlp_service.routing.evidence import DepartmentEvidence, DepartmentSignals
from nlp_service.text.document import Document
from nlp_service.text.pipeline import TextPipeline

DISTRICT = "@district"  # the classifier's single class for every district government
MENTION_WEIGHT = 2.0  # log-odds added when the text names the unit (people name the wrong unit at times)
DUTY_WEIGHT = 2.0  # times the cosine with the best responsibilities line


@dataclass
class RoutingModel:
    """What the routing artifact pickles: one classifier for topics, one for departments."""

    topic: TextClassifier
    department: TextClassifier
    embedding: dict[str, Any] | None = None  # the sentence-embedding model the classifiers read, if any
    district_units: tuple[str, ...] = ()  # the units the department classifier knows as DISTRICT

    @property
    def department_ids(self) -> list[str]:
        """The units the department decision ranks: the classifier's, with DISTRICT spelt out."""
        units = getattr(self, "district_units", ())
        return [c for c in self.department.classes_ if c != DISTRICT] + list(units)


def department_label(department: str, district_units: tuple[str, ...]) -> str:
    return DISTRICT if department in district_units else department


def expand_district(probs: dict[str, float], ev: DepartmentEvidence, district_units: tuple[str, ...]
                    ) -> dict[str, float]:
    """The DISTRICT share goes to the named district's government; with no single district named it is
    spread over all of them, so the answer stays unsure and waits for a person."""
    if DISTRICT not in probs:
        return probs
    out = dict(probs)
    share = out.pop(DISTRICT)
    targets = [ev.district_unit] if ev.district_unit in district_units else list(district_units)
    for unit in district_units:
        out[unit] = out.get(unit, 0.0) + (share / len(targets) if unit in targets else 0.0)
    return out


def combine_department(probs: dict[str, float], ev: DepartmentEvidence, mention_weight: float = MENTION_WEIGHT,
                       duty_weight: float = DUTY_WEIGHT) -> dict[str, float]:
    logits = {d: math.log(max(p, 1e-6)) + mention_weight * (d in ev.mentioned) + duty_weight *
              ev.duty_score.get(d, 0.0) for d, p in probs.items()}
    top = max(logits.values())
    exp = {d: math.exp(v - top) for d, v in logits.items()}
    z = sum(exp.values())
    return {d: v / z for d, v in exp.items()}


def department_distribution(model: RoutingModel, raw: Any, ev: DepartmentEvidence) -> dict[str, float]:
    """Unit id -> probability: the classifier's row with DISTRICT resolved, then re-weighted by evidence."""
    probs = dict(zip(model.department.classes_, map(float, raw), strict=True))
    return combine_department(expand_district(probs, ev, getattr(model, "district_units", ())), ev)


class Router:
    def __init__(self, model: RoutingModel, signals: DepartmentSignals, thresholds: dict[str, float],
                 version: str, names: dict[str, str]) -> None:
        self.model = model
        self.signals = signals
        self.thresholds = thresholds  # "topic" and "department"
        self.version = version
        self.names = names  # id -> display name, for topics and departments

    def route(self, doc: Document, k: int = 3, place: str | None = None) -> dict[str, Any]:
        """``place`` is the item's place field, if it has one: evidence for which district it is in."""
        tokens = doc.tokens
        vecs = None if doc.vector is None else doc.vector[None, :]
        tp = self.model.topic.predict([tokens], k, vectors=vecs)[0]
        dm = self.model.department
        ev = self.signals.evidence(doc.clean, tokens, place)
        combined = department_distribution(self.model, dm.predict_proba([tokens], vecs)[0], ev)
        ranked = sorted(combined.items(), key=lambda kv: -kv[1])[:k]
        units = getattr(self.model, "district_units", ())
        departments = []
        for dep, p in ranked:
            label = department_label(dep, units)
            reason: dict[str, Any] = {"words": dm.explain(tokens, label, 5) if label in dm.classes_ else []}
            if dep in units and dep == ev.district_unit:
                reason["district"] = ev.district
            if dep in ev.mentioned:
                reason["named_in_text"] = ev.mentioned[dep]
            if ev.duty_score.get(dep, 0) > 0.1:
                reason["responsibility"] = ev.duty_line[dep]
            departments.append({"id": dep, "name": self.names.get(dep, dep), "probability": round(p, 4),
                                "reason": reason})
        confidence = min(tp.probability, ranked[0][1])
        review = {"topic": tp.probability < self.thresholds["topic"],
                  "department": ranked[0][1] < self.thresholds["department"]}
        return {
            "topic": {"id": tp.label, "name": self.names.get(tp.label, tp.label),
                      "probability": round(tp.probability, 4), "reason": {"words": tp.reasons},
                      "top": [{"id": t, "name": self.names.get(t, t), "probability": round(p, 4)}
                              for t, p in tp.top]},
            "department": departments[0],
            "departments": departments,
            "confidence": round(confidence, 4),
            "review": review,  # which decisions wait for a person
            "needs_review": any(review.values()),
            "thresholds": dict(self.thresholds),
            "model_version": self.version,
        }


def load_router(model_dir: Path, pipeline: TextPipeline, threshold: float | None = None,
                embedding: dict[str, Any] | None = None) -> Router:
    """The routing artifact with its evidence; ``threshold`` overrides both review thresholds it stores.
    ``embedding`` is the fingerprint of the encoder in use: a model trained on another one's vectors is
    refused, since its vector features would mean nothing."""
    model, manifest = load_artifact(model_dir)
    wanted = getattr(model, "embedding", None)
    if wanted and (embedding is None or wanted.get("sha256") != embedding.get("sha256")):
        have = embedding.get("name") if embedding else "none"
        raise ArtifactError(f"the routing model in {model_dir} was trained on vectors of {wanted.get('name')} "
                            f"({wanted.get('sha256', '')[:12]}), but the encoder in use is {have}: retrain it "
                            "(python training/train_routing.py) or point NLP_EMBEDDING_MODEL back")
    tx = pipeline.taxonomy
    names = {t.id: t.name for t in tx.topics} | {d.id: d.name for d in tx.departments}
    if threshold is not None:
        thresholds = {"topic": threshold, "department": threshold}
    else:  # artifacts older than per-decision thresholds hold one joint threshold
        one = manifest.get("review_threshold", 0.5)
        thresholds = manifest.get("review_thresholds") or {"topic": one, "department": one}
    return Router(model, DepartmentSignals(tx, pipeline.segmenter), thresholds, f"routing@{manifest['created']}",
                  names)
