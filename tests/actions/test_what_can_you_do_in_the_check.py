"""What an outside tester found chatting as a customer: "Hello, what can you do?" (or "你好，你能
做什么？") while the identity check asks its question is answered, then the question is asked
again; it is never read as a failed policy number or date of birth."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import ValidateIdentityForm, back_to
from actions.report import ValidateReportForm
from bot.replies import say
from tests.support.actions import make_tracker


@pytest.mark.parametrize(("text", "lang", "intent"), [
    ("Hello, what can you do?", "en", "greet"),
    ("Hello, what can you do?", "en", "ask_capabilities"),
    ("你好，你能做什么？", "zh", "greet"),
    ("你好，你能做什么？", "zh", "ask_capabilities"),
])
def test_what_can_you_do_while_the_policy_number_is_asked(claims_store, domain, text, lang,
                                                          intent):
    for form in (ValidateIdentityForm(), ValidateReportForm()):
        tracker = make_tracker(text, intent, active_loop=form.form_name(),
                               slots={"language": lang, "requested_slot": "policy_number"})
        dispatcher = CollectingDispatcher()
        result = form.validate_policy_number(text, dispatcher, tracker, domain)
        texts = [message["text"] for message in dispatcher.messages]
        assert result.get("policy_number") is None and "ask_failures" not in result
        assert texts == [say("capabilities_in_check", lang), back_to("ask_policy_number", lang)]
        assert not any(say("policy_number_unreadable", lang) in said for said in texts)


def test_what_can_you_do_while_the_date_of_birth_is_asked(claims_store, domain):
    text = "你能帮我做什么？"
    tracker = make_tracker(text, "ask_capabilities", active_loop="identity_form",
                           slots={"policy_number": "AUTO-2026-0001",
                                  "requested_slot": "verification_answer"})
    dispatcher = CollectingDispatcher()
    result = ValidateIdentityForm().validate_verification_answer(text, dispatcher, tracker,
                                                                 domain)
    assert result == {"verification_answer": None}
    assert [m["text"] for m in dispatcher.messages] == [
        say("capabilities_in_check", "zh"), back_to("ask_verification", "zh")]


def test_a_policy_number_with_the_question_is_still_the_policy_number(claims_store, domain):
    text = "AUTO-2026-0001 你能做什么"
    tracker = make_tracker(text, "ask_capabilities", active_loop="identity_form",
                           slots={"requested_slot": "policy_number"})
    result = ValidateIdentityForm().validate_policy_number(text, CollectingDispatcher(),
                                                           tracker, domain)
    assert result["policy_number"] == "AUTO-2026-0001"
