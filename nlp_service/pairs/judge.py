"""The pair decision where the service needs it (the duplicate flag, hot issues): the model plus the places and
units its features look for, turning stored or new texts into ``Side``s."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nlp_service.pairs.features import Side, names_in
from nlp_service.pairs.model import PairModel

NOT_SAME = "工作人员已判定：不是同一问题"


class PairJudge:
    def __init__(self, model: PairModel, vocabulary: list[str]) -> None:
        self.model, self.vocabulary = model, vocabulary

    @property
    def threshold(self) -> float:
        return self.model.threshold

    @property
    def candidate_floor(self) -> float:
        """The cosine below which a pair is not worth scoring, measured on the model's training positives (its
        manifest); 0 where not measured."""
        return float(self.model.manifest.get("candidate_floor", 0.0))

    def side(self, clean_text: str, tokens: Iterable[str], vector: np.ndarray) -> Side:
        return Side(clean_text, list(tokens), vector, names_in(clean_text, self.vocabulary))

    def probabilities(self, pairs: list[tuple[Side, Side]]) -> np.ndarray:
        return self.model.probabilities(pairs)

    def decide(self, query: Side, others: list[Side], not_same: Iterable[bool] | None = None
               ) -> list[dict[str, Any]]:
        """One answer per other side; a staff "not the same issue" answer overrides the model's yes."""
        answers = self.model.decide([(query, o) for o in others])
        for answer, banned in zip(answers, not_same or [False] * len(answers), strict=True):
            if banned:
                answer["duplicate"] = False
                answer["why"]["against"].insert(0, NOT_SAME)
        return answers
