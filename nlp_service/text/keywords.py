"""Keywords per document: TF-IDF against jieba's shipped IDF table, and TextRank over co-occurrence."""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import jieba


@cache
def _idf_table() -> tuple[dict[str, float], float]:
    path = Path(jieba.__file__).parent / "analyse" / "idf.txt"
    idf: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, value = line.rpartition(" ")
        if word:
            idf[word] = float(value)
    median = sorted(idf.values())[len(idf) // 2]
    return idf, median


def _eligible(token: str) -> bool:
    return len(token) > 1 and not token.isdigit()


def tfidf_keywords(tokens: list[str], k: int = 10) -> list[tuple[str, float]]:
    """Tokens come from the segmenter (stopwords already gone); unseen words get the median IDF."""
    idf, median = _idf_table()
    counts = Counter(t for t in tokens if _eligible(t))
    total = sum(counts.values()) or 1
    scored = {w: c / total * idf.get(w, median) for w, c in counts.items()}
    return sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


def textrank_keywords(tokens: list[str], k: int = 10, window: int = 5, iterations: int = 30,
                      damping: float = 0.85) -> list[tuple[str, float]]:
    """PageRank on an undirected graph of words that occur within ``window`` tokens of each other."""
    words = [t for t in tokens if _eligible(t)]
    graph: dict[str, Counter[str]] = defaultdict(Counter)
    for i, w in enumerate(words):
        for v in words[i + 1 : i + window]:
            if v != w:
                graph[w][v] += 1
                graph[v][w] += 1
    if not graph:
        return [(w, 1.0) for w in dict.fromkeys(words)][:k]
    score = dict.fromkeys(graph, 1.0)
    out_weight = {w: sum(n.values()) for w, n in graph.items()}
    for _ in range(iterations):
        score = {
            w: (1 - damping) + damping * sum(c / out_weight[v] * score[v] for v, c in graph[w].items())
            for w in graph
        }
    top = max(score.values())
    ranked = sorted(((w, s / top) for w, s in score.items()), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:k]


def keywords(tokens: list[str], k: int = 10, method: str = "tfidf") -> list[tuple[str, float]]:
    if method == "textrank":
        return textrank_keywords(tokens, k)
    if method == "tfidf":
        return tfidf_keywords(tokens, k)
    raise ValueError(f"unknown keyword method {method!r} (tfidf or textrank)")
