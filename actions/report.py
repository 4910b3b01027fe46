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
    check_draft,
    fit_to_line,
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
    same_incident_reply,
)
from bot.claims.reporting.urgent import urgency
from bot.clauses import answer_clause_question
from bot.clauses.customer import answer_for_customer, general_answer
from bot.clock import utc_now
from bot.handoff import Reason
from bot.identity import policy_line
from bot.replies import say

CONFIRM = "confirm"
# Intents that interrupt the report (answered by rules) rather than answer its question.
INTERRUPTIONS = {"request_human", "switch_language", "ask_documents", "ask_clause"}
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
    draft = replace(draft, **changes) if changes else draft
    # Within what the policy covers: asked only when the line allows several types.
    return fit_to_line(draft, draft.line_of_business)


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
        found = urgency(tracker.latest_message.get("text"))
        if found is not None and not tracker.get_slot("urgent_handled"):
            # An emergency told in the middle of the report: safety first, then on with it.
            events += urgent_path(dispatcher, tracker, found, then_report=False)
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
            if draft.pending_duplicate:
                same = same_incident_reply(text, _intent(tracker))
                if same:
                    reply(dispatcher, tracker, "report_same_incident",
                          claim_number=draft.pending_duplicate)
                    return {"report_answer": "cancelled", "report_cancelled": True}
                if same is False:  # another incident: submitted as a new claim
                    draft = replace(draft, pending_duplicate=None, distinct_from=(
                        *draft.distinct_from, draft.pending_duplicate))
                    return confirmed_or_told(dispatcher, tracker, draft, now)
            if is_confirmation(text, _intent(tracker)):
                return confirmed_or_told(dispatcher, tracker, draft, now)
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


def confirmed_or_told(
    dispatcher: CollectingDispatcher, tracker: Tracker, draft: ReportDraft, now: Any
) -> Dict[str, Any]:
    """The confirmed draft goes in when nothing stops it; otherwise the customer is told what
    to change (or asked whether it is the same incident as a claim already made) and the draft
    stays, with the form, for the change: a report is never dropped at the confirmation."""
    looking = viewer(tracker)
    problems = (check_draft(draft, now, verified_customer_id=looking.customer_id)
                if looking.verified and not looking.expired else [])
    if not problems:
        return {"report_answer": "confirmed", "report_ready": True,
                "report_draft": replace(draft, pending_duplicate=None).as_dict()}
    lang = language_of(tracker)
    duplicate = next((problem for problem in problems
                      if problem.code in ("maybe_duplicate", "already_reported")), None)
    if duplicate is not None:
        dispatcher.utter_message(text=duplicate.text(lang))
        draft = replace(draft, pending_duplicate=duplicate.fields["claim_number"])
    else:
        for problem in problems:
            dispatcher.utter_message(text=problem.text(lang))
        reply(dispatcher, tracker, "report_fix_then_confirm")
    return {"report_answer": None, "report_draft": draft.as_dict()}


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
                reply(dispatcher, tracker, "report_confirm", summary=report_summary(draft, lang))
            else:
                reply(dispatcher, tracker, f"report_ask.{asking}")
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


def urgent_path(
    dispatcher: CollectingDispatcher, tracker: Tracker, found: Any, *, then_report: bool = True
) -> List[Dict[str, Any]]:
    """The emergency number and what to do right now, before any question; then a person on
    the fast track. The bot is not paused until that person takes the conversation (the agent
    console pauses it then), so the identity check and the report can go on meanwhile."""
    reply(dispatcher, tracker, "urgent.first")
    for key in found.advice_keys:
        reply(dispatcher, tracker, key)
    events = [event for event in start_handoff(dispatcher, tracker, Reason.URGENT)
              if event.get("event") != "pause"]
    if then_report and not tracker.get_slot("verified"):
        reply(dispatcher, tracker, "urgent.then_report")
    return events + [SlotSet("urgent_handled", True)]


class ActionUrgentIncident(Action):
    """An emergency happening now (components/report_signals.py), from any state: safety
    advice and a person first; the rule then starts the report (identity check first)."""

    def name(self) -> str:
        return "action_urgent_incident"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        found = urgency(tracker.latest_message.get("text"))
        if found is None:  # the button payload "/report_urgent": injury care is the default
            from bot.claims.reporting.urgent import MEDICAL, Urgency

            found = Urgency(("serious_injury",), (MEDICAL,))
        return urgent_path(dispatcher, tracker, found)


class ActionAmendClaim(Action):
    """"地点改一下…" / "经过写详细点：…" / "change the place to …" outside a report: the claim
    named, or the last one reported in this conversation, is changed (bot/claims/reporting/
    amend.py: audited, noted on the claim for its handler). Never a new report."""

    def name(self) -> str:
        return "action_amend_claim"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        from bot.claims.reporting.amend import AmendRefused, amend_claim, parse_amend_request

        lang = language_of(tracker)
        request = parse_amend_request(tracker.latest_message.get("text") or "")
        if request is None:
            reply(dispatcher, tracker, "amend_which")
            return []
        looking = viewer(tracker)
        if not looking.verified or looking.expired:
            reply(dispatcher, tracker, "amend_needs_identity")
            return []
        number = (request.claim_number or tracker.get_slot("last_claim_number")
                  or tracker.get_slot("claim_number"))
        field = say(f"amend_field.{request.field}", lang)
        if not number:
            reply(dispatcher, tracker, "amend_which")
            return []
        if request.value is None:
            reply(dispatcher, tracker, "amend_ask_value", claim_number=number, field=field)
            return []
        try:
            done = amend_claim(number, request, customer_id=looking.customer_id,
                               actor=conversation_actor(tracker), now=utc_now(), lang=lang)
        except AmendRefused as refused:
            reply(dispatcher, tracker, f"amend_refused.{refused.reason}", claim_number=number,
                  field=field)
            return []
        if done.field == "description":
            reply(dispatcher, tracker, "report_amended_description", claim_number=done.claim_number)
        else:
            reply(dispatcher, tracker, "report_amended", claim_number=done.claim_number,
                  field=field, value=done.new)
        return [SlotSet("last_claim_number", done.claim_number)]


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
