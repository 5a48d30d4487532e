"""A calibrated linear text classifier: TF-IDF features -> LinearSVC -> cross-validated calibration.

Calibration matters because the confidence decides what goes to the human review queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

from nlp_service.classify.features import TokenFeatures


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    top: list[tuple[str, float]]  # best labels first
    reasons: list[str]  # words that pushed towards the label


class TextClassifier:
    """sklearn-shaped: ``fit`` returns self, fitted attributes end in ``_``."""

    def __init__(self, C: float = 0.5, calibration: str = "sigmoid", cv: int = 5, min_df: int = 2) -> None:
        self.C = C
        self.calibration = calibration
        self.cv = cv
        self.min_df = min_df

    def get_params(self) -> dict[str, Any]:
        return {"C": self.C, "calibration": self.calibration, "cv": self.cv, "min_df": self.min_df}

    def fit(self, docs: list[list[str]], labels: list[str]) -> TextClassifier:
        self.features_ = TokenFeatures(min_df=self.min_df).fit(docs)
        X = self.features_.transform(docs)
        counts = np.unique(labels, return_counts=True)[1]
        cv = max(2, min(self.cv, int(counts.min())))
        self.model_ = CalibratedClassifierCV(LinearSVC(C=self.C), method=self.calibration, cv=cv).fit(X, labels)
        self.classes_ = [str(c) for c in self.model_.classes_]
        # Averaged weights of the calibrated folds: used only to explain a prediction.
        self.coef_ = np.mean([c.estimator.coef_ for c in self.model_.calibrated_classifiers_], axis=0)
        return self

    def predict_proba(self, docs: list[list[str]]) -> np.ndarray:
        return self.model_.predict_proba(self.features_.transform(docs))

    def explain(self, doc: list[str], label: str, k: int = 5) -> list[str]:
        """The words of ``doc`` with the largest positive weight towards ``label``."""
        row = list(self.classes_).index(label)
        coef = self.coef_[row] if self.coef_.shape[0] > 1 else (self.coef_[0] if row == 1 else -self.coef_[0])
        vocab = self.features_.words_.vocabulary_
        scored = {t: coef[vocab[t]] for t in set(doc) if t in vocab}
        return [t for t, w in sorted(scored.items(), key=lambda kv: -kv[1])[:k] if w > 0]

    def predict(self, docs: list[list[str]], k: int = 3, explain: bool = True) -> list[Prediction]:
        probs = self.predict_proba(docs)
        out = []
        for doc, p in zip(docs, probs, strict=True):
            order = np.argsort(-p)[:k]
            top = [(self.classes_[i], float(p[i])) for i in order]
            reasons = self.explain(doc, top[0][0]) if explain else []
            out.append(Prediction(top[0][0], top[0][1], top, reasons))
        return out
