"""Keeps the derived indexes (FAISS vectors, BM25 keywords) in step with the database.

The database holds every item and, in ``embeddings``, its vector under the current model. At start-up
``sync`` embeds what lacks a vector, drops vectors of deleted items, and reconciles the saved FAISS file with
the table, so a crash between a commit and an index save is repaired rather than lost.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nlp_service.domain.records import item_text
from nlp_service.index.bm25 import BM25Index
from nlp_service.index.vectors import VectorIndex
from nlp_service.storage.db import Database
from nlp_service.storage.models import Embedding, News, Suggestion
from nlp_service.text.document import Document

log = logging.getLogger(__name__)
KINDS = ("suggestion", "news")
_TABLE = {"suggestion": Suggestion, "news": News}


class TextEncoder(Protocol):
    dim: int

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


def text_sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass
class SyncReport:
    embedded: int = 0
    removed: int = 0
    index_repaired: int = 0
    items: int = 0

    def to_dict(self) -> dict[str, int]:
        return vars(self)


class IndexStore:
    """Per kind of item: one VectorIndex (semantic) and one BM25Index (keywords)."""

    def __init__(self, db: Database, encoder: TextEncoder, model_name: str, tokenize: Callable[[str], list[str]],
                 index_dir: Path, clean: Callable[[str], str] = lambda t: t, refresh_seconds: float = 2.0) -> None:
        self.db = db
        self.encoder = encoder
        self.model_name = model_name
        self.tokenize = tokenize
        self.clean = clean
        self.index_dir = index_dir
        self.vectors = {k: VectorIndex(encoder.dim) for k in KINDS}
        self.keywords = {k: BM25Index() for k in KINDS}
        self._write_lock = threading.Lock()
        self._sync_lock = threading.RLock()
        self.synced = False
        self._sha: dict[str, dict[int, str]] = {k: {} for k in KINDS}  # what the in-memory indexes hold
        self._fingerprint: dict[str, tuple] = {}
        self._checked = 0.0
        self.refresh_seconds = refresh_seconds

    # --- writing ------------------------------------------------------------------------------------------
    def documents(self, texts: Sequence[str]) -> list[Document]:
        """Stored texts as Documents for the indexes (no entities): what ``add`` and ``sync`` index."""
        cleans = [self.clean(t) for t in texts]
        vecs = self.encoder.encode(cleans) if cleans else np.zeros((0, self.encoder.dim), np.float32)
        return [Document(t, c, self.tokenize(c), v) for t, c, v in zip(texts, cleans, vecs, strict=True)]

    def stored_vectors(self, kind: str, ids: Sequence[int], texts: Sequence[str]) -> np.ndarray:
        """The indexed vectors of these items (what routing trains on), embedding only those not indexed."""
        found = [self.vectors[kind].vector(i) for i in ids]
        missing = [n for n, v in enumerate(found) if v is None]
        if missing:
            for n, v in zip(missing, self.encoder.encode([self.clean(texts[n]) for n in missing]), strict=True):
                found[n] = v
        return np.stack(found)

    def stage(self, session: Session, kind: str, ids: Sequence[int], docs: Sequence[Document]) -> None:
        """Write vectors in the caller's transaction: the item and its vector commit together."""
        for item_id, doc in zip(ids, docs, strict=True):
            vector = np.asarray(doc.vector, np.float32).tobytes()
            session.merge(Embedding(kind=kind, item_id=item_id, model=self.model_name,
                                    text_sha1=text_sha1(doc.text), vector=vector))

    def publish(self, kind: str, ids: Sequence[int], docs: Sequence[Document]) -> None:
        """After commit: make the items searchable."""
        self.vectors[kind].upsert(list(ids), np.stack([d.vector for d in docs]))
        for item_id, doc in zip(ids, docs, strict=True):
            self.keywords[kind].upsert(item_id, doc.tokens)
            self._sha[kind][item_id] = text_sha1(doc.text)

    def remove(self, kind: str, ids: Iterable[int]) -> None:
        ids = list(ids)
        with self.db.session() as s:
            s.execute(delete(Embedding).where(Embedding.kind == kind, Embedding.item_id.in_(ids)))
        self.vectors[kind].remove(ids)
        for i in ids:
            self.keywords[kind].remove(i)
            self._sha[kind].pop(i, None)

    def save(self) -> None:
        with self._write_lock:
            for kind in KINDS:
                self.vectors[kind].save(self._path(kind), {"model": self.model_name})

    def _path(self, kind: str) -> Path:
        return self.index_dir / f"vectors-{kind}.npz"

    # --- start-up -----------------------------------------------------------------------------------------
    def sync(self, progress: Callable[[str], None] = lambda _m: None, rebuild: bool = False) -> dict[str, Any]:
        """Make the indexes agree with the database; returns what had to be done, per kind. ``rebuild``
        ignores the saved vector files and builds from the stored vectors."""
        with self._sync_lock:
            out = {kind: self._sync_kind(kind, progress, rebuild).to_dict() for kind in KINDS}
            self.save()
            self.synced = True
            # The indexes are millions of long-lived dicts and counters: left in the collector's generations,
            # every full collection walks them all (a 0.3 s pause in one search in a hundred at 100k items).
            # Frozen, they are skipped; what later edits add is collected as usual.
            gc.collect()
            gc.freeze()
        return out

    def ensure_synced(self) -> IndexStore:
        """Sync once per process before the first read; after that, catch up (at most every
        ``refresh_seconds``) with what other processes wrote: a CLI import, a second server."""
        if not self.synced:
            with self._sync_lock:
                if not self.synced:
                    self.sync()
        elif time.monotonic() - self._checked >= self.refresh_seconds:
            self.refresh()
        return self

    def _fingerprint_of(self, session: Session, kind: str) -> tuple:
        table = _TABLE[kind]
        changed = table.updated_at if hasattr(table, "updated_at") else table.created_at
        items = session.execute(select(func.count(table.id), func.max(table.id), func.max(changed))).one()
        vecs = session.execute(select(func.count(Embedding.item_id)).where(
            Embedding.kind == kind, Embedding.model == self.model_name)).scalar_one()
        return (*items, vecs)

    def refresh(self) -> dict[str, int]:
        """Bring in items other processes added, changed or deleted since the last look. One cheap query per
        kind when nothing changed; otherwise only the changed vectors are read (they were stored with their
        items), and items stored without one are embedded by a sync."""
        out = {}
        with self._sync_lock:
            self._checked = time.monotonic()
            for kind in KINDS:
                with self.db.session() as s:
                    fp = self._fingerprint_of(s, kind)
                    if fp == self._fingerprint.get(kind):
                        continue
                    stored = dict(s.execute(select(Embedding.item_id, Embedding.text_sha1).where(
                        Embedding.kind == kind, Embedding.model == self.model_name)).all())
                if fp[0] != len(stored):  # items without vectors: only a sync can embed them
                    out[kind] = self._sync_kind(kind, lambda _m: None).embedded
                    continue
                mine = self._sha[kind]
                gone = [i for i in mine if i not in stored]
                todo = [i for i, h in stored.items() if mine.get(i) != h]
                if gone:
                    self.vectors[kind].remove(gone)
                    for i in gone:
                        self.keywords[kind].remove(i)
                        mine.pop(i, None)
                for start in range(0, len(todo), 512):
                    self._load(kind, todo[start : start + 512])
                self._fingerprint[kind] = fp
                out[kind] = len(gone) + len(todo)
        return out

    def _load(self, kind: str, ids: list[int]) -> None:
        """Index stored items from their stored vectors (no embedding)."""
        table = _TABLE[kind]
        with self.db.session() as s:
            rows = s.execute(select(table.id, table.title, table.body, Embedding.vector, Embedding.text_sha1)
                             .join(Embedding, (Embedding.item_id == table.id) & (Embedding.kind == kind)
                                   & (Embedding.model == self.model_name)).where(table.id.in_(ids))).all()
        if rows:
            vecs = np.stack([np.frombuffer(r[3], np.float32) for r in rows])
            self.vectors[kind].upsert([r[0] for r in rows], vecs)
        for i, title, body, _v, sha in rows:
            self.keywords[kind].upsert(i, self.tokenize(self.clean(item_text(title, body))))
            self._sha[kind][i] = sha

    def _sync_kind(self, kind: str, progress: Callable[[str], None], rebuild: bool = False) -> SyncReport:
        table = _TABLE[kind]
        report = SyncReport()
        with self.db.session() as s:
            fingerprint = self._fingerprint_of(s, kind)  # before reading: a write during the sync shows later
            items = {i: item_text(t, b) for i, t, b in s.execute(select(table.id, table.title, table.body))}
            stored = {i: h for i, h in s.execute(select(Embedding.item_id, Embedding.text_sha1).where(
                Embedding.kind == kind, Embedding.model == self.model_name))}
            stale_rows = [i for i in stored if i not in items]
            if stale_rows:
                s.execute(delete(Embedding).where(Embedding.kind == kind, Embedding.item_id.in_(stale_rows)))
            s.execute(delete(Embedding).where(Embedding.kind == kind, Embedding.model != self.model_name))
        report.items, report.removed = len(items), len(stale_rows)
        todo = [i for i, text in items.items() if stored.get(i) != text_sha1(text)]
        if todo:
            progress(f"embedding {len(todo)} {kind} texts")
            for start in range(0, len(todo), 256):
                chunk = todo[start : start + 256]
                docs = self.documents([items[i] for i in chunk])
                with self.db.session() as s:
                    self.stage(s, kind, chunk, docs)
            report.embedded = len(todo)
        # Vectors: from the saved file where it agrees with the table, repaired where it does not.
        path = self._path(kind)
        index = VectorIndex(self.encoder.dim)
        if path.is_file() and not rebuild:
            try:
                loaded, meta = VectorIndex.load(path)
                if meta.get("model") == self.model_name and loaded.dim == self.encoder.dim:
                    index = loaded
            except (OSError, ValueError, KeyError) as e:
                log.warning("vector index %s unreadable (%s); rebuilding from the database", path, e)
        with self.db.session() as s:
            rows = s.execute(select(Embedding.item_id, Embedding.text_sha1, Embedding.vector).where(
                Embedding.kind == kind, Embedding.model == self.model_name)).all()
        in_db = {i for i, _, _ in rows}
        extra = index.ids() - in_db
        index.remove(list(extra))
        changed = set(todo)
        missing = [(i, v) for i, _, v in rows if i not in index.ids() or i in changed]
        if missing:
            index.upsert([i for i, _ in missing], np.stack([np.frombuffer(v, np.float32) for _, v in missing]))
        report.index_repaired = len(extra) + len(missing)
        self.vectors[kind] = index
        bm25 = BM25Index()
        for i, text in items.items():
            bm25.upsert(i, self.tokenize(self.clean(text)))
        self.keywords[kind] = bm25
        self._sha[kind] = {i: text_sha1(text) for i, text in items.items()}
        self._fingerprint[kind] = fingerprint
        self._checked = time.monotonic()
        return report
