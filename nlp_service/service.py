"""The service facade: one object that the API, the CLI, the training scripts and the reports all call.

It composes the components and holds no logic of its own beyond deciding what to build when.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from nlp_service.errors import ModelNotReadyError, NotFoundError
from nlp_service.pipeline import TextPipeline
from nlp_service.records import SuggestionIn
from nlp_service.roles import SYSTEM, Principal, Role, may_see_personal_data
from nlp_service.settings import Settings
from nlp_service.storage.db import Database


class Service:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._lock = threading.Lock()

    # --- components, built on first use -------------------------------------------------------------------
    @cached_property
    def pipeline(self) -> TextPipeline:
        return TextPipeline(self.settings.corpora_dir, self.settings.max_text_chars)

    @cached_property
    def db(self) -> Database:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return Database(self.settings.db_url)

    @cached_property
    def router(self):
        from nlp_service.classify.artifact import load_artifact
        from nlp_service.department_signals import DepartmentSignals
        from nlp_service.routing import Router

        model_dir = self.settings.routing_model_dir
        if not (model_dir / "manifest.json").is_file():
            raise ModelNotReadyError(f"no routing model in {model_dir}; run `nlp-service setup` to train it")
        model, manifest = load_artifact(model_dir)
        tx = self.pipeline.taxonomy
        names = {t.id: t.name for t in tx.topics} | {d.id: d.name for d in tx.departments}
        threshold = self.settings.review_threshold
        if threshold is None:
            threshold = manifest.get("review_threshold", 0.5)
        return Router(model, DepartmentSignals(tx, self.pipeline.segmenter), threshold,
                      f"routing@{manifest['created']}", names)

    # --- set-up ------------------------------------------------------------------------------------------
    def setup(self, log: Callable[[str], None] = print) -> dict[str, Any]:
        """Everything the run command needs on a fresh machine; steps already done are skipped."""
        from nlp_service.corpus import seed_database

        seeded = seed_database(self.db, self.settings.corpora_dir)
        if seeded["suggestions"]:
            log(f"loaded the embedded corpus: {seeded['suggestions']} suggestions, {seeded['news']} news")
        if not (self.settings.routing_model_dir / "manifest.json").is_file():
            log("training the routing models on the embedded corpus ...")
            self.train_router(log)
        return seeded

    def train_router(self, log: Callable[[str], None] = print) -> dict[str, Any]:
        from nlp_service.routing_training import train_router

        manifest = train_router(self.db, self.pipeline, self.settings.routing_model_dir, log=log)
        self.__dict__.pop("router", None)
        return manifest

    # --- routing -----------------------------------------------------------------------------------------
    def route(self, text: str) -> dict[str, Any]:
        clean = self.pipeline.clean(text)
        return self.router.route(clean, self.pipeline.segmenter.tokens(clean))

    # --- import / export ---------------------------------------------------------------------------------
    def import_file(self, path: Path, mapping: dict[str, str] | None = None, mode: str = "good_rows",
                    encoding: str = "utf-8", actor: str = "cli", progress: Callable[[int], None] | None = None
                    ) -> dict[str, Any]:
        from nlp_service.io.importer import import_file

        return import_file(self.db, path, mapping, mode, encoding=encoding, actor=actor,
                           progress=progress).to_dict()

    def export_file(self, path: Path, role: Role, fmt: str | None = None, **filters: Any) -> int:
        from nlp_service.io.exporter import export_rows, suggestion_row
        from nlp_service.storage.repository import SuggestionFilter, list_suggestions

        with self.db.session() as s:
            items = list_suggestions(s, SuggestionFilter(**filters), limit=None, newest_first=False)
            return export_rows((suggestion_row(x, role) for x in items), path, fmt)

    # --- suggestions -------------------------------------------------------------------------------------
    def submit(self, rec: SuggestionIn, who: Principal = SYSTEM) -> dict[str, Any]:
        """Store, route and record the decision in one transaction; the response carries all of it."""
        from nlp_service.review import record_prediction
        from nlp_service.storage.repository import upsert_suggestions

        if who.role == Role.submitter:
            rec = rec.model_copy(update={"submitter": who.name, "topic": None, "department": None})
        routed = self.route(rec.text)
        with self.db.session() as s:
            ids, _, _ = upsert_suggestions(s, [rec], actor=who.name)
            sid = ids[0] if ids else None
            if sid is None:  # an update of an existing external id
                from nlp_service.storage.repository import find_by_external_ids

                sid = find_by_external_ids(s, [rec.external_id])[rec.external_id]
            record_prediction(s, sid, routed, who.name)
        return {"id": sid, "routing": routed}

    def get(self, suggestion_id: int, who: Principal = SYSTEM) -> dict[str, Any]:
        from nlp_service.storage.repository import get_suggestion

        with self.db.session() as s:
            row = get_suggestion(s, suggestion_id)
            if who.role == Role.submitter and row.submitter != who.name:
                raise NotFoundError(f"suggestion {suggestion_id} does not exist")  # do not reveal it exists
            return suggestion_view(row, who)

    def correct(self, suggestion_id: int, who: Principal, topic: str | None = None,
                department: str | None = None) -> dict[str, Any]:
        from nlp_service.review import correct

        self._check_labels(topic, department)
        with self.db.session() as s:
            fixes = correct(s, suggestion_id, who.name, topic, department)
            return {"id": suggestion_id, "corrections": [
                {"field": c.field, "before": c.before, "after": c.after} for c in fixes]}

    def accept(self, suggestion_id: int, who: Principal) -> dict[str, Any]:
        from nlp_service.review import accept

        with self.db.session() as s:
            fixes = accept(s, suggestion_id, who.name)
            return {"id": suggestion_id, "accepted": {c.field: c.after for c in fixes}}

    def review_queue(self, offset: int = 0, limit: int = 50, who: Principal = SYSTEM) -> dict[str, Any]:
        from nlp_service.review import review_queue

        with self.db.session() as s:
            items, total = review_queue(s, offset, limit)
            return {"total": total, "offset": offset, "limit": limit, "items": [
                {**suggestion_view(row, who), "prediction": {
                    "topic": p.topic, "topic_probability": p.topic_probability, "department": p.department,
                    "department_probability": p.department_probability, "model_version": p.model_version,
                    "alternatives": p.detail}} for row, p in items]}

    def live_accuracy(self) -> dict[str, Any]:
        from nlp_service.review import live_accuracy

        with self.db.session() as s:
            return live_accuracy(s)

    def _check_labels(self, topic: str | None, department: str | None) -> None:
        from nlp_service.errors import BadInputError

        tx = self.pipeline.taxonomy
        if topic is not None and topic not in tx.topic_by_id:
            raise BadInputError(f"unknown topic {topic!r}")
        if department is not None and department not in tx.department_by_id:
            raise BadInputError(f"unknown department {department!r}")


def suggestion_view(row: Any, who: Principal) -> dict[str, Any]:
    """What a caller may see of one suggestion: personal data masked unless the role allows it."""
    from nlp_service.text.pii import mask_pii

    own = row.submitter is not None and row.submitter == who.name
    show = may_see_personal_data(who.role) or own

    def m(text: str | None) -> str | None:
        return text if (show or not text) else mask_pii(text)

    return {
        "id": row.id, "external_id": row.external_id, "title": m(row.title), "body": m(row.body),
        "submitted": row.submitted.isoformat() if row.submitted else None, "channel": row.channel,
        "submitter_group": row.submitter_group, "place": row.place, "topic": row.topic,
        "department": row.department, "status": row.status, "reply": m(row.reply),
        "replied": row.replied.isoformat() if row.replied else None, "dup_group": row.dup_group,
        "merged_into": row.merged_into, "likes": row.likes,
        "history": [{"status": e.status, "date": e.date.isoformat() if e.date else None, "note": m(e.note)}
                    for e in row.events],
    }
