"""Keeps the conversation in the customer's language: follows what they write, pins on request."""
from __future__ import annotations

from typing import Any, Dict

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions.common import ReplyAction
from bot.handoff import declares_elderly
from bot.language import (
    SIMPLIFIED,
    conversation_language,
    detect_script,
    picked_choice,
    says_abroad,
)


def original_text(tracker: Tracker) -> str:
    """The customer's latest message as they wrote it: the user event keeps it, while the parse
    (latest_message) holds the normalised, simplified text the model read."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event.get("text") or ""
    return tracker.latest_message.get("text") or ""


def _picked(tracker: Tracker) -> bool:
    """The latest message is a numbered choice the channel turned into its button's payload."""
    return picked_choice(tracker.latest_message.get("metadata"))


def _latest_intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


class ValidateSlotMappings(ValidationAction):
    """Runs after every user message (Rasa's action_validate_slot_mappings)."""

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> Dict[str, Any]:
        if _latest_intent(tracker).startswith("EXTERNAL_"):
            return {}  # an event from outside ("EXTERNAL: ..."), not the customer's words
        language, pinned = conversation_language(
            tracker.get_slot("language"),
            tracker.latest_message.get("text") or "",
            pinned=bool(tracker.get_slot("language_pinned")),
            switch_request=_latest_intent(tracker) == "switch_language",
            picked=_picked(tracker),
        )
        return {"language": language, "language_pinned": pinned}

    async def extract_script(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> Dict[str, Any]:
        """"請問住院理賠…": traditional characters are answered in traditional characters."""
        if _latest_intent(tracker).startswith("EXTERNAL_") or _picked(tracker):
            return {}  # not the customer's words: the button's payload says nothing of script
        current = tracker.get_slot("script")
        script = detect_script(original_text(tracker), current)
        if script == current or (current is None and script == SIMPLIFIED):
            return {}  # simplified is what replies are written in: nothing to remember
        return {"script": script}

    async def extract_abroad(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> Dict[str, Any]:
        """"我人在国外": times are named with their zone (北京时间) from now on."""
        if tracker.get_slot("abroad") or _latest_intent(tracker).startswith("EXTERNAL_"):
            return {}
        return {"abroad": True} if says_abroad(tracker.latest_message.get("text")) else {}

    async def extract_elderly(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> Dict[str, Any]:
        """"我七十多岁了": a customer who says they are elderly is ranked first for a person."""
        if tracker.get_slot("elderly") or _latest_intent(tracker).startswith("EXTERNAL_"):
            return {}
        return {"elderly": True} if declares_elderly(tracker.latest_message.get("text")) else {}


class ActionSwitchLanguage(ReplyAction):
    key = "language_switched"

    def name(self) -> str:
        return "action_switch_language"
