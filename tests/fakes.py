"""A deterministic stand-in for the sentence-embedding model, so storage, indexing and search tests run the
real code paths in milliseconds. The real model is tested in test_embedding.py."""

from __future__ import annotations

import zlib

import numpy as np


class HashingEncoder:
    """Character uni- and bigrams hashed into a fixed number of dimensions, L2-normalised."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.calls = 0

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            grams = list(text) + [text[i : i + 2] for i in range(len(text) - 1)]
            for g in grams:
                if not g.isspace():
                    out[row, zlib.crc32(g.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)



def install_pair_model(svc) -> None:
    """A pair-decision model for the hashing encoder in the service's models_dir, trained on the stored corpus's
    marked groups (the shipped one reads e5 vectors and refuses others)."""
    from nlp_service.classify.artifact import save_artifact
    from nlp_service.domain.records import item_text
    from nlp_service.pairs.features import Side, feature_matrix, names_in, vocabulary
    from nlp_service.pairs.model import KIND, PairHead, precision_threshold
    from nlp_service.pairs.training import stored_pairs
    from nlp_service.storage.models import Suggestion

    store, names = svc.indexes, vocabulary(svc.pipeline.taxonomy)
    with svc.db.session() as s:
        pairs = stored_pairs(s)
        rows = {r.id: r for r in s.query(Suggestion)}

    def side(i: int) -> Side:
        text = store.clean(item_text(rows[i].title, rows[i].body))
        return Side(text, list(store.keywords["suggestion"].terms_of(i)), store.vectors["suggestion"].vector(i),
                    names_in(text, names))

    # Hard negatives too: a marked item's nearest neighbours in another marked group (an unmarked neighbour may
    # well raise the same issue).
    labelled = {(a, b) for a, b, _ in pairs}
    vectors = store.vectors["suggestion"]
    for i, r in rows.items():
        if r.dup_group:
            _, near = vectors.search(vectors.vector(i)[None, :], 6)
            for j in near[0].tolist():
                key = (min(i, j), max(i, j))
                if j in rows and rows[j].dup_group not in (None, r.dup_group) and key not in labelled:
                    labelled.add(key)
                    pairs.append((*key, 0))
    x = feature_matrix([(side(a), side(b)) for a, b, _ in pairs])
    y = np.array([label for _, _, label in pairs])
    order = np.random.default_rng(0).permutation(len(y))
    fit, val = order[: len(y) * 7 // 10], order[len(y) * 7 // 10 :]
    head = PairHead.fit(x[fit], y[fit], x[val], y[val], iterations=60)
    threshold = precision_threshold(head.probability(x[val]), y[val], 0.9)
    save_artifact(head, svc.settings.models_dir / "pairs",
                  {"kind": KIND, "name": "pairs", "threshold": threshold, "target_precision": 0.9,
                   "embedding": {"name": svc.settings.embedding_model_dir.name}})
