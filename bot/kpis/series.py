"""Per-day time series for the supervisors' dashboard (channels/agent_console.py draws them).

Every series covers a `Period` (naive UTC, half-open) cut into LOCAL calendar days (the settings'
timezone, bot.clock). A day is measured at its end: the local midnight that closes it, or the
period's end for the last, partial day (so "today" is measured now, never in the future).

What each chart counts (one claim is counted once per day and series):

- stages: an open stage (reported ... payment) counts the claims in it at the day's end; a
  final stage (closed, denied, withdrawn) counts the claims that entered it that day.
- lights: the open claims at the day's end by traffic light (bot.claims.deadlines): the worst
  clock running then, with the clocks' start, due and met times from the claim's history. The
  settlement band uses the claim's latest amount.
- settlement: claims whose settlement clock was met (paid, or denied) that day, by band: small
  claims against 24 hours, the others against 7 working days; share on time and median hours.
- complaints: complaints received that day, by where their clocks stand NOW (the moment the
  dashboard is computed, not the day's or the period's end): acknowledged within 48 hours or
  late or not yet, decided within 15, 30, 60 days, later, or still open. A complaint received on
  a day and decided since is never shown open.
- satisfaction: scores answered that day (1-10): how many, the mean, and the share at 8.5 or more.
- handoffs: handoffs queued that day: how many, how many a person took, and the wait to be
  taken (P50, P90 minutes). Handoffs carry no line of business: the line filter does not apply.
- notices: proactive notices (messages about a claim the insurer sent unprompted) created that
  day, per channel: how many, and the share delivered (sent).

A rate or mean is None where a day has nothing to count ("no data"), never 0. The click-through
(`claims_behind`) runs the same computation and returns the claim numbers behind one point.
Queries read whole columns once (no per-claim query): the benchmark runs them on 100,000 claims.
Their SQL is in bot/store/series_queries.py; this module does the per-day counting.
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any, Dict, List, Sequence, Tuple

from bot.claims.deadlines import claim_deadlines, rules
from bot.claims.model import OPEN_STAGES, ClaimEventView, ClaimStage, ClaimView
from bot.clock import from_local, to_local
from bot.complaints import ACKNOWLEDGE_HOURS, decision_due
from bot.kpis import Period
from bot.outbox.notices import REFUSAL_NOTICE_KIND
from bot.store import series_queries as queries
from bot.store.db import unit_of_work
from bot.store.models import LINES_OF_BUSINESS

MAX_DAYS = 366
MAX_LISTED = 500  # claim numbers returned for one point at most (the total is always given)
CHARTS = ("stages", "lights", "settlement", "complaints", "satisfaction", "handoffs", "notices")
OPEN_STAGE_NAMES = tuple(s.value for s in ClaimStage if s in OPEN_STAGES)
FINAL_STAGE_NAMES = tuple(s.value for s in ClaimStage if s not in OPEN_STAGES)
LIGHTS = ("green", "yellow", "red")
BANDS = ("small", "working_days")
COMPLAINT_KEYS = ("ack_on_time", "ack_late", "ack_waiting",
                  "decided_15", "decided_30", "decided_60", "decided_later", "undecided")
SATISFIED_AT = 8.5
NOTICE_DELIVERY_TARGET = 0.9  # share of proactive notices delivered (the dashboard's line)
# The channels' names as the store holds them (each channel's name(): channels/*.py), with
# the names a supervisor reads. Twilio carries SMS and WhatsApp together.
CHANNELS: Dict[str, Tuple[str, str]] = {
    "webchat": ("网页聊天", "Web chat"),
    "telegram": ("Telegram", "Telegram"),
    "twilio": ("短信 / WhatsApp", "SMS / WhatsApp"),
    "twilio_voice": ("电话", "Phone"),
    "wechat": ("微信", "WeChat"),
    "rest": ("接口", "API"),
}


class SeriesError(ValueError):
    """Bad input for a series: `code` names it, the message says it in plain words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- days and filters ----------------------------------------------------------------------------

