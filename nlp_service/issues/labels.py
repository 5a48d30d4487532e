"""Cluster labels by class-based TF-IDF (as in BERTopic): the words frequent in one cluster and rare in the rest.

All documents of a cluster are treated as one document, so a word that is common everywhere (建议, 问题)
scores low and a word that is concentrated in one cluster scores high:

    W(t, c) = tf(t, c) * log(1 + A / f(t))

with tf(t, c) the count of term t in cluster c, f(t) its count over all clusters and A the average number of
words per cluster. Tokens come from the segmenter (domain dictionary, stopwords dropped), so every keyword is
a word the reader will find in the items.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping


def is_label_word(token: str) -> bool:
    """Words worth showing: two characters or more with a letter in them (not a bare number or a sign)."""
    return len(token) >= 2 and any(ch.isalpha() for ch in token)


def ctfidf(cluster_terms: Mapping[int, Counter[str]], top: int = 6) -> dict[int, list[tuple[str, float]]]:
    """Top ``top`` (word, weight) pairs per cluster, best first; ties broken by the word for stable output."""
    total: Counter[str] = Counter()
    for terms in cluster_terms.values():
        total.update(terms)
    if not cluster_terms:
        return {}
    avg_words = sum(total.values()) / len(cluster_terms)
    out = {}
    for cid, terms in cluster_terms.items():
        scored = [(t, tf * math.log(1 + avg_words / total[t])) for t, tf in terms.items() if is_label_word(t)]
        scored.sort(key=lambda x: (-x[1], x[0]))
        out[cid] = [(t, round(w, 3)) for t, w in scored[:top]]
    return out


def cluster_terms(members: Mapping[int, Iterable[int]], terms_of: Callable[[int], Counter[str]]
                  ) -> dict[int, Counter[str]]:
    """Sum the token counts of each cluster's items."""
    out: dict[int, Counter[str]] = {}
    for cid, ids in members.items():
        acc: Counter[str] = Counter()
        for i in ids:
            acc.update(terms_of(i))
        out[cid] = acc
    return out
