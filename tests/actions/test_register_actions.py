"""Actions for the customer's script and register (issue 19): the script and abroad slots, an age
said beside a question, questions about the service, "说简单点" and "全文", and the one place
every reply is converted to the customer's script (the action server)."""
from __future__ import annotations

import asyncio
import datetime as dt

import time_machine
from rasa_sdk.executor import CollectingDispatcher

from actions.clauses import ActionAnswerClause
from actions.conversation import ActionCapabilities, ActionNotUnderstood
from actions.handoff import ActionHandoff, ActionOfferHuman
from actions.language import ValidateSlotMappings
from actions.server import create_app
from bot.handoff import hours_text
from bot.plain import simpler
from bot.replies import say
from tests.support.actions import make_tracker, run_action
from tests.support.asgi import AsgiClient

ZHANG = {"verified": True, "customer_id": 1,
         "policy_number": "AUTO-2026-0001", "customer_name": "张伟"}


def _slots(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def _followups(events):
    return [e["name"] for e in events if e.get("event") == "followup"]


def _extract(tracker, domain):
    dispatcher = CollectingDispatcher()
    return _slots(asyncio.run(ValidateSlotMappings().run(dispatcher, tracker, domain)))


def test_the_script_is_read_from_the_words_as_written_not_as_normalised(domain):
    tracker = make_tracker("请问我的理赔进度", "check_status")
    # What the customer wrote; the parse holds the simplified text.
    tracker.events[-1]["text"] = "請問我的理賠進度"
    assert _extract(tracker, domain)["script"] == "traditional"


def test_the_script_and_abroad_slots_follow_the_customers_words(domain):
    assert _extract(make_tracker("請問住院理賠需要準備哪些文件？", "ask_documents"),
                    domain)["script"] == "traditional"
    cantonese = make_tracker("我想問下我嘅保單", "check_status")
    assert _extract(cantonese, domain)["script"] == "hongkong"
    assert "script" not in _extract(make_tracker("AUTO-2026-0001", "inform",
                                                 slots={"script": "taiwan"}), domain)
    assert _extract(make_tracker("我人在国外", "inform"), domain)["abroad"] is True
    external = make_tracker("EXTERNAL: EXTERNAL_handed_back", "EXTERNAL_handed_back")
    assert "script" not in _extract(external, domain) and "abroad" not in _extract(external,
                                                                                    domain)


def test_an_age_said_beside_a_status_question_checks_identity_then_answers(domain):
    text = "我姓李，今年78了，想问一下我住院那个理陪怎么样了"
    texts, events = run_action(ActionOfferHuman(), make_tracker(text, "declare_elderly"), domain)
    assert texts == [say("elderly_noted_question_next", "zh")]
    assert _slots(events) == {"elderly": True, "pending_request": "check_status"}
    assert _followups(events) == ["identity_form"]


def test_an_age_said_beside_a_question_of_a_verified_customer(claims_store, domain):
    tracker = make_tracker("我都八十了，查一下进度", "declare_elderly", slots=ZHANG)
    texts, events = run_action(ActionOfferHuman(), tracker, domain)
    assert texts == [say("human_offer", "zh")]
    assert _slots(events) == {"elderly": True, "human_offered": True}
    assert _followups(events) == ["action_show_status"]


def test_an_age_alone_is_offered_a_person_as_before(domain):
    texts, events = run_action(ActionOfferHuman(), make_tracker("我都八十了", "declare_elderly"),
                               domain)
    assert texts == [say("human_offer", "zh")]
    assert _followups(events) == []


def test_questions_about_the_service_are_answered(domain):
    texts, events = run_action(ActionCapabilities(),
                               make_tracker("你是真人还是机器人啊", "ask_capabilities"), domain)
    assert texts == [say("service_is_bot", "zh")] and events == []
    texts, _ = run_action(ActionCapabilities(), make_tracker(
        "when do your agents start?", "ask_capabilities", slots={"language": "en"}), domain)
    assert texts == [say("service_agent_hours", "en", hours=hours_text("en"))]
    assert "Beijing time" in texts[0]
    texts, _ = run_action(ActionCapabilities(), make_tracker("你能做什么", "ask_capabilities"),
                          domain)
    assert texts == [say("capabilities", "zh")]


def _history(*turns):
    events = []
    for user, bot in turns:
        events.append({"event": "user", "text": user, "timestamp": 1.0,
                       "parse_data": {"intent": {"name": "nlu_fallback"}}})
        events.append({"event": "bot", "text": bot, "timestamp": 1.0})
    return events


def test_simpler_words_repeat_the_last_answer_shorter_and_are_no_misunderstanding(domain):
    last = say("capabilities", "zh")
    history = _history(("嗯嗯那个", say("not_understood", "zh")), ("你好", last))
    tracker = make_tracker("说简单点", "nlu_fallback", events=history)
    texts, events = run_action(ActionNotUnderstood(), tracker, domain)
    assert texts == [simpler(last, "zh")] and events == []
    # A second "看不懂" is not the second misunderstanding that would hand over.
    again = make_tracker("看不懂", "nlu_fallback", events=history + [
        {"event": "user", "text": "说简单点", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "bot", "text": texts[0]}])
    texts, events = run_action(ActionNotUnderstood(), again, domain)
    assert len(texts) == 1 and texts[0].startswith("简单说：")
    assert not [e for e in events if e.get("event") == "pause"]


def test_full_text_shows_the_whole_clause_quoted_in_part(claims_store, domain):
    question = "喝了点酒开车出事了赔不赔"
    texts, events = run_action(ActionAnswerClause(), make_tracker(
        question, "ask_clause", slots={**ZHANG, "clause_question": question}), domain)
    assert "回复“全文”" in texts[0]
    full = _slots(events)["clause_full_text"]
    assert "竞赛、测试期间" in full and "竞赛、测试期间" not in texts[0]
    texts, _ = run_action(ActionNotUnderstood(), make_tracker(
        "全文", "nlu_fallback", slots={"clause_full_text": full}), domain)
    assert texts == [full]
    texts, _ = run_action(ActionNotUnderstood(), make_tracker("全文", "nlu_fallback"), domain)
    assert texts == [say("clause_full_text_none", "zh")]


# --- the one place replies are converted: the action server ---------------------------------------

def _call(action: str, text: str, slots: dict) -> dict:
    all_slots = {"language": "zh", "language_pinned": False, "verified": False, **slots}
    return {
        "next_action": action, "sender_id": "web-script", "version": "3.6.0",
        "domain": {"intents": [], "entities": [], "slots": {}, "responses": {}, "actions": [],
                   "forms": {}},
        "tracker": {
            "sender_id": "web-script", "slots": all_slots,
            "latest_message": {"text": text, "intent": {"name": "ask_capabilities"},
                               "entities": []},
            "events": [{"event": "user", "text": text,
                        "parse_data": {"intent": {"name": "ask_capabilities"}}}],
            "paused": False, "followup_action": None, "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


def _post(client: AsgiClient, body: dict) -> dict:
    answer = client.post("/webhook", json_body=body,
                         headers={"Authorization": "Bearer test-secret"})
    assert answer.status == 200, answer.text
    return answer.json()


def test_the_action_server_sends_every_reply_in_the_customers_script():
    with AsgiClient(create_app("test-secret")) as client:
        traditional = _post(client, _call("action_capabilities", "你是機器人嗎",
                                          {"script": "traditional"}))
        assert traditional["responses"][0]["text"].startswith("我是理賠助手，是自動服務")
        simplified = _post(client, _call("action_capabilities", "你是机器人吗", {}))
        assert simplified["responses"][0]["text"] == say("service_is_bot", "zh")
        # Times name their zone for a customer who said they are abroad, per call.
        abroad = _post(client, _call("action_capabilities", "你们人工客服几点上班",
                                     {"abroad": True}))
        assert "（北京时间）" in abroad["responses"][0]["text"]


def test_the_handoff_after_hours_names_the_zone_of_the_agents_hours(claims_store, domain):
    night = dt.datetime(2026, 11, 22, 15, 0, tzinfo=dt.timezone.utc)  # 23:00 in Beijing
    with time_machine.travel(night, tick=False):
        texts, _ = run_action(ActionHandoff(), make_tracker("转人工", "request_human",
                                                            sender_id="web-night"), domain)
    assert "08:00至20:00（北京时间）" in texts[0]
