"""The report as Markdown: the same sections and tables as the HTML page, with an id column in each table,
for pasting into a wiki or an e-mail. Charts are left to the HTML and XLSX renderings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nlp_service.reports.layout import Section, Table, report_sections


def _cell(x: Any) -> str:
    return ("" if x is None else str(x)).replace("|", "\\|").replace("\n", " ")


def _table(t: Table) -> list[str]:
    lines = [f"### {t.title}", "", "| " + " | ".join([*t.columns, "建议编号"]) + " |",
             "|" + "---|" * (len(t.columns) + 1)]
    for row, ids in zip(t.rows, t.ids, strict=True):
        lines.append("| " + " | ".join([*(_cell(v) for v in row), ", ".join(map(str, ids))]) + " |")
    if not t.rows:
        lines.append("| （本期无） |" + " |" * len(t.columns))
    return [*lines, ""]


def _section(n: int, s: Section) -> list[str]:
    lines = [f"## {n}. {s.title}", "", *(f"> {x}" for x in s.notes)]
    if s.notes:
        lines.append("")
    for t in s.tables:
        lines += _table(t)
    return lines


def render_markdown(report: dict[str, Any], path: Path) -> Path:
    p = report["period"]
    lines = [f"# {report['title']}", "", f"统计期：{p['since']} 至 {p['until']}（{p['days']} 天）；"
             f"生成时间：{report['generated_at']}", ""]
    for n, s in enumerate(report_sections(report), start=1):
        lines += _section(n, s)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
