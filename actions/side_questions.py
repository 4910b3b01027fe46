"""General questions beside the task at hand (bot/side_questions.py): which documents, what
happens next, where the money goes, someone with no policy; and the verified customer's policy
summary ("check my policy details")."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.access import policy_in_view
from actions.common import language_of, reply
from actions.handoff import offer_person
from actions.identity import PHONE_ROUTE
from bot import side_questions
from bot.access import hidden_policies
from bot.claims.lifecycle import claims_of_policy_holder
from bot.identity import has_no_policy, wants_phone_route


def show_policy(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
    """The verified customer's policy in view, in a few lines."""
    in_view = policy_in_view(dispatcher, tracker)
    if isinstance(in_view, list):
        return in_view
    _, access = in_view
    summary = side_questions.policy_summary(access.policy_number or "", language_of(tracker))
    if summary is None:
        reply(dispatcher, tracker, "how_can_i_help")
        return []
    dispatcher.utter_message(text=summary)
    return []


def show_complaints(dispatcher: CollectingDispatcher,
                    tracker: Tracker) -> List[Dict[str, Any]]:
    """The verified customer's complaints and where each stands."""
    customer = tracker.get_slot("customer_id")
    if not tracker.get_slot("verified") or customer in (None, ""):
        return []
    dispatcher.utter_message(text=side_questions.complaint_status_lines(
        int(customer), language_of(tracker)))
    return []


def _paid_claims(dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
    """The verified customer's paid claims (none of a medical policy before its code)."""
    if not tracker.get_slot("verified"):
        return []
    in_view = policy_in_view(dispatcher, tracker)
    if isinstance(in_view, list):
        return []
    looking, access = in_view
    hidden = hidden_policies(looking)
    return [view for view in claims_of_policy_holder(access.policy_number or "",
                                                     actor=looking.actor)
            if view.paid_at is not None and view.paid_amount is not None
            and view.policy_number not in hidden]


class ActionAnswerGeneral(Action):
    """Answers a general question by its words; the policy summary once verified (before,
    the identity check first, then the summary)."""

    def name(self) -> str:
        return "action_answer_general"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        text = str(tracker.latest_message.get("text") or "")
        lang = language_of(tracker)
        kind = side_questions.side_question(text)
        if kind is None and not tracker.get_slot("verified") and wants_phone_route(text):
            # "I don't have my policy number": the identity check by phone and date of birth.
            return [SlotSet("identity_route", PHONE_ROUTE), FollowupAction("identity_form")]
        if kind is None:
            reply(dispatcher, tracker, "no_policy_general" if has_no_policy(text)
                  else "capabilities")
            return []
        if kind == side_questions.POLICY:
            if tracker.get_slot("verified"):
                return show_policy(dispatcher, tracker)
            reply(dispatcher, tracker, "side_policy_needs_check")
            return [SlotSet("pending_request", "policy_details"), FollowupAction("identity_form")]
        if kind == side_questions.COMPLAINT_STATUS:
            if tracker.get_slot("verified"):
                return show_complaints(dispatcher, tracker)
            reply(dispatcher, tracker, "side_complaint_status_check")
            return [SlotSet("pending_request", "complaint_status"),
                    FollowupAction("identity_form")]
        if kind == side_questions.WITHDRAW:
            # The bot cannot withdraw a claim: a person does, with the customer; "yes" hands over.
            return offer_person(dispatcher, tracker, "side_withdraw")
        if kind == side_questions.DISPUTE:
            # An argument against a decision is the dispute path.
            return [FollowupAction("action_explain_decision")] if tracker.get_slot("verified") \
                else [SlotSet("pending_request", "dispute_decision"),
                      FollowupAction("identity_form")]
        paid = _paid_claims(dispatcher, tracker) if kind == side_questions.PAYMENT else []
        dispatcher.utter_message(text=side_questions.answer(kind, text, lang, paid=paid))
        return []
