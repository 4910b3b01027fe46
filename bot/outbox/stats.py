"""How well notices arrive: the share of notices delivered, per channel and kind, and how long
delivery took (median and P90), against the seeds' target of 90% for proactive status notices
(DOMAIN.md: "proactive notice rate ≥ 90%"; seed 002: key nodes are told to the customer).

The one place these figures are computed: `python -m bot notices stats` prints them, and the
KPI room (bot/kpis) takes `proactive_notice_kpi` as its figure.

Definitions:
- A notice counts in the period it was queued (created_at in [start, end)). On the command
  line --from and --to are local dates (both days included, as `report kpis`) or local
  date/times (--to then is the moment the period ends).
- Delivered: status "sent" (pushed by a sender, or shown by the web chat page and
  acknowledged), whichever channel carried it; `by_sms` of them fell back to SMS.
- The share is delivered / queued; a notice still pending counts as not (yet) delivered.
- Delivery time: sent_at - created_at of the delivered ones. The median of an even count is
  the mean of the two middle values; P90 is the nearest-rank 90th percentile (the value at
  rank ceil(0.9 n) in ascending order).
- Proactive status notices: the kinds a stage change sends (bot.outbox.notices.STAGE_NOTICES).
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from bot.clock import as_utc_naive, from_local, parse_now, to_local
from bot.store.db import unit_of_work

PROACTIVE_TARGET = 0.90
TARGET_SOURCE = "DOMAIN.md KPIs (seed: proactive status notices ≥ 90%); seed 002 key nodes"
ALL = "*"


def proactive_kinds() -> frozenset[str]:
    from bot.outbox.notices import STAGE_NOTICES

    return frozenset(STAGE_NOTICES.values())


@dataclass(frozen=True)
class DeliveryFigures:
    """One row: a channel and kind ("*" for all of them)."""

    channel: str
    kind: str
    queued: int
    delivered: int
    failed: int
    pending: int
    by_sms: int  # of the delivered, how many fell back to SMS
    share: float | None  # delivered / queued; None with nothing queued
    median_seconds: float | None
    p90_seconds: float | None

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DeliveryStats:
    start: datetime
    end: datetime
    rows: Tuple[DeliveryFigures, ...]  # per (channel, kind), sorted
    total: DeliveryFigures  # every notice
    proactive: DeliveryFigures  # the proactive status notices, against the target
    target: float = PROACTIVE_TARGET

    @property
    def met(self) -> bool | None:
        share = self.proactive.share
        return None if share is None else share >= self.target

    def as_dict(self) -> Dict[str, Any]:
        # Local time with its offset, as the text report prints it; UTC alongside.
        return {"start": to_local(self.start).isoformat(), "end": to_local(self.end).isoformat(),
                "start_utc": as_utc_naive(self.start).isoformat() + "Z",
                "end_utc": as_utc_naive(self.end).isoformat() + "Z",
                "target": self.target, "met": self.met,
                "proactive": self.proactive.as_dict(), "total": self.total.as_dict(),
                "rows": [row.as_dict() for row in self.rows]}


@dataclass(frozen=True)
class _Row:
    channel: str
    kind: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    fell_back: bool


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile: the value at rank ceil(fraction * n), ascending."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def figures(rows: Iterable[_Row], channel: str = ALL, kind: str = ALL) -> DeliveryFigures:
    rows = list(rows)
    delivered = [row for row in rows if row.status == "sent"]
    seconds = [(row.sent_at - row.created_at).total_seconds() for row in delivered
               if row.sent_at is not None]
    return DeliveryFigures(
        channel=channel, kind=kind, queued=len(rows), delivered=len(delivered),
        failed=sum(row.status == "failed" for row in rows),
        pending=sum(row.status == "pending" for row in rows),
        by_sms=sum(row.fell_back for row in delivered),
        share=len(delivered) / len(rows) if rows else None,
        median_seconds=statistics.median(seconds) if seconds else None,
        p90_seconds=percentile(seconds, 0.9),
    )


def delivery_stats(start: datetime, end: datetime, *, url: str | None = None) -> DeliveryStats:
    """The delivery figures of the notices queued in [start, end) (naive UTC or aware)."""
    start, end = as_utc_naive(start), as_utc_naive(end)
    if end <= start:
        raise ValueError("the period must end after it starts")
    with unit_of_work(url) as uow:
        rows = [_Row(row.channel or "-", row.kind, row.status, row.created_at, row.sent_at,
                     row.fallback_reason is not None)
                for row in uow.notifications.in_period(start, end)]
    groups: Dict[Tuple[str, str], List[_Row]] = defaultdict(list)
    for row in rows:
        groups[(row.channel, row.kind)].append(row)
    kinds = proactive_kinds()
    return DeliveryStats(
        start=start, end=end,
        rows=tuple(figures(group, channel, kind)
                   for (channel, kind), group in sorted(groups.items())),
        total=figures(rows),
        proactive=figures([row for row in rows if row.kind in kinds], ALL, "proactive"),
    )


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # beyond: no store holds it


def _moment(text: str, option: str, *, day_end: bool) -> datetime:
    """One bound: an ISO date or date/time, local time. A date alone is that day's start, or
    with `day_end` the next local midnight (the day is included). ValueError naming `option`."""
    try:
        if "T" not in text and " " not in text.strip():
            day = date.fromisoformat(text)
            if not EARLIEST <= day <= LATEST:
                raise OverflowError
            return from_local(day + timedelta(days=1) if day_end else day)
        moment = parse_now(text)
        if not EARLIEST <= moment.date() <= LATEST:
            raise OverflowError
        return moment
    except OverflowError:
        raise ValueError(f"{option}: {text} is out of range "
                         f"({EARLIEST} to {LATEST})") from None
    except ValueError:
        raise ValueError(f"{option}: not an ISO date or date/time (YYYY-MM-DD or "
                         f"YYYY-MM-DDTHH:MM): {text}") from None


def period_from_text(first: str | None, last: str | None, *, days: float,
                     now: datetime) -> Tuple[datetime, datetime]:
    """The [start, end) of `notices stats --from --to --days` in naive UTC. --to as a date
    includes that day, as `report kpis --to` does (--from D --to D is day D); with a time it
    is that moment. Without --to: `now`; without --from: `days` before the end. ValueError
    with the option named for anything else."""
    end = _moment(last, "--to", day_end=True) if last else now
    if first:
        start = _moment(first, "--from", day_end=False)
    else:
        try:
            start = end - timedelta(days=days)
        except OverflowError:
            raise ValueError(f"--days: {days:g} is too many") from None
        if days <= 0:
            raise ValueError(f"--days: must be more than 0, not {days:g}")
    if end <= start:
        raise ValueError(f"the period ends ({to_local(end):%Y-%m-%d %H:%M}) before it starts "
                         f"({to_local(start):%Y-%m-%d %H:%M}): --to must be after --from")
    return start, end


def proactive_notice_kpi(start: datetime, end: datetime, *, url: str | None = None) -> Any:
    """The proactive-notice figure in the KPI room's shape (bot.kpis.KpiResult)."""
    from bot.kpis import AT_LEAST, KpiResult

    stats = delivery_stats(start, end, url=url)
    proactive = stats.proactive
    return KpiResult(
        key="proactive_notices_delivered", title_zh="主动通知送达率",
        title_en="Proactive status notices delivered", value=proactive.share, unit="share",
        target=PROACTIVE_TARGET, direction=AT_LEAST, numerator=float(proactive.delivered),
        denominator=float(proactive.queued), source=TARGET_SOURCE)
