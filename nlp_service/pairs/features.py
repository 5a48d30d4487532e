"""Features of a pair of texts: what the sentence vectors say, and what they blur.

e5's cosines sit in a narrow band (paraphrases ~0.98, unrelated questions ~0.94), and two complaints about
different buildings or different numbers embed almost alike. So beside the cosine and the vectors' element-wise
interactions, the head sees surface overlap and the particulars each side names: numbers, places and units, and
negation. A different number or place is strong evidence against "the same issue".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from nlp_service.domain.taxonomy import Taxonomy

NUMBER = re.compile(r"\d+(?:\.\d+)?|[零一二三四五六七八九十百千万两]+(?=[号栋楼期路条个元天年月日次层室])")
NEGATION = re.compile(r"不|没|无|非|未|别|莫|勿")
SCALARS = ("cosine", "char_jaccard", "bigram_jaccard", "token_jaccard", "containment", "length_ratio",
           "same_numbers", "different_numbers", "one_side_numbers", "same_names", "different_names",
           "negation_differs", "log_length")


@dataclass(frozen=True)
class Side:
    """One text as the pair code needs it; callers pass what they already computed (no second pass)."""

    text: str
    tokens: list[str]
    vector: np.ndarray
    names: frozenset[str] = field(default_factory=frozenset)  # places and units named (entity texts)

    # Cached: one text meets about ten others when a corpus is grouped.
    @cached_property
    def numbers(self) -> frozenset[str]:
        return frozenset(NUMBER.findall(self.text))

    @cached_property
    def chars(self) -> frozenset[str]:
        return frozenset(self.text)

    @cached_property
    def bigrams(self) -> frozenset[str]:
        return frozenset(self.text[i : i + 2] for i in range(len(self.text) - 1))

    @cached_property
    def token_set(self) -> frozenset[str]:
        return frozenset(self.tokens)

    @cached_property
    def negations(self) -> int:
        return len(NEGATION.findall(self.text))


def vocabulary(taxonomy: Taxonomy) -> list[str]:
    """The places and unit names the pair features look for, longest first."""
    return sorted(set(taxonomy.place_names) | set(taxonomy.department_alias_index), key=len, reverse=True)


def names_in(text: str, vocabulary: Iterable[str]) -> frozenset[str]:
    """Places and units from a vocabulary that occur in ``text`` (for callers without entities)."""
    return frozenset(n for n in vocabulary if len(n) >= 2 and n in text)


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def scalars(a: Side, b: Side) -> dict[str, float]:
    ca, cb = a.chars, b.chars
    ta, tb = a.token_set, b.token_set
    na, nb = a.numbers, b.numbers
    shorter = min(len(ca), len(cb)) or 1
    return {
        "cosine": float(np.dot(a.vector, b.vector)),
        "char_jaccard": _jaccard(ca, cb),
        "bigram_jaccard": _jaccard(a.bigrams, b.bigrams),
        "token_jaccard": _jaccard(ta, tb),
        "containment": len(ca & cb) / shorter,
        "length_ratio": min(len(a.text), len(b.text)) / max(len(a.text), len(b.text), 1),
        "same_numbers": float(bool(na) and na == nb),
        "different_numbers": float(bool(na) and bool(nb) and not (na & nb)),
        "one_side_numbers": float(bool(na) != bool(nb)),
        "same_names": float(bool(a.names & b.names)),
        "different_names": float(bool(a.names) and bool(b.names) and not (a.names & b.names)),
        "negation_differs": float(a.negations % 2 != b.negations % 2),
        "log_length": float(np.log1p(len(a.text) + len(b.text))),
    }


def feature_matrix(pairs: list[tuple[Side, Side]]) -> np.ndarray:
    """Scalars, then the element-wise product and absolute difference of the two vectors."""
    if not pairs:
        return np.zeros((0, len(SCALARS)), np.float32)
    s = np.array([[row[k] for k in SCALARS] for row in (scalars(a, b) for a, b in pairs)], np.float32)
    va = np.stack([a.vector for a, _ in pairs]).astype(np.float32)
    vb = np.stack([b.vector for _, b in pairs]).astype(np.float32)
    return np.hstack([s, va * vb, np.abs(va - vb)])
