"""The outside tester's conversations through the web chat REST webhook and the real Rasa and
action servers: what happened, told while the policy number is asked, is kept and not asked
again; "查进度" or "你好" during the check is no wrong number; "查进度" in the middle
of the report is answered, and "2" at "跳过这个问题，还是先不报了？" stops the report."""
from __future__ import annotations

import pytest

from bot.replies import say
from tests.support.webchat import WebChat

pytestmark = pytest.mark.e2e

ZHANG_CLAIM = "CLM-2026-000004"  # 张伟's motor claim (AUTO-2026-0001)


def test_details_during_the_check_are_kept_then_status_and_stop_mid_report(claims_servers):
    chat = WebChat(claims_servers)
    assert say("ask_policy_number", "zh") in chat.says("我车被撞了")
    noted = chat.says("昨天下午三点在中山路被追尾了，后保险杠坏了")
    assert noted == say("report_noted_ask_policy_number", "zh")
    assert say("ask_verification", "zh") in chat.says("AUTO-2026-0001")
    verified = chat.says("1985-04-12")
    assert say("identity_verified", "zh", name="张伟") in verified
    assert say("report_ask.incident_time", "zh") not in verified
    assert say("report_ask.place", "zh") not in verified
    assert say("report_ask.description", "zh") not in verified
    assert say("report_stop_or_skip", "zh") in chat.says("算了")
    status = chat.says("查进度")
    assert ZHANG_CLAIM in status and say("report_stop_or_skip", "zh") in status
    assert say("cancelled", "zh") not in status
    stopped = chat.says("2")
    assert "说个大概" not in stopped and say("report_stop_or_skip", "zh") not in stopped


def test_requests_and_a_greeting_during_the_check_are_no_wrong_number(claims_servers):
    # The web chat sends what is typed ("/intent" payloads are WeChat's menu: action tests).
    chat = WebChat(claims_servers)
    assert chat.says("查进度") == say("ask_policy_number", "zh")
    for typed in ("查进度", "你好"):
        reply = chat.says(typed)
        assert say("policy_number_unreadable", "zh") not in reply
        assert say("asks.other_way.policy_number", "zh") not in reply
        assert reply.endswith(say("ask_policy_number", "zh"))
    assert say("ask_verification", "zh") in chat.says("AUTO-2026-0001")
    shown = chat.says("1985-04-12")
    assert say("identity_verified", "zh", name="张伟") in shown and ZHANG_CLAIM in shown
