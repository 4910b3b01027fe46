"""Identity verification: answers, failure counting, the lock and its audit trail."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.identity import (
    Verification,
    VerificationOutcome,
    code_verified,
    lock_state,
    paused_until,
    policy_exists,
    purge,
    verify,
)
from bot.settings import Settings, get_settings
from bot.store.db import unit_of_work
from bot.store.models import IdentityCode, IdentityCounter, IdentityLock

V = VerificationOutcome


class Sms:
    """Stands in for the SMS channel: keeps what would have been sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def __call__(self, phone: str, body: str) -> None:
        self.sent.append((phone, body))

    def code(self) -> str:
        return re.search(r"\b(\d{6})\b", self.sent[-1][1]).group(1)


def _verify(url: str, policy: str, answer: str, at: datetime, conv: str = "conv-1",
            sms: Sms | None = None, **kwargs) -> Verification:
    return verify(policy, answer, conversation_id=conv, now=at, url=url, send_sms=sms, **kwargs)


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
    sms = Sms()
    assert _verify(seeded_url, "MED-2026-0002", "1948-09-30", now, sms=sms).outcome is V.CODE_SENT
    result = _verify(seeded_url, "MED-2026-0002", sms.code(), now, sms=sms)
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


def test_third_failure_pauses_this_conversation_only(seeded_url: str, now: datetime) -> None:
    settings = get_settings()
    results = [
        _verify(seeded_url, "AUTO-2026-0001", "1111", now)
        for _ in range(settings.identity_max_failures)
    ]
    assert [r.outcome for r in results] == [V.MISMATCH] * (settings.identity_max_failures - 1) + [
        V.PAUSED
    ]
    paused = results[-1]
    assert paused.attempts_left == 0
    assert paused.locked_until == now + timedelta(minutes=settings.identity_lock_minutes)
    assert paused_until("conv-1", now=now, url=seeded_url) == paused.locked_until
    # The policy itself is not locked: its holder, in their own conversation, gets in.
    assert lock_state("AUTO-2026-0001", now, url=seeded_url) is None
    assert _verify(seeded_url, "AUTO-2026-0001", "0001", now, conv="holder").verified


def _pause(url: str, at: datetime, conv: str = "conv-1") -> datetime:
    for _ in range(get_settings().identity_max_failures):
        result = _verify(url, "AUTO-2026-0001", "1111", at, conv=conv)
    assert result.locked_until is not None
    return result.locked_until


def test_correct_answer_refused_in_a_paused_conversation(seeded_url: str, now: datetime) -> None:
    until = _pause(seeded_url, now)
    later = now + timedelta(minutes=14)
    result = _verify(seeded_url, "AUTO-2026-0001", "1985-04-12", later)
    assert result.outcome is V.PAUSED
    assert result.locked_until == until
    assert result.customer_name is None
    # Refusals while paused do not extend the pause.
    assert paused_until("conv-1", now=later, url=seeded_url) == until


def test_pause_expires_by_itself(seeded_url: str, now: datetime) -> None:
    until = _pause(seeded_url, now)
    after = until + timedelta(seconds=1)
    assert paused_until("conv-1", now=until - timedelta(seconds=1), url=seeded_url) == until
    assert paused_until("conv-1", now=after, url=seeded_url) is None
    # A fresh round of attempts after the pause.
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


def test_a_pause_is_per_conversation_not_per_policy(seeded_url: str, now: datetime) -> None:
    _pause(seeded_url, now)
    assert _verify(seeded_url, "AUTO-2026-0001", "1985-04-12", now, conv="c2").verified


def test_unknown_policy_reads_as_a_wrong_answer(seeded_url: str, now: datetime) -> None:
    unknown = _verify(seeded_url, "AUTO-2026-9999", "1985-04-12", now, conv="u")
    real = _verify(seeded_url, "AUTO-2026-0001", "1985-04-13", now, conv="r")
    assert unknown.outcome is V.MISMATCH is real.outcome
    assert unknown.attempts_left == real.attempts_left
    assert unknown.policy_number == "AUTO-2026-9999"
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
        assert lock is None or (lock.failures == 0 and lock.locked_until is None)


