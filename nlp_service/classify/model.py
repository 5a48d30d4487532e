"""A calibrated linear text classifier: TF-IDF features -> LinearSVC -> temperature-scaled softmax.

Calibration matters because the confidence decides what goes to the human review queue. The temperature is
fitted on out-of-fold decision scores (5-fold), so it reflects how the model does on texts it has not seen;
one SVC then serves predictions, which keeps routing a text in the low milliseconds. On real messages this
gave a held-out ECE of 0.029 against 0.037 for scikit-learn's per-class sigmoid calibration
(bench/bench_classify.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.sparse import csr_matrix, hstack
from scipy.special import log_softmax, softmax
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC

from nlp_service.classify.features import TokenFeatures
from nlp_service.errors import ArtifactError


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    top: list[tuple[str, float]]  # best labels first
    reasons: list[str]  # words that pushed towards the label


def _pad_rare_classes(docs: list[list[str]], labels: list[str], k: int, vectors: np.ndarray | None = None
                      ) -> tuple[list[list[str]], list[str], np.ndarray | None]:
    """Repeat the examples of classes seen fewer than ``k`` times, so every fold holds each class.

    A department with one past suggestion should still be predictable, not crash training.
    """
    counts = Counter(labels)
    rows = list(range(len(labels)))
    for label, n in counts.items():
        if n < k:
            mine = [i for i, y in enumerate(labels) if y == label]
            rows += (mine * k)[: k - n]
    return ([docs[i] for i in rows], [labels[i] for i in rows],
            None if vectors is None else np.asarray(vectors)[rows])


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The inverse temperature that minimises the negative log-likelihood of softmax(scores * t)."""

    def nll(t: float) -> float:
        return float(-log_softmax(scores * t, axis=1)[np.arange(len(y)), y].mean())

    return float(minimize_scalar(nll, bounds=(0.01, 100.0), method="bounded").x)


def _scores_2d(scores: np.ndarray) -> np.ndarray:
    """LinearSVC gives one column for two classes; make it two so softmax applies."""
    return np.stack([-scores / 2, scores / 2], axis=1) if scores.ndim == 1 else scores


class TextClassifier:
    """sklearn-shaped: ``fit`` returns self, fitted attributes end in ``_``."""

    def __init__(self, C: float = 0.5, cv: int = 5, min_df: int = 2, seed: int = 0, dense_weight: float = 0.0
                 ) -> None:
        self.C = C
        self.cv = cv
        self.min_df = min_df
        self.seed = seed
        self.dense_weight = dense_weight  # > 0: sentence vectors (scaled by it) beside the sparse features

    def get_params(self) -> dict[str, Any]:
        return {"C": self.C, "cv": self.cv, "min_df": self.min_df, "seed": self.seed,
                "dense_weight": self.dense_weight}

    @property
    def needs_vectors(self) -> bool:
        return getattr(self, "dense_weight", 0.0) > 0

    def _matrix(self, docs: list[list[str]], vectors: np.ndarray | None) -> csr_matrix:
        X = self.features_.transform(docs)
        if not self.needs_vectors:
            return X
        if vectors is None or len(vectors) != len(docs):
            raise ArtifactError("this classifier was trained with sentence vectors beside the words; give one "
                                "vector per text (the routing model's embedding)")
        return hstack([X, csr_matrix(np.asarray(vectors, np.float32) * self.dense_weight)]).tocsr()

    def fit(self, docs: list[list[str]], labels: list[str], vectors: np.ndarray | None = None) -> TextClassifier:
        return self.fit_out_of_fold(docs, labels, vectors)[0]

    def fit_out_of_fold(self, docs: list[list[str]], labels: list[str], vectors: np.ndarray | None = None
                        ) -> tuple[TextClassifier, np.ndarray]:
        """Fit, and return the calibrated out-of-fold probabilities of the given rows (columns in ``classes_``
        order). They come free with the calibration and say how the model does on texts it has not seen, which
        is what a review threshold must be chosen on."""
        n = len(labels)
        docs, labels, vectors = _pad_rare_classes(docs, labels, self.cv, vectors)
        self.features_ = TokenFeatures(min_df=self.min_df).fit(docs)
        X = self._matrix(docs, vectors)
        y = np.asarray(labels)
        folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.seed)
        oof = _scores_2d(cross_val_predict(LinearSVC(C=self.C), X, y, cv=folds, method="decision_function"))
        self.svc_ = LinearSVC(C=self.C).fit(X, y)
        self.classes_ = [str(c) for c in self.svc_.classes_]
        self.temperature_ = fit_temperature(oof, np.searchsorted(self.svc_.classes_, y))
        return self, softmax(oof[:n] * self.temperature_, axis=1)  # padding rows come after the originals

    def predict_proba(self, docs: list[list[str]], vectors: np.ndarray | None = None) -> np.ndarray:
        scores = _scores_2d(self.svc_.decision_function(self._matrix(docs, vectors)))
        return softmax(scores * self.temperature_, axis=1)

    def explain(self, doc: list[str], label: str, k: int = 5) -> list[str]:
        """The words of ``doc`` with the largest positive weight towards ``label``."""
        coef = self.svc_.coef_
        row = self.classes_.index(label)
        w = coef[row] if coef.shape[0] > 1 else (coef[0] if row == 1 else -coef[0])
        vocab = self.features_.words_.vocabulary_
        scored = {t: w[vocab[t]] for t in set(doc) if t in vocab}
        return [t for t, s in sorted(scored.items(), key=lambda kv: -kv[1])[:k] if s > 0]

    def predict(self, docs: list[list[str]], k: int = 3, explain: bool = True, vectors: np.ndarray | None = None
                ) -> list[Prediction]:
        probs = self.predict_proba(docs, vectors)
        out = []
        for doc, p in zip(docs, probs, strict=True):
            order = np.argsort(-p)[:k]
            top = [(self.classes_[i], float(p[i])) for i in order]
            reasons = self.explain(doc, top[0][0]) if explain else []
            out.append(Prediction(top[0][0], top[0][1], top, reasons))
        return out
