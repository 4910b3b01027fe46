"""Each KPI of definitions.yml, beside its target and source: the rules of the standards applied
to the numbers the store's KPI queries give (bot/store/kpi_queries.py, SQL aggregates).

Two figures need Python over a small set: large claims against 7 working days (the holiday
calendar of bot/claims/deadlines.py) and the traffic lights of open claims at the period's end
(the dashboard's computation in bot/kpis/series.py, reused so both agree).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.claims.deadlines import Light, add_working_days, rules
from bot.claims.model import OPEN_STAGES, ClaimStage
from bot.clock import as_utc_naive, format_local, from_local, to_local
from bot.complaints import ACKNOWLEDGE_HOURS, DECISION_DAYS
from bot.handoff import ELDERLY_BONUS, Reason
from bot.kpis import KpiResult, Period
from bot.kpis.definitions import definition
from bot.outbox.notices import STAGE_NOTICES
from bot.store.db import engine_for
from bot.store.kpi_queries import KpiQueries, Percentile
from bot.store.kpi_queries import channels_in as _channels_in
from bot.store.kpi_queries import stored_channels as _stored_channels
from bot.store.models import LINES_OF_BUSINESS

S = ClaimStage
DECIDED_STAGES = (S.PAYMENT.value, S.DENIED.value)
# Stages a claim waits in; time in a final stage is not handling time.
TIMED_STAGES = (S.REPORTED, S.DOCUMENTS_REVIEW, S.INVESTIGATION, S.ASSESSMENT, S.PAYMENT)
SATISFIED = 8.5
REGULATOR_SOURCE = "regulator"  # bot.complaints.SOURCES: 3 working days, a clock of its own
NO_LINE_NOTE = "not recorded per line of business"


class UnknownLine(ValueError):
    """A line of business the store does not know."""


class Figures:
    """Builds the KpiResults of one scope from plain numbers."""

    def __init__(self, line: str | None, channel: str | None) -> None:
        self.line, self.channel = line, channel

    def result(self, key: str, value: float | None, numerator: float | None = None,
               denominator: float | None = None, note: str | None = None) -> KpiResult:
        spec = definition(key)
        return KpiResult(
            key=key, title_zh=spec.title_zh, title_en=spec.title_en, value=value,
            unit=spec.unit, target=spec.target, direction=spec.direction, numerator=numerator,
            denominator=denominator, source=spec.source, line=self.line, channel=self.channel,
            note=note)

    def share(self, key: str, numerator: float | None, denominator: float | None) -> KpiResult:
        """numerator / denominator; no data with an empty denominator."""
        if not denominator:
            return self.result(key, None, numerator or 0, denominator or 0)
        return self.result(key, float(numerator or 0) / float(denominator),
                           float(numerator or 0), float(denominator))

    def mean(self, key: str, total: float | None, count: float | None) -> KpiResult:
        if not count:
            return self.result(key, None, None, 0)
        return self.result(key, float(total) / float(count), float(total), float(count))

    def percentile(self, key: str, found: Percentile) -> KpiResult:
        value, count = found
        return self.result(key, value, None, count)

    def count(self, key: str, value: float) -> KpiResult:
        return self.result(key, float(value), float(value))

    def not_per_line(self, keys: Iterable[str]) -> list[KpiResult]:
        return [self.result(key, None, note=NO_LINE_NOTE) for key in keys]


def settlement(q: KpiQueries, f: Figures) -> list[KpiResult]:
    spec = rules()["settlement"]
    count, met, p90 = q.small_claims_paid(spec["small_max"], spec["small"]["yellow_hours"], 0.9)
    pairs = q.large_claims_paid(spec["large_min"])
    days = spec["large"]["yellow_working_days"]
    on_time = sum(1 for done, paid in pairs if paid <= add_working_days(done, days))
    return [f.share("small_claims_paid_24h", met, count),
            f.percentile("small_claims_pay_hours_p90", p90),
            f.share("large_claims_paid_7wd", on_time, len(pairs))]


def decisions(q: KpiQueries, f: Figures) -> list[KpiResult]:
    count, hours, disputed = q.decisions(DECIDED_STAGES)
    return [f.mean("handling_hours_avg", hours, count),
            f.share("dispute_rate", disputed, count)]


def stages(q: KpiQueries, f: Figures) -> list[KpiResult]:
    stays = q.stage_stays(0.9)
    out: list[KpiResult] = []
    for stage in TIMED_STAGES:
        total, count, p90 = stays.get(stage.value, (None, 0, None))
        out.append(f.mean(f"stage_hours_avg.{stage.value}", total, count))
        out.append(f.result(f"stage_hours_p90.{stage.value}", p90, None, count))
    return out


def claims(q: KpiQueries, f: Figures) -> list[KpiResult]:
    closed, still_open = q.closure((S.CLOSED.value, S.DENIED.value), (S.WITHDRAWN.value,),
                                   [stage.value for stage in OPEN_STAGES])
    listed, again = q.documents_rerequested()
    return [f.share("closure_rate", closed, closed + still_open),
            f.share("documents_rerequested_share", again, listed)]


def notices(q: KpiQueries, f: Figures) -> list[KpiResult]:
    moves = [(source.value if source else None, to.value) for source, to in STAGE_NOTICES]
    count, delivered = q.key_moves_notified(moves)
    return [f.share("notice_delivery_rate", delivered, count)]


def satisfaction(q: KpiQueries, f: Figures) -> list[KpiResult]:
    count, total, high = q.satisfaction(SATISFIED)
    return [f.mean("satisfaction_mean", total, count),
            f.share("satisfaction_share_8_5", high, count)]


def complaints(q: KpiQueries, f: Figures) -> list[KpiResult]:
    count, met = q.complaints_acknowledged(ACKNOWLEDGE_HOURS)
    out = [f.share("complaint_ack_48h", met, count)]
    for complexity, days in DECISION_DAYS.items():
        count, met = q.complaints_decided(complexity, days, REGULATOR_SOURCE)
        out.append(f.share(f"complaint_decided_{days}d", met, count))
    count, met = q.complaints_resolved_first_time()
    out.append(f.share("complaint_first_contact_resolution", met, count))
    count, repeats = q.complaints_repeated()
    out.append(f.share("complaint_repeat_rate", repeats, count))
    return out


def handoffs(q: KpiQueries, f: Figures) -> list[KpiResult]:
    keys = ("handoff_wait_p50", "handoff_wait_p90", "handoff_answer_rate")
    urgent_keys = ("urgent_cases", "urgent_minutes_to_person_avg", "urgent_minutes_to_person_p90")
    elderly_keys = ("elderly_handoffs", "elderly_served_by_person")
    if q.line:  # handoffs belong to conversations, not policies
        return f.not_per_line(keys + urgent_keys + elderly_keys)
    count, answered, _ = q.handoffs_answered()
    urgent, urgent_answered, urgent_minutes = q.handoffs_answered(reason=Reason.URGENT.value)
    elderly, served, _ = q.handoffs_answered(min_priority=ELDERLY_BONUS)
    return [
        f.percentile("handoff_wait_p50", q.handoff_waits(0.5)),
        f.percentile("handoff_wait_p90", q.handoff_waits(0.9)),
        f.share("handoff_answer_rate", answered, count),
        f.count("urgent_cases", urgent),
        f.mean("urgent_minutes_to_person_avg", urgent_minutes, urgent_answered),
        f.percentile("urgent_minutes_to_person_p90",
                     q.handoff_waits(0.9, reason=Reason.URGENT.value)),
        f.count("elderly_handoffs", elderly),
        f.share("elderly_served_by_person", served, elderly),
    ]


def lights(q: KpiQueries, f: Figures, url: str | None) -> list[KpiResult]:
    """Open claims by light at the period's end (as of), counted by the dashboard's own
    computation (bot/kpis/series.py, the lights at a day's end from each claim's clocks) over
    the period's last local day, so the report and the dashboard's last day agree; and the
    escalations raised in the period."""
    from bot.kpis import series

    last_day = from_local(to_local(q.end - timedelta(microseconds=1)).date())
    board = series.dashboard(Period(max(q.start, last_day), q.end), line=q.line,
                             channel=q.channel, url=url)
    at_end = {light: values[-1] for light, values in board["charts"]["lights"]["series"].items()}
    total, regulator = q.escalations()
    return [f.count(f"lights_{light.value}", at_end[light.value]) for light in Light] + [
        f.count("escalations", total), f.count("escalations_regulator", regulator)]


SECTIONS = (settlement, decisions, stages, claims, notices, satisfaction, complaints, handoffs)


class PeriodNotStarted(ValueError):
    """The period starts at or after the as-of time: nothing in it has happened yet."""


def compute(period: Period, line: str | None = None, channel: str | None = None,
            url: str | None = None, now: datetime | None = None, *,
            lights_snapshot: bool = True) -> list[KpiResult]:
    """Every KPI over `period` (naive UTC, half-open), for one line of business and/or channel
    (None: all), as of `now` (default: the clock). A period ending after `now` is cut at `now`
    (nothing later has happened yet; clocks still running then are left out).

    `lights_snapshot=False` leaves out the open claims by light and the escalations (the one
    section that loads claims: their deadline clocks), for breakdowns that do not show them.
    Raises UnknownLine for a line of business the store does not know, PeriodNotStarted for a
    period that starts at or after `now`.
    """
    if line is not None and line not in LINES_OF_BUSINESS:
        raise UnknownLine(f"unknown line of business {line!r}; known: "
                          + ", ".join(LINES_OF_BUSINESS))
    as_of = min(as_utc_naive(now), period.end)
    if as_of <= period.start:
        raise PeriodNotStarted(
            f"the period starts ({format_local(period.start)}) after now "
            f"({format_local(as_utc_naive(now))}): nothing in it has happened yet")
    figures = Figures(line, channel or None)
    with engine_for(url).connect() as conn:
        queries = KpiQueries(conn, period.start, as_of, line, channel or None, as_of)
        results = [item for section in SECTIONS for item in section(queries, figures)]
        if lights_snapshot:
            results += lights(queries, figures, url)
    order = {key: index for index, key in enumerate(_key_order())}
    return sorted(results, key=lambda item: order.get(item.key.split(".")[0], len(order)))


def _key_order() -> list[str]:
    from bot.kpis.definitions import definitions

    return list(definitions())


def channels_in(period: Period, url: str | None = None) -> list[str]:
    """The channels claims were reported through in `period`, for a per-channel breakdown."""
    with engine_for(url).connect() as conn:
        return _channels_in(conn, period.start, period.end)


def stored_channels(url: str | None = None) -> list[str]:
    """Every channel the store's claims, complaints and handoffs record."""
    with engine_for(url).connect() as conn:
        return _stored_channels(conn)