def test_simultaneous_wrong_answers_all_count(seeded_url: str, now: datetime) -> None:
    from concurrent.futures import ThreadPoolExecutor

    settings = get_settings()
    total = settings.identity_policy_max_failures
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(
            lambda i: _verify(seeded_url, "AUTO-2026-0001", "1111", now, conv=f"c{i}"),
            range(total),
        ))
    # One wrong answer per conversation: nobody is paused...
    assert [r.outcome for r in results] == [V.MISMATCH] * total
    # ...but every one counted against the policy, which is now locked.
    assert lock_state("AUTO-2026-0001", now, url=seeded_url) is not None


# --- the one-time code, the policy lock, the address count, the global limit --------------------

def _settings(**changes) -> Settings:
    return replace(get_settings(), **changes)


def test_medical_details_need_the_code_after_the_date_of_birth(
    seeded_url: str, now: datetime
) -> None:
    sms = Sms()
    sent = _verify(seeded_url, "MED-2026-0001", "1985-04-12", now, sms=sms, language="en")
    assert sent.outcome is V.CODE_SENT and sent.reason == "medical"
    assert not sent.verified and sent.customer_name is None
    [(phone, body)] = sms.sent
    assert phone == "13800000001" and "verification code" in body
    code = sms.code()
    # Another conversation cannot use this conversation's code.
    assert not _verify(seeded_url, "MED-2026-0001", code, now, conv="other", sms=sms).verified
    result = _verify(seeded_url, "MED-2026-0001", code, now + timedelta(minutes=4), sms=sms)
    assert result.verified and result.customer_name == "张伟"
    assert code_verified("conv-1", "MED-2026-0001", since=now, url=seeded_url)
    assert not code_verified("other", "MED-2026-0001", since=now, url=seeded_url)
    # A spent code does not work twice.
    again = _verify(seeded_url, "MED-2026-0001", code, now + timedelta(minutes=4), sms=sms)
    assert not again.verified


def test_only_a_salted_hash_of_the_code_is_kept(seeded_url: str, now: datetime) -> None:
    sms = Sms()
    _verify(seeded_url, "MED-2026-0002", "1948-09-30", now, sms=sms)
    code = sms.code()
    with unit_of_work(seeded_url) as uow:
        [row] = uow.session.execute(select(IdentityCode)).scalars()
        stored = json.dumps([row.code_hash, row.salt, row.conversation_id, row.policy_number,
                             [[e.actor, e.detail] for e in uow.audit.list()]])
        assert row.expires_at == now + timedelta(minutes=get_settings().identity_code_minutes)
    assert code not in stored


def test_wrong_codes_count_down_then_the_code_is_spent(seeded_url: str, now: datetime) -> None:
    sms = Sms()
    settings = _settings(identity_max_failures=10)
    _verify(seeded_url, "MED-2026-0002", "1948-09-30", now, sms=sms, settings=settings)
    code = sms.code()
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    tries = get_settings().identity_code_max_tries
    outcomes = [_verify(seeded_url, "MED-2026-0002", wrong, now, sms=sms, settings=settings)
                for _ in range(tries)]
    assert [o.outcome for o in outcomes] == [V.CODE_MISMATCH] * (tries - 1) + [V.CODE_FAILED]
    assert outcomes[0].attempts_left == tries - 1
    assert _verify(seeded_url, "MED-2026-0002", "嗯", now, sms=sms).outcome is not V.VERIFIED
    assert not _verify(seeded_url, "MED-2026-0002", code, now, sms=sms,
                       settings=settings).verified


def test_the_code_expires(seeded_url: str, now: datetime) -> None:
    sms = Sms()
    _verify(seeded_url, "MED-2026-0002", "1948-09-30", now, sms=sms)
    late = now + timedelta(minutes=get_settings().identity_code_minutes)
    assert _verify(seeded_url, "MED-2026-0002", sms.code(), late, sms=sms).outcome is (
        V.CODE_EXPIRED
    )


def test_no_code_without_sms(seeded_url: str, now: datetime) -> None:
    result = _verify(seeded_url, "MED-2026-0002", "1948-09-30", now, sms=None)
    assert result.outcome is V.CODE_UNAVAILABLE and not result.verified


def _lock_policy(url: str, number: str, at: datetime, answer: str = "1111") -> None:
    for i in range(get_settings().identity_policy_max_failures):
        _verify(url, number, answer, at, conv=f"stranger-{at:%H%M}-{i}")


