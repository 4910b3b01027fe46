"""Bounded asks in every form (issue 19): the second failed answer to a question gets another way
to answer, the third records what can be recorded or offers a person, and no question is asked a
third time. Also "算了" in the report (skip or stop?) and taking a stopped report up again."""
from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Dict, List, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.complaints import ActionSubmitComplaint, ValidateComplaintForm
from actions.conversation import ActionHowCanIHelp
from actions.handoff import ActionHandoff
from actions.identity import ValidateIdentityForm
from actions.report import ActionAskReportAnswer, ActionSubmitReport, ValidateReportForm
from bot.claims.reporting import ReportDraft
from bot.claims.reporting.service import question_text
from bot.replies import say
from tests.support.actions import make_tracker, run_action

NOW = datetime(2026, 11, 20, 6, 0)  # a fixed clock (naive UTC)
MOTOR = ReportDraft(policy_number="AUTO-2026-1234", line_of_business="motor", language="zh")


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("actions.report.utc_now", lambda: NOW)


class Conversation:
    """The report form's answers one after another: validation, then the ask action, with the
    slots carried from turn to turn as the Rasa server would."""

    def __init__(self, domain: Dict[str, Any], draft: ReportDraft, asking: str,
                 lang: str = "zh") -> None:
        self.domain = domain
        self.slots: Dict[str, Any] = {"verified": True, "language": lang,
                                      "report_draft": draft.as_dict(), "report_asking": asking,
                                      "requested_slot": "report_answer"}
        self.shown: List[str] = []
        self.buttons: List[List[Dict[str, str]]] = []

    def says(self, text: str, intent: str = "inform") -> Tuple[List[str], Dict[str, Any]]:
        tracker = make_tracker(text, intent=intent, slots=dict(self.slots),
                               active_loop="report_form")
        dispatcher = CollectingDispatcher()
        result = ValidateReportForm().validate_report_answer(text, dispatcher, tracker,
                                                             self.domain)
        self.slots.update(result)
        texts = [message["text"] for message in dispatcher.messages]
        self.buttons = [message.get("buttons") or [] for message in dispatcher.messages]
        if not any(self.slots.get(name) for name in ("report_cancelled", "report_paused")):
            after = make_tracker(text, intent=intent, slots=dict(self.slots),
                                 active_loop="report_form")
            after.events += [{"event": "bot", "text": said} for said in texts]
            asked, events = run_action(ActionAskReportAnswer(), after, self.domain)
            texts += asked
            self.slots.update({e["name"]: e["value"] for e in events if e["event"] == "slot"})
        self.shown += texts
        return texts, result

    @property
    def draft(self) -> ReportDraft:
        return ReportDraft.from_dict(self.slots["report_draft"])


def _titles(buttons: List[List[Dict[str, str]]]) -> List[str]:
    return [button["title"] for group in buttons for button in group]


def test_the_day_is_never_asked_a_third_time_a_person_is_offered(domain):
    chat = Conversation(domain, ReportDraft(**{**MOTOR.as_dict(), "incident_type": "collision"}),
                        "incident_time")
    first, _ = chat.says("嗯嗯那个")
    second, _ = chat.says("就那个时候")
    assert second == [say("asks.other_way.incident_time", "zh")]
    third, result = chat.says("说不好")
    assert third == [say("asks.offer_person.report", "zh")]
    assert _titles(chat.buttons) == [say("button.human", "zh"), say("button.no_thanks", "zh")]
    assert result["report_paused"] == "person" and result["human_offered"] is True
    assert chat.shown.count(say("report_ask.incident_time", "zh")) <= 1
    assert len(first) == 1 and first[0] not in (second + third)


