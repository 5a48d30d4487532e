"""`nlp-service batch` throughput: the single-process path, then 1 and 2 local Dask workers, on the same real
messages in one run; plus each worker's memory once its models are loaded, and what 10 million records
would take at the measured per-worker rate.

Data: the first rows of ../shared/data/messages_unlabeled_raw.csv (title + body, long messages: most reach
e5's 512-token limit). The single-process path is what `embed` and `predict` do (one process, ONNX Runtime on
every core); a worker runs one thread. Rates count the work only (first part sent to last part written);
cluster start-up and model loading are printed apart, since a long job pays them once.

    .venv/bin/python bench/bench_batch.py                          # ~3 min on 2 cores
    .venv/bin/python bench/bench_batch.py --embed-rows 60 --route-rows 500
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

from _common import ROOT, SHARED_DATA, need

from nlp_service.batch.job import run_job
from nlp_service.batch.models import BatchModels
from nlp_service.batch.source import plan_input

DATA = SHARED_DATA / "messages_unlabeled_raw.csv"
CORPORA = ROOT / "corpora"
MODEL_DIR = ROOT / "models" / "embedding" / "e5-small"
TEXT, ID = ["留言主题", "留言详情"], "留言编号"
TEN_MILLION = 10_000_000


def write_rows(src: Path, dst: Path, n: int) -> int:
    """The first ``n`` rows with every column, as the file has them."""
    with src.open(encoding="utf-8-sig", newline="") as f, dst.open("w", encoding="utf-8", newline="") as g:
        reader = csv.DictReader(f)
        w = csv.DictWriter(g, fieldnames=reader.fieldnames or [])
        w.writeheader()
        count = 0
        for row in reader:
            if count == n:
                break
            w.writerow(row)
            count += 1
    return count


def train_classifier(out: Path) -> Path:
    """A topic classifier on the embedded corpus, packaged as `train` does (its labels do not matter here)."""
    from nlp_service.classify.training import TrainConfig, corpus_checksum, package, train_classifier
    from nlp_service.storage.corpus import load_suggestions
    from nlp_service.text.pipeline import TextPipeline

    seg = TextPipeline(CORPORA).segmenter
    items = load_suggestions(CORPORA)
    docs, labels = [seg.tokens(s.text) for s in items], [s.topic for s in items]
    config = TrainConfig(cv=3)
    model, metrics = train_classifier(docs, labels, config)
    package(model, metrics, out, config, name="topic", source="corpus",
            checksum=corpus_checksum([" ".join(d) for d in docs], labels), n=len(docs))
    return out


def single_process(kind: str, path: Path, classifier: Path | None) -> tuple[float, float]:
    """(load seconds, work seconds) of the in-process path, as the `embed` / `predict` commands run it."""
    from nlp_service.io.tabular import joined_text, read_rows
    from nlp_service.text.pipeline import TextPipeline

    t0 = time.perf_counter()
    pipeline = TextPipeline(CORPORA)
    if kind == "embed":
        from nlp_service.embedding.encoder import Encoder

        encoder = Encoder(MODEL_DIR, cache_size=0)
        encoder.encode(["预热"])
        t1 = time.perf_counter()
        texts = [joined_text(r, TEXT) for r in read_rows(path)]
        encoder.encode([pipeline.for_embedding(t) for t in texts])
    else:
        from nlp_service.classify.predict import LoadedClassifier, predict_file

        assert classifier is not None
        clf = LoadedClassifier(classifier)
        clf.predict_tokens([pipeline.segmenter.tokens("预热")])
        t1 = time.perf_counter()
        for _ in predict_file(clf, pipeline.segmenter, path, TEXT):
            pass
    return t1 - t0, time.perf_counter() - t1


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def on_cluster(kind: str, path: Path, classifier: Path | None, workers: int, partition_rows: int,
               out: Path) -> dict:
    from distributed import Client, LocalCluster

    plugin = BatchModels(kind, CORPORA, MODEL_DIR, classifier)
    source = plan_input(path, TEXT, ID, partition_rows)
    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        started = time.perf_counter() - t0
        bare = max(client.run(rss_mb).values())
        loaded, loaded_s = None, None
        if workers == 1:  # a worker's memory with the models loaded (a job unregisters them when it ends)
            t1 = time.perf_counter()
            client.register_plugin(plugin)
            loaded_s = time.perf_counter() - t1
            loaded = max(client.run(rss_mb).values())
            client.unregister_worker_plugin(plugin.name)
        summary = run_job(source, plugin, out, TEXT, ID, partition_rows, scheduler=cluster.scheduler_address,
                          log=lambda _m: None)
        after = max(client.run(rss_mb).values())
    per_worker = list(summary["worker_rows_per_s"].values())
    return {"rows": summary["rows"], "parts": summary["parts"], "start_s": started, "load_s": loaded_s,
            "work_s": summary["compute_seconds"], "rows_per_s": summary["rows_per_s"],
            "worker_rows_per_s": sum(per_worker) / len(per_worker), "bare_mb": bare, "loaded_mb": loaded,
            "after_mb": after}


def _num(v: float | None, width: int, digits: int) -> str:
    return f"{'-':>{width}}" if v is None else f"{v:{width}.{digits}f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--embed-rows", type=int, default=120, help="rows embedded (long messages)")
    ap.add_argument("--route-rows", type=int, default=2000, help="rows routed")
    ap.add_argument("--embed-partition", type=int, default=40)
    ap.add_argument("--route-partition", type=int, default=400)
    args = ap.parse_args()
    need(DATA)
    need(MODEL_DIR / "manifest.json")
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        classifier = train_classifier(tmpd / "topic")
        print(f"data: {DATA.name}, title + body; workers run 1 thread each; the single process uses every core; "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
        print(f"{'kind':6} {'path':16} {'rows':>5} {'start s':>8} {'load s':>7} {'work s':>7} {'rows/s':>7} "
              f"{'per worker':>10} {'RSS MB: bare':>13} {'loaded':>7} {'after':>6}")
        rates: dict[str, float] = {}
        for kind, n, part in (("embed", args.embed_rows, args.embed_partition),
                              ("route", args.route_rows, args.route_partition)):
            path = tmpd / f"{kind}.csv"
            n = write_rows(DATA, path, n)
            clf = classifier if kind == "route" else None
            load, work = single_process(kind, path, clf)
            print(f"{kind:6} {'single process':16} {n:5d} {'-':>8} {load:7.1f} {work:7.1f} {n / work:7.1f} "
                  f"{'-':>10} {'-':>13} {'-':>7} {'-':>6}")
            for workers in (1, 2):
                r = on_cluster(kind, path, clf, workers, part, tmpd / f"{kind}-out-{workers}")
                print(f"{kind:6} {f'{workers} worker' + ('s' if workers > 1 else ''):16} {r['rows']:5d} "
                      f"{r['start_s']:8.1f} {_num(r['load_s'], 7, 1)} {r['work_s']:7.1f} {r['rows_per_s']:7.1f} "
                      f"{r['worker_rows_per_s']:10.1f} {r['bare_mb']:13.0f} {_num(r['loaded_mb'], 7, 0)} "
                      f"{r['after_mb']:6.0f}")
                if workers == 1:
                    rates[kind] = r["worker_rows_per_s"]
        print(f"load average {os.getloadavg()[0]:.1f} at the end (above ~0.5, another process shared the cores)")
        print("\n10 million records at the measured per-worker rates (one core each, as measured here):")
        for kind, rate in rates.items():
            hours = TEN_MILLION / rate / 3600
            print(f"  {kind}: {rate:.1f} rows/s per worker -> {hours:,.0f} worker-hours; "
                  f"on 100 workers {hours / 100:.1f} h, on 400 workers {hours / 400:.1f} h")


if __name__ == "__main__":
    main()