def test_the_policy_lock_escalates(seeded_url: str, now: datetime) -> None:
    durations = get_settings().identity_policy_lock_minutes
    at = now
    for minutes in [*durations, durations[-1]]:
        _lock_policy(seeded_url, "AUTO-2026-0001", at)
        until = lock_state("AUTO-2026-0001", at, url=seeded_url)
        assert until == at + timedelta(minutes=minutes)
        at = until + timedelta(seconds=1)
    # A day without a lock: the next one is the shortest again.
    at += timedelta(hours=24)
    _lock_policy(seeded_url, "AUTO-2026-0001", at)
    assert lock_state("AUTO-2026-0001", at, url=seeded_url) == at + timedelta(
        minutes=durations[0])


def test_a_locked_policy_still_verifies_its_holder_by_code(seeded_url: str, now: datetime) -> None:
    _lock_policy(seeded_url, "AUTO-2026-0001", now)
    assert lock_state("AUTO-2026-0001", now, url=seeded_url) is not None
    sms = Sms()
    sent = _verify(seeded_url, "AUTO-2026-0001", "1985-04-12", now, conv="holder", sms=sms)
    assert sent.outcome is V.CODE_SENT and sent.reason == "locked"
    assert sms.sent[-1][0] == "13800000001"
    result = _verify(seeded_url, "AUTO-2026-0001", sms.code(), now, conv="holder", sms=sms)
    assert result.verified and result.customer_name == "张伟"


def test_a_locked_unknown_number_reads_like_a_locked_real_one(
    seeded_url: str, now: datetime
) -> None:
    _lock_policy(seeded_url, "AUTO-2026-0001", now)
    _lock_policy(seeded_url, "AUTO-2026-9999", now)
    sms = Sms()
    real = _verify(seeded_url, "AUTO-2026-0001", "1990-01-01", now, conv="a", sms=sms)
    unknown = _verify(seeded_url, "AUTO-2026-9999", "1990-01-01", now, conv="b", sms=sms)
    assert (real.outcome, real.reason, real.attempts_left) == (
        unknown.outcome, unknown.reason, unknown.attempts_left)
    assert sms.sent == []  # a wrong answer sends nothing, even to the real holder's phone
    real_try = _verify(seeded_url, "AUTO-2026-0001", "000000", now, conv="a", sms=sms)
    unknown_try = _verify(seeded_url, "AUTO-2026-9999", "000000", now, conv="b", sms=sms)
    assert (real_try.outcome, real_try.attempts_left) == (
        unknown_try.outcome, unknown_try.attempts_left)


def test_codes_per_policy_are_limited(seeded_url: str, now: datetime) -> None:
    sms = Sms()
    limit = get_settings().identity_codes_per_hour
    outcomes = [
        _verify(seeded_url, "MED-2026-0002", "1948-09-30", now, conv=f"c{i}", sms=sms).outcome
        for i in range(limit + 1)
    ]
    assert outcomes == [V.CODE_SENT] * limit + [V.CODE_UNAVAILABLE]
    assert len(sms.sent) == limit


def test_wrong_answers_are_also_counted_per_client_address(seeded_url: str, now: datetime) -> None:
    settings = _settings(identity_address_max_failures=4)
    for conv in ("a", "b"):
        for _ in range(2):
            last = _verify(seeded_url, "AUTO-2026-0001", "1111", now, conv=conv,
                           client_address="203.0.113.7", settings=settings)
    assert last.outcome is V.PAUSED
    # A fresh conversation from the same address is paused too; another address is not.
    assert paused_until("c", "203.0.113.7", now, url=seeded_url) == last.locked_until
    assert _verify(seeded_url, "AUTO-2026-0001", "0001", now, conv="c",
                   client_address="203.0.113.7", settings=settings).outcome is V.PAUSED
    assert _verify(seeded_url, "AUTO-2026-0001", "0001", now, conv="d",
                   client_address="198.51.100.2", settings=settings).verified
    with unit_of_work(seeded_url) as uow:
        keys = [c.key for c in uow.session.execute(select(IdentityCounter)).scalars()]
    assert "203.0.113.7" not in json.dumps(keys)  # only a hash of the address


