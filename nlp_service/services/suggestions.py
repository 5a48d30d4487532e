"""Suggestions: store, route and find similar items in one pass over the text; list, update, merge, delete,
import and export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from nlp_service.access.roles import SYSTEM, Principal, Role
from nlp_service.access.views import redact, suggestion_view
from nlp_service.domain.records import SuggestionIn
from nlp_service.errors import BadInputError, ConflictError, NotFoundError
from nlp_service.index.store import IndexStore
from nlp_service.pairs.judge import PairJudge
from nlp_service.routing.review import record_prediction
from nlp_service.routing.router import Router
from nlp_service.search.similar import Query, similar_suggestions
from nlp_service.storage import repository as repo
from nlp_service.storage.db import Database
from nlp_service.text.document import Analyzer


class SuggestionService:
    def __init__(self, db: Database, analyzer: Analyzer, router: Callable[[], Router],
                 indexes: Callable[[], IndexStore], indexes_ready: Callable[[], bool],
                 judge: Callable[[], PairJudge]) -> None:
        self.db, self.analyzer, self.router, self.indexes, self.judge = db, analyzer, router, indexes, judge
        self.indexes_ready = indexes_ready  # whether imports can index now (else the start-up sync will)

    def submit(self, rec: SuggestionIn, who: Principal = SYSTEM) -> dict[str, Any]:
        """Store, route and record the decision in one transaction; the response carries all of it.

        Only staff and admins may update an item by its external id (and only the fields they send); a
        submitter's external id that is already stored is a conflict, never an overwrite. A submitter's
        answer carries no other citizen's items: similar items and duplicates are for staff.
        """
        if who.role == Role.submitter:
            rec = rec.model_copy(update={"submitter": who.name, "topic": None, "department": None})
        doc = self.analyzer.analyze(rec.text)  # cleaned, segmented, tagged and embedded once
        routed = self.router().route(doc, place=rec.place)
        store = self.indexes()
        with self.db.session() as s:
            known = rec.external_id and repo.find_by_external_ids(s, [rec.external_id])
            if known and who.role == Role.submitter:
                raise ConflictError(f"external id {rec.external_id!r} is taken; leave it out or choose another")
            ids, _, updated = repo.upsert_suggestions(s, [rec], actor=who.name)
            sid = ids[0]
            record_prediction(s, sid, routed, who.name)
            store.stage(s, "suggestion", [sid], [doc])  # item and vector commit together
            similar = similar_suggestions(s, store, Query(doc, rec.place, rec.submitted), self.judge(), 5,
                                          {sid})
        store.publish("suggestion", [sid], [doc])
        similar = [] if who.role == Role.submitter else redact(similar, who)
        return {"id": sid, "updated": bool(updated), "routing": routed, "similar": similar,
                "duplicate_of": [x["id"] for x in similar if x["duplicate"]]}

    def get(self, suggestion_id: int, who: Principal = SYSTEM) -> dict[str, Any]:
        with self.db.session() as s:
            row = repo.get_suggestion(s, suggestion_id)
            if who.role == Role.submitter and row.submitter != who.name:
                raise NotFoundError(f"suggestion {suggestion_id} does not exist")  # do not reveal it exists
            return suggestion_view(row, who)

    def list_items(self, filters: dict[str, Any], offset: int = 0, limit: int = 50, who: Principal = SYSTEM
                   ) -> dict[str, Any]:
        flt = repo.SuggestionFilter(**filters)
        if who.role == Role.submitter:
            flt.submitter = who.name
        with self.db.session() as s:
            rows = repo.list_suggestions(s, flt, offset, limit)
            return {"total": repo.count_suggestions(s, flt), "offset": offset, "limit": limit,
                    "items": [suggestion_view(r, who) for r in rows]}

    def set_status(self, suggestion_id: int, status: str, when: Any, note: str | None, who: Principal
                   ) -> dict[str, Any]:
        with self.db.session() as s:
            return suggestion_view(repo.add_status(s, suggestion_id, status, when, note, who.name), who)

    def merge(self, suggestion_id: int, into: int, who: Principal) -> dict[str, Any]:
        with self.db.session() as s:
            try:
                primary = repo.merge_into(s, suggestion_id, into, who.name)
            except ValueError as e:
                raise BadInputError(str(e)) from None
            return suggestion_view(primary, who)

    def judge_pair(self, suggestion_id: int, other: int, same: bool, who: Principal) -> dict[str, Any]:
        """A staff answer to "same issue?"; "not the same" keeps the pair apart in the duplicate flag and the
        hot-issue groups from then on."""
        with self.db.session() as s:
            try:
                return repo.judge_pair(s, suggestion_id, other, same, who.name)
            except ValueError as e:
                raise BadInputError(str(e)) from None

    def delete(self, suggestion_id: int, who: Principal) -> None:
        with self.db.session() as s:
            repo.delete_suggestion(s, suggestion_id, who.name)
        if self.indexes_ready():
            self.indexes().remove("suggestion", [suggestion_id])

    def import_file(self, path: Path, mapping: dict[str, str] | None = None, mode: str = "good_rows",
                    encoding: str = "utf-8", actor: str = "cli", progress: Callable[[int], None] | None = None
                    ) -> dict[str, Any]:
        from sqlalchemy import select

        from nlp_service.domain.records import item_text
        from nlp_service.io.importer import import_file
        from nlp_service.storage.models import Suggestion

        store = self.indexes() if self.indexes_ready() else None
        staged: list[tuple[list[int], list[Any]]] = []

        def with_vectors(session: Any, ids: list[int]) -> None:
            """Inside the import's transaction: each item's vector commits with it, or neither does."""
            for start in range(0, len(ids), 256):
                chunk = ids[start : start + 256]
                rows = dict((i, item_text(t, b)) for i, t, b in session.execute(
                    select(Suggestion.id, Suggestion.title, Suggestion.body).where(Suggestion.id.in_(chunk))))
                docs = store.documents([rows[i] for i in chunk])
                store.stage(session, "suggestion", chunk, docs)
                staged.append((chunk, docs))

        report = import_file(self.db, path, mapping, mode, encoding=encoding, actor=actor, progress=progress,
                             on_written=with_vectors if store is not None else None)
        for chunk, docs in staged:  # committed: now searchable
            store.publish("suggestion", chunk, docs)
        if staged:
            store.save()
        return report.to_dict()

    def export_file(self, path: Path, role: Role, fmt: str | None = None, **filters: Any) -> int:
        from nlp_service.io.exporter import export_rows, suggestion_row

        with self.db.session() as s:
            items = repo.list_suggestions(s, repo.SuggestionFilter(**filters), limit=None, newest_first=False)
            return export_rows((suggestion_row(x, role) for x in items), path, fmt)
