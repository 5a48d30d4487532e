"""Train the default routing models (topic + department) from the database, staff corrections included."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import case, select

from nlp_service.classify.artifact import save_artifact
from nlp_service.classify.evaluate import coverage_curve, evaluate, threshold_for_precision
from nlp_service.classify.training import TrainConfig, corpus_checksum
from nlp_service.domain.records import item_text
from nlp_service.errors import BadInputError, RetrainRefusedError
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
                                case((Suggestion.department_source.in_(gold), Suggestion.department), else_=None),
                                Suggestion.dup_group, Suggestion.external_id)
                         .where(Suggestion.merged_into.is_(None))).all()
        fixes: dict[tuple[int, str], str] = {}
        for c in s.scalars(select(Correction).order_by(Correction.id)):
            fixes[(c.suggestion_id, c.field)] = c.after
    out = []
    for sid, title, body, topic, dep, group, ext in rows:
        topic = fixes.get((sid, "topic"), topic)
        dep = fixes.get((sid, "department"), dep)
        if topic and dep:
            out.append((sid, item_text(title, body), topic, dep, group or ext or f"#{sid}"))
    return out


def is_held_out(group: str, share: float) -> bool:
    """A fixed part of the corpus that training never fits or tunes on, chosen by a hash of the item's
    duplicate group (or its id): near-copies stay on one side, and the part stays put as the corpus grows."""
    return int(hashlib.sha1(group.encode("utf-8")).hexdigest()[:8], 16) % 1000 < share * 1000


def held_out_metrics(model: RoutingModel, docs: list[list[str]], vecs: np.ndarray | None,
                     evidence: list[Any], topics: np.ndarray, deps: np.ndarray, target: float) -> dict[str, Any]:
    """Topic, department and joint figures of ``model`` on held-out items, with the review threshold that
    keeps ``target`` joint precision and its coverage curve."""
    p_topic = model.topic.predict_proba(docs, vecs)
    p_dep_raw = model.department.predict_proba(docs, vecs)
    dep_classes = model.department.classes_
    p_dep = np.array([[combine_department(dict(zip(dep_classes, row, strict=True)), ev).get(c, 0.0)
                       for c in dep_classes] for row, ev in zip(p_dep_raw, evidence, strict=True)])
    metrics = {
        "topic": evaluate(p_topic, list(topics), model.topic.classes_),
        "department_classifier_only": evaluate(p_dep_raw, list(deps), dep_classes),
        "department": evaluate(p_dep, list(deps), dep_classes),
    }
    # The router is confident only when both answers are: review threshold on the joint decision.
    tc = model.topic.classes_
    both_right = (p_topic.argmax(1) == [tc.index(t) if t in tc else -1 for t in topics]) & (
        p_dep.argmax(1) == [dep_classes.index(d) if d in dep_classes else -1 for d in deps])
    conf = np.minimum(p_topic.max(1), p_dep.max(1))
    joint = np.stack([1 - conf, conf], axis=1)  # a two-column "probability" whose argmax is 1 = both right
    review = threshold_for_precision(joint, both_right.astype(int), target)
    metrics["review"] = {"target_precision": target, **review, "joint_accuracy": float(both_right.mean()),
                         "coverage_curve": coverage_curve(joint, both_right.astype(int), 20)}
    return metrics


def train_router(db: Database, pipeline: TextPipeline, out_dir: Path, config: TrainConfig | None = None,
                 log: Callable[[str], None] = lambda _m: None,
                 vectors: Callable[[list[int], list[str]], np.ndarray] | None = None,
                 embedding: dict[str, Any] | None = None, previous: RoutingModel | None = None,
                 force: bool = False) -> dict[str, Any]:
    """``vectors(ids, clean_texts)`` gives the stored sentence vectors when the config puts them beside the
    words (``dense_weight`` > 0); ``embedding`` names the model they come from, recorded in the manifest."""
    config = config or TrainConfig(target_precision=0.9)
    items = labelled_items(db)
    if len(items) < 50:
        raise BadInputError(f"only {len(items)} labelled suggestions; need at least 50 to train routing")
    texts = [pipeline.clean(x[1]) for x in items]
    docs = [pipeline.segmenter.tokens(t) for t in texts]
    topics = np.array([x[2] for x in items])
    deps = np.array([x[3] for x in items])
    dense = config.dense_weight > 0 and vectors is not None
    vecs = vectors([x[0] for x in items], texts) if dense else None
    log(f"{len(items)} labelled suggestions, {len(set(topics))} topics, {len(set(deps))} departments"
        + (" (words + sentence vectors)" if dense else ""))
    held = np.array([is_held_out(x[4], config.holdout) for x in items])
    tr, te = np.nonzero(~held)[0], np.nonzero(held)[0]

    def fit(rows: np.ndarray, labels: np.ndarray) -> Any:
        model = config.model() if dense else replace(config, dense_weight=0.0).model()
        return model.fit([docs[i] for i in rows], list(labels[rows]), None if vecs is None else vecs[rows])

    held_topic, held_dep = fit(tr, topics), fit(tr, deps)
    signals = DepartmentSignals(pipeline.taxonomy, pipeline.segmenter)
    te_docs, te_vecs = [docs[i] for i in te], None if vecs is None else vecs[te]
    evidence = [signals.evidence(texts[i], docs[i]) for i in te]
    metrics = held_out_metrics(RoutingModel(held_topic, held_dep), te_docs, te_vecs, evidence, topics[te],
                               deps[te], config.target_precision)
    review = metrics["review"]
    log(f"held-out ({len(te)} items) topic macro-F1 {metrics['topic']['macro_f1']:.3f}, department accuracy "
        f"{metrics['department']['accuracy']:.3f} (classifier alone "
        f"{metrics['department_classifier_only']['accuracy']:.3f}); joint accuracy "
        f"{review['joint_accuracy']:.3f}; "
        f"review threshold {review['threshold']:.3f} routes {review['coverage']:.0%} automatically at "
        f"{config.target_precision:.0%} joint precision")
    # The shipped model is the one measured: it never saw the held-out part, so the next retraining can compare
    # itself with this one on the same unseen items.
    model = RoutingModel(held_topic, held_dep, embedding if dense else None)
    if previous is not None:
        old = held_out_metrics(previous, te_docs, te_vecs if previous.embedding else None, evidence, topics[te],
                               deps[te], config.target_precision)["review"]
        metrics["previous_model"] = {k: old[k] for k in ("joint_accuracy", "coverage", "threshold")}
        log(f"previous model on the same held-out items: joint accuracy {old['joint_accuracy']:.3f}, routes "
            f"{old['coverage']:.0%} automatically")
        worse = (review["coverage"] < old["coverage"] - 0.01 or
                 review["joint_accuracy"] < old["joint_accuracy"] - 0.01)
        if worse and not force:
            new, was = review, old
            raise RetrainRefusedError(
                f"the new routing model is worse on the same {len(te)} held-out items (joint accuracy "
                f"{new['joint_accuracy']:.3f} vs {was['joint_accuracy']:.3f}, automatic {new['coverage']:.0%} vs "
                f"{was['coverage']:.0%}); the current model stays (force=True replaces it anyway)")
    manifest = {
        "kind": "routing",
        "name": "routing",
        "labels": {"topic": model.topic.classes_, "department": model.department.classes_},
        "training": {"config": vars(config), "source": "database", "rows": len(items),
                     "corpus_sha256": corpus_checksum(texts, [f"{t}|{d}" for t, d in zip(topics, deps,
                                                                                           strict=True)])},
        "metrics": metrics,
        "split": {"held_out": int(held.sum()), "trained": int((~held).sum()),
                  "how": "a fixed share of duplicate groups (or single items), by hash: no near-copies across"},
        "embedding": embedding if dense else None,
        "review_threshold": review["threshold"],
    }
    save_artifact(model, out_dir, manifest)
    return manifest
