"""Deadline clocks of a claim view (DOMAIN.md's deadlines table) on the Chinese working-day
calendar.

Every rule that applies to a claim becomes a `Clock`; the worst open clock gives the claim its
traffic light. The rule figures live in deadlines.yml beside this module.

What starts and stops each clock (all times naive UTC, as the store keeps them):

| clock           | starts                          | met when                               |
|-----------------|---------------------------------|----------------------------------------|
| acknowledge     | reported_at                     | the claim first leaves "reported"      |
| settlement      | documents_completed_at (a small | paid (paid_at, or payment -> closed),  |
|                 | claim: or the documents-later   |                                        |
|                 | promise, whichever is first)    |                                        |
|                 |                                 | or denied                              |
| decision        | documents_completed_at          | the move into "payment" or "denied"    |
| payment         | the move into "payment"         | paid                                   |
| refusal_notice  | the move into "denied"          | the denial notice was sent (outbox)    |
| advance_payment | documents_completed_at          | only shown while no amount is fixed    |

Settlement bands: small (<= 5,000 CNY) 24 h / red 48 h; large (>= 50,000) 7 / red 14 working
days; the middle band and a claim with no amount yet use the large claim's working-day promise,
because the 24-hour fast track is the small-claim exception, not the rule. The amount is the
approved one, or the estimate while none is approved.

Settlement clocks turn yellow when their promise passes and red at the report-upward line;
legal clocks turn yellow `warn_days` before they fall due and "overdue" (a red light) after.
A withdrawn claim stops every clock that was still running.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import chinese_calendar
import yaml

from bot.claims.model import ClaimStage, ClaimView
from bot.clock import as_utc_naive, to_local
from bot.replies import say, when_text

RULES_FILE = Path(__file__).with_name("deadlines.yml")


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    with RULES_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# --- working days ------------------------------------------------------------------------------

@lru_cache(maxsize=8192)  # chinese_calendar scans its tables per call; reports ask per claim
def is_working_day(day: date) -> bool:
    """True on a Chinese working day: public holidays are off, adjusted weekends are worked.

    The `chinese-calendar` package knows the State Council's schedule for 2004-2026. Outside
    that range (the schedule for a year is published each November) this falls back to
    Monday-Friday, which misses that year's holidays and adjusted weekends.
    """
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def calendar_covers(day: date) -> bool:
    """True when the holiday calendar knows `day`'s year (no Monday-Friday fallback)."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def add_working_days(start: datetime, days: int) -> datetime:
    """The same local wall-clock time on the `days`-th working day after `start`'s local date.

    `start` is naive UTC (or aware); so is the result. Starting on a holiday or weekend counts
    from the next working day, so 1 working day after a Saturday is Monday (or an adjusted
    working Sunday) at the same time.
    """
    local = to_local(as_utc_naive(start))
    day, counted = local.date(), 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return as_utc_naive(datetime.combine(day, local.timetz()))


# --- limitation period -------------------------------------------------------------------------

def limitation_years(line_of_business: str) -> int:
    """Years to make a claim (Insurance Law Art. 26): 5 for life insurance, 2 for the rest."""
    spec = rules()["limitation"]
    return spec["life_years"] if line_of_business in spec["life_lines"] else spec["other_years"]


def limitation_ends(incident_date: date | datetime, line_of_business: str) -> date:
    """The last day to claim: the same calendar day `limitation_years` later (Civil Code
    Art. 202; 29 February ends on 28 February). The period runs from when the claimant knew of
    the incident; the incident date stands in for that."""
    day = incident_date.date() if isinstance(incident_date, datetime) else incident_date
    years = limitation_years(line_of_business)
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def within_limitation(
    incident_date: date | datetime, report_date: date | datetime, line_of_business: str
) -> bool:
    """True when a report on `report_date` is still within the limitation period."""
    report = report_date.date() if isinstance(report_date, datetime) else report_date
    return report <= limitation_ends(incident_date, line_of_business)


# --- clocks ------------------------------------------------------------------------------------

class ClockStatus(str, Enum):
    OK = "ok"
    YELLOW = "yellow"
    RED = "red"
    OVERDUE = "overdue"
    MET = "met"

    def __str__(self) -> str:
        return self.value