def test_an_amount_that_cannot_be_read_is_recorded_unknown_the_third_time(domain):
    draft = ReportDraft(**{**MOTOR.as_dict(), "incident_type": "collision",
                           "incident_at": datetime(2026, 11, 19, 7, 0), "place": "中山路",
                           "description": "被追尾", "injuries": False})
    chat = Conversation(domain, draft, "estimated_amount")
    chat.says("嗯嗯")
    second, _ = chat.says("啊这")
    assert second == [say("asks.other_way.estimated_amount", "zh")]
    third, _ = chat.says("呃呃")
    assert third[0] == say("asks.recorded_unknown", "zh")
    assert "estimated_amount" in chat.draft.declined
    assert chat.slots["report_asking"] == "confirm"  # the summary follows, not the question
    assert not chat.slots.get("ask_failures")


def test_the_second_way_to_answer_has_buttons_where_the_question_has_choices(domain):
    draft = ReportDraft(**{**MOTOR.as_dict(), "incident_type": "collision",
                           "incident_at": datetime(2026, 11, 19, 7, 0), "place": "中山路",
                           "description": "被追尾"})
    chat = Conversation(domain, draft, "injuries")
    chat.says("这个嘛")
    second, _ = chat.says("看情况")
    assert second == [say("asks.other_way.injuries", "zh")]
    assert _titles(chat.buttons) == [say("button.someone_hurt", "zh"),
                                     say("button.nobody_hurt", "zh")]
    chat.says(chat.buttons[0][1]["payload"])
    assert chat.draft.injuries is False and chat.slots["report_asking"] == "estimated_amount"


def test_the_incident_type_buttons_name_what_the_policy_covers(domain):
    chat = Conversation(domain, MOTOR, "incident_type", lang="en")
    chat.says("hmm")
    second, _ = chat.says("well")
    assert second == [say("asks.other_way.incident_type", "en")]
    assert _titles(chat.buttons) == [say(f"incident.{kind}", "en")
                                     for kind in ("collision", "theft", "glass", "injury",
                                                  "flood", "natural_disaster",
                                                  "falling_object")]
    chat.says(say("incident.glass", "en"))
    assert chat.draft.incident_type == "glass"


def test_a_soft_stop_asks_skip_or_stop_and_skip_records_unknown(domain):
    draft = ReportDraft(**{**MOTOR.as_dict(), "incident_type": "collision",
                           "incident_at": datetime(2026, 11, 19, 7, 0)})
    chat = Conversation(domain, draft, "place")
    asked, result = chat.says("算了", intent="cancel")
    assert asked == [say("report_stop_or_skip", "zh")]
    assert _titles(chat.buttons) == [say("button.skip_question", "zh"),
                                     say("button.stop_report", "zh")]
    assert not result.get("report_cancelled") and chat.draft.place is None
    skipped, _ = chat.says(chat.buttons[0][0]["payload"])
    assert skipped == [say("report_skipped", "zh"),
                       say("report_ask_together.description+estimated_amount", "zh")]
    assert "place" in chat.draft.declined


def test_a_question_the_report_needs_is_not_offered_as_one_to_skip(domain):
    draft = ReportDraft(**{**MOTOR.as_dict(), "incident_type": "collision", "place": "中山路"})
    chat = Conversation(domain, draft, "incident_time")
    asked, result = chat.says("算了", intent="cancel")
    assert asked == [say("report_stop_or_rough", "zh")]
    assert _titles(chat.buttons) == [say("button.answer_roughly", "zh"),
                                     say("button.stop_report", "zh")]
    again, result = chat.says(chat.buttons[0][0]["payload"])
    assert len(again) == 1 and "什么时候发生的" in again[0]  # asked again, nothing counted
    assert not result.get("report_cancelled") and "ask_failures" not in result
    assert chat.slots["report_asking"] == "incident_time"


def test_a_question_the_report_needs_cannot_be_skipped(domain):
    chat = Conversation(domain, MOTOR, "incident_type")
    chat.says("不想说")
    texts, _ = chat.says("跳过这个问题")
    assert texts == [say("report_skip_required", "zh")]
    assert chat.slots["report_asking"] == "incident_type"


