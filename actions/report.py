"""Reporting a claim: the report form (identity first), its questions, and the receipt."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.access import end_verified_state, expire_if_idle, own_policy, viewer
from actions.common import (
    conversation_actor,
    language_of,
    reply,
    spoke_since_last_user_message,
)
from actions.handoff import start_handoff
from actions.identity import IdentitySlots
from bot.claims.reporting import (
    ReportDraft,
    ReportRejected,
    missing_fields,
    receipt_text,
    submit_report,
)
from bot.claims.reporting.answers import (
    absorb_first_message,
    apply_correction,
    interpret_answer,
    is_confirmation,
    report_summary,
)
from bot.clauses import answer_clause_question
from bot.clauses.customer import answer_for_customer, general_answer
from bot.clock import utc_now
from bot.handoff import Reason
from bot.identity import policy_line
from bot.replies import say

CONFIRM = "confirm"
# Intents that interrupt the report (answered by rules) rather than answer its question.
INTERRUPTIONS = {"request_human", "switch_language", "ask_documents", "ask_clause"}
# Questions answered in the middle of the report, after which it goes on where it was.
SIDE_QUESTIONS = {"ask_documents", "ask_clause"}
# A report is only dropped on words that say so: an answer the model took for "cancel"
# ("about 8000 yuan") must never throw the customer's report away.
_CANCEL_WORDS = re.compile(
    r"(算了|取消|不报了|不办了|不弄了|先不|cancel|stop|never ?mind|forget it)", re.IGNORECASE
)


def _intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def load_draft(tracker: Tracker) -> ReportDraft:
    """The draft so far, bound to the verified policy once there is one."""
    draft = ReportDraft.from_dict(tracker.get_slot("report_draft"))
    # The verified customer's own policy only (bot/access.py), never another person's.
    policy = own_policy(tracker)
    changes: Dict[str, Any] = {}
    if policy and draft.policy_number != policy:
        changes["policy_number"] = policy
        changes["line_of_business"] = policy_line(policy)
    if draft.language != language_of(tracker):
        changes["language"] = language_of(tracker)
    return replace(draft, **changes) if changes else draft


class ValidateReportForm(IdentitySlots, FormValidationAction):
    """Identity (when not yet verified), then one question at a time until the draft is whole,
    then the summary to confirm. Every answer may fill several fields at once."""

    def name(self) -> str:
        return "validate_report_form"

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        if tracker.get_slot("identity_stop") or tracker.get_slot("report_cancelled"):
            return []
        identity = [] if tracker.get_slot("verified") else ["policy_number", "verification_answer"]
        if tracker.get_slot("report_ready"):
            return identity
        return identity + ["report_answer"]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        # After the idle time the report is filed by nobody until someone verifies again (the
        # slots are cleared here, so required_slots asks for the identity first); a draft begun
        # before it is dropped: the next person at the keyboard must not file or read it.
        events: List[Dict[str, Any]] = expire_if_idle(dispatcher, tracker)
        if events and tracker.get_slot("requested_slot") is not None:
            dropped = {"report_draft": None, "report_asking": None, "report_ready": False}
            events += [SlotSet(slot, value) for slot, value in dropped.items()]
            tracker.slots.update(dropped)
        if tracker.get_slot("requested_slot") is None:
            # Activation (nothing asked yet): the message that started the report may already
            # say most of it.
            draft = absorb_first_message(
                load_draft(tracker), tracker.latest_message.get("text") or "", utc_now(),
                language_of(tracker),
            )
            events.append(SlotSet("report_draft", draft.as_dict()))
            tracker.slots["report_draft"] = draft.as_dict()
        return events + await super().run(dispatcher, tracker, domain)

    def validate_verification_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        result = super().validate_verification_answer(value, dispatcher, tracker, domain)
        if result.get("verified"):
            reply(dispatcher, tracker, "identity_verified", name=result.get("customer_name"))
            if result.get("elderly"):
                # Not a yes/no question here: the report's next question follows at once.
                reply(dispatcher, tracker, "elderly_offer_in_report")
        return result

    def validate_report_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        draft = load_draft(tracker)
        lang = language_of(tracker)
        text = str(value or "")
        asking = tracker.get_slot("report_asking") or ""
        now = utc_now()
        if _intent(tracker) == "cancel" and _CANCEL_WORDS.search(text):
            return {"report_answer": "cancelled", "report_cancelled": True}
        if asking == CONFIRM:
            if is_confirmation(text, _intent(tracker)):
                return {"report_answer": "confirmed", "report_ready": True,
                        "report_draft": draft.as_dict()}
            answer = apply_correction(draft, text, now, lang)
            if answer.message:
                dispatcher.utter_message(text=answer.message)
            elif not answer.changed:
                reply(dispatcher, tracker, "report_what_to_correct")
            return {"report_answer": None, "report_draft": answer.draft.as_dict()}
        answer = interpret_answer(draft, asking, text, now, lang, intent=_intent(tracker))
        if answer.message:
            dispatcher.utter_message(text=answer.message)
        return {"report_answer": None, "report_draft": answer.draft.as_dict()}


class ActionAskReportAnswer(Action):
    """Asks the next missing detail, or shows the summary to confirm."""

    def name(self) -> str:
        return "action_ask_report_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        draft = load_draft(tracker)
        lang = language_of(tracker)
        missing = missing_fields(draft)
        asking = missing[0] if missing else CONFIRM
        already_asked = spoke_since_last_user_message(tracker) and (
            tracker.get_slot("report_asking") == asking and _intent(tracker) not in INTERRUPTIONS
        )
        if not already_asked:
            if asking == CONFIRM:
                question = say("report_confirm", lang, summary=report_summary(draft, lang))
            else:
                question = say(f"report_ask.{asking}", lang)
            if _intent(tracker) in SIDE_QUESTIONS and spoke_since_last_user_message(tracker):
                # A side question was just answered: say that the report goes on where it was.
                question = say("report_resume", lang, question=question)
            dispatcher.utter_message(text=question)
        return [SlotSet("report_asking", asking), SlotSet("report_draft", draft.as_dict())]


class ActionSubmitReport(Action):
    """Stores the confirmed report and gives the receipt; on problems, says what to fix."""

    def name(self) -> str:
        return "action_submit_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        done = [SlotSet("report_ready", False), SlotSet("report_asking", None),
                SlotSet("report_answer", None), SlotSet("report_cancelled", False)]
        if tracker.get_slot("report_cancelled"):
            reply(dispatcher, tracker, "report_cancelled")
            return done + [SlotSet("report_draft", None)]
        looking = viewer(tracker)
        if looking.expired:
            # The form checks this on every answer; a confirmation after the idle time is not one.
            reply(dispatcher, tracker, "identity_expired")
            reply(dispatcher, tracker, "report_not_submitted")
            return done + end_verified_state(tracker) + [
                SlotSet("report_draft", None)]
        if not looking.verified or not tracker.get_slot("report_ready"):
            return done + _reset_identity_if_stopped(tracker)
        lang = language_of(tracker)
        draft = ReportDraft.from_dict(
            {**load_draft(tracker).as_dict(), "channel": tracker.get_latest_input_channel(),
             "conversation_id": tracker.sender_id, "language": lang}
        )
        try:
            receipt = submit_report(
                draft,
                verified_customer_id=looking.customer_id,
                now=utc_now(),
                actor=conversation_actor(tracker),
            )
        except ReportRejected as rejected:
            for problem in rejected.problems:
                dispatcher.utter_message(text=problem.text(lang))
            reply(dispatcher, tracker, "report_not_submitted")
            return done + [SlotSet("report_draft", draft.as_dict())]
        dispatcher.utter_message(text=receipt_text(receipt, lang))
        events = done + [SlotSet("report_draft", None), SlotSet("last_claim_number",
                                                                 receipt.claim_number)]
        if receipt.fast_track:
            # Serious injury, emergency, death, fire: a person takes it now (DOMAIN.md).
            events += start_handoff(dispatcher, tracker, Reason.URGENT,
                                    claim_number=receipt.claim_number)
        return events


def _reset_identity_if_stopped(tracker: Tracker) -> List[Dict[str, Any]]:
    if not tracker.get_slot("identity_stop"):
        return []
    return [SlotSet("identity_stop", False), SlotSet("policy_number", None),
            SlotSet("verification_answer", None), SlotSet("report_draft", None)]


class ActionReportCancelled(Action):
    def name(self) -> str:
        return "action_report_cancelled"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        reply(dispatcher, tracker, "report_cancelled")
        return [SlotSet("report_draft", None), SlotSet("report_asking", None),
                SlotSet("report_answer", None), SlotSet("report_ready", False)]


class ActionReportClause(Action):
    """A clause question in the middle of a report ("什么是免赔额"): answered from the verified
    policy, or from the general wording of the line being reported; then the report resumes."""

    def name(self) -> str:
        return "action_report_clause"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        question = tracker.latest_message.get("text") or ""
        lang = language_of(tracker)
        # Policy data only for a customer verified within the idle time, and only their own.
        policy = own_policy(tracker)
        if policy:
            answer = answer_for_customer(question, policy, lang)
            dispatcher.utter_message(text=answer.text)
            return []
        general = general_answer(question, lang)
        line = load_draft(tracker).line_of_business
        if general is None and line:
            dispatcher.utter_message(text=answer_clause_question(question, line, lang))
        elif general is not None:
            dispatcher.utter_message(text=general.text)
        else:
            reply(dispatcher, tracker, "report_clause_after_identity")
        return []
