"""Greetings, help, fallbacks and the replies that need no data."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.access import end_verified_state
from actions.common import ReplyAction, reply
from actions.handoff import start_handoff
from bot.handoff import Reason
from bot.settings import get_settings


class ActionGreet(ReplyAction):
    key = "greet"

    def name(self) -> str:
        return "action_greet"


class ActionSayGoodbye(ReplyAction):
    """Goodbye. A verified customer who says it is logged out with it ("我用完了 再见" on a shared
    computer): the next person at the keyboard must not inherit their verified state."""

    key = "goodbye"

    def name(self) -> str:
        return "action_say_goodbye"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        if not tracker.get_slot("verified"):
            return await super().run(dispatcher, tracker, domain)
        reply(dispatcher, tracker, "goodbye_logged_out")
        return end_verified_state() + [SlotSet("pending_request", None),
                                       SlotSet("identity_stop", False)]


class ActionSayThanks(ReplyAction):
    key = "thank"

    def name(self) -> str:
        return "action_say_thanks"


class ActionCapabilities(ReplyAction):
    key = "capabilities"

    def name(self) -> str:
        return "action_capabilities"


class ActionOutOfScope(ReplyAction):
    key = "out_of_scope"

    def name(self) -> str:
        return "action_out_of_scope"


class ActionHowCanIHelp(ReplyAction):
    key = "how_can_i_help"

    def name(self) -> str:
        return "action_how_can_i_help"


class ActionCancelled(ReplyAction):
    key = "cancelled"

    def name(self) -> str:
        return "action_cancelled"


class ActionNoText(ReplyAction):
    key = "no_text"

    def name(self) -> str:
        return "action_no_text"


class ActionMessageTooLong(ReplyAction):
    key = "message_too_long"

    def name(self) -> str:
        return "action_message_too_long"

    def fields(self, tracker: Tracker) -> Dict[str, Any]:
        return {"limit": get_settings().max_message_chars}


class ActionNotUnderstood(ReplyAction):
    """After two misunderstandings in a row, hand over to a person instead of guessing again."""

    def name(self) -> str:
        return "action_not_understood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        if consecutive_misunderstandings(tracker) >= 2:
            reply(dispatcher, tracker, "not_understood_handoff")
            return start_handoff(dispatcher, tracker, Reason.NOT_UNDERSTOOD)
        else:
            reply(dispatcher, tracker, "not_understood")
            reply(dispatcher, tracker, "capabilities")
        return []


def consecutive_misunderstandings(tracker: Tracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != "nlu_fallback":
            break
        count += 1
    return count
