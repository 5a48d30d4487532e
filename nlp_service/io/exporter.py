"""Export suggestions as CSV, XLSX or JSONL, masking personal data unless the role may see it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nlp_service.access.roles import Role, may_see_personal_data
from nlp_service.errors import BadInputError
from nlp_service.io.tabular import FORMATS
from nlp_service.storage.models import Suggestion
from nlp_service.text.pii import mask_pii

COLUMNS = ("id", "external_id", "title", "body", "submitted", "channel", "submitter_group", "place", "topic",
           "department", "status", "reply", "replied", "likes", "dislikes", "dup_group", "history")
_MASKED = ("title", "body", "reply")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse_formula(value: Any) -> Any:
    """A cell starting with = + - @ would run as a formula in Excel (=cmd|...); prefix it with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def suggestion_row(s: Suggestion, role: Role) -> dict[str, Any]:
    row: dict[str, Any] = {c: getattr(s, c, None) for c in COLUMNS if c != "history"}
    row["history"] = "; ".join(f"{e.status}@{e.date or ''}" for e in s.events)
    for k in ("submitted", "replied"):
        row[k] = row[k].isoformat() if row[k] else None
    if not may_see_personal_data(role):
        for k in _MASKED:
            if row[k]:
                row[k] = mask_pii(row[k])
    return row


def export_rows(rows: Iterable[dict[str, Any]], path: Path, fmt: str | None = None) -> int:
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise BadInputError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    n = 0
    if fmt == "jsonl":
        with tmp.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
    elif fmt == "csv":
        with tmp.open("w", encoding="utf-8-sig", newline="") as f:  # BOM: Excel then reads UTF-8 right
            writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: defuse_formula(v) for k, v in row.items()})
                n += 1
    else:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("suggestions")
        ws.append(list(COLUMNS))
        for row in rows:
            ws.append([_xlsx_cell(defuse_formula(row.get(c))) for c in COLUMNS])
            n += 1
        wb.save(tmp)
    tmp.replace(path)  # a reader never sees half a file
    return n


_ILLEGAL_XLSX = dict.fromkeys([*list(range(0, 9)), 11, 12, *list(range(14, 32))])


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.translate(_ILLEGAL_XLSX)
        return value[:32_000]  # Excel's cell limit is 32,767 characters
    return value
