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
from nlp_service.classify.evaluate import coverage_curve, evaluate, format_curve, threshold_for_precision
from nlp_service.classify.training import TrainConfig, corpus_checksum
from nlp_service.domain.records import item_text
from nlp_service.errors import BadInputError, RetrainRefusedError
from nlp_service.routing.evidence import DepartmentSignals
from nlp_service.routing.router import RoutingModel, department_distribution, department_label
from nlp_service.storage.db import Database
from nlp_service.storage.models import Correction, Suggestion
from nlp_service.text.pipeline import TextPipeline


def labelled_items(db: Database) -> list[tuple[int, str, str, str, str, str | None]]:
    """(id, text, topic, department, group, place) for every suggestion with a gold label (imported or given by
    staff; the latest correction wins). Labels the router wrote itself are left out: learning from them would
    train the model on its own guesses and inflate its held-out figures."""
    with db.session() as s:
        gold = ("imported", "staff")
        rows = s.execute(select(Suggestion.id, Suggestion.title, Suggestion.body,
                                case((Suggestion.topic_source.in_(gold), Suggestion.topic), else_=None),
                                case((Suggestion.department_source.in_(gold), Suggestion.department), else_=None),
                                Suggestion.dup_group, Suggestion.external_id, Suggestion.place)
                         .where(Suggestion.merged_into.is_(None))).all()
        fixes: dict[tuple[int, str], str] = {}
        for c in s.scalars(select(Correction).order_by(Correction.id)):
            fixes[(c.suggestion_id, c.field)] = c.after
    out = []
    for sid, title, body, topic, dep, group, ext, place in rows:
        topic = fixes.get((sid, "topic"), topic)
        dep = fixes.get((sid, "department"), dep)
        if topic and dep:
            out.append((sid, item_text(title, body), topic, dep, group or ext or f"#{sid}", place))
    return out


def is_held_out(group: str, share: float) -> bool:
    """A fixed part of the corpus that training never fits or tunes on, chosen by a hash of the item's
    duplicate group (or its id): near-copies stay on one side, and the part stays put as the corpus grows."""
    return int(hashlib.sha1(group.encode("utf-8")).hexdigest()[:8], 16) % 1000 < share * 1000


def department_probabilities(model: RoutingModel, raw: np.ndarray, evidence: list[Any]) -> np.ndarray:
    """The department decision as the router makes it, one column per ``model.department_ids``."""
    ids = model.department_ids
    rows = [department_distribution(model, row, ev) for row, ev in zip(raw, evidence, strict=True)]
    return np.array([[d.get(c, 0.0) for c in ids] for d in rows])


def _label_index(classes: list[str], labels: Any) -> np.ndarray:
    return np.array([classes.index(t) if t in classes else -1 for t in labels])


def choose_thresholds(p_topic: np.ndarray, y_topic: np.ndarray, p_dep: np.ndarray, y_dep: np.ndarray,
                      target: float) -> dict[str, float]:
    """One review threshold per decision, each the lowest that keeps ``target`` precision on these
    (out-of-fold) probabilities: a topic can be sure while the department is not, and the other way round."""
    return {"topic": threshold_for_precision(p_topic, y_topic, target)["threshold"],
            "department": threshold_for_precision(p_dep, y_dep, target)["threshold"]}


def _share(mask: np.ndarray, right: np.ndarray) -> dict[str, float | None]:
    return {"coverage": float(mask.mean()), "precision": float(right[mask].mean()) if mask.any() else None}


