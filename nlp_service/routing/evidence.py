"""Explicit department evidence beside the classifier: a unit named in the text (any alias), and the
responsibilities list (权责清单) line that best matches the text."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from nlp_service.domain.taxonomy import Taxonomy
from nlp_service.text.segment import Segmenter


@dataclass(frozen=True)
class DepartmentEvidence:
    mentioned: dict[str, str]  # department id -> the words in the text that named it
    duty_score: dict[str, float]  # department id -> cosine with its best responsibilities line
    duty_line: dict[str, str]  # department id -> that line


def _identity(x: list[str]) -> list[str]:
    return x


class DepartmentSignals:
    def __init__(self, taxonomy: Taxonomy, segmenter: Segmenter) -> None:
        self.taxonomy = taxonomy
        aliases = sorted(taxonomy.department_alias_index, key=len, reverse=True)
        self._alias_re = re.compile("|".join(map(re.escape, aliases))) if aliases else None
        self._lines: list[tuple[str, str]] = [(d.id, line) for d in taxonomy.departments
                                              for line in d.responsibilities]
        self._vec = None
        if self._lines:
            docs = [segmenter.tokens(line) for _, line in self._lines]
            self._vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
            self._matrix = self._vec.fit_transform(docs)

    def evidence(self, text: str, tokens: list[str]) -> DepartmentEvidence:
        mentioned: dict[str, str] = {}
        if self._alias_re is not None:
            for m in self._alias_re.finditer(text):
                mentioned.setdefault(self.taxonomy.department_alias_index[m.group(0)], m.group(0))
        duty_score: dict[str, float] = {}
        duty_line: dict[str, str] = {}
        if self._vec is not None and tokens:
            sims = (self._matrix @ self._vec.transform([tokens]).T).toarray().ravel()
            for i in np.argsort(-sims):
                if sims[i] <= 0:
                    break
                dep, line = self._lines[i]
                if dep not in duty_score:
                    duty_score[dep], duty_line[dep] = float(sims[i]), line
        return DepartmentEvidence(mentioned, duty_score, duty_line)
