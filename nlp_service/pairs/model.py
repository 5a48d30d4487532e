"""P(same issue | a, b): features -> gradient-boosted trees -> isotonic calibration.

Measured on the evaluation parts (bench/bench_pairs.py): logistic regression over the same features reached
LCQMC accuracy 0.755 at the precision-0.90 threshold, no better than the cosine at its own threshold (0.763);
boosted trees, which can use the numbers/places/negation features conditionally on the cosine, 0.872.

Trained by training/train_pair_model.py on real paraphrase pairs; the artifact (a few hundred trees and the
calibration table) is committed in models/pairs/ with a manifest naming the data and the figures. The decision
threshold is the lowest probability whose pairs reach the stated precision on a validation part the evaluation
never sees; it is stored in the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression

from nlp_service.classify.artifact import load_artifact
from nlp_service.errors import ArtifactError
from nlp_service.pairs.features import SCALARS, Side, feature_matrix, scalars

KIND = "pair_decision"


@dataclass
class PairHead:
    """What the artifact pickles."""

    trees: HistGradientBoostingClassifier
    calibration: IsotonicRegression

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, iterations: int = 300,
            learning_rate: float = 0.05, seed: int = 13, weight: np.ndarray | None = None) -> PairHead:
        trees = HistGradientBoostingClassifier(max_iter=iterations, learning_rate=learning_rate,
                                               random_state=seed).fit(x, y, sample_weight=weight)
        raw = trees.predict_proba(x_val)[:, 1]
        calibration = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y_val)
        return cls(trees, calibration)

    def probability(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        return np.clip(self.calibration.predict(self.trees.predict_proba(x)[:, 1]), 0.0, 1.0)


class PairModel:
    def __init__(self, head: PairHead, threshold: float, manifest: dict[str, Any] | None = None) -> None:
        self.head, self.threshold, self.manifest = head, threshold, manifest or {}

    @classmethod
    def load(cls, model_dir: Path) -> PairModel:
        head, manifest = load_artifact(model_dir)  # refuses a missing, altered or incompatible artifact
        if manifest.get("kind") != KIND or not isinstance(head, PairHead):
            raise ArtifactError(f"{model_dir} is not a pair-decision model (kind {manifest.get('kind')!r})")
        return cls(head, float(manifest["threshold"]), manifest)

    def check_embedding(self, name: str, dim: int) -> None:
        """The head reads the vectors' element-wise interactions, so it only fits the embedding it was trained
        on: refuse any other, by name and by width."""
        trained = (self.manifest.get("embedding") or {}).get("name")
        width = (getattr(self.head.trees, "n_features_in_", 0) - len(SCALARS)) // 2
        if trained != name or width != dim:
            raise ArtifactError(f"the pair-decision model was trained on {trained!r} vectors ({width}-d); this "
                                f"service embeds with {name!r} ({dim}-d): retrain it with "
                                "training/train_pair_model.py --embedding <model dir>")

    def probabilities(self, pairs: list[tuple[Side, Side]]) -> np.ndarray:
        """Identical texts are the same issue whatever the trees say: they never saw such pairs, and an
        unconstrained tree can put a cosine of 1.0 anywhere."""
        probs = self.head.probability(feature_matrix(pairs))
        same = np.array([a.text == b.text for a, b in pairs], bool)
        return np.where(same, 1.0, probs) if len(pairs) else probs

    def decide(self, pairs: list[tuple[Side, Side]]) -> list[dict[str, Any]]:
        """``duplicate`` at the shipped threshold, the calibrated ``probability`` and ``why``."""
        probs = self.probabilities(pairs)
        return [{"duplicate": bool(p >= self.threshold), "probability": round(float(p), 4), "why": why(a, b)}
                for (a, b), p in zip(pairs, probs, strict=True)]


def precision_threshold(probs: np.ndarray, y: np.ndarray, target: float, floor: float = 0.5) -> float:
    """The lowest probability whose pairs at or above it reach ``target`` precision, and never below ``floor``:
    on easy validation pairs every cut-off reaches the target, and "same issue" at odds below even is no
    decision."""
    order = np.argsort(-probs, kind="stable")
    precision = np.cumsum(y[order]) / np.arange(1, len(y) + 1)
    ok = np.nonzero(precision >= target)[0]
    return max(float(probs[order][ok.max()]), floor) if len(ok) else 1.0


def why(a: Side, b: Side) -> dict[str, list[str]]:
    """Reasons for and against, in the words staff read at a glance."""
    s = scalars(a, b)
    pro, con = [], []
    shared = sorted(a.names & b.names)
    if shared:
        pro.append("同一地点/单位：" + "、".join(shared[:3]))
    elif s["different_names"]:
        con.append(f"地点/单位不同：{'、'.join(sorted(a.names)[:2])} 与 {'、'.join(sorted(b.names)[:2])}")
    phrases = sorted({t for t in set(a.tokens) & set(b.tokens) if len(t) >= 2}, key=len, reverse=True)[:3]
    if phrases:
        pro.append("共同关键词：" + "、".join(phrases))
    if s["same_numbers"]:
        pro.append("数字相同：" + "、".join(sorted(a.numbers)[:3]))
    elif s["different_numbers"]:
        con.append(f"数字不同：{'、'.join(sorted(a.numbers)[:3])} 与 {'、'.join(sorted(b.numbers)[:3])}")
    if s["negation_differs"]:
        con.append("一方含否定词，另一方没有")
    (pro if s["cosine"] >= 0.95 else con).append(f"语义相似度 {s['cosine']:.3f}")
    return {"for": pro, "against": con}
