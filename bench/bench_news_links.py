"""News-to-suggestion linking on the embedded corpus's marked links: precision and recall at thresholds.

Each of the 150 news items is linked afresh (its gold links are ignored) and compared with the marked ones.
Baseline in the same run: character 1-3-gram TF-IDF cosine between the article and each candidate. The
threshold is picked on the odd-numbered news items and
checked on the even-numbered ones, so the printed held-out figures were not tuned on themselves.

Run: .venv/bin/python bench/bench_news_links.py
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from _common import ROOT  # noqa: F401 - puts the project on the path
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import select

from nlp_service.domain.records import item_text
from nlp_service.news.links import LINK_THRESHOLD, NewsQuery, link_candidates
from nlp_service.service import Service
from nlp_service.storage.models import News, NewsLink, Suggestion


def main() -> None:
    svc = Service()
    svc.ops.setup(log=lambda _m: None)
    store = svc.indexes
    with svc.db.session() as s:
        gold = {(n, g) for n, g in s.execute(select(NewsLink.news_id, NewsLink.suggestion_id)
                                             .where(NewsLink.gold.is_(True)))}
        news = s.scalars(select(News).where(News.external_id.is_not(None))).all()
        scored = []
        for n in news:
            text = item_text(n.title, n.body)
            doc = replace(svc.analyzer.analyze(text, vector=False), vector=store.vectors["news"].vector(n.id))
            for c in link_candidates(s, store, NewsQuery(doc, n.published)):
                scored.append((n.id, c["suggestion_id"], c["score"], text))
        texts = {i: f"{t}\n{b}" for i, t, b in s.execute(select(Suggestion.id, Suggestion.title, Suggestion.body))}
    tf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True).fit(list(texts.values()))
    scored = [(a, b, score, float((tf.transform([news_text]) @ tf.transform([texts[b]]).T).toarray()[0, 0]))
              for a, b, score, news_text in scored]
    print(f"{len(news)} news items, {len(gold)} marked links, {len(scored)} candidates scored")
    print(f"{'threshold':>10}{'P (ours)':>10}{'R (ours)':>10}{'F1':>8}   {'P (tf)':>9}{'R (tf)':>9}{'F1':>8}")
    for t in np.arange(0.10, 0.99, 0.04):
        row = []
        for col in (2, 3):
            pred = {(a, b) for a, b, *rest in scored if (a, b, *rest)[col] >= t}
            tp = len(pred & gold)
            p = tp / len(pred) if pred else 0.0
            r = tp / len(gold)
            row += [p, r, 2 * p * r / (p + r) if p + r else 0.0]
        mark = " <- LINK_THRESHOLD" if abs(t - LINK_THRESHOLD) < 0.005 else ""
        print(f"{t:>10.2f}{row[0]:>10.3f}{row[1]:>10.3f}{row[2]:>8.3f}   "
              f"{row[3]:>9.3f}{row[4]:>9.3f}{row[5]:>8.3f}{mark}")
    held_out(scored, gold)


def prf(scored, gold, col, t, part):
    pred = {(a, b) for a, b, *rest in scored if (a, b, *rest)[col] >= t and a % 2 == part}
    g = {x for x in gold if x[0] % 2 == part}
    tp = len(pred & g)
    p, r = (tp / len(pred) if pred else 0.0), tp / max(len(g), 1)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def held_out(scored, gold) -> None:
    grid = np.arange(0.05, 1.0, 0.01)
    print("\nthreshold chosen on odd news ids (best F1), measured on even ones:")
    for name, col in (("ours (e5 cosine)", 2), ("char TF-IDF cosine", 3)):
        t = max(grid, key=lambda t: prf(scored, gold, col, t, 1)[2])
        p, r, f = prf(scored, gold, col, t, 0)
        print(f"  {name:<40} threshold {t:.2f}: precision {p:.3f} recall {r:.3f} F1 {f:.3f}")


if __name__ == "__main__":
    main()
