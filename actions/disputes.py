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
from bot.claims.disputes import asks_what_now, explain_decision, ladder_text
from bot.language import LANGUAGES, to_simplified
from bot.parsing import parse_claim_number
from bot.replies import say

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


def explanation_endings() -> tuple:
    """The lines an explanation of a decision ends with, in both languages (the next step of
    the ladder), whichever action gave it (the dispute's own, or the identity check's after
    a dispute started unverified)."""
    keys = ("dispute_next.negotiation", "dispute_step.mediation", "dispute_step.arbitration",
            "dispute_step.litigation", "dispute_ladder")
    return tuple(say(key, lang) for key in keys for lang in LANGUAGES)


def explained_before(tracker: Tracker) -> bool:
    """Whether this conversation was already given a decision's explanation (before the
    latest message)."""
    endings = explanation_endings()
    for event in tracker.events[:-1] if tracker.events else []:
        if event.get("event") == "bot" and event.get("text"):
            text = to_simplified(event["text"])
            if any(ending in text for ending in endings):
                return True
    return False


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
            explained_before=explained_before(tracker),
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


# Actions after which the conversation is about a disputed decision.
_DISPUTE_ACTIONS = ("action_explain_decision",)
_NOT_AN_ANSWER = ("action_listen", "action_extract_slots", "action_validate_slot_mappings")


def in_dispute(tracker: Tracker) -> bool:
    """Whether the bot's last answer before the latest message explained a disputed decision
    (or gave its ladder)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and event.get("event") == "action" and \
                event.get("name") not in _NOT_AN_ANSWER:
            return event.get("name") in _DISPUTE_ACTIONS
    return False


def answer_what_now(dispatcher: CollectingDispatcher,
                    tracker: Tracker) -> List[Dict[str, Any]] | None:
    """"what can I do now?" right after a decision was explained: the dispute ladder (review,
    complaint, mediation, then arbitration or court) with a person offered; None otherwise."""
    if not in_dispute(tracker) or not asks_what_now(tracker.latest_message.get("text")):
        return None
    number = parse_claim_number(tracker.get_slot("claim_number") or "") or None
    dispatcher.utter_message(text=ladder_text(number, language_of(tracker)),
                             buttons=offer_buttons(tracker))
    return [SlotSet("human_offered", True)]


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