def _submit(chat: Conversation) -> Tuple[List[str], Dict[str, Any]]:
    tracker = make_tracker("", slots=dict(chat.slots))
    texts, events = run_action(ActionSubmitReport(), tracker, chat.domain)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    chat.slots.update(slots)
    return texts, slots


def _resume(chat: Conversation, text: str) -> List[str]:
    chat.slots.update(requested_slot=None, report_asking=None)
    tracker = make_tracker(text, intent="report_claim", slots=dict(chat.slots),
                           active_loop="report_form")
    texts, events = run_action(ValidateReportForm(), tracker, chat.domain)
    chat.slots.update({e["name"]: e["value"] for e in events if e["event"] == "slot"})
    after = make_tracker(text, intent="report_claim", slots=dict(chat.slots),
                         active_loop="report_form")
    after.events += [{"event": "bot", "text": said} for said in texts]
    asked, events = run_action(ActionAskReportAnswer(), after, chat.domain)
    chat.slots.update({e["name"]: e["value"] for e in events if e["event"] == "slot"})
    return texts + asked


def test_a_stopped_report_is_kept_and_taken_up_again_where_it_stopped(domain):
    draft = ReportDraft(**{**MOTOR.as_dict(), "incident_type": "collision",
                           "incident_at": datetime(2026, 11, 19, 7, 0), "place": "中山路"})
    chat = Conversation(domain, draft, "description")
    chat.says("算了", intent="cancel")
    _, result = chat.says(say("button.stop_report", "zh"), intent="cancel")
    assert result["report_cancelled"] is True
    texts, slots = _submit(chat)
    assert texts == [say("report_cancelled_kept", "zh")]
    assert slots["report_draft"] is None and slots["report_kept"]["draft"]["place"] == "中山路"
    resumed = _resume(chat, "刚才说到哪了")
    assert resumed == [say("report_resumed", "zh"),
                       say("report_ask_together.description+estimated_amount", "zh")]
    assert chat.draft.place == "中山路" and chat.slots["report_kept"] is None


def test_a_clear_cancel_still_cancels_and_says_it_can_be_resumed(domain):
    draft = ReportDraft(**{**MOTOR.as_dict(), "incident_type": "collision"})
    chat = Conversation(domain, draft, "incident_time", lang="en")
    _, result = chat.says("cancel the report, I don't want to file it", intent="cancel")
    assert result["report_cancelled"] is True
    texts, _ = _submit(chat)
    assert texts == [say("report_cancelled_kept", "en")]
    resumed = _resume(chat, "where were we")
    assert resumed == [say("report_resumed", "en"),
                       question_text(("incident_time", "place", "injuries", "estimated_amount"),
                                     "en", "motor")]


def test_nothing_to_take_up_again_starts_a_new_report(domain):
    chat = Conversation(domain, MOTOR, "incident_type")
    assert _resume(chat, "继续报案") == [say("report_nothing_kept", "zh"),
                                         say("report_ask.incident_type", "zh")]


def test_where_were_we_inside_the_report_repeats_the_question_it_is_at(domain):
    chat = Conversation(domain, MOTOR, "incident_type")
    texts, _ = chat.says("刚才说到哪了", intent="report_claim")
    assert texts == [say("report_where_we_are", "zh"), say("report_ask.incident_type", "zh")]


# --- the identity questions ------------------------------------------------------------------


def _identity(method: str, text: str, slots: Dict[str, Any], domain, form=None):
    tracker = make_tracker(text, intent="inform", slots=dict(slots),
                           active_loop="identity_form")
    dispatcher = CollectingDispatcher()
    result = getattr(form or ValidateIdentityForm(), method)(text, dispatcher, tracker, domain)
    slots.update(result)
    return [m["text"] for m in dispatcher.messages], result


def test_a_policy_number_that_cannot_be_read_is_not_asked_a_third_time(domain):
    slots: Dict[str, Any] = {}
    first, _ = _identity("validate_policy_number", "我不记得了", slots, domain)
    assert first == [say("policy_number_unreadable", "zh")]
    second, _ = _identity("validate_policy_number", "在抽屉里", slots, domain)
    assert second == [say("asks.other_way.policy_number", "zh")]
    third, result = _identity("validate_policy_number", "找不到", slots, domain)
    assert third == [say("asks.offer_person.identity", "zh")]
    assert result["identity_stop"] is True and result["human_offered"] is True


