"""Where the customer's claims stand, for a verified customer only."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import conversation_actor, language_of, reply
from bot.parsing import parse_claim_number
from bot.status import status_of_customer


def show_status(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
    """Reply with the status of the verified customer's claims: one in full, several as a list
    to pick from, or the one they named (by the claim_number slot)."""
    wanted = parse_claim_number(tracker.get_slot("claim_number") or "")
    status = status_of_customer(
        tracker.get_slot("policy_number") or "", language_of(tracker),
        actor=conversation_actor(tracker), claim_number=wanted,
    )
    dispatcher.utter_message(text=status.text)
    return [SlotSet("claim_number", None)]


class ActionShowStatus(Action):
    def name(self) -> str:
        return "action_show_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        if not tracker.get_slot("verified"):
            # Rules should never get here unverified; if they do, show nothing.
            reply(dispatcher, tracker, "ask_policy_number")
            return []
        return show_status(dispatcher, tracker)
