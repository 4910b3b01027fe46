"""The complaint form reads who complains and whom it is about from the customer's own words
(issue 19, outside tester): "我叫王芳，手机…" gives the name and the phone at once, a member of
staff named is the complaint's subject, and the registration says back what was recorded."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
import time_machine
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.complaints import ActionSubmitComplaint, ValidateComplaintForm
from bot.replies import say
from tests.support.actions import make_tracker, run_action


def _answer(text: str, asked: str, domain, slots=None):
    """The form's turn after `text` answered the question for `asked`, as the Rasa server sends
    it: the from_text mapping has already put the text in the slot asked."""
    user = {"event": "user", "text": text,
            "parse_data": {"text": text, "intent": {"name": "inform", "confidence": 1.0},
                           "entities": []}}
    all_slots = {"language": "zh", "verified": False, "requested_slot": asked, asked: text,
                 **(slots or {})}
    tracker = Tracker("web-c9", all_slots, user["parse_data"],
                      [user, {"event": "slot", "name": asked, "value": text}], False, None,
                      {"name": "complaint_form"}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateComplaintForm().run(dispatcher, tracker, domain))
    return ({e["name"]: e["value"] for e in events if e.get("event") == "slot"},
            [m["text"] for m in dispatcher.messages])


def test_my_name_with_my_phone_fills_both(domain):
    slots, texts = _answer("我叫王芳，手机13800000004", "complainant_name", domain,
                           {"complaint_about": "我要投诉你们的理赔员"})
    assert slots["complainant_name"] == "王芳"
    assert slots["complainant_phone"] == "13800000004"
    assert say("complaint_name_invalid", "zh") not in texts
    assert slots.get("requested_slot") != "complainant_phone"


def test_a_staff_member_named_is_whom_it_is_about_not_the_complainant(domain):
    slots, texts = _answer("是理赔员小刘，上周三打电话的时候", "complainant_name", domain,
                           {"complaint_about": "我要投诉你们的理赔员"})
    assert slots["complainant_name"] is None
    assert "理赔员小刘" in slots["complaint_about"]
    assert texts and "理赔员小刘" in texts[0] and "姓名" in texts[0]


@pytest.mark.parametrize("text, name", [("王芳", "王芳"), ("我是王芳", "王芳"),
                                        ("王芳 13800000004", "王芳"),
                                        ("my name is John Smith", "John Smith")])
def test_names_as_people_give_them(domain, text, name):
    slots, _ = _answer(text, "complainant_name", domain)
    assert slots["complainant_name"] == name


def test_the_first_message_introducing_oneself_is_not_asked_again(domain):
    tracker = make_tracker("我要投诉，我叫王芳，电话13800000004", "complain")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateComplaintForm().run(dispatcher, tracker, domain))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["complainant_name"] == "王芳" and slots["complainant_phone"] == "13800000004"


def test_the_first_message_fills_the_subject_as_the_rasa_server_starts_the_form(domain):
    # The server sets the active loop before the first validation: nothing asked yet.
    tracker = make_tracker("我要投诉你们的理赔员，上周三打电话态度太差了", "complain",
                           active_loop="complaint_form")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateComplaintForm().run(dispatcher, tracker, domain))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["complaint_about"].startswith("我要投诉你们的理赔员")
    assert "complainant_name" not in slots


def test_the_registration_says_back_what_was_recorded(claims_store, domain):
    with time_machine.travel(datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc), tick=True):
        tracker = make_tracker("道歉", "inform", sender_id="web-c2", slots={
            "complainant_name": "王芳", "complainant_phone": "13800000004",
            "complaint_about": "理赔员小刘", "complaint_facts": "上周三打电话态度很差",
            "complaint_request": "道歉"})
        texts, _ = run_action(ActionSubmitComplaint(), tracker, domain)
    assert "王芳" in texts[0] and "138****0004" in texts[0] and "13800000004" not in texts[0]
    assert "理赔员小刘" in texts[0]


def test_a_phone_given_earlier_in_the_complaint_is_not_asked_again(domain):
    earlier = [{"event": "user", "text": "我要投诉理赔员",
                "parse_data": {"intent": {"name": "complain"}}},
               {"event": "user", "text": "王芳，电话13800000004",
                "parse_data": {"intent": {"name": "inform"}}}]
    tracker = make_tracker("我刚才说过了", "inform", active_loop="complaint_form",
                           events=earlier)
    dispatcher = CollectingDispatcher()
    result = ValidateComplaintForm().validate_complainant_phone("我刚才说过了", dispatcher,
                                                                tracker, domain)
    assert result["complainant_phone"] == "13800000004" and dispatcher.messages == []


@pytest.mark.parametrize("text", ["AUTO-2026-0001", "我叫AUTO-2026-0001", "1985-04-12"])
def test_a_policy_number_or_a_date_is_never_the_complainants_name(domain, text):
    """Outside tester: the name "AUTO-2026-0001" was accepted."""
    slots, texts = _answer(text, "complainant_name", domain)
    assert slots["complainant_name"] is None
    assert not slots.get("complainant_phone")
    assert texts == [say("complaint_name_invalid", "zh")]


@pytest.mark.parametrize("text", ["1985-04-12", "19850412", "AUTO-2026-0001", "12345678"])
def test_a_date_or_a_number_that_is_no_phone_is_asked_again(domain, text):
    """Outside tester: "1985-04-12" (the holder's date of birth) was stored as the phone."""
    slots, texts = _answer(text, "complainant_phone", domain, {"complainant_name": "王芳"})
    assert slots["complainant_phone"] is None
    assert texts == [say("complaint_phone_invalid", "zh")]
