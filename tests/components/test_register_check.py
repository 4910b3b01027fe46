"""The person check's other readings (issue 19): a question about the service is answered, not
queued; "说简单点" and "全文" reach the action that repeats or completes the last answer; an age
said in passing in a message the model could not place is the elderly declaration."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.person_request import PersonRequestCheck


def _intent_after(text: str, intent: str, confidence: float = 0.9) -> str:
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": confidence},
                            "intent_ranking": [{"name": intent, "confidence": confidence}]})
    PersonRequestCheck().process([message])
    assert message.get("intent_ranking")[0]["name"] == message.get("intent")["name"]
    return message.get("intent")["name"]


@pytest.mark.parametrize("text, predicted, expected", [
    ("你是真人还是机器人啊", "request_human", "ask_capabilities"),
    ("你们人工客服几点上班", "request_human", "ask_capabilities"),
    ("are you a bot?", "nlu_fallback", "ask_capabilities"),
    ("when do your agents start?", "out_of_scope", "ask_capabilities"),
    ("哦哦好的好的👍👍", "request_human", "thank"),
    ("说简单点", "out_of_scope", "nlu_fallback"),
    ("看不懂", "deny", "nlu_fallback"),
    ("全文", "greet", "nlu_fallback"),
    ("我姓李，今年78了，想问一下我住院那个理陪怎么样了", "nlu_fallback", "declare_elderly"),
    # Left alone: real requests for a person, a button's payload, answers and other intents.
    ("转人工", "request_human", "request_human"),
    ("你是机器人吗？我要找真人", "request_human", "request_human"),
    ("/request_human", "request_human", "request_human"),
    ("哦哦好的好的👍👍", "affirm", "affirm"),
    ("你是机器人吗", "check_status", "check_status"),
    ("我妈今年78了", "nlu_fallback", "nlu_fallback"),
])
def test_what_the_check_makes_of_a_prediction(text, predicted, expected):
    assert _intent_after(text, predicted) == expected
