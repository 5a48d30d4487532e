"""The report as sections of tables and charts, shared by the HTML, Markdown and XLSX renderings so the three
show the same figures in the same order. Every table row keeps the ids behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nlp_service.reports.charts import ADOPTION_TITLES, STATE_NAMES, TREND_NAMES, Chart, report_charts

STAGE_NAMES = {"items": "读取建议", "volume": "数量趋势", "distribution": "主题与部门",
               "clusters": "问题聚类", "emerging": "新兴问题", "hot_issues": "热点问题",
               "duplicates": "重复建议", "adoption": "采纳与落实",
               "reply_times": "答复时效", "news": "新闻报道", "total": "合计"}


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    ids: list[list[int]] = field(default_factory=list)  # per row: the items behind its figures

    def add(self, row: list[Any], ids: list[int]) -> None:
        self.rows.append(row)
        self.ids.append(ids)


@dataclass
class Section:
    key: str
    title: str
    notes: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def num(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


def _summary(r: dict[str, Any]) -> Section:
    t = Table("主要数字", ["指标", "数值"])
    total = r["adoption"]["topic"]["total"]
    rt = r["reply_times"]
    t.add(["建议总数", r["volume"]["count"]], r["volume"]["ids"])
    t.add(["问题聚类数", r["clusters"]["k"]], r["clusters"]["ids"])
    t.add(["新兴问题数", len(r["emerging"]["items"])], r["emerging"]["ids"])
    t.add(["重复建议组数", r["duplicates"]["groups_count"]], r["duplicates"]["ids"])
    t.add(["已有办理结果", total["decided"]], total["ids"]["decided"])
    t.add(["采纳率（含部分采纳）", pct(total["adoption_rate"])], total["ids"]["decided"])
    t.add(["落实率", pct(total["implementation_rate"])], total["ids"]["adopted"] + total["ids"]["partly_adopted"])
    t.add(["答复用时中位数（天）", num(rt["median_days"])], rt["ids"])
    t.add(["有新闻报道的建议", r["news"]["count"]], r["news"]["ids"])
    p, q = r["period"], r["previous_period"]
    notes = [f"统计期：{p['since']} 至 {p['until']}（{p['days']} 天），按提交日期；"
             f"比较期：{q['since']} 至 {q['until']}。",
             "每个数字都附有对应的建议编号（数据库 id），可据此核对原始条目。"]
    return Section("summary", "概览", notes, [t])


def _counts_table(title: str, head: str, groups: list[dict[str, Any]]) -> Table:
    t = Table(title, [head, "条数"])
    for g in groups:
        t.add([g.get("name", g.get("key")), g["count"]], g["ids"])
    return t


def _volume(r: dict[str, Any], charts: dict[str, Chart]) -> Section:
    t = _counts_table("月度数量", "月份", [{"name": s["key"], **s} for s in r["volume"]["series"]])
    return Section("volume", "数量趋势", [], [t], [charts["volume"]])


def _distribution(r: dict[str, Any], charts: dict[str, Chart]) -> Section:
    tables = [_counts_table("主题分布", "主题", r["topics"]["groups"]),
              _counts_table("责任部门分布", "部门", r["departments"]["groups"]),
              _counts_table("渠道分布", "渠道", r["channels"]["groups"])]
    return Section("distribution", "主题与部门分布", [], tables,
                   [charts[k] for k in ("topics", "departments", "channels") if k in charts])


def _clusters(r: dict[str, Any], charts: dict[str, Chart]) -> Section:
    t = Table("议题聚类（按热度排序）",
              ["排名", "问题编号", "问题", "关键词", "条数", "热度", "点赞", "趋势", "代表性建议"])
    for rank, c in enumerate(r["clusters"]["clusters"], start=1):
        reps = "；".join(f"[{x['id']}] {x['title']}" for x in c["representatives"])
        t.add([rank, c["id"], c["label"], "、".join(c["keywords"]), c["count"], round(c["heat"], 2), c["likes"],
               TREND_NAMES[c["trend"]["direction"]], reps], c["ids"])
    heat = r["clusters"]["method"].get("heat", "")
    notes = [f"热度：每条建议按点赞与反对加权、按时间衰减后求和（{heat}）。" if heat else "",
             "趋势：该问题占每月建议总数比例的加权线性斜率（相对其平均占比，每月变化超过 5% 为上升或下降）。"]
    return Section("clusters", "议题聚类", [n for n in notes if n], [t],
                   [charts[k] for k in ("heat", "trend") if k in charts])


def _emerging(r: dict[str, Any], charts: dict[str, Chart]) -> Section:
    e = r["emerging"]
    t = Table("新兴问题", ["问题", "关键词", "本期条数", "上期条数", "本期占比", "上期占比", "超出预期", "新出现"])
    for x in e["items"]:
        t.add([x["label"], "、".join(x["keywords"]), x["count"], x["previous_count"], pct(x["share"]),
               pct(x["previous_share"]), x["excess"], "是" if x["new"] else ""], x["ids"])
    notes = [e["definition"], *([e["note"]] if e.get("note") else [])]
    return Section("emerging", "新兴问题", notes, [t], [charts[k] for k in ("emerging",) if k in charts])


def _hot_issues(r: dict[str, Any]) -> Section:
    h = r["hot_issues"]
    t = Table("热点问题", ["排名", "问题", "关键词", "留言数", "提交人数", "点赞", "热度", "首次", "最近"])
    for n, e in enumerate(h["events"], start=1):
        t.add([n, e["label"], "、".join(e["keywords"][:5]), e["count"], e["submitters"], e["likes"], e["heat"],
               e["since"] or "", e["until"] or ""], e["ids"])
    m = h["method"]
    notes = ["热点问题：同一地点、同一具体问题被多人反映的一组留言。",
             f"分组：{m['grouping']}（阈值 {h['threshold']}）；候选：{m['candidates']}；热度：{m['heat']}。"]
    return Section("hot_issues", "热点问题", notes, [t])


def _duplicates(r: dict[str, Any], charts: dict[str, Chart]) -> Section:
    d = r["duplicates"]
    t = Table("重复建议组", ["组", "代表标题", "本期条数", "全组条数", "全组编号", "最低同一问题概率"])
    for n, g in enumerate(d["groups"], start=1):
        t.add([n, g["title"], g["count"], g["all_count"], ", ".join(map(str, g["all_ids"])), g["min_probability"]],
              g["ids"])
    notes = [f"组内任意两条由同一问题判定模型判为同一问题的概率都不低于 {d['threshold']}，"
             "工作人员判定“不是重复”的两条不会同组；“本期条数”只计统计期内提交的。"]
    return Section("duplicates", "重复建议", notes, [t], [charts[k] for k in ("duplicates",) if k in charts])


def _adoption(r: dict[str, Any], charts: dict[str, Chart]) -> Section:
    tables = []
    for by, title in ADOPTION_TITLES.items():
        t = Table(f"采纳与落实（{title}）", ["分组", "条数", "已有结果", "采纳", "部分采纳", "留作参考", "未采纳",
                                          "办理中", "并案", "已落实", "采纳率", "落实率"])
        for g in r["adoption"][by]["groups"]:
            t.add([g["name"], g["n"], g["decided"], g["adopted"], g["partly_adopted"], g["reference"],
                   g["not_adopted"], g["open"], g["merged"], g["implemented"], pct(g["adoption_rate"]),
                   pct(g["implementation_rate"])], sorted(i for s in STATE_NAMES for i in g["ids"][s]))
        tables.append(t)
    d = r["adoption"]["definitions"]
    notes = [f"采纳率 = {d['adoption_rate']}（decided: {d['decided']}）；落实率 = {d['implementation_rate']}。"]
    return Section("adoption", "采纳与落实", notes, tables,
                   [charts[k] for k in (f"adoption_{b}" for b in ADOPTION_TITLES) if k in charts])


def _replies(r: dict[str, Any], charts: dict[str, Chart]) -> Section:
    rt = r["reply_times"]
    t = Table("答复用时（按部门）", ["部门", "已答复条数", "中位数（天）", "90 分位（天）", "平均（天）"])
    t.add(["全部", rt["count"], num(rt["median_days"]), num(rt["p90_days"]), num(rt["mean_days"])], rt["ids"])
    for g in rt["by_department"]:
        t.add([g["name"], g["count"], num(g["median_days"]), num(g["p90_days"]), num(g["mean_days"])], g["ids"])
    t.add(["尚未答复", rt["not_replied"]["count"], "", "", ""], rt["not_replied"]["ids"])
    if rt["replied_before_submitted"]["count"]:
        t.add(["答复早于提交（数据有误，未计入）", rt["replied_before_submitted"]["count"], "", "", ""],
              rt["replied_before_submitted"]["ids"])
    return Section("reply_times", "答复时效", [rt["definition"]], [t],
                   [charts[k] for k in ("reply_times",) if k in charts])


def _news(r: dict[str, Any], charts: dict[str, Chart]) -> Section:
    n = r["news"]
    by_cluster = Table("有新闻报道的建议（按问题）", ["问题", "问题条数", "被报道建议", "新闻篇数", "新闻编号"])
    for g in n["by_cluster"]:
        by_cluster.add([g["name"], g["members"], g["count"], g["news_count"], ", ".join(map(str, g["news_ids"]))],
                       g["ids"])
    by_topic = Table("有新闻报道的建议（按主题）", ["主题", "主题条数", "被报道建议", "新闻篇数", "新闻编号"])
    for g in n["by_topic"]:
        by_topic.add([g["name"], g["members"], g["count"], g["news_count"], ", ".join(map(str, g["news_ids"]))],
                     g["ids"])
    articles = Table("新闻", ["新闻编号", "标题", "来源", "日期", "关联建议数"])
    for a in n["articles"]:
        articles.add([a["news_id"], a["title"], a["source"] or "", a["published"] or "", a["suggestion_count"]],
                     sorted(a["suggestion_ids"]))
    return Section("news", "新闻报道", [n["definition"]], [by_cluster, by_topic, articles],
                   [charts[k] for k in ("news",) if k in charts])


def _about(r: dict[str, Any]) -> Section:
    t = Table("各阶段耗时", ["阶段", "秒"])
    for k, v in r["timings"].items():
        t.add([STAGE_NAMES.get(k, k), v], [])
    m = Table("聚类方法", ["项目", "说明"])
    for k, v in r["clusters"].get("method", {}).items():
        m.add([k, v], [])
    return Section("about", "说明", [f"生成时间：{r['generated_at']}。"], [t, m])


def report_sections(r: dict[str, Any]) -> list[Section]:
    charts = {c.key: c for c in report_charts(r)}
    return [_summary(r), _volume(r, charts), _distribution(r, charts), _clusters(r, charts), _emerging(r, charts),
            _hot_issues(r), _duplicates(r, charts), _adoption(r, charts), _replies(r, charts), _news(r, charts),
            _about(r)]