def period_of_days(first: date, last: date, now: datetime) -> Period:
    """The period of local days `first` .. `last` (both included), ending at `now` at the latest.
    SeriesError when it ends before it starts or is longer than MAX_DAYS."""
    if not (EARLIEST <= first <= LATEST and EARLIEST <= last <= LATEST):
        raise SeriesError("bad_date", f"Dates are between {EARLIEST} and {LATEST}.")
    if last < first:
        raise SeriesError("period_reversed", "The period ends before it starts.")
    if (last - first).days + 1 > MAX_DAYS:
        raise SeriesError("period_too_long", f"A period is at most {MAX_DAYS} days.")
    start = from_local(first)
    end = min(from_local(last + timedelta(days=1)), now)
    if end <= start:
        raise SeriesError("period_in_future", "The period is in the future: it starts "
                          "after today.")
    return Period(start, end)


DEFAULT_DAYS = 30
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # beyond: no store holds it


def period_from_text(first: str | None, last: str | None, now: datetime) -> Period:
    """The period a page asks for with ISO dates (YYYY-MM-DD, local days, both included);
    without them, the DEFAULT_DAYS local days up to today. SeriesError for anything else."""
    today = to_local(now).date()
    try:
        last_day = date.fromisoformat(last) if last else today
        first_day = (date.fromisoformat(first) if first
                     # The default start never goes before the earliest date asked for.
                     else max(min(last_day, LATEST) - timedelta(days=DEFAULT_DAYS - 1),
                              min(EARLIEST, last_day)))
    except (TypeError, ValueError, OverflowError):
        raise SeriesError("bad_date", "Dates are written YYYY-MM-DD.") from None
    if first and not last and EARLIEST <= first_day <= LATEST and first_day > today:
        # Only a start, after today: the default end (today) is not the fault.
        raise SeriesError("period_in_future", "The period is in the future: it starts "
                          "after today.")
    return period_of_days(first_day, last_day, now)


def day_from_text(text: str | None) -> date:
    try:
        return date.fromisoformat(text or "")
    except (TypeError, ValueError):
        raise SeriesError("bad_date", "Dates are written YYYY-MM-DD.") from None


def check_filters(line: str | None, channel: str | None) -> None:
    if line is not None and line not in LINES_OF_BUSINESS:
        raise SeriesError("unknown_line", f"Unknown line of business {line!r}; one of "
                          f"{', '.join(LINES_OF_BUSINESS)}.")
    if channel is not None and channel not in CHANNELS:
        raise SeriesError("unknown_channel", "Unknown channel; one of "
                          f"{', '.join(CHANNELS)}.")


def check_point(chart: str, key: str) -> None:
    """SeriesError unless `key` is a series `chart` can have (a notice channel, optionally
    ':undelivered', for notices)."""
    if chart not in CHARTS:
        raise SeriesError("unknown_chart", f"Unknown chart; one of {', '.join(CHARTS)}.")
    keys = chart_keys(chart)
    if key not in keys:
        raise SeriesError("unknown_key", f"Unknown series for {chart}; one of "
                          f"{', '.join(keys)}.")


def chart_keys(chart: str) -> Tuple[str, ...]:
    """The series a chart's points can be asked for (claims_behind)."""
    if chart == "stages":
        return OPEN_STAGE_NAMES + FINAL_STAGE_NAMES
    if chart == "notices":
        names = tuple(CHANNELS) + ("unknown",)
        return names + tuple(f"{name}:undelivered" for name in names)
    return {"lights": LIGHTS, "settlement": BANDS, "complaints": COMPLAINT_KEYS,
            "satisfaction": ("mean", "below"), "handoffs": ("queued",)}[chart]


@dataclass(frozen=True)
class Days:
    """The local days of a period and the moment each is measured at (its end)."""

    days: Tuple[date, ...]
    ends: Tuple[datetime, ...]
    period: Period

    @classmethod
    def of(cls, period: Period) -> Days:
        first = to_local(period.start).date()
        last = to_local(period.end - timedelta(microseconds=1)).date()
        if (last - first).days + 1 > MAX_DAYS + 1:
            raise SeriesError("period_too_long", f"A period is at most {MAX_DAYS} days.")
        days = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
        ends = tuple(min(from_local(day + timedelta(days=1)), period.end) for day in days)
        return cls(days, ends, period)

    def __len__(self) -> int:
        return len(self.days)

    def first_at_or_after(self, moment: datetime) -> int:
        """The first day whose end is at or after `moment` (len when none)."""
        return bisect_left(self.ends, moment)

    def first_after(self, moment: datetime) -> int:
        """The first day whose end is strictly after `moment` (len when none)."""
        return bisect_right(self.ends, moment)

    def of_moment(self, moment: datetime | None) -> int | None:
        """The day a moment falls on, or None outside the period."""
        if moment is None or not self.period.start <= moment < self.period.end:
            return None
        return (to_local(moment).date() - self.days[0]).days

    def index(self, day: date) -> int:
        position = (day - self.days[0]).days
        if not 0 <= position < len(self.days):
            raise SeriesError("day_outside_period", "That day is not in the period.")
        return position


