"""components.report_signals: an emergency, an amendment and a whole report read from the words,
whatever the model guessed; everything else keeps the model's intent."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.report_signals import ReportSignals


def _intent(text: str, predicted: str) -> str:
    message = Message(data={"text": text, "intent": {"name": predicted, "confidence": 0.6},
                            "intent_ranking": [{"name": predicted, "confidence": 0.6}]})
    ReportSignals().process([message])
    assert message.get("intent_ranking")[0]["name"] == message.get("intent")["name"]
    return message.get("intent")["name"]


@pytest.mark.parametrize(("text", "predicted", "expected"), [
    ("救命 我老婆刚出车祸了 流了好多血 人昏过去了 怎么办", "request_human", "report_urgent"),
    ("刚才出了车祸,我老婆伤得很重,现在在医院抢救,怎么办", "report_claim", "report_urgent"),
    ("刚才在北四环被后面一辆车追尾了…人没事…对方全责…保单AUTO-2026-0001…赶紧帮我报个案",
     "inform", "report_claim"),
    ("经过写详细点：等红灯时被后车追尾", "report_claim", "amend_claim"),
    ("不对，地点是北四环学院桥东200米", "deny", "amend_claim"),
    ("地址不对", "deny", "deny"),
    ("赔付金额算错了吧", "dispute_decision", "dispute_decision"),
    ("车险理赔要什么材料", "ask_documents", "ask_documents"),
    ("AUTO-2026-0001", "inform", "inform"),
    ("/report_urgent", "report_claim", "report_claim"),
    # A plain wish to report wrapped in small talk, which the model did not understand.
    ("我跟你说啊，我要报案，我也是第一次弄这个。", "nlu_fallback", "report_claim"),
    ("我跟你说啊，我要報案，反正就是這麼回事。", "out_of_scope", "report_claim"),
    ("well, you know, I want to report a claim, it's my first time", "nlu_fallback",
     "report_claim"),
    ("这个嘛，不用了，你们赶紧帮我弄一下吧。", "nlu_fallback", "nlu_fallback"),
    ("不用报案了，我就问问", "nlu_fallback", "nlu_fallback"),
    ("我要报案", "deny", "deny"),
    # A greeting with a request does the request (issue 19 finding: greeting only).
    ("你好，我想報案", "greet", "report_claim"),
    ("hi, I want to report a claim", "greet", "report_claim"),
    ("你好", "greet", "greet"),
    ("我要报销医阮的费用 胃镜检查", "ask_clause", "report_claim"),
    ("胃镜检查能报销吗", "ask_clause", "ask_clause"),
    # "Is this the same incident?" answered no: never "someone else wants to check".
    ("No, this is a different incident, another time and place", "switch_customer", "deny"),
    ("不是同一件事，是另一次", "switch_customer", "deny"),
    ("换个人查", "switch_customer", "switch_customer"),
    # "Documents later" (bot/documents/chase.py): the documents action records the promise.
    ("我稍后补材料", "inform", "ask_documents"),
    ("材料过几天再交可以吗", "nlu_fallback", "ask_documents"),
    ("I'll send them later", "affirm", "ask_documents"),
    ("我稍后补材料，先转人工", "request_human", "request_human"),
    ("let someone else check their claim", "switch_customer", "switch_customer"),
])
def test_the_words_decide_where_the_model_cannot(text, predicted, expected):
    assert _intent(text, predicted) == expected


# --- a greeting with a request does the request ("你好，我想報案" got a greeting only) ------

def _ranked(text: str, ranking: list) -> str:
    message = Message(data={"text": text, "intent": dict(ranking[0]),
                            "intent_ranking": [dict(entry) for entry in ranking]})
    ReportSignals().process([message])
    return message.get("intent")["name"]


@pytest.mark.parametrize(("text", "ranking", "expected"), [
    # The model's own rankings for these messages (models/current, December 2026).
    ("你好，我要投诉", [("greet", 0.58), ("complain", 0.38)], "complain"),
    ("你好，我要报销", [("greet", 0.73), ("report_claim", 0.24)], "report_claim"),
    ("你好啊，我想問問理賠進度", [("greet", 0.58), ("check_status", 0.31)], "check_status"),
    ("你好，保单号我不记得了", [("greet", 0.54), ("deny", 0.2)], "ask_general"),
    ("你好", [("greet", 0.99), ("complain", 0.01)], "greet"),
    ("hello there", [("greet", 0.9), ("report_claim", 0.2)], "greet"),
    ("你好，谢谢", [("greet", 0.6), ("thank", 0.3)], "greet"),
])
def test_a_greeting_with_a_request_does_the_request(text, ranking, expected):
    ranked = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    assert _ranked(text, ranked) == expected


@pytest.mark.parametrize(("text", "runner_up"), [
    ("哈喽 客服在吗", "request_human"), ("hey, is someone available", "request_human"),
    ("你好 刚买了你们的保险", "report_claim"), ("你好 我有个问题", "complain"),
])
def test_a_greeting_with_small_talk_stays_a_greeting(text, runner_up):
    ranked = [{"name": "greet", "confidence": 0.6}, {"name": runner_up, "confidence": 0.3}]
    assert _ranked(text, ranked) == "greet"
