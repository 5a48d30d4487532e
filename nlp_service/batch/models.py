"""The models a batch worker needs, loaded once per worker by a Dask worker plugin.

The plugin carries only paths; each worker loads from them in ``setup`` (off the event loop), with ONNX Runtime,
torch and the BLAS pools limited to the worker's own threads. Tasks fetch the loaded models on the worker
(``worker_models``): sessions never travel, and pickling the plugin drops whatever it has loaded.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin, get_worker

from nlp_service.errors import ArtifactError, ModelNotReadyError

PLUGIN_PREFIX = "nlp-service-batch"
KINDS = ("embed", "route")


@dataclass
class Loaded:
    kind: str
    pipeline: Any  # TextPipeline: cleaning (and, for route, the segmenter)
    encoder: Any = None  # embed: the fast Encoder
    classifier: Any = None  # route: a LoadedClassifier, as `predict` loads it


def check_model_dirs(kind: str, embedding_dir: Path, classifier_dir: Path | None) -> None:
    """Refuse on the client, before a cluster starts, what every worker would refuse."""
    if kind not in KINDS:
        raise ValueError(f"unknown batch kind {kind!r}")
    if kind == "embed" and not (embedding_dir / "manifest.json").is_file():
        raise ModelNotReadyError(f"no embedding model at {embedding_dir}; run `nlp-service setup` to build it")
    if kind == "route":
        if classifier_dir is None:
            raise ArtifactError("batch route needs --model DIR (an artifact from `nlp-service train`)")
        if not (classifier_dir / "manifest.json").is_file():
            raise ArtifactError(f"{classifier_dir}: no model artifact there (no manifest.json)")


class BatchModels(WorkerPlugin):
    """Loads the ``kind``'s models on each worker that joins, once. Each job registers its own (two jobs sharing
    a cluster each load theirs, and each removes only its own when it ends)."""

    def __init__(self, kind: str, corpora_dir: Path, embedding_dir: Path, classifier_dir: Path | None = None,
                 max_chars: int = 200_000) -> None:
        self.kind = kind
        self.corpora_dir, self.embedding_dir, self.classifier_dir = corpora_dir, embedding_dir, classifier_dir
        self.max_chars = max_chars
        self.loaded: Loaded | None = None
        self.threads = 1
        # One name per job: a job that ends unregisters its own copy, never one another job's tasks still use.
        self.name = f"{PLUGIN_PREFIX}-{kind}-{uuid.uuid4().hex[:12]}"

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "loaded"} | {"loaded": None}

    async def setup(self, worker: Any) -> None:
        self.threads = max(1, int(worker.state.nthreads))
        loop = asyncio.get_running_loop()
        self.loaded = await loop.run_in_executor(None, self.load)

    def teardown(self, worker: Any) -> None:
        self.loaded = None

    def load(self) -> Loaded:
        limit_threads(self.threads)
        import pyarrow.parquet  # noqa: F401 - imported now, not inside the first task

        from nlp_service.text.pipeline import TextPipeline

        pipeline = TextPipeline(self.corpora_dir, self.max_chars)
        if self.kind == "embed":
            from nlp_service.embedding.encoder import Encoder

            # No cache: a batch job sees each text once, and 50,000 cached rows would cost ~80 MB per worker.
            return Loaded("embed", pipeline, encoder=Encoder(self.embedding_dir, cache_size=0,
                                                             threads=self.threads))
        from nlp_service.classify.predict import LoadedClassifier

        assert self.classifier_dir is not None
        clf = LoadedClassifier(self.classifier_dir)
        clf.predict_tokens([pipeline.segmenter.tokens("预热")])  # load dictionaries now, not in a task
        return Loaded("route", pipeline, classifier=clf)


def limit_threads(n: int) -> None:
    """ONNX Runtime gets ``n`` through the Encoder; here torch (if something loaded it) and the BLAS pools."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n)


def worker_models(name: str) -> Loaded:
    """The models the plugin ``name`` loaded on the worker running the current task."""
    plugin = get_worker().plugins.get(name)
    if not isinstance(plugin, BatchModels) or plugin.loaded is None:
        raise ModelNotReadyError("this Dask worker has no batch models loaded (the plugin is not registered)")
    return plugin.loaded
