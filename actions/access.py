"""The verified customer of a conversation as the actions see it (bot/access.py), ending the
verified state on idle time or log-out, and the reply to a policy that is not the customer's."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import reply
from bot.access import IDENTITY_SLOTS, PolicyAccess, Viewer, policy_for, viewer_of

# Values the cleared slots go back to (the domain's initial values).
_CLEARED: Dict[str, Any] = {"verified": False, "elderly": False}


def viewer(tracker: Tracker) -> Viewer:
    """Who is looking, with the idle time measured up to the message being answered."""
    return viewer_of(tracker.sender_id, tracker.current_slot_values(), tracker.events)


def end_verified_state(tracker: Tracker | None = None) -> List[Dict[str, Any]]:
    """Events that forget who the customer is and what of theirs was in view."""
    events = [SlotSet(slot, _CLEARED.get(slot)) for slot in IDENTITY_SLOTS]
    if tracker is not None:
        # The slot values this action reads from now on.
        tracker.slots.update({slot: _CLEARED.get(slot) for slot in IDENTITY_SLOTS})
    return events


def reverify(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
    """The verified state ran out: say so, forget it and start the identity check again (what
    the customer asked for stays in pending_request and is done afterwards)."""
    reply(dispatcher, tracker, "identity_expired")
    return end_verified_state(tracker) + [FollowupAction("identity_form")]


def refused_policy(dispatcher: CollectingDispatcher, tracker: Tracker,
                   access: PolicyAccess) -> List[Dict[str, Any]]:
    """A policy named that is not the customer's (or does not exist): the same words either
    way, and the customer's own policy back in view."""
    reply(dispatcher, tracker, "access_policy_not_found", policy_number=access.refused)
    return [SlotSet("policy_number", access.policy_number), SlotSet("claim_number", None)]


class ActionLogOut(Action):
    """"退出" / "log out": the verified state ends now, confirmed in the customer's language."""

    def name(self) -> str:
        return "action_log_out"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        reply(dispatcher, tracker, "logged_out")
        return end_verified_state() + [SlotSet("pending_request", None),
                                       SlotSet("identity_stop", False)]


def own_policy(tracker: Tracker) -> str | None:
    """The verified customer's policy to act on (writes, not disclosure: the idle time is not
    checked), never another person's."""
    slots = tracker.current_slot_values()
    try:
        customer_id = int(slots.get("customer_id"))
    except (TypeError, ValueError):
        return None
    if not slots.get("verified"):
        return None
    return policy_for(Viewer(tracker.sender_id, customer_id,
                             policy_number=slots.get("policy_number"))).policy_number
