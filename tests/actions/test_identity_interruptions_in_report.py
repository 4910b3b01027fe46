"""Outside tester's findings, from the customer's side (action level, the real store):
1. what happened, told while the policy number is asked, is kept for the report and not asked
   again, and the step says so instead of "我没有找到保单号" (no failed try counted);
2. a menu click, a re-subscribe or "查进度" during the identity check is no wrong answer;
3. "2" at "跳过这个问题，还是先不报案了？" stops the report, and "查進度" in the middle of the
   report is answered, then the report goes on."""
from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import ValidateIdentityForm
from actions.report import ValidateReportForm, load_draft
from bot.claims.reporting import ReportDraft, missing_fields
from bot.claims.reporting.service import question_text
from bot.replies import say
from tests.actions.test_bounded_asks import Conversation
from tests.support.actions import make_tracker

NOW = datetime(2026, 12, 6, 4, 0)  # a fixed clock (naive UTC): 12:00 in Shanghai
ZHANG_CLAIM = "CLM-2026-000004"  # 张伟's motor claim (AUTO-2026-0001)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("actions.report.utc_now", lambda: NOW)


class Check:
    """The identity questions of a form, message after message, the slots carried over."""

    def __init__(self, domain, form, slots=None) -> None:  # noqa: ANN001
        self.domain, self.form = domain, form
        self.slots = {"requested_slot": "policy_number", **(slots or {})}
        self.loop = form.name().removeprefix("validate_")

    def says(self, text: str, intent: str = "inform"):  # noqa: ANN201
        slot = self.slots["requested_slot"]
        tracker = make_tracker(text, intent=intent, slots=dict(self.slots),
                               sender_id=f"f2-{id(self)}", active_loop=self.loop)
        dispatcher = CollectingDispatcher()
        result = getattr(self.form, f"validate_{slot}")(text, dispatcher, tracker, self.domain)
        self.slots.update(result)
        if self.slots.get(slot) and slot == "policy_number":
            self.slots["requested_slot"] = "verification_answer"
        return result, [message["text"] for message in dispatcher.messages]


def _started_report(domain) -> dict:  # noqa: ANN001
    """The report started by "我车被撞了" (the form's first run reads the message)."""
    tracker = make_tracker("我车被撞了", "report_claim", active_loop="report_form",
                           sender_id="f2-start")
    events = asyncio.run(ValidateReportForm().run(CollectingDispatcher(), tracker, domain))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# --- 1. what happened, told at the policy number question ------------------------------------

def test_details_told_at_the_policy_number_are_kept_and_not_asked_again(claims_store, domain):
    started = _started_report(domain)
    check = Check(domain, ValidateReportForm(), {"report_draft": started["report_draft"]})
    result, texts = check.says("昨天下午三点在中山路被追尾了，后保险杠坏了", "report_claim")
    assert texts == [say("report_noted_ask_policy_number", "zh")]
    assert texts[0].startswith("记下了") and say("policy_number_unreadable", "zh") not in texts
    assert result["policy_number"] is None and "ask_failures" not in result
    draft = ReportDraft.from_dict(check.slots["report_draft"])
    assert draft.incident_at == datetime(2026, 12, 5, 7, 0)  # 15:00 in Shanghai, yesterday
    assert "中山路" in draft.place
    assert "追尾" in draft.description and "后保险杠" in draft.description
    assert "我车被撞了" in draft.description  # the first message's account stays

    # Not counted: a number that cannot be read afterwards gets the first reply, not the second.
    _, texts = check.says("嗯")
    assert texts == [say("policy_number_unreadable", "zh")]

    check.says("AUTO-2026-0001")
    result, texts = check.says("1985-04-12")
    assert result["verified"] is True
    assert texts[0] == say("identity_verified", "zh", name="张伟")
    tracker = make_tracker("1985-04-12", slots={**check.slots, "customer_id": 1})
    left = missing_fields(load_draft(tracker))
    assert "incident_time" not in left and "place" not in left and "description" not in left


def test_details_told_at_the_birth_date_question_are_kept_too(claims_store, domain):
    check = Check(domain, ValidateReportForm(), {
        "report_draft": ReportDraft(language="zh").as_dict(),
        "requested_slot": "verification_answer", "policy_number": "AUTO-2026-0001"})
    result, texts = check.says("前天晚上八点在建国路被追尾了", "report_claim")
    assert texts == [say("report_noted_ask_verification", "zh")]
    assert result["verification_answer"] is None and "ask_failures" not in result
    assert "建国路" in ReportDraft.from_dict(check.slots["report_draft"]).place
    result, _ = check.says("1985-04-12")
    assert result["verified"] is True


def test_a_birth_date_or_digits_are_never_read_as_the_incident(claims_store, domain):
    check = Check(domain, ValidateReportForm(), {
        "report_draft": ReportDraft(language="zh").as_dict(),
        "requested_slot": "verification_answer", "policy_number": "AUTO-2026-0001"})
    result, _ = check.says("1999-01-01")
    assert ReportDraft.from_dict(check.slots["report_draft"]).incident_at is None
    assert result["verification_answer"] is None  # a wrong answer, counted as before


