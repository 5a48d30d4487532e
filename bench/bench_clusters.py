"""Issue clusters and duplicate groups on the embedded corpus, with the real service and embedding model.

Prints, each beside a baseline measured in the same run:
1. clustering time: a fresh clustering (FAISS k-means + Lloyd steps), a warm re-run, the full report;
2. purity and NMI of the clusters against the corpus topic labels, beside a random clustering of the same
   sizes;
3. pairwise recall and precision of the corpus's marked dup_group pairs for the duplicate groups, beside plain
   union-find over the same neighbour pairs (which chains). "precision" counts every grouped pair that is not
   a marked pair as wrong; "marked" precision looks only at pairs whose both items carry a mark, because the
   corpus marks duplicates within each of its parts and leaves cross-part duplicates unmarked.

Nothing is stored: the clustering runs in a session that is rolled back.

Run: .venv/bin/python bench/bench_clusters.py
"""

from __future__ import annotations

import time
from collections import Counter
from itertools import combinations
from typing import Any

import _common  # noqa: F401  (puts the project on sys.path)
import numpy as np
from sklearn.metrics import normalized_mutual_info_score
from sqlalchemy import select
from sqlalchemy.orm import Session

from nlp_service.errors import ModelNotReadyError
from nlp_service.issues.clusters import recompute
from nlp_service.issues.duplicates import DUPLICATE_THRESHOLD, candidate_pairs, find_groups
from nlp_service.issues.kmeans import choose_k, fresh_centroids, refine, unit_rows
from nlp_service.issues.report import build_report
from nlp_service.service import Service
from nlp_service.storage.models import Suggestion


def purity(labels: list[int], truth: list[str]) -> float:
    by: dict[int, Counter[str]] = {}
    for c, t in zip(labels, truth, strict=True):
        by.setdefault(c, Counter())[t] += 1
    return sum(cnt.most_common(1)[0][1] for cnt in by.values()) / len(truth)


def pairs_of(groups: list[list[int]]) -> set[tuple[int, int]]:
    return {tuple(sorted(p)) for g in groups for p in combinations(g, 2)}


def gold_groups(dup: dict[int, str | None]) -> list[list[int]]:
    groups: dict[str, list[int]] = {}
    for i, g in dup.items():
        if g:
            groups.setdefault(g, []).append(i)
    return list(groups.values())


def pair_scores(groups: list[list[int]], dup: dict[int, str | None]) -> tuple[float, float, float]:
    """(recall of marked pairs, precision over all grouped pairs, precision over pairs of marked items)."""
    gold, pred = pairs_of(gold_groups(dup)), pairs_of(groups)
    marked = [p for p in pred if dup.get(p[0]) and dup.get(p[1])]
    tp = len(gold & pred)
    return tp / len(gold), tp / max(len(pred), 1), sum(p in gold for p in marked) / max(len(marked), 1)


def plain_union_find(ids: list[int], pairs: dict[tuple[int, int], float]) -> list[list[int]]:
    parent = list(range(len(ids)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairs:
        parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for r in range(len(ids)):
        groups.setdefault(find(r), []).append(ids[r])
    return [g for g in groups.values() if len(g) > 1]


def load(svc: Service) -> Any | None:
    try:
        return svc.indexes
    except ModelNotReadyError as e:
        print(f"skipped: {e}")
    except Exception as e:  # a model directory that cannot be loaded is as good as missing here
        print(f"skipped: the embedding model could not be loaded ({type(e).__name__}: {e})")
    return None


def main(svc: Service | None = None) -> None:
    svc = svc or Service()
    store = load(svc)
    if store is None:
        return
    with svc.db.session() as s:
        rows = {i: (t, g) for i, t, g in s.execute(select(Suggestion.id, Suggestion.topic, Suggestion.dup_group)
                                                   .where(Suggestion.external_id.is_not(None)))}
    index = store.vectors["suggestion"]
    ids = sorted(set(rows) & index.ids())
    if not ids:
        print("skipped: no corpus suggestions in the database; run `nlp-service setup` first")
        return
    x = unit_rows(np.stack([index.vector(i) for i in ids]))
    k = choose_k(len(ids))
    print(f"{len(ids)} corpus suggestions, model {store.model_name}, k = {k}")

    t0 = time.perf_counter()
    centroids, _ = refine(x, fresh_centroids(x, k))
    t_fresh = time.perf_counter() - t0
    t0 = time.perf_counter()
    refine(x, centroids)
    t_warm = time.perf_counter() - t0
    with Session(svc.db.engine) as s:
        t0 = time.perf_counter()
        report = build_report(s, recompute(s, store))
        t_report = time.perf_counter() - t0
        s.rollback()
    print(f"fresh clustering {t_fresh:.2f} s, warm re-run {t_warm:.3f} s, recompute + report {t_report:.2f} s")

    topics = [rows[i][0] or "" for i in ids]
    cluster_of = {i: c["id"] for c in report["clusters"] for i in c["ids"]}
    ours = [cluster_of[i] for i in ids]
    rng = np.random.default_rng(0)
    shuffled = [list(rng.permutation(ours)) for _ in range(5)]
    sizes = sorted(Counter(ours).values())
    print(f"\n{len(set(ours))} clusters, sizes {sizes[0]}-{sizes[-1]} (median {sizes[len(sizes) // 2]}), "
          f"{len(set(topics))} topics")
    print(f"{'clustering':<34}{'purity':>8}{'NMI':>8}")
    print(f"{'random, same sizes (5 runs)':<34}{np.mean([purity(r, topics) for r in shuffled]):>8.3f}"
          f"{np.mean([normalized_mutual_info_score(topics, r) for r in shuffled]):>8.3f}")
    print(f"{'issue clusters':<34}{purity(ours, topics):>8.3f}{normalized_mutual_info_score(topics, ours):>8.3f}")

    dup = {i: rows[i][1] for i in ids}
    print(f"\nduplicate groups vs the {len(pairs_of(gold_groups(dup)))} marked pairs (default threshold "
          f"{DUPLICATE_THRESHOLD})")
    print(f"{'method':<40}{'groups':>7}{'largest':>8}{'recall':>8}{'precision':>10}{'marked':>8}")
    for threshold in sorted({DUPLICATE_THRESHOLD, 0.93, 0.94, 0.95}):
        pairs = candidate_pairs(index, ids, x, threshold, 10)
        for name, groups in ((f"plain union-find @ {threshold}", plain_union_find(ids, pairs)),
                             (f"complete-link groups @ {threshold}",
                              [g.ids for g in find_groups(index, threshold, ids=ids)])):
            r, p, mp = pair_scores(groups, dup)
            largest = max((len(g) for g in groups), default=0)
            print(f"{name:<40}{len(groups):>7}{largest:>8}{r:>8.3f}{p:>10.3f}{mp:>8.3f}")


if __name__ == "__main__":
    main()
