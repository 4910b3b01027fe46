"""The handoff, complaint and dispute actions on trackers shaped as the Rasa server sends them."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
import time_machine
from rasa_sdk.executor import CollectingDispatcher

from actions.complaints import ActionSubmitComplaint, ValidateComplaintForm
from actions.disputes import ActionExplainDecision
from actions.handoff import ActionHandedBack, ActionHandoff, ActionHumanDeclined, ActionOfferHuman
from actions.identity import ActionIdentityDone
from actions.language import ValidateSlotMappings
from bot.handoff import Reason, hand_back, open_queue, priority, take
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Agent
from tests.support.actions import make_tracker, run_action

QUEUED_KEYS = ("handoff_queued", "handoff_queued_next", "handoff_after_hours")


def _is_queued_reply(text: str, lang: str = "zh") -> bool:
    # Which of the three depends on the clock (working hours); each names what happens next.
    marker = {"zh": ("已为您转人工", "已经排上队"), "en": ("put you through", "in the queue")}
    return any(m in text for m in marker[lang])


def _events_of(events, kind):
    return [e for e in events if e.get("event") == kind]


def _slot(events, name):
    values = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name]
    return values[-1] if values else "<unset>"


def _history(*pairs):
    events = []
    for text, intent in pairs:
        events.append({"event": "user", "text": text, "timestamp": 1.0,
                       "parse_data": {"intent": {"name": intent}}})
        events.append({"event": "bot", "text": "好的", "timestamp": 1.0})
    return events


def test_a_request_queues_once_tells_the_customer_and_pauses(claims_store, domain):
    tracker = make_tracker("转人工", intent="request_human", sender_id="web-1",
                           events=_history(("查一下我的理赔进度", "check_status")))
    texts, events = run_action(ActionHandoff(), tracker, domain)
    assert len(texts) == 1 and _is_queued_reply(texts[0])
    assert _events_of(events, "pause") and _slot(events, "human_offered") is False
    [entry] = open_queue()
    assert entry.conversation_id == "web-1" and entry.reason == "request"
    assert entry.language == "zh" and entry.priority == priority(Reason.REQUEST, False)
    texts_seen = [m["text"] for m in entry.summary["last_messages"]]
    assert texts_seen[0] == "查一下我的理赔进度" and texts_seen[-1] == "转人工"

    again, events = run_action(ActionHandoff(), tracker, domain)
    assert again == [say("handoff_already", "zh")] and _events_of(events, "pause")
    assert len(open_queue()) == 1


def test_the_reason_follows_the_conversation(claims_store, domain):
    # A yes hands over only right after the offer (the bot's last turn made it).
    offered = [{"event": "bot", "text": "需要转人工吗？", "timestamp": 1.0,
                "data": {"buttons": [{"title": "转人工", "payload": "/request_human"}]}},
               {"event": "slot", "name": "human_offered", "value": True}]
    dispute = make_tracker("好的", intent="affirm", sender_id="d1", events=list(offered),
                           slots={"case_topic": "dispute", "human_offered": True})
    run_action(ActionHandoff(), dispute, domain)
    elderly = make_tracker("好的", intent="affirm", sender_id="e1", events=list(offered),
                           slots={"elderly": True, "human_offered": True})
    run_action(ActionHandoff(), elderly, domain)
    complaint = make_tracker("转人工", intent="request_human", sender_id="c1",
                             slots={"case_topic": "complaint"})
    run_action(ActionHandoff(), complaint, domain)
    urgent = make_tracker("转人工", intent="request_human", sender_id="u1",
                          events=_history(("我老公出车祸昏迷了", "report_claim")))
    run_action(ActionHandoff(), urgent, domain)
    reasons = {e.conversation_id: e.reason for e in open_queue()}
    assert reasons == {"d1": "dispute", "e1": "elderly", "c1": "complaint", "u1": "urgent"}
    assert open_queue()[0].conversation_id == "e1"  # elderly first


def test_a_verified_customers_summary_lists_their_claims(claims_store, domain):
    tracker = make_tracker("转人工", intent="request_human", sender_id="v1", slots={
        "verified": True, "customer_id": 1,
        "policy_number": "AUTO-2026-0001", "customer_name": "张伟"})
    run_action(ActionHandoff(), tracker, domain)
    summary = open_queue()[0].summary
    assert summary["customer"]["name"] == "张伟"
    assert [c["number"] for c in summary["claims"]] == ["CLM-2026-000004"]


def test_elderly_customer_is_offered_a_person_with_buttons_first(claims_store, domain):
    tracker = make_tracker("1948-09-30", intent="inform", slots={
        "verified": True, "customer_id": 2,
        "customer_name": "李秀英", "policy_number": "MED-2026-0002",
        "elderly": True, "pending_request": "check_status"})
    # Her policy is medical: the check ends with the SMS code, verified in this conversation.
    import re

    from bot import identity

    sent: list = []
    identity.send_step_up_code("MED-2026-0002", conversation_id="test-user", customer_id=2,
                               send_sms=lambda phone, body: sent.append(body))
    code = re.search(r"\b(\d{6})\b", sent[-1]).group(1)
    assert identity.verify("MED-2026-0002", code, conversation_id="test-user").verified
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionIdentityDone().run(dispatcher, tracker, domain))
    first, offer = dispatcher.messages[0], dispatcher.messages[1]
    assert first["text"] == say("identity_verified", "zh", name="李秀英")
    assert offer["text"] == say("elderly_offer", "zh")
    assert [b["payload"] for b in offer["buttons"]] == ["/request_human", "/deny"]
    assert _slot(events, "human_offered") is True
    assert "CLM-2026-000003" in dispatcher.messages[2]["text"]  # then what she came for


def test_a_customer_who_says_they_are_elderly(claims_store, domain):
    texts, events = run_action(ActionOfferHuman(), make_tracker("我七十多岁了",
                                                                intent="declare_elderly"), domain)
    assert texts == [say("human_offer", "zh")]
    assert _slot(events, "elderly") is True and _slot(events, "human_offered") is True
    texts, events = run_action(ActionHumanDeclined(), make_tracker("不用", intent="deny"), domain)
    assert texts == [say("human_declined", "zh")] and _slot(events, "human_offered") is False


def _extract(tracker, domain):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateSlotMappings().run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_self_declared_age_sets_elderly_and_external_events_change_nothing(domain):
    assert _extract(make_tracker("我七十多岁了，查一下进度", intent="check_status"),
                    domain)["elderly"] is True
    assert "elderly" not in _extract(make_tracker("我70岁的母亲住院了"), domain)
    external = make_tracker("EXTERNAL: EXTERNAL_handed_back", intent="EXTERNAL_handed_back",
                            slots={"language": "zh"})
    assert _extract(external, domain) == {}


def test_a_dispute_after_verification_is_explained_and_a_person_offered(claims_store, domain):
    tracker = make_tracker("0003", intent="inform", slots={
        "verified": True, "customer_id": 3,
        "customer_name": "John Smith", "policy_number": "HOME-2026-0001",
        "language": "en", "pending_request": "dispute_decision"},
        events=_history(("why was my claim denied?", "dispute_decision")))
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionIdentityDone().run(dispatcher, tracker, domain))
    explanation = dispatcher.messages[1]
    assert "Clause 12" in explanation["text"] and "outside your home" in explanation["text"]
    assert explanation["buttons"][0]["payload"] == "/request_human"
    assert _slot(events, "human_offered") is True
    assert _slot(events, "claim_number") == "CLM-2026-000002"


def test_the_dispute_action_never_explains_to_an_unverified_customer(claims_store, domain):
    texts, events = run_action(ActionExplainDecision(), make_tracker("为什么拒赔",
                                                                     "dispute_decision"), domain)
    assert texts == [say("ask_policy_number", "zh")] and events == []


def test_handed_back_says_who_helped_and_what_was_agreed(claims_store, domain):
    with unit_of_work() as uow:
        agent = uow.agents.add(Agent(username="a1", display_name="王小明", password_hash="x"))
        uow.commit()
    run_action(ActionHandoff(), make_tracker("转人工", "request_human", sender_id="h1"), domain)
    entry = open_queue()[0]
    take(entry.id, agent.id, actor="agent:a1")
    hand_back(entry.id, agent.id, "下周一前补发维修发票即可", actor="agent:a1")
    tracker = make_tracker("EXTERNAL: EXTERNAL_handed_back", "EXTERNAL_handed_back",
                           sender_id="h1")
    texts, events = run_action(ActionHandedBack(), tracker, domain)
    assert texts == [say("handed_back", "zh", agent="王小明",
                         resolution="下周一前补发维修发票即可")]
    assert _slot(events, "case_topic") is None
    unknown = make_tracker("EXTERNAL: EXTERNAL_handed_back", "EXTERNAL_handed_back",
                           sender_id="never-handed-off")
    assert run_action(ActionHandedBack(), unknown, domain)[0] == [
        say("handed_back_anonymous", "zh")]


# --- the complaint form --------------------------------------------------------------------------

def _validate(tracker, domain):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateComplaintForm().run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}, [
        m["text"] for m in dispatcher.messages]


def test_a_verified_customer_is_not_asked_for_name_and_phone(domain):
    slots, _ = _validate(make_tracker("我要投诉", "complain", slots={"verified": True}), domain)
    assert slots["requested_slot"] == "complaint_about"
    slots, _ = _validate(make_tracker("我要投诉", "complain"), domain)
    assert slots.get("requested_slot", "complainant_name") == "complainant_name"


def test_what_the_first_message_says_is_not_asked_again(domain):
    slots, _ = _validate(make_tracker("你们的理赔员说好三天回电话，一周了都没人联系我，我要投诉",
                                      "complain", slots={"verified": True}), domain)
    assert slots["complaint_about"].startswith("你们的理赔员")
    assert slots["complaint_facts"].startswith("你们的理赔员")
    assert slots["requested_slot"] == "complaint_request"
    slots, _ = _validate(make_tracker("我要投诉", "complain", slots={"verified": True}), domain)
    assert "complaint_facts" not in slots and "complaint_about" not in slots


def test_name_and_phone_are_checked(domain):
    # The validations also count failed answers (ask_failures, issue 19: bounded asks).
    form = ValidateComplaintForm()
    tracker = make_tracker("139", "inform", active_loop="complaint_form")
    dispatcher = CollectingDispatcher()
    assert form.validate_complainant_phone("139", dispatcher, tracker, domain)[
        "complainant_phone"] is None
    assert [m["text"] for m in dispatcher.messages] == [say("complaint_phone_invalid", "zh")]
    dispatcher = CollectingDispatcher()
    assert form.validate_complainant_phone("139 1234 5678", dispatcher, tracker, domain)[
        "complainant_phone"] == "13912345678"
    assert form.validate_complainant_name("我叫王小明", dispatcher, tracker, domain)[
        "complainant_name"] == "王小明"
    assert form.validate_complaint_facts("😀😀", dispatcher, tracker, domain)[
        "complaint_facts"] is None
    assert [m["text"] for m in dispatcher.messages] == [say("complaint_text_empty", "zh")]


@pytest.fixture
def demo_clock():
    """A complaint reference carries the year it is registered in: the clock is the demo's
    (a working day, 10:00 Beijing time), never today's."""
    with time_machine.travel(datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc), tick=True):
        yield


