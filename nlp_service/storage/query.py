"""Query pieces every listing shares."""

from __future__ import annotations

from datetime import date
from typing import Any


def in_period(stmt: Any, column: Any, since: date | None = None, until: date | None = None) -> Any:
    """Rows whose ``column`` falls in [since, until]; an open end is unbounded. Undated rows fall outside any
    bounded period."""
    if since is not None:
        stmt = stmt.where(column >= since)
    if until is not None:
        stmt = stmt.where(column <= until)
    return stmt
