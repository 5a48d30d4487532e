"""Export suggestions as CSV, XLSX or JSONL, masking personal data unless the role may see it.

Columns: ``id`` is the service's own number (for reference; an import never reads it as an external id) and
``external_id`` the item's stable id. An item stored without one gets ``nlp-<id>-<8 hex>`` the first time it is
exported, kept with the item, so an edited export imports back as an update, never as a copy. ``history`` is
the status history (``received@2021-03-04; replied@2021-04-01``), which an import reads back.
"""

from __future__ import annotations

import csv
import json
import secrets
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
_XLSX_CELL_CHARS = 32_000  # Excel's cell limit is 32,767 characters


def undefuse_formula(value: str) -> str:
    """What ``defuse_formula`` wrote, back as it was: one leading quote before = + - @ or a quote comes off."""
    if value.startswith("'") and value[1:2] and value[1] in (*_FORMULA_START, "'"):
        return value[1:]
    return value


def defuse_formula(value: Any) -> Any:
    """A cell starting with = + - @ would run as a formula in Excel (=cmd|...); prefix it with a quote. A value
    that already starts with such a quote gets one more, so an import can take exactly one off."""
    if isinstance(value, str) and (value.startswith(_FORMULA_START) or undefuse_formula(value) != value):
        return "'" + value
    return value


def new_external_id(internal_id: int) -> str:
    """A stable external id for an item stored without one: its number and a random part, so two databases that
    both export their item 5 never give two different items the same id."""
    return f"nlp-{internal_id}-{secrets.token_hex(4)}"


def export_views(name: str, stored: str) -> set[str]:
    """Every text an export may write for a stored value (masked for roles without personal data, cut and
    cleaned for XLSX), stripped as an import strips them."""
    views = {stored, _xlsx_cell(stored)}
    if name in _MASKED:
        masked = mask_pii(stored)
        views |= {masked, _xlsx_cell(masked)}
    return {v.strip() for v in views}


def suggestion_row(s: Suggestion, role: Role) -> dict[str, Any]:
    """One export row. An item with no external id is given a stable one here, stored with the export's
    transaction (the export's session commits it)."""
    if not s.external_id:
        s.external_id = new_external_id(s.id)
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
            ws.append([defuse_formula(_xlsx_cell(row.get(c))) for c in COLUMNS])
            n += 1
        wb.save(tmp)
    tmp.replace(path)  # a reader never sees half a file
    return n


_ILLEGAL_XLSX = dict.fromkeys([*list(range(0, 9)), 11, 12, *list(range(14, 32))])


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.translate(_ILLEGAL_XLSX)
        return value[:_XLSX_CELL_CHARS]
    return value
