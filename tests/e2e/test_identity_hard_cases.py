"""Issue 19 (h-identity), through the real Rasa and action servers and the web chat, as an
outside tester wrote them: an emergency is never answered with the policy-number hint; the
elderly customer without her policy number reports her hospital stay with her phone; a code
that does not come is sent again, then what needs no code is shown."""
from __future__ import annotations

import pytest

from bot.replies import say
from tests.support.webchat import WebChat

pytestmark = pytest.mark.e2e


def test_an_emergency_gets_help_again_and_the_policy_number_waits(claims_servers):
    chat = WebChat(claims_servers)
    first = chat.says("救命 我老婆刚出车祸了 在高架上 人流血了 怎么办")
    assert say("urgent.call_120", "zh") in first
    assert first.endswith(say("ask_policy_number_urgent", "zh"))
    again = chat.says("她在流血 救护车还没来")
    assert say("urgent.again.120", "zh") in again and say("urgent.again.wait", "zh") in again
    assert say("policy_number_unreadable", "zh") not in again
    assert chat.says("保单号不记得了") == say("ask_login_phone", "zh")


def test_li_xiuying_reports_her_hospital_stay_without_the_policy_number(claims_servers):
    chat = WebChat(claims_servers)
    assert chat.says("我想报案，我住院了").endswith(say("ask_policy_number", "zh"))
    assert chat.says("我没有保单号，可以用手机号吗") == say("ask_login_phone", "zh")
    assert chat.says("13800000002") == say("ask_login_birth_date", "zh")
    verified = chat.says("1948-09-30")
    assert say("identity_verified", "zh", name="李秀英") in verified
    assert say("asks.offer_person.report", "zh") not in verified
    assert say("policy_number_unreadable", "zh") not in verified


def test_a_code_that_does_not_come_is_sent_again_then_the_car_claim_is_shown(claims_servers):
    chat = WebChat(claims_servers)
    assert chat.says("查进度") == say("ask_policy_number", "zh")
    assert chat.says("MED-2026-0001") == say("ask_verification", "zh")
    assert chat.says("1985-04-12") == say("identity_code_sent_medical", "zh", minutes=5)
    assert chat.says("收不到短信") == say("identity_code_resent_medical", "zh", minutes=5)
    assert chat.says("还是没收到") == say("identity_code_missing_again_medical", "zh")
    shown = chat.says("我就想查车险的")
    assert say("identity_without_code_note", "zh") in shown and "CLM-2026-000004" in shown
