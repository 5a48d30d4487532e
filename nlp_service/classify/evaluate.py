"""Held-out metrics: per-class P/R/F1, macro-F1, confusion matrix, calibration error, coverage curve."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE with equal-width bins."""
    conf, correct = probs.max(1), probs.argmax(1) == y
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(total)


def coverage_curve(probs: np.ndarray, y: np.ndarray, points: int = 20) -> list[dict[str, float]]:
    """Accuracy on the most confident fraction, for coverage 5%..100%."""
    conf, correct = probs.max(1), probs.argmax(1) == y
    order = np.argsort(-conf, kind="stable")
    out = []
    for cov in np.linspace(1 / points, 1, points):
        k = max(1, round(cov * len(y)))
        out.append({"coverage": round(float(cov), 3), "accuracy": float(correct[order[:k]].mean()),
                    "threshold": float(conf[order[k - 1]])})
    return out


def threshold_for_precision(probs: np.ndarray, y: np.ndarray, target: float) -> dict[str, float]:
    """The lowest confidence threshold whose auto-routed items reach ``target`` accuracy; the rest go to review."""
    conf, correct = probs.max(1), probs.argmax(1) == y
    order = np.argsort(-conf, kind="stable")
    cum = np.cumsum(correct[order]) / np.arange(1, len(y) + 1)
    ok = np.nonzero(cum >= target)[0]
    if len(ok) == 0:
        return {"threshold": 1.0, "coverage": 0.0, "accuracy": float("nan")}
    k = int(ok.max()) + 1
    return {"threshold": float(conf[order[k - 1]]), "coverage": k / len(y), "accuracy": float(cum[k - 1])}


def evaluate(probs: np.ndarray, y_true: list[str], classes: list[str]) -> dict[str, Any]:
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index.get(t, -1) for t in y_true])
    pred = probs.argmax(1)
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=range(len(classes)), zero_division=0)
    at90 = next(c for c in coverage_curve(probs, y, 20) if c["coverage"] >= 0.9)
    return {
        "n": len(y),
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, labels=range(len(classes)), average="macro", zero_division=0)),
        "ece": expected_calibration_error(probs, y),
        "accuracy_at_90_coverage": at90["accuracy"],
        "per_class": {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                      for i, c in enumerate(classes)},
        "confusion": {"labels": classes, "matrix": confusion_matrix(y, pred, labels=range(len(classes))).tolist()},
        "coverage_curve": coverage_curve(probs, y, 20),
    }


def format_report(metrics: dict[str, Any]) -> str:
    """Plain-text report for the CLI and the benches."""
    lines = [f"n={metrics['n']}  accuracy={metrics['accuracy']:.4f}  macro-F1={metrics['macro_f1']:.4f}  "
             f"ECE={metrics['ece']:.4f}  accuracy@90%coverage={metrics['accuracy_at_90_coverage']:.4f}",
             f"{'class':<28}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}"]
    for c, m in metrics["per_class"].items():
        lines.append(f"{c:<28}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f1']:>7.3f}{m['support']:>6}")
    labels = metrics["confusion"]["labels"]
    lines.append("confusion (rows = true, columns = predicted, in the order above):")
    lines += ["  " + " ".join(f"{v:>4}" for v in row) + f"  {labels[i]}"
              for i, row in enumerate(metrics["confusion"]["matrix"])]
    lines.append(format_curve(metrics["coverage_curve"]))
    return "\n".join(lines)


def format_curve(curve: list[dict[str, float]], every: int = 2) -> str:
    """The coverage/accuracy curve as a small table: decide the most confident X% without a person, and
    this share of them is right, at this confidence threshold."""
    rows = curve[every - 1::every]
    return "\n".join(["coverage/accuracy (the most confident share decided automatically):",
                      "  coverage  " + " ".join(f"{c['coverage']:>6.0%}" for c in rows),
                      "  accuracy  " + " ".join(f"{c['accuracy']:>6.3f}" for c in rows),
                      "  threshold " + " ".join(f"{c['threshold']:>6.3f}" for c in rows)])
