"""Outbox: notices queued with stage changes in one transaction, delivered once, retried with
backoff, failed on permanent errors, safe with concurrent workers; satisfaction scores."""
from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

import bot.claims.lifecycle as lifecycle
import bot.outbox.delivery as delivery
import bot.outbox.notices as notices
from bot.claims.lifecycle import advance_claim
from bot.claims.model import ClaimNotFound, ClaimStage, InvalidTransition
from bot.outbox.delivery import backoff_delay, deliver_pending
from bot.outbox.notices import (
    dedupe_key,
    list_notices,
    notice_kind,
    queue_stage_notice,
    render_stage_notice,
)
from bot.outbox.satisfaction import (
    SatisfactionRefused,
    parse_satisfaction_score,
    record_satisfaction,
)
from bot.outbox.senders import Notice, PermanentDeliveryError
from bot.store.db import unit_of_work
from bot.store.models import Claim, ClaimDocument, Notification, SatisfactionScore

S = ClaimStage
WATER, THEFT, HOSPITAL, COLLISION = (f"CLM-2026-{i:06d}" for i in (1, 2, 3, 4))
CJK = re.compile(r"[\u4e00-\u9fff]")
MINUTE = timedelta(minutes=1)


def _snapshot(row: Notification) -> SimpleNamespace:
    """The row's columns, readable after its unit of work is gone."""
    return SimpleNamespace(**{c.key: getattr(row, c.key) for c in Notification.__table__.c})


def _notifications(url: str) -> list[SimpleNamespace]:
    with unit_of_work(url) as uow:
        return [_snapshot(row) for row in
                uow.session.query(Notification).order_by(Notification.id)]


def _new_claim(url: str, policy_number: str, stage: ClaimStage, **fields) -> str:
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number(policy_number)
        number = uow.claims.next_claim_number(2026)
        claim = Claim(number=number, policy=policy, stage=stage.value, incident_type="other",
                      flags=[], injuries=False, reported_at=datetime(2026, 11, 20, 1, 0),
                      **fields)
        uow.claims.add(claim)
        uow.claims.add_event(claim, from_stage=None, to_stage=stage.value, actor="test",
                             at=datetime(2026, 11, 20, 1, 0))
        claim.documents.append(ClaimDocument(code="claim_form", label_zh="理赔申请书",
                                             label_en="Claim form", status="received"))
        uow.commit()
        return number


# --- queueing ----------------------------------------------------------------------------------

def test_documents_accepted_is_queued_with_the_stage_change(seeded_url: str, now: datetime) -> None:
    advance_claim(COLLISION, "assessment", actor="core-system", now=now, url=seeded_url)
    [row] = _notifications(seeded_url)
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(COLLISION)
        event_id = claim.events[-1].id
    assert (row.kind, row.status, row.attempts, row.channel, row.language) == (
        "documents_accepted", "pending", 0, "telegram", "zh",
    )
    assert row.dedupe_key == dedupe_key(COLLISION, "assessment", event_id)
    assert row.created_at == now and row.customer_id is not None
    # A small claim: paid within 24 hours of the now complete documents.
    assert COLLISION in row.body and "2026年11月23日 10:00" in row.body and "转人工" in row.body


def test_invalid_stage_change_queues_nothing(seeded_url: str, now: datetime) -> None:
    with pytest.raises(InvalidTransition):
        advance_claim(COLLISION, "closed", actor="core-system", now=now, url=seeded_url)
    assert _notifications(seeded_url) == []


def test_moves_that_are_not_key_nodes_queue_nothing(seeded_url: str, now: datetime) -> None:
    advance_claim(COLLISION, "investigation", actor="t", now=now, url=seeded_url)
    advance_claim(COLLISION, "assessment", actor="t", now=now + MINUTE, url=seeded_url)
    assert [row.kind for row in _notifications(seeded_url)] == ["investigation_started"]


