"""The identity form's way in without the policy number: the phone on file plus the date of
birth, then a pick from the customer's policies (issue 19, item 10)."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import PHONE_ROUTE_SLOTS, ActionAskPolicyChoice, ValidateIdentityForm
from actions.status import ActionShowStatus
from bot.replies import say
from tests.support.actions import make_tracker, run_action


def _validate(method, value, tracker, domain):
    dispatcher = CollectingDispatcher()
    result = getattr(ValidateIdentityForm(), method)(value, dispatcher, tracker, domain)
    return result, [m["text"] for m in dispatcher.messages]


@pytest.mark.parametrize("text", ["保单号我不记得了", "I don't have my policy number",
                                  "我不知道保单号 在抽屉里"])
def test_no_policy_number_to_hand_asks_for_the_phone_instead(claims_store, domain, text):
    tracker = make_tracker(text, intent="inform", active_loop="identity_form")
    result, texts = _validate("validate_policy_number", text, tracker, domain)
    assert result == {"policy_number": None, "identity_route": "phone"} and texts == []
    phone_route = make_tracker(text, slots={"identity_route": "phone"},
                               active_loop="identity_form")
    slots = asyncio.run(ValidateIdentityForm().required_slots(
        ["policy_number", "verification_answer"], CollectingDispatcher(), phone_route, domain))
    assert slots == PHONE_ROUTE_SLOTS


def test_a_phone_number_given_for_the_policy_number_is_taken(claims_store, domain):
    tracker = make_tracker("139 1234 5678", intent="inform", active_loop="identity_form")
    result, texts = _validate("validate_policy_number", "139 1234 5678", tracker, domain)
    assert result["login_phone"] == "13912345678" and result["identity_route"] == "phone"


def test_the_right_pair_verifies_and_the_customer_picks_a_policy(claims_store, domain):
    tracker = make_tracker("1985年4月12日", slots={"login_phone": "13800000001",
                                                  "identity_route": "phone"})
    result, texts = _validate("validate_login_birth_date", "1985年4月12日", tracker, domain)
    assert texts == [] and result["verified"] is True and result["customer_name"] == "张伟"
    assert "policy_number" not in result  # two policies: the customer picks one
    chooser = make_tracker("", slots={"verified": True, "customer_id": result["customer_id"]})
    texts, _ = run_action(ActionAskPolicyChoice(), chooser, domain)
    assert "AUTO-2026-0001" in texts[0] and "MED-2026-0001" in texts[0]
    picked, texts = _validate("validate_policy_choice", "第一个", chooser, domain)
    assert picked["policy_number"] == "AUTO-2026-0001" and picked["claim_number"] is None
    picked, _ = _validate("validate_policy_choice", "the medical one", chooser, domain)
    assert picked["policy_number"] == "MED-2026-0001"
    unclear, texts = _validate("validate_policy_choice", "HOME-2026-0001", chooser, domain)
    assert unclear["policy_choice"] is None
    assert texts == [say("policy_choice_unclear", "zh")]


def test_a_pair_that_matches_nobody_gets_the_same_reply_as_a_wrong_date(claims_store, domain):
    real = make_tracker("1999-01-01", sender_id="a", slots={"login_phone": "13800000001"})
    nobody = make_tracker("1999-01-01", sender_id="b", slots={"login_phone": "13999999999"})
    real_result, real_texts = _validate("validate_login_birth_date", "1999-01-01", real, domain)
    nobody_result, nobody_texts = _validate("validate_login_birth_date", "1999-01-01", nobody,
                                            domain)
    assert real_texts == nobody_texts == [say("login_mismatch", "zh", attempts_left=2)]
    assert real_result == nobody_result == {"login_birth_date": None, "login_phone": None}


def test_an_unreadable_date_is_asked_again_without_counting(claims_store, domain):
    tracker = make_tracker("不记得", slots={"login_phone": "13800000001"})
    for _ in range(4):
        result, texts = _validate("validate_login_birth_date", "不记得", tracker, domain)
        assert texts == [say("login_birth_date_unreadable", "zh")]
    result, _ = _validate("validate_login_birth_date", "1985-04-12", tracker, domain)
    assert result["verified"] is True


def test_a_medical_policy_picked_after_the_phone_still_needs_the_code(claims_store, domain):
    # 李秀英 has only a medical policy: taken at once, and its claims need the SMS code first.
    tracker = make_tracker("1948-09-30", slots={"login_phone": "13800000002"})
    result, _ = _validate("validate_login_birth_date", "1948-09-30", tracker, domain)
    assert result["policy_number"] == "MED-2026-0002" and result["elderly"] is True
    verified = make_tracker("查进度", intent="check_status", slots={
        "verified": True, "customer_id": result["customer_id"],
        "policy_number": "MED-2026-0002"})
    texts, _ = run_action(ActionShowStatus(), verified, domain)
    assert "CLM-2026-000003" not in " ".join(texts)
    assert any("验证码" in text for text in texts)