def test_submitting_gives_reference_deadlines_and_next_step(claims_store, domain, demo_clock):
    tracker = make_tracker("尽快处理", "inform", sender_id="web-c1", slots={
        "complainant_name": "王小明", "complainant_phone": "13912345678",
        "complaint_about": "理赔员", "complaint_facts": "一周了都没人联系我",
        "complaint_request": "尽快处理"})
    texts, events = run_action(ActionSubmitComplaint(), tracker, domain)
    assert "CMP-2026-000001" in texts[0] and "48" in texts[0] and "15" in texts[0]
    assert texts[0].endswith(say("complaint_next", "zh"))
    assert _slot(events, "complaint_reference") == "CMP-2026-000001"
    assert _slot(events, "complaint_facts") is None and not _events_of(events, "pause")
    assert open_queue() == []


def test_a_complaint_asking_for_a_person_goes_to_one(claims_store, domain, demo_clock):
    tracker = make_tracker("请经理打电话给我", "inform", sender_id="web-c2", slots={
        "verified": True, "customer_id": 1,
        "policy_number": "AUTO-2026-0001", "customer_name": "张伟",
        "complaint_about": "CLM-2026-000004", "complaint_facts": "材料交了三遍",
        "complaint_request": "请经理打电话给我"})
    texts, events = run_action(ActionSubmitComplaint(), tracker, domain)
    assert "CMP-2026-000001" in texts[0] and _is_queued_reply(texts[1])
    assert _events_of(events, "pause")
    [entry] = open_queue()
    assert entry.reason == "complaint"
    assert entry.summary["complaint"]["reference"] == "CMP-2026-000001"
    assert entry.summary["complaint"]["request"] == "请经理打电话给我"


