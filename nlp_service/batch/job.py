"""Run a batch job: plan the partitions, skip the ones already written, send the rest to the cluster, report
each part as it lands. Without a scheduler address, a LocalCluster on this machine (one thread per worker
process, so each worker's ONNX Runtime runs single-threaded and workers do not fight over cores)."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp_service.batch.models import BatchModels, check_model_dirs, worker_models
from nlp_service.batch.output import open_output, rows_written, write_part
from nlp_service.batch.source import Part, Source
from nlp_service.batch.work import embed_table, route_table


@dataclass(frozen=True)
class PartDone:
    index: int
    rows: int
    seconds: float
    worker: str


def process_part(plugin_name: str, part: Part, out: str) -> PartDone:
    """Runs on a worker: read the partition, apply the models the plugin loaded there, write the part."""
    from distributed import get_worker

    t0 = time.perf_counter()
    models = worker_models(plugin_name)
    ids, texts = part.load()
    table = embed_table(models, ids, texts) if models.kind == "embed" else route_table(models, ids, texts)
    write_part(Path(out), part.index, table)
    return PartDone(part.index, part.rows, time.perf_counter() - t0, get_worker().address)


def local_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def model_identity(plugin: BatchModels) -> dict[str, Any]:
    if plugin.kind == "embed":
        from nlp_service.embedding.encoder import fingerprint

        return fingerprint(plugin.embedding_dir)
    assert plugin.classifier_dir is not None
    manifest = json.loads((plugin.classifier_dir / "manifest.json").read_text(encoding="utf-8"))
    return {"path": str(plugin.classifier_dir.resolve()), "created": manifest.get("created")}


def run_job(source: Source, plugin: BatchModels, out: Path, text_columns: list[str], id_column: str,
            partition_rows: int, scheduler: str | None = None, workers: int | None = None,
            log: Callable[[str], None] = print) -> dict[str, Any]:
    """Write every partition's part under ``out``; parts a previous run wrote whole are kept as they are."""
    check_model_dirs(plugin.kind, plugin.embedding_dir, plugin.classifier_dir)
    job = {"kind": plugin.kind, "input": str(source.path.resolve()), "text": text_columns, "id": id_column,
           "partition_rows": partition_rows, "parts": [p.rows for p in source.parts],
           "model": model_identity(plugin)}
    open_output(out, job)
    todo = [p for p in source.parts if rows_written(out, p.index) != p.rows]
    skipped = len(source.parts) - len(todo)
    if skipped:
        log(f"resuming: {skipped} of {len(source.parts)} parts already written, {len(todo)} to do")
    t0 = time.perf_counter()
    done_rows = sum(p.rows for p in source.parts) - sum(p.rows for p in todo)
    per_worker: dict[str, list[float]] = {}
    if todo:
        with _client(scheduler, workers, log) as client:
            client.register_plugin(plugin)  # loads the models on every worker; a worker's error is raised here
            futures: list[Any] = []
            try:
                log(f"models loaded on {len(client.scheduler_info()['workers'])} workers")
                t1 = time.perf_counter()
                futures = [client.submit(process_part, plugin.name, p, str(out.resolve()), pure=False,
                                         key=f"nlp-batch-{plugin.kind}-part-{p.index:05d}-{os.urandom(4).hex()}")
                           for p in todo]
                from distributed import as_completed

                for n, fut in enumerate(as_completed(futures), start=1):
                    r: PartDone = fut.result()
                    done_rows += r.rows
                    per_worker.setdefault(r.worker, [0.0, 0.0])
                    per_worker[r.worker][0] += r.rows
                    per_worker[r.worker][1] += r.seconds
                    log(f"part {r.index:05d} written: {r.rows} rows in {r.seconds:.1f} s "
                        f"({r.rows / max(r.seconds, 1e-9):.0f} rows/s); {n}/{len(todo)} parts, "
                        f"{done_rows}/{source.rows} rows")
                compute = time.perf_counter() - t1
            finally:  # a shared cluster keeps no models once the job is over: memory stays bounded per job
                client.cancel(futures)  # after a failure, the parts not yet started (written ones stay)
                client.unregister_worker_plugin(plugin.name)
    else:
        compute = 0.0
    written = sum(p.rows for p in todo)
    return {"output": str(out), "kind": plugin.kind, "parts": len(source.parts), "written": len(todo),
            "skipped": skipped, "rows": source.rows, "rows_written": written,
            "seconds": round(time.perf_counter() - t0, 2), "compute_seconds": round(compute, 2),
            "rows_per_s": round(written / compute, 1) if compute else None,
            "worker_rows_per_s": {w: round(r / s, 1) for w, (r, s) in per_worker.items() if s}}


def _scheduler_has_dashboard(client: Any) -> bool:
    """The scheduler always serves HTTP (health, metrics); the dashboard pages need bokeh installed there."""
    if "dashboard" not in client.scheduler_info().get("services", {}):
        return False
    try:
        return bool(client.run_on_scheduler(lambda: importlib.util.find_spec("bokeh") is not None))
    except Exception:  # a scheduler that refuses to run code: the link may still work
        return True


class _client:
    """A Client on the given scheduler, or on a LocalCluster started (and closed) here."""

    def __init__(self, scheduler: str | None, workers: int | None, log: Callable[[str], None]) -> None:
        self.scheduler, self.workers, self.log = scheduler, workers, log
        self.cluster: Any = None
        self.client: Any = None

    def __enter__(self) -> Any:
        from distributed import Client, LocalCluster

        if self.scheduler:
            if self.workers:
                self.log("note: --workers applies to a LocalCluster only; the cluster has the workers it has")
            self.client = Client(self.scheduler)
            link = self.client.dashboard_link if _scheduler_has_dashboard(self.client) else None
        else:
            n = self.workers or local_workers()
            has_dashboard = importlib.util.find_spec("bokeh") is not None
            # Worker warnings (a failed task's traceback) stay quiet: the error itself reaches the caller.
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                        dashboard_address=":0" if has_dashboard else None,
                                        silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster)
            link = self.client.dashboard_link if has_dashboard else None
        where = self.scheduler or f"a LocalCluster of {len(self.client.scheduler_info()['workers'])} workers"
        if link:
            where += f"; dashboard {link}"
        else:
            where += "; no dashboard (bokeh is not installed)"
        self.log(f"cluster: {where}")
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
