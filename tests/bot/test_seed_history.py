"""Demo history (`seed --history`): the same seed and clock give the same store, and what it
writes is consistent with what the claim, notice, complaint and handoff code would have written."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.alerts import run_alerts
from bot.claims.model import ALLOWED_TRANSITIONS, ClaimStage
from bot.cli import main
from bot.seed import seed
from bot.seed_history import STORM_CITY, seed_history
from bot.settings import get_settings
from bot.store.db import dispose_engines, unit_of_work
from bot.store.migrate import upgrade
from bot.store.models import (
    Claim,
    Complaint,
    Customer,
    Dispute,
    Escalation,
    Handoff,
    Notification,
    SatisfactionScore,
    Task,
)

NOW = datetime(2026, 11, 22, 2, 0)  # naive UTC: 10:00 in Shanghai
DAYS = 21


def _fresh(directory: Path) -> str:
    url = f"sqlite:///{directory / 'claims.db'}"
    upgrade(url)
    return url


def _snapshot(url: str) -> dict:
    """Everything the KPIs read, as plain values (no row ids)."""
    with unit_of_work(url) as uow:
        s = uow.session
        return {
            "claims": [(c.number, c.stage, c.policy.line_of_business, c.incident_type,
                        c.incident_place, c.reported_at, c.documents_completed_at,
                        c.estimated_amount, c.approved_amount, c.paid_amount, c.paid_at,
                        c.channel, [(e.from_stage, e.to_stage, e.at) for e in c.events],
                        [(d.code, d.status, d.received_at, d.rerequested_at)
                         for d in c.documents])
                       for c in s.scalars(select(Claim).order_by(Claim.number))],
            "notices": [(n.kind, n.channel, n.status, n.created_at, n.sent_at, n.body)
                        for n in s.scalars(select(Notification).order_by(Notification.id))],
            "scores": [(x.score, x.answered_at) for x in
                       s.scalars(select(SatisfactionScore).order_by(SatisfactionScore.id))],
            "complaints": [(c.reference, c.subject, c.received_at, c.acknowledged_at,
                            c.decided_at, c.status, c.accepted, c.repeat_of_id is not None)
                           for c in s.scalars(select(Complaint).order_by(Complaint.id))],
            "handoffs": [(h.reason, h.priority, h.created_at, h.taken_at, h.closed_at)
                         for h in s.scalars(select(Handoff).order_by(Handoff.id))],
            "escalations": [(e.clock, e.created_at) for e in
                            s.scalars(select(Escalation).order_by(Escalation.id))],
        }


@pytest.fixture(scope="module")
def history_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One seeded store for the tests that only read it (the alerts test adds tasks only)."""
    url = _fresh(tmp_path_factory.mktemp("history"))
    seed(url, today=NOW.date())
    seed_history(DAYS, now=NOW, seed=5, url=url)
    return url


def test_the_same_seed_and_clock_give_the_same_history(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = _fresh(tmp_path / "a"), _fresh(tmp_path / "b")
    report = seed_history(DAYS, now=NOW, seed=5, url=first)
    assert report.created["claims"] > 100 and report.created["complaints"] > 10
    seed_history(DAYS, now=NOW, seed=5, url=second)
    assert _snapshot(first) == _snapshot(second)
    dispose_engines()
    (tmp_path / "c").mkdir()
    other = _fresh(tmp_path / "c")
    seed_history(DAYS, now=NOW, seed=6, url=other)
    assert _snapshot(other)["claims"] != _snapshot(first)["claims"]


def test_history_is_added_once_and_leaves_the_demo_customers_alone(history_url: str) -> None:
    with unit_of_work(history_url) as uow:
        before = uow.session.scalar(select(func.count()).select_from(Claim))
        demo = uow.claims.by_number("CLM-2026-000004")
        assert demo.policy.number == "AUTO-2026-0001" and demo.stage == "documents_review"
        assert len(uow.policies.by_number("AUTO-2026-0001").claims) == 1
    again = seed_history(DAYS, now=NOW + timedelta(days=3), seed=9, url=history_url)
    assert again.skipped and not again.changed
    with unit_of_work(history_url) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Claim)) == before


def test_claims_move_only_by_allowed_steps_in_time_order(history_url: str) -> None:
    with unit_of_work(history_url) as uow:
        claims = uow.session.scalars(select(Claim)).all()
        lines = {c.policy.line_of_business for c in claims}
        assert lines == {"motor", "medical", "accident", "critical_illness", "life", "home"}
        stages = {c.stage for c in claims}
        assert {"closed", "documents_review", "assessment"} <= stages
        for claim in claims:
            events = claim.events
            assert events[0].to_stage == "reported" and events[0].at == claim.reported_at
            for before, after in zip(events, events[1:], strict=False):
                assert after.at >= before.at, claim.number
                assert ClaimStage(after.to_stage) in ALLOWED_TRANSITIONS[
                    ClaimStage(before.to_stage)], claim.number
            assert events[-1].to_stage == claim.stage
            assert all(event.at < NOW for event in events)


