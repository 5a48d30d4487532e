"""Apply a trained artifact to texts: the same cleaning and segmentation as training."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from nlp_service.classify.artifact import load_artifact
from nlp_service.classify.model import TextClassifier
from nlp_service.errors import ArtifactError
from nlp_service.io.tabular import joined_text, read_rows, require_columns
from nlp_service.text.normalize import normalize
from nlp_service.text.segment import Segmenter


class LoadedClassifier:
    def __init__(self, model_dir: Path) -> None:
        model, self.manifest = load_artifact(model_dir)
        if not isinstance(model, TextClassifier):
            raise ArtifactError(f"{model_dir}: holds a {type(model).__name__}, not a text classifier")
        self.model = model
        self.model_dir = model_dir
        self.version = f"{self.manifest.get('name', model_dir.name)}@{self.manifest['created']}"

    def predict_tokens(self, docs: list[list[str]], k: int = 3) -> list[dict[str, Any]]:
        return [{"label": p.label, "probability": round(p.probability, 6),
                 "top": [{"label": lab, "probability": round(pr, 6)} for lab, pr in p.top],
                 "reasons": p.reasons} for p in self.model.predict(docs, k)]


def text_tokens(segmenter: Segmenter, text: str) -> list[str]:
    """What the classifier reads of one text: cleaned, then segmented, as in training."""
    return segmenter.tokens(normalize(text))


def predict_file(clf: LoadedClassifier, segmenter: Segmenter, path: Path, text_columns: Sequence[str],
                 encoding: str = "utf-8", batch: int = 256) -> Iterator[dict[str, Any]]:
    """One result per data row, in order, with the row number so a user can join it back."""
    pending: list[tuple[int, list[str]]] = []

    def flush() -> Iterator[dict[str, Any]]:
        results = clf.predict_tokens([d for _, d in pending])
        for (row, _), res in zip(pending, results, strict=True):
            yield {"row": row, **res}
        pending.clear()

    first = True
    for row in read_rows(path, encoding=encoding):
        if first:
            require_columns(row, list(text_columns), path)
            first = False
        pending.append((row.number, text_tokens(segmenter, joined_text(row, list(text_columns)))))
        if len(pending) >= batch:
            yield from flush()
    if pending:
        yield from flush()
