"""A question about a claim already paid is a status question, and a rung of the dispute ladder
named alone is a dispute, whatever the model guessed (issue 19, outside tester)."""
from __future__ import annotations

import pytest

from components.side_question import SideQuestionCheck
from tests.support.components import intent_after


def _intent_after(text: str, guessed: str) -> str:
    return intent_after(SideQuestionCheck(), text, guessed)


@pytest.mark.parametrize("text, guessed, expected", [
    ("I had another claim that was paid, how much did I get?", "report_claim", "check_status"),
    ("上次那笔理赔赔了多少", "nlu_fallback", "check_status"),
    ("上次那筆理賠賠了多少", "nlu_fallback", "check_status"),
    ("how much was I paid for the flood?", "report_claim", "check_status"),
    # A new loss is still a report.
    ("my pipe burst last night, how much will I get?", "report_claim", "report_claim"),
    ("我的车被撞了，能赔多少", "report_claim", "report_claim"),
    ("mediation", "nlu_fallback", "dispute_decision"),
    ("我要调解", "nlu_fallback", "dispute_decision"),
    ("在法院门口被追尾了", "inform", "inform"),
])
def test_what_the_words_ask(text, guessed, expected):
    assert _intent_after(text, guessed) == expected


@pytest.mark.parametrize("text, guessed, expected", [
    # "不报了" stops the report under way (found by an outside tester: it was answered as
    # withdrawing a filed claim, and the report went on asking for the time).
    ("算了，我不报了", "cancel", "cancel"),
    ("不报案了", "cancel", "cancel"),
    ("不报了", "nlu_fallback", "ask_general"),
    # A filed claim's withdrawal stays one, whatever the model guessed.
    ("我要撤案，不报了", "cancel", "ask_general"),
    ("撤销理赔", "cancel", "ask_general"),
    ("withdraw my claim", "cancel", "ask_general"),
])
def test_not_reporting_stops_the_report_and_a_withdrawal_stays_one(text, guessed, expected):
    assert _intent_after(text, guessed) == expected
