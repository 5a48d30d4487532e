"""A self-contained, printable HTML page in Chinese with interactive plotly charts.

plotly.js is inlined once in the head, so the file opens offline and can be mailed as it is. Under each chart a
collapsible list gives the ids behind every bar or point; clicking a bar opens the list at its row.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from nlp_service.reports.charts import Chart
from nlp_service.reports.layout import Section, Table, report_sections

FONT = ('"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Zen Hei", '
        "sans-serif")
NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五"]
CSS = """
body { font-family: FONT; color: #222; max-width: 1120px; margin: 0 auto; padding: 24px; line-height: 1.6; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { border-bottom: 2px solid #1f4e79; padding-bottom: 4px;
  margin-top: 36px; color: #1f4e79; } h3 { font-size: 16px; margin: 18px 0 6px; }
.meta { color: #555; } nav a { margin-right: 12px; } .note { color: #444; font-size: 14px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 14px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eef3f8; } td.n { text-align: right; white-space: nowrap; }
details summary { cursor: pointer; color: #1f4e79; } .ids { font-size: 12px; color: #333; word-break: break-all; }
.chart { break-inside: avoid; margin: 8px 0 4px; } tr.hit { background: #fff3b0; }
@media print { nav, .modebar { display: none !important; } body { max-width: none; padding: 0; }
  h2 { break-after: avoid; } table, .chart { break-inside: avoid; } }
""".replace("FONT", FONT)
CLICK_JS = """
window.addEventListener('load', function () {
  document.querySelectorAll('.plotly-graph-div').forEach(function (div) {
    if (!div.on) return;
    div.on('plotly_click', function (ev) {
      var p = ev.points[0], key = div.id.slice(6);
      var row = document.getElementById('row-' + key + '-' + p.curveNumber + '-' + p.pointIndex);
      if (!row) return;
      document.getElementById('ids-' + key).open = true;
      document.querySelectorAll('tr.hit').forEach(function (r) { r.classList.remove('hit'); });
      row.classList.add('hit'); row.scrollIntoView({block: 'center'});
    });
  });
});
"""


def _e(x: Any) -> str:
    return escape("" if x is None else str(x))


def _ids(ids: list[int]) -> str:
    if not ids:
        return ""
    return (f"<details><summary>{len(ids)} 条</summary><div class='ids'>{_e(', '.join(map(str, ids)))}"
            "</div></details>")


def figure(chart: Chart) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    horizontal = chart.kind in ("barh", "stack")
    for s in chart.series:
        counts = [len(i) for i in s.ids]
        if chart.kind == "line":
            trace = go.Scatter(x=chart.categories, y=s.values, name=s.name, mode="lines+markers")
        elif horizontal:
            trace = go.Bar(y=chart.categories, x=s.values, name=s.name, orientation="h")
        else:
            trace = go.Bar(x=chart.categories, y=s.values, name=s.name)
        trace.update(customdata=counts, hovertemplate=(
            f"%{{{'y' if horizontal else 'x'}}}<br>{_e(s.name)}：%{{{'x' if horizontal else 'y'}}}"
            "<br>涉及 %{customdata} 条（点击查看编号）<extra></extra>"))
        fig.add_trace(trace)
    height = max(320, 26 * len(chart.categories) + 140) if horizontal else 380
    fig.update_layout(title={"text": chart.title}, template="plotly_white", height=height,
                      font={"family": FONT, "size": 13}, margin={"l": 10, "r": 20, "t": 50, "b": 40},
                      barmode="stack" if chart.kind == "stack" else "group", showlegend=len(chart.series) > 1,
                      legend={"orientation": "h", "y": -0.12})
    if horizontal:
        fig.update_yaxes(autorange="reversed", automargin=True)
        fig.update_xaxes(title_text=chart.value_label)
    else:  # "2025-01" would otherwise become a date axis labelled in English ("Jan 2025")
        fig.update_xaxes(type="category")
        fig.update_yaxes(title_text=chart.value_label)
    return fig


def _chart(chart: Chart) -> str:
    div = figure(chart).to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{chart.key}",
                                config={"displaylogo": False, "responsive": True})
    rows = []
    for si, s in enumerate(chart.series):
        for pi, (cat, value, ids) in enumerate(zip(chart.categories, s.values, s.ids, strict=True)):
            rows.append(f"<tr id='row-{chart.key}-{si}-{pi}'><td>{_e(cat)}</td><td>{_e(s.name)}</td>"
                        f"<td class='n'>{_e(value)}</td><td class='n'>{len(ids)}</td>"
                        f"<td class='ids'>{_e(', '.join(map(str, ids)))}</td></tr>")
    return (f"<div class='chart'>{div}</div><details id='ids-{chart.key}'><summary>“{_e(chart.title)}”"
            "中各数字对应的建议编号</summary><table><tr><th>类别</th><th>系列</th><th>数值</th><th>条数</th>"
            f"<th>建议编号</th></tr>{''.join(rows)}</table></details>")


def _table(t: Table) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in t.columns) + "<th>建议编号</th>"
    body = []
    for row, ids in zip(t.rows, t.ids, strict=True):
        cells = "".join(f"<td class='n'>{_e(v)}</td>" if isinstance(v, int | float) else f"<td>{_e(v)}</td>"
                        for v in row)
        body.append(f"<tr>{cells}<td>{_ids(ids)}</td></tr>")
    if not body:
        body.append(f"<tr><td colspan='{len(t.columns) + 1}'>（本期无）</td></tr>")
    return f"<h3>{_e(t.title)}</h3><table><tr>{head}</tr>{''.join(body)}</table>"


def _section(n: int, s: Section) -> str:
    notes = "".join(f"<p class='note'>{_e(x)}</p>" for x in s.notes)
    charts = "".join(_chart(c) for c in s.charts)
    tables = "".join(_table(t) for t in s.tables)
    return f"<section id='{s.key}'><h2>{NUMERALS[n]}、{_e(s.title)}</h2>{notes}{charts}{tables}</section>"


def render_html(report: dict[str, Any], path: Path) -> Path:
    from plotly.offline import get_plotlyjs

    sections = report_sections(report)
    p = report["period"]
    nav = "".join(f"<a href='#{s.key}'>{_e(s.title)}</a>" for s in sections)
    body = "".join(_section(n, s) for n, s in enumerate(sections))
    page = (f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{_e(report['title'])}"
            f"（{p['since']} 至 {p['until']}）</title><meta name='viewport' content='width=device-width'>"
            f"<style>{CSS}</style><script>{get_plotlyjs()}</script></head><body>"
            f"<h1>{_e(report['title'])}</h1><p class='meta'>统计期：{p['since']} 至 {p['until']}"
            f"（{p['days']} 天）　生成时间：{_e(report['generated_at'])}</p><nav>{nav}</nav>{body}"
            f"<script>{CLICK_JS}</script></body></html>")
    path.write_text(page, encoding="utf-8")
    return path