@dataclass
class Pick:
    """One point of one chart: the claims (and complaint references) behind it are collected."""

    chart: str
    key: str
    day: int
    claims: set
    complaints: set

    def add(self, chart: str, key: str, day: int | None, claim: str | None,
            complaint: str | None = None) -> None:
        if chart != self.chart or key != self.key or day != self.day:
            return
        if claim:
            self.claims.add(claim)
        if complaint:
            self.complaints.add(complaint)


def _add_span(diff: List[int], start: int, end: int) -> None:
    if start < end:
        diff[start] += 1
        diff[end] -= 1


def _running(diff: List[int]) -> List[int]:
    total, out = 0, []
    for step in diff[:-1]:
        total += step
        out.append(total)
    return out


def _percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


# --- the claims pass: stages, lights, settlement ------------------------------------------

_TERMINAL = ("closed", "denied", "withdrawn")


def _events_of(session: Any, period: Period, line: str | None,
               channel: str | None) -> Dict[int, List[ClaimEventView]]:
    events: Dict[int, List[ClaimEventView]] = defaultdict(list)
    for claim_id, from_stage, to_stage, at in queries.events_in_play(
            session, period.start, period.end, line, channel, OPEN_STAGE_NAMES, _TERMINAL):
        events[claim_id].append(ClaimEventView(
            from_stage=ClaimStage(from_stage) if from_stage else None,
            to_stage=ClaimStage(to_stage), at=at, actor="", note=None))
    return events


def _view(row: Any, events: Sequence[ClaimEventView]) -> ClaimView:
    stage = ClaimStage(row.stage)
    if stage is ClaimStage.WITHDRAWN:
        # A withdrawn claim's clocks stop when it is withdrawn; before then they ran as for any
        # open claim (the open window below ends at the withdrawal).
        stage = ClaimStage.DOCUMENTS_REVIEW
    return ClaimView(
        number=row.number, policy_number="", line_of_business=row.line_of_business,
        customer_id=0, stage=stage, incident_type="", incident_at=None, incident_place=None,
        description=None, injuries=False, estimated_amount=row.estimated_amount,
        approved_amount=row.approved_amount, paid_amount=None, paid_at=row.paid_at,
        denial_reason_zh=None, denial_reason_en=None, denial_clause=None,
        reported_at=row.reported_at, documents_completed_at=row.documents_completed_at,
        language=None, conversation_id=None, missing_documents=(), events=tuple(events),
        documents_promised_at=row.documents_promised_at,
    )


def _warn(name: str) -> timedelta:
    spec = rules()[name]
    if "warn_minutes" in spec:
        return timedelta(minutes=spec["warn_minutes"])
    return timedelta(days=spec["warn_days"])


def _light_spans(view: ClaimView, refusal_sent: datetime | None, days: Days
                 ) -> Tuple[List[Tuple[int, int, int]], Any]:
    """(severity, first day, end day) spans of the claim's clocks (1 yellow, 2 red), and its
    settlement clock (None before its documents are complete)."""
    deadlines = claim_deadlines(view, days.period.end, refusal_notice_sent_at=refusal_sent)
    clocks = list(deadlines.clocks)
    decided = next((e.at for e in view.events
                    if e.to_stage in (ClaimStage.PAYMENT, ClaimStage.DENIED)), None)
    complete = view.documents_completed_at
    if complete is not None and decided is not None:
        # The advance-payment clock ran from complete documents until the decision.
        spec = rules()["advance_payment"]
        clocks.append(_AdvanceClock(complete, complete + timedelta(days=spec["days"]), decided))
    spans: List[Tuple[int, int, int]] = []
    for clock in clocks:
        start = days.first_at_or_after(clock.started_at)
        end = len(days) if clock.met_at is None else days.first_at_or_after(clock.met_at)
        if clock.name == "settlement":
            yellow = days.first_after(clock.due_at)
            red = days.first_after(clock.red_at)
        else:
            yellow = days.first_at_or_after(clock.due_at - _warn(clock.name))
            red = days.first_after(clock.due_at)
        spans.append((2, max(start, red), end))
        spans.append((1, max(start, yellow), min(red, end)))
    return [span for span in spans if span[1] < span[2]], deadlines.clock("settlement")


