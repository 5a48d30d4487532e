"""How long a batch report takes over 10,000 items, stage by stage.

Data: the embedded corpus (1,045 suggestions, 150 news) plus real messages from ../shared/data: all of
messages_with_likes_raw.csv (4,306, with likes), all of messages_with_replies_raw.csv (2,794, with replies and
reply dates) and the first rows of messages_unlabeled_raw.csv, up to 10,000 items. They are imported once into a
persistent data directory by the real ``Service()`` (e5-small embeddings cached in the database), so the first
run spends minutes embedding on a CPU and later runs time only the report. Unlabeled messages get the external
id prefix "unl-" because that file numbers its messages independently of the other two.

Prints: one-off costs (import + embedding, opening the indexes, the first clustering, which is stored), then
the time of each report stage, of each renderer, and in total.

Run: .venv/bin/python bench/bench_report.py [--data-dir DIR] [--items 10000] [--formats html xlsx json md]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from _common import ROOT, SHARED_DATA, need, read_csv
from sqlalchemy import func, select

from nlp_service.reports import FORMATS, render
from nlp_service.reports.data import build_report
from nlp_service.service import Service
from nlp_service.settings import Settings
from nlp_service.storage.models import IssueCluster, Suggestion

FILES = ("messages_with_likes_raw.csv", "messages_with_replies_raw.csv", "messages_unlabeled_raw.csv")


def count(svc: Service) -> int:
    with svc.db.session() as s:
        return s.scalar(select(func.count(Suggestion.id))) or 0


def load(svc: Service, target: int, tmp: Path) -> None:
    """Corpus first, then the real files in order until ``target`` items are stored."""
    t0 = time.perf_counter()
    svc.ops.setup(log=lambda m: print(f"  setup: {m}"))
    for name in FILES:
        room = target - count(svc)
        if room <= 0:
            break
        rows = read_csv(SHARED_DATA / name)[:room]
        if name == "messages_unlabeled_raw.csv":
            for r in rows:
                r["留言编号"] = f"unl-{r['留言编号']}"
        part = tmp / name
        with part.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        t1 = time.perf_counter()
        rep = svc.suggestions.import_file(part)
        print(f"  imported {rep['inserted']} new, {rep['updated']} updated from {name} "
              f"(with embeddings) in {time.perf_counter() - t1:.0f}s")
    print(f"one-off: loading and embedding took {time.perf_counter() - t0:.0f}s; {count(svc)} items stored")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=ROOT / "data" / "bench-report")
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--formats", nargs="+", default=list(FORMATS), choices=list(FORMATS))
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # the first run takes minutes: show each step as it ends
    for name in FILES:
        need(SHARED_DATA / name)

    svc = Service(Settings(data_dir=args.data_dir))
    if count(svc) < args.items:
        with TemporaryDirectory() as tmp:
            load(svc, args.items, Path(tmp))
    t0 = time.perf_counter()
    svc.indexes  # noqa: B018 - rebuilds FAISS and BM25 from the database, as a service start does
    print(f"one-off: opening the indexes (vectors from the database, BM25 tokens) took "
          f"{time.perf_counter() - t0:.1f}s")
    with svc.db.session() as s:
        first, last = s.execute(select(func.min(Suggestion.submitted), func.max(Suggestion.submitted))).one()
        stored = s.scalar(select(func.count(IssueCluster.id)))
    if not stored:
        t0 = time.perf_counter()
        k = len(svc.issues.clusters()["clusters"])
        print(f"one-off: first clustering ({k} clusters, stored for later reads) took "
              f"{time.perf_counter() - t0:.1f}s")

    stages: list[str] = []
    report = build_report(svc.db, svc.pipeline.taxonomy, svc.issues, first, last,
                          lambda stage, _f: stages.append(stage))
    n = report["volume"]["count"]
    print(f"\nreport over {n} items submitted {first} .. {last} "
          f"({report['clusters']['k']} clusters, {report['duplicates']['groups_count']} duplicate groups)")
    print(f"{'stage':<14}{'seconds':>9}")
    for stage, secs in report["timings"].items():
        if stage != "total":
            print(f"{stage:<14}{secs:>9.2f}")
    total = report["timings"]["total"]
    out = args.data_dir / "reports"
    for fmt in args.formats:
        t0 = time.perf_counter()
        path = render(report, fmt, out / f"bench{FORMATS[fmt]}")
        secs = time.perf_counter() - t0
        total += secs
        print(f"{'render ' + fmt:<14}{secs:>9.2f}   {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"{'total':<14}{total:>9.2f}   (data {report['timings']['total']:.2f}s + renderers)")
    print("\nhottest issues:")
    for c in report["clusters"]["clusters"][:5]:
        print(f"  #{c['id']:<4} heat {c['heat']:>8.2f}  size {c['size']:>4}  {c['label']}  "
              f"e.g. {c['representatives'][0]['title'][:40]}")


if __name__ == "__main__":
    main()
