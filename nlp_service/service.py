"""The service facade: one object that the API, the CLI, the training scripts and the reports all call.

It composes the components and holds no logic of its own beyond deciding what to build when.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from nlp_service.errors import ModelNotReadyError
from nlp_service.pipeline import TextPipeline
from nlp_service.roles import Role
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
    def router(self):  # noqa: ANN201 - Router, imported lazily
        from nlp_service.classify.artifact import load_artifact
        from nlp_service.department_signals import DepartmentSignals
        from nlp_service.routing import Router

        model_dir = self.settings.routing_model_dir
        if not (model_dir / "manifest.json").is_file():
            raise ModelNotReadyError(f"no routing model in {model_dir}; run `nlp-service setup` to train it")
        model, manifest = load_artifact(model_dir)
        tx = self.pipeline.taxonomy
        names = {t.id: t.name for t in tx.topics} | {d.id: d.name for d in tx.departments}
        threshold = self.settings.review_threshold or manifest.get("review_threshold") or 0.5
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
