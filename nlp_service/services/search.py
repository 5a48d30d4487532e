"""Search and similar items: the query text is analysed once and both indexes read the same Document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nlp_service.access.roles import SYSTEM, Principal
from nlp_service.access.views import masker, redact
from nlp_service.domain.records import item_text
from nlp_service.errors import BadInputError
from nlp_service.index.store import IndexStore
from nlp_service.pairs.judge import PairJudge
from nlp_service.search.hybrid import SearchRequest, run_search
from nlp_service.search.similar import Query, similar_suggestions
from nlp_service.storage.db import Database
from nlp_service.storage.repository import get_suggestion
from nlp_service.text.document import Analyzer


class SearchService:
    def __init__(self, db: Database, analyzer: Analyzer, indexes: Callable[[], IndexStore],
                 judge: Callable[[], PairJudge]) -> None:
        self.db, self.analyzer, self.indexes, self.judge = db, analyzer, indexes, judge

    def similar(self, text: str | None = None, suggestion_id: int | None = None, k: int = 5,
                who: Principal = SYSTEM) -> list[dict[str, Any]]:
        """Similar past proposals for a new text, or for a stored suggestion ("more like this")."""
        store = self.indexes()  # before the session: catching up with other writers opens its own
        with self.db.session() as s:
            place = submitted = query_id = None
            exclude: set[int] = set()
            if suggestion_id is not None:
                row = get_suggestion(s, suggestion_id)
                text, place, submitted = item_text(row.title, row.body), row.place, row.submitted
                exclude, query_id = {row.id}, row.id
            if not text:
                raise BadInputError("give a text or a suggestion id")
            doc = self.analyzer.analyze(text)
            found = similar_suggestions(s, store, Query(doc, place, submitted), self.judge(), k, exclude, query_id)
            return redact(found, who)

    def search(self, req: SearchRequest, who: Principal = SYSTEM) -> dict[str, Any]:
        store = self.indexes()  # before the session (see similar)
        with self.db.session() as s:
            text = req.query
            if req.like_id is not None:
                row = get_suggestion(s, req.like_id)
                text = item_text(row.title, row.body)
            if not text.strip():
                return run_search(s, store, req, [], None, masker(who))
            doc = self.analyzer.analyze(text, vector=req.mode != "keyword", entities=False)
            return run_search(s, store, req, doc.tokens, doc.vector, masker(who))
