"""Classification on real data, each figure beside a plain baseline measured in the same run.

1. Citizens' messages, 7 classes: train on messages_train_segmented.csv (8,319, pre-segmented), test on
   messages_sample_raw_labeled.csv (494 raw; our pipeline cleans and segments them).
   Also a decontaminated run: 99% of the 494 test messages are near-copies of training rows, so it drops
   every training row whose token Jaccard with a test message exceeds 0.5 and trains again.
2. Held-out calibration on the training data (a stratified 20% split), where no test copy exists.
3. News titles (THUCNews, 10 classes): 5-fold cross-validated accuracy.
4. In-process routing latency on the embedded corpus model.

Run: .venv/bin/python bench/bench_classify.py [--skip-news]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
from _common import ROOT, SHARED_DATA, need, read_csv
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.svm import LinearSVC

from nlp_service.classify.evaluate import evaluate, format_report
from nlp_service.classify.model import TextClassifier
from nlp_service.text.pipeline import TextPipeline


def baseline(train_docs, y_train, test_docs):
    """Plain TF-IDF over the same tokens + LinearSVC: the published-style baseline."""
    vec = TfidfVectorizer(analyzer=lambda d: d)
    return LinearSVC().fit(vec.fit_transform(train_docs), y_train).predict(vec.transform(test_docs))


def near_copies(train_docs, test_docs, jaccard=0.5) -> set[int]:
    inv = defaultdict(set)
    sets = [set(d) for d in train_docs]
    for i, s in enumerate(sets):
        for t in s:
            inv[t].add(i)
    drop = set()
    for d in test_docs:
        q = set(d)
        cand = set().union(*(inv[t] for t in q if len(inv[t]) < 400)) if q else set()
        drop |= {i for i in cand if len(q & sets[i]) / len(q | sets[i]) > jaccard}
    return drop


def report(name, y_true, probs, classes, base_pred):
    m = evaluate(probs, y_true, classes)
    base_f1 = f1_score(y_true, base_pred, average="macro")
    print(f"\n== {name}")
    print(f"baseline TF-IDF+LinearSVC macro-F1 {base_f1:.4f} | ours macro-F1 {m['macro_f1']:.4f} "
          f"(ratio {m['macro_f1'] / base_f1:.3f}) | ECE {m['ece']:.4f} | acc@90% coverage "
          f"{m['accuracy_at_90_coverage']:.4f}")
    return m


def messages(p: TextPipeline) -> None:
    train = read_csv(need(SHARED_DATA / "messages_train_segmented.csv"))
    test = read_csv(need(SHARED_DATA / "messages_sample_raw_labeled.csv"))
    t0 = time.perf_counter()
    tr_docs = [p.segmenter.tokens(p.clean(r["tokens"])) for r in train]
    te_docs = [p.segmenter.tokens(p.clean(f"{r['留言主题']}\n{r['留言详情']}")) for r in test]
    print(f"segmented {len(tr_docs)} + {len(te_docs)} texts in {time.perf_counter() - t0:.1f}s")
    y_tr, y_te = [r["一级标签"] for r in train], [r["一级标签"] for r in test]

    model = TextClassifier().fit(tr_docs, y_tr)
    m = report("messages: train 8,319 -> raw test 494 (standard protocol)", y_te,
               model.predict_proba(te_docs), model.classes_, baseline(tr_docs, y_tr, te_docs))
    print(format_report(m))

    drop = near_copies(tr_docs, te_docs)
    keep = [i for i in range(len(tr_docs)) if i not in drop]
    d_docs, d_y = [tr_docs[i] for i in keep], [y_tr[i] for i in keep]
    print(f"\ndecontaminated: dropped {len(drop)} training rows that are near-copies of test messages")
    model = TextClassifier().fit(d_docs, d_y)
    report("messages: decontaminated train -> raw test 494", y_te, model.predict_proba(te_docs),
           model.classes_, baseline(d_docs, d_y, te_docs))

    a, b = train_test_split(np.arange(len(tr_docs)), test_size=0.2, random_state=13, stratify=y_tr)
    model = TextClassifier().fit([tr_docs[i] for i in a], [y_tr[i] for i in a])
    report("messages: held-out 20% of the training file (calibration check)", [y_tr[i] for i in b],
           model.predict_proba([tr_docs[i] for i in b]), model.classes_,
           baseline([tr_docs[i] for i in a], [y_tr[i] for i in a], [tr_docs[i] for i in b]))


def news_titles(p: TextPipeline) -> None:
    rows = read_csv(need(SHARED_DATA / "news_titles_dev.csv"))
    docs = [p.segmenter.tokens(p.clean(r["text"])) for r in rows]
    y = np.array([r["label"] for r in rows])
    ours, base = [], []
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=13).split(docs, y):
        m = TextClassifier().fit([docs[i] for i in tr], list(y[tr]))
        probs = m.predict_proba([docs[i] for i in te])
        ours.append(accuracy_score(y[te], np.array(m.classes_)[probs.argmax(1)]))
        base.append(accuracy_score(y[te], baseline([docs[i] for i in tr], y[tr], [docs[i] for i in te])))
    print(f"\n== news titles, {len(rows)} x 5-fold CV: baseline accuracy {np.mean(base):.4f}, ours "
          f"{np.mean(ours):.4f} (ratio {np.mean(ours) / np.mean(base):.3f})")


def routing_latency() -> None:
    from nlp_service.service import Service

    svc = Service()
    if not (svc.settings.routing_model_dir / "manifest.json").is_file():
        print("\n== routing latency: skipped (no routing model; run `nlp-service setup`)")
        return
    texts = ["小区门口的红绿灯坏了三天了，早高峰特别堵，请交警部门尽快修复。",
             "建议在高新区增设一所公办小学，解决学位紧张问题。",
             "楼下烧烤店油烟太大，晚上还很吵，希望环保部门管一管。"] * 34
    svc.routing.route(texts[0])
    times = []
    for t in texts:
        t0 = time.perf_counter()
        svc.routing.route(t)
        times.append((time.perf_counter() - t0) * 1000)
    tokens_t = []
    for t in texts:
        t0 = time.perf_counter()
        svc.pipeline.tokens(t)
        tokens_t.append((time.perf_counter() - t0) * 1000)
    print(f"\n== routing one text in-process ({len(texts)} texts): p50 {np.median(times):.2f} ms, "
          f"p99 {np.percentile(times, 99):.2f} ms (of which clean+segment p50 {np.median(tokens_t):.2f} ms)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-news", action="store_true")
    args = ap.parse_args()
    p = TextPipeline(ROOT / "corpora")
    messages(p)
    if not args.skip_news:
        news_titles(p)
    routing_latency()


if __name__ == "__main__":
    main()
