"""Train the default routing models (topic + department) from the database, staff corrections included."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split
from sqlalchemy import case, select

from nlp_service.classify.artifact import save_artifact
from nlp_service.classify.evaluate import evaluate, threshold_for_precision
from nlp_service.classify.training import TrainConfig, corpus_checksum
from nlp_service.domain.records import item_text
from nlp_service.errors import BadInputError
from nlp_service.routing.evidence import DepartmentSignals
from nlp_service.routing.router import RoutingModel, combine_department
from nlp_service.storage.db import Database
from nlp_service.storage.models import Correction, Suggestion
from nlp_service.text.pipeline import TextPipeline


def labelled_items(db: Database) -> list[tuple[int, str, str, str]]:
    """(id, text, topic, department) for every suggestion with a gold label (imported or given by staff; the
    latest correction wins). Labels the router wrote itself are left out: learning from them would train the
    model on its own guesses and inflate its held-out figures."""
    with db.session() as s:
        gold = ("imported", "staff")
        rows = s.execute(select(Suggestion.id, Suggestion.title, Suggestion.body,
                                case((Suggestion.topic_source.in_(gold), Suggestion.topic), else_=None),
                                case((Suggestion.department_source.in_(gold), Suggestion.department), else_=None))
                         .where(Suggestion.merged_into.is_(None))).all()
        fixes: dict[tuple[int, str], str] = {}
        for c in s.scalars(select(Correction).order_by(Correction.id)):
            fixes[(c.suggestion_id, c.field)] = c.after
    out = []
    for sid, title, body, topic, dep in rows:
        topic = fixes.get((sid, "topic"), topic)
        dep = fixes.get((sid, "department"), dep)
        if topic and dep:
            out.append((sid, item_text(title, body), topic, dep))
    return out


def train_router(db: Database, pipeline: TextPipeline, out_dir: Path, config: TrainConfig | None = None,
                 log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    config = config or TrainConfig(target_precision=0.9)
    items = labelled_items(db)
    if len(items) < 50:
        raise BadInputError(f"only {len(items)} labelled suggestions; need at least 50 to train routing")
    texts = [pipeline.clean(t) for _, t, _, _ in items]
    docs = [pipeline.segmenter.tokens(t) for t in texts]
    topics = np.array([x[2] for x in items])
    deps = np.array([x[3] for x in items])
    log(f"{len(items)} labelled suggestions, {len(set(topics))} topics, {len(set(deps))} departments")
    tr, te = train_test_split(np.arange(len(items)), test_size=config.holdout, random_state=config.seed,
                              stratify=topics)
    held_topic = config.model().fit([docs[i] for i in tr], list(topics[tr]))
    held_dep = config.model().fit([docs[i] for i in tr], list(deps[tr]))
    signals = DepartmentSignals(pipeline.taxonomy, pipeline.segmenter)
    p_topic = held_topic.predict_proba([docs[i] for i in te])
    p_dep_raw = held_dep.predict_proba([docs[i] for i in te])
    p_dep = np.array([
        [combine_department(dict(zip(held_dep.classes_, row, strict=True)),
                            signals.evidence(texts[i], docs[i])).get(c, 0.0) for c in held_dep.classes_]
        for i, row in zip(te, p_dep_raw, strict=True)
    ])
    dep_classes = held_dep.classes_
    metrics = {
        "topic": evaluate(p_topic, list(topics[te]), held_topic.classes_),
        "department_classifier_only": evaluate(p_dep_raw, list(deps[te]), dep_classes),
        "department": evaluate(p_dep, list(deps[te]), dep_classes),
    }
    # The router is confident only when both answers are: review threshold on the joint decision.
    both_right = (p_topic.argmax(1) == [held_topic.classes_.index(t) for t in topics[te]]) & (
        p_dep.argmax(1) == [dep_classes.index(d) if d in dep_classes else -1 for d in deps[te]])
    conf = np.minimum(p_topic.max(1), p_dep.max(1))
    joint = np.stack([1 - conf, conf], axis=1)  # a two-column "probability" whose argmax is 1 = both right
    review = threshold_for_precision(joint, both_right.astype(int), config.target_precision)
    metrics["review"] = {"target_precision": config.target_precision, **review,
                         "joint_accuracy": float(both_right.mean())}
    log(f"held-out topic macro-F1 {metrics['topic']['macro_f1']:.3f}, department accuracy "
        f"{metrics['department']['accuracy']:.3f} (classifier alone "
        f"{metrics['department_classifier_only']['accuracy']:.3f}); review threshold {review['threshold']:.3f}")
    model = RoutingModel(config.model().fit(docs, list(topics)), config.model().fit(docs, list(deps)))
    manifest = {
        "kind": "routing",
        "name": "routing",
        "labels": {"topic": model.topic.classes_, "department": model.department.classes_},
        "training": {"config": vars(config), "source": "database", "rows": len(items),
                     "corpus_sha256": corpus_checksum(texts, [f"{t}|{d}" for t, d in zip(topics, deps,
                                                                                           strict=True)])},
        "metrics": metrics,
        "review_threshold": review["threshold"],
    }
    save_artifact(model, out_dir, manifest)
    return manifest
