"""Read rows from CSV, XLSX or JSONL, with row numbers people can find in the file.

A row that cannot be read is never folded into its neighbours: ``scan_rows`` yields it as a ``RowError`` (row,
column, reason) in its place and goes on with the next row, so an import can report every bad row and read all
the good ones. ``read_rows`` is the strict form for readers that stop at the first bad row (training, predict).

CSV: a cell with a line break inside properly closed quotes is fine. A quote that never closes, or text after a
closing quote, or a row with more or fewer cells than the header is an error for that row. When a quote opened
on one line was evidently meant to close on it (it runs to the end of the file, or the lines it swallowed read
as whole rows), reading starts again on the next line and the error says so.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

from nlp_service.errors import BadInputError, RowError
from nlp_service.io.text_input import decode_text, encoding_hint

FORMATS = ("csv", "xlsx", "jsonl")
# What a spreadsheet shows instead of a value when a formula failed; never a suggestion's text or number.
SPREADSHEET_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")


class CellError(RowError):
    """A row error that also names the cell as a spreadsheet shows it (``C5``) and, for CSV, the file's line."""

    def __init__(self, row: int, column: str | None, reason: str, cell: str | None = None,
                 line: int | None = None) -> None:
        super().__init__(row, column, reason)
        self.cell, self.line = cell, line
        where = f"row {row}" + (f", column {column!r}" if column else "") + (f" (cell {cell})" if cell else "")
        if line is not None and line != row:
            where += f" (line {line} of the file)"
        self.message = f"{where}: {reason}"


@dataclass(frozen=True)
class Row:
    number: int  # 1-based as shown by a spreadsheet: the header is row 1 in CSV/XLSX, line 1 in JSONL
    values: dict[str, Any]
    letters: dict[str, str] = field(default_factory=dict, compare=False, repr=False)  # column -> "C"
    line: int | None = None  # CSV: the file line the row starts on

    def cell(self, column: str | None) -> str | None:
        """The spreadsheet reference of a column's cell in this row (``C5``), where the format has one."""
        letter = self.letters.get(column) if column else None
        return f"{letter}{self.number}" if letter else None


