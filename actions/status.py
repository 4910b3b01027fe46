"""Where the customer's claims stand, for a verified customer only."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.access import refused_policy, reverify, step_up, viewer
from actions.common import language_of, reply
from bot import side_questions
from bot.access import hidden_policies, policy_for
from bot.claims.status import status_of_customer
from bot.language import to_simplified
from bot.parsing import parse_claim_number
from bot.replies import say


def show_status(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
    """Reply with the status of the verified customer's claims: one in full, several as a list
    to pick from, or the one they named (by the claim_number slot)."""
    looking = viewer(tracker)
    if looking.expired:
        return reverify(dispatcher, tracker)
    if not looking.verified:
        reply(dispatcher, tracker, "ask_policy_number")
        return []
    # Whose claims: the verified customer's, whatever policy number was typed since.
    access = policy_for(looking)
    if access.refused:
        return refused_policy(dispatcher, tracker, access)
    # The customer's words: a pick from the list ("第二个", "the car one") or "paid yet?".
    text = str(tracker.latest_message.get("text") or "")
    named = "" if _left_by_dispute(tracker, text) else str(tracker.get_slot("claim_number") or "")
    wanted = parse_claim_number(named)
    status = status_of_customer(
        access.policy_number or "", language_of(tracker),
        actor=looking.actor, claim_number=wanted, hidden=hidden_policies(looking),
        text=text if not text.startswith("/") else named,
    )
    if status.step_up:
        # A medical claim's details: the one-time code first, then this same answer.
        return step_up(dispatcher, tracker, status.step_up, "check_status", wanted)
    reply_text = status.text
    if side_questions.side_question(text) == side_questions.PAYMENT:
        # "which account did it go into?": where payments go, beside the claims.
        reply_text += "\n" + say("side_payment_where", language_of(tracker))
    if status.buttons:
        dispatcher.utter_message(text=reply_text, buttons=list(status.buttons))
    else:
        dispatcher.utter_message(text=reply_text)
    # The claim told in full is the claim in focus (bot.claims.focus) the way a tap on its button
    # makes it: its number set, then cleared so that the next status question is about all.
    told = [SlotSet("claim_number", status.claim_number)] if status.claim_number else []
    return told + [SlotSet("claim_number", None)]


def _left_by_dispute(tracker: Tracker, text: str) -> bool:
    """Whether the claim_number slot only holds the claim a decision's explanation was about
    (set with it, before the latest message): "what's the status of my claims" afterwards is
    about all of them, unless the message names that claim."""
    from actions.disputes import explanation_endings

    if parse_claim_number(text):
        return False
    events = list(tracker.events)
    latest_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    set_at = max((i for i, e in enumerate(events) if e.get("event") == "slot"
                  and e.get("name") == "claim_number" and e.get("value")), default=-1)
    if set_at < 0 or set_at > latest_user:
        return False  # never set, or set from this very message (a pick)
    start = max((i for i in range(set_at) if events[i].get("event") in ("action", "user")),
                default=0)
    said = [to_simplified(e.get("text") or "") for e in events[start:latest_user]
            if e.get("event") == "bot"]
    endings = explanation_endings()
    return any(ending in text for text in said for ending in endings)


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
