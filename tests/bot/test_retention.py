"""The retention job's kinds one by one, with an injected clock (bot/retention.py)."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.agents import add_agent
from bot.handoff import hand_back, request_handoff, take
from bot.outbox.notices import queue_message
from bot.retention import REMOVED_NOTICE, RetentionPeriods, run_retention
from bot.store.db import unit_of_work
from bot.store.models import Handoff, Notification, ReceivedFile


def test_closed_transcripts_are_anonymised_and_notice_texts_removed(
        seeded_url: str, now: datetime, tmp_path: Path) -> None:
    queued = request_handoff("conv-1", reason="request", now=now, url=seeded_url, summary={
        "reason": "request", "claim_number": "CLM-2026-000001",
        "last_messages": [{"from": "customer", "text": "我电话138****0001"}]})
    agent = add_agent("alice", "a long password 1", url=seeded_url)
    take(queued.entry.id, agent.id, actor="agent:alice", now=now, url=seeded_url)
    hand_back(queued.entry.id, agent.id, "已回电 13800000001", actor="agent:alice", now=now,
              url=seeded_url)
    with unit_of_work(seeded_url) as uow:
        claim_id = uow.claims.by_number("CLM-2026-000001").id
    about_claim = queue_message("conv-1", "sms", "您的理赔已进入审核", kind="stage", status="sent",
                                claim_id=claim_id, now=now, url=seeded_url)
    agent_words = queue_message("conv-1", "webchat", "我是客服小王", kind="agent", status="sent",
                                now=now, url=seeded_url)
    pending = queue_message("conv-2", "webchat", "还没送到", kind="agent", now=now,
                            url=seeded_url)
    periods = RetentionPeriods(transcript_days=180, notice_days=180)

    kept = run_retention(now + timedelta(days=179), periods=periods, db_url=seeded_url,
                         tracker_url=f"sqlite:///{tmp_path / 'none.db'}", var_dir=tmp_path)
    assert kept.counts["transcripts"] == 0 and kept.counts["notices"] == 0

    later = now + timedelta(days=181)
    report = run_retention(later, periods=periods, db_url=seeded_url,
                           tracker_url=f"sqlite:///{tmp_path / 'none.db'}", var_dir=tmp_path)
    assert report.counts["transcripts"] == 1 and report.counts["notices"] == 2
    with unit_of_work(seeded_url) as uow:
        row = uow.session.get(Handoff, queued.entry.id)
        assert row.summary == {"anonymised": True, "reason": "request",
                               "claim_number": "CLM-2026-000001"}
        assert "13800000001" not in row.resolution
        assert uow.session.get(Notification, about_claim).body == REMOVED_NOTICE
        assert uow.session.get(Notification, agent_words) is None
        assert uow.session.get(Notification, pending).body == "还没送到"  # not yet delivered
    again = run_retention(later, periods=periods, db_url=seeded_url,
                          tracker_url=f"sqlite:///{tmp_path / 'none.db'}", var_dir=tmp_path)
    assert again.counts["transcripts"] == 0 and again.counts["notices"] == 0
    assert not (tmp_path / "none.db").exists()  # no tracker store: nothing made up


def test_claim_documents_stay_for_years_after_the_policy_ends(
        seeded_url: str, now: datetime, tmp_path: Path) -> None:
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number("CLM-2026-000001")
        policy_end = claim.policy.end_date
        term_days = (claim.policy.end_date - claim.policy.start_date).days
        path = tmp_path / "uploads" / claim.number / "abc.jpg"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"photo")
        uow.session.add(ReceivedFile(claim=claim, filename="x.jpg", size_bytes=5, sha256="a" * 64,
                                     stored_path=str(path), received_at=now))
        uow.commit()
    years = 5 if term_days <= 366 else 10
    within = datetime(policy_end.year + years, policy_end.month, 1)
    report = run_retention(within, db_url=seeded_url, var_dir=tmp_path,
                           tracker_url=f"sqlite:///{tmp_path / 'none.db'}")
    assert report.counts["uploads"] == 0 and path.exists()
    after = datetime(policy_end.year + years + 1, 1, 15)
    report = run_retention(after, db_url=seeded_url, var_dir=tmp_path,
                           tracker_url=f"sqlite:///{tmp_path / 'none.db'}")
    assert report.counts["uploads"] == 1 and not path.exists()
    with unit_of_work(seeded_url) as uow:  # the record of what was received stays
        assert uow.session.query(ReceivedFile).filter_by(stored_path=str(path)).count() == 1