def test_the_notice_and_the_stage_change_commit_together(
    seeded_url: str, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args, **_kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(lifecycle, "queue_stage_notice", broken)
    with pytest.raises(RuntimeError):
        advance_claim(COLLISION, "assessment", actor="core-system", now=now, url=seeded_url)
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(COLLISION)
        assert claim.stage == "documents_review" and len(claim.events) == 2
        assert uow.audit.list(action="claim.advance") == []


def test_queueing_the_same_event_twice_keeps_one_row(seeded_url: str, now: datetime) -> None:
    advance_claim(COLLISION, "assessment", actor="core-system", now=now, url=seeded_url)
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(COLLISION)
        first = uow.notifications.by_dedupe_key(
            dedupe_key(COLLISION, "assessment", claim.events[-1].id))
        again = queue_stage_notice(uow, claim, claim.events[-1])
        assert again.id == first.id
        uow.commit()
    assert len(_notifications(seeded_url)) == 1


def test_notice_kinds() -> None:
    assert notice_kind("documents_review", "assessment") == "documents_accepted"
    assert notice_kind("documents_review", "investigation") == "investigation_started"
    assert notice_kind("assessment", "payment") == "review_done"
    assert notice_kind("payment", "closed") == "paid_closed"
    assert notice_kind("denied", "closed") == "closed"
    assert notice_kind("investigation", "denied") == "denied"
    assert notice_kind("reported", "withdrawn") == "withdrawn"
    assert notice_kind("reported", "documents_review") is None
    assert notice_kind("investigation", "assessment") is None


def test_a_whole_claim_in_english(seeded_url: str, now: datetime) -> None:
    number = _new_claim(seeded_url, "HOME-2026-0001", S.DOCUMENTS_REVIEW, language="en",
                        channel="webchat", conversation_id="web-42",
                        estimated_amount=Decimal("9000"), approved_amount=Decimal("8200"),
                        paid_amount=Decimal("8200"))
    at = now
    for stage in ("investigation", "assessment", "payment", "closed"):
        at += timedelta(days=1)
        advance_claim(number, stage, actor="core-system", now=at, url=seeded_url)
    rows = _notifications(seeded_url)
    assert [row.kind for row in rows] == ["investigation_started", "review_done", "paid_closed"]
    assert {(row.channel, row.conversation_id, row.language) for row in rows} == {
        ("webchat", "web-42", "en"),
    }
    for row in rows:
        assert not CJK.search(row.body), row.body
    assert "no sign of doubt" in rows[0].body
    assert "CNY 8,200" in rows[1].body and "by " in rows[1].body
    assert "CNY 8,200" in rows[2].body and "1 to 10" in rows[2].body


def test_denial_notice_quotes_the_clause_and_the_appeal_route(
    seeded_url: str, now: datetime
) -> None:
    number = _new_claim(
        seeded_url, "HOME-2026-0001", S.ASSESSMENT, channel="webchat",
        denial_reason_zh="自行车放在楼下车棚被盗。", denial_reason_en="The bicycle was kept in "
        "the shared shed downstairs.", denial_clause="第十二条 / Clause 12",
    )
    advance_claim(number, "denied", actor="handler:chen.li", now=now, url=seeded_url)
    advance_claim(number, "closed", actor="core-system", now=now + MINUTE, url=seeded_url)
    denied, closed = _notifications(seeded_url)
    assert denied.language == "en"  # the claim has none: John Smith prefers English
    assert "The bicycle was kept in the shared shed downstairs." in denied.body
    assert "Clause 12 of your policy (Property kept outside the insured address)" in denied.body
    assert "bicycles and e-bikes parked outside" in denied.body
    assert "mediation" in denied.body and "agent" in denied.body
    assert "400-000-0000 (demo number)" in denied.body  # the demo's line, labelled as one
    assert closed.kind == "closed" and "1 to 10" in closed.body


def test_every_notice_in_both_languages(seeded_url: str) -> None:
    at = datetime(2026, 11, 22, 2, 0)
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(THEFT)  # denied, cites Clause 12, approved amount unset
        for kind in set(notices.STAGE_NOTICES.values()):
            zh = render_stage_notice(claim, kind, "zh", at=at)
            en = render_stage_notice(claim, kind, "en", at=at)
            assert "{" not in zh + en and "None" not in zh + en, kind
            assert CJK.search(zh) and not CJK.search(en), kind
            assert THEFT in zh and THEFT in en
        zh = render_stage_notice(claim, "denied", "zh", at=at)
        assert "第十二条「保险地址以外的财产」" in zh and "仲裁" in zh and "转人工" in zh


# --- delivery ----------------------------------------------------------------------------------

def _queue(url: str, count: int, *, channel: str | None = "telegram") -> list[int]:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(COLLISION)
        rows = [
            uow.notifications.add(Notification(
                claim_id=claim.id, customer_id=claim.policy.customer_id, channel=channel,
                conversation_id=f"tg-{i}", kind="test", body=f"message {i}", language="zh",
                status="pending", attempts=0, dedupe_key=f"test:{i}",
                created_at=datetime(2026, 11, 22, 1, 0) + timedelta(seconds=i),
            ))
            for i in range(count)
        ]
        uow.commit()
        return [row.id for row in rows]


def _row(url: str, notification_id: int) -> SimpleNamespace:
    with unit_of_work(url) as uow:
        return _snapshot(uow.session.get(Notification, notification_id))


def test_a_sender_that_fails_once_then_succeeds_delivers_exactly_once(
    seeded_url: str, now: datetime
) -> None:
    [nid] = _queue(seeded_url, 1)
    calls: list[Notice] = []
    delivered: list[Notice] = []

    def flaky(notice: Notice) -> None:
        calls.append(notice)
        if len(calls) == 1:
            raise ConnectionError("telegram timed out")
        delivered.append(notice)

    senders = {"telegram": flaky}
    first = deliver_pending(senders, now=now, url=seeded_url)
    assert (first.sent, first.retrying, first.failed) == ([], [nid], [])
    row = _row(seeded_url, nid)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "ConnectionError: telegram timed out"
    assert row.next_attempt_at == now + backoff_delay(1)
    assert deliver_pending(senders, now=now + MINUTE / 2, url=seeded_url).sent == []  # backing off
    second = deliver_pending(senders, now=now + MINUTE, url=seeded_url)
    assert second.sent == [nid]
    assert deliver_pending(senders, now=now + timedelta(hours=2), url=seeded_url).sent == []
    assert len(calls) == 2 and len(delivered) == 1
    assert (delivered[0].attempt, delivered[0].body, delivered[0].conversation_id) == (
        2, "message 0", "tg-0")
    row = _row(seeded_url, nid)
    assert (row.status, row.attempts, row.sent_at, row.last_error, row.next_attempt_at) == (
        "sent", 2, now + MINUTE, None, None)


def test_permanent_failure_is_recorded_and_not_retried(seeded_url: str, now: datetime) -> None:
    [nid] = _queue(seeded_url, 1)

    def blocked(notice: Notice) -> None:
        raise PermanentDeliveryError("Forbidden: bot was blocked by the user")

    report = deliver_pending({"telegram": blocked}, now=now, url=seeded_url)
    assert report.failed == [nid]
    row = _row(seeded_url, nid)
    assert row.status == "failed" and row.attempts == 1 and row.sent_at is None
    assert row.last_error == ("permanent: PermanentDeliveryError: Forbidden: bot was blocked by "
                              "the user")
    assert deliver_pending({"telegram": blocked}, now=now + timedelta(days=1),
                           url=seeded_url).failed == []
    with unit_of_work(seeded_url) as uow:
        [entry] = uow.audit.list(action="notification.failed")
        assert entry.subject_id == str(nid) and entry.detail["claim"] == COLLISION


def test_gives_up_after_max_attempts(seeded_url: str, now: datetime) -> None:
    [nid] = _queue(seeded_url, 1)

    def down(notice: Notice) -> None:
        raise TimeoutError("gateway down")

    assert deliver_pending({"telegram": down}, now=now, max_attempts=2,
                           url=seeded_url).retrying == [nid]
    later = now + backoff_delay(1)
    assert deliver_pending({"telegram": down}, now=later, max_attempts=2,
                           url=seeded_url).failed == [nid]
    row = _row(seeded_url, nid)
    assert row.status == "failed" and row.last_error.startswith("gave up after 2 attempts")


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff_delay(n) for n in (1, 2, 3)] == [MINUTE, 2 * MINUTE, 4 * MINUTE]
    assert backoff_delay(12) == timedelta(hours=1)


