"""Adoption and implementation rates by topic, department, channel, issue cluster or period, with the ids
behind every figure so a reader can check any number against the items.

Definitions (each item counted once, from its status history):

- outcome: the last of ``adopted``, ``partly_adopted``, ``reference`` (留作参考), ``not_adopted`` in the history;
- decided = items with an outcome; adopted + partly_adopted + reference + not_adopted = decided;
- adoption rate = (adopted + partly_adopted) / decided;
- implementation rate = implemented / (adopted + partly_adopted), where implemented counts only adopted or
  partly adopted items that have an ``implemented`` event (an ``implemented`` after any other outcome is
  inconsistent data and is not counted);
- open = items with no outcome that are not merged: still received, assigned or replied;
- merged = items merged into another (并案) with no outcome of their own; decided + open + merged = n.

A rate whose denominator is zero is None, not 0: "nothing decided yet" is not "nothing adopted".
Items are filtered by submission date (``since``/``until``, inclusive); an undated item is left out of any
filtered figure because nobody can say whether it falls inside.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nlp_service.domain.records import OUTCOMES
from nlp_service.errors import BadInputError
from nlp_service.storage.models import Suggestion
from nlp_service.storage.query import in_period

GROUPINGS = ("topic", "department", "channel", "cluster", "period")
PERIODS = ("year", "quarter", "month")
ADOPTED = ("adopted", "partly_adopted")
STATES = (*OUTCOMES, "open", "merged")  # every item is in exactly one of these
UNKNOWN = "unknown"
DEFINITIONS = {
    "decided": "items with an outcome: adopted, partly_adopted, reference or not_adopted",
    "adoption_rate": "(adopted + partly_adopted) / decided",
    "implementation_rate": "implemented / (adopted + partly_adopted)",
    "open": "no outcome yet and not merged (received, assigned or replied)",
    "merged": "merged into another item without an outcome of its own",
    "period": "by submission date",
}


@dataclass(frozen=True)
class ItemOutcome:
    """What the statistics need of one suggestion."""

    id: int
    topic: str | None
    department: str | None
    channel: str | None
    submitted: date | None
    outcome: str | None
    implemented: bool
    merged: bool

    @property
    def state(self) -> str:
        return self.outcome or ("merged" if self.merged else "open")


def outcome_of(row: Suggestion) -> ItemOutcome:
    statuses = [e.status for e in row.events] or [row.status]
    outcome = next((s for s in reversed(statuses) if s in OUTCOMES), None)
    implemented = outcome in ADOPTED and "implemented" in statuses
    merged = row.merged_into is not None or row.status == "merged"
    return ItemOutcome(row.id, row.topic, row.department, row.channel, row.submitted, outcome, implemented,
                       merged)


def item_outcomes(session: Session, since: date | None = None, until: date | None = None) -> list[ItemOutcome]:
    stmt = in_period(select(Suggestion).options(selectinload(Suggestion.events)).order_by(Suggestion.id),
                     Suggestion.submitted, since, until)
    return [outcome_of(row) for row in session.scalars(stmt)]


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def figures(items: Iterable[ItemOutcome]) -> dict[str, Any]:
    """Counts, rates and the ids behind each count, for one group of items."""
    ids: dict[str, list[int]] = {s: [] for s in STATES}
    implemented: list[int] = []
    for item in items:
        ids[item.state].append(item.id)
        if item.implemented:
            implemented.append(item.id)
    decided = sorted(i for s in OUTCOMES for i in ids[s])
    adopted = len(ids["adopted"]) + len(ids["partly_adopted"])
    out: dict[str, Any] = {"n": sum(len(v) for v in ids.values()), "decided": len(decided)}
    out.update({s: len(ids[s]) for s in STATES})
    out["implemented"] = len(implemented)
    out["adoption_rate"] = _rate(adopted, len(decided))
    out["implementation_rate"] = _rate(len(implemented), adopted)
    out["ids"] = {**{s: sorted(v) for s, v in ids.items()}, "decided": decided, "implemented": sorted(implemented)}
    return out


def period_key(day: date | None, period: str) -> str:
    """"2021", "2021-Q2" or "2021-04": strings that sort in time order."""
    if day is None:
        return UNKNOWN
    if period == "year":
        return f"{day.year}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def _key_function(by: str, period: str | None, clusters: Mapping[int, int] | None
                  ) -> Callable[[ItemOutcome], str]:
    if by == "period":
        p = period or "year"
        return lambda it: period_key(it.submitted, p)
    if by == "cluster":
        if clusters is None:
            raise BadInputError("grouping by cluster needs the cluster of each item")
        return lambda it: str(clusters[it.id]) if it.id in clusters else "unassigned"
    return lambda it: getattr(it, by) or UNKNOWN


def _buckets(items: Iterable[ItemOutcome], key: Callable[[ItemOutcome], str], chronological: bool
             ) -> dict[str, list[ItemOutcome]]:
    groups: dict[str, list[ItemOutcome]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    # periods in time order; other groupings biggest first, which is what a reader looks for
    order = sorted(groups) if chronological else sorted(groups, key=lambda k: (-len(groups[k]), k))
    return {k: groups[k] for k in order}


def group_figures(items: Iterable[ItemOutcome], key: Callable[[ItemOutcome], str], chronological: bool = False
                  ) -> dict[str, dict[str, Any]]:
    return {k: figures(v) for k, v in _buckets(items, key, chronological).items()}


def check_grouping(by: str, period: str | None) -> None:
    if by not in GROUPINGS:
        raise BadInputError(f"cannot group by {by!r}; one of {', '.join(GROUPINGS)}")
    if period is not None and period not in PERIODS:
        raise BadInputError(f"unknown period {period!r}; one of {', '.join(PERIODS)}")


def adoption_stats(session: Session, by: str, period: str | None = None, since: date | None = None,
                   until: date | None = None, clusters: Mapping[int, int] | None = None) -> dict[str, Any]:
    """Figures per value of ``by``; with ``period`` and another ``by``, each group is also split by period.

    ``clusters`` maps suggestion id -> cluster id (needed for ``by="cluster"``).
    """
    check_grouping(by, period)
    items = item_outcomes(session, since, until)
    split = _key_function("period", period, None) if period is not None and by != "period" else None
    groups = {}
    for name, members in _buckets(items, _key_function(by, period, clusters), by == "period").items():
        groups[name] = figures(members)
        if split is not None:
            groups[name]["periods"] = group_figures(members, split, chronological=True)
    return {"by": by, "period": (period or "year") if by == "period" else period,
            "since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
            "definitions": DEFINITIONS, "total": figures(items), "groups": groups}
