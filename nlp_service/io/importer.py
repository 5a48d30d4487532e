"""Import suggestions from CSV/XLSX/JSONL with a column mapping, row-level errors and two modes.

Every bad row is reported (row, column, cell where the format has cells, reason) and none swallows another: see
``tabular``. ``good_rows`` writes the good rows and skips the bad ones; ``all_or_nothing`` writes nothing if any
row is bad. Either way the file is read whole before anything is written.

Round trips: a file this service exported imports back as an update of the same items, and exporting again
gives the same file. The export's ``id`` column is the service's own number and is never read as an external id;
items are matched by ``external_id`` (the export gives every item one). The export's ``history`` column is read
back as the status history, a formula-defusing quote (``'=...``) is taken off again, and a masked, cut or
cleaned cell that is exactly what an export makes of the stored text leaves the stored text alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nlp_service.domain.records import STATUSES, SuggestionIn
from nlp_service.errors import BadInputError, ImportFailedError, RowError
from nlp_service.io.exporter import export_views, undefuse_formula
from nlp_service.io.tabular import CellError, Row, scan_rows
from nlp_service.storage.db import Database
from nlp_service.storage.repository import audit, find_by_external_ids, upsert_suggestions

# Column names seen in real exports, mapped to our fields, so common files import with no --map at all.
KNOWN_COLUMNS = {
    "留言编号": "external_id", "编号": "external_id",
    "留言主题": "title", "标题": "title", "主题": "title",
    "留言详情": "body", "内容": "body", "正文": "body", "详情": "body", "text": "body",
    "留言时间": "submitted", "提交时间": "submitted", "日期": "submitted",
    "答复意见": "reply", "回复": "reply", "答复时间": "replied",
    "点赞数": "likes", "反对数": "dislikes", "留言用户": "submitter",
    "渠道": "channel", "地点": "place", "部门": "department", "承办单位": "department", "状态": "status",
    "history": "status_history",  # as the export writes it: received@2021-03-04; replied@2021-04-01
}
OWN_ID = "id"  # the export's column for the service's own number: never an external id unless mapped so
FIELDS = set(SuggestionIn.model_fields) - {"extra"}
MODES = ("good_rows", "all_or_nothing")
_HISTORY = re.compile(r"^\s*([a-z_]+)\s*@\s*(\d{4}-\d{2}-\d{2})?\s*$")


class RowsFailedError(ImportFailedError):
    """ImportFailedError that counts bad rows, not problems (a row may have several bad cells)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(errors)
        rows = len({e.row for e in errors})
        if rows != len(errors):
            self.message = self.message.replace(f"{len(errors)} bad rows", f"{rows} bad rows ({len(errors)} "
                                                f"problems)", 1)


@dataclass
class ImportReport:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated,
                "skipped": len({e.row for e in self.errors}),
                "errors": [error_dict(e) for e in self.errors], "notes": self.notes}