def test_only_channels_with_a_sender_are_taken(seeded_url: str, now: datetime) -> None:
    [telegram] = _queue(seeded_url, 1)
    with unit_of_work(seeded_url) as uow:
        row = uow.session.get(Notification, telegram)
        row.channel = "twilio"
        uow.commit()
    sent: list[int] = []
    report = deliver_pending({"webchat": lambda n: sent.append(n.id)}, now=now, url=seeded_url)
    assert report.sent == [] and sent == []
    assert _row(seeded_url, telegram).attempts == 0  # untouched, waiting for a twilio worker
    report = deliver_pending({"*": lambda n: sent.append(n.id)}, now=now, url=seeded_url)
    assert report.sent == [telegram] == sent


def test_the_fallback_sender_takes_messages_without_a_channel(
    seeded_url: str, now: datetime
) -> None:
    ids = _queue(seeded_url, 2, channel=None)
    got: list[Notice] = []
    assert deliver_pending({"telegram": got.append}, now=now, url=seeded_url).sent == []
    assert deliver_pending({"*": got.append}, now=now, url=seeded_url).sent == ids


def test_a_leased_message_waits_for_the_lease(seeded_url: str, now: datetime) -> None:
    [nid] = _queue(seeded_url, 1)
    # A worker took it and died before recording anything.
    assert delivery._take(seeded_url, nid, 0, now, delivery.DEFAULT_LEASE) is not None
    sent: list[int] = []
    assert deliver_pending({"telegram": lambda n: sent.append(n.id)}, now=now + MINUTE,
                           url=seeded_url).sent == []
    report = deliver_pending({"telegram": lambda n: sent.append(n.id)},
                             now=now + delivery.DEFAULT_LEASE, url=seeded_url)
    assert report.sent == [nid] == sent and _row(seeded_url, nid).attempts == 2


