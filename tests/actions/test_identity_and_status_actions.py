"""The identity form's validation and the status reply, against a seeded store."""
from __future__ import annotations

import re

from rasa_sdk.executor import CollectingDispatcher

from actions.identity import ActionAskPolicyNumber, ActionIdentityDone, ValidateIdentityForm
from actions.status import ActionShowStatus
from bot.replies import say
from tests.support.actions import make_tracker, run_action


def _validate(method, value, tracker, domain):
    dispatcher = CollectingDispatcher()
    result = getattr(ValidateIdentityForm(), method)(value, dispatcher, tracker, domain)
    return result, [m["text"] for m in dispatcher.messages]


def test_unknown_policy_is_asked_the_same_question_and_fails_the_same_way(claims_store, domain):
    # Nothing may tell a guesser whether a policy exists (issue 18: enumeration).
    tracker = make_tracker("AUTO-2026-9999", intent="inform", active_loop="identity_form")
    result, texts = _validate("validate_policy_number", "AUTO-2026-9999", tracker, domain)
    assert result == {"policy_number": "AUTO-2026-9999"} and texts == []
    unknown = make_tracker("1999-01-01", intent="inform", sender_id="u",
                           slots={"policy_number": "AUTO-2026-9999"})
    real = make_tracker("1999-01-01", intent="inform", sender_id="r",
                        slots={"policy_number": "AUTO-2026-0001"})
    _, unknown_texts = _validate("validate_verification_answer", "1999-01-01", unknown, domain)
    _, real_texts = _validate("validate_verification_answer", "1999-01-01", real, domain)
    assert unknown_texts == real_texts == [say("verification_mismatch", "zh", attempts_left=2)]


def test_policy_number_is_read_from_a_sentence(claims_store, domain):
    tracker = make_tracker("我的保单号是 auto 2026 0001", intent="inform")
    result, texts = _validate("validate_policy_number", tracker.latest_message["text"], tracker,
                              domain)
    assert result == {"policy_number": "AUTO-2026-0001"} and texts == []


def test_right_birth_date_verifies_without_keeping_the_answer(claims_store, domain):
    tracker = make_tracker("1985年4月12日", intent="inform",
                           slots={"policy_number": "AUTO-2026-0001"})
    result, texts = _validate("validate_verification_answer", "1985年4月12日", tracker, domain)
    assert result["verified"] is True and result["customer_name"] == "张伟"
    assert result["verification_answer"] == "verified" and texts == []


def test_wrong_answers_count_down_then_lock(claims_store, domain):
    slots = {"policy_number": "ACC-2026-0001"}
    tracker = make_tracker("1999-01-01", intent="inform", slots=slots)
    _, texts = _validate("validate_verification_answer", "1999-01-01", tracker, domain)
    assert texts == [say("verification_mismatch", "zh", attempts_left=2)]
    _validate("validate_verification_answer", "1999-01-02", tracker, domain)
    result, texts = _validate("validate_verification_answer", "1999-01-03", tracker, domain)
    assert result["identity_stop"] is True and "暂停" in texts[0]


def test_the_question_is_not_repeated_after_a_validation_message(domain):
    already_answered = make_tracker("x", intent="inform")
    already_answered.events.append({"event": "bot", "text": "信息不一致"})
    texts, _ = run_action(ActionAskPolicyNumber(), already_answered, domain)
    assert texts == []
    texts, _ = run_action(ActionAskPolicyNumber(), make_tracker("查进度", "check_status"), domain)
    assert texts == [say("ask_policy_number", "zh")]


def test_identity_done_shows_the_pending_status(claims_store, domain):
    tracker = make_tracker(
        "0001",
        intent="inform",
        slots={"verified": True, "customer_id": 1,
               "customer_name": "张伟", "policy_number": "AUTO-2026-0001",
               "pending_request": "check_status"},
    )
    texts, events = run_action(ActionIdentityDone(), tracker, domain)
    assert texts[0] == say("identity_verified", "zh", name="张伟")
    assert "CLM-2026-000004" in texts[1] and "驾驶证" in texts[1]
    assert {"event": "slot", "name": "pending_request", "value": None} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]


def test_elderly_customer_is_offered_a_person_first(claims_store, domain):
    tracker = make_tracker(
        "1948-09-30",
        intent="inform",
        slots={"verified": True, "customer_id": 2,
               "customer_name": "李秀英", "policy_number": "MED-2026-0002",
               "elderly": True},
    )
    texts, _ = run_action(ActionIdentityDone(), tracker, domain)
    assert texts[1] == say("elderly_offer", "zh")


def test_status_in_english_with_a_named_claim_of_someone_else(claims_store, domain):
    slots = {"verified": True, "customer_id": 3,
             "policy_number": "HOME-2026-0001", "language": "en",
             "claim_number": "CLM-2026-000004"}
    texts, _ = run_action(ActionShowStatus(), make_tracker("CLM-2026-000004", "check_status",
                                                           slots=slots), domain)
    assert texts == [say("status_unknown_claim", "en", claim_number="CLM-2026-000004")]


def test_status_is_never_shown_unverified(claims_store, domain):
    texts, _ = run_action(ActionShowStatus(), make_tracker("查进度", "check_status"), domain)
    assert texts == [say("ask_policy_number", "zh")]


def test_elderly_customer_verified_inside_a_report_hears_a_person_is_there(
    claims_store, domain, monkeypatch
):
    from actions.report import ValidateReportForm

    sent = []
    monkeypatch.setattr("actions.identity.sms_sender",
                        lambda: lambda *message: sent.append(message))
    tracker = make_tracker("1948-09-30", intent="inform",
                           slots={"policy_number": "MED-2026-0002"}, active_loop="report_form")
    dispatcher = CollectingDispatcher()
    result = ValidateReportForm().validate_verification_answer(
        "1948-09-30", dispatcher, tracker, domain)
    # A medical policy: the one-time code to the phone on file comes first.
    assert not result.get("verified")
    assert [m["text"] for m in dispatcher.messages] == [
        say("identity_code_sent_medical", "zh", minutes=5)]
    code = re.search(r"\d{6}", sent[-1][1]).group(0)
    tracker = make_tracker(code, intent="inform",
                           slots={"policy_number": "MED-2026-0002"}, active_loop="report_form")
    dispatcher = CollectingDispatcher()
    result = ValidateReportForm().validate_verification_answer(code, dispatcher, tracker, domain)
    assert result["verified"] is True
    assert [m["text"] for m in dispatcher.messages][-1] == say("elderly_offer_in_report", "zh")
