"""The verified customer of a conversation as the actions see it (bot/access.py), ending the
verified state on idle time or log-out, and the reply to a policy that is not the customer's."""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of, reply
from bot.access import IDENTITY_SLOTS, PolicyAccess, Viewer, policy_for, viewer_of
from bot.identity import policy_line
from bot.parsing import parse_policy_number
from bot.replies import say

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


def expire_if_idle(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
    """For actions that write on the customer's behalf (report, complaint, dispute): when the
    verified state ran out, say so and forget it (slots here and in `tracker`), so the form asks
    who the customer is again instead of acting for whoever was verified before."""
    if not viewer(tracker).expired:
        return []
    reply(dispatcher, tracker, "identity_expired")
    # The message that came after the idle time is not an identity answer: what the form
    # extracted from it for the identity slots is not validated (the customer is asked anew).
    last_user = max((i for i, e in enumerate(tracker.events) if e.get("event") == "user"),
                    default=-1)
    tracker.events = [event for i, event in enumerate(tracker.events)
                      if i < last_user or event.get("event") != "slot"
                      or event.get("name") not in ("policy_number", "verification_answer")]
    return end_verified_state(tracker)


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


def policy_in_view(dispatcher: CollectingDispatcher, tracker: Tracker
                   ) -> Tuple[Viewer, PolicyAccess] | List[Dict[str, Any]]:
    """The verified customer and the policy of theirs in view; or, when the verified state ran
    out or the policy named is not theirs, the events of the reply already given (return
    them as the action's)."""
    looking = viewer(tracker)
    if looking.expired:
        return reverify(dispatcher, tracker)
    access = policy_for(looking)
    if access.refused:
        return refused_policy(dispatcher, tracker, access)
    return looking, access


# What each form was gathering: dropped when the customer logs out in the middle of it.
FORM_SLOTS: Dict[str, Dict[str, Any]] = {
    "identity_form": {},
    "report_form": {"report_draft": None, "report_asking": None, "report_answer": None,
                    "report_ready": False, "report_cancelled": False},
    "complaint_form": {"complainant_name": None, "complainant_phone": None,
                       "complaint_about": None, "complaint_facts": None,
                       "complaint_request": None, "complaint_reference": None,
                       "case_topic": None},
}
# What the customer hears, by intent and by the form that was stopped.
_LOG_OUT_REPLY = {
    ("log_out", "report_form"): "logged_out_report",
    ("log_out", "complaint_form"): "logged_out_complaint",
    ("switch_customer", None): "customer_switched",
    ("switch_customer", "identity_form"): "customer_switched",
    ("switch_customer", "report_form"): "customer_switched_report",
    ("switch_customer", "complaint_form"): "customer_switched_complaint",
}


def stopped_form(tracker: Tracker) -> str | None:
    """The form that was running when the customer's latest message came in (and has been, or
    is about to be, stopped for it), or None."""
    if tracker.active_loop and tracker.active_loop.get("name"):
        return tracker.active_loop["name"]
    after_message = True
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            after_message = False
        elif kind == "active_loop":
            name = event.get("name")
            if name:
                return name
            if not after_message:
                # The last form had already ended before this message.
                return None
    return None


def form_cleared(form: str | None) -> List[Dict[str, Any]]:
    """Events that stop the form (if one still runs) and drop what it gathered."""
    if form is None:
        return []
    events = [ActiveLoop(None), SlotSet("requested_slot", None)]
    return events + [SlotSet(slot, value) for slot, value in FORM_SLOTS.get(form, {}).items()]


class ActionLogOut(Action):
    """"退出" / "log out" (and "换个人查", someone else at the keyboard): the verified state ends
    now, any form stops and what it gathered is dropped, and the customer is told so plainly in
    their language. The rules start a new identity check after it for "换个人查"."""

    def name(self) -> str:
        return "action_log_out"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        intent = intent if intent == "switch_customer" else "log_out"
        form = stopped_form(tracker)
        reply(dispatcher, tracker, _LOG_OUT_REPLY.get((intent, form), "logged_out"))
        return form_cleared(form) + end_verified_state() + [
            SlotSet("pending_request", None), SlotSet("clause_question", None),
            SlotSet("identity_stop", False), SlotSet("human_offered", False)]


class ActionPolicyNamed(Action):
    """A verified customer sends a policy number ("MED-2026-0001 呢", "换成我另一张保单 …"): one of
    their own becomes the policy in use, said plainly with what they can ask; anyone else's gets
    exactly the reply a non-existent one gets (bot/access.py decides, and audits)."""

    def name(self) -> str:
        return "action_policy_named"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        looking = viewer(tracker)
        if looking.expired:
            return reverify(dispatcher, tracker)
        named = _named_policy(tracker)
        if not looking.verified or named is None:
            reply(dispatcher, tracker, "how_can_i_help")
            return []
        access = policy_for(looking, named)
        if access.refused:
            return refused_policy(dispatcher, tracker, access)
        number = access.policy_number
        line = policy_line(number) if number else None
        lang = language_of(tracker)
        reply(dispatcher, tracker, "policy_in_use", policy_number=number,
              line=say(f"line.{line}", lang) if line else "-")
        return [SlotSet("policy_number", number), SlotSet("claim_number", None)]


def _named_policy(tracker: Tracker) -> str | None:
    """The policy number the latest message names (entity first, then the text)."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "policy_number" and entity.get("value"):
            found = parse_policy_number(str(entity["value"]))
            if found:
                return found
    return parse_policy_number(tracker.latest_message.get("text") or "") or None


def own_policy(tracker: Tracker) -> str | None:
    """The verified customer's policy to act on, never another person's; None once the verified
    state ran out (idle time): writing on someone's behalf needs a fresh check like reading."""
    looking = viewer(tracker)
    if not looking.verified:
        return None
    return policy_for(looking).policy_number


def step_up(dispatcher: CollectingDispatcher, tracker: Tracker, policy_number: str,
            pending: str, claim_number: str | None = None) -> List[Dict[str, Any]]:
    """Medical details without a code verified since the identity check: say so plainly, send
    the code to the phone on file and ask for it (the identity form takes the answer, then
    action_identity_done does what was asked: `pending`)."""
    from actions.common import language_of
    from actions.identity import _code_unavailable, sms_sender
    from bot import identity
    from bot.settings import get_settings

    looking = viewer(tracker)
    result = identity.send_step_up_code(
        policy_number, conversation_id=tracker.sender_id, customer_id=looking.customer_id,
        send_sms=sms_sender(), language=language_of(tracker))
    if result.outcome is not identity.VerificationOutcome.CODE_SENT:
        slots = _code_unavailable(dispatcher, tracker, result)
        return [SlotSet(name, value) for name, value in slots.items()]
    reply(dispatcher, tracker, "step_up_code_sent",
          phone=identity.masked_phone_on_file(policy_number),
          minutes=get_settings().identity_code_minutes)
    return [SlotSet("policy_number", policy_number), SlotSet("verification_answer", None),
            SlotSet("claim_number", claim_number), SlotSet("pending_request", pending),
            FollowupAction("identity_form")]
