"""The way in without the policy number (issue 19, item 10): the phone on file and the date of
birth, then a pick from the customer's policies. A pair that matches nobody gets exactly the
reply of a wrong date for a real phone, counted against the same limits."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.identity import (
    VerificationOutcome,
    has_no_policy,
    parse_mobile,
    verify,
    verify_by_phone,
    wants_phone_route,
)
from bot.settings import get_settings
from bot.store.db import unit_of_work

V = VerificationOutcome
ZHANG_PHONE, ZHANG_BORN = "13800000001", "1985-04-12"  # demo data (bot/seed.py)


@pytest.mark.parametrize("text", [
    "保单号我不记得了", "I don't have my policy number", "我不知道保单号 在抽屉里",
    "保单号我不记得了 在抽屉里", "I can't find my policy number", "我手机号是139 1234 5678",
    "13912345678", "+86 139 1234 5678", "lost my policy, sorry",
])
def test_the_ways_of_saying_no_policy_number_to_hand(text):
    assert wants_phone_route(text)


@pytest.mark.parametrize("text", [
    "AUTO-2026-0001", "1985-04-12", "I don't have a policy, that's the point", "我没有保单",
    "你好", "0001",
])
def test_other_answers_are_not_the_phone_route(text):
    assert not wants_phone_route(text)


def test_no_policy_at_all_is_told_apart_from_a_forgotten_number():
    assert has_no_policy("I don't have a policy, that's the point")
    assert has_no_policy("我还没买保险，想先问问")
    assert not has_no_policy("I don't have my policy number")
    assert not has_no_policy("没有保单号")


def test_mobile_numbers_in_the_ways_people_type_them():
    assert parse_mobile("+86 138-0000-0001") == ZHANG_PHONE
    assert parse_mobile("我的手机１３８００００００01") == ZHANG_PHONE
    assert parse_mobile("AUTO-2026-0001") is None
    assert parse_mobile("12345") is None


def test_the_right_pair_verifies_and_lists_the_customers_policies(seeded_url, now):
    result = verify_by_phone(ZHANG_PHONE, "1985年4月12日", conversation_id="c1", now=now,
                             url=seeded_url)
    assert result.outcome is V.VERIFIED
    assert result.verification.customer_name == "张伟"
    assert result.policies == (("AUTO-2026-0001", "motor"), ("MED-2026-0001", "medical"))
    assert result.verification.policy_number is None  # two policies: the customer picks


def test_one_policy_is_taken_at_once(seeded_url, now):
    result = verify_by_phone("+8613800000003", "1990-07-01", conversation_id="c1", now=now,
                             url=seeded_url)
    assert result.outcome is V.VERIFIED
    assert result.verification.policy_number == "HOME-2026-0001"


def test_a_pair_that_matches_nobody_reads_as_a_wrong_date_for_a_real_phone(seeded_url, now):
    real_phone = verify_by_phone(ZHANG_PHONE, "1980-01-01", conversation_id="a", now=now,
                                 url=seeded_url)
    nobody = verify_by_phone("13999999999", "1980-01-01", conversation_id="b", now=now,
                             url=seeded_url)
    assert real_phone == nobody
    assert real_phone.outcome is V.MISMATCH and real_phone.policies == ()


def test_wrong_pairs_count_against_the_conversation_like_any_identity_answer(seeded_url, now):
    limit = get_settings().identity_max_failures
    outcomes = [verify_by_phone(f"139000000{i:02d}", "1980-01-01", conversation_id="c",
                                now=now + timedelta(seconds=i), url=seeded_url).outcome
                for i in range(limit)]
    assert outcomes[:-1] == [V.MISMATCH] * (limit - 1) and outcomes[-1] is V.PAUSED
    # The same conversation is paused for the policy-number way in as well, right answer or not.
    paused = verify("AUTO-2026-0001", ZHANG_BORN, conversation_id="c", now=now, url=seeded_url)
    assert paused.outcome is V.PAUSED
    right = verify_by_phone(ZHANG_PHONE, ZHANG_BORN, conversation_id="c", now=now,
                            url=seeded_url)
    assert right.outcome is V.PAUSED


def test_an_unreadable_answer_never_counts(seeded_url, now):
    for _ in range(5):
        result = verify_by_phone(ZHANG_PHONE, "不记得了", conversation_id="c", now=now,
                                 url=seeded_url)
        assert result.outcome is V.UNREADABLE
    assert verify_by_phone(ZHANG_PHONE, ZHANG_BORN, conversation_id="c", now=now,
                           url=seeded_url).outcome is V.VERIFIED


def test_many_wrong_dates_for_one_phone_lock_that_way_in(seeded_url, now):
    settings = replace(get_settings(), identity_max_failures=1000,
                       identity_address_max_failures=0)
    for i in range(settings.identity_policy_max_failures):
        verify_by_phone(ZHANG_PHONE, f"1970-01-{i + 1:02d}", conversation_id=f"s{i}",
                        now=now, url=seeded_url, settings=settings)
    # Locked: even the right date gets the wrong answer's reply, so it cannot be found by trying.
    locked = verify_by_phone(ZHANG_PHONE, ZHANG_BORN, conversation_id="new", now=now,
                             url=seeded_url, settings=settings)
    assert locked.outcome is V.MISMATCH
    # The policy number still lets the holder in.
    assert verify("AUTO-2026-0001", ZHANG_BORN, conversation_id="new2", now=now,
                  url=seeded_url, settings=settings).outcome is V.VERIFIED


def test_attempts_are_audited_without_the_phone_or_the_date(seeded_url, now):
    verify_by_phone(ZHANG_PHONE, ZHANG_BORN, conversation_id="c", now=now, url=seeded_url)
    with unit_of_work(seeded_url) as uow:
        rows = uow.audit.list(action="identity.verify")
        details = [str(row.detail) for row in rows]
    assert rows and all(ZHANG_PHONE not in text and "1985" not in text for text in details)
