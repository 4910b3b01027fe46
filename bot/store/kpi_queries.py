"""The SQL behind the service KPIs (bot/kpis): aggregates over one period, one line of business
and one channel, giving plain numbers; bot/kpis turns them into figures beside their targets.

Counts, sums and shares are single aggregate queries; percentiles are ranked in SQL (window
functions, the same on SQLite and PostgreSQL), so no row list comes back to Python. The rules
(thresholds, stages, reasons) come in as arguments: the store knows tables, not the standards.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, Select

from bot.store.models import (
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

Percentile = tuple[float | None, int]  # (value, how many values it was ranked among)


def claim_filters(line: str | None, channel: str | None) -> list[ColumnElement]:
    """The conditions on a query joining claims and policies for one line of business and one
    claim channel (None: any). Also used by bot/store/series_queries.py."""
    conditions: list[ColumnElement] = []
    if line is not None:
        conditions.append(Policy.line_of_business == line)
    if channel is not None:
        conditions.append(Claim.channel == channel)
    return conditions


def nearest_rank(conn: Connection, values: Select, fraction: float) -> Percentile:
    """The nearest-rank percentile of column `v` of `values`: row_number against
    ceil(fraction * count) in integers, so SQLite needs no math functions."""
    sub = values.subquery()
    per_mille = int(round(fraction * 1000))
    ranked = select(
        sub.c.v.label("v"),
        func.row_number().over(order_by=sub.c.v).label("rn"),
        func.count().over().label("n"),
    ).where(sub.c.v.isnot(None)).subquery()
    row = conn.execute(select(ranked.c.v, ranked.c.n).where(
        ranked.c.rn == (ranked.c.n * per_mille + 999) / 1000)).first()
    return (float(row.v), int(row.n)) if row else (None, 0)


@dataclass(frozen=True)
class KpiQueries:
    """One period [start, end), optional line and channel, and the as-of time (clocks still
    running then are left out)."""

    conn: Connection
    start: datetime
    end: datetime
    line: str | None
    channel: str | None
    as_of: datetime

    # --- building blocks -----------------------------------------------------------------------

    def hours(self, later: Any, earlier: Any) -> ColumnElement:
        """(later - earlier) in hours as a float, in this database's dialect."""
        if self.conn.dialect.name == "sqlite":
            return (func.julianday(later) - func.julianday(earlier)) * 24.0
        return func.extract("epoch", later - earlier) / 3600.0

    def in_period(self, column: Any) -> ColumnElement:
        return and_(column >= self.start, column < self.end)

    def claim_filters(self) -> list[ColumnElement]:
        return claim_filters(self.line or None, self.channel or None)

    def claims_join(self, query: Select, claim_id: Any) -> Select:
        """Join claims and policies on `claim_id` only when a filter needs them."""
        if not (self.line or self.channel):
            return query
        return (query.join(Claim, Claim.id == claim_id)
                .join(Policy, Policy.id == Claim.policy_id).where(*self.claim_filters()))

    def one(self, query: Select) -> tuple:
        return tuple(self.conn.execute(query).one())

    # --- settlement ----------------------------------------------------------------------------

    @staticmethod
    def _amount() -> ColumnElement:
        return func.coalesce(Claim.approved_amount, Claim.estimated_amount)

    @staticmethod
    def _settlement_start() -> ColumnElement:
        """documents_completed_at, or the customer's earlier documents-later promise."""
        return case(
            (and_(Claim.documents_promised_at.isnot(None),
                  or_(Claim.documents_completed_at.is_(None),
                      Claim.documents_promised_at < Claim.documents_completed_at)),
             Claim.documents_promised_at),
            else_=Claim.documents_completed_at)

    def _paid(self, *columns: Any) -> Select:
        return (select(*columns).select_from(Claim).join(Policy, Policy.id == Claim.policy_id)
                .where(self.in_period(Claim.paid_at), *self.claim_filters()))

    def small_claims_paid(self, small_max: float, within_hours: float,
                          fraction: float) -> tuple[int, int, Percentile]:
        """Small claims paid in the period: how many, how many within the hours, and the
        percentile of hours from settlement start (documents complete or promised) to paid."""
        start = self._settlement_start()
        small = and_(self._amount() <= small_max, start.isnot(None))
        took = self.hours(Claim.paid_at, start)
        count, met = self.one(self._paid(
            func.count(), func.sum(case((took <= within_hours + 1e-9, 1), else_=0))).where(small))
        return count, met or 0, nearest_rank(self.conn, self._paid(took.label("v")).where(small),
                                             fraction)

    def large_claims_paid(self, large_min: float) -> list[tuple[datetime, datetime]]:
        """(documents complete, paid) of the large claims paid in the period: working days
        need the holiday calendar, so these few pairs come back."""
        return [tuple(row) for row in self.conn.execute(self._paid(
            Claim.documents_completed_at, Claim.paid_at,
        ).where(self._amount() >= large_min, Claim.documents_completed_at.isnot(None)))]

    # --- decisions, stages -----------------------------------------------------------------------

    def _decisions(self, stages: Sequence[str], *columns: Any) -> Select:
        return (select(*columns).select_from(ClaimEvent)
                .join(Claim, Claim.id == ClaimEvent.claim_id)
                .join(Policy, Policy.id == Claim.policy_id)
                .where(ClaimEvent.to_stage.in_(stages), self.in_period(ClaimEvent.at),
                       *self.claim_filters()))

    def decisions(self, stages: Sequence[str]) -> tuple[int, float | None, int]:
        """Claims moved into one of `stages` in the period: how many, the sum of hours from
        report to that move, and how many of them have a dispute."""
        disputed = exists().where(Dispute.claim_id == Claim.id)
        count, total, with_dispute = self.one(self._decisions(
            stages, func.count(func.distinct(Claim.id)),
            func.sum(self.hours(ClaimEvent.at, Claim.reported_at)),
            func.count(func.distinct(case((disputed, Claim.id))))))
        return count, total, with_dispute

    def stage_stays(self, fraction: float) -> dict[str, tuple[float, int, float]]:
        """Per stage, the stays that ended in the period: (sum of hours, count, percentile)."""
        left_at = func.lead(ClaimEvent.at).over(
            partition_by=ClaimEvent.claim_id, order_by=(ClaimEvent.at, ClaimEvent.id))
        # A stay that ended in the period ends with an event in it: only those claims' events
        # are ranked (an index range on claim_events.at, not the whole history).
        moved = select(ClaimEvent.claim_id).where(self.in_period(ClaimEvent.at))
        stays = self.claims_join(
            select(ClaimEvent.to_stage.label("stage"), ClaimEvent.at.label("entered"),
                   left_at.label("left_at")).where(ClaimEvent.claim_id.in_(moved)),
            ClaimEvent.claim_id).subquery()
        took = self.hours(stays.c.left_at, stays.c.entered)
        ranked = select(
            stays.c.stage.label("stage"), took.label("v"),
            func.row_number().over(partition_by=stays.c.stage, order_by=took).label("rn"),
            func.count().over(partition_by=stays.c.stage).label("n"),
        ).where(stays.c.left_at.isnot(None), self.in_period(stays.c.left_at)).subquery()
        wanted = (ranked.c.n * int(round(fraction * 1000)) + 999) / 1000
        rows = self.conn.execute(
            select(ranked.c.stage, func.sum(ranked.c.v), func.count(),
                   func.max(case((ranked.c.rn == wanted, ranked.c.v))))
            .group_by(ranked.c.stage))
        return {stage: (float(total), int(n), float(p)) for stage, total, n, p in rows}

    # --- claims reported -----------------------------------------------------------------------

    def _reported(self, *columns: Any) -> Select:
        return (select(*columns).select_from(Claim).join(Policy, Policy.id == Claim.policy_id)
                .where(self.in_period(Claim.reported_at), *self.claim_filters()))

    def closure(self, final: Sequence[str], left_out: Sequence[str],
                open_stages: Sequence[str]) -> tuple[int, int]:
        """(claims closed in the period, claims still open at its end). Closed in the period:
        the claim's first move into one of the `final` stages is in it. Still open at the end
        (the as-of time): reported before it and no move into a `final` or `left_out` stage
        before it (and open now, or closed since: a final claim with no recorded move is not
        counted open)."""
        ended = tuple(final) + tuple(left_out)
        first_final = (select(ClaimEvent.claim_id.label("claim_id"),
                              func.min(ClaimEvent.at).label("at"))
                       .where(ClaimEvent.to_stage.in_(final))
                       .group_by(ClaimEvent.claim_id).subquery())
        closed = self.one(
            select(func.count()).select_from(Claim)
            .join(Policy, Policy.id == Claim.policy_id)
            .join(first_final, first_final.c.claim_id == Claim.id)
            .where(self.in_period(first_final.c.at), Claim.stage.notin_(left_out),
                   *self.claim_filters()))[0]
        ended_before = exists().where(ClaimEvent.claim_id == Claim.id,
                                      ClaimEvent.to_stage.in_(ended),
                                      ClaimEvent.at < self.as_of)
        ended_since = exists().where(ClaimEvent.claim_id == Claim.id,
                                     ClaimEvent.to_stage.in_(ended),
                                     ClaimEvent.at >= self.as_of)
        still_open = self.one(
            select(func.count()).select_from(Claim)
            .join(Policy, Policy.id == Claim.policy_id)
            .where(Claim.reported_at < self.as_of, ~ended_before,
                   or_(Claim.stage.in_(open_stages), ended_since), *self.claim_filters()))[0]
        return closed or 0, still_open or 0

    def documents_rerequested(self) -> tuple[int, int]:
        """Claims reported in the period with a checklist, and how many had an item asked for
        again: re-requested, rejected, or not named by the first notice when that notice is
        known (the test of bot.documents.chase.rerequested)."""
        doc, first = ClaimDocument.__table__.alias("doc"), ClaimDocument.__table__.alias("first")
        first_known = exists().where(first.c.claim_id == doc.c.claim_id,
                                     first.c.first_notice.is_(True))
        asked_again = exists().where(doc.c.claim_id == Claim.id, or_(
            doc.c.rerequested_at.isnot(None), doc.c.status == "rejected",
            doc.c.first_notice.is_(False), and_(doc.c.first_notice.is_(None), first_known)))
        has_items = exists().where(ClaimDocument.claim_id == Claim.id)
        count, again = self.one(self._reported(
            func.count(), func.sum(case((asked_again, 1), else_=0))).where(has_items))
        return count, again or 0

    # --- proactive notices ---------------------------------------------------------------------

    def key_moves_notified(self, moves: Iterable[tuple[str | None, str]]) -> tuple[int, int]:
        """Stage moves in the period that are key nodes ((from or None for any, to)), and how
        many of them had their notice sent (matched by its dedupe key,
        "stage:<claim>:<to>:<event id>": one lookup on a unique index per move)."""
        key_moves = or_(*(and_(ClaimEvent.to_stage == to,
                               true() if source is None else ClaimEvent.from_stage == source)
                          for source, to in moves))
        key = ("stage:" + Claim.number + ":" + ClaimEvent.to_stage + ":"
               + func.cast(ClaimEvent.id, Notification.dedupe_key.type))
        sent = exists().where(Notification.dedupe_key == key, Notification.status == "sent")
        count, delivered = self.one(
            select(func.count(), func.sum(case((sent, 1), else_=0))).select_from(ClaimEvent)
            .join(Claim, Claim.id == ClaimEvent.claim_id)
            .join(Policy, Policy.id == Claim.policy_id)
            .where(key_moves, self.in_period(ClaimEvent.at), *self.claim_filters()))
        return count, delivered or 0

    # --- satisfaction --------------------------------------------------------------------------

    def satisfaction(self, high: float) -> tuple[int, float | None, int]:
        """Scores answered in the period: how many, their sum, how many at `high` or above."""
        count, total, above = self.one(self.claims_join(
            select(func.count(), func.sum(SatisfactionScore.score),
                   func.sum(case((SatisfactionScore.score >= high, 1), else_=0)))
            .where(self.in_period(SatisfactionScore.answered_at)), SatisfactionScore.claim_id))
        return count, total, above or 0

    # --- complaints ----------------------------------------------------------------------------

    def _complaints(self, *columns: Any) -> Select:
        query = select(*columns).select_from(Complaint)
        if self.line:
            query = (query.join(Claim, Claim.id == Complaint.claim_id)
                     .join(Policy, Policy.id == Claim.policy_id)
                     .where(Policy.line_of_business == self.line))
        if self.channel:
            query = query.where(Complaint.channel == self.channel)
        return query

    def complaints_acknowledged(self, within_hours: float) -> tuple[int, int]:
        """Complaints received in the period, but those unacknowledged whose hours had not run
        out as of the report: how many, how many acknowledged within the hours."""
        acked = and_(Complaint.acknowledged_at.isnot(None),
                     self.hours(Complaint.acknowledged_at, Complaint.received_at)
                     <= within_hours + 1e-9)
        running = and_(Complaint.acknowledged_at.is_(None),
                       Complaint.received_at > self.as_of - timedelta(hours=within_hours))
        count, met = self.one(self._complaints(
            func.count(), func.sum(case((acked, 1), else_=0)),
        ).where(self.in_period(Complaint.received_at), ~running))
        return count, met or 0

    def complaints_decided(self, complexity: str, within_days: int,
                           skip_source: str) -> tuple[int, int]:
        """Complaints of `complexity` received in the period (not from `skip_source`, nor
        undecided with days left as of the report): how many, how many decided in time."""
        decided = and_(Complaint.decided_at.isnot(None),
                       self.hours(Complaint.decided_at, Complaint.received_at)
                       <= within_days * 24 + 1e-9)
        running = and_(Complaint.decided_at.is_(None),
                       Complaint.received_at > self.as_of - timedelta(days=within_days))
        count, met = self.one(self._complaints(
            func.count(), func.sum(case((decided, 1), else_=0)),
        ).where(self.in_period(Complaint.received_at), Complaint.complexity == complexity,
                ~running, or_(Complaint.source.is_(None), Complaint.source != skip_source)))
        return count, met or 0

    def complaints_resolved_first_time(self) -> tuple[int, int]:
        """Complaints decided in the period whose customer answered: how many, and how many
        were accepted, are not a repeat and were not complained about again."""
        later = Complaint.__table__.alias("later")
        repeated = exists().where(later.c.repeat_of_id == Complaint.id)
        resolved = and_(Complaint.accepted.is_(True), Complaint.repeat_of_id.is_(None),
                        ~repeated)
        count, met = self.one(self._complaints(
            func.count(), func.sum(case((resolved, 1), else_=0)),
        ).where(self.in_period(Complaint.decided_at), Complaint.accepted.isnot(None)))
        return count, met or 0

    def complaints_repeated(self) -> tuple[int, int]:
        """Complaints received in the period, and how many are a repeat of an earlier one."""
        count, repeats = self.one(self._complaints(
            func.count(), func.sum(case((Complaint.repeat_of_id.isnot(None), 1), else_=0)),
        ).where(self.in_period(Complaint.received_at)))
        return count, repeats or 0

    # --- handoffs ------------------------------------------------------------------------------

    def _handoffs(self, *columns: Any) -> Select:
        query = select(*columns).select_from(Handoff).where(self.in_period(Handoff.created_at))
        if self.channel:
            query = query.where(Handoff.channel == self.channel)
        # A customer who booked a call-back chose a later time: not left unanswered.
        waiting_for_callback = and_(Handoff.status == "queued", Handoff.callback_at.isnot(None))
        # Taken after the as-of time: still waiting then, neither answered nor missed yet.
        taken_later = and_(Handoff.taken_at.isnot(None), Handoff.taken_at > self.as_of)
        return query.where(~waiting_for_callback, ~taken_later)

    def _taken(self) -> ColumnElement:
        return and_(Handoff.taken_at.isnot(None), Handoff.taken_at <= self.as_of)

    def _waited_minutes(self) -> ColumnElement:
        return self.hours(Handoff.taken_at, Handoff.created_at) * 60.0

    def handoff_waits(self, fraction: float, reason: str | None = None) -> Percentile:
        """The percentile of minutes to a person of the handoffs created in the period and
        taken (of one reason when given)."""
        query = self._handoffs(self._waited_minutes().label("v")).where(self._taken())
        if reason:
            query = query.where(Handoff.reason == reason)
        return nearest_rank(self.conn, query, fraction)

    def handoffs_answered(self, reason: str | None = None,
                          min_priority: int | None = None) -> tuple[int, int, float | None]:
        """Handoffs created in the period (of a reason, or at a priority or above): how many,
        how many a person took, and the sum of minutes they waited."""
        taken = self._taken()
        query = self._handoffs(func.count(), func.sum(case((taken, 1), else_=0)),
                               func.sum(case((taken, self._waited_minutes()))))
        if reason:
            query = query.where(Handoff.reason == reason)
        if min_priority is not None:
            query = query.where(Handoff.priority >= min_priority)
        count, answered, minutes = self.one(query)
        return count, answered or 0, minutes

    # --- lights and escalations ----------------------------------------------------------------

    def escalations(self) -> tuple[int, int]:
        """Escalations raised in the period, and how many are on the regulator's list."""
        total, regulator = self.one(self.claims_join(
            select(func.count(), func.sum(case((Escalation.regulator_report.is_(True), 1),
                                               else_=0)))
            .where(self.in_period(Escalation.created_at)), Escalation.claim_id))
        return total, regulator or 0


def channels_in(conn: Connection, start: datetime, end: datetime) -> list[str]:
    """The channels claims were reported through in [start, end)."""
    return [row[0] for row in conn.execute(
        select(Claim.channel).distinct().where(
            Claim.reported_at >= start, Claim.reported_at < end, Claim.channel.isnot(None))
        .order_by(Claim.channel))]



def stored_channels(conn: Connection) -> list[str]:
    """Every channel value the claims, complaints and handoffs hold."""
    found: set[str] = set()
    for column in (Claim.channel, Complaint.channel, Handoff.channel):
        found.update(row[0] for row in conn.execute(
            select(column).distinct().where(column.isnot(None))))
    return sorted(found)
