"""Issue 19, items 10 and 11, through the real Rasa and action servers and the web chat: a
customer without the policy number verifies with the phone on file and the date of birth, then
picks a policy; a pair that matches nobody gets exactly the reply of a wrong date for a real
phone; a documents question in the middle of the check is answered and the check goes on."""
from __future__ import annotations

import pytest

from bot.replies import say
from tests.support.webchat import WebChat

pytestmark = pytest.mark.e2e

ZHANG_CLAIM = "CLM-2026-000004"  # 张伟's motor claim (AUTO-2026-0001), phone 13800000001


def test_the_phone_and_date_of_birth_then_a_pick_show_the_status(claims_servers):
    chat = WebChat(claims_servers)
    assert chat.says("查进度") == say("ask_policy_number", "zh")
    assert chat.says("保单号我不记得了 在抽屉里") == say("ask_login_phone", "zh")
    assert chat.says("138 0000 0001") == say("ask_login_birth_date", "zh")
    choice = chat.says("1985年4月12日")
    assert choice.startswith(say("ask_policy_choice", "zh"))
    assert "AUTO-2026-0001" in choice and "MED-2026-0001" in choice
    reply = chat.says("第一个")
    assert say("identity_verified", "zh", name="张伟") in reply and ZHANG_CLAIM in reply


def test_a_pair_that_matches_nobody_gets_the_same_reply_as_a_wrong_date(claims_servers):
    replies = []
    for phone in ("13800000001", "13999999999"):  # on file, and nobody's
        chat = WebChat(claims_servers)
        chat.says("查进度")
        assert chat.says("保单号我不记得了") == say("ask_login_phone", "zh")
        chat.says(phone)
        replies.append(chat.says("1970-01-01"))
    assert replies[0] == replies[1]
    assert replies[0].startswith(say("login_mismatch", "zh", attempts_left=2))


def test_a_phone_number_given_for_the_policy_number_is_taken(claims_servers):
    chat = WebChat(claims_servers)
    assert chat.says("where is my claim?") == say("ask_policy_number", "en")
    assert chat.says("my phone is 138 0000 0001") == say("ask_login_birth_date", "en")


def test_a_documents_question_in_the_check_is_answered_and_the_check_goes_on(claims_servers):
    chat = WebChat(claims_servers)
    assert chat.says("where is my claim?") == say("ask_policy_number", "en")
    reply = chat.says("what documents do I need for a house fire?")
    assert "List of damaged or lost items" in reply
    assert reply.endswith(say("side_back_to", "en") + " " + say("ask_policy_number", "en"))
    reply = chat.says("HOME-2026-0001")
    assert reply == say("ask_verification", "en")
