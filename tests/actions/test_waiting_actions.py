"""Interruptions and waiting (issue 19, items 6, 12, 15): a complaint is registered before a
person takes it, a yes hands over only to an offer just made, and a queued customer is answered
(action_while_waiting) until a person takes the conversation."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from actions.complaints import ActionSubmitComplaint
from actions.handoff import ActionHandoff, ActionWhileWaiting, interrupted_form, offer_just_made
from bot.handoff import open_queue, take
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Agent
from tests.support.actions import make_tracker, run_action

NIGHT = datetime(2026, 11, 23, 14, 30, tzinfo=timezone.utc)  # 22:30 Beijing time
DAY = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # 10:00 Beijing time
OFFER = [{"event": "bot", "text": "需要转人工吗？", "timestamp": 1.0,
          "data": {"buttons": [{"title": "转人工", "payload": "/request_human"}]}},
         {"event": "slot", "name": "human_offered", "value": True}]


def _slot(events, name):
    values = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name]
    return values[-1] if values else "<unset>"


def _kinds(events):
    return [e.get("event") for e in events]


def _user(text, intent):
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


# --- an offer of a person is accepted only by a yes to it ---------------------------------------

def test_a_yes_long_after_the_offer_is_not_a_handoff(claims_store, domain):
    events = OFFER + [_user("查一下进度", "check_status"),
                      {"event": "bot", "text": "您的理赔正在审核。", "timestamp": 2.0}]
    tracker = make_tracker("好的好的👍", "affirm", sender_id="stale-1", events=events,
                           slots={"human_offered": True})
    assert not offer_just_made(tracker)
    texts, out = run_action(ActionHandoff(), tracker, domain)
    assert texts == [say("offer_not_open", "zh")] and "pause" not in _kinds(out)
    assert _slot(out, "human_offered") is False and open_queue() == []


def test_a_yes_to_the_offer_just_made_hands_over(claims_store, domain):
    tracker = make_tracker("好的", "affirm", sender_id="fresh-1", events=list(OFFER),
                           slots={"human_offered": True})
    assert offer_just_made(tracker)
    texts, out = run_action(ActionHandoff(), tracker, domain)
    assert "pause" in _kinds(out) and len(open_queue()) == 1


# --- a complaint in progress is registered before a person takes it -----------------------------

def _complaint_form_stopped():
    """The rule "a person in the middle of a complaint" has just stopped the form."""
    return [{"event": "active_loop", "name": "complaint_form"},
            _user("理赔员态度很差", "complain"),
            {"event": "bot", "text": "请说说经过。", "timestamp": 1.0},
            _user("一周了都没人联系我，打电话也不回", "inform"),
            {"event": "bot", "text": "您希望我们怎么处理？", "timestamp": 2.0},
            _user("转人工", "request_human"),
            {"event": "action", "name": "action_deactivate_loop"},
            {"event": "active_loop", "name": None}]


def test_a_person_asked_for_mid_complaint_registers_it_first(claims_store, domain):
    events = _complaint_form_stopped()
    tracker = make_tracker("转人工", "request_human", sender_id="mid-c1", events=events[:-3],
                           slots={"verified": True, "customer_id": 1,
                                  "policy_number": "AUTO-2026-0001", "customer_name": "张伟",
                                  "complaint_about": "理赔员态度很差",
                                  "complaint_facts": "一周了都没人联系我，打电话也不回"})
    tracker.events = events  # the user event already in the history, then the rule's steps
    assert interrupted_form(tracker) == "complaint_form"
    with time_machine.travel(DAY, tick=False):
        texts, out = run_action(ActionHandoff(), tracker, domain)
    assert "CMP-2026-000001" in texts[0] and "48" in texts[0]  # reference and deadline
    assert "pause" in _kinds(out) and _slot(out, "complaint_reference") == "CMP-2026-000001"
    [entry] = open_queue()
    assert entry.reason == "complaint"
    assert entry.summary["complaint"]["reference"] == "CMP-2026-000001"
    assert entry.summary["complaint"]["facts"] == "一周了都没人联系我，打电话也不回"


def test_an_unregistrable_draft_still_reaches_the_agent(claims_store, domain):
    events = _complaint_form_stopped()
    tracker = make_tracker("转人工", "request_human", sender_id="mid-c2", events=events[:-3],
                           slots={"complaint_about": "理赔员态度很差"})  # nobody to contact
    tracker.events = events
    texts, out = run_action(ActionHandoff(), tracker, domain)
    assert "pause" in _kinds(out) and _slot(out, "complaint_about") == "<unset>"  # kept
    [entry] = open_queue()
    assert entry.summary["complaint"] == {"reference": None, "about": "理赔员态度很差"}


def test_someone_senior_to_review_it_is_the_complaints_wish(claims_store, domain):
    tracker = make_tracker("I want someone senior to review it", "request_human",
                           sender_id="senior-1", slots={
                               "language": "en", "verified": True, "customer_id": 1,
                               "policy_number": "AUTO-2026-0001", "customer_name": "张伟",
                               "complaint_about": "the handler",
                               "complaint_facts": "nobody called me back for a week",
                               "complaint_request": "I want someone senior to review it"})
    with time_machine.travel(DAY, tick=False):
        texts, out = run_action(ActionSubmitComplaint(), tracker, domain)
    assert "CMP-2026-000001" in texts[0] and len(texts) == 1
    assert "pause" not in _kinds(out) and open_queue() == []


def test_the_report_draft_is_shown_to_the_agent(claims_store, domain):
    from bot.claims.reporting import ReportDraft

    draft = ReportDraft(policy_number="AUTO-2026-0001", incident_type="collision",
                        place="示例路口", language="zh")
    tracker = make_tracker("转人工", "request_human", sender_id="draft-1",
                           slots={"report_draft": draft.as_dict()})
    run_action(ActionHandoff(), tracker, domain)
    [entry] = open_queue()
    assert "示例路口" in entry.summary["report_draft"]


# --- waiting in the queue ------------------------------------------------------------------------

def _queued_at_night(domain, sender, slots=None):
    tracker = make_tracker("转人工", "request_human", sender_id=sender, slots=slots)
    with time_machine.travel(NIGHT, tick=False):
        run_action(ActionHandoff(), tracker, domain)


def _waiting(domain, sender, text, at, slots=None):
    tracker = make_tracker(text, "nlu_fallback", sender_id=sender, slots=slots)
    with time_machine.travel(at, tick=False):
        return run_action(ActionWhileWaiting(), tracker, domain)


def test_an_elderly_customer_at_night_gets_an_answer_to_each_message(claims_store, domain):
    _queued_at_night(domain, "night-1")
    texts, out = _waiting(domain, "night-1", "怎么没人理我啊", NIGHT + timedelta(minutes=5))
    assert len(texts) == 1 and "已收到" in texts[0] and "北京时间" in texts[0]
    assert "08:00" in texts[0] and out == []
    texts, out = _waiting(domain, "night-1", "不用人工了 取消", NIGHT + timedelta(minutes=6))
    assert texts == [say("waiting_left", "zh")] and _kinds(out) == ["resume"]
    assert open_queue() == []


def test_messages_soon_after_an_acknowledgement_get_a_short_answer(claims_store, domain):
    """Every message while waiting is answered (issue 19 finding: "log out", "status" came
    back empty): the full acknowledgement now and then, a short "got it" in between."""
    _queued_at_night(domain, "night-2")
    assert _waiting(domain, "night-2", "在吗", NIGHT + timedelta(minutes=1))[0]
    assert _waiting(domain, "night-2", "还有一件事", NIGHT + timedelta(minutes=4)) == (
        [say("waiting_ack_short", "zh")], [])
    assert "08:00" in _waiting(domain, "night-2", "人呢", NIGHT + timedelta(minutes=15))[0][0]


def test_a_verified_customer_books_a_call_back_on_the_number_on_file(claims_store, domain):
    slots = {"verified": True, "customer_id": 1, "policy_number": "AUTO-2026-0001",
             "customer_name": "张伟"}
    _queued_at_night(domain, "night-3", slots)
    texts, _ = _waiting(domain, "night-3", "明天上午10点", NIGHT + timedelta(minutes=2), slots)
    assert "2026年11月24日 10:00" in texts[0] and "北京时间" in texts[0]
    [entry] = open_queue()
    assert entry.callback_at == datetime(2026, 11, 24, 2, 0)
    assert entry.callback_phone and texts[0].count(entry.callback_phone[-4:]) == 1


def test_a_taken_conversation_gets_no_bot_answer(claims_store, domain):
    _queued_at_night(domain, "taken-1")
    [entry] = open_queue()
    with unit_of_work() as uow:
        agent = uow.agents.add(Agent(username="a9", display_name="王小明", password_hash="x"))
        uow.commit()
        agent_id = agent.id
    take(entry.id, agent_id, actor="agent:a9")
    assert _waiting(domain, "taken-1", "不用了", NIGHT + timedelta(minutes=1)) == ([], [])


@pytest.mark.parametrize("lang, word", [("zh", "分钟"), ("en", "minutes")])
def test_in_hours_the_acknowledgement_says_where_they_stand(claims_store, domain, lang, word):
    tracker = make_tracker("human please", "request_human", sender_id=f"day-{lang}",
                           slots={"language": lang})
    with time_machine.travel(DAY, tick=False):
        run_action(ActionHandoff(), tracker, domain)
    texts, _ = _waiting(domain, f"day-{lang}", "hello?", DAY + timedelta(minutes=1),
                        {"language": lang})
    assert word in texts[0] and "{" not in texts[0]


# --- after a side question the report goes on where it was, and says so ------------------------

def test_after_a_side_question_the_report_resumes_and_says_so(domain):
    from actions.report import ActionAskReportAnswer
    from bot.claims.reporting import ReportDraft

    draft = ReportDraft(policy_number="AUTO-2026-0001", incident_type="collision",
                        language="zh")
    answered = [{"event": "bot", "text": "车险理赔一般需要：……", "timestamp": 2.0}]
    tracker = make_tracker("车险理赔要什么材料", "ask_documents", sender_id="side-1",
                           slots={"report_draft": draft.as_dict(), "report_asking": "place"},
                           active_loop="report_form")
    tracker.events = tracker.events + answered  # the rule's answer, after the question
    texts, out = run_action(ActionAskReportAnswer(), tracker, domain)
    [text] = texts
    assert text.startswith("回到刚才的报案：")
    assert _slot(out, "report_draft")["incident_type"] == "collision"  # the draft is kept


def test_an_ordinary_answer_is_not_called_a_resumption(domain):
    from actions.report import ActionAskReportAnswer
    from bot.claims.reporting import ReportDraft

    draft = ReportDraft(policy_number="AUTO-2026-0001", incident_type="collision",
                        language="zh")
    tracker = make_tracker("被追尾了", "inform", sender_id="side-2",
                           slots={"report_draft": draft.as_dict()}, active_loop="report_form")
    texts, _ = run_action(ActionAskReportAnswer(), tracker, domain)
    assert texts and not texts[0].startswith("回到刚才的报案")


def test_someone_senior_as_the_answer_to_the_request_registers_without_a_handoff(
        claims_store, domain):
    """The model takes the words for request_human and the rule stops the form; the slot
    mapping has kept them as the complaint's request (domain.yml)."""
    wish = "I want someone senior to review it"
    events = _complaint_form_stopped()
    events[-3] = _user(wish, "request_human")
    tracker = make_tracker(wish, "request_human", sender_id="senior-2", events=events[:-3],
                           slots={"language": "en", "verified": True, "customer_id": 1,
                                  "policy_number": "AUTO-2026-0001", "customer_name": "张伟",
                                  "complaint_about": "the handler",
                                  "complaint_facts": "nobody called me back for a week",
                                  "complaint_request": wish})
    tracker.events = events
    with time_machine.travel(DAY, tick=False):
        texts, out = run_action(ActionHandoff(), tracker, domain)
    assert len(texts) == 1 and "CMP-2026-000001" in texts[0]
    assert "pause" not in _kinds(out) and open_queue() == []


