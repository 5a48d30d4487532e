"""Vector and keyword indexes: in-place updates, persistence, approximate mode, and repair from the database."""

import numpy as np

from nlp_service.index.bm25 import BM25Index
from nlp_service.index.vectors import VectorIndex


def unit(rng, n, d):
    v = rng.standard_normal((n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_vector_upsert_remove_and_save(tmp_path):
    rng = np.random.default_rng(0)
    idx = VectorIndex(16)
    vecs = unit(rng, 50, 16)
    idx.upsert(np.arange(100, 150), vecs)
    scores, ids = idx.search(vecs[:1], 3)
    assert ids[0][0] == 100 and abs(scores[0][0] - 1) < 1e-5
    idx.upsert([100], -vecs[:1])  # update in place: now the opposite direction
    assert idx.search(vecs[:1], 1)[1][0][0] != 100
    assert idx.remove([101, 999]) == 1 and 101 not in idx.ids()
    idx.save(tmp_path / "v.npz", {"model": "m"})
    loaded, meta = VectorIndex.load(tmp_path / "v.npz")
    assert meta["model"] == "m" and loaded.ids() == idx.ids() and len(loaded) == 49


def test_switches_to_ivf_above_the_limit_with_good_recall():
    rng = np.random.default_rng(1)
    centres = unit(rng, 40, 32)  # texts cluster by issue; uniform noise would be an unfair worst case
    data = centres[rng.integers(0, 40, 3000)] + 0.35 * unit(rng, 3000, 32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    idx = VectorIndex(32, exact_limit=1000)
    idx.upsert(np.arange(3000), data)
    assert idx.kind == "ivf"
    q = data[rng.choice(3000, 50)] + 0.1 * unit(rng, 50, 32)
    exact = np.argsort(-(q @ data.T), axis=1)[:, :10]
    _, got = idx.search(q, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, got, strict=True)])
    assert recall >= 0.9
    idx.remove([0, 1, 2])
    assert len(idx) == 2997


def test_bm25_updates_in_place():
    b = BM25Index()
    b.upsert(1, ["地铁", "过街", "通道"])
    b.upsert(2, ["公交", "地铁"])
    assert [i for i, _ in b.search(["过街", "通道"])] == [1]
    b.upsert(1, ["学校"])
    assert b.search(["过街"]) == []
    assert [i for i, _ in b.search(["地铁"], allowed={1})] == []
    b.remove(2)
    assert b.search(["地铁"]) == [] and len(b) == 1


def test_bm25_compacts_dead_slots_and_ranks_as_a_fresh_index():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    b, last = BM25Index(), {}
    for step in range(12_000):  # 3,000 items, each edited four times on average, some deleted
        i = int(rng.integers(3000))
        if step % 7 == 0:
            b.remove(i)
            last.pop(i, None)
        else:
            last.pop(i, None)
            last[i] = list(rng.choice(words, 6))
            b.upsert(i, last[i])
    assert len(b._ids) <= 2 * len(b) + 1024  # dead slots bounded, not one per edit
    fresh = BM25Index()
    for i, tokens in last.items():  # the order of the last writes: the slot order compaction keeps
        fresh.upsert(i, tokens)
    for q in (["w1", "w2"], ["w3"], ["w5", "w6", "w7"]):
        assert b.search(q, 50) == fresh.search(q, 50)
        assert b.search(q, 20, allowed=set(range(0, 3000, 3))) == fresh.search(q, 20, allowed=set(range(0, 3000, 3)))


def test_store_repairs_index_from_database(service):
    from nlp_service.index.store import KINDS

    store = service.indexes
    n = len(store.vectors["suggestion"])
    assert n >= 1000 and set(KINDS) == set(store.vectors)
    # Simulate a crash after a commit but before the index file was saved: drop items from the saved file.
    victim = sorted(store.vectors["suggestion"].ids())[:5]
    store.vectors["suggestion"].remove(victim)
    store.save()
    report = store.sync()
    assert report["suggestion"]["index_repaired"] >= 5
    assert set(victim) <= store.vectors["suggestion"].ids()


def test_search_restricted_to_allowed_ids_in_both_modes():
    rng = np.random.default_rng(2)
    for limit in (10_000, 100):  # exact, then IVF
        idx = VectorIndex(16, exact_limit=limit)
        data = unit(rng, 500, 16)
        idx.upsert(np.arange(1, 501), data)
        allowed = {5, 17, 250, 499}
        _, ids = idx.search(data[16:17], 10, allowed)
        hits = [i for i in ids[0] if i >= 0]
        assert set(hits) <= allowed and 17 in hits and hits[0] == 17
        assert idx.search(data[:1], 5, set())[1][0][0] == -1
