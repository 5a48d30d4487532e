"""BM25 over the segmenter's tokens, updated in place on every insert, update and delete.

Postings live in dicts (cheap to change) and are turned into numpy arrays per token on first use after a
change, so a query scores whole posting lists with vector operations instead of Python loops.
"""

from __future__ import annotations

import math
import threading
from collections import Counter

import numpy as np

COMPACT_MIN = 1024  # dead slots tolerated before a compaction, at least; else as many as there are live ones


class BM25Index:
    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._lock = threading.RLock()
        self._slot: dict[int, int] = {}  # item id -> dense slot
        self._ids: list[int] = []  # slot -> item id (-1 once deleted)
        self._len: list[int] = []  # slot -> document length
        self._terms: dict[int, Counter[str]] = {}  # item id -> its term counts
        self._postings: dict[str, dict[int, int]] = {}  # term -> {slot: tf}
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # term -> (slots, tfs), rebuilt lazily
        self._total_len = 0
        self._len_array: np.ndarray | None = None  # _len as an array, rebuilt after a change
        self._ids_array: np.ndarray | None = None  # _ids as an array, likewise

    def __len__(self) -> int:
        return len(self._terms)

    def ids(self) -> set[int]:
        return set(self._terms)

    def upsert(self, item_id: int, tokens: list[str]) -> None:
        with self._lock:
            self.remove(item_id)
            slot = len(self._ids)
            self._ids.append(item_id)
            self._len.append(len(tokens))
            self._len_array = self._ids_array = None
            self._slot[item_id] = slot
            counts = Counter(tokens)
            self._terms[item_id] = counts
            self._total_len += len(tokens)
            for term, tf in counts.items():
                self._postings.setdefault(term, {})[slot] = tf
                self._arrays.pop(term, None)

    def remove(self, item_id: int) -> bool:
        with self._lock:
            slot = self._slot.pop(item_id, None)
            if slot is None:
                return False
            for term in self._terms.pop(item_id):
                posting = self._postings[term]
                posting.pop(slot, None)
                if not posting:
                    del self._postings[term]
                self._arrays.pop(term, None)
            self._total_len -= self._len[slot]
            self._ids[slot] = -1
            self._ids_array = None
            if len(self._ids) - len(self._slot) > max(COMPACT_MIN, len(self._slot)):
                self._compact()
            return True

    def _compact(self) -> None:
        """Renumber the live slots densely (their order kept, so ties rank as before) and rebuild the postings:
        without it every edit leaves a dead slot and the score arrays grow for ever."""
        live = [i for i in self._ids if i >= 0]
        lengths = [self._len[self._slot[i]] for i in live]
        self._slot = {i: n for n, i in enumerate(live)}
        self._ids, self._len = live, lengths
        self._postings = {}
        for n, i in enumerate(live):
            for term, tf in self._terms[i].items():
                self._postings.setdefault(term, {})[n] = tf
        self._arrays.clear()
        self._len_array = self._ids_array = None

    def _array(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        arr = self._arrays.get(term)
        if arr is None:
            posting = self._postings.get(term)
            if not posting:
                return None
            arr = (np.fromiter(posting.keys(), np.int64, len(posting)),
                   np.fromiter(posting.values(), np.float32, len(posting)))
            self._arrays[term] = arr
        return arr

    def search(self, tokens: list[str], k: int = 10, allowed: set[int] | None = None) -> list[tuple[int, float]]:
        with self._lock:
            n = len(self._terms)
            if n == 0 or not tokens:
                return []
            avgdl = self._total_len / n
            if self._len_array is None:
                self._len_array = np.asarray(self._len, dtype=np.float32)
            lengths = self._len_array
            scores = np.zeros(len(self._ids), dtype=np.float32)
            for term, qtf in Counter(tokens).items():
                arr = self._array(term)
                if arr is None:
                    continue
                slots, tfs = arr
                idf = math.log(1 + (n - len(slots) + 0.5) / (len(slots) + 0.5))
                denom = tfs + self.k1 * (1 - self.b + self.b * lengths[slots] / avgdl)
                np.add.at(scores, slots, qtf * idf * tfs * (self.k1 + 1) / denom)
            hits = np.nonzero(scores > 0)[0]
            if allowed is not None:
                if self._ids_array is None:
                    self._ids_array = np.asarray(self._ids, dtype=np.int64)
                hits = hits[np.isin(self._ids_array[hits], np.fromiter(allowed, np.int64, len(allowed)))]
            if len(hits) > k:  # the k best; of equal scores the lowest slots, so a filter never reorders ties
                kth = -np.partition(-scores[hits], k - 1)[k - 1]
                hits = np.concatenate([hits[scores[hits] > kth], hits[scores[hits] == kth]])[:k]
                hits.sort()
            hits = hits[np.argsort(-scores[hits], kind="stable")]
            return [(self._ids[s], float(scores[s])) for s in hits]

    def terms_of(self, item_id: int) -> Counter[str]:
        return self._terms.get(item_id, Counter())