def held_out_metrics(model: RoutingModel, docs: list[list[str]], vecs: np.ndarray | None,
                     evidence: list[Any], topics: np.ndarray, deps: np.ndarray, thresholds: dict[str, float],
                     target: float) -> dict[str, Any]:
    """Topic, department and joint figures of ``model`` on held-out items, and what its review thresholds
    (chosen elsewhere, never on these items) do there: the share decided without a person and how often
    that decision is right, per decision and for both together, with coverage/precision curves."""
    p_topic = model.topic.predict_proba(docs, vecs)
    p_dep_raw = model.department.predict_proba(docs, vecs)
    p_dep = department_probabilities(model, p_dep_raw, evidence)
    units = getattr(model, "district_units", ())
    dep_ids = model.department_ids
    metrics = {
        "topic": evaluate(p_topic, list(topics), model.topic.classes_),
        # the classifier's own answer, district governments as one class, before any evidence
        "department_classifier_only": evaluate(p_dep_raw, [department_label(d, units) for d in deps],
                                               model.department.classes_),
        "department": evaluate(p_dep, list(deps), dep_ids),
    }
    topic_right = p_topic.argmax(1) == _label_index(model.topic.classes_, topics)
    dep_right = p_dep.argmax(1) == _label_index(dep_ids, deps)
    both_right = topic_right & dep_right
    topic_auto, dep_auto = p_topic.max(1) >= thresholds["topic"], p_dep.max(1) >= thresholds["department"]
    both_auto = topic_auto & dep_auto
    joint = np.minimum(p_topic.max(1), p_dep.max(1))
    joint2 = np.stack([1 - joint, joint], axis=1)  # a two-column "probability" whose argmax 1 = both right
    metrics["review"] = {
        "target_precision": target,
        "thresholds": thresholds,
        "topic": _share(topic_auto, topic_right),
        "department": _share(dep_auto, dep_right),
        "both": _share(both_auto, both_right),
        "joint_accuracy": float(both_right.mean()),
        "coverage_curve": {"topic": metrics["topic"]["coverage_curve"],
                           "department": metrics["department"]["coverage_curve"],
                           "joint": coverage_curve(joint2, both_right.astype(int), 20)},
    }
    return metrics


def describe_review(review: dict[str, Any]) -> str:
    """One line for the training log and the CLI: what the thresholds do on held-out items."""
    def part(key: str) -> str:
        r = review[key]
        prec = "n/a" if r["precision"] is None else f"{r['precision']:.3f}"
        return f"{key} {r['coverage']:.0%} at precision {prec}"

    t = review["thresholds"]
    return (f"review thresholds topic {t['topic']:.3f}, department {t['department']:.3f}; decided without a "
            f"person on held-out items: {part('topic')}, {part('department')}, {part('both')} (joint accuracy "
            f"of all items {review['joint_accuracy']:.3f})")