def test_global_limit_answers_busy_and_audits(seeded_url: str, now: datetime) -> None:
    settings = _settings(identity_attempts_per_minute=5)
    for i in range(5):
        _verify(seeded_url, "AUTO-2026-0001", "1111", now, conv=f"c{i}", settings=settings)
    busy = _verify(seeded_url, "AUTO-2026-0001", "0001", now, conv="holder", settings=settings)
    assert busy.outcome is V.BUSY and busy.stops and not busy.verified
    with unit_of_work(seeded_url) as uow:
        [entry] = uow.audit.list(action="identity.busy")
        assert entry.actor == "conversation:holder"
    later = now + timedelta(minutes=1, seconds=1)
    assert _verify(seeded_url, "AUTO-2026-0001", "0001", later, conv="holder",
                   settings=settings).verified


def test_old_counters_and_codes_are_forgotten(seeded_url: str, now: datetime) -> None:
    sms = Sms()
    _verify(seeded_url, "AUTO-2026-0001", "1111", now, client_address="203.0.113.7")
    _verify(seeded_url, "MED-2026-0002", "1948-09-30", now, sms=sms, conv="m")
    assert purge(now + timedelta(hours=1), url=seeded_url) == 0
    assert purge(now + timedelta(hours=25), url=seeded_url) >= 4
    with unit_of_work(seeded_url) as uow:
        for model in (IdentityCounter, IdentityCode, IdentityLock):
            assert list(uow.session.execute(select(model)).scalars()) == []


# --- findings of the independent attack (F1, F3, F4, F7) ------------------------------------------

def test_the_policy_number_is_no_answer_to_the_identity_question(
    seeded_url: str, now: datetime
) -> None:
    """F1: 张伟's phone ends 0001 like his policy AUTO-2026-0001; sending the policy number
    again (in any spelling, alone or in a sentence) is not his phone's last four digits."""
    for answer in ("AUTO-2026-0001", "AUTO20260001", "auto 2026 0001",
                   "i already gave you the policy number AUTO-2026-0001??",
                   "保单号是AUTO-2026-0001", "CLM-2026-000001", "20260001"):
        result = _verify(seeded_url, "AUTO-2026-0001", answer, now, conv="attacker")
        assert not result.verified, answer
        assert result.outcome is V.UNREADABLE, answer
    # Real answers still work: four digits, a whole mobile number, a date beside the number.
    assert _verify(seeded_url, "AUTO-2026-0001", "尾号0001", now, conv="a").verified
    assert _verify(seeded_url, "AUTO-2026-0001", "+86 138 0000 0001", now, conv="b").verified
    assert _verify(seeded_url, "AUTO-2026-0001", "AUTO-2026-0001 1985-04-12", now,
                   conv="c").verified


def test_the_code_is_read_inside_a_sentence(seeded_url: str, now: datetime) -> None:
    """F7: "验证码是 605117", "验证码：297 891" are the code, not "please send the code"."""
    for i, wrap in enumerate(("验证码是 {}", "验证码：{}", "the code is {} thanks", "{}")):
        sms = Sms()
        conv = f"med-{i}"
        at = now + timedelta(hours=2 * i)  # under the codes-per-hour limit
        _verify(seeded_url, "MED-2026-0002", "1948-09-30", at, conv=conv, sms=sms)
        code = sms.code()
        spaced = f"{code[:3]} {code[3:]}" if i == 1 else code
        result = _verify(seeded_url, "MED-2026-0002", wrap.format(spaced), at, conv=conv,
                         sms=sms)
        assert result.verified, wrap
    sms = Sms()
    at = now + timedelta(hours=10)
    _verify(seeded_url, "MED-2026-0002", "1948-09-30", at, conv="two", sms=sms)
    two = _verify(seeded_url, "MED-2026-0002", "123456 或 654321", at, conv="two", sms=sms)
    assert two.outcome is V.CODE_UNREADABLE  # two groups: which one?


def test_strangers_cannot_spend_the_holders_codes_while_locked(
    seeded_url: str, now: datetime
) -> None:
    """F3: strangers lock the policy, then send any date from many conversations; no code goes
    to the holder's phone, they get the same words as the holder, and the holder still gets a
    code with the right answer."""
    _lock_policy(seeded_url, "AUTO-2026-0001", now)
    sms = Sms()
    limit = get_settings().identity_codes_per_hour
    strangers = [_verify(seeded_url, "AUTO-2026-0001", "1990-01-01", now, conv=f"x{i}",
                         sms=sms) for i in range(limit + 2)]
    assert sms.sent == []
    holder = _verify(seeded_url, "AUTO-2026-0001", "1985-04-12", now, conv="holder", sms=sms)
    assert holder.outcome is V.CODE_SENT and len(sms.sent) == 1
    assert {(s.outcome, s.reason, s.attempts_left) for s in strangers} == {
        (holder.outcome, holder.reason, holder.attempts_left)}
    # A stranger's "code" never verifies, whatever they send.
    assert not _verify(seeded_url, "AUTO-2026-0001", sms.code(), now, conv="x0",
                       sms=sms).verified
    assert _verify(seeded_url, "AUTO-2026-0001", sms.code(), now, conv="holder",
                   sms=sms).verified


