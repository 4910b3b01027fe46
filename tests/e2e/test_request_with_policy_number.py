"""Finding F8, through the real Rasa and action servers: a request that gives the policy number
(and maybe the date of birth) in the same message is kept and answered after the identity check,
and a date of birth beside the policy number is the answer (no second question)."""
from __future__ import annotations

import pytest

from bot.replies import say
from tests.support.webchat import WebChat

pytestmark = pytest.mark.e2e

ZHANG_CLAIM = "CLM-2026-000004"  # 张伟's motor claim (AUTO-2026-0001)
JOHN_CLAIMS = ("CLM-2026-000001", "CLM-2026-000002")  # John Smith's (HOME-2026-0001)


@pytest.mark.parametrize("message", [
    "你好 我想查下理赔 保单号AUTO-2026-0001 生日1985年4月12日",
    "查进度 auto-2026-0001 85/4/12",
])
def test_policy_number_and_birth_date_in_one_message_show_the_status(claims_servers, message):
    reply = WebChat(claims_servers).says(message)
    assert say("identity_verified", "zh", name="张伟") in reply
    assert ZHANG_CLAIM in reply
    assert say("ask_verification", "zh") not in reply
    assert say("how_can_i_help", "zh") not in reply


def test_the_same_in_english(claims_servers):
    reply = WebChat(claims_servers).says(
        "I'd like to check my claim. policy HOME-2026-0001, born 1 July 1990")
    assert say("identity_verified", "en", name="John Smith") in reply
    assert any(number in reply for number in JOHN_CLAIMS)
    assert say("how_can_i_help", "en") not in reply


def test_a_status_request_with_the_number_asks_the_birth_date_then_shows_the_status(
    claims_servers
):
    chat = WebChat(claims_servers)
    assert chat.says("查一下理赔进度，保单号AUTO-2026-0001") == say("ask_verification", "zh")
    reply = chat.says("1985-04-12")
    assert say("identity_verified", "zh", name="张伟") in reply and ZHANG_CLAIM in reply
    assert say("how_can_i_help", "zh") not in reply


def test_number_and_date_as_the_answer_to_the_policy_question_verify_at_once(claims_servers):
    chat = WebChat(claims_servers)
    assert chat.says("查进度") == say("ask_policy_number", "zh")
    reply = chat.says("AUTO-2026-0001 1985-04-12")
    assert say("identity_verified", "zh", name="张伟") in reply and ZHANG_CLAIM in reply


def test_a_clause_question_with_the_number_is_answered_after_the_check(claims_servers):
    chat = WebChat(claims_servers)
    assert chat.says("AUTO-2026-0001这张保单免赔额是多少") == say("ask_verification", "zh")
    reply = chat.says("1985-04-12")
    assert say("identity_verified", "zh", name="张伟") in reply
    assert "免赔" in reply.split(say("identity_verified", "zh", name="张伟"), 1)[1]
    assert say("how_can_i_help", "zh") not in reply
