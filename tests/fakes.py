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