@dataclass
class Table:
    """A file's header (None for JSONL, whose lines each name their keys) and its rows or row errors."""

    fmt: str
    header: list[str] | None
    items: Iterator[Row | RowError]


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column names of a spreadsheet."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def detect_format(path: Path, fmt: str | None = None) -> str:
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    fmt = {"json": "jsonl", "ndjson": "jsonl", "xlsm": "xlsx", "tsv": "csv"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise BadInputError(f"{path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return fmt


def _check_header(path: Path, header: list[str]) -> None:
    seen: set[str] = set()
    dup = [h for h in header if h in seen or seen.add(h)]  # type: ignore[func-returns-value]
    if dup:
        raise BadInputError(f"{path}: duplicate column names in the header: {', '.join(map(repr, dup))}")


# ---------------------------------------------------------------------------------------------------- CSV


class _Lines:
    """The file's lines for csv.reader, with the position readable and settable to read again from a line."""

    def __init__(self, lines: list[str]) -> None:
        self.lines, self.pos = lines, 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


@dataclass
class _Quoted:
    open: int  # offsets into the record's text
    close: int | None  # the closing quote; None when the text ends inside the quotes
    field: int  # the 0-based cell the quotes belong to
    junk: bool  # text follows the closing quote in the same cell (a quote inside a cell that was not doubled)


def _quoted_cells(text: str, delim: str) -> tuple[list[_Quoted], bool]:
    """The quoted cells of one CSV record by the rules csv.reader follows (Excel dialect), up to the first fault,
    and whether a quote stands inside an unquoted cell (legal, but never written by a spreadsheet)."""
    out: list[_Quoted] = []
    stray = False
    stop = re.compile(f"[{re.escape(delim)}\r\n]")
    pos, cell, n = 0, 0, len(text)
    while pos < n:
        if text[pos] == '"':  # a quoted cell: runs to a quote that is not doubled
            p = pos + 1
            while True:
                j = text.find('"', p)
                if j < 0:
                    out.append(_Quoted(pos, None, cell, False))
                    return out, stray
                if text.startswith('"', j + 1):
                    p = j + 2
                    continue
                break
            after = text[j + 1 : j + 2]
            if after and after != delim and after not in "\r\n":
                out.append(_Quoted(pos, j, cell, True))
                return out, stray
            out.append(_Quoted(pos, j, cell, False))
            if after != delim:
                return out, stray
            pos, cell = j + 2, cell + 1
            continue
        m = stop.search(text, pos)  # an unquoted cell: quotes inside it are plain characters
        stray = stray or '"' in text[pos : m.start() if m else n]
        if not m or m.group() != delim:
            return out, stray
        pos, cell = m.end(), cell + 1
    return out, stray


def _span(a: int, b: int) -> str:
    """1-based file lines a..b as words."""
    return f"line {a}" if a == b else f"lines {a}-{b}"


def _csv_table(path: Path, encoding: str) -> Table:
    data = path.read_bytes()
    delim = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        text = decode_text(data, str(path), encoding)
    except BadInputError as e:
        if "offset" not in e.context:
            raise
        raise BadInputError(_where_undecodable(path, data, int(e.context["offset"]), encoding, delim)) from e
    csv.field_size_limit(16 * 1024 * 1024)
    lines = io.StringIO(text, newline="").readlines()  # split as csv.reader splits: \n, \r\n or \r
    src = _Lines(lines)
    reader = csv.reader(src, delimiter=delim, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise BadInputError(f"{path}: no header row") from None
    except csv.Error as e:
        raise BadInputError(f"{path}: the header row cannot be read ({e})") from None
    header = [h.strip() for h in header]
    _check_header(path, header)
    return Table("csv", header, iter(_CsvRows(lines, src, reader, header, delim)))


def _where_undecodable(path: Path, data: bytes, offset: int, encoding: str, delim: str) -> str:
    """Row and column of the first byte that does not decode, counted on the text before it."""
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    before = data[start:offset].decode(encoding, errors="replace")
    records = list(csv.reader(io.StringIO(before, newline=""), delimiter=delim))
    header = records[0] if records else []
    row = len(records) if before and before[-1] not in "\r\n" else len(records) + 1
    cells = len(records[-1]) if records and before and before[-1] not in "\r\n" else 1
    where = f"row {row}"
    if row > 1 and header:
        name = header[cells - 1].strip() if cells - 1 < len(header) else None
        where += f", column {name!r}" if name else ""
        where += f" (cell {column_letter(cells - 1)}{row})"
    line = data.count(b"\n", 0, offset) + 1
    return (f"{path}: not valid {encoding} at {where}, line {line}, byte offset {offset} "
            f"(0x{data[offset]:02x}); nothing was read.{encoding_hint(encoding)}")


class _CsvRows:
    """csv.reader over the file's lines, one record at a time, each checked against the header; a record that
    is bad becomes a CellError, and where a stray quote swallowed lines, reading starts again after it."""

    def __init__(self, lines: list[str], src: _Lines, reader: Any, header: list[str], delim: str) -> None:
        self.lines, self.src, self.reader, self.header, self.delim = lines, src, reader, header, delim
        self.ncols = len(header)
        self.letters = {h: column_letter(i) for i, h in enumerate(header)}

    def __iter__(self) -> Iterator[Row | RowError]:
        number = 1
        while True:
            start = self.src.pos
            try:
                rec, failed = next(self.reader), None
            except StopIteration:
                return
            except csv.Error as e:
                rec, failed = None, str(e)
            end, number = self.src.pos, number + 1  # lines start..end-1 (0-based) are this record
            if rec is not None and not rec:
                continue  # a blank line
            error, again = (None, None) if rec is not None and len(rec) == self.ncols and end - start == 1 \
                else self._check(rec, failed, number, start, end)
            if error is not None:
                yield error
                if again is not None:
                    self.src.pos = again
                    self.reader = csv.reader(self.src, delimiter=self.delim, strict=True)
            elif rec is not None and any(c.strip() for c in rec):
                yield Row(number, dict(zip(self.header, rec, strict=True)), self.letters, start + 1)

    def _check(self, rec: list[str] | None, failed: str | None, number: int, start: int, end: int
               ) -> tuple[CellError | None, int | None]:
        """(the error, the 0-based line to read again from) for a record that failed, spans lines or has the
        wrong number of cells; (None, None) for a good one."""
        text = "".join(self.lines[start:end])
        offsets = list(accumulate((len(x) for x in self.lines[start : end - 1]), initial=0))

        def line(off: int) -> int:  # 0-based file line of an offset in the record's text
            return start + bisect.bisect_right(offsets, off) - 1

        def error(q: _Quoted | None, reason: str) -> CellError:
            col = self.header[q.field] if q is not None and q.field < self.ncols else None
            cell = f"{column_letter(q.field)}{number}" if q is not None else None
            return CellError(number, col, reason, cell, start + 1)

        quoted, _ = _quoted_cells(text, self.delim)
        if rec is None:  # the reader failed: a quote that never closes, or text after a closing quote
            q = quoted[-1] if quoted else None
            if q is None:
                return error(None, f"cannot be read as CSV ({failed})"), end
            qline = line(q.open)
            if q.close is None:
                again = f"; rows read again from line {qline + 2}" if qline + 1 < len(self.lines) else ""
                return error(q, f"a quote opened on line {qline + 1} never closes (the file ends inside it)"
                                f"{again}"), qline + 1
            fline = line(q.close)
            if qline < fline and self._rows(qline + 1, fline + 1):
                return error(q, f"a quote opened on line {qline + 1} does not close on that line (it ran on to "
                                f"line {fline + 1}); rows read again from line {qline + 2}"), qline + 1
            spans = f"; this row ran over {_span(start + 1, fline + 1)}" if fline > start else ""
            return error(q, f"text after the closing quote on line {fline + 1}: a quote inside a quoted cell "
                            f"must be doubled (\"\"){spans}"), fline + 1
        multi = next((q for q in quoted if q.close is not None and line(q.close) > line(q.open)), None)
        qline = line(multi.open) if multi else 0
        cline = line(multi.close or 0) if multi else 0
        swallowed = multi is not None and cline - qline >= 2 and self._rows(qline + 1, cline)
        if len(rec) == self.ncols:  # line breaks inside quotes: fine, unless the lines inside read as rows
            if swallowed and self.ncols >= 3:
                return error(multi, f"a quote opened on line {qline + 1} does not close on that line: "
                                    f"{_span(qline + 2, cline)} inside it read as whole rows; rows read again "
                                    f"from line {qline + 2}"), qline + 1
            return None, None
        reason = f"{len(rec)} cells, {'more' if len(rec) > self.ncols else 'fewer'} than the header's " \
                 f"{self.ncols} columns"
        if swallowed:
            return error(multi, f"{reason}: a quote opened on line {qline + 1} does not close on that line; "
                                f"rows read again from line {qline + 2}"), qline + 1
        if multi is not None:
            reason += (f"; the row runs over {_span(start + 1, end)} because a quote opened on line {qline + 1} "
                       f"closes on line {cline + 1}")
        extra = [f"{column_letter(i)}{number}" for i in range(self.ncols, len(rec)) if rec[i].strip()]
        if extra:
            reason += f" (cells with no header: {', '.join(extra)})"
        return error(None, reason), None

    def _rows(self, a: int, b: int) -> bool:
        """Lines a..b-1 (0-based) read on their own as whole rows, each with as many cells as the header and no
        stray quote: the sign that a quote opened before them swallowed them."""
        trial = _Lines(self.lines[a:b])
        seen, at = 0, 0
        try:
            for rec in csv.reader(trial, delimiter=self.delim, strict=True):
                text, at = "".join(self.lines[a + at : a + trial.pos]), trial.pos
                if not rec:
                    continue
                quoted, stray = _quoted_cells(text, self.delim)
                if len(rec) != self.ncols or stray or any(q.close is None or q.junk for q in quoted):
                    return False
                seen += 1
        except csv.Error:
            return False
        return seen > 0


# --------------------------------------------------------------------------------------------------- XLSX


def _xlsx_table(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a broken file
        raise BadInputError(f"{path}: not a readable XLSX file ({type(e).__name__}: {e})") from e
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows()
        header_row = next(rows, None)
        values = [c.value for c in header_row] if header_row else []
        if not any(v is not None and str(v).strip() for v in values):
            raise BadInputError(f"{path}: no header row (the first sheet's first row is empty)")
    except BaseException:
        wb.close()
        raise
    header = [str(h).strip() if h is not None and str(h).strip() else f"column{i + 1}"
              for i, h in enumerate(values)]
    try:
        _check_header(path, header)
    except BaseException:
        wb.close()
        raise
    return Table("xlsx", header, _xlsx_items(wb, rows, header))


def _xlsx_items(wb: Any, rows: Iterator[Any], header: list[str]) -> Iterator[Row | RowError]:
    letters = {h: column_letter(i) for i, h in enumerate(header)}
    try:
        for number, cells in enumerate(rows, start=2):
            values: dict[str, Any] = dict.fromkeys(header)
            bad: list[RowError] = []
            filled = False
            for i, c in enumerate(cells):
                v = c.value
                if v is None or (isinstance(v, str) and not v.strip()):
                    continue
                while i >= len(header):  # a sheet whose stated size is wrong: name the extra columns
                    header.append(f"column{len(header) + 1}")
                    letters[header[-1]] = column_letter(len(header) - 1)
                col = header[i]
                if c.data_type == "e" or (isinstance(v, str) and v.strip() in SPREADSHEET_ERRORS):
                    bad.append(CellError(number, col, f"the cell holds the spreadsheet error {v}, not a value",
                                         f"{column_letter(i)}{number}"))
                    continue
                values[col], filled = v, True
            if bad:
                yield from bad
            elif filled:
                yield Row(number, values, letters)
    finally:
        wb.close()


# -------------------------------------------------------------------------------------------------- JSONL


def _jsonl_table(path: Path, encoding: str) -> Table:
    text = decode_text(path.read_bytes(), str(path), encoding)
    return Table("jsonl", None, _jsonl_items(text))


def _jsonl_items(text: str) -> Iterator[Row | RowError]:
    # Lines end at \n only: U+2028 and friends are legal inside a JSON string (our own export writes them).
    for i, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield RowError(i, None, f"not valid JSON at column {e.colno}: {e.msg}; the other lines were read")
            continue
        if not isinstance(obj, dict):
            yield RowError(i, None, f"each line must be a JSON object, not {type(obj).__name__}")
            continue
        yield Row(i, obj)


# ------------------------------------------------------------------------------------------------- public


def scan_rows(path: Path, fmt: str | None = None, encoding: str = "utf-8") -> Table:
    """The header, then every row in file order; a row that cannot be read comes as a RowError in its place.

    Whole-file problems (no such file, unknown format, an encoding that does not fit, an empty file, no header)
    raise BadInputError before any row is read."""
    if not path.is_file():
        raise BadInputError(f"{path}: no such file")
    fmt = detect_format(path, fmt)
    if path.stat().st_size == 0:
        raise BadInputError(f"{path}: empty file")
    if fmt == "csv":
        return _csv_table(path, encoding)
    if fmt == "xlsx":
        return _xlsx_table(path)
    return _jsonl_table(path, encoding)


def read_rows(path: Path, fmt: str | None = None, encoding: str = "utf-8") -> Iterator[Row]:
    """Rows in file order. A row that cannot be read raises RowError with its number."""
    table = scan_rows(path, fmt, encoding)
    for item in table.items:
        if isinstance(item, RowError):
            raise item
        yield item


def require_columns(row: Row, columns: list[str], path: Path | str) -> None:
    """Checked on the first row: a misspelt column name fails at once, naming the columns the file has."""
    check_columns(list(row.values), columns, path)


def check_columns(have: list[str], columns: list[str], path: Path | str) -> None:
    """``require_columns`` for a header or a schema: the names a file has against the ones asked for."""
    missing = [c for c in columns if c not in have]
    if missing:
        raise BadInputError(f"{path}: no column {', '.join(map(repr, missing))}; "
                            f"columns are {', '.join(map(str, have))}")


def joined_text(row: Row, columns: list[str]) -> str:
    """Several text columns as one text, one per line (title and body, say)."""
    return join_cells(row.values, columns)


def join_cells(values: Mapping[str, Any], columns: list[str]) -> str:
    """``joined_text`` for any mapping of column to cell (a Parquet row, say): empty and missing cells are ""."""
    return "\n".join(str(values.get(c) or "") for c in columns)
