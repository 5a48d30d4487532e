"""Batch topic reports over a period: ``data.build_report`` makes the figures (a JSON-serialisable dict with
the ids behind every figure); the renderers write it as HTML, XLSX, Markdown or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nlp_service.errors import BadInputError
from nlp_service.storage.files import atomic_file

FORMATS = {"html": ".html", "xlsx": ".xlsx", "json": ".json", "md": ".md"}
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "json": "application/json",
               "md": "text/markdown; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise BadInputError(f"unknown report format {fmt!r}; one of {', '.join(FORMATS)}")
    return fmt


def preflight(fmt: str) -> str:
    """Checks that need no data, made before minutes of work: the format, and a CJK font for XLSX charts."""
    check_format(fmt)
    if fmt == "xlsx":
        from nlp_service.reports.fonts import cjk_font

        cjk_font()
    return fmt


def render_json(report: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _renderer(fmt: str) -> Callable[[dict[str, Any], Path], Path]:
    if fmt == "html":
        from nlp_service.reports.html import render_html

        return render_html
    if fmt == "xlsx":
        from nlp_service.reports.xlsx import render_xlsx

        return render_xlsx
    if fmt == "md":
        from nlp_service.reports.markdown import render_markdown

        return render_markdown
    return render_json


def render(report: dict[str, Any], fmt: str, path: Path) -> Path:
    """Write the report; a temporary file is renamed into place so a reader never sees half a report."""
    check_format(fmt)
    with atomic_file(path) as tmp:
        _renderer(fmt)(report, tmp)
    return path
