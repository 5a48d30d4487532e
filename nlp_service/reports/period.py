"""The period a report covers, and the one before it that "emerging" compares against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from nlp_service.domain.records import parse_date
from nlp_service.errors import BadInputError


@dataclass(frozen=True)
class Period:
    """Inclusive on both ends, as staff say it: "from 1 March to 31 May"."""

    since: date
    until: date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> Period:
        """The period of the same length just before, so growth compares like with like.

        A period of whole calendar months (a month, a quarter, a year) is compared with the same number of
        whole months before it: 2024 with 2023, not with 31 Dec 2022 - 31 Dec 2023 because 2024 is a leap year.
        Any other period is compared with the same number of days before it.
        """
        if self.since.day == 1 and (self.until + timedelta(days=1)).day == 1:
            months = (self.until.year - self.since.year) * 12 + self.until.month - self.since.month + 1
            y, m = divmod(self.since.year * 12 + self.since.month - 1 - months, 12)
            return Period(date(y, m + 1, 1), self.since - timedelta(days=1))
        return Period(self.since - timedelta(days=self.days), self.since - timedelta(days=1))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.since <= day <= self.until

    def months(self) -> list[str]:
        """Every month the period touches, empty ones included, so a chart's gaps are real gaps."""
        out, y, m = [], self.since.year, self.since.month
        while (y, m) <= (self.until.year, self.until.month):
            out.append(f"{y}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(), "days": self.days}


def month_key(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def make_period(since: Any, until: Any) -> Period:
    """Both ends are required and must be in order; the message says which value is wrong and why."""
    try:
        start, end = parse_date(since), parse_date(until)
    except ValueError as e:
        raise BadInputError(f"bad report date: {e}; use YYYY-MM-DD") from None
    if start is None or end is None:
        missing = " and ".join(n for n, v in (("since", start), ("until", end)) if v is None)
        raise BadInputError(f"a report needs a period: {missing} missing (YYYY-MM-DD)")
    if start > end:
        raise BadInputError(f"the report period is empty: since {start} is after until {end}")
    if end.year - start.year > 100:
        raise BadInputError(f"the report period {start} to {end} is longer than 100 years; check the dates")
    return Period(start, end)