def test_paid_claims_are_paid_after_their_report_and_documents(history_url: str) -> None:
    with unit_of_work(history_url) as uow:
        paid = uow.session.scalars(select(Claim).where(Claim.paid_at.is_not(None))).all()
        assert len(paid) > 50
        for claim in paid:
            assert claim.reported_at < claim.documents_completed_at < claim.paid_at < NOW
            assert claim.stage == "closed" and claim.paid_amount == claim.approved_amount
            assert claim.paid_amount > 0
            assert all(d.status in ("received", "missing") or not d.mandatory
                       for d in claim.documents)
            mandatory = [d for d in claim.documents if d.mandatory]
            assert all(d.status == "received" and d.received_at <= claim.paid_at
                       for d in mandatory), claim.number
        small = [c for c in paid if c.approved_amount <= 5000]
        on_time = [c for c in small
                   if c.paid_at - c.documents_completed_at <= timedelta(hours=24)]
        # Around the 24-hour target, with some misses.
        assert 0.6 < len(on_time) / len(small) < 1.0
        rerequested = uow.session.scalars(select(Claim)).all()
        share = sum(any(d.rerequested_at for d in c.documents) for c in rerequested) / len(
            rerequested)
        assert 0.02 < share < 0.25


def test_notices_are_sent_or_failed_never_left_for_the_outbox(history_url: str) -> None:
    with unit_of_work(history_url) as uow:
        notices = uow.session.scalars(select(Notification)).all()
        assert notices and {n.status for n in notices} == {"sent", "failed"}
        for notice in notices:
            assert notice.claim.reported_at <= notice.created_at < NOW
            if notice.status == "sent":
                assert notice.created_at <= notice.sent_at <= NOW
        assert len({n.channel for n in notices}) >= 4


def test_scores_complaints_handoffs_and_escalations_are_consistent(history_url: str) -> None:
    with unit_of_work(history_url) as uow:
        s = uow.session
        for score in s.scalars(select(SatisfactionScore)):
            claim = s.get(Claim, score.claim_id)
            assert claim.stage == "closed" and 1 <= score.score <= 10
            assert claim.paid_at < score.answered_at < NOW
        complaints = s.scalars(select(Complaint)).all()
        assert any(c.repeat_of_id for c in complaints)
        assert any(c.status == "closed" and c.decided_at - c.received_at < timedelta(hours=1)
                   for c in complaints)  # resolved at first contact
        for complaint in complaints:
            assert complaint.reference.startswith("CMP-")
            assert complaint.claim.policy.customer_id == complaint.customer_id
            for moment in (complaint.acknowledged_at, complaint.decided_at):
                assert moment is None or complaint.received_at <= moment < NOW
            if complaint.repeat_of_id:
                first = s.get(Complaint, complaint.repeat_of_id)
                assert first.customer_id == complaint.customer_id
                assert first.received_at < complaint.received_at
        callbacks = s.scalars(select(Task).where(Task.kind == "complaint_callback")).all()
        assert len(callbacks) == len(complaints)
        handoffs = s.scalars(select(Handoff)).all()
        assert {h.status for h in handoffs} == {"closed"}  # nobody waits in today's queue
        assert {"urgent", "elderly"} <= {h.reason for h in handoffs}
        for handoff in handoffs:
            assert handoff.taken_at is None or handoff.created_at < handoff.taken_at
            assert handoff.closed_at > handoff.created_at
        for escalation in s.scalars(select(Escalation)):
            claim = escalation.claim
            assert escalation.created_at > claim.documents_completed_at
            assert claim.paid_at is None or claim.paid_at > escalation.clock_due_at
        assert s.scalar(select(func.count()).select_from(Dispute)) >= 1
        # Invented people only: no real-looking ID numbers.
        for customer in s.scalars(select(Customer).where(Customer.phone.like("13800005%"))):
            assert customer.id_number_masked.startswith("D")


def test_the_storm_in_the_history_is_what_the_alerts_find(history_url: str) -> None:
    report = run_alerts(NOW, url=history_url, kpi_compute=lambda *a, **k: [])
    region = STORM_CITY.replace("广东省", "")
    assert f"alert:spike:reports:region:{region}" in report.opened
    assert f"alert:spike:complaints:region:{region}" in report.opened
    assert "alert:spike:reports:keyword:storm" in report.opened


def test_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'claims.db'}"
    monkeypatch.setenv("CLAIMS_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        code = main(["--db-url", url, "seed", "--if-empty", "--history", "7",
                     "--now", "2026-11-22T10:00", "--seed", "3"])
        out = capsys.readouterr().out
        assert code == 0 and "4 customers" in out
        assert "history: 7 days to 2026-11-22 10:00 (seed 3)" in out
        assert main(["--db-url", url, "seed", "--history", "7"]) == 0
        assert "history already present" in capsys.readouterr().out
        assert main(["--db-url", url, "seed", "--history", "0"]) == 2
        assert main(["--db-url", url, "seed", "--history", "7", "--now", "soon"]) == 2
        assert main(["--db-url", url, "alerts", "run", "--now", "2026-11-22T10:00"]) == 0
        assert "alerts round" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
