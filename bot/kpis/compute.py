"""Each KPI of definitions.yml computed from the store with SQL aggregates.

Counts, sums and shares are single aggregate queries; percentiles are ranked in SQL (window
functions, on SQLite and PostgreSQL alike) so no row list comes back to Python. Two figures
need Python over a small set: large claims against 7 working days (the holiday calendar of
bot/claims/deadlines.py) and the traffic lights of open claims (the deadline clocks themselves).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Tuple

from sqlalchemy import and_, case, exists, func, literal, or_, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import ColumnElement, Select

from bot.claims.deadlines import Light, add_working_days, claim_deadlines, rules
from bot.claims.model import OPEN_STAGES, ClaimStage, to_view
from bot.clock import as_utc_naive
from bot.handoff import ELDERLY_BONUS, Reason
from bot.kpis import KpiResult, Period
from bot.kpis.definitions import definition
from bot.outbox.notices import STAGE_NOTICES
from bot.store.db import engine_for
from bot.store.models import (
    LINES_OF_BUSINESS,
    Claim,
    ClaimDocument,
    ClaimEvent,
    Complaint,
    Dispute,
    Escalation,
    Handoff,
    Notification,
    Policy,
    SatisfactionScore,
)

S = ClaimStage
DECIDED_STAGES = (S.PAYMENT.value, S.DENIED.value)
# Stages a claim waits in; time in a final stage is not handling time.
TIMED_STAGES = (S.REPORTED, S.DOCUMENTS_REVIEW, S.INVESTIGATION, S.ASSESSMENT, S.PAYMENT)
NO_LINE_NOTE = "not recorded per line of business"


class UnknownLine(ValueError):
    """A line of business the store does not know."""


@dataclass(frozen=True)
class Scope:
    """What one computation looks at: the period, the filters, the as-of time, the connection."""

    conn: Connection
    period: Period
    line: str | None
    channel: str | None
    as_of: datetime

    @property
    def sqlite(self) -> bool:
        return self.conn.dialect.name == "sqlite"

    def hours(self, later: Any, earlier: Any) -> ColumnElement:
        """(later - earlier) in hours as a float, in this database's dialect."""
        if self.sqlite:
            return (func.julianday(later) - func.julianday(earlier)) * 24.0
        return func.extract("epoch", later - earlier) / 3600.0

    def in_period(self, column: Any) -> ColumnElement:
        return and_(column >= self.period.start, column < self.period.end)

    def claim_filters(self, claim: Any = Claim, policy: Any = Policy) -> List[ColumnElement]:
        """Line and channel conditions on a claim joined to its policy."""
        conditions: List[ColumnElement] = []
        if self.line:
            conditions.append(policy.line_of_business == self.line)
        if self.channel:
            conditions.append(claim.channel == self.channel)
        return conditions

    def claims_join(self, query: Select, claim_id: Any) -> Select:
        """Join claims and policies to `query` on `claim_id` when a filter needs them."""
        if not (self.line or self.channel):
            return query
        return (query.join(Claim, Claim.id == claim_id)
                .join(Policy, Policy.id == Claim.policy_id)
                .where(*self.claim_filters()))


def result(scope: Scope, key: str, value: float | None, numerator: float | None = None,
           denominator: float | None = None, note: str | None = None) -> KpiResult:
    spec = definition(key)
    return KpiResult(
        key=key, title_zh=spec.title_zh, title_en=spec.title_en, value=value, unit=spec.unit,
        target=spec.target, direction=spec.direction, numerator=numerator,
        denominator=denominator, source=spec.source, line=scope.line, channel=scope.channel,
        note=note,
    )


def share(scope: Scope, key: str, numerator: float | None,
          denominator: float | None) -> KpiResult:
    """numerator / denominator; no data with an empty denominator."""
    if not denominator:
        return result(scope, key, None, numerator or 0, denominator or 0)
    return result(scope, key, float(numerator or 0) / float(denominator),
                  float(numerator or 0), float(denominator))


def mean(scope: Scope, key: str, total: float | None, count: float | None) -> KpiResult:
    if not count:
        return result(scope, key, None, None, 0)
    return result(scope, key, float(total) / float(count), float(total), float(count))


