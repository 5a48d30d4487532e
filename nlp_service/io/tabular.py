"""Read rows from CSV, XLSX or JSONL, with row numbers people can find in the file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp_service.errors import BadInputError, RowError
from nlp_service.io.text_input import decode_text

FORMATS = ("csv", "xlsx", "jsonl")


@dataclass(frozen=True)
class Row:
    number: int  # 1-based as shown by a spreadsheet: the header is row 1 in CSV/XLSX, line 1 in JSONL
    values: dict[str, Any]


def detect_format(path: Path, fmt: str | None = None) -> str:
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    fmt = {"json": "jsonl", "ndjson": "jsonl", "xlsm": "xlsx", "tsv": "csv"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise BadInputError(f"{path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return fmt


def _csv_rows(path: Path, encoding: str) -> Iterator[Row]:
    text = decode_text(path.read_bytes(), str(path), encoding)
    csv.field_size_limit(16 * 1024 * 1024)
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
    reader = csv.reader(io.StringIO(text, newline=""), dialect=dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise BadInputError(f"{path}: no header row") from None
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        raise BadInputError(f"{path}: duplicate column names in the header: {header}")
    for i, rec in enumerate(reader, start=2):
        if not any(c.strip() for c in rec):
            continue
        if len(rec) > len(header):
            raise RowError(i, None, f"{len(rec)} cells but the header has {len(header)} columns")
        yield Row(i, dict(zip(header, rec + [""] * (len(header) - len(rec)), strict=True)))


def _xlsx_rows(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a broken file
        raise BadInputError(f"{path}: not a readable XLSX file ({type(e).__name__}: {e})") from e
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header_row = next(rows, None)
        if not header_row:
            raise BadInputError(f"{path}: no header row")
        header = [str(h).strip() if h is not None else f"column{i + 1}" for i, h in enumerate(header_row)]
        for i, rec in enumerate(rows, start=2):
            if rec is None or all(c is None or str(c).strip() == "" for c in rec):
                continue
            yield Row(i, dict(zip(header, rec, strict=False)))
    finally:
        wb.close()


def _jsonl_rows(path: Path, encoding: str) -> Iterator[Row]:
    text = decode_text(path.read_bytes(), str(path), encoding)
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise RowError(i, None, f"not valid JSON ({e.msg} at column {e.colno})") from None
        if not isinstance(obj, dict):
            raise RowError(i, None, "each line must be a JSON object")
        yield Row(i, obj)


def read_rows(path: Path, fmt: str | None = None, encoding: str = "utf-8") -> Iterator[Row]:
    """Rows in file order. A row that cannot be read at all raises RowError with its number."""
    if not path.is_file():
        raise BadInputError(f"{path}: no such file")
    fmt = detect_format(path, fmt)
    if fmt == "csv":
        return _csv_rows(path, encoding)
    if fmt == "xlsx":
        return _xlsx_rows(path)
    return _jsonl_rows(path, encoding)


def require_columns(row: Row, columns: list[str], path: Path | str) -> None:
    """Checked on the first row: a misspelt column name fails at once, naming the columns the file has."""
    missing = [c for c in columns if c not in row.values]
    if missing:
        raise BadInputError(f"{path}: no column {', '.join(map(repr, missing))}; "
                            f"columns are {', '.join(map(str, row.values))}")


def joined_text(row: Row, columns: list[str]) -> str:
    """Several text columns as one text, one per line (title and body, say)."""
    return "\n".join(str(row.values.get(c) or "") for c in columns)
