"""The pair decision against the raw e5 cosine, in one run, on data no choice was made on.

- LCQMC and BQ: the evaluation parts of training/train_pair_model.py's split (no sentence shared with the
  pairs the model was fitted or calibrated on): accuracy, precision, recall and F1 of ``duplicate`` at the
  shipped threshold, beside the cosine at 0.94 (the old shipped rule) and at its own precision-0.90 threshold
  chosen on the validation part.
- The embedded corpus's marked duplicate groups in routing's held-out part (the model trains on the corpus's
  other groups): every pair inside a group is positive; each marked item's nearest neighbour outside its group
  is a hard negative (needs `nlp-service setup` for the stored vectors).

Run: .venv/bin/python bench/bench_pairs.py
"""

from __future__ import annotations

import sys
from itertools import combinations

import numpy as np
from _common import ROOT, need

sys.path.insert(0, str(ROOT / "training"))

import train_pair_model as tp

from nlp_service.pairs.features import Side, feature_matrix, names_in, vocabulary
from nlp_service.pairs.model import PairModel
from nlp_service.routing.training import is_held_out

HOLDOUT = 0.2  # routing's held-out share, which train_pair_model.py keeps for the corpus's evaluation part


def row(name: str, s: dict) -> str:
    return f"  {name:<28}{s['accuracy']:>9.4f}{s['precision']:>11.4f}{s['recall']:>9.4f}{s['f1']:>8.4f}"


def table(title: str, probs: np.ndarray, cos: np.ndarray, y: np.ndarray, threshold: float, cos_thr: float) -> None:
    print(f"\n{title} ({len(y)} pairs, {int(y.sum())} positive)")
    print(f"  {'decision':<28}{'accuracy':>9}{'precision':>11}{'recall':>9}{'F1':>8}")
    print(row(f"pair model (p >= {threshold:.3f})", tp.scores(probs, y, threshold)))
    print(row("cosine >= 0.94", tp.scores(cos, y, 0.94)))
    print(row(f"cosine >= {cos_thr:.4f} (P.90 on val)", tp.scores(cos, y, cos_thr)))


def corpus_pairs(model: PairModel) -> None:
    from nlp_service.service import Service
    from nlp_service.storage.models import Suggestion
    from nlp_service.text.document import Document

    svc = Service()
    if not (svc.settings.embedding_model_dir / "manifest.json").is_file():
        print("\ncorpus marked pairs: skipped (run `nlp-service setup` first)")
        return
    store = svc.indexes
    index = store.vectors["suggestion"]
    with svc.db.session() as s:
        rows = [(r.id, r.title, r.body, r.dup_group) for r in s.query(Suggestion).filter(
            Suggestion.dup_group.is_not(None), Suggestion.external_id.is_not(None))]
    groups: dict[str, list[int]] = {}
    for i, _, _, g in rows:
        if is_held_out(g, HOLDOUT):
            groups.setdefault(g, []).append(i)
    texts = {i: f"{t}\n{b}" for i, t, b, _ in rows}
    names = vocabulary(svc.pipeline.taxonomy)
    docs: dict[int, Document] = {}

    def side(i: int) -> Side:
        if i not in docs:
            with svc.db.session() as s:
                r = s.get(Suggestion, i)
                text = texts.get(i) or f"{r.title}\n{r.body}"
            d = svc.analyzer.analyze(text, vector=False, entities=False)
            docs[i] = Document(d.text, d.clean, d.tokens, index.vector(i))
        d = docs[i]
        return Side(d.clean, d.tokens, d.vector, names_in(d.clean, names))

    pos = [(a, b) for ids in groups.values() for a, b in combinations(ids, 2)]
    neg = []
    for ids in groups.values():
        for i in ids:
            _, nn = index.search(index.vector(i)[None, :], len(ids) + 5)
            other = next((int(j) for j in nn[0] if j >= 0 and int(j) not in ids), None)
            if other is not None:
                neg.append((i, other))
    pairs = [(side(a), side(b)) for a, b in pos + neg]
    y = np.array([1] * len(pos) + [0] * len(neg))
    x = feature_matrix(pairs)
    table("corpus (held-out groups): marked pairs vs each item's nearest unmarked neighbour",
          model.head.probability(x), x[:, 0], y, model.threshold,
          model.manifest["evaluation"]["lcqmc"]["cosine_at_precision_0.9"]["threshold"])


def main() -> None:
    for p in tp.SOURCES.values():
        need(p)
    model = PairModel.load(ROOT / "models" / "pairs")
    from nlp_service.text.pipeline import TextPipeline

    pipeline = TextPipeline(ROOT / "corpora")
    names = vocabulary(pipeline.taxonomy)
    emb = tp.Embedder(ROOT / "models" / "embedding" / "e5-small")
    for kind in tp.SOURCES:
        parts = tp.split(tp.read_pairs(kind))
        emb.load(kind, [s for p in parts.values() for a, b, _ in p for s in (a, b)])
        xv = feature_matrix(tp.sides(parts["val"], emb, pipeline.segmenter.tokens, names))
        yv = np.array([y for *_, y in parts["val"]])
        xe = feature_matrix(tp.sides(parts["eval"], emb, pipeline.segmenter.tokens, names))
        ye = np.array([y for *_, y in parts["eval"]])
        cos_thr = tp.precision_threshold(xv[:, 0], yv, tp.TARGET_PRECISION)
        table(f"{kind}: evaluation part", model.head.probability(xe), xe[:, 0], ye, model.threshold, cos_thr)
    corpus_pairs(model)


if __name__ == "__main__":
    main()