def nearest_rank(conn: Connection, values: Select, fraction: float,
                 group: bool = False) -> Dict[Any, Tuple[float, int]]:
    """The nearest-rank percentile of column `v` of `values`, per column `g` when `group`.

    Ranked in SQL: row_number within the group against ceil(fraction * count), integer
    arithmetic so SQLite needs no math functions. Returns {group: (value, count)}.
    """
    sub = values.subquery()
    grp = sub.c.g if group else literal("all")
    per_mille = int(round(fraction * 1000))
    ranked = select(
        grp.label("g"), sub.c.v.label("v"),
        func.row_number().over(partition_by=grp, order_by=sub.c.v).label("rn"),
        func.count().over(partition_by=grp).label("n"),
    ).where(sub.c.v.isnot(None)).subquery()
    wanted = (ranked.c.n * per_mille + 999) / 1000  # ceil(fraction * n) in integers
    rows = conn.execute(select(ranked.c.g, ranked.c.v, ranked.c.n).where(ranked.c.rn == wanted))
    return {row.g: (float(row.v), int(row.n)) for row in rows}


def percentile_result(scope: Scope, key: str, values: Select, fraction: float) -> KpiResult:
    found = nearest_rank(scope.conn, values, fraction).get("all")
    if found is None:
        return result(scope, key, None, None, 0)
    return result(scope, key, found[0], None, found[1])


# --- settlement: time to pay -------------------------------------------------------------------

def _amount() -> ColumnElement:
    return func.coalesce(Claim.approved_amount, Claim.estimated_amount)


def _settlement_start() -> ColumnElement:
    """documents_completed_at, or the small claim's earlier documents-later promise."""
    return case(
        (and_(Claim.documents_promised_at.isnot(None),
              or_(Claim.documents_completed_at.is_(None),
                  Claim.documents_promised_at < Claim.documents_completed_at)),
         Claim.documents_promised_at),
        else_=Claim.documents_completed_at,
    )


def _paid_claims(scope: Scope, *columns: Any) -> Select:
    return (select(*columns).select_from(Claim).join(Policy, Policy.id == Claim.policy_id)
            .where(scope.in_period(Claim.paid_at), *scope.claim_filters()))


def settlement(scope: Scope) -> List[KpiResult]:
    spec = rules()["settlement"]
    small_max, large_min = spec["small_max"], spec["large_min"]
    hours = spec["small"]["yellow_hours"]
    start = _settlement_start()
    small = and_(_amount() <= small_max, start.isnot(None))
    took = scope.hours(Claim.paid_at, start)
    counted, met = scope.conn.execute(_paid_claims(
        scope, func.count(), func.sum(case((took <= hours + 1e-9, 1), else_=0)),
    ).where(small)).one()
    out = [share(scope, "small_claims_paid_24h", met, counted)]
    out.append(percentile_result(
        scope, "small_claims_pay_hours_p90",
        _paid_claims(scope, took.label("v")).where(small), 0.9))

    # Working days need the holiday calendar: the large band's pairs come back (few rows).
    working_days = spec["large"]["yellow_working_days"]
    pairs = scope.conn.execute(_paid_claims(
        scope, Claim.documents_completed_at, Claim.paid_at,
    ).where(_amount() >= large_min, Claim.documents_completed_at.isnot(None))).all()
    on_time = sum(1 for done, paid in pairs if paid <= add_working_days(done, working_days))
    out.append(share(scope, "large_claims_paid_7wd", on_time, len(pairs)))
    return out


# --- handling time: report to decision, per stage ---------------------------------------------

def _decisions(scope: Scope, *columns: Any) -> Select:
    """Claims' moves into payment or denied in the period (one per claim by the lifecycle)."""
    return (select(*columns).select_from(ClaimEvent)
            .join(Claim, Claim.id == ClaimEvent.claim_id)
            .join(Policy, Policy.id == Claim.policy_id)
            .where(ClaimEvent.to_stage.in_(DECIDED_STAGES), scope.in_period(ClaimEvent.at),
                   *scope.claim_filters()))


def handling(scope: Scope) -> List[KpiResult]:
    total, count = scope.conn.execute(_decisions(
        scope, func.sum(scope.hours(ClaimEvent.at, Claim.reported_at)),
        func.count(func.distinct(Claim.id)))).one()
    return [mean(scope, "handling_hours_avg", total, count)]


