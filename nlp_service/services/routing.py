"""Routing and review: route a text, record staff corrections and acceptances, the review queue, live
accuracy, and retraining the routing models from the database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nlp_service.access.roles import SYSTEM, Principal
from nlp_service.access.views import suggestion_view
from nlp_service.domain.taxonomy import Taxonomy
from nlp_service.errors import BadInputError, NLPServiceError
from nlp_service.routing import review
from nlp_service.routing.router import Router
from nlp_service.storage.db import Database
from nlp_service.text.document import Analyzer
from nlp_service.text.pipeline import TextPipeline


class RoutingService:
    def __init__(self, db: Database, pipeline: TextPipeline, analyzer: Analyzer, router: Callable[[], Router],
                 model_dir: Path, config_path: Path, on_trained: Callable[[], None],
                 vectors: Callable[[list[int], list[str]], np.ndarray] | None = None,
                 embedding: Callable[[], dict[str, str]] | None = None) -> None:
        self.db, self.pipeline, self.analyzer, self.router = db, pipeline, analyzer, router
        self.model_dir, self.config_path, self.on_trained = model_dir, config_path, on_trained
        self.vectors, self.embedding = vectors, embedding

    def route(self, text: str, place: str | None = None) -> dict[str, Any]:
        router = self.router()
        doc = self.analyzer.analyze(text, vector=router.model.embedding is not None, entities=False)
        return router.route(doc, place=place)

    def train(self, log: Callable[[str], None] = print, config: Any = None, force: bool = False) -> dict[str, Any]:
        """Topic + department models from the database (imported labels and staff corrections and acceptances;
        never the router's own decisions). When a model is in service it is measured on the same held-out
        items first, and a worse new model does not replace it unless ``force``."""
        from nlp_service.classify.training import TrainConfig
        from nlp_service.routing.training import train_router

        if config is None:
            # Topic and department must both be right to skip review; 0.9 of those, not 0.97, on a corpus this
            # size (0.97 routes nothing automatically: see the coverage curve in the manifest).
            config = (TrainConfig.from_file(self.config_path) if self.config_path.is_file()
                      else TrainConfig(target_precision=0.9))
        previous = None
        if (self.model_dir / "manifest.json").is_file():
            try:
                router = self.router()
                previous = (router.model, router.thresholds)
            except NLPServiceError as e:  # unreadable or built for another encoder: nothing to compare with
                log(f"the current routing model cannot be compared ({e}); replacing it")
        manifest = train_router(self.db, self.pipeline, self.model_dir, config, log=log, vectors=self.vectors,
                                embedding=self.embedding() if self.embedding else None, previous=previous,
                                force=force)
        self.on_trained()
        return manifest

    def correct(self, suggestion_id: int, who: Principal, topic: str | None = None,
                department: str | None = None) -> dict[str, Any]:
        _check_labels(self.pipeline.taxonomy, topic, department)
        with self.db.session() as s:
            fixes = review.correct(s, suggestion_id, who.name, topic, department)
            return {"id": suggestion_id, "corrections": [
                {"field": c.field, "before": c.before, "after": c.after} for c in fixes]}

    def accept(self, suggestion_id: int, who: Principal) -> dict[str, Any]:
        with self.db.session() as s:
            fixes = review.accept(s, suggestion_id, who.name)
            return {"id": suggestion_id, "accepted": {c.field: c.after for c in fixes}}

    def review_queue(self, offset: int = 0, limit: int = 50, who: Principal = SYSTEM) -> dict[str, Any]:
        with self.db.session() as s:
            items, total = review.review_queue(s, offset, limit)
            return {"total": total, "offset": offset, "limit": limit, "items": [
                {**suggestion_view(row, who), "prediction": {
                    "topic": p.topic, "topic_probability": p.topic_probability, "department": p.department,
                    "department_probability": p.department_probability, "model_version": p.model_version,
                    "alternatives": p.detail}} for row, p in items]}

    def live_accuracy(self) -> dict[str, Any]:
        with self.db.session() as s:
            return review.live_accuracy(s)

    def quality(self) -> dict[str, Any]:
        """What staff need to trust automatic routing: the thresholds in force, what they did on held-out
        items (share decided without a person, and how often right, per decision), the coverage curves, and
        the live accuracy of reviewed decisions."""
        from nlp_service.classify.artifact import read_manifest

        router = self.router()
        manifest = read_manifest(self.model_dir)
        held = manifest.get("metrics", {}).get("review", {})
        return {"model_version": router.version, "thresholds": router.thresholds,
                "target_precision": held.get("target_precision"),
                "held_out": {"items": manifest.get("split", {}).get("held_out"),
                             "how": manifest.get("split", {}).get("how"),
                             **{k: held.get(k) for k in ("topic", "department", "both", "joint_accuracy")}},
                "coverage_curve": held.get("coverage_curve"), "live": self.live_accuracy()}


def _check_labels(tx: Taxonomy, topic: str | None, department: str | None) -> None:
    if topic is not None and topic not in tx.topic_by_id:
        raise BadInputError(f"unknown topic {topic!r}")
    if department is not None and department not in tx.department_by_id:
        raise BadInputError(f"unknown department {department!r}")
