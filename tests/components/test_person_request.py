"""The check that a predicted request for a person names one, and the words it relies on."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from bot.handoff import complains_about_the_line, names_a_person
from components.person_request import PersonRequestCheck
from tests.support.components import intent_after

ROOT = Path(__file__).resolve().parents[2]


def _examples(intent: str) -> list[str]:
    found = []
    for path in [*ROOT.glob("data/nlu/*/*.yml"), *ROOT.glob("tests/nlu/*.yml")]:
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if block.get("intent") == intent:
                found += [line.strip()[2:] for line in block["examples"].splitlines()
                          if line.strip().startswith("- ")]
    return found


def test_every_request_for_a_person_in_the_data_names_one():
    examples = _examples("request_human")
    assert len(examples) > 100
    assert [text for text in examples if not names_a_person(text)] == []


@pytest.mark.parametrize("text", ["没人受伤", "人在医院", "有人受伤", "人没事", "无人受伤",
                                  "nobody was hurt", "no one was injured"])
def test_answers_with_the_word_person_in_them_name_nobody(text):
    assert not names_a_person(text)


def _run(text: str, intent: str, confidence: float = 0.97) -> Message:
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": confidence},
                            "intent_ranking": [{"name": intent, "confidence": confidence}]})
    PersonRequestCheck().process([message])
    return message


def test_an_unconfirmed_request_becomes_a_fallback_and_a_real_one_stays():
    answer = _run("没人受伤", "request_human")
    assert answer.get("intent") == {"name": "nlu_fallback", "confidence": 0.97}
    assert answer.get("intent_ranking")[0]["name"] == "nlu_fallback"
    assert _run("转人工", "request_human").get("intent")["name"] == "request_human"
    assert _run("get me a human", "request_human").get("intent")["name"] == "request_human"
    assert _run("没人受伤", "deny").get("intent")["name"] == "deny"


@pytest.mark.parametrize("text", ["姑娘，客服电话打不通", "你们客服电话一直占线",
                                  "打了好几次电话都没人接", "客服電話打不通",
                                  "nobody answers the phone at your call centre",
                                  "I couldn't get through to customer service"])
def test_a_phone_line_that_does_not_answer_is_a_complaint_not_a_request(text):
    # In the complaint form ("您要投诉的是哪件事？") these words are the answer, not a handoff.
    assert _run(text, "request_human").get("intent")["name"] == "nlu_fallback"


@pytest.mark.parametrize("text", ["客服电话打不通，转人工", "电话打不通，我要找人工客服",
                                  "转人工", "我要找人工客服",
                                  "nobody answers the phone, let me talk to a person"])
def test_a_plain_request_for_a_person_still_interrupts(text):
    assert _run(text, "request_human").get("intent")["name"] == "request_human"


def test_no_request_for_a_person_in_the_data_reads_as_a_complaint_about_the_line():
    assert [text for text in _examples("request_human") if complains_about_the_line(text)] == []


# --- turning a person down (issue 19 finding: "不用人工了" put the customer in the queue) ---------

@pytest.mark.parametrize("text", ["不用人工了", "不要转人工", "no need for an agent",
                                  "I don't want to talk to a person", "人工就不用了",
                                  "不用轉人工"])
@pytest.mark.parametrize("predicted", ["request_human", "nlu_fallback", "ask_capabilities"])
def test_turning_a_person_down_is_a_no_never_a_request(text, predicted):
    assert _run(text, predicted).get("intent")["name"] == "deny"


@pytest.mark.parametrize("text", ["转人工", "不要机器人，要人工", "为什么不转人工",
                                  "I don't want to talk to a bot", "I want a person"])
def test_asking_for_a_person_still_asks(text):
    assert _run(text, "request_human").get("intent")["name"] == "request_human"


def test_a_refusal_beside_another_request_keeps_that_request():
    assert _run("不用人工，我要报案", "report_claim").get("intent")["name"] == "report_claim"


# --- an age said in passing, in English too -------------------------------------------------------

@pytest.mark.parametrize("text, predicted", [
    ("I'm 82 and my daughter usually does this for me", "nlu_fallback"),
    ("I'm 82 and my daughter usually does this for me", "greet"),
    ("I'm 82 and my daughter usually does this for me, how do I claim for a hospital stay?",
     "report_claim"),
    ("我七十多岁了，眼睛不好…想问问住院的钱怎么报", "ask_documents"),
])
def test_an_age_said_in_passing_offers_a_person_in_english_too(text, predicted):
    assert _run(text, predicted).get("intent")["name"] == "declare_elderly"


def test_a_report_with_an_age_in_it_stays_a_report():
    text = "I'm 82 and my car was hit from behind this morning, I want to report it"
    assert _run(text, "report_claim").get("intent")["name"] == "report_claim"


@pytest.mark.parametrize("text", ["为什么拒赔？我看不懂", "為什麼不賠", "why was it refused?",
                                  "I don't understand the refusal"])
@pytest.mark.parametrize("predicted", ["nlu_fallback", "check_status", "ask_capabilities"])
def test_why_a_claim_was_refused_is_a_disputed_decision_not_plain_words(text, predicted):
    """Issue 19: "为什么拒赔？我看不懂" gets the decision explained, not the last line shorter."""
    assert _run(text, predicted).get("intent")["name"] == "dispute_decision"
    assert _run("看不懂", "ask_capabilities").get("intent")["name"] == "nlu_fallback"


def _after(text: str, guessed: str) -> str:
    return intent_after(PersonRequestCheck(), text, guessed, 0.6)


@pytest.mark.parametrize("text", [
    "我手机是13800000001，你们打这个电话给我",  # found by an outside tester
    "给我回个电话吧 13800000001",
    "call me on 13800000001",
    "please call me back, 13800000001",
])
def test_a_number_to_call_back_on_is_a_request_for_a_person(text):
    assert _after(text, "inform") == "request_human"


@pytest.mark.parametrize("text", ["我的电话是13800000001", "手机尾号是1234", "AUTO-2026-0001",
                                  "my phone number is 13800000001"])
def test_a_phone_number_given_alone_stays_an_answer(text):
    assert _after(text, "inform") == "inform"


def test_every_identity_answer_in_the_data_stays_an_answer():
    assert [text for text in _examples("inform") if _after(text, "inform") != "inform"] == []
