"""Registering a complaint: a short form for what the complaint rules require, then a reference,
the deadlines and what happens next; a complaint that asks for a person goes to one."""
from __future__ import annotations

import logging
import re
from abc import ABC
from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.access import expire_if_idle, own_policy, viewer
from actions.common import AskAction, language_of, reply
from actions.handoff import offer_person, start_handoff
from bot import asks
from bot.complaints import (
    NewComplaint,
    classify_about,
    names_staff,
    parse_contact_phone,
    parse_person_name,
    receipt_text,
    record_complaint,
    self_introduced_name,
)
from bot.handoff import Reason, asks_for_person
from bot.replies import say

logger = logging.getLogger(__name__)

FORM = "complaint_form"
CONTACT_SLOTS = ("complainant_name", "complainant_phone")
MAX_TEXT = 2000
# "我要投诉" says nothing about the matter; what is left after these words may.
_GENERIC = re.compile(
    r"(我要|我想|我得|我需要|要|想)?(实名)?(投诉|投訴|客诉|客訴)(一下)?|"
    r"\bi\s+(want|would like|'d like|wish)\s+to\s+(make|file|lodge|register)\s+a\s+complaint\b|"
    r"\bi\s+want\s+to\s+complain\b|\bcomplaint\b|\bcomplain\b",
    re.IGNORECASE,
)


def _substance(text: str) -> str:
    """What a message says beyond "I want to complain", without punctuation."""
    rest = _GENERIC.sub(" ", text or "")
    return re.sub(r"[\s\W_]+", "", rest)


