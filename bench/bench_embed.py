"""Embedding quality and speed in one run: e5 fast encoder vs a character TF-IDF baseline, fast vs fp32 torch.

Quality: Spearman on STS-B-zh (validation) and duplicate recall@1 on LCQMC (dev): every side of every positive
pair asks for its partner among all unique sentences of the file, itself excluded. Speed: texts/s of the fp32
sentence-transformers baseline and of the fast path on the same real sentences, rounds interleaved so that
noise from other processes hits both; the fast path's cache is emptied before each timed round.

    .venv/bin/python bench/bench_embed.py                      # everything (~3-5 min on 2 cores)
    .venv/bin/python bench/bench_embed.py --sts-limit 300 --lcqmc-limit 1000 --speed-texts 300 --long 0
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nlp_service.embedding import Encoder, build_e5_small

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
MODEL_DIR = ROOT / "models" / "embedding" / "e5-small"
Embed = Callable[[list[str]], np.ndarray]


def read_sts(path: Path, limit: int) -> list[tuple[str, str, float]]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3:
                rows.append((parts[0], parts[1], float(parts[2])))
    return rows[:limit] if limit else rows


def read_lcqmc(path: Path, limit: int) -> list[tuple[str, str, int]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = [(r["text_a"], r["text_b"], int(r["label"])) for r in reader]
    return rows[:limit] if limit else rows


def tfidf_embedder(corpus: list[str]) -> Embed:
    """Character 1-3-gram TF-IDF fitted on the sentences being compared (the usual lexical baseline)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True).fit(corpus)
    return lambda texts: vectorizer.transform(texts)  # sparse, rows already L2-normalised


def sts_spearman(pairs: list[tuple[str, str, float]], embed: Embed) -> float:
    from scipy.stats import spearmanr

    sentences = sorted({s for a, b, _ in pairs for s in (a, b)})
    row = {s: i for i, s in enumerate(sentences)}
    vecs = embed(sentences)
    a = vecs[[row[p[0]] for p in pairs]]
    b = vecs[[row[p[1]] for p in pairs]]
    sims = np.asarray(a.multiply(b).sum(axis=1)).ravel() if hasattr(a, "multiply") else (a * b).sum(axis=1)
    return float(spearmanr(sims, [p[2] for p in pairs]).statistic)


def duplicate_recall(pairs: list[tuple[str, str, int]], embed: Embed) -> tuple[float, int, int]:
    """recall@1 over every side of every positive pair; returns (recall, queries, candidate sentences)."""
    sentences = sorted({s for a, b, _ in pairs for s in (a, b)})
    row = {s: i for i, s in enumerate(sentences)}
    partners: dict[int, set[int]] = {}
    for a, b, label in pairs:
        if label == 1 and a != b:
            partners.setdefault(row[a], set()).add(row[b])
            partners.setdefault(row[b], set()).add(row[a])
    queries = [row[s] for a, b, label in pairs if label == 1 and a != b for s in (a, b)]
    vecs = embed(sentences)
    hits = 0
    for start in range(0, len(queries), 512):
        block = queries[start : start + 512]
        sims = vecs[block] @ vecs.T
        sims = np.asarray(sims.todense()) if hasattr(sims, "todense") else np.asarray(sims)
        sims[np.arange(len(block)), block] = -np.inf  # a sentence may not find itself
        best = sims.argmax(axis=1)
        hits += sum(int(best[i]) in partners[q] for i, q in enumerate(block))
    return hits / max(len(queries), 1), len(queries), len(sentences)


def speed_texts(sts: list[tuple[str, str, float]], lcqmc: list[tuple[str, str, int]], n: int) -> list[str]:
    """Real, distinct sentences alternating between the two files, so lengths are mixed."""
    seen: dict[str, None] = {}
    for (a, b, _), (c, d, _) in zip(sts, lcqmc, strict=False):
        for s in (a, c, b, d):
            seen.setdefault(s, None)
    return list(seen)[:n]


def long_texts(path: Path, n: int) -> list[str]:
    if n <= 0 or not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [" ".join(f"{r['留言主题']} {r['留言详情']}".split()) for r in rows[:n]]


