"""Explicit department evidence beside the classifier: a unit named in the text (any alias), the
responsibilities list (权责清单) line that best matches the text, and the one district the text (or the
item's place) names, whose government takes the matter when it is a district matter."""

from __future__ import annotations

import re
from collections import Counter
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
    district: str | None = None  # the one district named (a tie between two means none: a cross-district matter)
    district_unit: str | None = None  # that district's government


def _identity(x: list[str]) -> list[str]:
    return x


class DepartmentSignals:
    def __init__(self, taxonomy: Taxonomy, segmenter: Segmenter) -> None:
        self.taxonomy = taxonomy
        aliases = sorted(taxonomy.department_alias_index, key=len, reverse=True)
        self._alias_re = re.compile("|".join(map(re.escape, aliases))) if aliases else None
        places = sorted(taxonomy.district_of_place, key=len, reverse=True)
        self._place_re = re.compile("|".join(map(re.escape, places))) if places else None
        self._lines: list[tuple[str, str]] = [(d.id, line) for d in taxonomy.departments
                                              for line in d.responsibilities]
        self._vec = None
        if self._lines:
            docs = [segmenter.tokens(line) for _, line in self._lines]
            self._vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
            self._matrix = self._vec.fit_transform(docs)

    def district(self, text: str, place: str | None = None) -> str | None:
        """The district named most often in the text and the place field; None when none is, or when two
        are named equally often."""
        if self._place_re is None:
            return None
        found = Counter(self.taxonomy.district_of_place[m.group(0)]
                        for m in self._place_re.finditer(f"{text}\n{place or ''}"))
        top = found.most_common(2)
        if not top or (len(top) == 2 and top[0][1] == top[1][1]):
            return None
        return top[0][0]

    def evidence(self, text: str, tokens: list[str], place: str | None = None) -> DepartmentEvidence:
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
        district = self.district(text, place)
        return DepartmentEvidence(mentioned, duty_score, duty_line, district,
                                  self.taxonomy.district_units.get(district) if district else None)
