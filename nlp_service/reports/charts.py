"""The charts of a report, described once so the HTML (plotly) and XLSX (matplotlib) renderings agree.

A chart is categories along one axis and one or more series of values; every value keeps the ids behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TOP_N = 15
STATE_NAMES = {"adopted": "采纳", "partly_adopted": "部分采纳", "reference": "留作参考", "not_adopted": "未采纳",
               "open": "办理中", "merged": "并案"}
ADOPTION_TITLES = {"cluster": "按问题", "topic": "按主题", "department": "按部门", "channel": "按渠道"}
TREND_NAMES = {"rising": "上升", "falling": "下降", "steady": "平稳"}


@dataclass
class Series:
    name: str
    values: list[float]
    ids: list[list[int]]


@dataclass
class Chart:
    key: str  # stable, ascii: file names and anchors
    section: str
    title: str
    kind: str  # bar | barh | line | stack (horizontal stacked bars)
    categories: list[str]
    series: list[Series] = field(default_factory=list)
    value_label: str = "条数"

    def __post_init__(self) -> None:
        # Two groups with the same (shortened) name would be drawn as one bar: number the repeats.
        seen: dict[str, int] = {}
        for i, c in enumerate(self.categories):
            seen[c] = seen.get(c, 0) + 1
            if seen[c] > 1:
                self.categories[i] = f"{c} ({seen[c]})"


def _counts(name: str, groups: list[dict[str, Any]]) -> Series:
    return Series(name, [g["count"] for g in groups], [g["ids"] for g in groups])


def _short(text: str, n: int = 18) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def volume_chart(r: dict[str, Any]) -> Chart:
    s = r["volume"]["series"]
    return Chart("volume", "volume", "月度建议数量", "bar", [x["key"] for x in s], [_counts("条数", s)])


def distribution_chart(r: dict[str, Any], key: str, title: str) -> Chart:
    groups = r[key]["groups"][:TOP_N]
    return Chart(key, "distribution", title, "barh", [_short(g["name"]) for g in groups],
                 [_counts("条数", groups)])


def heat_chart(r: dict[str, Any]) -> Chart:
    top = r["clusters"]["clusters"][:TOP_N]
    return Chart("heat", "clusters", "热点问题热度（前 15）", "barh", [_short(c["label"]) for c in top],
                 [Series("热度", [c["heat"] for c in top], [c["ids"] for c in top])], "热度")


def trend_chart(r: dict[str, Any]) -> Chart:
    top = r["clusters"]["clusters"][:5]
    months = [x["key"] for x in r["volume"]["series"]]
    series = [Series(_short(c["label"], 12), [x["count"] for x in c["trend"]["series"]],
                     [x["ids"] for x in c["trend"]["series"]]) for c in top]
    return Chart("trend", "clusters", "前五个热点问题的月度趋势", "line", months, series)


def emerging_chart(r: dict[str, Any]) -> Chart:
    rows = r["emerging"]["items"][:TOP_N]
    cats = [_short(x["label"]) for x in rows]
    return Chart("emerging", "emerging", "新兴问题：本期与上期条数", "barh", cats, [
        Series("上期", [x["previous_count"] for x in rows], [x["previous_ids"] for x in rows]),
        Series("本期", [x["count"] for x in rows], [x["ids"] for x in rows])])


def duplicates_chart(r: dict[str, Any]) -> Chart:
    groups = r["duplicates"]["groups"][:TOP_N]
    return Chart("duplicates", "duplicates", "重复建议组（本期条数，前 15）", "barh",
                 [_short(g["title"]) for g in groups], [_counts("条数", groups)])


def adoption_chart(r: dict[str, Any], by: str) -> Chart:
    groups = r["adoption"][by]["groups"][:TOP_N]
    series = [Series(name, [g[state] for g in groups], [g["ids"][state] for g in groups])
              for state, name in STATE_NAMES.items()]
    return Chart(f"adoption_{by}", "adoption", f"办理结果（{ADOPTION_TITLES[by]}）", "stack",
                 [_short(g["name"]) for g in groups], series)


def reply_chart(r: dict[str, Any]) -> Chart:
    groups = r["reply_times"]["by_department"][:TOP_N]
    ids = [g["ids"] for g in groups]
    cats = [_short(g["name"]) for g in groups]
    return Chart("reply_times", "reply_times", "各部门答复用时（天）", "barh", cats, [
        Series("中位数", [g["median_days"] for g in groups], ids),
        Series("90 分位", [g["p90_days"] for g in groups], ids)], "天")


def news_chart(r: dict[str, Any]) -> Chart:
    groups = r["news"]["by_topic"][:TOP_N]
    return Chart("news", "news", "有新闻报道的建议（按主题）", "barh", [_short(g["name"]) for g in groups],
                 [_counts("建议数", groups)])


def report_charts(r: dict[str, Any]) -> list[Chart]:
    """All charts, in reading order; a chart with nothing to show is left out."""
    charts = [volume_chart(r), distribution_chart(r, "topics", "主题分布"),
              distribution_chart(r, "departments", "责任部门分布"), distribution_chart(r, "channels", "渠道分布"),
              heat_chart(r), trend_chart(r), emerging_chart(r), duplicates_chart(r),
              *(adoption_chart(r, by) for by in ADOPTION_TITLES), reply_chart(r), news_chart(r)]
    return [c for c in charts if c.categories and c.series]
