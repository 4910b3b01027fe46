"""Demo data: idempotent, and exactly the customers, policies and claims the demo relies on."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from bot.clock import local_today
from bot.privacy import hash_id_number
from bot.seed import seed
from bot.store.db import unit_of_work
from bot.store.models import (
    AuditEntry,
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimNumberCounter,
    Customer,
    Policy,
)

_TABLES = (Customer, Policy, Claim, ClaimEvent, ClaimDocument, AuditEntry, ClaimNumberCounter)


def _counts(url: str) -> dict[str, int]:
    with unit_of_work(url) as uow:
        return {
            model.__tablename__: uow.session.execute(select(func.count()).select_from(model))
            .scalar_one()
            for model in _TABLES
        }


def _customer(uow, name: str) -> Customer:
    return uow.session.execute(select(Customer).where(Customer.name == name)).scalar_one()


def test_seed_is_idempotent(db_url: str, today: date) -> None:
    first = seed(db_url, today=today)
    assert first.created == {"customers": 4, "policies": 5, "claims": 4}
    counts = _counts(db_url)
    assert seed(db_url, today=today).changed is False
    # Another day moves the demo dates, but still adds nothing.
    assert seed(db_url, today=today + timedelta(days=9)).changed is False
    assert _counts(db_url) == counts


def test_customers(seeded_url: str) -> None:
    with unit_of_work(seeded_url) as uow:
        zhang = _customer(uow, "张伟")
        assert (zhang.date_of_birth, zhang.phone, zhang.phone_last4) == (
            date(1985, 4, 12), "13800000001", "0001",
        )
        assert zhang.preferred_language == "zh"
        li = _customer(uow, "李秀英")
        assert (li.date_of_birth, li.phone_last4) == (date(1948, 9, 30), "0002")
        john = _customer(uow, "John Smith")
        assert (john.date_of_birth, john.phone, john.preferred_language) == (
            date(1990, 7, 1), "+8613800000003", "en",
        )
        wang = _customer(uow, "王芳")
        assert (wang.date_of_birth, wang.phone_last4) == (date(1992, 2, 14), "0004")


def test_id_numbers_are_only_masked_and_hashed(seeded_url: str) -> None:
    with unit_of_work(seeded_url) as uow:
        zhang = _customer(uow, "张伟")
        assert zhang.id_number_masked == "1101**********1236"
        assert zhang.id_number_hash == hash_id_number("110105198504121236")
        rows = uow.session.execute(select(Customer.__table__)).all()
    dumped = repr(rows)
    assert "110105198504121236" not in dumped
    assert "31010419480930284X" not in dumped


def test_policies(seeded_url: str, today: date) -> None:
    with unit_of_work(seeded_url) as uow:
        auto = uow.policies.by_number("AUTO-2026-0001")
        assert auto.customer.name == "张伟" and auto.line_of_business == "motor"
        assert (auto.sum_insured, auto.deductible) == (Decimal("300000"), Decimal("500"))
        assert (auto.start_date, auto.end_date) == (date(2026, 1, 1), date(2026, 12, 31))
        med = uow.policies.by_number("MED-2026-0001")
        assert med.customer.name == "张伟" and med.line_of_business == "medical"
        assert (med.sum_insured, med.waiting_period_days) == (Decimal("50000"), 30)
        assert (med.start_date, med.end_date) == (date(2026, 1, 1), date(2026, 12, 31))
        senior = uow.policies.by_number("MED-2026-0002")
        assert senior.customer.name == "李秀英"
        assert (senior.sum_insured, senior.waiting_period_days) == (Decimal("100000"), 30)
        assert senior.start_date <= today <= senior.end_date
        assert senior.end_date == senior.start_date.replace(year=senior.start_date.year + 1) - (
            timedelta(days=1)
        )
        home = uow.policies.by_number("HOME-2026-0001")
        assert home.customer.name == "John Smith" and home.line_of_business == "home"
        assert (home.sum_insured, home.deductible) == (Decimal("500000"), Decimal("1000"))
        acc = uow.policies.by_number("ACC-2026-0001")
        assert acc.customer.name == "王芳" and acc.line_of_business == "accident"
        assert uow.claims.of_customer(acc.customer_id) == []
        assert {p.status for p in uow.session.execute(select(Policy)).scalars()} == {"active"}


def test_open_motor_claim_in_documents_review(seeded_url: str, today: date) -> None:
    with unit_of_work(seeded_url) as uow:
        zhang = _customer(uow, "张伟")
        (claim,) = uow.claims.of_customer(zhang.id)
        assert claim.policy.number == "AUTO-2026-0001"
        assert (claim.stage, claim.incident_type) == ("documents_review", "collision")
        assert claim.estimated_amount == Decimal("3200")
        assert local_today(claim.reported_at) == today - timedelta(days=3)
        assert claim.incident_at <= claim.reported_at
        docs = {d.code: d for d in claim.documents}
        received = {"claim_form", "id_card", "vehicle_licence", "scene_photos"}
        assert {c for c, d in docs.items() if d.status == "received"} == received
        assert all(docs[c].received_at is not None for c in received)
        assert {c for c, d in docs.items() if d.status == "missing"} == {
            "driving_licence", "repair_invoice", "liability_record",
        }
        assert docs["driving_licence"].mandatory and docs["repair_invoice"].mandatory
        assert docs["liability_record"].fetched_by_insurer
        assert docs["repair_invoice"].label_zh == "维修发票/估损单"
        assert docs["liability_record"].label_zh == "事故责任认定书"
        assert [(e.from_stage, e.to_stage) for e in claim.events] == [
            (None, "reported"), ("reported", "documents_review"),
        ]


def test_elderly_hospital_claim_in_assessment(seeded_url: str) -> None:
    with unit_of_work(seeded_url) as uow:
        (claim,) = uow.claims.of_customer(_customer(uow, "李秀英").id)
        assert claim.policy.number == "MED-2026-0002"
        assert (claim.stage, claim.incident_type) == ("assessment", "hospitalisation")
        assert claim.documents and all(d.status == "received" for d in claim.documents)
        assert claim.documents_completed_at is not None
        assert [e.to_stage for e in claim.events][-2:] == ["documents_review", "assessment"]
        policy = claim.policy
        waiting_ends = policy.start_date + timedelta(days=policy.waiting_period_days)
        assert local_today(claim.incident_at) >= waiting_ends


def test_home_claims_paid_and_denied(seeded_url: str, today: date) -> None:
    with unit_of_work(seeded_url) as uow:
        denied, paid = uow.claims.of_customer(_customer(uow, "John Smith").id)
        assert (paid.incident_type, paid.stage) == ("water_damage", "closed")
        assert paid.paid_amount == Decimal("8200") and paid.approved_amount == Decimal("8200")
        assert 14 <= (today - local_today(paid.paid_at)).days <= 42
        assert [e.to_stage for e in paid.events] == [
            "reported", "documents_review", "assessment", "payment", "closed",
        ]
        assert paid.events[-2].at <= paid.paid_at <= paid.events[-1].at
        assert (denied.incident_type, denied.stage) == ("theft", "denied")
        assert "bicycle" in denied.description
        assert "自行车" in denied.denial_reason_zh and "outside" in denied.denial_reason_en
        assert denied.denial_clause == "第十二条 / Clause 12"
        assert [e.to_stage for e in denied.events][-1] == "denied"
        assert denied.paid_amount is None


def test_claim_numbers_follow_report_order_and_counter(seeded_url: str) -> None:
    with unit_of_work(seeded_url) as uow:
        claims = list(reversed(uow.claims.list()))
        assert [c.number for c in claims] == [f"CLM-2026-{i:06d}" for i in range(1, 5)]
        assert uow.claims.next_claim_number(2026) == "CLM-2026-000005"


def test_every_event_chain_is_a_valid_lifecycle(seeded_url: str) -> None:
    from bot.claims.model import can_move

    with unit_of_work(seeded_url) as uow:
        for claim in uow.claims.list():
            stages = [e.to_stage for e in claim.events]
            assert stages[0] == "reported" and stages[-1] == claim.stage
            for event in claim.events[1:]:
                assert can_move(event.from_stage, event.to_stage)
            assert [e.at for e in claim.events] == sorted(e.at for e in claim.events)
