"""What every action needs: the conversation's language, one way to reply, simple replies."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.language import DEFAULT_LANGUAGE, LANGUAGES
from bot.replies import say


def language_of(tracker: Tracker) -> str:
    language = tracker.get_slot("language")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def reply(dispatcher: CollectingDispatcher, tracker: Tracker, key: str, **fields: Any) -> None:
    dispatcher.utter_message(text=say(key, language_of(tracker), **fields))


def conversation_actor(tracker: Tracker) -> str:
    """Who is reading or changing data, as the audit log records it."""
    return f"conversation:{tracker.sender_id}"


def spoke_since_last_user_message(tracker: Tracker) -> bool:
    """Whether the bot already said something in reply to the latest user message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot":
            return True
    return False


class ReplyAction(Action, ABC):
    """An action whose whole job is one reply from the catalogue."""

    key: str | None = None

    @abstractmethod
    def name(self) -> str: ...

    def fields(self, tracker: Tracker) -> Dict[str, Any]:
        return {}

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        reply(dispatcher, tracker, self.key or "", **self.fields(tracker))
        return []


class AskAction(Action, ABC):
    """Asks for a form's slot, unless a validation message has just said what to send instead.

    After an interruption named in `reask_after` the question is asked again.
    """

    key = ""
    # declare_elderly: "我姓李，今年78了，想问一下…" starts the identity check after the age is
    # acknowledged (action_offer_human), and the first question is still asked.
    # report_urgent: the safety advice and the fast-track handoff come first, and the turn still
    # ends with the form's question (the customer is never left without a prompt).
    reask_after: tuple = ("switch_language", "request_human", "declare_elderly", "report_urgent")

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if not spoke_since_last_user_message(tracker) or intent in self.reask_after:
            reply(dispatcher, tracker, self.key)
        return []
