"""The SQL behind the supervisors' dashboard series (bot/kpis/series.py): the rows of one period
[start, end), optionally one line of business and one channel, that bot/kpis/series.py cuts into
local days.

Unlike bot/store/kpi_queries.py (one aggregate per figure), these return rows: each chart is
counted per day in Python. Every query reads whole columns once (no per-claim query), so the
dashboard stays fast on 100,000 claims (benchmarks/dashboard.py). The rules (which stages are
open or final, which notice is the refusal) come in as arguments: the store knows tables, not
the standards.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot.store.kpi_queries import claim_filters
from bot.store.models import (
    Claim,
    ClaimEvent,
    Complaint,
    Handoff,
    Notification,
    Policy,
    SatisfactionScore,
)

# --- the claims pass: stages, lights, settlement ----------------------------------------------


def _in_play(start: datetime, end: datetime, line: str | None, channel: str | None,
             open_stages: Sequence[str], final_stages: Sequence[str]) -> Select:
    """The ids of the claims reported before `end` that are open now or reach a final stage at
    or after `start` (a claim denied before and closed within the period is read)."""
    finishing = select(ClaimEvent.claim_id).where(ClaimEvent.to_stage.in_(final_stages),
                                                  ClaimEvent.at >= start)
    return (
        select(Claim.id)
        .join(Policy, Policy.id == Claim.policy_id)
        .where(Claim.reported_at < end,
               or_(Claim.stage.in_(open_stages), Claim.id.in_(finishing)),
               *claim_filters(line, channel))
    )


def claims_in_play(session: Session, start: datetime, end: datetime, line: str | None,
                   channel: str | None, open_stages: Sequence[str],
                   final_stages: Sequence[str]) -> list[Any]:
    """The claims in play in the period (see _in_play), one row each: id, number, stage,
    reported_at, documents_completed_at, documents_promised_at, paid_at, estimated_amount,
    approved_amount, line_of_business."""
    query = (
        select(Claim.id, Claim.number, Claim.stage, Claim.reported_at,
               Claim.documents_completed_at, Claim.documents_promised_at, Claim.paid_at,
               Claim.estimated_amount, Claim.approved_amount, Policy.line_of_business)
        .join(Policy, Policy.id == Claim.policy_id)
        .where(Claim.id.in_(_in_play(start, end, line, channel, open_stages, final_stages)))
    )
    return list(session.execute(query))


def events_in_play(session: Session, start: datetime, end: datetime, line: str | None,
                   channel: str | None, open_stages: Sequence[str],
                   final_stages: Sequence[str]) -> list[tuple[int, str | None, str, datetime]]:
    """The stage moves of the claims in play, (claim id, from stage, to stage, at), in order
    per claim (by time, then by event id)."""
    query = (
        select(ClaimEvent.claim_id, ClaimEvent.from_stage, ClaimEvent.to_stage, ClaimEvent.at)
        .where(ClaimEvent.claim_id.in_(
            _in_play(start, end, line, channel, open_stages, final_stages)))
        .order_by(ClaimEvent.claim_id, ClaimEvent.at, ClaimEvent.id)
    )
    return [tuple(row) for row in session.execute(query)]


def first_notices_sent(session: Session, kind: str, before: datetime) -> dict[int, datetime]:
    """Claim id -> when its first `kind` notice was sent, for every claim sent one before
    `before` (the bulk form of NotificationRepository.first_sent_at)."""
    query = (select(Notification.claim_id, func.min(Notification.sent_at))
             .where(Notification.kind == kind, Notification.status == "sent",
                    Notification.claim_id.is_not(None), Notification.sent_at < before)
             .group_by(Notification.claim_id))
    return {claim_id: sent for claim_id, sent in session.execute(query)}


# --- complaints, satisfaction, handoffs, notices ----------------------------------------------

def complaints_received(session: Session, start: datetime, end: datetime, line: str | None,
                        channel: str | None) -> list[tuple]:
    """Complaints received in the period: (reference, received_at, acknowledged_at,
    decided_at, complexity, source, claim number or None). The line filters on the complaint's
    claim, the channel on the complaint's own channel."""
    query = (
        select(Complaint.reference, Complaint.received_at, Complaint.acknowledged_at,
               Complaint.decided_at, Complaint.complexity, Complaint.source, Claim.number)
        .outerjoin(Claim, Claim.id == Complaint.claim_id)
        .outerjoin(Policy, Policy.id == Claim.policy_id)
        .where(Complaint.received_at >= start, Complaint.received_at < end)
    )
    if line is not None:
        query = query.where(Policy.line_of_business == line)
    if channel is not None:
        query = query.where(Complaint.channel == channel)
    return [tuple(row) for row in session.execute(query)]


def scores_answered(session: Session, start: datetime, end: datetime, line: str | None,
                    channel: str | None) -> list[tuple]:
    """Satisfaction scores answered in the period: (answered_at, score, claim number)."""
    query = (
        select(SatisfactionScore.answered_at, SatisfactionScore.score, Claim.number)
        .join(Claim, Claim.id == SatisfactionScore.claim_id)
        .join(Policy, Policy.id == Claim.policy_id)
        .where(SatisfactionScore.answered_at >= start, SatisfactionScore.answered_at < end,
               *claim_filters(line, channel))
    )
    return [tuple(row) for row in session.execute(query)]


def handoffs_queued(session: Session, start: datetime, end: datetime,
                    channel: str | None) -> list[tuple]:
    """Handoffs queued in the period: (created_at, taken_at, summary). Handoffs carry no line
    of business."""
    query = (select(Handoff.created_at, Handoff.taken_at, Handoff.summary)
             .where(Handoff.created_at >= start, Handoff.created_at < end))
    if channel is not None:
        query = query.where(Handoff.channel == channel)
    return [tuple(row) for row in session.execute(query)]


def notices_created(session: Session, start: datetime, end: datetime, line: str | None,
                    channel: str | None) -> list[tuple]:
    """Notices about a claim created in the period: (created_at, channel, status, sent_at,
    claim number). The channel filters on the notice's own channel."""
    query = (
        select(Notification.created_at, Notification.channel, Notification.status,
               Notification.sent_at, Claim.number)
        .join(Claim, Claim.id == Notification.claim_id)
        .join(Policy, Policy.id == Claim.policy_id)
        .where(Notification.created_at >= start, Notification.created_at < end)
    )
    if line is not None:
        query = query.where(Policy.line_of_business == line)
    if channel is not None:
        query = query.where(Notification.channel == channel)
    return [tuple(row) for row in session.execute(query)]