# --- issue 19 (g-callback): which day "明天" means after midnight; the number alone completes --

AFTER_MIDNIGHT = datetime(2026, 12, 6, 17, 37, tzinfo=timezone.utc)  # 01:37 Beijing, 7 Dec


def test_tomorrow_at_1am_asks_today_or_tomorrow_with_a_button_each(claims_store, domain):
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    with time_machine.travel(AFTER_MIDNIGHT - timedelta(minutes=1), tick=False):
        run_action(ActionHandoff(), make_tracker("转人工", "request_human", sender_id="am-1"),
                   domain)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("明天上午10点给我回电话", "nlu_fallback", sender_id="am-1")
    with time_machine.travel(AFTER_MIDNIGHT, tick=False):
        asyncio.run(ActionWhileWaiting().run(dispatcher, tracker, domain))
    [message] = dispatcher.messages
    assert message["text"].startswith(
        "您是说今天（12月7日）上午10点，还是明天（12月8日）上午10点？")
    assert [b["payload"] for b in message["buttons"]] == ["12月7日10:00", "12月8日10:00"]
    [entry] = open_queue()
    assert entry.callback_at is None
    texts, _ = _waiting(domain, "am-1", "12月7日10:00", AFTER_MIDNIGHT + timedelta(minutes=1))
    assert "可以预约 2026年12月7日 10:00" in texts[0] and "再发" not in texts[0]
    texts, _ = _waiting(domain, "am-1", "13912345678", AFTER_MIDNIGHT + timedelta(minutes=2))
    assert "2026年12月7日 10:00" in texts[0] and "5678" in texts[0]
    [entry] = open_queue()
    assert entry.callback_at == datetime(2026, 12, 7, 2, 0)


def test_the_number_alone_after_the_proposal_books_it(claims_store, domain):
    _queued_at_night(domain, "phone-1")
    texts, _ = _waiting(domain, "phone-1", "明天上午10点给我回电话", NIGHT + timedelta(minutes=1))
    assert "2026年11月24日 10:00" in texts[0] and "手机号" in texts[0]
    assert "再发" not in texts[0]  # never asked to resend the time
    texts, _ = _waiting(domain, "phone-1", "打这个号 13912345678", NIGHT + timedelta(minutes=2))
    assert texts == [say("callback_booked", "zh", when="2026年11月24日 10:00", zone="北京时间",
                         last4="5678")]
    [entry] = open_queue()
    assert entry.callback_at == datetime(2026, 11, 24, 2, 0)
    assert entry.callback_phone == "13912345678"
