"""Train the pair decision (models/pairs/) on real paraphrase pairs (LCQMC and BQ dev sets from
../shared/data) and on the embedded corpus's same-issue pairs.

Short questions alone did not teach it long suggestions: on the corpus's marked duplicate pairs among each
item's nearest neighbours, the LCQMC+BQ model ranked worse than plain cosine (average precision 0.085 against
0.156). So the corpus is a third source: items sharing a ``dup_group`` are positives, and each item's nearest
neighbours in the same part file outside its group are (hard) negatives; the corpus marks duplicates only within
a part, so a pair across parts is never taken for a negative.

Split (per source): each pair goes to train / validation / evaluation by a hash of its first sentence (for the
corpus: evaluation is routing's fixed held-out part, by duplicate group), and any pair that shares a sentence
with a validation or evaluation pair is dropped from train, so no sentence is on both sides.
The head is fitted on train; calibration and the threshold (precision >= 0.90) on validation; the
figures in the manifest are on evaluation, which nothing was chosen on.

Run: .venv/bin/python training/train_pair_model.py [--out models/pairs]  (embeddings are cached in /tmp)
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp_service.classify.artifact import save_artifact  # noqa: E402
from nlp_service.domain.records import item_text  # noqa: E402
from nlp_service.pairs.features import Side, feature_matrix, names_in, vocabulary  # noqa: E402
from nlp_service.pairs.model import KIND, PairHead, precision_threshold  # noqa: E402
from nlp_service.routing.training import is_held_out  # noqa: E402
from nlp_service.storage.files import sha256_file  # noqa: E402
from nlp_service.text.normalize import normalize  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SOURCES = {"lcqmc": DATA / "lcqmc_dev.tsv", "bq": DATA / "bq_dev.csv"}
CORPUS = ROOT / "corpora" / "suggestions"
CORPUS_NEIGHBOURS = 5  # hard negatives per corpus item
CORPUS_SOURCE = {"files": "corpora/suggestions/*.jsonl", "positives": "items sharing a dup_group",
                 "negatives": f"{CORPUS_NEIGHBOURS} nearest neighbours in the same part file outside the group"}
TARGET_PRECISION = 0.90


def read_pairs(kind: str) -> list[tuple[str, str, int]]:
    path = SOURCES[kind]
    if kind == "lcqmc":
        rows = [line.rstrip("\n").split("\t") for line in path.open(encoding="utf-8")]
        rows = [r for r in rows if len(r) == 3 and r[2] in "01"]
        return [(normalize(a), normalize(b), int(y)) for a, b, y in rows]
    with path.open(encoding="utf-8-sig") as f:
        return [(normalize(r["sentence1"]), normalize(r["sentence2"]), int(r["label"])) for r in csv.DictReader(f)]


def part_of(text: str) -> str:
    h = int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % 10
    return "eval" if h < 2 else "val" if h < 4 else "train"


def split(pairs: list[tuple[str, str, int]]) -> dict[str, list[tuple[str, str, int]]]:
    parts: dict[str, list] = {"train": [], "val": [], "eval": []}
    for p in pairs:
        parts[part_of(p[0])].append(p)
    return _no_shared_sentences(parts)


def corpus_parts(clean, emb: Embedder) -> dict[str, list[tuple[str, str, int]]]:
    """The corpus's same-issue pairs, split: evaluation = routing's held-out part (by duplicate group), so
    neither model ever trained on those items; validation = another fixed hash slice of the rest."""
    rows = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                rows.append((path.stem, r.get("dup_group") or r["id"], clean(item_text(r["title"], r["body"]))))
    emb.load("corpus", [t for _, _, t in rows])
    x = np.stack([emb.cache[t] for _, _, t in rows])
    split_of = ["eval" if is_held_out(key, 0.2) else "val" if part_of(key) == "val" else "train"
                for _, key, _ in rows]
    pairs: dict[tuple[int, int], int] = {}
    for a in range(len(rows)):
        # negatives from the same part file (where duplicates are marked) and the same split (no leakage)
        mine = np.array([r[0] == rows[a][0] and s == split_of[a] for r, s in zip(rows, split_of, strict=True)])
        sims = np.where(mine, x @ x[a], -1.0)
        sims[a] = -1.0
        for b in np.argsort(-sims)[:CORPUS_NEIGHBOURS]:
            if sims[b] > -1.0 and rows[b][1] != rows[a][1]:
                pairs[(min(a, int(b)), max(a, int(b)))] = 0
        for b in range(a + 1, len(rows)):
            if rows[b][1] == rows[a][1]:
                pairs[(a, b)] = 1
    parts: dict[str, list] = {"train": [], "val": [], "eval": []}
    for (a, b), y in sorted(pairs.items()):
        parts[split_of[a]].append((rows[a][2], rows[b][2], y))
    return _no_shared_sentences(parts)


def _no_shared_sentences(parts: dict[str, list]) -> dict[str, list]:
    held = {s for name in ("val", "eval") for a, b, _ in parts[name] for s in (a, b)}
    parts["train"] = [p for p in parts["train"] if p[0] not in held and p[1] not in held]
    held_eval = {s for a, b, _ in parts["eval"] for s in (a, b)}
    parts["val"] = [p for p in parts["val"] if p[0] not in held_eval and p[1] not in held_eval]
    return parts


class Embedder:
    """Vectors from the service's encoder, cached per sentence set in /tmp (minutes on 2 cores)."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self.cache: dict[str, np.ndarray] = {}

    def load(self, kind: str, sentences: list[str]) -> None:
        key = hashlib.sha1(("\n".join(sorted(sentences)) + str(self.model_dir)).encode()).hexdigest()[:12]
        path = Path(f"/tmp/pairs-{kind}-{key}.npz")
        if path.is_file():
            data = np.load(path, allow_pickle=False)
            self.cache.update(zip(data["sents"].tolist(), data["vecs"], strict=True))
            return
        from nlp_service.embedding.encoder import Encoder

        sents = sorted(set(sentences))
        vecs = Encoder(self.model_dir).encode(sents, batch_size=64)
        np.savez(path, sents=np.array(sents), vecs=vecs)
        self.cache.update(zip(sents, vecs, strict=True))