def test_inside_a_report_the_identity_give_up_keeps_the_draft(domain):
    slots: Dict[str, Any] = {"report_draft": MOTOR.as_dict()}
    for text in ("嗯", "啊", "哦"):
        texts, result = _identity("validate_policy_number", text, slots, domain,
                                  form=ValidateReportForm())
    assert texts == [say("asks.offer_person.report", "zh")]
    assert result["report_paused"] == "person" and "identity_stop" not in result


def test_an_unreadable_identity_answer_gets_another_way_then_a_person(claims_store, domain):
    slots: Dict[str, Any] = {"policy_number": "AUTO-2026-0001"}
    first, _ = _identity("validate_verification_answer", "不知道", slots, domain)
    assert first[0] == say("verification_unreadable", "zh")
    second, _ = _identity("validate_verification_answer", "忘了", slots, domain)
    assert second == [say("asks.other_way.verification_answer", "zh")]
    third, result = _identity("validate_verification_answer", "想不起来", slots, domain)
    assert third == [say("asks.offer_person.identity", "zh")]
    assert result["identity_stop"] is True and not slots.get("verified")


def test_wrong_identity_answers_keep_their_own_limits(claims_store, domain):
    slots: Dict[str, Any] = {"policy_number": "AUTO-2026-0001"}
    texts, result = _identity("validate_verification_answer", "1999-01-01", slots, domain)
    assert texts == [say("verification_mismatch", "zh", attempts_left=2)]
    assert "ask_failures" not in result


# --- the complaint form ----------------------------------------------------------------------


def _complaint(slot: str, text: str, slots: Dict[str, Any], domain):
    tracker = make_tracker(text, intent="inform", slots=dict(slots), active_loop="complaint_form")
    dispatcher = CollectingDispatcher()
    result = getattr(ValidateComplaintForm(), f"validate_{slot}")(text, dispatcher, tracker,
                                                                  domain)
    slots.update(result)
    return [m["text"] for m in dispatcher.messages], result


def test_a_complaint_phone_that_cannot_be_read_offers_a_person_the_third_time(domain):
    slots: Dict[str, Any] = {"complainant_name": "王小明", "complaint_about": "理赔太慢"}
    first, _ = _complaint("complainant_phone", "打我电话", slots, domain)
    assert first == [say("complaint_phone_invalid", "zh")]
    second, _ = _complaint("complainant_phone", "就那个号", slots, domain)
    assert second == [say("asks.other_way.complainant_phone", "zh")]
    third, result = _complaint("complainant_phone", "不记得", slots, domain)
    assert third == [say("asks.offer_person.complaint", "zh")]
    assert result["complaint_paused"] is True and result["human_offered"] is True
    tracker = make_tracker("", slots=dict(slots), active_loop="complaint_form")
    required = asyncio.run(ValidateComplaintForm().required_slots(
        ["complainant_name", "complainant_phone"], CollectingDispatcher(), tracker, domain))
    assert required == []
    # Nothing is recorded; what was gathered stays for the person (actions/handoff.py).
    texts, events = run_action(ActionSubmitComplaint(), tracker, domain)
    assert texts == [] and {"event": "slot", "name": "complaint_paused", "value": False} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events]


def test_a_complaint_request_without_words_is_recorded_as_not_stated(domain):
    slots: Dict[str, Any] = {"language": "en"}
    _complaint("complaint_request", "👍", slots, domain)
    second, _ = _complaint("complaint_request", "...", slots, domain)
    assert second == [say("asks.other_way.complaint_request", "en")]
    third, result = _complaint("complaint_request", "🙏", slots, domain)
    assert third == [say("asks.recorded_not_stated", "en")]
    assert result["complaint_request"] == say("asks.not_stated", "en")


