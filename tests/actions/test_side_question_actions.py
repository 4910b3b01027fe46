"""Side questions in the identity check and outside it, and the status action answering the
question asked (issue 19, items 7 and 11)."""
from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.identity import ValidateIdentityForm
from actions.side_questions import ActionAnswerGeneral
from actions.status import ActionShowStatus
from bot.replies import say
from tests.support.actions import make_tracker, run_action


def _validate(method, value, tracker, domain):
    dispatcher = CollectingDispatcher()
    result = getattr(ValidateIdentityForm(), method)(value, dispatcher, tracker, domain)
    return result, dispatcher.messages


def test_a_documents_question_for_the_policy_number_is_answered_then_asked_again(
        claims_store, domain):
    text = "what documents do I need for a house fire?"
    tracker = make_tracker(text, intent="ask_documents", active_loop="identity_form",
                           slots={"language": "en"})
    result, messages = _validate("validate_policy_number", text, tracker, domain)
    assert result == {"policy_number": None}
    texts = [message["text"] for message in messages]
    assert "List of damaged or lost items" in texts[0]
    assert texts[-1] == say("side_back_to", "en") + " " + say("ask_policy_number", "en")
    assert not any(say("policy_number_unreadable", "en") in text for text in texts)


def test_a_general_list_asked_instead_of_the_date_of_birth(claims_store, domain):
    text = "can u just tell me the general list?"
    tracker = make_tracker(text, intent="ask_general", slots={
        "language": "en", "policy_number": "AUTO-2026-0001"})
    result, messages = _validate("validate_verification_answer", text, tracker, domain)
    assert result == {"verification_answer": None}
    assert "Claim application form" in messages[0]["text"]
    assert messages[-1]["text"].endswith(say("ask_verification", "en"))


def test_an_argument_during_the_check_is_kept_as_the_dispute_to_do(claims_store, domain):
    text = "it was locked inside my front garden"
    tracker = make_tracker(text, intent="dispute_decision", active_loop="identity_form",
                           slots={"language": "en"})
    result, _ = _validate("validate_policy_number", text, tracker, domain)
    assert result == {"policy_number": None, "pending_request": "dispute_decision"}


def test_no_policy_at_all_ends_the_check_with_general_answers(claims_store, domain):
    text = "I don't have a policy, that's the point"
    tracker = make_tracker(text, intent="ask_general", active_loop="identity_form",
                           slots={"language": "en"})
    result, messages = _validate("validate_policy_number", text, tracker, domain)
    assert result["identity_stop"] is True and result["policy_number"] is None
    assert [m["text"] for m in messages] == [say("no_policy_general", "en")]


def test_general_questions_outside_a_form(claims_store, domain):
    for text, key in (("will someone come round to look?", "side_next_steps"),
                      ("I don't have a policy, that's the point", "no_policy_general")):
        texts, _ = run_action(ActionAnswerGeneral(), make_tracker(
            text, intent="ask_general", slots={"language": "en"}), domain)
        assert texts == [say(key, "en")]
    texts, events = run_action(ActionAnswerGeneral(), make_tracker(
        "I don't have my policy number", intent="ask_general", slots={"language": "en"}),
        domain)
    assert {"event": "followup", "name": "identity_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events]


def test_which_account_once_verified_names_the_paid_claim(claims_store, domain):
    tracker = make_tracker("which account did it go into?", intent="ask_general", slots={
        "language": "en", "verified": True, "customer_id": 3,
        "policy_number": "HOME-2026-0001"})
    texts, _ = run_action(ActionAnswerGeneral(), tracker, domain)
    assert "CLM-2026-000001" in texts[0] and say("side_payment_where", "en") in texts[0]


def test_policy_details_once_verified_and_before(claims_store, domain):
    verified = make_tracker("check my policy details", intent="ask_general", slots={
        "language": "en", "verified": True, "customer_id": 1,
        "policy_number": "AUTO-2026-0001"})
    texts, _ = run_action(ActionAnswerGeneral(), verified, domain)
    assert "AUTO-2026-0001" in texts[0] and "Excess" in texts[0]
    stranger = make_tracker("check my policy details", intent="ask_general",
                            slots={"language": "en"})
    texts, events = run_action(ActionAnswerGeneral(), stranger, domain)
    assert texts == [say("side_policy_needs_check", "en")]
    assert any(e.get("name") == "pending_request" and e.get("value") == "policy_details"
               for e in events)


def test_withdrawing_offers_a_person(claims_store, domain):
    texts, events = run_action(ActionAnswerGeneral(), make_tracker("撤案", "ask_general"),
                               domain)
    assert texts == [say("side_withdraw", "zh")]
    assert any(e.get("name") == "human_offered" for e in events)


def test_paid_yet_and_a_pick_through_the_status_action(claims_store, domain):
    slots = {"language": "en", "verified": True, "customer_id": 3,
             "policy_number": "HOME-2026-0001"}
    dispatcher = CollectingDispatcher()
    import asyncio

    asyncio.run(ActionShowStatus().run(dispatcher, make_tracker(
        "has my claim been paid yet?", "check_status", slots=slots), domain))
    message = dispatcher.messages[0]
    assert message["text"].startswith("CLM-2026-000001") and "8,200" in message["text"]
    assert len(message["buttons"]) == 2
    texts, _ = run_action(ActionShowStatus(), make_tracker(
        "the second one", "inform", slots={**slots, "claim_number": "the second one"}), domain)
    assert "CLM-2026-000001" in texts[0] and "CLM-2026-000002" not in texts[0]
