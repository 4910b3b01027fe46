"""Service figures (KPIs) the standards set, computed from the store over a period.

This package is the one room for them: each KPI's definition (numerator, denominator, what is
excluded, target, source in the seeds), how it is computed, and the time series the supervisors'
dashboard draws. Reports (`python -m bot report ...`), the dashboard and the alerts all read
figures through here, never with queries of their own.

The shape every KPI is given in is `KpiResult` below: the report, the dashboard and the alerts
rely on it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, Dict

AT_LEAST = "at_least"
AT_MOST = "at_most"


@dataclass(frozen=True)
class Period:
    """Half-open [start, end) in naive UTC, as the store keeps time."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    @classmethod
    def of_days(cls, first: date, last: date) -> Period:
        """The local days `first` to `last`, both included (the settings' timezone)."""
        from bot.clock import from_local

        if last < first:
            raise ValueError(f"the period ends ({last}) before it starts ({first})")
        return cls(from_local(first), from_local(last + timedelta(days=1)))

    @classmethod
    def of_month(cls, year: int, month: int) -> Period:
        """One local calendar month."""
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls.of_days(first, following - timedelta(days=1))


@dataclass(frozen=True)
class KpiResult:
    """One figure beside its target. `value` is None when the period holds no case the KPI counts
    ("no data"; never shown as 0%). Shares are fractions 0..1; `unit` says how to show the value."""

    key: str                      # stable id, e.g. "small_claims_paid_24h"
    title_zh: str
    title_en: str
    value: float | None        # None: no data in the period
    unit: str                     # "share" | "hours" | "days" | "score" | "count"
    target: float | None       # None: reported, no target
    direction: str                # AT_LEAST or AT_MOST (how value compares to target)
    numerator: float | None
    denominator: float | None
    source: str                   # where the target comes from (seed document / DOMAIN.md section)
    line: str | None = None    # line of business the figure is for; None = all lines
    channel: str | None = None  # channel the figure is for; None = all channels
    note: str | None = None    # why there is no figure when it is not for lack of cases

    @property
    def met(self) -> bool | None:
        """True/False against the target; None with no data or no target."""
        if self.value is None or self.target is None:
            return None
        if self.direction == AT_MOST:
            return self.value <= self.target
        return self.value >= self.target

    def as_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["met"] = self.met
        return data


# The one entry point (imported last: compute reads Period and KpiResult from here).
from bot.kpis.compute import UnknownLine, compute  # noqa: E402

__all__ = ["AT_LEAST", "AT_MOST", "KpiResult", "Period", "UnknownLine", "compute"]
