"""Report jobs for the API: check the request at once (a bad period is an error now, not a failed job later),
then build and render in the background into the data directory."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlp_service.access.roles import SYSTEM, Principal
from nlp_service.errors import JobNotReadyError, NotFoundError
from nlp_service.reports import FORMATS, MEDIA_TYPES, preflight
from nlp_service.reports.period import make_period
from nlp_service.services.jobs import JobRegistry

if TYPE_CHECKING:
    from nlp_service.service import Service

KIND = "report"


class ReportJobs:
    def __init__(self, svc: Service, registry: JobRegistry | None = None) -> None:
        self.svc = svc
        self.registry = registry or JobRegistry()
        self.out_dir = svc.settings.data_dir / "reports"

    def start(self, since: Any, until: Any, fmt: str, who: Principal = SYSTEM) -> dict[str, Any]:
        period, fmt = make_period(since, until), preflight(fmt)
        path = self.out_dir / f"report_{period.since}_{period.until}_{uuid.uuid4().hex[:8]}{FORMATS[fmt]}"
        params = {**period.to_dict(), "format": fmt}
        job = self.registry.start(KIND, lambda progress: self.svc.report(period.since, period.until, fmt, path,
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
