"""Issue sections: top clusters, emerging issues against the previous period, and duplicate groups.

The clustering, heat and duplicate detection belong to the Service (clusters.py, cluster_report.py,
duplicates.py); this module only restricts their output to the report's period and adds the ids behind
each figure (per-month trend ids, previous-period ids), which the charts need.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from nlp_service.issues.items import Item
from nlp_service.reports.period import Period, month_key
from nlp_service.reports.sections import counted
from nlp_service.text.pii import mask_pii

TOP_CLUSTERS = 10
EMERGING_MIN_ITEMS = 3  # fewer than this is noise, however fast it grew
EMERGING_SHARE_RATIO = 1.5  # share of this period's items vs share of the previous period's
TREND_TOLERANCE = 0.05  # monthly change of the share, relative to its mean, below which it is "steady"


def _direction(counts: list[int], totals: list[int]) -> str:
    """Slope of the issue's share of each month's items, relative to its mean share: rising, falling, steady.

    Shares, so that a month with more traffic overall does not lift every issue; weighted by the month's
    total, so that a month with a handful of items (the sparse start of an import) cannot swing the line.
    """
    keep = [i for i, t in enumerate(totals) if t]
    if len(keep) < 2 or not any(counts):
        return "steady"
    x = np.asarray(keep, float)
    t = np.asarray([totals[i] for i in keep], float)
    share = np.asarray([counts[i] for i in keep], float) / t
    slope = float(np.polyfit(x, share, 1, w=np.sqrt(t))[0])
    level = float((share * t).sum() / t.sum())
    rel = slope / max(level, 1e-9)
    return "rising" if rel > TREND_TOLERANCE else "falling" if rel < -TREND_TOLERANCE else "steady"


def trend(ids: list[int], items: Mapping[int, Item], period: Period, totals: Mapping[str, int]) -> dict[str, Any]:
    """Monthly counts with their ids over the whole period, and the direction of the issue's share."""
    months: dict[str, list[int]] = {m: [] for m in period.months()}
    for i in ids:
        months[month_key(items[i].submitted)].append(i)
    series = [counted(v, key=k) for k, v in months.items()]
    direction = _direction([s["count"] for s in series], [totals.get(s["key"], 0) for s in series])
    return {"direction": direction, "series": series}


def cluster_section(raw: dict[str, Any], items: Mapping[int, Item], period: Period) -> dict[str, Any]:
    """Every cluster with items in the period, hottest first (heat as the Service defines it)."""
    totals = Counter(month_key(it.submitted) for it in items.values())
    out = []
    for c in raw["clusters"]:
        ids = sorted(i for i in c["ids"] if i in items)
        if not ids:
            continue
        reps = [{**r, "title": mask_pii(r["title"] or "")} for r in c["representatives"]]
        out.append({**counted(ids), "id": c["id"], "label": c["label"] or f"问题{c['id']}",
                    "keywords": [k["word"] if isinstance(k, dict) else k for k in c["keywords"]],
                    "size": len(ids), "heat": c["heat"], "likes": c["likes"], "dislikes": c["dislikes"],
                    "share": c["share"], "new": c["new"], "representatives": reps,
                    "trend": trend(ids, items, period, totals), "adoption": c["adoption"]})
    out.sort(key=lambda c: (-c["heat"], c["id"]))
    clustered = sorted(i for c in out for i in c["ids"])
    return {**counted(clustered), "k": len(out), "top": [c["id"] for c in out[:TOP_CLUSTERS]],
            "method": raw.get("method", {}), "model": raw.get("model"), "clusters": out}


def emerging_section(current: dict[str, Any], previous: dict[str, Any], period: Period, previous_total: int
                     ) -> dict[str, Any]:
    """Clusters whose share of the items grew against the previous period of the same length.

    Shares, not counts, so a month with twice the traffic overall does not make every issue "emerging".
    """
    prev_ids = {c["id"]: sorted(c["ids"]) for c in previous["clusters"]}
    total = current["count"]
    base = {"period": period.to_dict(), "previous_period": period.previous().to_dict(),
            "previous_total": previous_total,
            "definition": f"本期条数 ≥ {EMERGING_MIN_ITEMS}，且本期占比 ≥ 上期占比的 {EMERGING_SHARE_RATIO} 倍"
                          "（上期为 0 即为新出现）"}
    if not previous_total:
        return {**base, **counted([]), "note": "上一周期没有数据，无法比较", "items": []}
    rows = []
    for c in current["clusters"]:
        before = prev_ids.get(c["id"], [])
        share, prev_share = c["count"] / total, len(before) / previous_total
        if c["count"] < EMERGING_MIN_ITEMS or share < EMERGING_SHARE_RATIO * prev_share:
            continue
        expected = prev_share * total
        rows.append({**counted(c["ids"]), "cluster_id": c["id"], "label": c["label"], "keywords": c["keywords"],
                     "previous_count": len(before), "previous_ids": before, "share": round(share, 4),
                     "previous_share": round(prev_share, 4), "excess": round(c["count"] - expected, 2),
                     "new": not before, "new_cluster": c["new"]})
    rows.sort(key=lambda r: (-r["excess"], r["cluster_id"]))
    return {**base, **counted(i for r in rows for i in r["ids"]), "items": rows}


def duplicate_section(raw: dict[str, Any], items: Mapping[int, Item]) -> dict[str, Any]:
    """Groups with at least one item in the period; ``ids`` are those in it, ``all_ids`` the whole group
    (a repeat of an issue raised before the period is still a repeat)."""
    groups = []
    for g in raw["groups"]:
        inside = [i for i in g["ids"] if i in items]
        if not inside:
            continue
        titles = {x["id"]: mask_pii(x["title"] or "") for x in g["items"]}
        groups.append({**counted(inside), "all_count": len(g["ids"]), "all_ids": sorted(g["ids"]),
                       "title": titles.get(inside[0], ""), "max_probability": g["max_probability"],
                       "min_probability": g["min_probability"],
                       "items": [{"id": i, "external_id": x.get("external_id"), "title": titles[i]}
                                 for x in g["items"] for i in [x["id"]]]})
    groups.sort(key=lambda g: (-g["count"], -g["all_count"], g["ids"][0]))
    return {**counted(i for g in groups for i in g["ids"]), "threshold": raw["threshold"],
            "groups_count": len(groups), "groups": groups}


def hot_issue_section(raw: dict[str, Any]) -> dict[str, Any]:
    """The period's hot issues (events: one problem at one place raised by many), hottest first, each with
    the ids behind it; titles are masked like every other text in a report."""
    events = [{**counted(e["ids"]), "label": mask_pii(e["label"]), "keywords": e["keywords"],
               "submitters": e["submitters"], "likes": e["likes"], "heat": e["heat"], "since": e["since"],
               "until": e["until"], "min_probability": e["min_probability"]} for e in raw["issues"]]
    return {**counted(i for e in events for i in e["ids"]), "threshold": raw["threshold"],
            "method": raw["method"], "n_messages": raw["n_messages"], "events": events}
