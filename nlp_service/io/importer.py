"""Import suggestions from CSV/XLSX/JSONL with a column mapping, row-level errors and two modes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nlp_service.domain.records import SuggestionIn
from nlp_service.errors import BadInputError, ImportFailedError, RowError
from nlp_service.io.tabular import read_rows
from nlp_service.storage.db import Database
from nlp_service.storage.repository import audit, upsert_suggestions

# Column names seen in real exports, mapped to our fields, so common files import with no --map at all.
KNOWN_COLUMNS = {
    "留言编号": "external_id", "编号": "external_id", "id": "external_id",
    "留言主题": "title", "标题": "title", "主题": "title",
    "留言详情": "body", "内容": "body", "正文": "body", "详情": "body", "text": "body",
    "留言时间": "submitted", "提交时间": "submitted", "日期": "submitted",
    "答复意见": "reply", "回复": "reply", "答复时间": "replied",
    "点赞数": "likes", "反对数": "dislikes", "留言用户": "submitter",
    "渠道": "channel", "地点": "place", "部门": "department", "承办单位": "department", "状态": "status",
}
FIELDS = set(SuggestionIn.model_fields) - {"extra"}
MODES = ("good_rows", "all_or_nothing")


@dataclass
class ImportReport:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated,
                "skipped": len(self.errors),
                "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in self.errors]}


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


def _record(values: dict[str, Any], mapping: dict[str, str], row: int) -> SuggestionIn:
    data: dict[str, Any] = {"extra": {}}
    for col, value in values.items():
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            continue  # an empty cell is a missing value, never a blanking update
        target = mapping.get(col) or (col if col in FIELDS else KNOWN_COLUMNS.get(col))
        if target and target not in data:
            data[target] = value
        else:
            data["extra"][col] = value if isinstance(value, int | float | bool) else str(value)
    if "status_history" in data and not isinstance(data["status_history"], list):
        data.pop("status_history")
    try:
        rec = SuggestionIn.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        column = next((c for c, f in mapping.items() if f == err["loc"][0]), str(err["loc"][0]))
        raise RowError(row, column, err["msg"]) from None
    if not rec.title and not rec.body:
        raise RowError(row, None, "no text: both title and body are empty")
    return rec


def import_file(db: Database, path: Path, mapping: dict[str, str] | None = None, mode: str = "good_rows",
                fmt: str | None = None, encoding: str = "utf-8", actor: str = "system",
                progress: Callable[[int], None] | None = None, batch_size: int = 500) -> ImportReport:
    """``all_or_nothing`` writes in one transaction only if every row is good; ``good_rows`` skips bad rows."""
    if mode not in MODES:
        raise BadInputError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
    mapping = mapping or {}
    report = ImportReport()
    good: list[SuggestionIn] = []
    rows = read_rows(path, fmt, encoding)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except RowError as e:  # the row could not even be read; the reader cannot go on past it
            report.errors.append(e)
            break
        if report.rows == 0:
            missing = [c for c in mapping if c not in row.values]
            if missing:
                raise BadInputError(f"{path}: mapped columns not in the file: {', '.join(missing)}; "
                                    f"the file has: {', '.join(map(str, row.values))}")
        report.rows += 1
        try:
            good.append(_record(row.values, mapping, row.number))
        except RowError as e:
            report.errors.append(e)
        if progress:
            progress(1)
    if report.rows == 0 and not report.errors:
        raise BadInputError(f"{path}: no data rows")
    if report.errors and mode == "all_or_nothing":
        raise ImportFailedError(report.errors)
    with db.session() as s:  # one transaction: a crash or error leaves nothing half-written
        for i in range(0, len(good), batch_size):
            ids, ins, upd = upsert_suggestions(s, good[i : i + batch_size], actor)
            report.ids += ids
            report.inserted += ins
            report.updated += upd
        audit(s, actor, "import", "file", path.name, rows=report.rows, inserted=report.inserted,
              updated=report.updated, skipped=len(report.errors), mode=mode)
    return report