# --- 2. a menu click, a re-subscribe, a request during the check -----------------------------

@pytest.mark.parametrize("text, intent", [
    ("/check_status", "check_status"), ("查进度", "check_status"), ("查進度", "check_status"),
    ("/report_claim", "report_claim")])
def test_a_request_at_the_policy_number_is_no_failed_try(claims_store, domain, text, intent):
    check = Check(domain, ValidateIdentityForm())
    result, texts = check.says(text, intent)
    assert texts == [say("identity_request_after_check", "zh") + say("ask_policy_number", "zh")]
    assert result["policy_number"] is None and "ask_failures" not in result
    # The second unreadable answer would be the other way to answer: this is still the first.
    _, texts = check.says("不知道")
    assert texts == [say("policy_number_unreadable", "zh")]


def test_the_documents_click_is_answered_then_the_number_asked_again(claims_store, domain):
    check = Check(domain, ValidateIdentityForm())
    result, texts = check.says("/ask_documents", "ask_documents")
    assert "理赔申请书" in texts[0] and texts[-1].endswith(say("ask_policy_number", "zh"))
    assert result["policy_number"] is None and "ask_failures" not in result


def test_status_clicked_during_the_check_is_shown_once_verified(claims_store, domain):
    check = Check(domain, ValidateIdentityForm())
    result, _ = check.says("/check_status", "check_status")
    assert result["pending_request"] == "check_status"


def test_a_resubscribe_mid_check_gets_a_greeting_not_the_second_strike(claims_store, domain):
    check = Check(domain, ValidateIdentityForm())
    _, first = check.says("abc")
    assert first == [say("policy_number_unreadable", "zh")]
    result, texts = check.says("/greet", "greet")  # the WeChat subscribe event
    assert texts == [say("identity_greet_back", "zh") + say("ask_policy_number", "zh")]
    assert say("asks.other_way.policy_number", "zh") not in texts
    assert "ask_failures" not in result


def test_a_menu_click_at_the_birth_date_in_a_report_is_no_failed_try(claims_store, domain):
    check = Check(domain, ValidateReportForm(), {
        "report_draft": ReportDraft(language="zh").as_dict(),
        "requested_slot": "verification_answer", "policy_number": "AUTO-2026-0001"})
    result, texts = check.says("/report_claim", "report_claim")
    assert texts == [say("identity_request_after_check", "zh") + say("ask_verification", "zh")]
    assert result["verification_answer"] is None and "ask_failures" not in result
    assert "pending_request" not in result


# --- 3. the stop-or-skip choice, and a status request in the middle of the report ------------

MOTOR = ReportDraft(policy_number="AUTO-2026-0001", line_of_business="motor",
                    incident_type="collision", language="zh")
ZHANG = {"customer_id": 1, "customer_name": "张伟", "policy_number": "AUTO-2026-0001"}


def _report(domain) -> Conversation:  # noqa: ANN001
    chat = Conversation(domain, MOTOR, "incident_time")
    chat.slots.update(ZHANG)
    return chat


def test_two_at_the_stop_or_skip_choice_stops_the_report_keeping_the_draft(claims_store,
                                                                           domain):
    chat = _report(domain)
    chat.says("算了")
    assert chat.slots["report_stop_or_skip"] == "incident_time"
    texts, result = chat.says("2", "rate_service")
    assert result["report_cancelled"] is True and result["report_answer"] == "cancelled"
    assert chat.slots["report_draft"]  # the draft stays for "继续报案"


def test_one_at_the_stop_or_skip_choice_skips_the_question(claims_store, domain):
    chat = _report(domain)
    chat.says("算了")
    _, result = chat.says("1", "rate_service")
    assert not result.get("report_cancelled") and result["report_stop_or_skip"] is None


def test_a_status_request_mid_report_is_answered_and_the_report_goes_on(claims_store, domain):
    chat = _report(domain)
    chat.says("算了")
    texts, result = chat.says("查進度", "check_status")
    assert any(ZHANG_CLAIM in text for text in texts)
    assert say("report_status_then_back", "zh") in texts
    assert texts[-1] == say("report_stop_or_rough", "zh")  # the way out is still offered
    assert "ask_failures" not in result and not result.get("report_cancelled")
    _, result = chat.says("2", "rate_service")
    assert result["report_cancelled"] is True


def test_a_status_request_while_a_question_is_asked_then_the_question(claims_store, domain):
    chat = _report(domain)
    texts, result = chat.says("查进度", "check_status")
    assert any(ZHANG_CLAIM in text for text in texts)
    assert texts[-1] == question_text(
        ("incident_time", "place", "injuries", "estimated_amount"), "zh", "motor")
    assert texts[-1] not in texts[:-1]  # asked once
    assert "ask_failures" not in result
