"""Every pair of vectors with cosine at or above a threshold, exactly, by blocked matrix products.

FAISS's exact range search answers one query at a time against the whole set. Multiplying blocks of rows
against the rows after them (the upper triangle only) lets BLAS use both cores fully and halves the work.
"""

from __future__ import annotations

import numpy as np


def all_pairs_above(x: np.ndarray, threshold: float, block: int = 2048) -> set[tuple[int, int]]:
    """Row-index pairs (i < j) of the L2-normalised rows of ``x`` whose dot product is >= ``threshold``."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = len(x)
    pairs: set[tuple[int, int]] = set()
    for start in range(0, n, block):
        stop = min(start + block, n)
        sims = x[start:stop] @ x[start:].T  # block x (n - start)
        rows, cols = np.nonzero(sims >= threshold)
        keep = cols > rows  # the upper triangle within this band: j > i, no self pairs
        pairs.update(zip((rows[keep] + start).tolist(), (cols[keep] + start).tolist(), strict=True))
    return pairs
