"""Claim lifecycle: allowed and refused stage moves, events, audit, and the read model."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from bot.claims.lifecycle import advance_claim, claim_view, claims_of_policy_holder
from bot.claims.model import ALLOWED_TRANSITIONS, ClaimNotFound, ClaimStage, InvalidTransition
from bot.store.db import unit_of_work
from bot.store.models import Claim

S = ClaimStage
COLLISION = "CLM-2026-000004"  # 张伟, documents_review
HOSPITAL = "CLM-2026-000003"  # 李秀英, assessment
THEFT = "CLM-2026-000002"  # John Smith, denied
WATER = "CLM-2026-000001"  # John Smith, closed

# The lifecycle of DOMAIN.md, written out independently of ALLOWED_TRANSITIONS.
EXPECTED = {
    S.REPORTED: {S.DOCUMENTS_REVIEW, S.DENIED, S.WITHDRAWN},
    S.DOCUMENTS_REVIEW: {S.INVESTIGATION, S.ASSESSMENT, S.DENIED, S.WITHDRAWN},
    S.INVESTIGATION: {S.ASSESSMENT, S.DENIED, S.WITHDRAWN},
    S.ASSESSMENT: {S.PAYMENT, S.DENIED, S.WITHDRAWN},
    S.PAYMENT: {S.CLOSED},
    S.DENIED: {S.CLOSED},
    S.CLOSED: set(),
    S.WITHDRAWN: set(),
}


def test_transition_table_matches_the_domain() -> None:
    assert {stage: set(targets) for stage, targets in ALLOWED_TRANSITIONS.items()} == EXPECTED


def test_stage_is_a_string_with_labels() -> None:
    assert S.DOCUMENTS_REVIEW == "documents_review"
    assert f"{S.DOCUMENTS_REVIEW}" == "documents_review"
    assert S.DENIED.label("zh") == "拒赔" and S.DENIED.label("en") == "Denied"


def _snapshot(url: str, number: str) -> tuple:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(number)
        assert claim is not None
        return (claim.stage, len(claim.events), claim.documents_completed_at, claim.paid_at)


def _new_claim(url: str, stage: ClaimStage) -> str:
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number("AUTO-2026-0001")
        number = uow.claims.next_claim_number(2026)
        reported_at = datetime(2026, 11, 21, 1, 0)
        claim = uow.claims.add(Claim(
            number=number, policy=policy, stage=stage.value, incident_type="glass",
            reported_at=reported_at, flags=[],
        ))
        uow.claims.add_event(
            claim, from_stage=None, to_stage=stage.value, actor="bot", at=reported_at
        )
        uow.commit()
    return number


def test_advance_moves_the_claim_and_records_event_and_audit(
    seeded_url: str, now: datetime
) -> None:
    view = advance_claim(
        COLLISION, "assessment", actor="core-system", note="材料齐全", now=now, url=seeded_url
    )
    assert view.stage is S.ASSESSMENT
    last = view.events[-1]
    assert (last.from_stage, last.to_stage, last.actor, last.note, last.at) == (
        S.DOCUMENTS_REVIEW, S.ASSESSMENT, "core-system", "材料齐全", now,
    )
    # Leaving document review starts the decision clock.
    assert view.documents_completed_at == now
    with unit_of_work(seeded_url) as uow:
        entries = uow.audit.for_subject("claim", COLLISION)
        assert [(e.action, e.actor, e.detail["from"], e.detail["to"]) for e in entries] == [
            ("claim.advance", "core-system", "documents_review", "assessment")
        ]


def test_full_happy_path_to_closed(seeded_url: str, now: datetime) -> None:
    number = _new_claim(seeded_url, S.REPORTED)
    for stage in (S.DOCUMENTS_REVIEW, S.INVESTIGATION, S.ASSESSMENT, S.PAYMENT, S.CLOSED):
        view = advance_claim(number, stage, actor="core-system", now=now, url=seeded_url)
        assert view.stage is stage
    assert [e.to_stage for e in view.events] == [
        S.REPORTED, S.DOCUMENTS_REVIEW, S.INVESTIGATION, S.ASSESSMENT, S.PAYMENT, S.CLOSED,
    ]
    assert not view.is_open


def test_denied_claim_can_be_closed(seeded_url: str) -> None:
    assert advance_claim(THEFT, S.CLOSED, actor="core-system", url=seeded_url).stage is S.CLOSED


def test_withdrawal_is_a_side_exit(seeded_url: str) -> None:
    view = advance_claim(COLLISION, S.WITHDRAWN, actor="customer", url=seeded_url)
    assert view.stage is S.WITHDRAWN and not view.is_open


@pytest.mark.parametrize(
    ("number", "target"),
    [
        (COLLISION, S.PAYMENT),         # skips assessment
        (COLLISION, S.CLOSED),
        (COLLISION, S.DOCUMENTS_REVIEW),  # no move to the same stage
        (COLLISION, S.REPORTED),        # no way back
        (HOSPITAL, S.INVESTIGATION),
        (WATER, S.PAYMENT),             # closed is final
        (WATER, S.REPORTED),
        (THEFT, S.PAYMENT),             # a denial is not paid
    ],
)
def test_refused_moves_change_nothing_and_are_audited(
    seeded_url: str, now: datetime, number: str, target: ClaimStage
) -> None:
    before = _snapshot(seeded_url, number)
    with pytest.raises(InvalidTransition) as refused:
        advance_claim(number, target, actor="core-system", note="try", now=now, url=seeded_url)
    assert refused.value.to_stage is target
    assert _snapshot(seeded_url, number) == before
    with unit_of_work(seeded_url) as uow:
        entries = uow.audit.for_subject("claim", number)
        assert len(entries) == 1
        entry = entries[0]
        assert (entry.action, entry.actor, entry.at) == (
            "claim.advance_refused", "core-system", now,
        )
        assert entry.detail == {"from": before[0], "to": target.value, "note": "try"}


def test_withdrawn_is_final(seeded_url: str) -> None:
    number = _new_claim(seeded_url, S.REPORTED)
    advance_claim(number, S.WITHDRAWN, actor="customer", url=seeded_url)
    for stage in S:
        with pytest.raises(InvalidTransition):
            advance_claim(number, stage, actor="core-system", url=seeded_url)


def test_unknown_claim(seeded_url: str) -> None:
    with pytest.raises(ClaimNotFound):
        advance_claim("CLM-2026-999999", S.ASSESSMENT, actor="core-system", url=seeded_url)
    with pytest.raises(ClaimNotFound):
        claim_view("CLM-2026-999999", url=seeded_url)


def test_unknown_stage_is_a_value_error(seeded_url: str) -> None:
    with pytest.raises(ValueError):
        advance_claim(COLLISION, "paid", actor="core-system", url=seeded_url)


def test_claim_view_lists_only_what_the_customer_must_still_bring(seeded_url: str) -> None:
    view = claim_view("clm-2026-000004", url=seeded_url)
    assert view.number == COLLISION
    assert view.policy_number == "AUTO-2026-0001"
    assert view.line_of_business == "motor"
    assert view.stage is S.DOCUMENTS_REVIEW and view.is_open
    assert view.estimated_amount == Decimal("3200.00")
    assert [(d.code, d.label_zh) for d in view.missing_documents] == [
        ("driving_licence", "驾驶证"),
        ("repair_invoice", "维修发票/估损单"),
    ]
    # (code, label_zh, label_en) tuples, as the status replies unpack them.
    code, label_zh, label_en = view.missing_documents[0]
    assert label_en == "Driving licence"
    assert [(e.from_stage, e.to_stage) for e in view.events] == [
        (None, S.REPORTED), (S.REPORTED, S.DOCUMENTS_REVIEW),
    ]


def test_claim_view_audits_the_read_when_told_who_reads(seeded_url: str) -> None:
    claim_view(COLLISION, url=seeded_url)
    claim_view(COLLISION, actor="agent:wang", url=seeded_url)
    with unit_of_work(seeded_url) as uow:
        reads = uow.audit.list(action="claim.read")
        assert [(r.actor, r.subject_id) for r in reads] == [("agent:wang", COLLISION)]


def test_denied_view_carries_reason_and_clause(seeded_url: str) -> None:
    view = claim_view(THEFT, url=seeded_url)
    assert view.stage is S.DENIED and not view.is_open
    assert view.denial_reason_zh and view.denial_reason_en
    assert view.denial_clause == "第十二条 / Clause 12"


def test_claims_of_policy_holder_are_all_the_customers_claims(seeded_url: str) -> None:
    views = claims_of_policy_holder("HOME-2026-0001", actor="conversation:abc", url=seeded_url)
    assert [v.number for v in views] == [THEFT, WATER]  # newest first
    # 张伟 holds two policies: asking with either shows his motor claim.
    via_medical = claims_of_policy_holder("med-2026-0001", actor="conversation:z", url=seeded_url)
    assert [v.number for v in via_medical] == [COLLISION]
    assert claims_of_policy_holder("ACC-2026-0001", actor="conversation:w", url=seeded_url) == []
    assert claims_of_policy_holder("ACC-2026-0999", actor="conversation:x", url=seeded_url) == []
    with unit_of_work(seeded_url) as uow:
        reads = uow.audit.list(action="claims.read")
        assert [(r.actor, r.detail["policy_number"]) for r in reads] == [
            ("conversation:abc", "HOME-2026-0001"),
            ("conversation:z", "MED-2026-0001"),
            ("conversation:w", "ACC-2026-0001"),
        ]
        assert reads[0].detail["claims"] == [THEFT, WATER]


def test_simultaneous_moves_from_one_stage_let_only_one_through(seeded_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def move(stage: ClaimStage) -> str:
        try:
            advance_claim(COLLISION, stage, actor="core-system", url=seeded_url)
            return "ok"
        except InvalidTransition:
            return "refused"

    targets = [S.ASSESSMENT, S.WITHDRAWN, S.INVESTIGATION, S.DENIED] * 2
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(move, targets))
    view = claim_view(COLLISION, url=seeded_url)
    # Each move saw the stage the previous one left: the event chain stays a valid lifecycle.
    for event in view.events[1:]:
        assert event.to_stage in ALLOWED_TRANSITIONS[event.from_stage]
    assert results.count("ok") == len(view.events) - 2