def _clip(value: Any) -> str:
    return " ".join(str(value or "").split())[:MAX_TEXT]


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> str:
        return "validate_complaint_form"

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        if tracker.get_slot("complaint_paused"):
            return []  # a person was offered instead of a question asked a third time
        # A verified customer is known: their name and phone are on the policy.
        if tracker.get_slot("verified"):
            return [slot for slot in domain_slots if slot not in CONTACT_SLOTS]
        return domain_slots

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        # After the idle time the complaint is no longer filed as the verified customer's (their
        # policy, name and phone): the form asks for a name and phone like for anyone.
        expired = expire_if_idle(dispatcher, tracker)
        return expired + await super().run(dispatcher, tracker, domain)

    @staticmethod
    def _activating(tracker: Tracker) -> bool:
        """The message that starts the form. The Rasa server sets the active loop before it
        asks for the first validation, so nothing asked yet (requested_slot) is the sign."""
        return tracker.active_loop_name != FORM or not tracker.get_slot("requested_slot")

    async def extract_complaint_about(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """At the start, a claim number or a named person or step already says what it is
        about: the customer is not asked again."""
        if not self._activating(tracker) or tracker.get_slot("complaint_about"):
            return {}
        claim_number = tracker.get_slot("claim_number")
        if claim_number:
            return {"complaint_about": claim_number}
        text = tracker.latest_message.get("text") or ""
        if _substance(text) and classify_about(text)[0] != "other":
            return {"complaint_about": _clip(text)}
        return {}

    async def extract_complaint_facts(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if not self._activating(tracker) or tracker.get_slot("complaint_facts"):
            return {}
        text = tracker.latest_message.get("text") or ""
        substance = _substance(text)
        long_enough = len(substance) >= 8 if re.search(r"[\u4e00-\u9fff]", substance) else \
            len(re.findall(r"[A-Za-z]+", _GENERIC.sub(" ", text))) >= 6
        return {"complaint_facts": _clip(text)} if long_enough else {}

    async def extract_complainant_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """"我叫王芳" said before the name is asked (at the start, or beside another answer)."""
        if tracker.get_slot("complainant_name") or tracker.get_slot("verified") or \
                tracker.get_slot("requested_slot") == "complainant_name":
            return {}
        name = self_introduced_name(tracker.latest_message.get("text") or "")
        return {"complainant_name": name} if name else {}

    async def extract_complainant_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A phone number given before it is asked, beside the name ("我叫王芳，手机138…")."""
        if tracker.get_slot("complainant_phone") or tracker.get_slot("verified") or \
                tracker.get_slot("requested_slot") == "complainant_phone":
            return {}
        text = tracker.latest_message.get("text") or ""
        if not (self._activating(tracker) or self_introduced_name(text)
                or tracker.get_slot("requested_slot") == "complainant_name"):
            return {}
        phone = parse_contact_phone(text)
        return {"complainant_phone": phone} if phone else {}

    def validate_complainant_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        text = str(value or "")
        # A phone number in the same message is the complainant's phone: never asked again.
        phone = {} if tracker.get_slot("complainant_phone") else (
            {"complainant_phone": parse_contact_phone(text)} if parse_contact_phone(text) else {})
        if self_introduced_name(text) is None and names_staff(text):
            # "是理赔员小刘，上周三打电话的时候": whom the complaint is about, not who complains.
            about = str(tracker.get_slot("complaint_about") or "")
            # The person named first: it is what the customer will look for in the receipt.
            noted = {"complaint_about": _clip(f"{text}；{about}" if about and text not in about
                                              else about or text)}
            reply(dispatcher, tracker, "complaint_subject_noted_ask_name",
                  about=_clip(text)[:60])
            return {"complainant_name": None, **noted, **phone}
        name = parse_person_name(text)
        if name is None:
            return {**_failed("complainant_name", "complaint_name_invalid", dispatcher, tracker),
                    **phone}
        return {"complainant_name": name, **phone, **_answered("complainant_name", tracker)}

    def validate_complainant_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        phone = parse_contact_phone(str(value or "")) or _phone_said_before(tracker)
        if phone is None:
            return _failed("complainant_phone", "complaint_phone_invalid", dispatcher, tracker)
        return {"complainant_phone": phone, **_answered("complainant_phone", tracker)}

    def _text(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
              tracker: Tracker) -> Dict[str, Any]:
        text = _clip(value)
        if not re.search(r"[A-Za-z0-9\u4e00-\u9fff]", text):
            return _failed(slot, "complaint_text_empty", dispatcher, tracker)
        return {slot: text, **_answered(slot, tracker)}

    def validate_complaint_about(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return self._text("complaint_about", value, dispatcher, tracker)

    def validate_complaint_facts(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return self._text("complaint_facts", value, dispatcher, tracker)

    def validate_complaint_request(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return self._text("complaint_request", value, dispatcher, tracker)


def _phone_said_before(tracker: Tracker) -> str | None:
    """"我刚才说了": a phone number the customer gave earlier in this complaint (since the
    message that started it), so it is never asked for again."""
    for event in reversed(tracker.events[:-1] if tracker.events else []):
        if event.get("event") != "user":
            continue
        phone = parse_contact_phone(event.get("text") or "")
        if phone:
            return phone
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") == "complain":
            return None
    return None


# Complaint questions whose third unreadable answer is recorded as "not stated" (the complaint
# is registered all the same); without a name and phone nobody can answer it: a person instead.
_MAY_BE_NOT_STATED = ("complaint_about", "complaint_facts", "complaint_request")


def _answered(slot: str, tracker: Tracker) -> Dict[str, Any]:
    return {"ask_failures": asks.answered(tracker.get_slot("ask_failures"), "complaint", slot)}


def _failed(slot: str, reask_key: str, dispatcher: CollectingDispatcher,
            tracker: Tracker) -> Dict[str, Any]:
    """An answer that could not be used (bot/asks.py): asked again, then another way, then
    recorded as not stated or a person offered; never asked a third time."""
    counts, step = asks.failed(tracker.get_slot("ask_failures"), "complaint", slot)
    if step is asks.Step.REASK:
        reply(dispatcher, tracker, reask_key)
        return {slot: None, "ask_failures": counts}
    if step is asks.Step.OTHER_WAY:
        reply(dispatcher, tracker, f"asks.other_way.{slot}")
        return {slot: None, "ask_failures": counts}
    counts = asks.answered(counts, "complaint", slot)
    if slot in _MAY_BE_NOT_STATED:
        reply(dispatcher, tracker, "asks.recorded_not_stated")
        return {slot: say("asks.not_stated", language_of(tracker)), "ask_failures": counts}
    offer = offer_person(dispatcher, tracker, "asks.offer_person.complaint")
    return {slot: None, "ask_failures": counts, "complaint_paused": True,
            **{event["name"]: event["value"] for event in offer}}


class _AskAction(AskAction, ABC):
    """A person's request in the complaint form hands over; only a language switch re-asks."""

    reask_after = ("switch_language",)


class ActionAskComplainantName(_AskAction):
    key = "ask_complainant_name"

    def name(self) -> str:
        return "action_ask_complainant_name"


class ActionAskComplainantPhone(_AskAction):
    key = "ask_complainant_phone"

    def name(self) -> str:
        return "action_ask_complainant_phone"


class ActionAskComplaintAbout(_AskAction):
    key = "ask_complaint_about"

    def name(self) -> str:
        return "action_ask_complaint_about"


class ActionAskComplaintFacts(_AskAction):
    key = "ask_complaint_facts"

    def name(self) -> str:
        return "action_ask_complaint_facts"


class ActionAskComplaintRequest(_AskAction):
    key = "ask_complaint_request"

    def name(self) -> str:
        return "action_ask_complaint_request"


class ActionSubmitComplaint(Action):
    """Record the complaint, give the reference and deadlines; a request for a person is met."""

    def name(self) -> str:
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        if tracker.get_slot("complaint_paused"):
            # Stopped with a person offered: what was gathered stays in the slots, where the
            # agent's summary reads it (actions/handoff.py); nothing is recorded yet.
            return [SlotSet("complaint_paused", False),
                    SlotSet("ask_failures", asks.forget_form(tracker.get_slot("ask_failures"),
                                                             "complaint"))]
        request = tracker.get_slot("complaint_request")
        events, view = register_complaint(dispatcher, tracker)
        if view is not None and asks_for_person(request):
            events += start_handoff(dispatcher, tracker, Reason.COMPLAINT,
                                    complaint=complaint_for_agent(view))
        return events


def complaint_for_agent(view: Any) -> Dict[str, Any]:
    """The registered complaint as the agent's summary shows it."""
    return {"reference": view.reference, "repeat_of": view.repeat_of, "about": view.subject,
            "facts": view.facts, "request": view.request}


def register_complaint(dispatcher: CollectingDispatcher, tracker: Tracker, *,
                       draft: bool = False) -> tuple[List[Dict[str, Any]], Any]:
    """Record the complaint the form gathered and give the reference and deadlines; returns the
    events and the registered complaint (None when it could not be). `draft`: the customer
    asked for a person before the form was complete: what was said so far is registered, and a
    draft that cannot be (nothing said yet, or no way to contact an unverified customer) is left
    in its slots for the agent, without a word to the customer."""
    lang = language_of(tracker)
    verified = viewer(tracker).verified
    request = tracker.get_slot("complaint_request")
    cleared = [SlotSet(slot, None) for slot in
               ("complaint_about", "complaint_facts", "complaint_request")] + [
        SlotSet("ask_failures", asks.forget_form(tracker.get_slot("ask_failures"), "complaint"))]
    try:
        view = record_complaint(NewComplaint(
            subject=tracker.get_slot("complaint_about") or "",
            facts=tracker.get_slot("complaint_facts"),
            request=request,
            # The verified customer's own policy, never a number typed since.
            policy_number=own_policy(tracker) if verified else None,
            complainant_name=None if verified else tracker.get_slot("complainant_name"),
            complainant_phone=None if verified else tracker.get_slot("complainant_phone"),
            channel=tracker.get_latest_input_channel(),
            language=lang,
            conversation_id=tracker.sender_id,
        ))
    except Exception as error:
        if draft:  # not registrable yet: the agent reads the draft instead
            logger.info("complaints: draft of %s not registered: %s", tracker.sender_id, error)
            return [], None
        logger.exception("complaints: recording for %s failed", tracker.sender_id)
        reply(dispatcher, tracker, "complaint_failed")
        return cleared, None
    dispatcher.utter_message(text=receipt_text(view, lang))
    return cleared + [
        SlotSet("complaint_reference", view.reference),
        SlotSet("claim_number", view.claim_number),
    ], view
