"""Search quality and speed.

Quality (real data): LCQMC dev. Corpus = every unique sentence; each side of a positive pair is a query whose
target is its partner. recall@10 and MRR@10 for keyword-only (BM25 over our tokens), semantic-only (e5 + FAISS)
plain reciprocal rank fusion, and our fused ranking (scaled-score fusion), all in one run. The fusion weight is
chosen on the even-numbered queries; the table is measured on the odd-numbered ones.

Speed: p50/p99 of the full search path (query cleaning, segmentation, query embedding, BM25, FAISS, fusion,
filters, fetching and highlighting the page from SQLite) at 10k and 100k documents, for no filter, a broad
filter (post-filtered), the same filter pre-filtered only (the way before: the baseline) and a narrow one.
The large corpora are made of real message texts repeated with shuffled sentences, and their vectors are
synthetic (clustered, 384-d): timing only; vector search cost does not depend on what the vectors mean.

Run: .venv/bin/python bench/bench_search.py [--queries 1000] [--sizes 10000 100000] [--speed-only]
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import time
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from types import SimpleNamespace

import numpy as np
from _common import ROOT, SHARED_DATA, need, read_csv
from sqlalchemy import insert

from nlp_service.index.bm25 import BM25Index
from nlp_service.index.vectors import VectorIndex
from nlp_service.search import hybrid
from nlp_service.search.hybrid import SearchRequest, fuse, rrf, run_search
from nlp_service.storage.db import Database
from nlp_service.storage.models import Suggestion
from nlp_service.storage.repository import SuggestionFilter
from nlp_service.text.pipeline import TextPipeline


def encoder():
    from nlp_service.embedding.encoder import Encoder
    from nlp_service.settings import Settings

    return Encoder(Settings().embedding_model_dir)


def quality(p: TextPipeline, enc, n_queries: int) -> None:
    with need(SHARED_DATA / "lcqmc_dev.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    sents = sorted({r[c] for r in rows for c in ("text_a", "text_b")})
    idx = {s: i for i, s in enumerate(sents)}
    pairs = [(r["text_a"], r["text_b"]) for r in rows if r["label"] == "1" and r["text_a"] != r["text_b"]]
    queries = [(a, b) for a, b in pairs] + [(b, a) for a, b in pairs]
    random.Random(0).shuffle(queries)
    queries = queries[:n_queries]
    t0 = time.perf_counter()
    vecs = enc.encode(sents)
    print(f"corpus {len(sents)} sentences embedded in {time.perf_counter() - t0:.0f}s; {len(queries)} queries")
    vindex = VectorIndex(vecs.shape[1])
    vindex.upsert(np.arange(len(sents)), vecs)
    bm25 = BM25Index()
    for i, s in enumerate(sents):
        bm25.upsert(i, p.segmenter.tokens(p.clean(s)))
    runs = []
    for q, target in queries:
        qi, ti = idx[q], idx[target]
        kw = [(i, sc) for i, sc in bm25.search(p.segmenter.tokens(p.clean(q)), 101) if i != qi][:100]
        scores, ids = vindex.search(vecs[qi][None, :], 101)
        sem = [(int(i), float(sc)) for sc, i in zip(scores[0], ids[0], strict=True) if i != qi][:100]
        runs.append((kw, sem, ti))

    def measure(part, method):
        ranks = []
        for kw, sem, ti in part:
            ranking = method(kw, sem)[:10]
            ranks.append(ranking.index(ti) + 1 if ti in ranking else None)
        return np.mean([r is not None for r in ranks]), np.mean([1 / r if r else 0 for r in ranks])

    tune, test = runs[0::2], runs[1::2]
    weight = max((0.05, 0.1, 0.2, 0.3, 0.5, 1.0),
                 key=lambda w: measure(tune, lambda kw, sem: [i for i, _ in fuse(kw, sem, w)])[1])
    methods = {
        "keyword": lambda kw, sem: [i for i, _ in kw],
        "semantic": lambda kw, sem: [i for i, _ in sem],
        "RRF": lambda kw, sem: [i for i, _ in rrf([[i for i, _ in kw], [i for i, _ in sem]])],
        f"fused (w={weight})": lambda kw, sem: [i for i, _ in fuse(kw, sem, weight)],
    }
    print(f"{len(test)} held-out queries (fusion weight {weight} chosen on {len(tune)} others)")
    print(f"{'method':<16}{'recall@10':>11}{'MRR@10':>9}")
    for name, method in methods.items():
        recall, mrr = measure(test, method)
        print(f"{name:<16}{recall:>11.4f}{mrr:>9.4f}")


def texts_for_speed(p: TextPipeline) -> list[str]:
    rows = []
    for name in ("messages_unlabeled_raw.csv", "messages_with_likes_raw.csv", "messages_with_replies_raw.csv"):
        rows += read_csv(need(SHARED_DATA / name))
    return [p.clean(f"{r['留言主题']}\n{r['留言详情']}") for r in rows]


def speed(p: TextPipeline, enc, sizes: list[int], n: int = 200) -> None:
    base = texts_for_speed(p)
    rng = random.Random(1)
    dim = enc.dim
    queries = ["地铁过街通道", "小区物业乱收费", "学校门口交通拥堵", "拖欠农民工工资", "老旧小区加装电梯",
               "噪音扰民 夜市", "医保异地报销", "公交线路调整"]
    for size in sizes:
        with TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'b.db'}")
            texts = []
            for i in range(size):
                t = base[i % len(base)]
                if i >= len(base):  # a shuffled copy: same words, other order, so BM25 has real statistics
                    parts = t.split("。")
                    rng.shuffle(parts)
                    t = "。".join(parts)
                texts.append(t)
            day0 = date(2019, 1, 1)
            with db.engine.begin() as conn:
                conn.execute(insert(Suggestion), [
                    {"id": i + 1, "title": t[:30], "body": t, "submitted": day0 + timedelta(days=i % 2500),
                     "topic": ("transport", "education", "health")[i % 3], "status": "received", "extra": {}}
                    for i, t in enumerate(texts)])

            # The two indexes run_search reads, filled directly.
            Store = SimpleNamespace(vectors={"suggestion": VectorIndex(dim)}, keywords={"suggestion": BM25Index()})

            t0 = time.perf_counter()
            for i, t in enumerate(texts):
                Store.keywords["suggestion"].upsert(i + 1, p.segmenter.tokens(t))
            t_bm25 = time.perf_counter() - t0
            centres = np.random.default_rng(0).standard_normal((200, dim)).astype(np.float32)
            v = centres[np.random.default_rng(1).integers(0, 200, size)]
            v += 0.5 * np.random.default_rng(2).standard_normal((size, dim)).astype(np.float32)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            t0 = time.perf_counter()
            Store.vectors["suggestion"].upsert(np.arange(1, size + 1), v)
            t_vec = time.perf_counter() - t0
            # recall@10 of the index actually used (IVF above 50k) against exact search
            qv = v[np.random.default_rng(3).choice(size, 100)]
            exact = np.argsort(-(qv @ v.T), axis=1)[:, :10] + 1
            _, got = Store.vectors["suggestion"].search(qv, 10)
            recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, got, strict=True)])
            gc.collect()
            gc.freeze()  # as IndexStore.sync does once the indexes are loaded
            broad = SuggestionFilter(since=date(2022, 1, 1), topic="transport")  # ~19% of the items
            cases = {"plain": (SuggestionFilter(), None), "filtered": (broad, None),
                     # the baseline: every allowed id fetched and ranked inside, as before post-filtering
                     "filtered, pre-filter only": (broad, 10**12),
                     "narrow (20 days)": (SuggestionFilter(since=date(2022, 1, 1), until=date(2022, 1, 20)), None)}
            times = {kind: [] for kind in cases}
            default_max = hybrid.PRE_FILTER_MAX
            for j in range(n):
                q = queries[j % len(queries)]
                for kind, (flt, pre_max) in cases.items():
                    hybrid.PRE_FILTER_MAX = pre_max or default_max
                    enc.clear_cache()  # every query pays for its embedding, as a new query would
                    t0 = time.perf_counter()
                    clean = p.clean(q)
                    tokens = p.segmenter.tokens(clean)
                    qvec = enc.encode([clean])[0]
                    with db.session() as s:
                        run_search(s, Store, SearchRequest(q, filters=flt, limit=20), tokens, qvec)
                    times[kind].append((time.perf_counter() - t0) * 1000)
            hybrid.PRE_FILTER_MAX = default_max
            gc.unfreeze()
            print(f"\n{size} documents ({Store.vectors['suggestion'].kind} vector index, recall@10 vs exact "
                  f"{recall:.3f}; BM25 built in {t_bm25:.1f}s, vectors in {t_vec:.1f}s)")
            base50, base99 = (np.percentile(times["plain"], q) for q in (50, 99))
            for kind, ts in times.items():
                p50, p99 = np.percentile(ts, 50), np.percentile(ts, 99)
                print(f"  {kind:<26} p50 {p50:6.1f} ms ({p50 / base50:4.2f}x plain)   "
                      f"p99 {p99:6.1f} ms ({p99 / base99:4.2f}x plain)")
            db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=4000)
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--speed-only", action="store_true")
    args = ap.parse_args()
    p = TextPipeline(ROOT / "corpora")
    enc = encoder()
    if not args.speed_only:
        quality(p, enc, args.queries)
    speed(p, enc, args.sizes)


if __name__ == "__main__":
    main()
