"""Attacks on the identity check: locking the holder out, enumerating policy numbers, getting
round the SMS code, flooding the check. Each test is the attack; the e2e ones go through the
web chat of the real servers, with Twilio's stand-in receiving the codes."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.identity import VerificationOutcome, verify
from bot.replies import say
from bot.settings import get_settings
from bot.store.db import dispose_engines, unit_of_work
from bot.store.models import Claim, IdentityCode, Policy
from tests.support.sms_code import code_sent_to
from tests.support.store import migrate_and_seed
from tests.support.webchat import WebChat, lock_by_strangers

NOW = datetime(2026, 11, 22, 2, 0)  # naive UTC; the demo data's day
TIME = re.compile(r"\d\d:\d\d")


@pytest.mark.e2e
def test_strangers_in_other_conversations_cannot_lock_the_holder_out(
    claims_servers, forget_attempts
):
    for _ in range(3):
        stranger = WebChat(claims_servers)
        stranger.says("check my claim status")
        stranger.says("HOME-2026-0001")
        replies = [stranger.says(f"1990-01-0{day}") for day in (2, 3, 4)]
        assert replies[0] == say("verification_mismatch", "en", attempts_left=2)
        assert "paused" in replies[-1]  # that conversation, and only it
    holder = WebChat(claims_servers)
    holder.says("check my claim status")
    assert holder.says("HOME-2026-0001") == say("ask_verification", "en")
    reply = holder.says("0003")
    assert "John Smith" in reply and "CLM-2026-000001" in reply


def _walk(servers, policy_number: str) -> list[str]:  # noqa: ANN001
    chat = WebChat(servers)
    texts = [chat.says("查进度"), chat.says(policy_number)]
    texts += [chat.says(answer) for answer in ("1990-01-01", "1990-01-02", "1990-01-03")]
    # The pause names the time it ends; both walks run within the same minute or two.
    return [TIME.sub("HH:MM", text) for text in texts]


@pytest.mark.e2e
def test_an_unknown_policy_gets_the_same_replies_as_a_real_one_with_a_wrong_birth_date(
    claims_servers, forget_attempts
):
    unknown = _walk(claims_servers, "AUTO-2026-9999")
    real = _walk(claims_servers, "AUTO-2026-0001")
    assert unknown == real
    assert unknown[1] == say("ask_verification", "zh")
    assert unknown[2] == say("verification_mismatch", "zh", attempts_left=2)
    assert "9999" not in "".join(unknown)


@pytest.mark.e2e
def test_a_policy_locked_by_many_failures_still_lets_its_holder_in_by_sms_code(
    claims_servers, claims_db_url, twilio_standin, forget_attempts
):
    lock_by_strangers(claims_servers, "查进度", "AUTO-2026-0001")
    with unit_of_work(claims_db_url) as uow:
        lock = uow.identity_locks.by_policy_number("AUTO-2026-0001")
        assert lock is not None and lock.locked_until is not None  # locked against guessing
    before = len(twilio_standin.messages)
    holder = WebChat(claims_servers)
    holder.says("查进度")
    assert holder.says("AUTO-2026-0001") == say("ask_verification", "zh")
    sent = holder.says("1985-04-12")
    assert sent == say("identity_code_sent_locked_help", "zh",
                       minutes=get_settings().identity_code_minutes)
    assert "张伟" not in sent and "CLM-" not in sent
    code = code_sent_to(twilio_standin, "+8613800000001", before)
    reply = holder.says(code)
    assert "张伟" in reply and "CLM-2026-000004" in reply
    with unit_of_work(claims_db_url) as uow:
        hashes = [row.code_hash for row in uow.session.execute(select(IdentityCode)).scalars()]
    assert hashes and code not in hashes


@pytest.mark.e2e
def test_medical_claim_status_needs_the_sms_code_after_the_birth_date(
    claims_servers, claims_db_url, twilio_standin, forget_attempts
):
    with unit_of_work(claims_db_url) as uow:
        claim_numbers = list(uow.session.execute(
            select(Claim.number).join(Policy).where(Policy.number == "MED-2026-0002")
        ).scalars())
    assert claim_numbers
    before = len(twilio_standin.messages)
    chat = WebChat(claims_servers)
    chat.says("查进度")
    chat.says("MED-2026-0002")
    asked = chat.says("1948-09-30")
    assert asked == say("identity_code_sent_medical", "zh",
                        minutes=get_settings().identity_code_minutes)
    assert "李秀英" not in asked and not any(number in asked for number in claim_numbers)
    code = code_sent_to(twilio_standin, "+8613800000002", before)
    # A guessed code does not open it...
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    assert chat.says(wrong) == say("identity_code_mismatch", "zh", attempts_left=2)
    # ...the code from the holder's phone does.
    reply = chat.says(code)
    assert "李秀英" in reply
    assert any(number in reply for number in claim_numbers)


def test_a_flood_of_attempts_gets_busy_and_is_audited(tmp_path: Path) -> None:
    url = migrate_and_seed(f"sqlite:///{tmp_path / 'claims.db'}", today=NOW.date())
    settings = replace(get_settings(), identity_attempts_per_minute=20)
    try:
        for i in range(20):  # a flood from twenty conversations in one minute
            verify(f"AUTO-2026-{i:04d}", "2000-01-01", conversation_id=f"flood-{i}",
                   now=NOW + timedelta(seconds=i), url=url, settings=settings)
        busy = verify("AUTO-2026-0001", "1985-04-12", conversation_id="holder",
                      now=NOW + timedelta(seconds=30), url=url, settings=settings)
        assert busy.outcome is VerificationOutcome.BUSY and not busy.verified
        with unit_of_work(url) as uow:
            [entry] = uow.audit.list(action="identity.busy")
            assert entry.actor == "conversation:holder" and entry.subject_id == "AUTO-2026-0001"
        # A minute after the flood the holder gets through.
        later = verify("AUTO-2026-0001", "1985-04-12", conversation_id="holder",
                       now=NOW + timedelta(seconds=81), url=url, settings=settings)
        assert later.verified
    finally:
        dispose_engines()


def test_right_answers_from_one_address_cannot_make_everyone_busy(tmp_path: Path) -> None:
    """R2: one client sends 70 RIGHT answers (fresh conversations, one address) in seconds; the
    holder elsewhere is still checked, and that client is asked to wait, nobody else."""
    url = migrate_and_seed(f"sqlite:///{tmp_path / 'claims.db'}", today=NOW.date())
    settings = replace(get_settings(), identity_attempts_per_minute=60,
                       identity_address_checks=20, identity_address_check_window_minutes=10)
    try:
        outcomes = [verify("AUTO-2026-0001", "AUTO-2026-0001 1985-04-12",
                           conversation_id=f"flood-{i}", client_address="203.0.113.9",
                           now=NOW + timedelta(seconds=i / 16), url=url,
                           settings=settings).outcome for i in range(70)]
        assert outcomes[:20] == [VerificationOutcome.VERIFIED] * 20
        assert set(outcomes[20:]) == {VerificationOutcome.PAUSED}  # that address waits
        holder = verify("AUTO-2026-0001", "1985-04-12", conversation_id="holder",
                        client_address="198.51.100.4", now=NOW + timedelta(seconds=5), url=url,
                        settings=settings)
        assert holder.verified
        with unit_of_work(url) as uow:
            assert uow.audit.list(action="identity.busy") == []
        # The window over, the address is checked again.
        assert verify("AUTO-2026-0001", "1985-04-12", conversation_id="later",
                      client_address="203.0.113.9", now=NOW + timedelta(minutes=11), url=url,
                      settings=settings).verified
    finally:
        dispose_engines()


def test_a_right_answer_now_and_then_does_not_reset_the_address_count(tmp_path: Path) -> None:
    """R3: 4 wrong, 1 right, 9 wrong, 1 right, 6 wrong from one address: the address is paused
    at its tenth wrong answer, the right ones in between notwithstanding."""
    url = migrate_and_seed(f"sqlite:///{tmp_path / 'claims.db'}", today=NOW.date())
    settings = replace(get_settings(), identity_address_max_failures=10,
                       identity_attempts_per_minute=100000, identity_address_checks=0)
    address = "203.0.113.10"
    outcomes = []
    try:
        for step, (count, right) in enumerate(((4, False), (1, True), (9, False), (1, True),
                                               (6, False))):
            for i in range(count):
                answer = "1985-04-12" if right else "2001-01-01"
                outcomes.append(verify(
                    "AUTO-2026-0001", answer, conversation_id=f"r3-{step}-{i}",
                    client_address=address, now=NOW + timedelta(seconds=len(outcomes)),
                    url=url, settings=settings).outcome)
        wrong = [o for o in outcomes if o is not VerificationOutcome.VERIFIED]
        assert VerificationOutcome.PAUSED in outcomes
        # The tenth wrong answer pauses the address; nothing after it is checked.
        assert outcomes.index(VerificationOutcome.PAUSED) <= 4 + 1 + 9 + 1
        assert wrong.count(VerificationOutcome.MISMATCH) <= 9
    finally:
        dispose_engines()
