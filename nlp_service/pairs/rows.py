"""The pair decision over a file of pairs: what ``nlp-service pairs`` prints, one answer per row, in order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nlp_service.errors import BadInputError, RowError
from nlp_service.io.tabular import joined_text, read_rows, require_columns
from nlp_service.pairs.features import Side, names_in
from nlp_service.pairs.model import PairModel
from nlp_service.text.document import Analyzer

BATCH = 256


def decide_file(model: PairModel, analyzer: Analyzer, vocabulary: list[str], path: Path, column_a: str,
                column_b: str, encoding: str = "utf-8") -> Iterator[dict[str, Any]]:
    batch: list[tuple[int, str, str]] = []
    for n, row in enumerate(read_rows(path, encoding=encoding)):
        if n == 0:
            require_columns(row, [column_a, column_b], path)
        a, b = joined_text(row, [column_a]), joined_text(row, [column_b])
        for text, column in ((a, column_a), (b, column_b)):
            if not text.strip():
                raise RowError(row.number, column, "empty text")
        batch.append((row.number, a, b))
        if len(batch) >= BATCH:
            yield from _decide(model, analyzer, vocabulary, batch)
            batch = []
    yield from _decide(model, analyzer, vocabulary, batch)


def _decide(model: PairModel, analyzer: Analyzer, vocabulary: list[str], batch: list[tuple[int, str, str]]
            ) -> Iterator[dict[str, Any]]:
    if not batch:
        return
    try:
        docs = analyzer.analyze_many([t for _, a, b in batch for t in (a, b)])
    except BadInputError as e:
        raise BadInputError(f"rows {batch[0][0]}-{batch[-1][0]}: {e.message}") from None
    sides = [Side(d.clean, d.tokens, d.vector, names_in(d.clean, vocabulary)) for d in docs]
    pairs = list(zip(sides[::2], sides[1::2], strict=True))
    for (number, _, _), answer in zip(batch, model.decide(pairs), strict=True):
        yield {"row": number, **answer}
