"""Link a news article to the suggestions it reports on, with a score and the evidence.

A report of a suggestion's handling shares its concrete particulars: the place, the facility, the named
units, and it is published after the suggestion was made. Candidates come from both indexes (semantic and
keyword); the score adds place/name overlap to the semantic similarity and requires the dates to fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from nlp_service.index.store import IndexStore
from nlp_service.keywords import tfidf_keywords
from nlp_service.storage.models import Suggestion

# Words news use when a proposal became reality.
OUTCOME_CUES = ("采纳", "落实", "建成", "开通", "投用", "投入使用", "完工", "落地", "实现", "解决", "整改", "回应",
                "答复", "办结", "推动", "促成", "变成现实")
LINK_THRESHOLD = 0.55  # chosen with bench/bench_news_links.py on the embedded corpus's gold links


@dataclass(frozen=True)
class NewsQuery:
    text: str
    tokens: list[str]
    vector: np.ndarray
    published: date | None


def link_candidates(session: Session, store: IndexStore, q: NewsQuery, names: set[str], k: int = 20
                    ) -> list[dict[str, Any]]:
    """Scored candidates, best first; callers keep those above LINK_THRESHOLD."""
    scores, ids = store.vectors["suggestion"].search(q.vector[None, :], k)
    semantic = {int(i): float(s) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0}
    keyword_terms = [w for w, _ in tfidf_keywords(q.tokens, 12)]
    for i, _ in store.keywords["suggestion"].search(keyword_terms, k):
        if i not in semantic:
            vec = store.vectors["suggestion"].vector(i)
            semantic[i] = float(vec @ q.vector) if vec is not None else 0.0
    cue = any(c in q.text for c in OUTCOME_CUES)
    q_names = {n for n in names if n in q.text}
    out = []
    for sid, cos in semantic.items():
        row = session.get(Suggestion, sid)
        if row is None:
            continue
        if q.published and row.submitted and row.submitted > q.published:
            continue  # news cannot report on a suggestion made after it
        text = f"{row.title}\n{row.body}"
        shared_names = sorted(n for n in q_names if n in text)
        terms = store.keywords["suggestion"].terms_of(sid)
        shared_kw = [w for w in keyword_terms if w in terms]
        score = cos + 0.04 * min(len(shared_names), 3) + 0.02 * min(len(shared_kw), 5) + (0.03 if cue else 0)
        out.append({"suggestion_id": sid, "score": round(score, 4), "evidence": {
            "cosine": round(cos, 4), "shared_names": shared_names, "shared_keywords": shared_kw,
            "outcome_words": cue, "suggestion_status": row.status}})
    return sorted(out, key=lambda d: -d["score"])