def error_dict(e: RowError) -> dict[str, Any]:
    out: dict[str, Any] = {"row": e.row, "column": e.column, "reason": e.reason}
    if getattr(e, "cell", None):
        out["cell"] = e.cell
    if getattr(e, "line", None) not in (None, e.row):
        out["line"] = e.line
    return out


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``["留言主题=title", ...]`` -> {"留言主题": "title"}; the target must be one of our fields."""
    mapping = {}
    for pair in pairs or []:
        src, sep, dst = pair.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise BadInputError(f"mapping {pair!r} must look like SOURCE_COLUMN=field")
        dst = dst.strip()
        if dst not in FIELDS:
            raise BadInputError(f"mapping {pair!r}: unknown field {dst!r}; fields: {', '.join(sorted(FIELDS))}")
        mapping[src.strip()] = dst
    return mapping


def _history(value: Any) -> list[dict[str, Any]]:
    """``received@2021-03-04; replied@`` (the export's history column) -> status events."""
    if isinstance(value, list):
        return value
    events = []
    for part in str(value).split(";"):
        if not part.strip():
            continue
        m = _HISTORY.match(part)
        if not m or m.group(1) not in STATUSES:
            raise ValueError(f"{part.strip()!r} is not STATUS@YYYY-MM-DD (as the export writes it; "
                             f"statuses: {', '.join(STATUSES)})")
        events.append({"status": m.group(1), "date": m.group(2)})
    return events


def _record(row: Row, mapping: dict[str, str], defused: bool, drop_own_id: bool) -> SuggestionIn | list[RowError]:
    """The row as a record, or every problem with it (one error per bad cell)."""
    data: dict[str, Any] = {"extra": {}}
    source: dict[str, str] = {}  # field -> the file's column it came from
    for col, value in row.values.items():
        if isinstance(value, str):
            value = value.strip()
            if defused:
                value = undefuse_formula(value)
        if value is None or value == "":
            continue  # an empty cell is a missing value, never a blanking update
        if col == OWN_ID and col not in mapping and drop_own_id:
            continue
        target = mapping.get(col) or (col if col in FIELDS else KNOWN_COLUMNS.get(col))
        if target and target not in data:
            data[target], source[target] = value, col
        else:
            data["extra"][col] = value if isinstance(value, int | float | bool) else str(value)
    errors: list[RowError] = []

    def bad(fld: str | None, reason: str) -> None:
        col = source.get(fld, fld) if fld else None
        errors.append(CellError(row.number, col, reason, row.cell(col), row.line))

    if "status_history" in data:
        try:
            data["status_history"] = _history(data["status_history"])
        except ValueError as e:
            bad("status_history", str(e))
            data.pop("status_history")
    last = data["status_history"][-1] if data.get("status_history") else None
    if isinstance(last, dict) and data.get("status") and data["status"] != last.get("status"):
        # the status was changed in the file but the history was not: the new status is its latest step
        data["status_history"] = [*data["status_history"], {"status": data["status"]}]
    try:
        rec = SuggestionIn.model_validate(data)
    except ValidationError as e:
        seen = set()
        for err in e.errors():
            fld = str(err["loc"][0]) if err["loc"] else None
            if fld not in seen:
                seen.add(fld)
                bad(fld, err["msg"])
        return errors
    return errors or rec


def _no_text(row: int) -> RowError:
    return RowError(row, None, "no text: both title and body are empty (only an update of a stored external id "
                               "may leave them out)")


def import_file(db: Database, path: Path, mapping: dict[str, str] | None = None, mode: str = "good_rows",
                fmt: str | None = None, encoding: str = "utf-8", actor: str = "system",
                progress: Callable[[int], None] | None = None, batch_size: int = 500,
                on_written: Callable[[Any, list[int]], None] | None = None) -> ImportReport:
    """``all_or_nothing`` writes in one transaction only if every row is good; ``good_rows`` skips bad rows."""
    if mode not in MODES:
        raise BadInputError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
    mapping = mapping or {}
    report = ImportReport()
    good: list[SuggestionIn] = []
    table = scan_rows(path, fmt, encoding)
    if table.header is not None:
        missing = [c for c in mapping if c not in table.header]
        if missing:
            raise BadInputError(f"{path}: mapped columns not in the file: {', '.join(missing)}; "
                                f"the file has: {', '.join(table.header)}")
    has_external = "external_id" in mapping.values() or any(
        mapping.get(c, c if c in FIELDS else KNOWN_COLUMNS.get(c)) == "external_id" for c in table.header or [])
    kept_own_id = False
    defused = table.fmt in ("csv", "xlsx")  # our CSV and XLSX exports quote a leading = + - @
    keys_seen: set[str] = set()
    first_row: dict[str, int] = {}  # external id -> the row it first appeared on
    bad_rows: set[int] = set()
    textless: dict[str, int] = {}  # rows with no title or body: fine as updates of stored items only
    for item in table.items:
        if isinstance(item, RowError):
            if item.row not in bad_rows:
                report.rows += 1
                bad_rows.add(item.row)
            report.errors.append(item)
        else:
            report.rows += 1
            keys_seen.update(item.values)
            # Beside an external_id column (our export's shape) an id is the exporting service's own number.
            drop_own_id = "external_id" in item.values
            kept_own_id = kept_own_id or (OWN_ID in item.values and not drop_own_id and not has_external)
            rec = _record(item, mapping, defused, drop_own_id)
            if isinstance(rec, list):
                report.errors += rec
                bad_rows.add(item.number)
            elif rec.external_id and rec.external_id in first_row:
                col = next((c for c, f in mapping.items() if f == "external_id"), None) or next(
                    (c for c in item.values if c == "external_id" or KNOWN_COLUMNS.get(c) == "external_id"),
                    "external_id")
                report.errors.append(CellError(item.number, col, f"external id {rec.external_id!r} is also on row "
                                               f"{first_row[rec.external_id]} of this file; only the first is "
                                               f"imported", item.cell(col), item.line))
                bad_rows.add(item.number)
            else:
                if rec.external_id:
                    first_row[rec.external_id] = item.number
                if rec.title or rec.body:
                    good.append(rec)
                elif rec.external_id:
                    textless[rec.external_id] = item.number
                    good.append(rec)
                else:
                    report.errors.append(_no_text(item.number))
                    bad_rows.add(item.number)
        if progress:
            progress(1)
    if table.header is None:
        missing = [c for c in mapping if c not in keys_seen]
        if missing and report.rows:
            raise BadInputError(f"{path}: mapped keys on no line of the file: {', '.join(missing)}")
    if report.rows == 0:
        raise BadInputError(f"{path}: no data rows (only a header, or only empty rows)")
    if textless:
        with db.session() as s:
            unknown = set(textless) - set(find_by_external_ids(s, textless))
        for ext in unknown:
            report.errors.append(_no_text(textless[ext]))
            bad_rows.add(textless[ext])
        good = [r for r in good if r.external_id not in unknown]
    if kept_own_id:
        report.notes.append(f"column {OWN_ID!r} was kept in extra, not read as the external id (in this "
                            f"service's exports it is the internal number); pass --map {OWN_ID}=external_id if it "
                            f"is your system's id")
    report.errors.sort(key=lambda e: e.row)
    if report.errors and mode == "all_or_nothing":
        raise RowsFailedError(report.errors)
    with db.session() as s:  # one transaction: a crash or error leaves nothing half-written
        for i in range(0, len(good), batch_size):
            ids, ins, upd = upsert_suggestions(s, good[i : i + batch_size], actor, same=_export_view)
            report.ids += ids
            report.inserted += ins
            report.updated += upd
        if on_written is not None and report.ids:
            on_written(s, report.ids)  # e.g. the items' vectors, so they commit together with the items
        audit(s, actor, "import", "file", path.name, rows=report.rows, inserted=report.inserted,
              updated=report.updated, skipped=len(bad_rows), mode=mode)
    return report


def _export_view(name: str, stored: Any, incoming: Any) -> bool:
    """Whether an incoming cell is what an export wrote for the stored value (masked for staff, cut to
    Excel's cell size, control characters dropped): then it stands for the stored value, which stays."""
    if not isinstance(stored, str) or not isinstance(incoming, str):
        return False
    return incoming in export_views(name, stored)
