"""'Hello, what can you do?' is a question about the service (bot/service_questions.py): answered,
also in the middle of the identity check, never read as an answer (an outside tester's finding)."""
from __future__ import annotations

import pytest

from bot.service_questions import IS_BOT, WHAT_I_DO, service_question


@pytest.mark.parametrize("text", ["Hello, what can you do?", "你好，你能做什么？", "你可以帮我干嘛",
                                  "What can you help me with?", "有什么功能"])
def test_what_can_you_do_is_a_question_about_the_service(text: str) -> None:
    assert service_question(text) == WHAT_I_DO


@pytest.mark.parametrize("text", ["what can I do now", "我现在能做什么", "你能帮我查一下进度吗",
                                  "我的车被撞了，你们能怎么处理", "AUTO-2026-0001"])
def test_other_questions_are_not_what_can_you_do(text: str) -> None:
    assert service_question(text) != WHAT_I_DO


def test_a_bot_question_is_still_a_bot_question() -> None:
    assert service_question("你是机器人吗，能做什么") == IS_BOT
