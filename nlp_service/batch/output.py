"""The output folder: one Parquet part per input partition, each written to a hidden file and renamed, so a
reader (or a restarted job) sees a whole part or none; and ``_batch.json``, which says what job the parts
belong to. Spark, DuckDB, pyarrow and Dask skip hidden and ``_`` files, so ``read_parquet('OUT/*.parquet')``
or the folder itself reads the results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nlp_service.errors import BadInputError
from nlp_service.storage.files import atomic_file

MANIFEST = "_batch.json"
# What makes two runs the same job; a run that differs in any of these must not reuse the other's parts.
IDENTITY = ("kind", "input", "text", "id", "partition_rows", "parts", "model")


def part_path(out: Path, index: int) -> Path:
    return out / f"part-{index:05d}.parquet"


def write_part(out: Path, index: int, table: Any) -> Path:
    import pyarrow.parquet as pq

    path = part_path(out, index)
    with atomic_file(path) as tmp:
        pq.write_table(table, tmp)
    return path


def rows_written(out: Path, index: int) -> int | None:
    """The row count of a part already there, or None when there is none (or it cannot be read)."""
    import pyarrow.parquet as pq

    path = part_path(out, index)
    if not path.is_file():
        return None
    try:
        return pq.read_metadata(path).num_rows
    except Exception:  # a damaged file is redone, not trusted
        return None


def open_output(out: Path, job: dict[str, Any]) -> None:
    """Create the folder (or resume in it): refuse one that holds another job's parts or other files."""
    manifest = out / MANIFEST
    if out.exists() and not out.is_dir():
        raise BadInputError(f"{out}: exists and is not a folder")
    if manifest.is_file():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
        except ValueError:
            old = {}
        differs = [k for k in IDENTITY if old.get(k) != job.get(k)]
        if differs:
            raise BadInputError(f"{out}: holds the parts of another job (its {', '.join(differs)} differ); "
                                "give a new --output or empty this folder")
        return
    if out.is_dir() and any(not p.name.startswith(".") for p in out.iterdir()):
        raise BadInputError(f"{out}: a folder with other files in it; give a new or an empty --output")
    with atomic_file(manifest) as tmp:
        tmp.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
