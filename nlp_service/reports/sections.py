"""Report sections computed from the period's items alone: volume, distributions, reply times, news.

Every figure is a count with the sorted ids behind it ("count" and "ids", or "news_count" and "news_ids"),
so any number in any rendering can be checked against the items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from nlp_service.issues.items import Item
from nlp_service.reports.items import Coverage
from nlp_service.reports.period import Period, month_key

UNKNOWN = "unknown"
UNKNOWN_NAME = "未标注"


def counted(ids: Iterable[int], **extra: Any) -> dict[str, Any]:
    ids = sorted(ids)
    return {**extra, "count": len(ids), "ids": ids}


def volume(items: Mapping[int, Item], period: Period) -> dict[str, Any]:
    months: dict[str, list[int]] = {m: [] for m in period.months()}
    for it in items.values():
        months[month_key(it.submitted)].append(it.id)
    return {**counted(items), "by": "month", "series": [counted(v, key=k) for k, v in months.items()]}


def distribution(items: Mapping[int, Item], key: Callable[[Item], str | None], names: Mapping[str, str]
                 ) -> dict[str, Any]:
    """Counts per value, biggest first; items without a value are one group, not dropped."""
    groups: dict[str, list[int]] = {}
    for it in items.values():
        groups.setdefault(key(it) or UNKNOWN, []).append(it.id)
    order = sorted(groups, key=lambda k: (-len(groups[k]), k))
    return {**counted(items), "groups": [counted(groups[k], key=k, name=display(k, names)) for k in order]}


def display(key: str, names: Mapping[str, str]) -> str:
    return UNKNOWN_NAME if key == UNKNOWN else names.get(key, key)


def _stats(days: list[int]) -> dict[str, float | None]:
    if not days:
        return {"median_days": None, "p90_days": None, "mean_days": None}
    a = np.asarray(days, float)
    return {"median_days": round(float(np.median(a)), 1), "p90_days": round(float(np.percentile(a, 90)), 1),
            "mean_days": round(float(a.mean()), 1)}


def reply_times(items: Mapping[int, Item], names: Mapping[str, str]) -> dict[str, Any]:
    """Days from submission to the first ``replied`` event; a reply dated before submission is bad data and
    is listed apart rather than counted as a negative delay."""
    replied: dict[int, int] = {}
    bad, waiting = [], []
    for it in items.values():
        if it.first_replied is None:
            waiting.append(it.id)
        elif it.first_replied < it.submitted:
            bad.append(it.id)
        else:
            replied[it.id] = (it.first_replied - it.submitted).days
    by_dept: dict[str, list[int]] = {}
    for i in replied:
        by_dept.setdefault(items[i].department or UNKNOWN, []).append(i)
    order = sorted(by_dept, key=lambda k: (-len(by_dept[k]), k))
    return {
        **counted(replied), **_stats(list(replied.values())),
        "definition": "天数 = 首次“已答复”状态日期 − 提交日期",
        "not_replied": counted(waiting), "replied_before_submitted": counted(bad),
        "days": {str(i): d for i, d in sorted(replied.items())},
        "by_department": [counted(by_dept[k], key=k, name=display(k, names),
                                  **_stats([replied[i] for i in by_dept[k]])) for k in order],
    }


def news_coverage(items: Mapping[int, Item], links: list[Coverage], groups: Mapping[str, Iterable[int]],
                  names: Mapping[str, str]) -> dict[str, Any]:
    """Suggestions reported on by the news, per group (cluster or topic): count, ids and the news ids."""
    news_of: dict[int, set[int]] = {}
    for link in links:
        news_of.setdefault(link.suggestion_id, set()).add(link.news_id)
    out = []
    for key, members in groups.items():
        covered = [i for i in members if i in news_of]
        if covered:
            news = {n for i in covered for n in news_of[i]}
            out.append(counted(covered, key=key, name=display(key, names), members=len(list(members)),
                               news_count=len(news), news_ids=sorted(news)))
    out.sort(key=lambda g: (-g["count"], g["key"]))
    return out


def news_section(items: Mapping[int, Item], links: list[Coverage], clusters: Mapping[str, Iterable[int]],
                 cluster_names: Mapping[str, str], topic_names: Mapping[str, str]) -> dict[str, Any]:
    news_ids = sorted({x.news_id for x in links})
    topics: dict[str, list[int]] = {}
    for it in items.values():
        topics.setdefault(it.topic or UNKNOWN, []).append(it.id)
    articles: dict[int, dict[str, Any]] = {}
    for x in links:
        a = articles.setdefault(x.news_id, {"news_id": x.news_id, "title": x.title, "source": x.source,
                                            "published": x.published.isoformat() if x.published else None,
                                            "gold": x.gold, "suggestion_count": 0, "suggestion_ids": []})
        a["suggestion_ids"].append(x.suggestion_id)
        a["suggestion_count"] += 1
    return {
        **counted({x.suggestion_id for x in links}), "news_count": len(news_ids), "news_ids": news_ids,
        "definition": "语料给定（gold）或工作人员确认的新闻关联；未确认的预测关联不计入",
        "by_cluster": news_coverage(items, links, clusters, cluster_names),
        "by_topic": news_coverage(items, links, topics, topic_names),
        "articles": sorted(articles.values(), key=lambda a: (a["published"] or "", a["news_id"])),
    }
