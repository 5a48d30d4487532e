"""The report as a workbook: one sheet per section with its tables (numbers and the ids behind each row),
each chart's data, and the charts as PNG images drawn by matplotlib with a CJK font.

matplotlib is used through ``Figure`` and the Agg canvas, never pyplot, so report jobs in threads share no
global figure state.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from nlp_service.reports.charts import Chart
from nlp_service.reports.fonts import cjk_font
from nlp_service.reports.layout import Section, Table, report_sections

CELL_LIMIT = 32_000  # Excel refuses more than 32,767 characters in a cell: long id lists continue rightwards
BOLD_SIZE = 13
PNG_DPI = 110


def chart_png(chart: Chart) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = cjk_font()
    n = len(chart.categories)
    horizontal = chart.kind in ("barh", "stack")
    fig = Figure(figsize=(8.5, max(3.2, 0.32 * n + 1.4) if horizontal else 4.0), dpi=PNG_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    pos = list(range(n))
    width = 0.8 / max(len(chart.series), 1)
    left = [0.0] * n
    for k, s in enumerate(chart.series):
        values = [v or 0 for v in s.values]
        if chart.kind == "line":
            ax.plot(chart.categories, values, marker="o", label=s.name)
        elif chart.kind == "stack":
            ax.barh(pos, values, left=left, label=s.name)
            left = [a + b for a, b in zip(left, values, strict=True)]
        elif horizontal:
            ax.barh([p + k * width for p in pos], values, height=width, label=s.name)
        else:
            ax.bar([p + k * width for p in pos], values, width=width, label=s.name)
    if horizontal:
        ax.set_yticks([p + width * (len(chart.series) - 1) / 2 if chart.kind == "barh" else p for p in pos],
                      chart.categories, fontfamily=font)
        ax.invert_yaxis()
        ax.set_xlabel(chart.value_label, fontfamily=font)
    else:
        if chart.kind == "bar":
            ax.set_xticks(pos, chart.categories)
        ax.tick_params(axis="x", labelrotation=60 if n > 12 else 0)
        ax.set_ylabel(chart.value_label, fontfamily=font)
    ax.set_title(chart.title, fontfamily=font)
    if len(chart.series) > 1:
        ax.legend(prop={"family": font}, fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _id_cells(ids: list[int]) -> list[str]:
    text, out = ", ".join(map(str, ids)), []
    while len(text) > CELL_LIMIT:
        cut = text.rindex(", ", 0, CELL_LIMIT)
        out.append(text[:cut])
        text = text[cut + 2 :]
    return [*out, text]


def _chart_table(chart: Chart) -> Table:
    t = Table(f"图“{chart.title}”的数据", ["类别", "系列", "数值", "条数"])
    for s in chart.series:
        for cat, value, ids in zip(chart.categories, s.values, s.ids, strict=True):
            t.add([cat, s.name, value, len(ids)], ids)
    return t


def _write_table(ws: Any, row: int, t: Table) -> int:
    from openpyxl.styles import Font

    ws.cell(row, 1, t.title).font = Font(bold=True, size=BOLD_SIZE)
    for c, name in enumerate([*t.columns, "建议编号"], start=1):
        ws.cell(row + 1, c, name).font = Font(bold=True)
    r = row + 2
    for values, ids in zip(t.rows, t.ids, strict=True):
        for c, v in enumerate(values, start=1):
            ws.cell(r, c, v)
        for c, chunk in enumerate(_id_cells(ids) if ids else [], start=len(values) + 1):
            ws.cell(r, c, chunk)
        r += 1
    return r + 1


def _sheet(wb: Any, s: Section, n: int) -> None:
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font

    ws = wb.create_sheet(f"{n}.{s.title}"[:31])
    ws.cell(1, 1, s.title).font = Font(bold=True, size=16)
    row = 2
    for note in s.notes:
        ws.cell(row, 1, note)
        row += 1
    row += 1
    for t in [*s.tables, *(_chart_table(c) for c in s.charts)]:
        row = _write_table(ws, row, t)
    width = max([len(t.columns) + 1 for t in s.tables] or [2])
    for col in range(1, width + 1):
        ws.column_dimensions[ws.cell(1, col).column_letter].width = 14 if col < width else 40
    anchor_col = ws.cell(1, width + 2).column_letter
    top = 1
    for chart in s.charts:
        img = Image(io.BytesIO(chart_png(chart)))
        ws.add_image(img, f"{anchor_col}{top}")
        top += int(img.height / 20) + 2  # rows are about 20 px high


def render_xlsx(report: dict[str, Any], path: Path) -> Path:
    from openpyxl import Workbook

    cjk_font()  # fail before any work if charts could not show Chinese
    wb = Workbook()
    wb.remove(wb.active)
    for n, s in enumerate(report_sections(report), start=1):
        _sheet(wb, s, n)
    wb.save(path)
    return path
