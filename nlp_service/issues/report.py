"""What staff read about each issue cluster: label, size, representative items, monthly trend, heat, whether it
is emerging, and its adoption figures.

Heat is attention, size-weighted and recent-first: the sum over the cluster's items of
``(1 + log1p(likes) + 0.5 * log1p(dislikes)) * 0.5 ** (age_days / 180)``. A disliked message still drew
attention but less support, hence half weight; log1p keeps one viral message from outweighing many items.
Age is counted back from the newest item in view, not from today, so the same data gives the same figures.

Emerging: ``new`` clusters matched no earlier cluster at the last re-computation; ``rising`` clusters hold a
share of the last 90 days' items at least twice their share before that (and at least 3 recent items).
``emerging`` is either.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nlp_service.issues.adoption import figures
from nlp_service.issues.clusters import Assignment
from nlp_service.issues.items import Item, load_items
from nlp_service.issues.kmeans import ITEMS_PER_CLUSTER, MATCH_THRESHOLD, MAX_K, MIN_K

HALF_LIFE_DAYS = 180
DISLIKE_WEIGHT = 0.5
RECENT_DAYS = 90
RISING_RATIO = 2.0
RISING_MIN_ITEMS = 3
N_REPRESENTATIVES = 3
METHOD = {
    "algorithm": "spherical k-means on the stored sentence vectors (FAISS start, Lloyd steps to a fixed point)",
    "k": f"round(n / {ITEMS_PER_CLUSTER}) bounded to [{MIN_K}, {MAX_K}]; grows with new groups of items",
    "labels": "class-based TF-IDF over the segmenter's tokens",
    "stable_ids": f"Hungarian matching of centroids, centred cosine >= {MATCH_THRESHOLD}",
    "heat": f"sum of (1 + log1p(likes) + {DISLIKE_WEIGHT} log1p(dislikes)) * 0.5^(age / {HALF_LIFE_DAYS} days)",
    "rising": f"share of the last {RECENT_DAYS} days >= {RISING_RATIO} x the share before, and"
              f" >= {RISING_MIN_ITEMS} recent items",
}


def heat(items: list[Item], reference: date | None) -> float:
    total = 0.0
    for it in items:
        age = (reference - it.submitted).days if reference and it.submitted else HALF_LIFE_DAYS
        weight = 1 + math.log1p(it.likes) + DISLIKE_WEIGHT * math.log1p(it.dislikes)
        total += weight * 0.5 ** (max(age, 0) / HALF_LIFE_DAYS)
    return round(total, 4)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def build_report(session: Session, a: Assignment, since: date | None = None, until: date | None = None
                 ) -> dict[str, Any]:
    """The clusters that have items in [since, until], hottest first."""
    items = load_items(session, since, until)
    members = {c: [items[i] for i in ids if i in items] for c, ids in a.members().items()}
    in_view = [it for group in members.values() for it in group]
    dated = [it.submitted for it in in_view if it.submitted]
    reference = max(dated) if dated else None
    cutoff = reference - timedelta(days=RECENT_DAYS) if reference else None
    recent_total = sum(1 for d in dated if d > cutoff) if cutoff else 0
    before_total = len(dated) - recent_total
    out = []
    for cid, group in members.items():
        if not group:
            continue
        info = a.clusters[cid]
        recent = sum(1 for it in group if it.submitted and cutoff and it.submitted > cutoff)
        before = sum(1 for it in group if it.submitted) - recent
        recent_share, base_share = _share(recent, recent_total), _share(before, before_total)
        rising = recent >= RISING_MIN_ITEMS and recent_share >= RISING_RATIO * base_share
        best = sorted(group, key=lambda it: (-a.similarity.get(it.id, 0.0), it.id))[:N_REPRESENTATIVES]
        trend = Counter(it.submitted.strftime("%Y-%m") for it in group if it.submitted)
        group_dates = [it.submitted for it in group if it.submitted]
        out.append({
            "id": cid, "label": info.label, "keywords": info.keywords, "size": len(group),
            "share": round(len(group) / len(in_view), 4),
            "representatives": [{"id": it.id, "external_id": it.external_id, "title": it.title,
                                 "similarity": round(a.similarity.get(it.id, 0.0), 4)} for it in best],
            "trend": dict(sorted(trend.items())),
            "first_item": min(group_dates).isoformat() if group_dates else None,
            "last_item": max(group_dates).isoformat() if group_dates else None,
            "heat": heat(group, reference), "likes": sum(it.likes for it in group),
            "dislikes": sum(it.dislikes for it in group),
            "top_topics": dict(Counter(it.topic or "unknown" for it in group).most_common(3)),
            "new": info.is_new, "rising": rising, "emerging": info.is_new or rising,
            "recent_items": recent, "recent_share": round(recent_share, 4), "base_share": round(base_share, 4),
            "first_seen": info.first_seen.isoformat(timespec="seconds"),
            "last_seen": info.last_seen.isoformat(timespec="seconds"),
            "adoption": figures(it.outcome for it in group), "ids": [it.id for it in group]})
    out.sort(key=lambda c: (-c["heat"], c["id"]))
    return {"model": a.model, "recomputed": a.recomputed, "n_items": len(in_view), "k": len(out),
            "since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
            "reference_date": reference.isoformat() if reference else None, "method": METHOD, "clusters": out}
