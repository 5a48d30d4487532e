"""Train a classifier from any labelled file: preprocess -> split -> fit -> evaluate -> refit -> package."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from nlp_service.classify.artifact import save_artifact
from nlp_service.classify.evaluate import evaluate, threshold_for_precision
from nlp_service.classify.model import TextClassifier
from nlp_service.errors import BadInputError, RowError
from nlp_service.io.tabular import joined_text, read_rows, require_columns


@dataclass
class TrainConfig:
    C: float = 0.5
    cv: int = 5
    min_df: int = 2
    holdout: float = 0.2
    seed: int = 13
    target_precision: float = 0.97  # auto-route only where held-out accuracy reaches this
    dense_weight: float = 0.0  # > 0: sentence vectors beside the words (routing; see training/configs)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path) -> TrainConfig:
        """A YAML file of the fields above; unknown keys are an error, so a typo is not silently ignored."""
        import yaml

        from nlp_service.errors import BadInputError

        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as e:
            raise BadInputError(f"cannot read training config {path}: {e}") from e
        unknown = set(data) - {f for f in cls.__dataclass_fields__ if f != "extra"}
        if unknown:
            raise BadInputError(f"{path}: unknown training settings {sorted(unknown)}")
        return cls(**data, extra={"config_file": str(path.name)})

    def model(self) -> TextClassifier:
        return TextClassifier(C=self.C, cv=self.cv, min_df=self.min_df, seed=self.seed,
                              dense_weight=self.dense_weight)


def read_labelled(path: Path, text_columns: Sequence[str], label_column: str, encoding: str = "utf-8"
                  ) -> tuple[list[str], list[str]]:
    """Texts (the text columns joined by newlines) and labels; a row without either is an error with its place."""
    texts, labels = [], []
    for row in read_rows(path, encoding=encoding):
        if not texts and not labels:
            require_columns(row, [*text_columns, label_column], path)
        label = row.values.get(label_column)
        label = "" if label is None else str(label).strip()
        if not label:
            raise RowError(row.number, label_column, "empty label")
        text = joined_text(row, list(text_columns)).strip()
        if not text:
            raise RowError(row.number, text_columns[0], "empty text")
        texts.append(text)
        labels.append(label)
    if len(set(labels)) < 2:
        raise BadInputError(f"{path}: need at least two labels to train, found {sorted(set(labels))}")
    return texts, labels


def corpus_checksum(texts: Sequence[str], labels: Sequence[str]) -> str:
    h = hashlib.sha256()
    for t, y in zip(texts, labels, strict=True):
        h.update(t.encode())
        h.update(b"\x1f")
        h.update(y.encode())
        h.update(b"\x1e")
    return h.hexdigest()


def train_classifier(docs: list[list[str]], labels: list[str], config: TrainConfig,
                     log: Callable[[str], None] = lambda _m: None) -> tuple[TextClassifier, dict[str, Any]]:
    """Fit on a stratified split, measure on the held-out part, then refit on everything."""
    y = np.array(labels)
    _, counts = np.unique(y, return_counts=True)
    stratify = y if counts.min() >= 2 else None
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=config.holdout, random_state=config.seed,
                                           stratify=stratify)
    log(f"fitting on {len(idx_train)} items, holding out {len(idx_test)}")
    held = config.model().fit([docs[i] for i in idx_train], list(y[idx_train]))
    probs = held.predict_proba([docs[i] for i in idx_test])
    metrics = evaluate(probs, list(y[idx_test]), held.classes_)
    yi = np.array([held.classes_.index(t) for t in y[idx_test]])
    metrics["review"] = {"target_precision": config.target_precision,
                         **threshold_for_precision(probs, yi, config.target_precision)}
    log(f"held-out macro-F1 {metrics['macro_f1']:.4f}, ECE {metrics['ece']:.4f}; refitting on all {len(y)}")
    final = config.model().fit(docs, labels)
    return final, metrics


def package(model: TextClassifier, metrics: dict[str, Any], out_dir: Path, config: TrainConfig, *,
            name: str, source: str, checksum: str, n: int, text_columns: Sequence[str] = (),
            label_column: str = "") -> Path:
    manifest = {
        "kind": "text_classifier",
        "name": name,
        "labels": model.classes_,
        "training": {"config": {k: v for k, v in vars(config).items()}, "source": source,
                     "corpus_sha256": checksum, "rows": n, "text_columns": list(text_columns),
                     "label_column": label_column},
        "metrics": metrics,
        "review_threshold": metrics.get("review", {}).get("threshold"),
    }
    return save_artifact(model, out_dir, manifest)
