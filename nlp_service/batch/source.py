"""Batch input cut into partitions: CSV/XLSX/JSONL (read here by the same reader as ``predict``) or Parquet (a
file or a folder of parts, read by the workers themselves). Each partition gives its ``id`` cells as given and
one text per row, the text columns joined as ``predict`` joins them. Partitions depend only on the input and
``partition_rows``, so a restarted job sees the same ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp_service.errors import BadInputError, RowError
from nlp_service.io.tabular import check_columns, join_cells, joined_text, require_columns, scan_rows

PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class RowsPart:
    """Rows already read (from a CSV, XLSX or JSONL file): they travel to the worker with the task."""

    index: int
    ids: list[Any]
    texts: list[str]
    id_type: Any  # a pyarrow DataType, the same for every part of one input

    @property
    def rows(self) -> int:
        return len(self.texts)

    def load(self) -> tuple[Any, list[str]]:
        import pyarrow as pa

        return pa.array(self.ids, type=self.id_type), self.texts


@dataclass(frozen=True)
class ParquetPart:
    """Rows ``start:stop`` of one Parquet file, read on the worker (only the row groups they lie in)."""

    index: int
    path: str
    start: int
    stop: int
    id_column: str
    text_columns: tuple[str, ...]

    @property
    def rows(self) -> int:
        return self.stop - self.start

    def load(self) -> tuple[Any, list[str]]:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(self.path)
        groups, offset, first = [], 0, None
        for g in range(pf.metadata.num_row_groups):
            n = pf.metadata.row_group(g).num_rows
            if offset < self.stop and offset + n > self.start:
                groups.append(g)
                first = offset if first is None else first
            offset += n
        columns = list(dict.fromkeys([self.id_column, *self.text_columns]))
        table = pf.read_row_groups(groups, columns=columns).slice(self.start - (first or 0), self.rows)
        texts = [join_cells(r, list(self.text_columns)) for r in table.select(list(self.text_columns)).to_pylist()]
        return table.column(self.id_column).combine_chunks(), texts


Part = RowsPart | ParquetPart


@dataclass(frozen=True)
class Source:
    path: Path
    fmt: str  # parquet, csv, xlsx or jsonl
    parts: list[Part]

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.parts)


def plan_input(path: Path, text_columns: Sequence[str], id_column: str, partition_rows: int,
               encoding: str = "utf-8") -> Source:
    """The partitions of ``path``; a missing file, folder or column fails here, before anything is written."""
    if partition_rows < 1:
        raise BadInputError(f"--partition-rows must be at least 1, not {partition_rows}")
    if not text_columns:
        raise BadInputError("give at least one --text column")
    if path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES:
        return _plan_parquet(path, list(text_columns), id_column, partition_rows)
    return _plan_rows(path, list(text_columns), id_column, partition_rows, encoding)


def parquet_files(path: Path) -> list[Path]:
    """A Parquet file, or a folder's part files in name order (hidden and ``_`` files, as Spark writes them, and
    anything not named .parquet/.pq are not parts)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise BadInputError(f"{path}: no such file or folder")
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in PARQUET_SUFFIXES
                   and not any(s.startswith(("_", ".")) for s in p.relative_to(path).parts))
    if not files:
        raise BadInputError(f"{path}: a folder with no .parquet files in it")
    return files


def _plan_parquet(path: Path, text_columns: list[str], id_column: str, partition_rows: int) -> Source:
    import pyarrow.parquet as pq

    parts: list[Part] = []
    for f in parquet_files(path):
        try:
            pf = pq.ParquetFile(f)
        except Exception as e:  # pyarrow raises ArrowInvalid, OSError ... for a file that is not Parquet
            raise BadInputError(f"{f}: not a readable Parquet file ({type(e).__name__}: {e})") from e
        check_columns(pf.schema_arrow.names, [id_column, *text_columns], f)
        n = pf.metadata.num_rows
        for start in range(0, n, partition_rows):
            parts.append(ParquetPart(len(parts), str(f.resolve()), start, min(n, start + partition_rows),
                                     id_column, tuple(text_columns)))
    return Source(path, "parquet", parts)


def _plan_rows(path: Path, text_columns: list[str], id_column: str, partition_rows: int,
               encoding: str) -> Source:
    import pyarrow as pa

    wanted = [id_column, *text_columns]
    table = scan_rows(path, encoding=encoding)  # no such file, bad encoding, no header: BadInputError
    if table.header is not None:
        check_columns(table.header, wanted, path)
    ids: list[Any] = []
    texts: list[str] = []
    for item in table.items:
        if isinstance(item, RowError):
            raise item
        if table.header is None and not texts:
            require_columns(item, wanted, path)  # JSONL: the first line names the keys
        ids.append(item.values.get(id_column))
        texts.append(joined_text(item, text_columns))
    try:
        id_type = pa.array(ids).type
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed kinds (numbers and strings in one JSONL key)
        ids, id_type = [None if v is None else str(v) for v in ids], pa.string()
    parts: list[Part] = [RowsPart(i, ids[s : s + partition_rows], texts[s : s + partition_rows], id_type)
                         for i, s in enumerate(range(0, len(texts), partition_rows))]
    return Source(path, table.fmt, parts)
