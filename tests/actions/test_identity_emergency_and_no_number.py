"""Issue 19 (h-identity), from the customer's side: an emergency is never answered with the
policy-number hint; "no policy number" opens the phone way in in the report as well as the status
look-up; a code that does not come is not asked for five times; pauses and locks say what is
true."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.identity as identity_actions
from actions.identity import (
    PHONE_ROUTE_SLOTS,
    ActionAskPolicyNumber,
    ValidateIdentityForm,
)
from actions.report import ValidateReportForm
from actions.status import ActionShowStatus
from bot import identity
from bot.clock import utc_now
from bot.replies import say
from tests.support.actions import make_tracker, run_action

EMERGENCY_SLOTS = {"urgent_handled": True, "requested_slot": "policy_number"}


def _validate(form, method, value, tracker, domain):
    dispatcher = CollectingDispatcher()
    result = getattr(form, method)(value, dispatcher, tracker, domain)
    return result, [m.get("text") for m in dispatcher.messages]


# --- 1. an emergency while the policy number is asked ------------------------------------------

@pytest.mark.parametrize("text", ["她在流血 救护车还没来", "怎么办", "人还是昏迷 怎么办啊"])
def test_a_message_about_the_live_emergency_gets_the_emergency_help_not_the_hint(
        claims_store, domain, text):
    tracker = make_tracker(text, "inform", slots=EMERGENCY_SLOTS, active_loop="report_form")
    result, texts = _validate(ValidateReportForm(), "validate_policy_number", text, tracker,
                              domain)
    assert result == {"policy_number": None}  # not an answer, and not counted as a failed one
    assert texts == [say("urgent.again.120", "zh"), say("urgent.again.wait", "zh")]
    assert "120" in texts[0] and "保单号不急" in texts[1]
    assert say("policy_number_unreadable", "zh") not in texts


def test_an_emergency_told_at_the_policy_question_gets_the_advice_once_and_no_hint(
        claims_store, domain):
    text = "救命 我老婆刚出车祸了 流了好多血 人昏过去了 怎么办"
    tracker = make_tracker(text, "report_urgent", slots={"requested_slot": "policy_number"},
                           active_loop="report_form",
                           events=[{"event": "action", "name": "action_listen"}])
    tracker.latest_action_name = "action_listen"
    tracker.events.append({"event": "slot", "name": "policy_number", "value": text})
    tracker.slots["policy_number"] = text
    slots, texts = _run_form(ValidateReportForm(), tracker, domain)
    assert texts.count(say("urgent.call_120", "zh")) == 1
    assert say("policy_number_unreadable", "zh") not in texts
    assert slots["policy_number"] is None and slots["urgent_handled"] is True


def test_during_the_report_the_emergency_help_comes_again_not_a_failed_answer(
        claims_store, domain):
    from bot.claims.reporting import ReportDraft

    draft = ReportDraft(policy_number="AUTO-2026-0001", line_of_business="motor",
                        incident_type="collision", language="zh")
    tracker = make_tracker("她在流血 救护车还没来", "inform", active_loop="report_form", slots={
        "verified": True, "customer_id": 1, "customer_name": "张伟",
        "policy_number": "AUTO-2026-0001", "urgent_handled": True,
        "report_asking": "incident_time", "report_draft": draft.as_dict()})
    result, texts = _validate(ValidateReportForm(), "validate_report_answer",
                              "她在流血 救护车还没来", tracker, domain)
    assert texts == [say("urgent.again.120", "zh"), say("urgent.again.report_waits", "zh")]
    assert "ask_failures" not in result and result["report_answer"] is None


def test_a_status_check_begun_without_the_number_starts_with_the_phone(claims_store, domain):
    tracker = make_tracker("我想查一下理赔进度 保单号不记得了", "check_status",
                           active_loop="identity_form")
    slots, _ = _run_form(ValidateIdentityForm(), tracker, domain)
    assert slots["identity_route"] == "phone" and slots["requested_slot"] == "login_phone"


def test_without_an_emergency_the_same_words_are_not_emergency_help(claims_store, domain):
    tracker = make_tracker("怎么办", "inform", slots={"requested_slot": "policy_number"},
                           active_loop="report_form")
    _, texts = _validate(ValidateReportForm(), "validate_policy_number", "怎么办", tracker,
                         domain)
    assert say("urgent.again.wait", "zh") not in texts


def test_after_the_urgent_path_the_policy_number_can_wait(domain):
    tracker = make_tracker("救命 我老婆刚出车祸了 在高架上 人流血了 怎么办", "report_urgent",
                           slots={"urgent_handled": True}, active_loop="report_form")
    tracker.events.append({"event": "bot", "text": say("urgent.then_report", "zh")})
    texts, _ = run_action(ActionAskPolicyNumber(), tracker, domain)
    assert texts == [say("ask_policy_number_urgent", "zh")]
    assert "不急" in texts[0] and "手机号" in texts[0]


def test_in_an_emergency_no_policy_number_offers_the_phone_way(claims_store, domain):
    tracker = make_tracker("保单号不记得了", "inform", slots=EMERGENCY_SLOTS,
                           active_loop="report_form")
    result, texts = _validate(ValidateReportForm(), "validate_policy_number", "保单号不记得了",
                              tracker, domain)
    assert result == {"policy_number": None, "identity_route": "phone"} and texts == []


# --- 2. no policy number, in every journey that asks for one ------------------------------------

NO_NUMBER = ["我没有保单号，可以用手机号吗", "我不知道保单号", "保单号找不到了", "没有保单号",
             "嗯那个啥 我是李秀英 我住院了想报销 保单号我不知道啊",
             "I don't have the number with me", "can I use my phone number instead?"]


@pytest.mark.parametrize("form", [ValidateReportForm, ValidateIdentityForm])
@pytest.mark.parametrize("text", NO_NUMBER)
def test_no_policy_number_opens_the_phone_way_in_the_report_and_the_status(
        claims_store, domain, form, text):
    name = form().form_name()
    tracker = make_tracker(text, "inform", slots={"requested_slot": "policy_number"},
                           active_loop=name)
    result, texts = _validate(form(), "validate_policy_number", text, tracker, domain)
    # What happened, told beside it ("我住院了想报销"), is kept for the report.
    told = result.pop("report_draft", None)
    assert result == {"policy_number": None, "identity_route": "phone"} and texts == []
    assert told is None or (form is ValidateReportForm and "住院" in told["description"])


def _run_form(form, tracker, domain):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(form.run(dispatcher, tracker, domain))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return slots, [m.get("text") for m in dispatcher.messages]


def test_li_xiuying_reports_her_hospital_stay_with_her_phone_and_birth_date(claims_store, domain):
    # The bare phone number typed at the policy-number question is taken as the way in.
    asked = make_tracker("13800000002", "inform", active_loop="report_form",
                         slots={"requested_slot": "policy_number"},
                         events=[{"event": "action", "name": "action_listen"}])
    result, texts = _validate(ValidateReportForm(), "validate_policy_number", "13800000002",
                              asked, domain)
    assert result["login_phone"] == "13800000002" and result["identity_route"] == "phone"
    route = {"identity_route": "phone", "login_phone": "13800000002",
             "requested_slot": "login_birth_date"}
    required = asyncio.run(ValidateReportForm().required_slots(
        [], CollectingDispatcher(), make_tracker("", slots=route), domain))
    assert required == [*PHONE_ROUTE_SLOTS, "report_answer"]
    # The date of birth, typed at the report form's question, verifies her.
    tracker = make_tracker("1948-09-30", "inform", slots=route, active_loop="report_form")
    tracker.latest_action_name = "action_listen"
    slots, texts = _run_form(ValidateReportForm(), tracker, domain)
    assert slots["verified"] is True and slots["customer_name"] == "李秀英"
    assert slots["policy_number"] == "MED-2026-0002"  # her only policy: nothing to pick
    assert texts[:2] == [say("identity_verified", "zh", name="李秀英"),
                         say("elderly_offer_in_report", "zh")]
    assert say("asks.offer_person.report", "zh") not in texts


def test_a_report_begun_without_the_number_starts_with_the_phone(claims_store, domain):
    text = "嗯那个啥 我是李秀英 我住院了想报销 保单号我不知道啊"
    tracker = make_tracker(text, "report_claim", active_loop="report_form")
    slots, _ = _run_form(ValidateReportForm(), tracker, domain)
    assert slots["identity_route"] == "phone" and slots["requested_slot"] == "login_phone"


def test_a_phone_way_left_from_an_earlier_check_does_not_pass_for_answers(claims_store, domain):
    stale = {"identity_route": "phone", "login_phone": "verified",
             "login_birth_date": "verified", "policy_choice": "AUTO-2026-0001"}
    tracker = make_tracker("我要报案", "report_claim", slots=stale, active_loop="report_form")
    slots, texts = _run_form(ValidateReportForm(), tracker, domain)
    assert slots["identity_route"] is None and slots["login_birth_date"] is None
    # Rasa asks the form's own first question: the policy number.
    assert slots.get("requested_slot", "policy_number") == "policy_number"


# --- 3. a code that does not come ----------------------------------------------------------------

class Sms:
    def __init__(self) -> None:
        self.sent: list = []

    def __call__(self, phone: str, body: str) -> None:
        self.sent.append((phone, body))


@pytest.fixture
def sms(monkeypatch):
    sent = Sms()
    monkeypatch.setattr(identity_actions, "sms_sender", lambda: sent)
    return sent


def _waiting_for_code(conv: str, sms: Sms, slots: dict | None = None) -> dict:
    result = identity.verify("MED-2026-0001", "1985-04-12", conversation_id=conv, send_sms=sms)
    assert result.outcome is identity.VerificationOutcome.CODE_SENT
    return {"policy_number": "MED-2026-0001", "requested_slot": "verification_answer",
            **(slots or {})}


def _answer(text, slots, conv, domain, form=ValidateIdentityForm):
    tracker = make_tracker(text, "inform", slots=slots, sender_id=conv,
                           active_loop=form().form_name())
    return _validate(form(), "validate_verification_answer", text, tracker, domain)


def test_didnt_get_it_resends_then_says_the_other_ways_then_offers_a_person(
        claims_store, domain, sms):
    slots = _waiting_for_code("web-sms-1", sms)
    result, texts = _answer("收不到短信", slots, "web-sms-1", domain)
    assert texts == [say("identity_code_resent_medical", "zh", minutes=5)]
    assert len(sms.sent) == 2 and result["verification_answer"] is None
    slots["ask_failures"] = result["ask_failures"]
    result, texts = _answer("还是没收到", slots, "web-sms-1", domain)
    assert texts == [say("identity_code_missing_again_medical", "zh")]
    assert len(sms.sent) == 2  # no third code
    slots["ask_failures"] = result["ask_failures"]
    result, texts = _answer("没有短信啊", slots, "web-sms-1", domain)
    assert texts == [say("identity_code_missing_person", "zh")]
    assert result["identity_stop"] is True and result["human_offered"] is True
    assert say("identity_code_unreadable", "zh") not in texts


def test_resending_past_the_hourly_limit_says_when(claims_store, domain, sms):
    for conv in ("web-sms-a", "web-sms-b"):
        _waiting_for_code(conv, sms)
    slots = _waiting_for_code("web-sms-c", sms)
    _, texts = _answer("验证码还没来", slots, "web-sms-c", domain)
    assert "一小时内能发的验证码已经用完" in texts[0] and "北京时间" in texts[0]


def test_what_now_is_asked_a_different_way_then_a_person_is_offered(claims_store, domain, sms):
    slots = _waiting_for_code("web-sms-2", sms)
    seen = []
    for _ in range(3):
        result, texts = _answer("怎么办", slots, "web-sms-2", domain)
        slots["ask_failures"] = result["ask_failures"]
        seen.append(texts[0])
    assert seen == [say("identity_code_unreadable", "zh"),
                    say("asks.other_way.identity_code", "zh"),
                    say("asks.offer_person.identity", "zh")]
    assert result["identity_stop"] is True


@pytest.mark.parametrize("text", ["我收不到短信，先告诉我有几笔理赔", "我就想查车险的"])
def test_what_needs_no_code_is_served_while_the_code_does_not_come(
        claims_store, domain, sms, text):
    slots = _waiting_for_code("web-sms-3", sms)
    result, texts = _answer(text, slots, "web-sms-3", domain)
    assert texts == [say("identity_without_code_note", "zh")]
    assert result["verified"] is True and result["customer_name"] == "张伟"
    assert result["policy_number"] == "AUTO-2026-0001"
    assert result["pending_request"] == "check_status"
    status = make_tracker(text, "check_status", sender_id="web-sms-3", slots={
        "verified": True, "customer_id": result["customer_id"],
        "policy_number": result["policy_number"]},
        events=[{"event": "slot", "name": "verified", "value": True,
                 "timestamp": utc_now().timestamp()}])
    shown, _ = run_action(ActionShowStatus(), status, domain)
    everything = "\n".join(shown)
    assert "CLM-2026-000004" in everything
    assert "诊断" not in everything and "住院" not in everything


# --- 4. and 5. what a pause and a lock say -------------------------------------------------------

def test_a_network_wide_pause_says_so_in_beijing_time_and_offers_a_person(
        claims_store, domain, monkeypatch):
    until = utc_now() + timedelta(minutes=15)
    monkeypatch.setattr(identity, "pause_of", lambda *a, **k: (until, identity.ADDRESS))
    tracker = make_tracker("AUTO-2026-0001", "inform", active_loop="identity_form",
                           slots={"requested_slot": "policy_number"})
    result, texts = _validate(ValidateIdentityForm(), "validate_policy_number", "AUTO-2026-0001",
                              tracker, domain)
    assert "从这个网络发起的身份核实太多" in texts[0] and "北京时间" in texts[0]
    assert "这次对话" not in texts[0] and "转人工" in texts[0]
    assert result["identity_stop"] is True and result["human_offered"] is True


def test_a_locked_policy_tells_the_holder_the_code_or_a_person_gets_them_in(
        claims_store, domain, sms):
    settings = identity.get_settings()
    for index in range(settings.identity_policy_max_failures):
        identity.verify("AUTO-2026-0001", "1999-01-01", conversation_id=f"stranger-{index}",
                        client_address=f"198.51.100.{index}")
    tracker = make_tracker("1985-04-12", "inform", sender_id="holder",
                           slots={"policy_number": "AUTO-2026-0001"},
                           active_loop="identity_form")
    _, texts = _validate(ValidateIdentityForm(), "validate_verification_answer", "1985-04-12",
                         tracker, domain)
    assert texts == [say("identity_code_sent_locked_help", "zh", minutes=5)]
    assert "验证码" in texts[0] and "转人工" in texts[0]