@dataclass(frozen=True)
class _AdvanceClock:
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    name: str = "advance_payment"
    red_at: datetime | None = None


def _claims_pass(session: Any, days: Days, line: str | None, channel: str | None,
                 pick: Pick | None) -> Dict[str, Any]:
    period, n = days.period, len(days)
    # Claims reported before the period ends that are open now or reach a final stage within
    # or after the period (a claim denied before and closed within it is read, and counts only
    # where it entered "closed").
    rows = queries.claims_in_play(session, period.start, period.end, line, channel,
                                  OPEN_STAGE_NAMES, _TERMINAL)
    events = _events_of(session, period, line, channel)
    refusals = queries.first_notices_sent(session, REFUSAL_NOTICE_KIND, period.end)
    stage_diff = {stage: [0] * (n + 1) for stage in OPEN_STAGE_NAMES}
    entered = {stage: [0] * n for stage in FINAL_STAGE_NAMES}
    light_diff = {light: [0] * (n + 1) for light in LIGHTS}
    settled: Dict[str, List[List[Tuple[float, bool]]]] = {
        band: [[] for _ in range(n)] for band in BANDS}
    small_hours = rules()["settlement"]["small"]["yellow_hours"]
    for row in rows:
        history = events.get(row.id) or [ClaimEventView(None, ClaimStage.REPORTED,
                                                        row.reported_at, "", None)]
        # Stages: each event's stage holds until the next event.
        open_from = days.first_at_or_after(row.reported_at)
        open_until = n
        for position, event in enumerate(history):
            stage = event.to_stage.value
            begin = days.first_at_or_after(event.at)
            if stage in stage_diff:
                following = history[position + 1].at if position + 1 < len(history) else None
                finish = n if following is None else days.first_at_or_after(following)
                _add_span(stage_diff[stage], begin, finish)
                if pick is not None and begin <= pick.day < finish:
                    pick.add("stages", stage, pick.day, row.number)
            else:
                open_until = min(open_until, begin)
                day = days.of_moment(event.at)
                if day is not None:
                    entered[stage][day] += 1
                    if pick is not None:
                        pick.add("stages", stage, day, row.number)
        view = _view(row, history)
        # Lights: the worst clock at each day's end while the claim is open.
        spans, clock = _light_spans(view, refusals.get(row.id), days)
        cuts = sorted({open_from, open_until} | {p for s in spans for p in s[1:]})
        for left, right in zip(cuts, cuts[1:], strict=False):
            if not (open_from <= left < open_until):
                continue
            right = min(right, open_until)
            severity = max((s for s, a, b in spans if a <= left < b), default=0)
            light = LIGHTS[severity]
            _add_span(light_diff[light], left, right)
            if pick is not None and left <= pick.day < right:
                pick.add("lights", light, pick.day, row.number)
        # Settlement: the day the settlement clock was met.
        if clock is not None and clock.met_at is not None:
            day = days.of_moment(clock.met_at)
            if day is not None:
                band = "small" if clock.band == "small" else "working_days"
                hours = (clock.met_at - clock.started_at).total_seconds() / 3600
                settled[band][day].append((hours, clock.met_at <= clock.due_at))
                if pick is not None:
                    pick.add("settlement", band, day, row.number)
    stages = {stage: _running(stage_diff[stage]) for stage in OPEN_STAGE_NAMES}
    stages.update(entered)
    lights = {light: _running(light_diff[light]) for light in LIGHTS}
    bands: Dict[str, Any] = {}
    for band in BANDS:
        per_day = settled[band]
        bands[band] = {
            "count": [len(items) for items in per_day],
            "on_time": [sum(1 for _, ok in items if ok) for items in per_day],
            "on_time_share": [_round(sum(1 for _, ok in items if ok) / len(items))
                              if items else None for items in per_day],
            "median_hours": [_round(median(h for h, _ in items), 1) if items else None
                             for items in per_day],
        }
    return {
        "stages": {
            "series": stages,
            "kind": {**{s: "at_day_end" for s in OPEN_STAGE_NAMES},
                     **{s: "entered" for s in FINAL_STAGE_NAMES}},
            "empty": not any(any(values) for values in stages.values()),
        },
        "lights": {"series": lights,
                   "empty": not any(any(values) for values in lights.values())},
        "settlement": {
            "bands": bands,
            "targets": {"small": {"hours": small_hours},
                        "working_days": {"working_days":
                                         rules()["settlement"]["large"]["yellow_working_days"]}},
            "empty": not any(any(bands[band]["count"]) for band in BANDS),
        },
    }