def test_concurrent_deliverers_never_double_send(seeded_url: str, now: datetime) -> None:
    ids = _queue(seeded_url, 30)
    sent: Counter = Counter()
    lock = threading.Lock()
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def slow_sender(notice: Notice) -> None:
        with lock:
            sent[notice.id] += 1
        time.sleep(0.002)

    def worker() -> None:
        try:
            start.wait()
            deliver_pending({"telegram": slow_sender}, now=now, url=seeded_url)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(sent) == ids and set(sent.values()) == {1}
    assert {row.status for row in _notifications(seeded_url)} == {"sent"}
    assert {row.attempts for row in _notifications(seeded_url)} == {1}


def test_list_notices(seeded_url: str, now: datetime) -> None:
    advance_claim(COLLISION, "assessment", actor="core-system", now=now, url=seeded_url)
    [record] = list_notices(url=seeded_url)
    assert (record.claim_number, record.kind, record.status) == (
        COLLISION, "documents_accepted", "pending")
    assert list_notices(status="sent", url=seeded_url) == []
    assert list_notices(claim_number=HOSPITAL, url=seeded_url) == []
    assert list_notices(claim_number="CLM-2026-999999", url=seeded_url) == []


# --- satisfaction -------------------------------------------------------------------------------

def test_record_satisfaction_for_a_closed_claim(seeded_url: str, now: datetime) -> None:
    first = record_satisfaction(WATER, 9, "conversation:web-1", now=now, url=seeded_url)
    assert (first.claim_number, first.score, first.previous_score) == (WATER, 9, None)
    second = record_satisfaction(WATER.lower(), 7, "conversation:web-1", now=now + MINUTE,
                                 url=seeded_url)
    assert (second.score, second.previous_score) == (7, 9)
    with unit_of_work(seeded_url) as uow:
        [row] = uow.session.query(SatisfactionScore).all()
        assert (row.score, row.actor, row.answered_at) == (7, "conversation:web-1", now + MINUTE)
        entries = uow.audit.list(action="claim.satisfaction")
        assert [entry.detail for entry in entries] == [
            {"score": 9, "previous": None}, {"score": 7, "previous": 9},
        ]


@pytest.mark.parametrize("score", [0, 11, -1, 8.5, "9", True])
def test_scores_outside_one_to_ten_are_refused(seeded_url: str, score) -> None:
    with pytest.raises(ValueError):
        record_satisfaction(WATER, score, "t", url=seeded_url)


def test_only_closed_claims_take_a_score(seeded_url: str) -> None:
    with pytest.raises(SatisfactionRefused):
        record_satisfaction(COLLISION, 8, "t", url=seeded_url)
    with pytest.raises(ClaimNotFound):
        record_satisfaction("CLM-2026-999999", 8, "t", url=seeded_url)


@pytest.mark.parametrize(("text", "score"), [
    ("9", 9), (" 10 ", 10), ("10分", 10), ("8/10", 8), ("7 points", 7), ("九分", 9),
    ("十分", 10), ("满分", 10), ("1。", 1),
    ("0", None), ("11", None), ("我给9分吧", None), ("claim 2 was fine", None), ("", None),
])
def test_parse_satisfaction_score(text: str, score: int | None) -> None:
    assert parse_satisfaction_score(text) == score
