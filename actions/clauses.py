"""Clause questions: answered from the verified customer's own policy wording; before
verification only from the general wording of a line of business the question names."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.access import refused_policy, reverify, step_up, viewer
from actions.common import language_of, reply
from bot.access import hidden_policies, policy_for
from bot.clauses.customer import answer_for_customer, general_answer


def _question(tracker: Tracker) -> str:
    return (tracker.get_slot("clause_question") or "").strip()


def answer_clause(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
    """Answer the remembered clause question from the verified customer's own policy."""
    looking = viewer(tracker)
    if looking.expired:
        return reverify(dispatcher, tracker)
    question = _question(tracker)
    if not question:
        reply(dispatcher, tracker, "clause_ask_question")
        return [SlotSet("clause_question", None)]
    access = policy_for(looking)
    if access.refused:
        return refused_policy(dispatcher, tracker, access)
    result = answer_for_customer(question, access.policy_number or "", language_of(tracker))
    if result.policy_number and result.policy_number in hidden_policies(looking):
        # An answer from a medical policy's own data: the one-time code first (the question
        # stays in clause_question and is answered afterwards).
        return step_up(dispatcher, tracker, result.policy_number, "ask_clause")
    dispatcher.utter_message(text=result.text)
    return [SlotSet("clause_question", None),
            SlotSet("clause_full_text", result.answer.full_quote)]


class ActionAnswerClause(Action):
    """Sets `clause_answered`: false means "no answer without the identity check", and the
    rules start the identity form, which answers the question afterwards (pending_request)."""

    def name(self) -> str:
        return "action_answer_clause"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        if tracker.get_slot("verified"):
            return answer_clause(dispatcher, tracker) + [
                SlotSet("clause_answered", True), SlotSet("pending_request", None),
            ]
        general = general_answer(_question(tracker), language_of(tracker))
        if general is None:
            # The question and pending_request stay set; the identity form runs next and asks
            # for the policy number in its own words, so nothing is said here.
            return [SlotSet("clause_answered", False)]
        dispatcher.utter_message(text=general.text)
        # Question and pending_request stay set: a policy number given next starts the check,
        # and the same question is then answered for the customer's own policy.
        return [SlotSet("clause_answered", True),
                SlotSet("clause_full_text", general.answer.full_quote)]