# --- complaints, satisfaction, handoffs, notices ------------------------------------------

def _complaints(session: Any, days: Days, line: str | None, channel: str | None,
                pick: Pick | None, now: datetime | None = None) -> Dict[str, Any]:
    period, n = days.period, len(days)
    # Each complaint's outcome as of now (the period's end when not given).
    as_of = max(now or period.end, period.end)
    counts = {key: [0] * n for key in COMPLAINT_KEYS}
    received = [0] * n
    decided_on_time = [0] * n
    decided = [0] * n
    ack_hours = timedelta(hours=ACKNOWLEDGE_HOURS)
    for reference, received_at, acked, decided_at, complexity, source, claim in (
            queries.complaints_received(session, period.start, period.end, line, channel)):
        day = days.of_moment(received_at)
        if day is None:
            continue
        received[day] += 1
        acked = acked if acked is not None and acked <= as_of else None
        decided_at = decided_at if decided_at is not None and decided_at <= as_of else None
        if acked is not None:
            ack = "ack_on_time" if acked - received_at <= ack_hours else "ack_late"
        else:
            ack = "ack_late" if as_of - received_at > ack_hours else "ack_waiting"
        if decided_at is None:
            decision = "undecided"
        else:
            took = decided_at - received_at
            decision = next((f"decided_{limit}" for limit in (15, 30, 60)
                             if took <= timedelta(days=limit)), "decided_later")
            decided[day] += 1
            if decided_at <= decision_due(received_at, complexity or "standard", source):
                decided_on_time[day] += 1
        for key in (ack, decision):
            counts[key][day] += 1
            if pick is not None:
                pick.add("complaints", key, day, claim, reference)
    return {
        "series": counts,
        "received": received,
        "ack_on_time_share": [_round(counts["ack_on_time"][d] / (received[d]
                                                                  - counts["ack_waiting"][d]))
                              if received[d] - counts["ack_waiting"][d] else None
                              for d in range(n)],
        "decided_on_time_share": [_round(decided_on_time[d] / decided[d]) if decided[d] else None
                                  for d in range(n)],
        "targets": {"acknowledge_hours": ACKNOWLEDGE_HOURS, "decision_days": [15, 30, 60]},
        "as_of": as_of.isoformat(),
        "empty": not any(received),
    }


def _satisfaction(session: Any, days: Days, line: str | None, channel: str | None,
                  pick: Pick | None) -> Dict[str, Any]:
    period, n = days.period, len(days)
    scores: List[List[int]] = [[] for _ in range(n)]
    for answered_at, score, number in queries.scores_answered(session, period.start, period.end,
                                                              line, channel):
        day = days.of_moment(answered_at)
        if day is None:
            continue
        scores[day].append(int(score))
        if pick is not None:
            pick.add("satisfaction", "mean", day, number)
            if score < SATISFIED_AT:
                pick.add("satisfaction", "below", day, number)
    return {
        "count": [len(day) for day in scores],
        "mean": [_round(sum(day) / len(day), 2) if day else None for day in scores],
        "satisfied_share": [_round(sum(1 for s in day if s >= SATISFIED_AT) / len(day))
                            if day else None for day in scores],
        "target": SATISFIED_AT,
        "empty": not any(scores),
    }


def _handoffs(session: Any, days: Days, line: str | None, channel: str | None,
              pick: Pick | None) -> Dict[str, Any]:
    period, n = days.period, len(days)
    queued = [0] * n
    waits: List[List[float]] = [[] for _ in range(n)]
    for created_at, taken_at, summary in queries.handoffs_queued(session, period.start,
                                                                 period.end, channel):
        day = days.of_moment(created_at)
        if day is None:
            continue
        queued[day] += 1
        if taken_at is not None and taken_at < period.end:
            waits[day].append((taken_at - created_at).total_seconds() / 60)
        if pick is not None and isinstance(summary, dict):
            pick.add("handoffs", "queued", day, summary.get("claim_number"))
    return {
        "queued": queued,
        "answered": [len(day) for day in waits],
        "answer_rate": [_round(len(waits[d]) / queued[d]) if queued[d] else None
                        for d in range(n)],
        "p50_minutes": [_round(_percentile(day, 0.5), 1) for day in waits],
        "p90_minutes": [_round(_percentile(day, 0.9), 1) for day in waits],
        "line_applies": line is None,
        "empty": not any(queued),
    }