def test_wrong_answers_while_locked_still_pause_the_stranger(
    seeded_url: str, now: datetime
) -> None:
    _lock_policy(seeded_url, "AUTO-2026-0001", now)
    first = _verify(seeded_url, "AUTO-2026-0001", "1990-01-01", now, conv="x")
    assert first.outcome is V.CODE_SENT
    for _ in range(get_settings().identity_max_failures):
        _verify(seeded_url, "AUTO-2026-0001", "000000", now, conv="x")
    assert paused_until("x", None, now, url=seeded_url) is not None
    assert _verify(seeded_url, "AUTO-2026-0001", "1985-04-12", now,
                   conv="x").outcome is V.PAUSED


def test_no_code_now_says_until_when_and_only_to_the_right_answer(
    seeded_url: str, now: datetime
) -> None:
    sms = Sms()
    limit = get_settings().identity_codes_per_hour
    for i in range(limit):
        _verify(seeded_url, "MED-2026-0002", "1948-09-30", now + timedelta(minutes=i),
                conv=f"c{i}", sms=sms)
    late = now + timedelta(minutes=10)
    full = _verify(seeded_url, "MED-2026-0002", "1948-09-30", late, conv="h", sms=sms)
    assert full.outcome is V.CODE_UNAVAILABLE and full.locked_until == now + timedelta(hours=1)
    wrong = _verify(seeded_url, "MED-2026-0002", "1990-01-01", late, conv="w", sms=sms)
    assert wrong.outcome is V.MISMATCH


def test_unreadable_answers_do_not_make_everyone_busy(seeded_url: str, now: datetime) -> None:
    """F4: one client sends 40 unreadable answers, or keeps trying in a paused conversation;
    the holder elsewhere is still checked."""
    settings = _settings(identity_attempts_per_minute=5)
    for _ in range(40):
        _verify(seeded_url, "AUTO-2026-0001", "xyz 1", now, conv="flood", settings=settings)
    for _ in range(3):
        _verify(seeded_url, "AUTO-2026-0001", "1111", now, conv="paused", settings=settings)
    for _ in range(20):
        assert _verify(seeded_url, "AUTO-2026-0001", "1111", now, conv="paused",
                       settings=settings).outcome is V.PAUSED
    assert _verify(seeded_url, "AUTO-2026-0001", "0001", now, conv="holder",
                   settings=settings).verified


def test_a_date_of_birth_read_two_ways_is_asked_back_and_never_counted(
    seeded_url: str, now: datetime
) -> None:
    max_failures = get_settings().identity_max_failures
    from datetime import date

    # 04/12/1985 is 4 December or 12 April 1985: the customer is asked which, nothing counts.
    for answer in ("04/12/1985", "12/4/85", "04/12/1985"):
        asked = _verify(seeded_url, "AUTO-2026-0001", answer, now)
        assert asked.outcome is V.DATE_ORDER, answer
        assert set(asked.alternatives) == {date(1985, 4, 12), date(1985, 12, 4)}
        assert asked.attempts_left == max_failures
    assert lock_state("AUTO-2026-0001", now, url=seeded_url) is None
    # The answer in one reading is checked as usual, and a wrong date still counts.
    wrong = _verify(seeded_url, "AUTO-2026-0001", "1985年12月4日", now)
    assert wrong.outcome is V.MISMATCH and wrong.attempts_left == max_failures - 1
    assert _verify(seeded_url, "AUTO-2026-0001", "12 Apr 85", now).verified


def test_dates_of_birth_in_the_formats_people_type(seeded_url: str, now: datetime) -> None:
    for conv, answer in enumerate(("85年4月12", "民國74年4月12日", "12 April 85", "Apr 12 1985",
                                   "1985.4.12", "April 12th, 1985")):
        assert _verify(seeded_url, "AUTO-2026-0001", answer, now, conv=f"c{conv}").verified, \
            answer
