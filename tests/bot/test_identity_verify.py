"""Identity verification: answers, failure counting, the lock and its audit trail."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from bot.identity import Verification, VerificationOutcome, lock_state, policy_exists, verify
from bot.settings import get_settings
from bot.store.db import unit_of_work

V = VerificationOutcome


def _verify(url: str, policy: str, answer: str, at: datetime, conv: str = "conv-1") -> Verification:
    return verify(policy, answer, conversation_id=conv, now=at, url=url)


def test_verified_by_date_of_birth(seeded_url: str, now: datetime) -> None:
    result = _verify(seeded_url, "auto 2026 0001", "1985年4月12日", now)
    assert result.outcome is V.VERIFIED and result.verified
    assert result.policy_number == "AUTO-2026-0001"
    assert result.customer_name == "张伟"
    assert result.customer_id is not None
    assert result.preferred_language == "zh"
    assert result.is_elderly is False
    assert result.attempts_left == get_settings().identity_max_failures
    assert result.locked_until is None


def test_verified_by_phone_last4(seeded_url: str, now: datetime) -> None:
    result = _verify(seeded_url, "HOME-2026-0001", "尾号0003", now)
    assert result.outcome is V.VERIFIED
    assert result.customer_name == "John Smith"
    assert result.preferred_language == "en"


def test_elderly_by_age_on_the_day(seeded_url: str, now: datetime) -> None:
    result = _verify(seeded_url, "MED-2026-0002", "1948-09-30", now)
    assert result.outcome is V.VERIFIED
    assert result.is_elderly is True


def test_turning_sixty_counts_in_local_time(db_url: str) -> None:
    from datetime import date

    from bot.privacy import hash_id_number
    from bot.store.models import Customer, Policy

    with unit_of_work(db_url) as uow:
        customer = uow.customers.add(Customer(
            name="赵六", date_of_birth=date(1966, 11, 23), phone="13900000009",
            phone_last4="0009", id_number_masked="1101**********0000",
            id_number_hash=hash_id_number("x"), preferred_language="zh",
        ))
        uow.policies.add(Policy(
            number="ACC-2026-0009", customer=customer, line_of_business="accident",
            product_code="ACC", product_name_zh="意外险", product_name_en="Accident",
            sum_insured=1000, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
        ))
        uow.commit()
    # 2026-11-22 17:00 UTC is already 2026-11-23 01:00 in Shanghai: the 60th birthday.
    before = _verify(db_url, "ACC-2026-0009", "0009", datetime(2026, 11, 22, 15, 0))
    after = _verify(db_url, "ACC-2026-0009", "0009", datetime(2026, 11, 22, 17, 0))
    assert before.is_elderly is False
    assert after.is_elderly is True


def test_mismatch_counts_down(seeded_url: str, now: datetime) -> None:
    max_failures = get_settings().identity_max_failures
    first = _verify(seeded_url, "AUTO-2026-0001", "1985-04-13", now)
    second = _verify(seeded_url, "AUTO-2026-0001", "9999", now)
    assert first.outcome is V.MISMATCH and first.attempts_left == max_failures - 1
    assert second.outcome is V.MISMATCH and second.attempts_left == max_failures - 2
    assert first.customer_name is None and first.customer_id is None


def test_third_failure_locks_for_the_configured_minutes(seeded_url: str, now: datetime) -> None:
    settings = get_settings()
    results = [
        _verify(seeded_url, "AUTO-2026-0001", "1111", now)
        for _ in range(settings.identity_max_failures)
    ]
    assert [r.outcome for r in results] == [V.MISMATCH] * (settings.identity_max_failures - 1) + [
        V.LOCKED
    ]
    locked = results[-1]
    assert locked.attempts_left == 0
    assert locked.locked_until == now + timedelta(minutes=settings.identity_lock_minutes)
    assert lock_state("AUTO-2026-0001", now, url=seeded_url) == locked.locked_until


def _lock(url: str, at: datetime) -> datetime:
    for _ in range(get_settings().identity_max_failures):
        result = _verify(url, "AUTO-2026-0001", "1111", at)
    assert result.locked_until is not None
    return result.locked_until


def test_correct_answer_refused_while_locked(seeded_url: str, now: datetime) -> None:
    until = _lock(seeded_url, now)
    later = now + timedelta(minutes=14)
    result = _verify(seeded_url, "AUTO-2026-0001", "1985-04-12", later)
    assert result.outcome is V.LOCKED
    assert result.locked_until == until
    assert result.customer_name is None
    # Refusals while locked do not extend the lock.
    assert lock_state("AUTO-2026-0001", later, url=seeded_url) == until


def test_lock_expires_by_itself(seeded_url: str, now: datetime) -> None:
    until = _lock(seeded_url, now)
    after = until + timedelta(seconds=1)
    assert lock_state("AUTO-2026-0001", until - timedelta(seconds=1), url=seeded_url) == until
    assert lock_state("AUTO-2026-0001", after, url=seeded_url) is None
    # A fresh round of attempts after expiry.
    wrong = _verify(seeded_url, "AUTO-2026-0001", "1111", after)
    assert wrong.outcome is V.MISMATCH
    assert wrong.attempts_left == get_settings().identity_max_failures - 1
    assert _verify(seeded_url, "AUTO-2026-0001", "0001", after).outcome is V.VERIFIED


def test_success_resets_the_failure_count(seeded_url: str, now: datetime) -> None:
    max_failures = get_settings().identity_max_failures
    for _ in range(max_failures - 1):
        _verify(seeded_url, "AUTO-2026-0001", "1111", now)
    assert _verify(seeded_url, "AUTO-2026-0001", "0001", now).outcome is V.VERIFIED
    again = _verify(seeded_url, "AUTO-2026-0001", "1111", now)
    assert again.outcome is V.MISMATCH and again.attempts_left == max_failures - 1


def test_unreadable_answer_is_not_a_failure(seeded_url: str, now: datetime) -> None:
    max_failures = get_settings().identity_max_failures
    _verify(seeded_url, "AUTO-2026-0001", "1111", now)
    unreadable = _verify(seeded_url, "AUTO-2026-0001", "我忘了", now)
    assert unreadable.outcome is V.UNREADABLE
    assert unreadable.attempts_left == max_failures - 1
    for _ in range(5):
        _verify(seeded_url, "AUTO-2026-0001", "不知道", now)
    assert lock_state("AUTO-2026-0001", now, url=seeded_url) is None
    assert _verify(seeded_url, "AUTO-2026-0001", "1111", now).attempts_left == max_failures - 2


def test_locks_are_per_policy(seeded_url: str, now: datetime) -> None:
    _lock(seeded_url, now)
    assert _verify(seeded_url, "MED-2026-0001", "1985-04-12", now).outcome is V.VERIFIED


def test_unknown_policy(seeded_url: str, now: datetime) -> None:
    unknown = _verify(seeded_url, "AUTO-2026-9999", "1985-04-12", now)
    assert unknown.outcome is V.UNKNOWN_POLICY
    assert unknown.policy_number == "AUTO-2026-9999"
    assert unknown.attempts_left is None
    garbage = _verify(seeded_url, "no idea", "1985-04-12", now)
    assert garbage.outcome is V.UNKNOWN_POLICY and garbage.policy_number is None


def test_policy_exists(seeded_url: str) -> None:
    assert policy_exists("auto20260001", url=seeded_url)
    assert policy_exists("ACC-2026-0001", url=seeded_url)
    assert not policy_exists("AUTO-2026-0999", url=seeded_url)
    assert not policy_exists("", url=seeded_url)


def test_every_attempt_is_audited_without_the_answer(seeded_url: str, now: datetime) -> None:
    answers = ["4321", "1990-07-02", "听不清", "1990年7月1日", "+86 138 0000 0003"]
    for answer in answers:
        _verify(seeded_url, "HOME-2026-0001", answer, now, conv="sender-42")
    with unit_of_work(seeded_url) as uow:
        entries = uow.audit.list(action="identity.verify")
        assert [e.detail["outcome"] for e in entries] == [
            "mismatch", "mismatch", "unreadable", "verified", "verified",
        ]
        assert {e.subject_type for e in entries} == {"policy"}
        assert {e.subject_id for e in entries} == {"HOME-2026-0001"}
        assert {e.actor for e in entries} == {"conversation:sender-42"}
        stored = json.dumps(
            [[e.actor, e.subject_id, e.detail] for e in entries], ensure_ascii=False
        )
    for secret in ("4321", "1990", "07-02", "听不清", "0003", "138"):
        assert secret not in stored


def test_nothing_marks_a_customer_as_verified_in_the_store(seeded_url: str, now: datetime) -> None:
    _verify(seeded_url, "AUTO-2026-0001", "0001", now)
    with unit_of_work(seeded_url) as uow:
        lock = uow.identity_locks.by_policy_number("AUTO-2026-0001")
        assert lock is not None and lock.failures == 0 and lock.locked_until is None


def test_simultaneous_wrong_answers_all_count(seeded_url: str, now: datetime) -> None:
    from concurrent.futures import ThreadPoolExecutor

    max_failures = get_settings().identity_max_failures
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(
            lambda i: _verify(seeded_url, "AUTO-2026-0001", "1111", now, conv=f"c{i}"), range(8)
        ))
    outcomes = [r.outcome for r in results]
    assert outcomes.count(V.MISMATCH) == max_failures - 1
    assert outcomes.count(V.LOCKED) == 8 - (max_failures - 1)
    assert sorted(r.attempts_left for r in results if r.outcome is V.MISMATCH) == list(
        range(1, max_failures)
    )
