"""Reports: build one for a period and render it (CLI), or run it as a background job (API) whose request is
checked at once (a bad period is an error now, not a failed job later)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nlp_service.access.roles import SYSTEM, Principal
from nlp_service.domain.taxonomy import Taxonomy
from nlp_service.errors import JobNotReadyError, NotFoundError
from nlp_service.reports import FORMATS, MEDIA_TYPES, preflight, render
from nlp_service.reports.data import IssueSource, build_report
from nlp_service.reports.period import make_period
from nlp_service.services.jobs import JobRegistry
from nlp_service.storage.db import Database

KIND = "report"


class ReportService:
    def __init__(self, db: Database, taxonomy: Callable[[], Taxonomy], issues: IssueSource, out_dir: Path,
                 registry: JobRegistry | None = None) -> None:
        self.db, self.taxonomy, self.issues, self.out_dir = db, taxonomy, issues, out_dir
        self.registry = registry or JobRegistry()

    def build(self, since: Any, until: Any, fmt: str, out_path: Path,
              progress: Callable[[str, float], None] | None = None) -> Path:
        """Build the report for [since, until] and write it as html, xlsx, json or md; returns the path."""
        preflight(fmt)
        tell = progress or (lambda _s, _f: None)
        report = build_report(self.db, self.taxonomy(), self.issues, since, until,
                              lambda stage, f: tell(stage, 0.9 * f))
        tell("render", 0.9)
        path = render(report, fmt, Path(out_path))
        tell("done", 1.0)
        return path

    def start(self, since: Any, until: Any, fmt: str, who: Principal = SYSTEM) -> dict[str, Any]:
        period, fmt = make_period(since, until), preflight(fmt)
        path = self.out_dir / f"report_{period.since}_{period.until}_{uuid.uuid4().hex[:8]}{FORMATS[fmt]}"
        params = {**period.to_dict(), "format": fmt}
        job = self.registry.start(KIND, lambda progress: self.build(period.since, period.until, fmt, path,
                                                                    progress), params, who.name)
        return {"job_id": job.id}

    def status(self, job_id: str) -> dict[str, Any]:
        job = self.registry.get(job_id)
        if job.kind != KIND:
            raise NotFoundError(f"report job {job_id} does not exist")
        return job.to_dict()

    def file(self, job_id: str) -> tuple[Path, str]:
        """The finished file and its media type."""
        info = self.status(job_id)
        job = self.registry.get(job_id)
        if info["status"] != "done" or job.path is None:
            why = f": {job.error}" if job.error else f" yet (status {job.status}, stage {job.stage})"
            raise JobNotReadyError(f"report job {job_id} has no file{why}")
        if not job.path.is_file():
            raise NotFoundError(f"the file of report job {job_id} is gone from {self.out_dir}")
        return job.path, MEDIA_TYPES[info["params"]["format"]]
