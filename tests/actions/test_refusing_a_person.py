"""What an outside tester found (issue 19, part h-person), from the customer's side: turning a
person down never queues anyone; a queued customer always gets an answer; an elderly customer who
declines a person gets her question answered, and a way in without the policy number; the time
zone is named once; a bad rating given unasked is heard."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionHowCanIHelp, ActionNotUnderstood
from actions.handoff import (
    ActionHandoff,
    ActionHumanDeclined,
    ActionOfferHuman,
    ActionWhileWaiting,
)
from actions.satisfaction import ActionRecordSatisfaction
from bot.handoff import open_queue
from bot.replies import say
from tests.support.actions import make_tracker, run_action

NIGHT = datetime(2026, 12, 6, 14, 30, tzinfo=timezone.utc)  # 22:30 Beijing time
ZHANG = {"verified": True, "customer_id": 1, "policy_number": "AUTO-2026-0001",
         "customer_name": "张伟"}


def _kinds(events):
    return [e.get("event") for e in events]


def _slot(events, name):
    values = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name]
    return values[-1] if values else "<unset>"


def _user(text, intent):
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


# --- 1. "不用人工了" with no offer open: the bot carries on, nobody is queued ---------------

@pytest.mark.parametrize("text, lang", [
    ("不用人工了", "zh"), ("不要转人工", "zh"),
    ("no need for an agent", "en"), ("I don't want to talk to a person", "en")])
def test_turning_a_person_down_is_a_no_thanks_not_the_queue(claims_store, domain, text, lang):
    greeted = [_user("你好", "greet"), {"event": "action", "name": "action_greet"},
               {"event": "bot", "text": say("greet", lang), "timestamp": 1.0}]
    # components/person_request.py reads these words as deny (see its tests): the rule "no out of
    # context" runs action_how_can_i_help.
    tracker = make_tracker(text, "deny", sender_id=f"refuse-{lang}", events=greeted,
                           slots={"language": lang})
    with time_machine.travel(NIGHT, tick=False):
        texts, out = run_action(ActionHowCanIHelp(), tracker, domain)
    assert texts == [say("person_refused", lang)]
    assert "pause" not in _kinds(out) and open_queue() == []


def test_a_refusal_is_never_counted_as_a_misunderstanding(domain):
    missed = [_user("嗯嗯那个啥", "nlu_fallback"),
              {"event": "action", "name": "action_not_understood"},
              _user("就是说吧", "nlu_fallback"),
              {"event": "action", "name": "action_not_understood"}]
    tracker = make_tracker("不用人工了", "deny", events=missed)
    texts, out = run_action(ActionHowCanIHelp(), tracker, domain)
    assert texts == [say("person_refused", "zh")]  # not a person offered to one who said no
    assert _slot(out, "human_offered") is False


# --- 1. waiting in the queue: a refusal leaves it, and no message goes unanswered ----------------

def _queued_at_night(domain, sender, slots=None):
    tracker = make_tracker("转人工", "request_human", sender_id=sender, slots=slots)
    with time_machine.travel(NIGHT, tick=False):
        run_action(ActionHandoff(), tracker, domain)


def _waiting(domain, sender, text, at, intent="nlu_fallback", slots=None):
    tracker = make_tracker(text, intent, sender_id=sender, slots=slots)
    with time_machine.travel(at, tick=False):
        return run_action(ActionWhileWaiting(), tracker, domain)


@pytest.mark.parametrize("text, lang", [
    ("不要转人工", "zh"), ("no need for an agent", "en"),
    ("I don't want to talk to a person", "en")])
def test_a_refusal_in_the_queue_leaves_it(claims_store, domain, text, lang):
    slots = {"language": lang}
    _queued_at_night(domain, f"leave-{lang}", slots)
    texts, out = _waiting(domain, f"leave-{lang}", text, NIGHT + timedelta(minutes=1),
                          slots=slots)
    assert texts == [say("waiting_left", lang)] and _kinds(out) == ["resume"]
    assert open_queue() == []


def test_every_message_while_waiting_gets_an_answer(claims_store, domain):
    slots = {"language": "en", **ZHANG}
    _queued_at_night(domain, "answered-1", slots)
    at = NIGHT + timedelta(minutes=1)
    asked = [("查进度", "check_status"), ("how long do I have to wait", "check_status"),
             ("status", "check_status"), ("ok", "affirm"), ("one more thing", "inform")]
    for minute, (text, intent) in enumerate(asked):
        texts, _ = _waiting(domain, "answered-1", text, at + timedelta(minutes=minute),
                            intent=intent, slots=slots)
        assert len(texts) == 1 and texts[0], text
    # A question about the wait is told where they stand, whatever the gap.
    texts, _ = _waiting(domain, "answered-1", "how long do I have to wait",
                        at + timedelta(minutes=6), intent="check_status", slots=slots)
    assert "08:00" in texts[0]
    texts, out = _waiting(domain, "answered-1", "log out", at + timedelta(minutes=7),
                          intent="log_out", slots=slots)
    assert texts == [say("waiting_logged_out", "en")]
    assert _slot(out, "verified") is False and len(open_queue()) == 1  # still queued


# --- 3. the time zone named once ---------------------------------------------------------------

def test_the_time_zone_is_named_once_in_english(claims_store, domain):
    slots = {"language": "en", **ZHANG}
    _queued_at_night(domain, "zone-1", slots)
    texts, _ = _waiting(domain, "zone-1", "hello?", NIGHT + timedelta(minutes=1), slots=slots)
    assert texts[0].count("Beijing time") == 1 and "Beijing time (Beijing time)" not in texts[0]
    texts, _ = _waiting(domain, "zone-1", "call me tomorrow at 10am",
                        NIGHT + timedelta(minutes=2), slots=slots)
    assert "10:00" in texts[0] and texts[0].count("Beijing time") == 1
    texts, _ = _waiting(domain, "zone-1", "what now", NIGHT + timedelta(minutes=20),
                        slots=slots)
    assert "10:00" in texts[0] and texts[0].count("Beijing time") == 1


def test_the_time_zone_is_named_once_for_a_customer_abroad(claims_store, domain):
    from bot.replies import customer_abroad

    slots = {"abroad": True}
    _queued_at_night(domain, "zone-2", slots)
    with customer_abroad(True):  # as actions/server.py sets it from the slot
        texts, _ = _waiting(domain, "zone-2", "在吗", NIGHT + timedelta(minutes=1), slots=slots)
    assert "08:00" in texts[0] and texts[0].count("北京时间") == 1


# --- 2. the elderly customer's question is answered when she declines a person -----------------

QUESTION = "我七十多岁了，眼睛不好…想问问住院的钱怎么报"


def test_declining_the_person_answers_the_question_she_asked(claims_store, domain):
    texts, out = run_action(ActionOfferHuman(), make_tracker(QUESTION, "declare_elderly"),
                            domain)
    assert texts == [say("human_offer_question_kept", "zh")]
    assert _slot(out, "human_offered") is True and "followup" not in _kinds(out)
    history = [_user(QUESTION, "declare_elderly"),
               {"event": "action", "name": "action_offer_human"},
               {"event": "bot", "text": texts[0], "timestamp": 1.0},
               {"event": "slot", "name": "human_offered", "value": True}]
    tracker = make_tracker("不用了，你跟我说就行", "deny", events=history,
                           slots={"human_offered": True, "elderly": True})
    texts, out = run_action(ActionHumanDeclined(), tracker, domain)
    assert texts[0] == say("human_declined_answer", "zh")
    assert "出院小结" in texts[1] and "住院" in texts[1]  # the hospital stay's documents
    assert _slot(out, "human_offered") is False


def test_a_plain_no_to_a_plain_offer_is_as_before(domain):
    history = [_user("我都八十了", "declare_elderly"),
               {"event": "action", "name": "action_offer_human"},
               {"event": "bot", "text": say("human_offer", "zh"), "timestamp": 1.0}]
    tracker = make_tracker("不用", "deny", events=history, slots={"human_offered": True})
    texts, _ = run_action(ActionHumanDeclined(), tracker, domain)
    assert texts == [say("human_declined", "zh")]


@pytest.mark.parametrize("text", ["我不会弄这个保单号",
                                  "I don't know how to find my policy number"])
def test_no_policy_number_leads_to_the_phone_and_birth_date_way_in(domain, text):
    texts, out = run_action(ActionNotUnderstood(), make_tracker(text, "nlu_fallback"), domain)
    assert texts == []  # the identity form asks for the phone number (ask_login_phone)
    assert _slot(out, "identity_route") == "phone"
    assert [e.get("name") for e in out if e.get("event") == "followup"] == ["identity_form"]


# --- 4. a bad rating given unasked ------------------------------------------------------------

@pytest.mark.parametrize("text, lang", [("你们服务太差了，1分", "zh"), ("2/10, useless", "en")])
def test_a_bad_rating_unasked_is_heard_as_dissatisfaction(claims_store, domain, text, lang):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, "rate_service", sender_id=f"rate-{lang}",
                           slots={"language": lang})
    asyncio.run(ActionRecordSatisfaction().run(dispatcher, tracker, domain))
    [message] = dispatcher.messages
    assert message["text"] == say("unprompted_dissatisfied", lang)
    assert [b["payload"] for b in message["buttons"]] == ["/complain", "/request_human"]


# --- 1. "不用人工了" in the middle of a report: not an answer, not the queue ----------------------

def test_a_refusal_mid_report_is_not_taken_for_no_one_was_hurt(domain, monkeypatch):
    from bot.claims.reporting import ReportDraft
    from tests.actions.test_bounded_asks import NOW, Conversation

    monkeypatch.setattr("actions.report.utc_now", lambda: NOW)
    draft = ReportDraft(policy_number="AUTO-2026-1234", line_of_business="motor",
                        incident_type="collision", language="zh",
                        incident_at=datetime(2026, 11, 19, 7, 0), place="示例路口",
                        description="等红灯时被后车追尾")
    chat = Conversation(domain, draft, "injuries")
    texts, result = chat.says("不用人工了", intent="deny")
    assert texts == [say("person_refused_in_form", "zh"),
                     say("report_ask_together.injuries+estimated_amount", "zh")]
    assert result["report_answer"] is None and "report_draft" not in result  # nothing stored


def test_a_question_answered_beside_the_offer_is_not_answered_twice(domain):
    history = [_user("我都八十了，理赔要什么材料", "declare_elderly"),
               {"event": "action", "name": "action_offer_human"},
               {"event": "bot", "text": say("human_offer", "zh"), "timestamp": 1.0},
               {"event": "action", "name": "action_answer_documents"},
               {"event": "bot", "text": "……", "timestamp": 2.0}]
    tracker = make_tracker("不用了", "deny", events=history,
                           slots={"human_offered": True, **ZHANG})
    texts, _ = run_action(ActionHumanDeclined(), tracker, domain)
    assert texts == [say("human_declined", "zh")]


def test_the_handoff_itself_never_queues_a_refusal(claims_store, domain):
    """Defence in depth: whatever rule led here, "不要转人工" is no queue entry."""
    tracker = make_tracker("不要转人工", "request_human", sender_id="refuse-handoff")
    texts, out = run_action(ActionHandoff(), tracker, domain)
    assert texts == [say("person_refused", "zh")]
    assert "pause" not in _kinds(out) and open_queue() == []