def stages(scope: Scope) -> List[KpiResult]:
    left_at = func.lead(ClaimEvent.at).over(
        partition_by=ClaimEvent.claim_id, order_by=(ClaimEvent.at, ClaimEvent.id))
    # A stay that ended in the period ends with an event in it: only those claims' events are
    # ranked (an index range on claim_events.at, not the whole history).
    moved = select(ClaimEvent.claim_id).where(scope.in_period(ClaimEvent.at))
    stays = select(ClaimEvent.claim_id.label("claim_id"), ClaimEvent.to_stage.label("stage"),
                   ClaimEvent.at.label("entered"), left_at.label("left_at")
                   ).where(ClaimEvent.claim_id.in_(moved))
    if scope.line or scope.channel:
        stays = scope.claims_join(stays, ClaimEvent.claim_id)
    stays = stays.subquery()
    took = scope.hours(stays.c.left_at, stays.c.entered)
    ended = and_(stays.c.left_at.isnot(None), scope.in_period(stays.c.left_at))
    averages = {row.stage: (row.total, row.n) for row in scope.conn.execute(
        select(stays.c.stage, func.sum(took).label("total"), func.count().label("n"))
        .where(ended).group_by(stays.c.stage))}
    p90 = nearest_rank(scope.conn, select(stays.c.stage.label("g"), took.label("v")).where(ended),
                       0.9, group=True)
    out: List[KpiResult] = []
    for stage in TIMED_STAGES:
        total, count = averages.get(stage.value, (None, 0))
        out.append(mean(scope, f"stage_hours_avg.{stage.value}", total, count))
        found = p90.get(stage.value)
        out.append(result(scope, f"stage_hours_p90.{stage.value}",
                          found[0] if found else None, None, found[1] if found else 0))
    return out


# --- claims: closure, disputes, documents re-requested -----------------------------------------

def claims(scope: Scope) -> List[KpiResult]:
    reported = (select().select_from(Claim).join(Policy, Policy.id == Claim.policy_id)
                .where(scope.in_period(Claim.reported_at), Claim.stage != S.WITHDRAWN.value,
                       *scope.claim_filters()))
    closed = case((Claim.stage.in_((S.CLOSED.value, S.DENIED.value)), 1), else_=0)
    count, done = scope.conn.execute(reported.add_columns(func.count(), func.sum(closed))).one()
    out = [share(scope, "closure_rate", done, count)]

    disputed = exists().where(Dispute.claim_id == Claim.id)
    decided, with_dispute = scope.conn.execute(_decisions(
        scope, func.count(func.distinct(Claim.id)),
        func.count(func.distinct(case((disputed, Claim.id)))))).one()
    out.append(share(scope, "dispute_rate", with_dispute, decided))

    # The same test as bot.documents.chase.rerequested, in SQL: an item asked for again, rejected,
    # or not named by the first notice (when the claim's first notice is known).
    doc, first = ClaimDocument.__table__.alias("doc"), ClaimDocument.__table__.alias("first")
    first_known = exists().where(first.c.claim_id == doc.c.claim_id, first.c.first_notice.is_(True))
    asked_again = exists().where(doc.c.claim_id == Claim.id, or_(
        doc.c.rerequested_at.isnot(None), doc.c.status == "rejected",
        doc.c.first_notice.is_(False), and_(doc.c.first_notice.is_(None), first_known)))
    has_items = exists().where(ClaimDocument.claim_id == Claim.id)
    count, again = scope.conn.execute(
        select(func.count(), func.sum(case((asked_again, 1), else_=0))).select_from(Claim)
        .join(Policy, Policy.id == Claim.policy_id)
        .where(scope.in_period(Claim.reported_at), has_items, *scope.claim_filters())).one()
    out.append(share(scope, "documents_rerequested_share", again, count))
    return out


# --- proactive notices -------------------------------------------------------------------------

def notices(scope: Scope) -> List[KpiResult]:
    key_moves = or_(*(
        and_(ClaimEvent.to_stage == to.value,
             true() if source is None else ClaimEvent.from_stage == source.value)
        for (source, to) in STAGE_NOTICES
    ))
    # The notice of a move is the one with its dedupe key (bot.outbox.notices.dedupe_key):
    # a lookup on a unique index per move.
    key = ("stage:" + Claim.number + ":" + ClaimEvent.to_stage + ":"
           + func.cast(ClaimEvent.id, Notification.dedupe_key.type))
    sent = exists().where(Notification.dedupe_key == key, Notification.status == "sent")
    count, delivered = scope.conn.execute(
        select(func.count(), func.sum(case((sent, 1), else_=0))).select_from(ClaimEvent)
        .join(Claim, Claim.id == ClaimEvent.claim_id).join(Policy, Policy.id == Claim.policy_id)
        .where(key_moves, scope.in_period(ClaimEvent.at), *scope.claim_filters())).one()
    return [share(scope, "notice_delivery_rate", delivered, count)]


# --- satisfaction ------------------------------------------------------------------------------