class Light(str, Enum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    def __str__(self) -> str:
        return self.value

    def label(self, lang: str | None) -> str:
        return say(f"light.{self.value}", lang)


_SEVERITY = {
    ClockStatus.MET: -1, ClockStatus.OK: 0, ClockStatus.YELLOW: 1,
    ClockStatus.RED: 2, ClockStatus.OVERDUE: 2,
}


@dataclass(frozen=True)
class Clock:
    """One deadline rule applied to one claim. Datetimes are naive UTC."""

    name: str  # acknowledge, settlement, decision, payment, refusal_notice, advance_payment
    started_at: datetime
    due_at: datetime
    status: ClockStatus
    met_at: datetime | None = None
    red_at: datetime | None = None  # settlement only: the report-upward line
    band: str | None = None  # settlement only: small, standard or large

    @property
    def is_running(self) -> bool:
        return self.status is not ClockStatus.MET

    @property
    def late(self) -> bool:
        """Met, but after its due time."""
        return self.met_at is not None and self.met_at > self.due_at

    @property
    def severity(self) -> int:
        return _SEVERITY[self.status]

    def rule_text(self, lang: str | None) -> str:
        """The rule in plain words with its due time, e.g. 'pay within 24 hours ... (by ...)'."""
        key = f"deadline.{self.name}" + (f"_{self.band}" if self.band else "")
        return say(key, lang, due=when_text(self.due_at, lang), **_rule_fields(self))

    def status_text(self, lang: str | None) -> str:
        key = "met_late" if self.late else self.status.value
        return say(f"clock.{key}", lang)

    def label(self, lang: str | None) -> str:
        """Rule, due time and where it stands, in the customer's language."""
        return say("deadline_clock", lang, rule=self.rule_text(lang),
                   status=self.status_text(lang))


def _rule_fields(clock: Clock) -> dict[str, int]:
    spec = rules()[clock.name]
    if clock.name == "acknowledge":
        return {"minutes": spec["minutes"]}
    if clock.name == "settlement":
        band = spec[clock.band or "standard"]
        if "yellow_hours" in band:
            return {"hours": band["yellow_hours"]}
        return {"days": band["yellow_working_days"]}
    return {"days": spec["days"]}


@dataclass(frozen=True)
class ClaimDeadlines:
    """The clocks of one claim, its light and the deadline that binds it now."""

    number: str
    stage: ClaimStage
    light: Light
    clocks: tuple[Clock, ...]
    binding: Clock | None  # the worst running clock, earliest due first; None when none runs

    def clock(self, name: str) -> Clock | None:
        return next((clock for clock in self.clocks if clock.name == name), None)


def settlement_band(amount: Decimal | float | int | None) -> str:
    """small (<= 5,000), large (>= 50,000), otherwise standard; standard with no amount."""
    spec = rules()["settlement"]
    if amount is None:
        return "standard"
    value = Decimal(str(amount))
    if value <= Decimal(str(spec["small_max"])):
        return "small"
    if value >= Decimal(str(spec["large_min"])):
        return "large"
    return "standard"


def _first_event_at(view: ClaimView, *, to: Iterable[ClaimStage] = (),
                    from_: ClaimStage | None = None) -> datetime | None:
    targets = set(to)
    for event in view.events:
        if targets and event.to_stage not in targets:
            continue
        if from_ is not None and event.from_stage is not from_:
            continue
        return event.at
    return None


def _legal_status(now: datetime, due: datetime, warn: timedelta) -> ClockStatus:
    if now > due:
        return ClockStatus.OVERDUE
    if now >= due - warn:
        return ClockStatus.YELLOW
    return ClockStatus.OK


def _legal_clock(name: str, started: datetime, met: datetime | None, now: datetime,
                 unit: str = "days") -> Clock:
    spec = rules()[name]
    due = started + timedelta(**{unit: spec[unit]})
    if met is not None:
        return Clock(name, started, due, ClockStatus.MET, met_at=met)
    warn = timedelta(**{unit: spec[f"warn_{unit}"]})
    return Clock(name, started, due, _legal_status(now, due, warn))


def _settlement_clock(view: ClaimView, started: datetime, met: datetime | None,
                      now: datetime) -> Clock:
    amount = view.approved_amount if view.approved_amount is not None else view.estimated_amount
    band = settlement_band(amount)
    spec = rules()["settlement"][band]
    if "yellow_hours" in spec:
        due = started + timedelta(hours=spec["yellow_hours"])
        red = started + timedelta(hours=spec["red_hours"])
    else:
        due = add_working_days(started, spec["yellow_working_days"])
        red = add_working_days(started, spec["red_working_days"])
    if met is not None:
        status = ClockStatus.MET
    elif now > red:
        status = ClockStatus.RED
    elif now > due:
        status = ClockStatus.YELLOW
    else:
        status = ClockStatus.OK
    return Clock("settlement", started, due, status, met_at=met, red_at=red, band=band)


def deadline_clocks(
    view: ClaimView,
    now: datetime | None = None,
    *,
    refusal_notice_sent_at: datetime | None = None,
) -> tuple[Clock, ...]:
    """Every clock of the deadlines table that applies to `claim` at `now` (default: now).

    Computed on the view alone (no store). The refusal-notice clock
    stops at `refusal_notice_sent_at` (when the outbox sent the denial notice); without it that
    clock keeps running. Clocks come in the table's order.
    """
    at = as_utc_naive(now)
    S = ClaimStage
    decided = _first_event_at(view, to=(S.PAYMENT, S.DENIED))
    agreed = _first_event_at(view, to=(S.PAYMENT,))
    denied = _first_event_at(view, to=(S.DENIED,))
    paid = view.paid_at or _first_event_at(view, to=(S.CLOSED,), from_=S.PAYMENT)
    acknowledged = _first_event_at(view, from_=S.REPORTED)
    if acknowledged is None and view.stage is not S.REPORTED:
        acknowledged = view.reported_at  # moved on without a recorded first step

    clocks = [_legal_clock("acknowledge", view.reported_at, acknowledged, at, unit="minutes")]
    complete = view.documents_completed_at
    # "先赔付、后补材料": a small claim's settlement clock starts at the customer's promise.
    amount = view.approved_amount if view.approved_amount is not None else view.estimated_amount
    promised = (view.documents_promised_at
                if view.documents_promised_at is not None and settlement_band(amount) == "small"
                else None)
    settlement_start = min((t for t in (complete, promised) if t is not None), default=None)
    if settlement_start is not None:
        settled = min((t for t in (paid, denied) if t is not None), default=None)
        clocks.append(_settlement_clock(view, settlement_start, settled, at))
    if complete is not None:
        clocks.append(_legal_clock("decision", complete, decided, at))
    if agreed is not None:
        clocks.append(_legal_clock("payment", agreed, paid, at))
    if denied is not None:
        sent = as_utc_naive(refusal_notice_sent_at) if refusal_notice_sent_at else None
        clocks.append(_legal_clock("refusal_notice", denied, sent, at))
    if complete is not None and decided is None:
        # Only while no amount is fixed: once decided, the advance payment is moot.
        clocks.append(_legal_clock("advance_payment", complete, None, at))
    if view.stage is S.WITHDRAWN:
        clocks = [clock for clock in clocks if not clock.is_running]
    return tuple(clocks)


def light_of(clocks: Iterable[Clock]) -> Light:
    """Red if any running clock is red or overdue, yellow if any is yellow, else green."""
    worst = max((clock.severity for clock in clocks if clock.is_running), default=0)
    return {0: Light.GREEN, 1: Light.YELLOW}.get(worst, Light.RED)


def binding_clock(clocks: Sequence[Clock]) -> Clock | None:
    """The running clock that matters most: the worst status, then the earliest due time."""
    running = [clock for clock in clocks if clock.is_running]
    if not running:
        return None
    return min(running, key=lambda clock: (-clock.severity, clock.due_at))


def claim_deadlines(
    view: ClaimView,
    now: datetime | None = None,
    *,
    refusal_notice_sent_at: datetime | None = None,
) -> ClaimDeadlines:
    """The clocks, light and binding deadline of `view` at `now` (see deadline_clocks)."""
    clocks = deadline_clocks(view, now, refusal_notice_sent_at=refusal_notice_sent_at)
    return ClaimDeadlines(
        number=view.number, stage=view.stage, light=light_of(clocks), clocks=clocks,
        binding=binding_clock(clocks),
    )


_LIGHT_ORDER = {Light.RED: 0, Light.YELLOW: 1, Light.GREEN: 2}


def sort_by_light(items: Iterable[ClaimDeadlines]) -> list[ClaimDeadlines]:
    """Red first, then yellow, then green; within a light the earliest binding deadline first."""
    far = datetime.max
    return sorted(items, key=lambda item: (
        _LIGHT_ORDER[item.light], item.binding.due_at if item.binding else far, item.number,
    ))
