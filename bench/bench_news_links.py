"""News-to-suggestion linking on the embedded corpus's marked links: precision and recall at thresholds.

Each of the 150 news items is linked afresh (its gold links are ignored) and compared with the marked ones.
Baseline in the same run: the semantic cosine alone.

Run: .venv/bin/python bench/bench_news_links.py
"""

from __future__ import annotations

import numpy as np
from _common import ROOT  # noqa: F401 - puts the project on the path
from sqlalchemy import select

from nlp_service.news_links import LINK_THRESHOLD, NewsQuery, link_candidates
from nlp_service.service import Service
from nlp_service.storage.models import News, NewsLink


def main() -> None:
    svc = Service()
    svc.setup(log=lambda _m: None)
    store = svc.indexes
    with svc.db.session() as s:
        gold = {(n, g) for n, g in s.execute(select(NewsLink.news_id, NewsLink.suggestion_id)
                                             .where(NewsLink.gold.is_(True)))}
        news = s.scalars(select(News).where(News.external_id.is_not(None))).all()
        scored = []
        for n in news:
            text = f"{n.title}\n{n.body}"
            vec = store.vectors["news"].vector(n.id)
            tokens = svc.pipeline.segmenter.tokens(text)
            for c in link_candidates(s, store, NewsQuery(text, tokens, vec, n.published), svc._entity_names):
                scored.append((n.id, c["suggestion_id"], c["score"], c["evidence"]["cosine"]))
    print(f"{len(news)} news items, {len(gold)} marked links, {len(scored)} candidates scored")
    print(f"{'threshold':>10}{'P (ours)':>10}{'R (ours)':>10}{'F1':>8}   {'P (cos)':>9}{'R (cos)':>9}{'F1':>8}")
    for t in np.arange(0.75, 0.96, 0.02):
        row = []
        for col in (2, 3):
            pred = {(a, b) for a, b, *rest in scored if (a, b, *rest)[col] >= t}
            tp = len(pred & gold)
            p = tp / len(pred) if pred else 0.0
            r = tp / len(gold)
            row += [p, r, 2 * p * r / (p + r) if p + r else 0.0]
        mark = " <- LINK_THRESHOLD" if abs(t - LINK_THRESHOLD) < 0.01 else ""
        print(f"{t:>10.2f}{row[0]:>10.3f}{row[1]:>10.3f}{row[2]:>8.3f}   "
              f"{row[3]:>9.3f}{row[4]:>9.3f}{row[5]:>8.3f}{mark}")


if __name__ == "__main__":
    main()
