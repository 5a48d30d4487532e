"""How consistent are the corpus labels, and how close is the router to that ceiling?

A second annotator labelled 150 held-out corpus items blind (text, place and the taxonomy only; never the
corpus labels): ``corpora/agreement/second_annotation.jsonl``. This script compares, on those same items:
the corpus labels against the second annotation (the human agreement), and the installed routing model
against both. The routing model never saw these items (they are in the fixed held-out part).

A router cannot be reliably more right than two careful people agree; the share it can route at a joint
precision p is at most (its joint accuracy) / p even with a perfect confidence ranking.

Run: .venv/bin/python bench/bench_label_agreement.py   (needs `nlp-service setup` first)
"""

from __future__ import annotations

import json

from _common import ROOT

from nlp_service.domain.records import item_text
from nlp_service.routing.training import is_held_out
from nlp_service.service import Service


def load_corpus() -> dict[str, dict]:
    rows = {}
    for path in sorted((ROOT / "corpora" / "suggestions").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                rows[r["id"]] = r
    return rows


def agree(pairs: list[tuple[str, str]]) -> float:
    return sum(a == b for a, b in pairs) / len(pairs)


def main() -> None:
    corpus = load_corpus()
    second = [json.loads(line) for line in
              (ROOT / "corpora" / "agreement" / "second_annotation.jsonl").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    svc = Service()
    holdout = svc.settings.routing_model_dir / "manifest.json"
    share = json.loads(holdout.read_text())["training"]["config"]["holdout"]
    assert all(is_held_out(corpus[s["id"]].get("dup_group") or s["id"], share) for s in second), \
        "the annotated items must all be held out from routing training"
    routed = {s["id"]: svc.routing.route(item_text(corpus[s["id"]]["title"], corpus[s["id"]]["body"]))
              for s in second}
    gold = {s["id"]: (corpus[s["id"]]["topic"], corpus[s["id"]]["department"]) for s in second}
    other = {s["id"]: (s["topic"], s["department"]) for s in second}
    model = {i: (r["topic"]["id"], r["department"]["id"]) for i, r in routed.items()}
    n = len(second)
    print(f"{n} held-out items, labelled blind by a second annotator "
          f"({sum(s['confident'] for s in second)} marked confident)")
    print(f"{'':32}{'topic':>8}{'department':>12}{'both':>8}")
    for name, a, b in (("corpus labels vs second", gold, other), ("router vs corpus labels", model, gold),
                       ("router vs second annotation", model, other)):
        t = agree([(a[i][0], b[i][0]) for i in a])
        d = agree([(a[i][1], b[i][1]) for i in a])
        j = agree([(a[i], b[i]) for i in a])
        print(f"{name:<32}{t:>8.3f}{d:>12.3f}{j:>8.3f}")
    sure = [s["id"] for s in second if s["confident"]]
    print(f"on the {len(sure)} items the second annotator was sure of: corpus labels vs second, both right "
          f"{agree([(gold[i], other[i]) for i in sure]):.3f}; router vs corpus labels "
          f"{agree([(model[i], gold[i]) for i in sure]):.3f}")
    joint = agree([(model[i], gold[i]) for i in gold])
    print(f"upper bound on the share routable at joint precision 0.90 with a perfect ranking: "
          f"router {joint / 0.9:.2f}; a second person {agree([(other[i], gold[i]) for i in gold]) / 0.9:.2f}")


if __name__ == "__main__":
    main()