# --- misunderstandings in a row, and the offer of a person -----------------------------------


def test_a_mumble_three_times_offers_a_person_and_never_says_ok(claims_store, domain):
    mumble = "嗯嗯那个啥就是说吧"
    events: List[Dict[str, Any]] = []
    first = make_tracker(mumble, intent="affirm", events=list(events))
    texts1, _ = run_action(ActionHowCanIHelp(), first, domain)
    assert texts1 == [say("not_understood", "zh"), say("capabilities", "zh")]
    events = list(first.events) + [{"event": "action", "name": "action_extract_slots"},
                                   {"event": "action", "name": "action_how_can_i_help"}]
    second = make_tracker(mumble, intent="affirm", events=events)
    texts2, offered = run_action(ActionHowCanIHelp(), second, domain)
    assert texts2 == [say("not_understood_offer", "zh")]
    slots = {e["name"]: e["value"] for e in offered if e["event"] == "slot"}
    assert slots["human_offered"] is True
    # The third: the rules send a yes after an offer to the handoff, which takes a clear yes only.
    third = make_tracker(mumble, intent="affirm", slots=slots,
                         events=list(second.events) + [
                             {"event": "action", "name": "action_how_can_i_help"},
                             # as a real tracker has it: the offer was made in the bot's turn
                             {"event": "slot", "name": "human_offered", "value": True}])
    texts3, after = run_action(ActionHandoff(), third, domain)
    assert texts3 == [say("offer_unclear", "zh")]
    assert "pause" not in [e["event"] for e in after]
    assert say("how_can_i_help", "zh") not in texts1 + texts2 + texts3


def test_a_clear_yes_to_the_offer_hands_over(claims_store, domain):
    tracker = make_tracker("好的", intent="affirm", sender_id="yes-1",
                           slots={"human_offered": True, "offer_reason": "not_understood"},
                           events=[{"event": "user", "text": "嗯嗯那个啥"},
                                   {"event": "slot", "name": "human_offered", "value": True}])
    _, events = run_action(ActionHandoff(), tracker, domain)
    assert "pause" in [e["event"] for e in events]


def test_a_plain_ok_that_answers_nothing_is_still_acknowledged_once(domain):
    texts, _ = run_action(ActionHowCanIHelp(), make_tracker("好的", intent="affirm"), domain)
    assert texts == [say("how_can_i_help", "zh")]


def test_a_new_report_says_the_stopped_one_is_still_kept(domain):
    draft = ReportDraft(**{**MOTOR.as_dict(), "incident_type": "collision"})
    chat = Conversation(domain, draft, "incident_time")
    chat.says("不报了", intent="cancel")
    _submit(chat)
    texts = _resume(chat, "我要报案")
    assert texts[0] == say("report_kept_hint", "zh") and chat.slots["report_kept"]


def test_stop_words_at_the_summary_stop_the_report(domain):
    # "不报了" at the summary is not "I didn't understand": the report stops, kept for later
    draft = ReportDraft(**{**MOTOR.as_dict(), "incident_type": "collision", "place": "中山路",
                           "incident_at": datetime(2026, 11, 19, 7, 0), "injuries": False,
                           "description": "被追尾", "estimated_amount": 3000})
    chat = Conversation(domain, draft, "confirm")
    _, result = chat.says("不报了")
    assert result["report_cancelled"] is True and result["report_answer"] == "cancelled"


def test_tap_the_closest_one_comes_with_the_types_when_other_answers_are_kept(domain):
    chat = Conversation(domain, MOTOR, "incident_type")
    shown, _ = chat.says("东西被弄坏了，没人受伤，三千块左右")
    assert shown == [say("report_type_choose", "zh")]
    assert _titles(chat.buttons) == [say(f"incident.{kind}", "zh")
                                     for kind in ("collision", "theft", "glass", "injury",
                                                  "flood", "natural_disaster",
                                                  "falling_object")]
    assert chat.draft.injuries is False  # what else it said is kept
