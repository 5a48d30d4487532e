"""Issues over the whole corpus: topical clusters with stable ids, adoption rates, duplicate groups."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from nlp_service.access.roles import SYSTEM, Principal
from nlp_service.access.views import redact
from nlp_service.domain.records import item_text
from nlp_service.index.store import IndexStore
from nlp_service.issues.adoption import adoption_stats, check_grouping
from nlp_service.issues.clusters import LOCK, assignments
from nlp_service.issues.events import HEAT, LINKAGE, NEIGHBOURS, Message, build_events, same_issue_groups
from nlp_service.issues.items import load_items
from nlp_service.issues.report import build_report
from nlp_service.pairs.judge import PairJudge
from nlp_service.storage.db import Database
from nlp_service.storage.models import PairJudgement, Suggestion
from nlp_service.storage.query import in_period
from nlp_service.storage.repository import not_same_pairs

HOT_CACHE = 8  # hot-issue event lists kept (per set of messages in view)


class IssueService:
    def __init__(self, db: Database, indexes: Callable[[], IndexStore], judge: Callable[[], PairJudge]) -> None:
        self.db, self.indexes, self.judge = db, indexes, judge
        self._hot: dict[tuple, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def hot_issues(self, since: Any = None, until: Any = None, top: int | None = 20, who: Principal = SYSTEM
                   ) -> dict[str, Any]:
        """Specific problems many people raise together (events, from the pair decision), hottest first."""
        store, judge = self.indexes(), self.judge()
        with self.db.session() as s:
            stmt = in_period(select(Suggestion.id, Suggestion.title, Suggestion.body, Suggestion.submitter),
                             Suggestion.submitted, since, until)
            rows = s.execute(stmt).all()
            # Grouping a corpus takes seconds: the events are kept per set of messages in view until a
            # suggestion or a staff answer changes (any period holding the same messages shares them).
            key = (hash(tuple(r[0] for r in rows)), *s.execute(select(
                func.count(Suggestion.id), func.max(Suggestion.id), func.max(Suggestion.updated_at))).one(),
                *s.execute(select(func.count(PairJudgement.id), func.max(PairJudgement.id))
                           .where(PairJudgement.same.is_(False))).one())
            found = self._hot.get(key)
            if found is None:
                items = load_items(s, since, until)
                excluded = not_same_pairs(s)
        if found is None:
            found = self._events(store, judge, rows, items, excluded)
            with self._lock:
                if len(self._hot) >= HOT_CACHE:
                    self._hot.pop(next(iter(self._hot)))
                self._hot[key] = found
        n_messages, events = found
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        return redact({"since": iso(since), "until": iso(until), "n_messages": n_messages,
                       "threshold": round(judge.threshold, 4),
                       "method": {"grouping": f"{LINKAGE} linkage over pair-decision probabilities >= threshold",
                                  "candidates": f"{NEIGHBOURS} nearest neighbours, cosine >= "
                                                f"{judge.candidate_floor}",
                                  "heat": HEAT},
                       "issues": events[:top] if top else events}, who)

    @staticmethod
    def _events(store: IndexStore, judge: PairJudge, rows: list, items: dict, excluded: set
                ) -> tuple[int, list[dict[str, Any]]]:
        vectors, keywords = store.vectors["suggestion"], store.keywords["suggestion"]
        messages = []
        for sid, title, body, submitter in rows:
            vec = vectors.vector(sid)
            if vec is None or sid not in items:  # not indexed yet (the next sync adds it), or deleted meanwhile
                continue
            terms = keywords.terms_of(sid)
            side = judge.side(store.clean(item_text(title, body)), terms, vec)
            messages.append(Message(items[sid], side, submitter, terms))
        return len(messages), build_events(messages, judge, excluded)

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
        """Groups of suggestions that raise the same issue, over the whole corpus: the same pair decision as
        the duplicate flag on similar items, with every pair in a group at or above ``threshold`` (default the
        pair model's) and no pair staff said differs."""
        store, judge = self.indexes(), self.judge()
        with self.db.session() as s:
            rows = s.execute(select(Suggestion.id, Suggestion.title, Suggestion.body, Suggestion.external_id,
                                    Suggestion.dup_group)).all()
            excluded = not_same_pairs(s)
        vectors, keywords = store.vectors["suggestion"], store.keywords["suggestion"]
        kept, sides = [], []
        for row in rows:
            vec = vectors.vector(row.id)
            if vec is not None:  # not indexed yet: the next sync adds it
                kept.append(row)
                text = store.clean(item_text(row.title, row.body))
                sides.append(judge.side(text, keywords.terms_of(row.id), vec))
        threshold = judge.threshold if threshold is None else threshold
        groups, probs = same_issue_groups(sides, [r.id for r in kept], judge, excluded, threshold, "complete", k)
        out = []
        for g in groups:
            inside = [probs[(a, b)] for i, a in enumerate(g) for b in g[i + 1:]]
            out.append({"size": len(g), "max_probability": round(max(inside), 4),
                        "min_probability": round(min(inside), 4), "ids": [kept[r].id for r in g],
                        "items": [{"id": kept[r].id, "external_id": kept[r].external_id, "title": kept[r].title,
                                   "dup_group": kept[r].dup_group} for r in g]})
        out.sort(key=lambda g: (-g["size"], -g["max_probability"], g["ids"][0]))
        return {"threshold": round(threshold, 4), "k": k, "decision": "pair model, complete linkage",
                "n_groups": len(out), "n_items": sum(g["size"] for g in out), "groups": redact(out, who)}