def satisfaction(scope: Scope) -> List[KpiResult]:
    query = scope.claims_join(
        select(func.count(), func.sum(SatisfactionScore.score),
               func.sum(case((SatisfactionScore.score >= 8.5, 1), else_=0)))
        .where(scope.in_period(SatisfactionScore.answered_at)),
        SatisfactionScore.claim_id)
    count, total, high = scope.conn.execute(query).one()
    return [mean(scope, "satisfaction_mean", total, count),
            share(scope, "satisfaction_share_8_5", high, count)]


# --- complaints --------------------------------------------------------------------------------

def _complaints(scope: Scope, *columns: Any) -> Select:
    query = select(*columns).select_from(Complaint)
    if scope.line:
        query = (query.join(Claim, Claim.id == Complaint.claim_id)
                 .join(Policy, Policy.id == Claim.policy_id)
                 .where(Policy.line_of_business == scope.line))
    if scope.channel:
        query = query.where(Complaint.channel == scope.channel)
    return query


def complaints(scope: Scope) -> List[KpiResult]:
    from bot.complaints import ACKNOWLEDGE_HOURS, DECISION_DAYS

    received = scope.in_period(Complaint.received_at)
    acked = and_(Complaint.acknowledged_at.isnot(None),
                 scope.hours(Complaint.acknowledged_at, Complaint.received_at)
                 <= ACKNOWLEDGE_HOURS + 1e-9)
    running = and_(Complaint.acknowledged_at.is_(None),
                   Complaint.received_at > scope.as_of - timedelta(hours=ACKNOWLEDGE_HOURS))
    count, met = scope.conn.execute(_complaints(
        scope, func.count(), func.sum(case((acked, 1), else_=0)),
    ).where(received, ~running)).one()
    out = [share(scope, "complaint_ack_48h", met, count)]

    for complexity, days in DECISION_DAYS.items():
        decided = and_(Complaint.decided_at.isnot(None),
                       scope.hours(Complaint.decided_at, Complaint.received_at)
                       <= days * 24 + 1e-9)
        running = and_(Complaint.decided_at.is_(None),
                       Complaint.received_at > scope.as_of - timedelta(days=days))
        count, met = scope.conn.execute(_complaints(
            scope, func.count(), func.sum(case((decided, 1), else_=0)),
        ).where(received, Complaint.complexity == complexity, ~running,
                or_(Complaint.source.is_(None), Complaint.source != "regulator"))).one()
        out.append(share(scope, f"complaint_decided_{days}d", met, count))

    later = Complaint.__table__.alias("later")
    repeated = exists().where(later.c.repeat_of_id == Complaint.id)
    resolved = and_(Complaint.accepted.is_(True), Complaint.repeat_of_id.is_(None), ~repeated)
    count, met = scope.conn.execute(_complaints(
        scope, func.count(), func.sum(case((resolved, 1), else_=0)),
    ).where(scope.in_period(Complaint.decided_at), Complaint.accepted.isnot(None))).one()
    out.append(share(scope, "complaint_first_contact_resolution", met, count))

    count, repeats = scope.conn.execute(_complaints(
        scope, func.count(), func.sum(case((Complaint.repeat_of_id.isnot(None), 1), else_=0)),
    ).where(received)).one()
    out.append(share(scope, "complaint_repeat_rate", repeats, count))
    return out


# --- handoffs, urgent cases, elderly customers -------------------------------------------------

def _handoffs(scope: Scope, *columns: Any) -> Select:
    query = select(*columns).select_from(Handoff).where(scope.in_period(Handoff.created_at))
    if scope.channel:
        query = query.where(Handoff.channel == scope.channel)
    # A customer booking a call-back chose a later time: not a handoff left unanswered.
    waiting_for_callback = and_(Handoff.status == "queued", Handoff.callback_at.isnot(None))
    return query.where(~waiting_for_callback)


def _no_line(scope: Scope, keys: Iterable[str]) -> List[KpiResult]:
    return [result(scope, key, None, note=NO_LINE_NOTE) for key in keys]


def handoffs(scope: Scope) -> List[KpiResult]:
    keys = ("handoff_wait_p50", "handoff_wait_p90", "handoff_answer_rate")
    if scope.line:
        return _no_line(scope, keys)
    waited = scope.hours(Handoff.taken_at, Handoff.created_at) * 60.0
    taken = and_(Handoff.taken_at.isnot(None), Handoff.taken_at <= scope.as_of)
    values = _handoffs(scope, waited.label("v")).where(taken)
    out = [percentile_result(scope, "handoff_wait_p50", values, 0.5),
           percentile_result(scope, "handoff_wait_p90", values, 0.9)]
    count, answered = scope.conn.execute(
        _handoffs(scope, func.count(), func.sum(case((taken, 1), else_=0)))).one()
    out.append(share(scope, "handoff_answer_rate", answered, count))
    return out


