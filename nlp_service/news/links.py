"""Link a news article to the suggestions it reports on, with a score and the evidence.

A report of a suggestion's handling shares its concrete particulars: the place, the facility, the named
units, and it is published after the suggestion was made. Candidates come from both indexes (semantic and
keyword), the dates must fit, and the score is the e5 cosine. Shared names and keywords are reported as the
evidence staff read; adding them to the score, or measuring cosines from the corpus mean, did worse on held-out
news (bench/bench_news_links.py), so they stay out of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from nlp_service.domain.records import item_text
from nlp_service.index.store import IndexStore
from nlp_service.storage.models import Suggestion
from nlp_service.text.document import Document
from nlp_service.text.keywords import tfidf_keywords

# Words news use when a proposal became reality.
OUTCOME_CUES = ("采纳", "落实", "建成", "开通", "投用", "投入使用", "完工", "落地", "实现", "解决", "整改", "回应",
                "答复", "办结", "推动", "促成", "变成现实")
LINK_THRESHOLD = 0.94  # chosen with bench/bench_news_links.py on half of the corpus's news, checked on the rest


@dataclass(frozen=True)
class NewsQuery:
    doc: Document
    published: date | None


def link_candidates(session: Session, store: IndexStore, q: NewsQuery, k: int = 20) -> list[dict[str, Any]]:
    """Scored candidates, best first; callers keep those above LINK_THRESHOLD."""
    index = store.vectors["suggestion"]
    _, ids = index.search(q.doc.vector[None, :], k)
    keyword_terms = [w for w, _ in tfidf_keywords(q.doc.tokens, 12)]
    cands = {int(i) for i in ids[0] if i >= 0}
    cands |= {i for i, _ in store.keywords["suggestion"].search(keyword_terms, k)}
    semantic = {i: float(index.vector(i) @ q.doc.vector) for i in cands if index.vector(i) is not None}
    cue = any(c in q.doc.clean for c in OUTCOME_CUES)
    out = []
    for sid, cos in semantic.items():
        row = session.get(Suggestion, sid)
        if row is None:
            continue
        if q.published and row.submitted and row.submitted > q.published:
            continue  # news cannot report on a suggestion made after it
        text = item_text(row.title, row.body)
        shared_names = sorted(n for n in q.doc.names if n in text)
        terms = store.keywords["suggestion"].terms_of(sid)
        shared_kw = [w for w in keyword_terms if w in terms]
        score = cos
        out.append({"suggestion_id": sid, "score": round(score, 4), "evidence": {
            "cosine": round(cos, 4), "shared_names": shared_names, "shared_keywords": shared_kw,
            "outcome_words": cue, "suggestion_status": row.status}})
    return sorted(out, key=lambda d: -d["score"])
