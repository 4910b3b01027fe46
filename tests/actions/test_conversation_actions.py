"""Replies that need no data: language, fallbacks, guards."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import (
    ActionGreet,
    ActionMessageTooLong,
    ActionNotUnderstood,
)
from actions.language import ValidateSlotMappings
from bot.replies import say
from tests.support.actions import make_tracker, run_action


def test_greeting_follows_the_conversation_language(domain):
    texts, _ = run_action(ActionGreet(), make_tracker("hello", slots={"language": "en"}), domain)
    assert texts == [say("greet", "en")]
    texts, _ = run_action(ActionGreet(), make_tracker("你好"), domain)
    assert texts == [say("greet", "zh")]


def _extract(tracker, domain):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateSlotMappings().run(dispatcher, tracker, domain))
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


def test_language_slot_follows_english_text(domain):
    slots = _extract(make_tracker("Where is my claim?", intent="check_status"), domain)
    assert slots["language"] == "en"


def test_a_policy_number_does_not_switch_language(domain):
    slots = _extract(make_tracker("AUTO-2026-0001", intent="inform"), domain)
    assert slots["language"] == "zh"


@pytest.mark.parametrize("payload, language, script", [
    ('/inform{"claim_number":"CLM-2026-000004"}', "zh", None),  # a Chinese customer's "2"
    ("12月7日09:00", "en", None),  # an English customer's "1": a time written in Chinese
    ("跳过这个问题", "zh", "traditional"),  # a traditional customer's pick, in simplified
])
def test_a_picked_numbered_choice_changes_neither_language_nor_script(domain, payload, language,
                                                                      script):
    from bot.language import PICKED_CHOICE

    tracker = make_tracker(payload, intent="inform",
                           slots={"language": language, "script": script})
    tracker.latest_message["metadata"] = {PICKED_CHOICE: True, "twilio": {"kind": "sms"}}
    slots = _extract(tracker, domain)
    assert slots.get("language", language) == language
    assert slots.get("script", script) == script


def test_explicit_switch_is_pinned(domain):
    slots = _extract(make_tracker("请说英文", intent="switch_language"), domain)
    assert slots == {"language": "en", "language_pinned": True}
    later = make_tracker("我的理赔呢", slots={"language": "en", "language_pinned": True})
    assert _extract(later, domain)["language"] == "en"


def test_second_misunderstanding_offers_a_person(claims_store, domain):
    # Issue 19: two misunderstandings in a row offer a person; a clear yes then hands over.
    first = make_tracker("asdf qwer", intent="nlu_fallback", slots={"language": "en"})
    texts, _ = run_action(ActionNotUnderstood(), first, domain)
    assert texts == [say("not_understood", "en"), say("capabilities", "en")]
    second = make_tracker(
        "zxcv", intent="nlu_fallback", slots={"language": "en"},
        events=list(first.events) + [{"event": "action", "name": "action_not_understood"}],
    )
    texts, events = run_action(ActionNotUnderstood(), second, domain)
    assert texts == [say("not_understood_offer", "en")]
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {"human_offered": True, "offer_reason": "not_understood"}
    assert "pause" not in [e["event"] for e in events]


def test_too_long_message_says_how_long(domain):
    tracker = make_tracker("长" * 10_000, intent="message_too_long")
    texts, _ = run_action(ActionMessageTooLong(), tracker, domain)
    assert "2000" in texts[0]



def test_the_action_server_can_register_every_action():
    """rasa_sdk instantiates every concrete Action subclass; a nameless one stops the server."""
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    assert {"action_identity_done", "validate_identity_form", "action_ask_policy_number"} <= set(
        executor.actions
    )