def time_pair(baseline: Encoder, fast: Encoder, texts: list[str], rounds: int) -> dict[str, object]:
    baseline.encode(texts[:32])  # warm-up: first calls pay for lazy loading and allocation
    fast.encode(texts[:32])
    base_rates, fast_rates, warm_rates = [], [], []
    base_vecs = fast_vecs = np.empty(0)
    for _ in range(rounds):
        t = time.perf_counter()
        base_vecs = baseline.encode(texts)
        base_rates.append(len(texts) / (time.perf_counter() - t))
        fast.clear_cache()
        t = time.perf_counter()
        fast_vecs = fast.encode(texts)
        fast_rates.append(len(texts) / (time.perf_counter() - t))
        t = time.perf_counter()
        fast.encode(texts)
        warm_rates.append(len(texts) / (time.perf_counter() - t))
    cos = (base_vecs * fast_vecs).sum(axis=1)
    return {"base": statistics.median(base_rates), "fast": statistics.median(fast_rates),
            "warm": statistics.median(warm_rates), "base_all": base_rates, "fast_all": fast_rates,
            "cos_mean": float(cos.mean()), "cos_min": float(cos.min())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--model", type=Path, default=MODEL_DIR)
    parser.add_argument("--sts-limit", type=int, default=0, help="first N STS-B pairs (0 = all)")
    parser.add_argument("--lcqmc-limit", type=int, default=0, help="first N LCQMC pairs (0 = all)")
    parser.add_argument("--speed-texts", type=int, default=1000, help="sentences for the speed test")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per path (median reported)")
    parser.add_argument("--long", type=int, default=100, help="long citizen messages to time as well (0 = skip)")
    args = parser.parse_args(argv)

    sts_path, lcqmc_path = args.data / "stsb_zh_valid.tsv", args.data / "lcqmc_dev.tsv"
    if not (sts_path.exists() and lcqmc_path.exists()):
        print(f"skipped: {args.data} does not hold stsb_zh_valid.tsv and lcqmc_dev.tsv (real data lives beside "
              "the checkout)")
        return 0
    sts, lcqmc = read_sts(sts_path, args.sts_limit), read_lcqmc(lcqmc_path, args.lcqmc_limit)

    started = time.perf_counter()
    model_dir = build_e5_small(args.model)
    fast = Encoder(model_dir)
    ready = time.perf_counter() - started
    baseline = Encoder(model_dir, fast=False)
    print(f"model {model_dir} ready in {ready:.1f} s (0 s when already built)")

    def e5(texts: list[str]) -> np.ndarray:
        return fast.encode(texts)

    t = time.perf_counter()
    q_e5 = (sts_spearman(sts, e5), *duplicate_recall(lcqmc, e5))
    e5_s = time.perf_counter() - t
    t = time.perf_counter()
    q_tf = (sts_spearman(sts, tfidf_embedder([s for p in sts for s in p[:2]])),
            *duplicate_recall(lcqmc, tfidf_embedder([s for p in lcqmc for s in p[:2]])))
    tf_s = time.perf_counter() - t

    print(f"\nQuality  (STS-B-zh: {len(sts)} pairs; LCQMC: {len(lcqmc)} pairs -> {q_e5[2]} queries "
          f"among {q_e5[3]} sentences)")
    print(f"  {'model':34s} {'STS-B Spearman':>15s} {'LCQMC recall@1':>15s} {'time':>8s}")
    print(f"  {'e5-small, fast path (int8 ONNX)':34s} {100 * q_e5[0]:15.1f} {100 * q_e5[1]:15.1f} {e5_s:7.1f}s")
    print(f"  {'TF-IDF char 1-3-grams':34s} {100 * q_tf[0]:15.1f} {100 * q_tf[1]:15.1f} {tf_s:7.1f}s")
    beats = q_e5[0] > q_tf[0] and q_e5[1] > q_tf[1]

    texts = speed_texts(sts, lcqmc, args.speed_texts)
    runs = [("short sentences", texts, args.rounds)]
    longs = long_texts(args.data / "messages_unlabeled_raw.csv", args.long)
    if longs:
        runs.append(("long messages", longs, 1))
    print(f"\nSpeed  (texts/s, batch 32, median of rounds; {fast._threads} ORT threads)")
    print(f"  {'texts':34s} {'fp32 torch':>11s} {'fast':>9s} {'ratio':>7s} {'cos mean':>9s} {'cos min':>8s}"
          f" {'fast, cached':>13s}")
    results = []
    for name, batch, rounds in runs:
        r = time_pair(baseline, fast, batch, rounds)
        results.append((name, r))
        avg = sum(map(len, batch)) / len(batch)
        label = f"{name} ({len(batch)}, ~{avg:.0f} chars)"
        print(f"  {label:34s} {r['base']:11.1f} {r['fast']:9.1f} {r['fast'] / r['base']:6.2f}x "
              f"{r['cos_mean']:9.4f} {r['cos_min']:8.4f} {r['warm']:13.0f}")
        if rounds > 1:
            print(f"    rounds: fp32 {', '.join(f'{x:.0f}' for x in r['base_all'])}; "
                  f"fast {', '.join(f'{x:.0f}' for x in r['fast_all'])}")

    short = results[0][1]
    print("\nChecks")
    print(f"  [{'ok' if beats else 'FAIL'}] e5 beats TF-IDF on both sets")
    print(f"  [{'ok' if short['cos_mean'] >= 0.99 else 'FAIL'}] mean cosine fast vs fp32 >= 0.99 "
          f"({short['cos_mean']:.4f})")
    ratio = short["fast"] / short["base"]
    print(f"  [{'ok' if ratio >= 3 else 'FAIL'}] fast path >= 3x the fp32 baseline on the same texts "
          f"({ratio:.2f}x; timings on a shared machine are noisy)")
    return 0 if beats and short["cos_mean"] >= 0.99 else 1


if __name__ == "__main__":
    sys.exit(main())
