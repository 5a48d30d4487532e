"""One report for a period, as a JSON-serialisable dict built from the database and the issue figures.

Stages run in order, each timed (``report["timings"]``) and announced to ``progress(stage, fraction)`` so a
command line bar or an API job can show where a long report is. Figures carry the ids behind them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from nlp_service.domain.records import CHANNELS
from nlp_service.domain.taxonomy import Taxonomy
from nlp_service.issues.items import Item, load_items
from nlp_service.reports.issues import cluster_section, duplicate_section, emerging_section, hot_issue_section
from nlp_service.reports.items import count_items, load_coverage
from nlp_service.reports.period import Period, make_period
from nlp_service.reports.sections import distribution, news_section, reply_times, volume
from nlp_service.storage.db import Database
from nlp_service.text.pii import mask_pii

Progress = Callable[[str, float], None]
TITLE = "建言献策与群众留言分析报告"
STAGES = ("items", "volume", "distribution", "clusters", "emerging", "hot_issues", "duplicates", "adoption",
          "reply_times", "news")
HOT_ISSUES = 20  # events listed in a report
ADOPTION_BY = ("cluster", "topic", "department", "channel")


class _Stages:
    """Times each stage and reports progress as the share of stages begun."""

    def __init__(self, names: tuple[str, ...], progress: Progress | None) -> None:
        self.names, self.progress = names, progress or (lambda _s, _f: None)
        self.timings: dict[str, float] = {}

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        self.progress(name, self.names.index(name) / len(self.names))
        t0 = time.perf_counter()
        out = fn()
        self.timings[name] = round(time.perf_counter() - t0, 3)
        return out


class IssueSource(Protocol):
    """The issue figures a report reads (the issues application service provides them)."""

    def clusters(self, recompute: bool = False, since: Any = None, until: Any = None) -> dict[str, Any]: ...

    def adoption(self, by: str, period: str | None = None, since: Any = None, until: Any = None
                 ) -> dict[str, Any]: ...

    def duplicate_groups(self, threshold: float | None = None, k: int = 10) -> dict[str, Any]: ...

    def hot_issues(self, since: Any = None, until: Any = None, top: int | None = 20) -> dict[str, Any]: ...


class _Names:
    """Chinese names for the keys staff never see raw: topic ids, department ids, channels, clusters."""

    def __init__(self, tx: Taxonomy) -> None:
        self.topic = {t.id: t.name for t in tx.topics}
        self.department = {d.id: d.name for d in tx.departments}
        self.channel = dict(CHANNELS)
        self.cluster: dict[str, str] = {}


def _adoption(issues: IssueSource, period: Period, names: _Names) -> dict[str, Any]:
    """The adoption figures per grouping, with a display name beside each group key."""
    out = {}
    for by in ADOPTION_BY:
        raw = issues.adoption(by, since=period.since, until=period.until)
        table = names.cluster if by == "cluster" else getattr(names, by)
        groups = [{"key": k, "name": table.get(k, "未标注" if k in ("unknown", "unassigned") else k), **fig}
                  for k, fig in raw["groups"].items()]
        out[by] = {"total": raw["total"], "groups": groups}
    out["definitions"] = raw["definitions"]
    return out


def build_report(db: Database, taxonomy: Taxonomy, issues: IssueSource, since: Any, until: Any,
                 progress: Progress | None = None) -> dict[str, Any]:
    period = make_period(since, until)
    prev = period.previous()
    stages = _Stages(STAGES, progress)
    names = _Names(taxonomy)
    t0 = time.perf_counter()

    def load() -> tuple[dict[int, Item], int]:
        with db.session() as s:
            return load_items(s, period.since, period.until), count_items(s, prev)

    items, prev_total = stages.run("items", load)
    report: dict[str, Any] = {
        "title": TITLE, "generated_at": datetime.now().isoformat(timespec="seconds"),
        "period": period.to_dict(), "previous_period": prev.to_dict(),
        "items": [{"id": it.id, "external_id": it.external_id, "title": mask_pii(it.title),
                   "submitted": it.submitted.isoformat()} for it in items.values()],
    }
    report["volume"] = stages.run("volume", lambda: volume(items, period))
    report["topics"], report["departments"], report["channels"] = stages.run("distribution", lambda: (
        distribution(items, lambda it: it.topic, names.topic),
        distribution(items, lambda it: it.department, names.department),
        distribution(items, lambda it: it.channel, names.channel)))

    def clusters() -> tuple[dict[str, Any], dict[str, Any]]:
        cur = issues.clusters(since=period.since, until=period.until)
        before = issues.clusters(since=prev.since, until=prev.until) if prev_total else {"clusters": []}
        return cluster_section(cur, items, period), before

    report["clusters"], previous_clusters = stages.run("clusters", clusters)
    names.cluster = {str(c["id"]): c["label"] for c in report["clusters"]["clusters"]}
    report["emerging"] = stages.run("emerging", lambda: emerging_section(
        report["clusters"], previous_clusters, period, prev_total))
    report["hot_issues"] = stages.run("hot_issues", lambda: hot_issue_section(
        issues.hot_issues(period.since, period.until, HOT_ISSUES)))
    report["duplicates"] = stages.run("duplicates", lambda: duplicate_section(issues.duplicate_groups(), items))
    report["adoption"] = stages.run("adoption", lambda: _adoption(issues, period, names))
    report["reply_times"] = stages.run("reply_times", lambda: reply_times(items, names.department))

    def news() -> dict[str, Any]:
        with db.session() as s:
            links = load_coverage(s, set(items))
        groups = {str(c["id"]): c["ids"] for c in report["clusters"]["clusters"]}
        return news_section(items, links, groups, names.cluster, names.topic)

    report["news"] = stages.run("news", news)
    report["timings"] = {**stages.timings, "total": round(time.perf_counter() - t0, 3)}
    return report