def urgent(scope: Scope) -> List[KpiResult]:
    keys = ("urgent_cases", "urgent_minutes_to_person_avg", "urgent_minutes_to_person_p90")
    if scope.line:
        return _no_line(scope, keys)
    is_urgent = Handoff.reason == Reason.URGENT.value
    waited = scope.hours(Handoff.taken_at, Handoff.created_at) * 60.0
    taken = and_(Handoff.taken_at.isnot(None), Handoff.taken_at <= scope.as_of)
    count, total, answered = scope.conn.execute(_handoffs(
        scope, func.count(), func.sum(case((taken, waited))), func.sum(case((taken, 1), else_=0)),
    ).where(is_urgent)).one()
    return [
        result(scope, "urgent_cases", float(count), float(count)),
        mean(scope, "urgent_minutes_to_person_avg", total, answered),
        percentile_result(scope, "urgent_minutes_to_person_p90",
                          _handoffs(scope, waited.label("v")).where(is_urgent, taken), 0.9),
    ]


def elderly(scope: Scope) -> List[KpiResult]:
    keys = ("elderly_handoffs", "elderly_served_by_person")
    if scope.line:
        return _no_line(scope, keys)
    taken = and_(Handoff.taken_at.isnot(None), Handoff.taken_at <= scope.as_of)
    count, served = scope.conn.execute(_handoffs(
        scope, func.count(), func.sum(case((taken, 1), else_=0)),
    ).where(Handoff.priority >= ELDERLY_BONUS)).one()
    return [result(scope, "elderly_handoffs", float(count), float(count)),
            share(scope, "elderly_served_by_person", served, count)]


# --- traffic lights and escalations ------------------------------------------------------------

def lights(scope: Scope) -> List[KpiResult]:
    """Open claims by light as of the report (their deadline clocks, bot/claims/deadlines.py).

    Open claims are the working set, not the year's history: they are loaded with their events.
    """
    counts = {light: 0 for light in Light}
    with Session(bind=scope.conn) as session:
        query = (select(Claim).join(Policy, Policy.id == Claim.policy_id)
                 .where(Claim.stage.in_([stage.value for stage in OPEN_STAGES]),
                        Claim.reported_at < scope.as_of, *scope.claim_filters())
                 .options(selectinload(Claim.events), selectinload(Claim.policy),
                          selectinload(Claim.documents)))
        for claim in session.scalars(query):
            counts[claim_deadlines(to_view(claim), scope.as_of).light] += 1
    out = [result(scope, f"lights_{light.value}", float(n), float(n))
           for light, n in counts.items()]
    total, regulator = scope.conn.execute(scope.claims_join(
        select(func.count(), func.sum(case((Escalation.regulator_report.is_(True), 1),
                                           else_=0)))
        .where(scope.in_period(Escalation.created_at)), Escalation.claim_id)).one()
    out.append(result(scope, "escalations", float(total), float(total)))
    out.append(result(scope, "escalations_regulator", float(regulator or 0),
                      float(regulator or 0)))
    return out


def channels_in(period: Period, url: str | None = None) -> list[str]:
    """The channels claims were reported through in `period`, for a per-channel breakdown."""
    with engine_for(url).connect() as conn:
        found = conn.execute(select(Claim.channel).distinct().where(
            Claim.reported_at >= period.start, Claim.reported_at < period.end,
            Claim.channel.isnot(None)).order_by(Claim.channel))
        return [row[0] for row in found]


SECTIONS = (settlement, handling, stages, claims, notices, satisfaction, complaints, handoffs,
            urgent, elderly, lights)


def compute(period: Period, line: str | None = None, channel: str | None = None,
            url: str | None = None, now: datetime | None = None) -> List[KpiResult]:
    """Every KPI over `period` (naive UTC, half-open), for one line of business and/or channel
    (None: all), as of `now` (default: the clock) or the period's end when that is earlier.

    Raises UnknownLine for a line of business the store does not know.
    """
    if line is not None and line not in LINES_OF_BUSINESS:
        raise UnknownLine(f"unknown line of business {line!r}; known: "
                          + ", ".join(LINES_OF_BUSINESS))
    as_of = min(as_utc_naive(now), period.end)
    with engine_for(url).connect() as conn:
        scope = Scope(conn, period, line, channel or None, as_of)
        return [item for section in SECTIONS for item in section(scope)]
