"""Background jobs kept in memory: a thread per job, its stage and progress, and the file it made.

Long work (reports) must not hold an HTTP request open. State is in memory on purpose: a job lasts seconds to
minutes and its output is a file, so a restart loses only the jobs running at the time; callers start again.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from nlp_service.errors import NLPServiceError, NotFoundError

log = logging.getLogger(__name__)
Progress = Callable[[str, float], None]
MAX_JOBS = 200  # finished jobs beyond this are forgotten, oldest first, and their files deleted
MAX_RUNNING = 2  # more wait as "queued": reports are CPU- and memory-heavy


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


@dataclass
class Job:
    id: str
    kind: str
    owner: str
    params: dict[str, Any]
    status: str = "queued"  # queued | running | done | failed
    stage: str | None = None
    progress: float = 0.0
    error: str | None = None
    path: Path | None = None
    created: str = field(default_factory=_now)
    finished: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": self.id, "kind": self.kind, "status": self.status, "stage": self.stage,
                "progress": round(self.progress, 3), "error": self.error, "params": self.params,
                "owner": self.owner, "created": self.created, "finished": self.finished,
                "file": self.path.name if self.path and self.status == "done" else None}


class JobRegistry:
    def __init__(self, max_jobs: int = MAX_JOBS, max_running: int = MAX_RUNNING) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_running)
        self.max_jobs = max_jobs

    def start(self, kind: str, work: Callable[[Progress], Path], params: dict[str, Any], owner: str) -> Job:
        """Run ``work(progress)`` in a thread; it returns the path of the file it wrote."""
        job = Job(uuid.uuid4().hex, kind, owner, params)
        with self._lock:
            self._jobs[job.id] = job
            self._evict()
        threading.Thread(target=self._run, args=(job, work), name=f"job-{job.id[:8]}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"job {job_id} does not exist (jobs live in memory until the service restarts)")
        return job

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """For tests and scripts: block until the job has finished (or the timeout passed)."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        job = self.get(job_id)
        while job.status in ("queued", "running") and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.05)
        return job

    def _run(self, job: Job, work: Callable[[Progress], Path]) -> None:
        def progress(stage: str, fraction: float) -> None:
            job.stage, job.progress = stage, max(job.progress, min(fraction, 1.0))

        with self._slots:
            job.status = "running"
            try:
                job.path = work(progress)
                job.status, job.progress, job.stage = "done", 1.0, "done"
            except NLPServiceError as e:
                job.status, job.error = "failed", str(e)
            except Exception as e:  # a bug: keep the service up, tell the caller, log the trace
                log.exception("job %s failed", job.id)
                job.status, job.error = "failed", f"internal error: {type(e).__name__}: {e}"
            job.finished = _now()

    def _evict(self) -> None:
        done = [j for j in self._jobs.values() if j.status in ("done", "failed")]
        for job in done[: max(0, len(self._jobs) - self.max_jobs)]:
            del self._jobs[job.id]
            if job.path is not None:
                job.path.unlink(missing_ok=True)