def _notices(session: Any, days: Days, line: str | None, channel: str | None,
             pick: Pick | None) -> Dict[str, Any]:
    period, n = days.period, len(days)
    total: Dict[str, List[int]] = defaultdict(lambda: [0] * n)
    sent: Dict[str, List[int]] = defaultdict(lambda: [0] * n)
    for created_at, notice_channel, status, sent_at, number in queries.notices_created(
            session, period.start, period.end, line, channel):
        day = days.of_moment(created_at)
        if day is None:
            continue
        name = notice_channel or "unknown"
        total[name][day] += 1
        delivered = status == "sent" and sent_at is not None and sent_at < period.end
        if delivered:
            sent[name][day] += 1
        if pick is not None:
            pick.add("notices", name, day, number)
            if not delivered:
                pick.add("notices", f"{name}:undelivered", day, number)
    channels = sorted(total)
    return {
        "channels": {
            name: {"total": total[name], "sent": sent[name],
                   "delivery_rate": [_round(sent[name][d] / total[name][d]) if total[name][d]
                                     else None for d in range(n)]}
            for name in channels
        },
        "target": NOTICE_DELIVERY_TARGET,
        "empty": not channels,
    }


# --- what the dashboard asks for ------------------------------------------------------------------

def dashboard(period: Period, *, line: str | None = None, channel: str | None = None,
              url: str | None = None, now: datetime | None = None) -> Dict[str, Any]:
    """Every chart of the dashboard for `period`, as plain JSON-ready data. `now` (default:
    the period's end) is when complaints' outcomes are read."""
    check_filters(line, channel)
    days = Days.of(period)
    with unit_of_work(url) as uow:
        session = uow.session
        charts = _claims_pass(session, days, line, channel, None)
        charts["complaints"] = _complaints(session, days, line, channel, None, now)
        charts["satisfaction"] = _satisfaction(session, days, line, channel, None)
        charts["handoffs"] = _handoffs(session, days, line, channel, None)
        charts["notices"] = _notices(session, days, line, channel, None)
    return {
        "days": [day.isoformat() for day in days.days],
        "measured_at": [end.isoformat() for end in days.ends],
        "line": line, "channel": channel,
        "channels": {name: {"zh": zh, "en": en} for name, (zh, en) in CHANNELS.items()},
        "charts": charts,
        "empty": all(chart["empty"] for chart in charts.values()),
    }


def claims_behind(period: Period, chart: str, key: str, day: date, *,
                  line: str | None = None, channel: str | None = None,
                  url: str | None = None, now: datetime | None = None) -> Dict[str, Any]:
    """The claim numbers (and, for complaints, the references) behind one point of one chart:
    the same computation as `dashboard`, keeping the members of that day and series."""
    check_filters(line, channel)
    check_point(chart, key)
    days = Days.of(period)
    pick = Pick(chart, key, days.index(day), set(), set())
    with unit_of_work(url) as uow:
        session = uow.session
        if chart in ("stages", "lights", "settlement"):
            _claims_pass(session, days, line, channel, pick)
        elif chart == "complaints":
            _complaints(session, days, line, channel, pick, now)
        else:
            {"satisfaction": _satisfaction,
             "handoffs": _handoffs, "notices": _notices}[chart](
                session, days, line, channel, pick)
    claims = sorted(pick.claims)
    complaints = sorted(pick.complaints)
    return {"chart": chart, "key": key, "day": day.isoformat(),
            "total": len(claims), "claims": claims[:MAX_LISTED],
            "complaints": complaints[:MAX_LISTED], "complaints_total": len(complaints)}


__all__ = ["CHANNELS", "CHARTS", "Days", "MAX_DAYS", "SeriesError", "chart_keys", "check_filters",
           "check_point", "claims_behind",
           "dashboard", "day_from_text", "period_from_text", "period_of_days"]