def train_router(db: Database, pipeline: TextPipeline, out_dir: Path, config: TrainConfig | None = None,
                 log: Callable[[str], None] = lambda _m: None,
                 vectors: Callable[[list[int], list[str]], np.ndarray] | None = None,
                 embedding: dict[str, Any] | None = None,
                 previous: tuple[RoutingModel, dict[str, float]] | None = None,
                 force: bool = False) -> dict[str, Any]:
    """``vectors(ids, clean_texts)`` gives the stored sentence vectors when the config puts them beside the
    words (``dense_weight`` > 0); ``embedding`` names the model they come from, recorded in the manifest.
    ``previous`` is the model in service with its thresholds, measured on the same held-out items."""
    config = config or TrainConfig(target_precision=0.9)
    items = labelled_items(db)
    if len(items) < 50:
        raise BadInputError(f"only {len(items)} labelled suggestions; need at least 50 to train routing")
    texts = [pipeline.clean(x[1]) for x in items]
    docs = [pipeline.segmenter.tokens(t) for t in texts]
    topics = np.array([x[2] for x in items])
    deps = np.array([x[3] for x in items])
    units = tuple(d.id for d in pipeline.taxonomy.departments if d.level == "district")
    dep_labels = np.array([department_label(d, units) for d in deps])
    dense = config.dense_weight > 0 and vectors is not None
    vecs = vectors([x[0] for x in items], texts) if dense else None
    log(f"{len(items)} labelled suggestions, {len(set(topics))} topics, {len(set(deps))} departments"
        + (" (words + sentence vectors)" if dense else ""))
    held = np.array([is_held_out(x[4], config.holdout) for x in items])
    tr, te = np.nonzero(~held)[0], np.nonzero(held)[0]

    def fit(rows: np.ndarray, labels: np.ndarray) -> tuple[Any, np.ndarray]:
        model = config.model() if dense else replace(config, dense_weight=0.0).model()
        return model.fit_out_of_fold([docs[i] for i in rows], list(labels[rows]),
                                     None if vecs is None else vecs[rows])

    (held_topic, oof_topic), (held_dep, oof_dep_raw) = fit(tr, topics), fit(tr, dep_labels)
    signals = DepartmentSignals(pipeline.taxonomy, pipeline.segmenter)
    evidence = [signals.evidence(texts[i], docs[i], items[i][5]) for i in range(len(items))]
    model = RoutingModel(held_topic, held_dep, embedding if dense else None, units)
    # Thresholds from the training part's out-of-fold probabilities, so the held-out figures below measure
    # them honestly instead of being the figures they were tuned to.
    oof_dep = department_probabilities(model, oof_dep_raw, [evidence[i] for i in tr])
    thresholds = choose_thresholds(oof_topic, _label_index(held_topic.classes_, topics[tr]), oof_dep,
                                   _label_index(model.department_ids, deps[tr]), config.target_precision)
    te_docs, te_vecs, te_ev = [docs[i] for i in te], None if vecs is None else vecs[te], [evidence[i] for i in te]
    metrics = held_out_metrics(model, te_docs, te_vecs, te_ev, topics[te], deps[te], thresholds,
                               config.target_precision)
    review = metrics["review"]
    log(f"held-out ({len(te)} items) topic macro-F1 {metrics['topic']['macro_f1']:.3f}, department accuracy "
        f"{metrics['department']['accuracy']:.3f} (classifier alone "
        f"{metrics['department_classifier_only']['accuracy']:.3f})")
    log(describe_review(review))
    for name in ("topic", "department", "joint"):
        log(f"{name} on held-out items, " + format_curve(review["coverage_curve"][name]))
    # The shipped model is the one measured: it never saw the held-out part, so the next retraining can compare
    # itself with this one on the same unseen items.
    if previous is not None:
        old_model, old_thresholds = previous
        old_metrics = held_out_metrics(old_model, te_docs, te_vecs if old_model.embedding else None, te_ev,
                                       topics[te], deps[te], old_thresholds, config.target_precision)
        old = {"joint_accuracy": old_metrics["review"]["joint_accuracy"],
               "department_accuracy": old_metrics["department"]["accuracy"],
               "review": {k: old_metrics["review"][k] for k in ("thresholds", "topic", "department", "both")}}
        metrics["previous_model"] = old
        log(f"previous model on the same held-out items: joint accuracy {old['joint_accuracy']:.3f}, department "
            f"accuracy {old['department_accuracy']:.3f}; {describe_review(old_metrics['review'])}")
        worse = (review["joint_accuracy"] < old["joint_accuracy"] - 0.01 or
                 metrics["department"]["accuracy"] < old["department_accuracy"] - 0.01)
        if worse and not force:
            raise RetrainRefusedError(
                f"the new routing model is worse on the same {len(te)} held-out items (joint accuracy "
                f"{review['joint_accuracy']:.3f} vs {old['joint_accuracy']:.3f}, department accuracy "
                f"{metrics['department']['accuracy']:.3f} vs {old['department_accuracy']:.3f}); the current "
                "model stays (force=True replaces it anyway)")
    manifest = {
        "kind": "routing",
        "name": "routing",
        "labels": {"topic": model.topic.classes_, "department": model.department_ids},
        "training": {"config": vars(config), "source": "database", "rows": len(items),
                     "corpus_sha256": corpus_checksum(texts, [f"{t}|{d}" for t, d in zip(topics, deps,
                                                                                           strict=True)])},
        "metrics": metrics,
        "split": {"held_out": int(held.sum()), "trained": int((~held).sum()),
                  "how": "a fixed share of duplicate groups (or single items), by hash: no near-copies across"},
        "embedding": embedding if dense else None,
        "review_thresholds": thresholds,
    }
    save_artifact(model, out_dir, manifest)
    return manifest
