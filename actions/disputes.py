"""A disputed claim decision: explain it from the stored reasons and clause, record where the
customer stands on the ladder, and offer a person. The bot never argues a decision."""
from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.access import policy_in_view, step_up
from actions.common import language_of, reply
from actions.handoff import offer_buttons
from bot.access import claim_policy_number, hidden_policies
from bot.claims.disputes import explain_decision
from bot.parsing import parse_claim_number

logger = logging.getLogger(__name__)


def _dispute_text(tracker: Tracker) -> str:
    """The customer's own words about the dispute (the message that raised it)."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent == "dispute_decision":
            return event.get("text") or ""
    return tracker.latest_message.get("text") or ""


def explain_dispute(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
    """Explain the decision the verified customer disputes and offer a person."""
    lang = language_of(tracker)
    in_view = policy_in_view(dispatcher, tracker)
    if isinstance(in_view, list):
        return in_view
    looking, access = in_view
    try:
        explanation = explain_decision(
            access.policy_number or "",
            lang=lang,
            claim_number=parse_claim_number(tracker.get_slot("claim_number") or ""),
            text=_dispute_text(tracker),
            conversation_id=tracker.sender_id,
            actor=looking.actor,
        )
    except Exception:
        logger.exception("disputes: explaining for %s failed", tracker.sender_id)
        reply(dispatcher, tracker, "human_contact")
        return []
    hidden = hidden_policies(looking)
    if explanation.claim_number and claim_policy_number(explanation.claim_number) in hidden:
        # A medical claim's decision: the one-time code first, then the explanation.
        return step_up(dispatcher, tracker, claim_policy_number(explanation.claim_number),
                       "dispute_decision", explanation.claim_number)
    dispatcher.utter_message(text=explanation.text, buttons=offer_buttons(tracker))
    return [SlotSet("human_offered", True), SlotSet("claim_number", explanation.claim_number)]


class ActionExplainDecision(Action):
    def name(self) -> str:
        return "action_explain_decision"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        if not tracker.get_slot("verified"):
            # Rules send unverified customers through the identity check first.
            reply(dispatcher, tracker, "ask_policy_number")
            return []
        return explain_dispute(dispatcher, tracker)