def sides(pairs, emb: Embedder, segment, vocabulary) -> list[tuple[Side, Side]]:
    def side(text: str) -> Side:
        return Side(text, segment(text), emb.cache[text], names_in(text, vocabulary))

    return [(side(a), side(b)) for a, b, _ in pairs]


def _balanced(y: np.ndarray) -> np.ndarray:
    """Weights that give each class of one source half of that source's total weight of 1000."""
    pos = max(int((y == 1).sum()), 1)
    neg = max(int((y == 0).sum()), 1)
    return np.where(y == 1, 500.0 / pos, 500.0 / neg)


def scores(probs: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, float]:
    pred = probs >= threshold
    tp = int((pred & (y == 1)).sum())
    precision = tp / max(int(pred.sum()), 1)
    recall = tp / max(int((y == 1).sum()), 1)
    return {"n": len(y), "accuracy": round(float((pred == (y == 1)).mean()), 4), "precision": round(precision, 4),
            "recall": round(recall, 4), "f1": round(2 * precision * recall / max(precision + recall, 1e-9), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "pairs")
    ap.add_argument("--embedding", type=Path, default=ROOT / "models" / "embedding" / "e5-small")
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--check", action="store_true", help="print the figures, write nothing")
    args = ap.parse_args()
    from nlp_service.text.pipeline import TextPipeline

    pipeline = TextPipeline(ROOT / "corpora")
    names = vocabulary(pipeline.taxonomy)
    emb = Embedder(args.embedding)
    data: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for kind in [*SOURCES, "corpus"]:
        if kind == "corpus":
            parts = corpus_parts(pipeline.clean, emb)
        else:
            parts = split(read_pairs(kind))
            emb.load(kind, [s for p in parts.values() for a, b, _ in p for s in (a, b)])
        data[kind] = {name: (feature_matrix(sides(p, emb, pipeline.segmenter.tokens, names)),
                             np.array([y for _, _, y in p])) for name, p in parts.items()}
        print(f"{kind}: " + ", ".join(f"{n} {len(v[1])} ({int(v[1].sum())} same)" for n, v in data[kind].items()),
              flush=True)
    join = lambda name: (np.vstack([data[k][name][0] for k in data]),  # noqa: E731
                         np.concatenate([data[k][name][1] for k in data]))
    (x, y), (xv, yv) = join("train"), join("val")
    # Each source weighs the same in training, and within a source both classes do: the corpus has fewer
    # pairs than LCQMC and far fewer positives, yet it is the kind of text the service sees.
    weight = np.concatenate([_balanced(data[k]["train"][1]) for k in data])
    head = PairHead.fit(x, y, xv, yv, iterations=args.iterations, weight=weight)
    # One threshold for all kinds of text, chosen on the pooled validation parts.
    threshold = precision_threshold(head.probability(xv), yv, TARGET_PRECISION)
    figures = {}
    for kind in data:
        xe, ye = data[kind]["eval"]
        cos = xe[:, 0]
        cos_val = precision_threshold(data[kind]["val"][0][:, 0], data[kind]["val"][1], TARGET_PRECISION)
        pe = head.probability(xe)
        figures[kind] = {"model": scores(pe, ye, threshold),
                         "average_precision": {"model": round(float(average_precision_score(ye, pe)), 4),
                                               "cosine": round(float(average_precision_score(ye, cos)), 4)},
                         "cosine_0.94": scores(cos, ye, 0.94),
                         f"cosine_at_precision_{TARGET_PRECISION}": {"threshold": round(cos_val, 4),
                                                                     **scores(cos, ye, cos_val)}}
        print(kind, figures[kind], flush=True)
    # Below this cosine no pair is scored when a corpus is grouped: under the 0.5th percentile of the positives.
    floor = round(float(np.percentile(x[y == 1, 0], 0.5)) - 0.02, 2)
    if args.check:
        print(f"candidate floor would be {floor}; --check: nothing written")
        return
    manifest = {"kind": KIND, "name": "pairs", "threshold": threshold, "target_precision": TARGET_PRECISION,
                "candidate_floor": floor,
                "embedding": {"name": args.embedding.name},
                "training": {"script": "training/train_pair_model.py", "iterations": args.iterations,
                             "data": {**{k: {"file": f.name, "sha256": sha256_file(f)}
                                         for k, f in SOURCES.items()},
                                      "corpus": CORPUS_SOURCE},
                             "split": "per source by a hash of the first sentence: 60% train, 20% validation "
                                      "(calibration, threshold), 20% evaluation; the corpus's evaluation part is "
                                      "routing's held-out part; no sentence on both sides"},
                "evaluation": figures}
    save_artifact(head, args.out, manifest)
    print(f"wrote {args.out} (threshold {threshold:.4f})")


if __name__ == "__main__":
    main()
