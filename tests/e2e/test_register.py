"""The customer's own script and register against the real servers (issue 19): traditional
characters answered in traditional characters, an age said beside a question, questions about
the service answered without a queue, and "说简单点"."""
from __future__ import annotations

import pytest

from bot.handoff import hours_text
from bot.language import in_script
from bot.plain import simpler
from bot.replies import say
from tests.support.webchat import WebChat

pytestmark = pytest.mark.e2e


def test_a_customer_writing_traditional_characters_is_answered_in_them(claims_servers):
    chat = WebChat(claims_servers)
    assert chat.says("請問我的理賠進度") == in_script(say("ask_policy_number", "zh"), "traditional")
    assert chat.says("AUTO-2026-0001") == in_script(say("ask_verification", "zh"), "traditional")
    reply = chat.says("1985-04-12")
    assert "張偉" in reply and "CLM-2026-000004" in reply and "张伟" not in reply
    # Writing simplified characters again is answered in simplified characters.
    assert "CLM-2026-000004" in chat.says("再查一下进度")
    assert "张伟" not in chat.says("谢谢") and "謝" not in chat.says("谢谢")


def test_an_age_said_in_passing_is_offered_a_person_and_the_question_answered(claims_servers):
    chat = WebChat(claims_servers)
    # The words of issue 19, typo (理陪) included: the model places the message nowhere, the
    # age makes it the elderly declaration, and the question is kept for after the check.
    first = chat.says("我姓李，今年78了，想问一下我住院那个理陪怎么样了")
    assert first == "\n".join([say("elderly_noted_question_next", "zh"),
                               say("ask_policy_number", "zh")])
    chat.says("AUTO-2026-0001")
    reply = chat.says("1985-04-12")
    assert say("elderly_offer", "zh") in reply  # the person offered, first
    assert "CLM-2026-000004" in reply  # and the question answered


def test_questions_about_the_service_get_an_answer_not_a_queue(claims_servers):
    chat = WebChat(claims_servers)
    assert chat.says("你是真人还是机器人啊") == say("service_is_bot", "zh")
    assert chat.says("你们人工客服几点上班") == say("service_agent_hours", "zh",
                                                   hours=hours_text("zh"))
    # Not paused for a person: the bot goes on answering.
    assert chat.says("说简单点") == simpler(say("service_agent_hours", "zh",
                                                hours=hours_text("zh")), "zh")
    english = WebChat(claims_servers)
    assert english.says("are you a bot?") == say("service_is_bot", "en")
