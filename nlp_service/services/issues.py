"""Issues over the whole corpus: topical clusters with stable ids, adoption rates, duplicate groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nlp_service.access.roles import SYSTEM, Principal
from nlp_service.access.views import redact
from nlp_service.index.store import IndexStore
from nlp_service.issues.adoption import adoption_stats, check_grouping
from nlp_service.issues.clusters import LOCK, assignments
from nlp_service.issues.duplicates import find_groups
from nlp_service.issues.report import build_report
from nlp_service.search.similar import DUPLICATE_THRESHOLD
from nlp_service.storage.db import Database
from nlp_service.storage.models import Suggestion


class IssueService:
    def __init__(self, db: Database, indexes: Callable[[], IndexStore]) -> None:
        self.db, self.indexes = db, indexes

    def clusters(self, recompute: bool = False, since: Any = None, until: Any = None, who: Principal = SYSTEM
                 ) -> dict[str, Any]:
        """Issue clusters of the whole corpus with stable ids, described over the items submitted in
        [since, until]. Computed and stored on first use or when ``recompute``; otherwise read back."""
        store = self.indexes()
        with LOCK, self.db.session() as s:
            return redact(build_report(s, assignments(s, store, recompute), since, until), who)

    def adoption(self, by: str, period: str | None = None, since: Any = None, until: Any = None
                 ) -> dict[str, Any]:
        """Adoption and implementation rates per topic, department, channel, cluster or period."""
        check_grouping(by, period)
        clusters = None
        if by == "cluster":
            store = self.indexes()
            with LOCK, self.db.session() as s:
                clusters = assignments(s, store).cluster_of
        with self.db.session() as s:
            return adoption_stats(s, by, period, since, until, clusters)

    def duplicate_groups(self, threshold: float | None = None, k: int = 10, who: Principal = SYSTEM
                         ) -> dict[str, Any]:
        """Groups of suggestions that raise the same issue, over the whole corpus."""
        threshold = DUPLICATE_THRESHOLD if threshold is None else threshold
        groups = find_groups(self.indexes().vectors["suggestion"], threshold, k)
        with self.db.session() as s:
            rows = {i: s.get(Suggestion, i) for g in groups for i in g.ids}
            out = []
            for g in groups:
                # an item deleted since the index was read drops out; a group left with one item is no group
                ids = [i for i in g.ids if rows[i] is not None]
                if len(ids) >= 2:
                    out.append({"size": len(ids), "max_score": g.max_score, "min_score": g.min_score, "ids": ids,
                                "items": [{"id": i, "external_id": rows[i].external_id, "title": rows[i].title,
                                           "dup_group": rows[i].dup_group} for i in ids]})
        return {"threshold": threshold, "k": k, "n_groups": len(out), "n_items": sum(g["size"] for g in out),
                "groups": redact(out, who)}