def test_an_urgent_report_is_handed_to_a_person_at_once(claims_store, domain, monkeypatch):
    import datetime as dt

    from actions import report
    from bot.claims.reporting import ReportDraft

    monkeypatch.setattr(report, "utc_now", lambda: dt.datetime(2026, 11, 22, 2, 0))
    with unit_of_work() as uow:
        customer_id = uow.policies.by_number("AUTO-2026-0001").customer_id
    draft = ReportDraft(
        policy_number="AUTO-2026-0001", incident_type="collision",
        incident_at=dt.datetime(2026, 11, 22, 1, 0), place="中山路",
        description="被追尾了，对方司机昏迷，送医抢救", injuries=True, serious_injury=True,
        estimated_amount=None, language="zh")
    tracker = make_tracker("对", "affirm", sender_id="urgent-1", slots={
        "verified": True, "report_ready": True, "customer_id": customer_id,
        "policy_number": "AUTO-2026-0001", "report_draft": draft.as_dict()})
    texts, events = run_action(report.ActionSubmitReport(), tracker, domain)
    assert say("report_fast_track", "zh") in texts[0] and _is_queued_reply(texts[1])
    assert _events_of(events, "pause")
    [entry] = open_queue()
    assert entry.reason == "urgent" and entry.summary["claim_number"] == _slot(
        events, "last_claim_number")
