"""Issue 19 (h-identity): the customer's side of the identity check when things go wrong: a
code that does not arrive, no policy number to hand, a pause from the network, a locked policy."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.identity import (
    ADDRESS,
    CONVERSATION,
    VerificationOutcome,
    holder_without_code,
    lock_state,
    pause_of,
    resend_code,
    says_code_missing,
    verify,
    wants_phone_route,
    wants_without_code,
)
from bot.settings import get_settings

V = VerificationOutcome


class Sms:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def __call__(self, phone: str, body: str) -> None:
        self.sent.append((phone, body))

    def code(self) -> str:
        return re.search(r"\b(\d{6})\b", self.sent[-1][1]).group(1)


def _verify(url, policy, answer, at, conv="conv-1", sms=None, **kwargs):
    return verify(policy, answer, conversation_id=conv, now=at, url=url, send_sms=sms, **kwargs)


@pytest.mark.parametrize("text", [
    "我没有保单号，可以用手机号吗", "我不知道保单号", "保单号找不到了", "没有保单号",
    "嗯那个啥 我是李秀英 我住院了想报销 保单号我不知道啊", "保单号不记得了", "13800000002",
    "I don't have the number with me", "can I use my phone number instead?", "手机号可以吗",
])
def test_every_way_of_saying_the_number_is_not_to_hand_opens_the_phone_way(text):
    assert wants_phone_route(text)


@pytest.mark.parametrize("text", ["我想报案，我住院了", "AUTO-2026-0001", "我手机号换了",
                                  "I can use my phone to send photos"])
def test_other_messages_do_not(text):
    assert not wants_phone_route(text)


@pytest.mark.parametrize("text", ["收不到短信", "还是没收到", "没有短信啊", "验证码还没来",
                                  "I didn't get the code", "please resend"])
def test_a_code_that_did_not_come_is_understood(text):
    assert says_code_missing(text)


def test_a_code_is_not_a_complaint_that_it_did_not_come():
    assert not says_code_missing("605117") and not says_code_missing("怎么办")
    assert wants_without_code("我收不到短信，先告诉我有几笔理赔")
    assert wants_without_code("我就想查车险的") and not wants_without_code("还是没收到")


def test_didnt_get_it_sends_the_code_again_within_the_hourly_limit(seeded_url, now):
    sms = Sms()
    assert _verify(seeded_url, "MED-2026-0001", "1985-04-12", now, sms=sms).outcome \
        is V.CODE_SENT
    again = resend_code("MED-2026-0001", conversation_id="conv-1", send_sms=sms,
                        now=now + timedelta(minutes=1), url=seeded_url)
    assert again.outcome is V.CODE_SENT and again.reason == "medical" and len(sms.sent) == 2
    # The new code verifies; the first one was replaced.
    assert _verify(seeded_url, "MED-2026-0001", sms.code(), now + timedelta(minutes=2),
                   sms=sms).verified
    # The third code of the hour is the last: then when one can go again is said.
    limit = get_settings().identity_codes_per_hour
    assert limit == 3
    _verify(seeded_url, "MED-2026-0001", "1985-04-12", now + timedelta(minutes=3), conv="c2",
            sms=sms)
    late = resend_code("MED-2026-0001", conversation_id="c2", send_sms=sms,
                       now=now + timedelta(minutes=4), url=seeded_url)
    assert late.outcome is V.CODE_UNAVAILABLE and late.locked_until == now + timedelta(hours=1)
    assert len(sms.sent) == 3


def test_the_holder_waiting_for_the_code_may_see_what_needs_none(seeded_url, now):
    sms = Sms()
    _verify(seeded_url, "MED-2026-0001", "1985-04-12", now, sms=sms)
    holder = holder_without_code("MED-2026-0001", conversation_id="conv-1", now=now,
                                 url=seeded_url)
    assert holder is not None and holder.customer_name == "张伟"
    # Nobody else: no pending code, or a wrong answer (no code at all).
    assert holder_without_code("MED-2026-0001", conversation_id="other", now=now,
                               url=seeded_url) is None
    assert _verify(seeded_url, "MED-2026-0002", "1990-01-01", now, conv="w").outcome \
        is V.MISMATCH
    assert holder_without_code("MED-2026-0002", conversation_id="w", now=now,
                               url=seeded_url) is None


def _lock(url, policy, at):
    for index in range(get_settings().identity_policy_max_failures):
        _verify(url, policy, "1999-01-01", at, conv=f"stranger-{index}",
                client_address=f"198.51.100.{index}")


def test_a_locked_policy_lets_nobody_in_without_the_code(seeded_url, now):
    _lock(seeded_url, "MED-2026-0001", now)
    assert lock_state("MED-2026-0001", now, url=seeded_url) is not None
    sms = Sms()
    right = _verify(seeded_url, "MED-2026-0001", "1985-04-12", now, conv="holder", sms=sms)
    wrong = _verify(seeded_url, "MED-2026-0001", "1990-01-01", now, conv="guess", sms=sms)
    assert (right.outcome, right.reason) == (wrong.outcome, wrong.reason) == (
        V.CODE_SENT, "locked")
    for conv in ("holder", "guess"):
        assert holder_without_code("MED-2026-0001", conversation_id=conv, now=now,
                                   url=seeded_url) is None
        again = resend_code("MED-2026-0001", conversation_id=conv, send_sms=sms, now=now,
                            url=seeded_url)
        assert (again.outcome, again.reason) == (V.CODE_SENT, "locked")
    assert [phone for phone, _ in sms.sent] == ["13800000001", "13800000001"]  # holder's only


def test_a_pause_says_whether_it_is_the_conversation_or_the_network(seeded_url, now):
    settings = replace(get_settings(), identity_address_max_failures=4)
    for conv in ("a", "b"):
        for _ in range(2):
            last = _verify(seeded_url, "AUTO-2026-0001", "1111", now, conv=conv,
                           client_address="203.0.113.7", settings=settings)
    assert last.outcome is V.PAUSED and last.paused_scope == ADDRESS
    assert pause_of("c", "203.0.113.7", now, url=seeded_url) == (last.locked_until, ADDRESS)
    for _ in range(3):
        mine = _verify(seeded_url, "AUTO-2026-0001", "1111", now, conv="alone")
    assert mine.outcome is V.PAUSED and mine.paused_scope == CONVERSATION
    assert pause_of("alone", None, now, url=seeded_url)[1] == CONVERSATION


