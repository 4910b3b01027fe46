"""Claim lifecycle: reading a claim or a customer's claims (audited), moving a claim to its next
stage with the customer's notice queued in the same transaction, and the deadlines of stored
claims (the rules themselves are bot.claims.deadlines, computed on views)."""
from __future__ import annotations

from datetime import datetime

from bot.claims.deadlines import ClaimDeadlines, claim_deadlines, sort_by_light
from bot.claims.model import (
    ALLOWED_TRANSITIONS,
    OPEN_STAGES,
    ClaimNotFound,
    ClaimStage,
    ClaimView,
    InvalidTransition,
    to_view,
)
from bot.clock import as_utc_naive
from bot.outbox.notices import REFUSAL_NOTICE_KIND, queue_stage_notice
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import Claim, ClaimEvent


def claim_view(number: str, *, actor: str | None = None, url: str | None = None) -> ClaimView:
    """The claim `number`; with `actor`, the read is written to the audit log.

    Raises ClaimNotFound.
    """
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(number)
        if claim is None:
            raise ClaimNotFound(number)
        view = to_view(claim)
        if actor is not None:
            uow.audit.record(actor, "claim.read", "claim", claim.number)
            uow.commit()
        return view


def claims_of_policy_holder(
    policy_number: str, *, actor: str, url: str | None = None
) -> list[ClaimView]:
    """All claims of the customer who holds `policy_number`, newest first; [] for an unknown
    policy. Call only after identity verification: the read is audited under `actor`
    (e.g. "conversation:<sender_id>")."""
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number(policy_number)
        if policy is None:
            return []
        views = [to_view(claim) for claim in uow.claims.of_customer(policy.customer_id)]
        uow.audit.record(
            actor,
            "claims.read",
            "customer",
            policy.customer_id,
            {"policy_number": policy.number, "claims": [view.number for view in views]},
        )
        uow.commit()
        return views


def advance_claim(
    number: str,
    stage: ClaimStage | str,
    *,
    actor: str,
    note: str | None = None,
    now: datetime | None = None,
    url: str | None = None,
) -> ClaimView:
    """Move claim `number` to `stage`, append the stage event, audit it and queue the customer's
    notice of it (bot.outbox.notices) in the same transaction; returns the new view.

    An invalid move changes nothing on the claim, is recorded in the audit log as refused and
    raises InvalidTransition. An unknown claim raises ClaimNotFound; an unknown stage ValueError.
    """
    to_stage = ClaimStage(stage)
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number_for_update(number)
        if claim is None:
            raise ClaimNotFound(number)
        from_stage = ClaimStage(claim.stage)
        if to_stage not in ALLOWED_TRANSITIONS[from_stage]:
            uow.audit.record(
                actor,
                "claim.advance_refused",
                "claim",
                claim.number,
                {"from": from_stage.value, "to": to_stage.value, "note": note},
                at=at,
            )
            uow.commit()
            raise InvalidTransition(claim.number, from_stage, to_stage)
        move_in(uow, claim, to_stage, actor=actor, note=note, at=at)
        view = to_view(claim)
        uow.commit()
        return view


def move_in(uow: UnitOfWork, claim: Claim, stage: ClaimStage | str, *, actor: str,
            note: str | None, at: datetime) -> ClaimEvent:
    """Move a loaded claim to `stage` inside the caller's unit of work (the caller commits):
    the stage event, the audit entry and the customer's notice, which is rendered from what the
    claim holds at this moment (a decision's amount, reason and clause are set first).

    Raises InvalidTransition (nothing changed, nothing audited: the caller records refusals)."""
    from_stage = ClaimStage(claim.stage)
    to_stage = ClaimStage(stage)
    if to_stage not in ALLOWED_TRANSITIONS[from_stage]:
        raise InvalidTransition(claim.number, from_stage, to_stage)
    claim.stage = to_stage.value
    if (
        from_stage is ClaimStage.DOCUMENTS_REVIEW
        and to_stage in (ClaimStage.INVESTIGATION, ClaimStage.ASSESSMENT)
        and claim.documents_completed_at is None
    ):
        # Leaving document review means the file is complete; the decision clock
        # (law Art. 23: 30 days) starts here unless the documents module set it earlier.
        claim.documents_completed_at = at
    event = uow.claims.add_event(
        claim, from_stage=from_stage.value, to_stage=to_stage.value, actor=actor, at=at,
        note=note,
    )
    uow.audit.record(
        actor,
        "claim.advance",
        "claim",
        claim.number,
        {"from": from_stage.value, "to": to_stage.value, "note": note},
        at=at,
    )
    uow.flush()
    # The customer's notice is queued in this same transaction (outbox): the stage change
    # and its message are saved together or not at all.
    queue_stage_notice(uow, claim, event)
    uow.flush()
    return event


def deadlines_of(number: str, now: datetime | None = None, *,
                 url: str | None = None) -> ClaimDeadlines | None:
    """The deadlines of claim `number` read from the store (None for an unknown claim), with the
    refusal-notice clock stopped by the outbox's sent denial notice."""
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(number)
        if claim is None:
            return None
        sent = uow.notifications.first_sent_at(claim.id, REFUSAL_NOTICE_KIND)
        return claim_deadlines(to_view(claim), now, refusal_notice_sent_at=sent)


def open_claims_by_light(now: datetime | None = None, *,
                         url: str | None = None) -> list[ClaimDeadlines]:
    """Every open claim's deadlines, red first (see bot.claims.deadlines.sort_by_light)."""
    with unit_of_work(url) as uow:
        items = [
            claim_deadlines(
                to_view(claim), now,
                refusal_notice_sent_at=uow.notifications.first_sent_at(claim.id,
                                                                       REFUSAL_NOTICE_KIND))
            for claim in uow.claims.list()
            if ClaimStage(claim.stage) in OPEN_STAGES
        ]
    return sort_by_light(items)
