"""Identity check before any policy or claim detail: policy number, then birth date or phone."""
from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clauses import answer_clause
from actions.common import AskAction, language_of, reply, spoke_since_last_user_message
from actions.disputes import explain_dispute
from actions.handoff import offer_buttons, offer_person
from actions.status import show_status
from bot import asks, demo_sms, identity, side_questions
from bot.claims.reporting.urgent import still_urgent
from bot.clock import to_local
from bot.language import normalise
from bot.parsing import (
    parse_date_of_birth,
    parse_policy_number,
    read_date_of_birth,
    without_reference_numbers,
)
from bot.replies import clock_text, date_text, say
from bot.request_words import request_in
from bot.service_questions import WHAT_I_DO, service_question
from bot.settings import get_settings

V = identity.VerificationOutcome
# The way in without the policy number (slot identity_route): these slots, in this order.
PHONE_ROUTE = "phone"
PHONE_ROUTE_SLOTS = ["login_phone", "login_birth_date", "policy_choice"]
# The forms that ask for the policy number: in each, "保单号不记得了" or a phone number opens the
# way in by phone and date of birth.
POLICY_NUMBER_FORMS = ("identity_form", "report_form")
# Intents whose words are never a form's answer (the slots' from_text mappings in domain.yml).
NOT_AN_ANSWER = ("cancel", "request_human", "switch_language", "log_out", "switch_customer")
# A request that is never the identity answer when it is all the message says (a menu click:
# bot/wechat/menu.yml; a re-subscribe comes as /greet): intents, and how long its words may be.
# (A person asked for, "转人工" or the menu's 转人工, is no form answer at all: the handoff
# rules in data/rules/identity.yml and report.yml take it.)
PLAIN_REQUESTS = ("greet", "check_status", "report_claim", "ask_documents")
PLAIN_REQUEST_LENGTH = 8
# Side questions that need the customer's own data: kept as the request to do once verified.
PENDING_AFTER_CHECK = {side_questions.DISPUTE: "dispute_decision",
                       side_questions.POLICY: "policy_details",
                       side_questions.COMPLAINT_STATUS: "complaint_status"}
# What the customer is told after each outcome that is not a verification or a silent re-ask.
OUTCOME_REPLIES = {
    V.MISMATCH: "verification_mismatch",
    V.UNREADABLE: "verification_unreadable",
    V.CODE_MISMATCH: "identity_code_mismatch",
    V.CODE_UNREADABLE: "identity_code_unreadable",
    V.CODE_FAILED: "identity_code_failed",
    V.CODE_EXPIRED: "identity_code_expired",
    V.CODE_UNAVAILABLE: "identity_code_unavailable",
    V.BUSY: "identity_busy",
}


def client_address(tracker: Tracker) -> str | None:
    """The client address the channel put in the message's metadata (the web chat does)."""
    metadata = tracker.latest_message.get("metadata") or {}
    address = metadata.get("client_address") if isinstance(metadata, dict) else None
    return str(address) if address else None


def sms_sender() -> identity.SmsSender | None:
    """Sends a code through the Twilio SMS channel's API client. Without Twilio: the demo's phone
    (bot/demo_sms.py, printed by `make run`) outside production, else None (no code can go)."""
    settings = get_settings()
    if not (settings.twilio_account_sid and settings.twilio_auth_token
            and settings.twilio_sms_from):
        if demo_sms.available(settings):
            return lambda phone, body: demo_sms.send(phone, body, settings=settings)
        return None

    def send(phone: str, body: str) -> None:
        # Imported here: the SMS client lives with the Twilio channel, loaded only when needed.
        from channels.twilio_rest import e164, twilio_api

        number = e164(phone)
        if number is None:
            raise ValueError("no usable phone number on file")
        twilio_api(settings).send(number, settings.twilio_sms_from, body)

    return send


def _paused_reply(dispatcher: CollectingDispatcher, tracker: Tracker, until,
                  scope: str | None = None) -> Dict[str, Any]:
    """What is paused (this conversation, or every check from its network) and until when, in
    Beijing time named as such; for a network-wide pause a person is offered. Returns the slots
    the offer sets."""
    until_text = clock_text(to_local(until), language_of(tracker), named=True)
    if scope == identity.ADDRESS:
        return {event["name"]: event["value"] for event in offer_person(
            dispatcher, tracker, "identity_paused_address", until=until_text)}
    reply(dispatcher, tracker, "identity_paused", until=until_text)
    return {}


def _code_unavailable(dispatcher: CollectingDispatcher, tracker: Tracker,
                      result: identity.Verification) -> Dict[str, Any]:
    """No code can go now: until when (where known), and a person or the hotline offered.
    Returns the slots the offer sets (a "yes" then hands over)."""
    fields: Dict[str, Any] = {}
    key = "identity_code_unavailable"
    if result.locked_until is not None:
        key, fields = "identity_code_unavailable_until", {
            "until": clock_text(to_local(result.locked_until), language_of(tracker),
                                named=True)}
    return {event["name"]: event["value"]
            for event in offer_person(dispatcher, tracker, key, **fields)}


def phone_route_slots(text: str) -> Dict[str, Any]:
    """The way in by phone and date of birth, with the phone number when the text gives one."""
    slots: Dict[str, Any] = {"identity_route": PHONE_ROUTE}
    phone = identity.parse_mobile(text)
    if phone:
        slots["login_phone"] = phone
    return slots


def first_message_route(tracker: Tracker) -> Dict[str, Any]:
    """A form just started by a message that already says the policy number is not to hand
    ("我住院了想报销 保单号我不知道啊"): the phone way in from the start, not the number asked."""
    text = str(tracker.latest_message.get("text") or "")
    if tracker.get_slot("verified") or tracker.get_slot("identity_route") \
            or parse_policy_number(text) or identity.has_no_policy(text) \
            or not identity.wants_phone_route(text):
        return {}
    return phone_route_slots(text)


def start_phone_route(tracker: Tracker) -> List[Dict[str, Any]]:
    """At a form's start: the phone way in when the first message asks for it (the tracker's
    slots are updated too, for the form's required slots)."""
    slots = first_message_route(tracker)
    tracker.slots.update(slots)
    return [SlotSet(name, value) for name, value in slots.items()]


def emergency_live(tracker: Tracker) -> bool:
    """An emergency was told in this conversation (the urgent path ran) and the identity check
    it was followed by is not done yet."""
    return bool(tracker.get_slot("urgent_handled")) and not tracker.get_slot("verified")


def emergency_again(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> bool:
    """A message about a live emergency given instead of an identity answer ("她在流血 救护车还
    没来", "怎么办"): the emergency help again, short, and that the policy number can wait.
    Not counted as a failed answer. False: not such a message (an answer, the phone way in)."""
    if not emergency_live(tracker) or parse_policy_number(text) or identity.parse_mobile(text) \
            or identity.wants_phone_route(text) or identity.read_code(text) \
            or parse_date_of_birth(without_reference_numbers(text)):
        return False
    found = still_urgent(text)
    if found is None:
        return False
    lang = language_of(tracker)
    if any(message.get("text") == say("urgent.first", lang) for message in dispatcher.messages):
        return True  # the whole urgent path was given for this very message
    for number in found.numbers:
        reply(dispatcher, tracker, f"urgent.again.{number}")
    reply(dispatcher, tracker, "urgent.again.wait")
    return True


# "尾号0003", "my phone ends 0003", "last four 0003"; or four digits alone beside the number
# that cannot be a year of birth.
_LAST_FOUR_CUE = re.compile(
    r"(?:尾号|尾號|后四位|後四位|末四位|手机|手機|电话|電話|phone|mobile|ends?(?:\s+(?:in|with))?|"
    r"last\s+(?:4|four)(?:\s+digits)?)\D{0,8}?(?<!\d)(\d{4})(?!\d)", re.IGNORECASE)


def _last_four_beside(said: str) -> str | None:
    """The last four digits of the phone on file, told beside the policy number (the number
    itself already taken out of `said`), or None."""
    mobile = identity.parse_mobile(said)
    if mobile:
        return mobile[-4:]
    cued = _LAST_FOUR_CUE.search(said)
    if cued:
        return cued.group(1)
    # "查进度 ACC-2026-0001 0004": one four-digit group and no other figure
    groups = re.findall(r"\d+", said)
    if len(groups) == 1 and len(groups[0]) == 4 \
            and not re.fullmatch(r"19\d\d|20[0-2]\d", groups[0]):
        return groups[0]
    return None


def back_to(ask_key: str, lang: str) -> str:
    """"OK, back to where we were." and the question the customer was at."""
    return say("side_back_to", lang) + (" " if lang == "en" else "") + say(ask_key, lang)


class IdentitySlots:
    """Validation of the identity slots, shared by every form that starts with them."""

    # Bounded asks (bot/asks.py): what the third unreadable answer offers, and the slots that
    # stop the form then (the report form keeps its draft instead).
    gave_up_offer = "asks.offer_person.identity"

    def gave_up_slots(self) -> Dict[str, Any]:
        return {"identity_stop": True}

    def _unreadable(self, question: str, reask_key: str, dispatcher: CollectingDispatcher,
                    tracker: Tracker, slot: str | None = None, **fields: Any) -> Dict[str, Any]:
        """An answer to `question` that could not be read (never a wrong one: the security
        limits on those stay in bot/identity.py): the usual words, then another way to answer,
        then a person offered instead of the same question a third time. `slot`: the form's
        slot that takes the answer, when the question is not one ("identity_code")."""
        counts, step = asks.failed(tracker.get_slot("ask_failures"), "identity", question)
        slots: Dict[str, Any] = {slot or question: None, "ask_failures": counts}
        if step is asks.Step.REASK:
            reply(dispatcher, tracker, reask_key, **fields)
        elif step is asks.Step.OTHER_WAY:
            dispatcher.utter_message(
                text=say(f"asks.other_way.{question}", language_of(tracker)),
                buttons=offer_buttons(tracker)[:1])
        else:
            offer = offer_person(dispatcher, tracker, self.gave_up_offer)
            slots.update(self.gave_up_slots())
            slots.update({event["name"]: event["value"] for event in offer})
            slots["ask_failures"] = asks.forget_form(counts, "identity")
        return slots

    def validate_policy_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        other = self._other_way_in(value, dispatcher, tracker)
        if other is not None:
            return other
        request = self._plain_request(str(value or ""), "ask_policy_number", dispatcher,
                                      tracker)
        if request is not None:
            return {"policy_number": None, **request}
        number = parse_policy_number(str(value or ""))
        if not number:
            return self._unreadable("policy_number", "policy_number_unreadable", dispatcher,
                                    tracker)
        # Whether the policy exists is not said here: an unknown number is asked the same
        # question and fails later with the same words (bot/identity.py).
        paused = identity.pause_of(tracker.sender_id, client_address(tracker))
        if paused:
            offered = _paused_reply(dispatcher, tracker, *paused)
            return {"policy_number": None, "identity_stop": True, **offered}
        slots: Dict[str, Any] = {"policy_number": number}
        text = str(tracker.latest_message.get("text") or "")
        if tracker.get_slot("verified") or parse_policy_number(text) != number:
            # Not the customer's own message giving the number (a step-up names the policy).
            return slots
        slots.update(self._request_kept(tracker, text))
        said = without_reference_numbers(text)
        reading = read_date_of_birth(said)
        born = reading.date
        four = None if born is not None or reading.ambiguous else _last_four_beside(said)
        if four is not None:
            # "ACC-2026-0001 0004", "MED-2026-0001 13800000001": the phone's last four digits
            # beside the number are the answer.
            return {**slots, **self._check_answer(number, four, dispatcher, tracker)}
        if born is None:
            if reading.ambiguous:
                # "HOME-2026-0001 07/01/1990": which of the two dates is asked back at once
                # (not the date of birth again); nothing is counted.
                return {**slots, **self._check_answer(number, said, dispatcher, tracker)}
            return slots
        # "保单号AUTO-2026-0001 生日1985年4月12日": the date beside the number is the answer.
        checked = self._check_answer(number, born.isoformat(), dispatcher, tracker)
        return {**slots, **checked}

    def _request_kept(self, tracker: Tracker, text: str) -> Dict[str, Any]:
        """What a message giving the policy number also asks for ("我想查下理赔 保单号…",
        "AUTO-2026-0001这张保单免赔额是多少"), kept for action_identity_done. Only the identity
        form answers such requests; an earlier request is not replaced."""
        form = getattr(self, "form_name", lambda: None)()
        if form != "identity_form" or tracker.get_slot("pending_request") \
                or tracker.get_slot("claim_number"):
            return {}
        request = request_in(text)
        if request is None:
            return {}
        kept: Dict[str, Any] = {"pending_request": request}
        if request == "ask_clause" and not tracker.get_slot("clause_question"):
            kept["clause_question"] = " ".join(without_reference_numbers(text).split())
        return kept

    def _other_way_in(self, value: Any, dispatcher: CollectingDispatcher,
                      tracker: Tracker) -> Dict[str, Any] | None:
        """Asked for the policy number, the customer says something else: a general question
        (answered, then asked again); that they hold no policy (general answers, the check
        ends); or that they have no number to hand ("保单号我不记得了", "I don't have my policy
        number", or a phone number instead): the phone on file and the date of birth are asked
        instead (identity form only). None: none of these, read it as a policy number."""
        text = str(value or "")
        side = self._side_question(text, "ask_policy_number", dispatcher, tracker)
        if side is not None:
            return {"policy_number": None, **side}
        if getattr(self, "form_name", lambda: None)() == "identity_form" \
                and not tracker.get_slot("verified") and identity.has_no_policy(text):
            # Asking before buying: general answers, no policy number asked for.
            reply(dispatcher, tracker, "no_policy_general")
            return {"policy_number": None, "identity_stop": True, "pending_request": None}
        if getattr(self, "form_name", lambda: None)() not in POLICY_NUMBER_FORMS \
                or tracker.get_slot("verified") or parse_policy_number(text) \
                or not identity.wants_phone_route(text):
            return None
        return {"policy_number": None, **phone_route_slots(text)}

    def _side_question(self, text: str, ask_key: str, dispatcher: CollectingDispatcher,
                       tracker: Tracker) -> Dict[str, Any] | None:
        if emergency_again(dispatcher, tracker, text):
            return {}
        return self._general_question(text, ask_key, dispatcher, tracker)

    def _general_question(self, text: str, ask_key: str, dispatcher: CollectingDispatcher,
                          tracker: Tracker) -> Dict[str, Any] | None:
        """A general question asked instead of the answer ("what documents do I need for a
        house fire?", "what can you do?"): answered without a policy, then the question the
        customer was at is asked again, saying so. An argument against a decision is kept as
        the request to do once verified (the dispute path). None: the text is not such a
        question."""
        if parse_policy_number(text) or identity.parse_mobile(text) \
                or parse_date_of_birth(without_reference_numbers(text)):
            return None
        kind = side_questions.side_question(text)
        lang = language_of(tracker)
        if kind is None and service_question(text) == WHAT_I_DO:
            # "Hello, what can you do?": what the assistant does, then the same question.
            dispatcher.utter_message(text=say("capabilities_in_check", lang))
            dispatcher.utter_message(text=back_to(ask_key, lang))
            return {}
        if kind is None:
            return None
        kept: Dict[str, Any] = {}
        if kind in PENDING_AFTER_CHECK:
            # Needs the customer's own data: done as soon as the check passes.
            dispatcher.utter_message(text=say("side_dispute_after_check", lang)
                                     if kind == side_questions.DISPUTE
                                     else side_questions.answer(kind, text, lang))
            if not tracker.get_slot("pending_request"):
                kept["pending_request"] = PENDING_AFTER_CHECK[kind]
        else:
            dispatcher.utter_message(text=side_questions.answer(kind, text, lang))
        dispatcher.utter_message(text=back_to(ask_key, lang))
        return kept

    def validate_login_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        side = self._side_question(str(value or ""), "ask_login_phone", dispatcher, tracker)
        if side is not None:
            return {"login_phone": None, **side}
        phone = identity.parse_mobile(str(value or ""))
        if phone is None:
            # Not a wrong answer: it does not count against anyone.
            reply(dispatcher, tracker, "login_phone_unreadable")
            return {"login_phone": None}
        return {"login_phone": phone}

    def validate_login_birth_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """The phone on file and the date of birth checked together: a pair that matches
        nobody gets the same reply as a wrong date for a real phone (bot/identity.py)."""
        side = self._side_question(str(value or ""), "ask_login_birth_date", dispatcher,
                                   tracker)
        if side is not None:
            return {"login_birth_date": None, **side}
        result = identity.verify_by_phone(
            str(tracker.get_slot("login_phone") or ""), str(value or ""),
            conversation_id=tracker.sender_id, client_address=client_address(tracker),
        )
        if result.outcome is V.VERIFIED:
            found = result.verification
            slots: Dict[str, Any] = {
                "login_birth_date": "verified", "login_phone": "verified",
                "verification_answer": "verified", "verified": True,
                "customer_name": found.customer_name, "customer_id": found.customer_id,
                "elderly": found.is_elderly or bool(tracker.get_slot("elderly")),
                "claim_number": None,
            }
            if found.policy_number:  # one policy: nothing to pick
                slots.update(policy_number=found.policy_number,
                             policy_choice=found.policy_number)
            return slots
        if result.outcome is V.PAUSED:
            offered = _paused_reply(dispatcher, tracker, result.verification.locked_until,
                                    result.verification.paused_scope)
            return {"login_birth_date": None, "identity_stop": True, **offered}
        if result.outcome is V.BUSY:
            reply(dispatcher, tracker, "identity_busy")
            return {"login_birth_date": None, "identity_stop": True}
        if result.outcome is V.UNREADABLE:
            reply(dispatcher, tracker, "login_birth_date_unreadable")
            return {"login_birth_date": None}
        # MISMATCH: the same words whether the phone is on file or not; both are asked again.
        reply(dispatcher, tracker, "login_mismatch",
              attempts_left=result.verification.attempts_left)
        return {"login_birth_date": None, "login_phone": None}

    def validate_policy_choice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A customer verified by phone picks one of their own policies."""
        policies = identity.customer_policies(int(tracker.get_slot("customer_id") or 0))
        chosen = identity.pick_policy(str(value or ""), policies)
        if chosen is None:
            reply(dispatcher, tracker, "policy_choice_unclear")
            return {"policy_choice": None, "claim_number": None}
        # "第二个" may also have been read as a pick of a claim: it was a policy.
        return {"policy_choice": chosen, "policy_number": chosen, "claim_number": None}

    def validate_verification_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        text, policy = str(value or ""), tracker.get_slot("policy_number") or ""
        if identity.read_code(text) is None and identity.code_pending(tracker.sender_id, policy):
            # Waiting for the one-time code, and this is not one: not the same request again.
            waiting = self._code_not_given(text, policy, dispatcher, tracker)
            if waiting is not None:
                return waiting
        side = self._side_question(text, "ask_verification", dispatcher, tracker)
        if side is not None:
            return {"verification_answer": None, **side}
        request = self._plain_request(text, "ask_verification", dispatcher, tracker)
        if request is not None:
            return {"verification_answer": None, **request}
        return self._check_answer(policy, text, dispatcher, tracker)

    def _plain_request(self, text: str, ask_key: str, dispatcher: CollectingDispatcher,
                       tracker: Tracker) -> Dict[str, Any] | None:
        """A clear request given instead of the answer (a WeChat menu click, "查进度", a
        greeting or a re-subscribe): never a failed try. A greeting is greeted back; a request
        the check leads to is kept for after it (identity form). Then the same question,
        plainly. None: the text may be an answer (any digit in it, or no such request)."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent not in PLAIN_REQUESTS or re.search(r"\d", text) \
                or parse_policy_number(text):
            return None
        if not text.startswith("/") and len(normalise(text)) > PLAIN_REQUEST_LENGTH:
            return None  # a sentence may carry its answer in words; read as usual
        lang = language_of(tracker)
        kept: Dict[str, Any] = {}
        if intent == "greet":
            lead = say("identity_greet_back", lang)
        else:
            lead = say("identity_request_after_check", lang)
            form = getattr(self, "form_name", lambda: None)()
            if form == "identity_form" and intent in ("check_status", "ask_documents") \
                    and not tracker.get_slot("pending_request"):
                kept["pending_request"] = intent
        gap = " " if lang == "en" else ""
        dispatcher.utter_message(text=lead + gap + say(ask_key, lang))
        return kept

    def _code_not_given(self, text: str, policy: str, dispatcher: CollectingDispatcher,
                        tracker: Tracker) -> Dict[str, Any] | None:
        """Asked for the code, the customer asks for what needs none ("先告诉我有几笔理赔",
        "我就想查车险的"): a holder whose answer was right sees their other lines' claims now
        (status look-ups only); or says it has not come: sent again, then the other ways in,
        then a person. None: neither (read as the code)."""
        status_form = getattr(self, "form_name", lambda: None)() == "identity_form"
        if status_form and identity.wants_without_code(text):
            holder = identity.holder_without_code(policy, conversation_id=tracker.sender_id)
            others = [number for number, line in identity.customer_policies(holder.customer_id)
                      if line not in identity.STEP_UP_LINES] if holder is not None else []
            if others:
                chosen = identity.pick_policy(text, [(n, "") for n in others]) or others[0]
                reply(dispatcher, tracker, "identity_without_code_note")
                return {
                    "ask_failures": asks.forget_form(tracker.get_slot("ask_failures"),
                                                     "identity"),
                    "verification_answer": "verified", "verified": True,
                    "customer_name": holder.customer_name, "customer_id": holder.customer_id,
                    "policy_number": chosen,
                    "elderly": holder.is_elderly or bool(tracker.get_slot("elderly")),
                    "pending_request": tracker.get_slot("pending_request") or "check_status",
                }
            if not identity.says_code_missing(text):
                reply(dispatcher, tracker, "identity_without_code_needs_code")
                return {"verification_answer": None}
        if not identity.says_code_missing(text):
            return None
        return self._code_missing(policy, dispatcher, tracker, status_form)

    def _code_missing(self, policy: str, dispatcher: CollectingDispatcher, tracker: Tracker,
                      status_form: bool) -> Dict[str, Any]:
        """"收不到短信": the first time a new code (within the codes-per-hour limit, else when
        one can go again and a person); the second, the other ways in; the third, a person."""
        lang = language_of(tracker)
        counts, step = asks.failed(tracker.get_slot("ask_failures"), "identity", "code_missing")
        slots: Dict[str, Any] = {"verification_answer": None, "ask_failures": counts}
        # The policy's lock is the same for a right and a wrong answer: saying which applies
        # tells nothing about the answer.
        medical = status_form and identity.needs_code(policy) \
            and identity.lock_state(policy) is None
        if step is asks.Step.REASK:
            result = identity.resend_code(policy, conversation_id=tracker.sender_id,
                                          send_sms=sms_sender(), language=lang)
            if result.outcome is V.CODE_SENT:
                reply(dispatcher, tracker, "identity_code_resent_medical" if medical
                      else "identity_code_resent", minutes=get_settings().identity_code_minutes)
                return slots
            if result.outcome is V.CODE_UNAVAILABLE and result.locked_until is not None:
                offered = {event["name"]: event["value"] for event in offer_person(
                    dispatcher, tracker, "identity_code_resend_later",
                    until=clock_text(to_local(result.locked_until), lang, named=True))}
                return {**slots, "identity_stop": True, **offered}
            if result.outcome is V.CODE_UNAVAILABLE:
                return {**slots, "identity_stop": True,
                        **_code_unavailable(dispatcher, tracker, result)}
            reply(dispatcher, tracker, OUTCOME_REPLIES[V.CODE_EXPIRED])
            return {**slots, "identity_stop": True}
        if step is asks.Step.OTHER_WAY:
            reply(dispatcher, tracker, "identity_code_missing_again_medical" if medical
                  else "identity_code_missing_again")
            return slots
        offered = {event["name"]: event["value"] for event in offer_person(
            dispatcher, tracker, "identity_code_missing_person")}
        return {**slots, **self.gave_up_slots(), **offered,
                "ask_failures": asks.forget_form(counts, "identity")}

    def _check_answer(self, policy_number: str, answer: str, dispatcher: CollectingDispatcher,
                      tracker: Tracker) -> Dict[str, Any]:
        """The identity check of `answer` for `policy_number`: the slots it sets, said to the
        customer where it did not pass."""
        result = identity.verify(
            policy_number,
            answer,
            conversation_id=tracker.sender_id,
            client_address=client_address(tracker),
            send_sms=sms_sender(),
            language=language_of(tracker),
        )
        if result.verified:
            # The answer itself is not kept in a slot: the slot only says the check passed.
            return {
                "ask_failures": asks.forget_form(tracker.get_slot("ask_failures"), "identity"),
                "verification_answer": "verified",
                "verified": True,
                "customer_name": result.customer_name,
                "customer_id": result.customer_id,
                "policy_number": result.policy_number,
                # A customer who said they are elderly stays so whatever the birth date says.
                "elderly": result.is_elderly or bool(tracker.get_slot("elderly")),
            }
        if result.outcome is V.UNKNOWN_POLICY:
            # The same words and the same count as a number that could not be read.
            return {"verification_answer": None,
                    **self._unreadable("policy_number", "policy_number_unreadable", dispatcher,
                                       tracker)}
        if result.outcome is V.UNREADABLE and not result.stops:
            return self._unreadable("verification_answer", OUTCOME_REPLIES[V.UNREADABLE],
                                    dispatcher, tracker, attempts_left=result.attempts_left)
        if result.outcome is V.PAUSED:
            offered = _paused_reply(dispatcher, tracker, result.locked_until,
                                    result.paused_scope)
            return {"verification_answer": None, "identity_stop": True, **offered}
        if result.outcome is V.CODE_UNAVAILABLE:
            # Only someone who gave the right answer gets here: say until when, offer a person.
            events = _code_unavailable(dispatcher, tracker, result)
            return {"verification_answer": None, "identity_stop": True, **events}
        if result.outcome is V.DATE_ORDER:
            # "07/01/1990": which of the two dates? Not a wrong answer: nothing was counted.
            lang = language_of(tracker)
            first, second = (date_text(day, lang) for day in result.alternatives)
            reply(dispatcher, tracker, "verification_date_order", first=first, second=second)
            return {"verification_answer": None}
        if result.outcome is V.CODE_UNREADABLE:
            # "怎么办", "收到了吗": the code asked again, then how to answer, then a person.
            return self._unreadable("identity_code", OUTCOME_REPLIES[V.CODE_UNREADABLE],
                                    dispatcher, tracker, slot="verification_answer")
        if result.outcome is V.CODE_SENT:
            # Locked: the holder still gets in with the code, or through a person.
            key = ("identity_code_sent_medical" if result.reason == "medical"
                   else "identity_code_sent_locked_help")
            reply(dispatcher, tracker, key, minutes=get_settings().identity_code_minutes)
        else:
            reply(dispatcher, tracker, OUTCOME_REPLIES[result.outcome],
                  attempts_left=result.attempts_left)
        if result.stops:
            return {"verification_answer": None, "identity_stop": True}
        return {"verification_answer": None}


class ValidateIdentityForm(IdentitySlots, FormValidationAction):
    def name(self) -> str:
        return "validate_identity_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        events: List[Dict[str, Any]] = []
        if tracker.get_slot("requested_slot") is None:
            events = start_phone_route(tracker)
        return events + await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        # A locked policy ends the form at once; action_identity_done tidies up.
        if tracker.get_slot("identity_stop"):
            return []
        if tracker.get_slot("identity_route") == PHONE_ROUTE:
            # No policy number to hand: the phone on file and the date of birth, then a pick.
            return PHONE_ROUTE_SLOTS
        return [slot for slot in domain_slots if slot not in PHONE_ROUTE_SLOTS]


class ActionAskPolicyNumber(AskAction):
    key = "ask_policy_number"

    def name(self) -> str:
        return "action_ask_policy_number"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if not spoke_since_last_user_message(tracker) or intent in self.reask_after:
            # After the urgent path the number can wait: said so, with the phone as another way.
            reply(dispatcher, tracker, "ask_policy_number_urgent" if emergency_live(tracker)
                  else self.key)
        return []


class ActionAskVerificationAnswer(AskAction):
    key = "ask_verification"

    def name(self) -> str:
        return "action_ask_verification_answer"


class ActionAskLoginPhone(AskAction):
    key = "ask_login_phone"

    def name(self) -> str:
        return "action_ask_login_phone"


class ActionAskLoginBirthDate(AskAction):
    key = "ask_login_birth_date"

    def name(self) -> str:
        return "action_ask_login_birth_date"


class ActionAskPolicyChoice(Action):
    """The verified customer's policies, numbered, with a button each, to pick one."""

    def name(self) -> str:
        return "action_ask_policy_choice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        lang = language_of(tracker)
        policies = identity.customer_policies(int(tracker.get_slot("customer_id") or 0))
        lines = [say("ask_policy_choice", lang)]
        buttons = []
        for index, (number, line) in enumerate(policies, 1):
            product = say(f"line.{line}", lang)
            lines.append(say("policy_choice_line", lang, index=index, number=number,
                             product=product))
            buttons.append({"title": f"{product} {number}", "payload": number})
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        return []


class ActionIdentityDone(Action):
    """After the identity form: greet by name and do what the customer came for."""

    def name(self) -> str:
        return "action_identity_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        events: List[Dict[str, Any]] = [SlotSet("pending_request", None)]
        # The phone way in is over either way: the next check starts with the policy number.
        events += [SlotSet(slot, None) for slot in
                   ("identity_route", "login_phone", "login_birth_date", "policy_choice")]
        if not tracker.get_slot("verified") or tracker.get_slot("identity_stop"):
            # Stopped (a wrong or missing one-time code of an already verified customer
            # included): nothing more is shown; what was asked is not done.
            # Locked: the reason was already given. Start clean next time.
            return events + [
                SlotSet("identity_stop", False),
                SlotSet("policy_number", None),
                SlotSet("verification_answer", None),
            ]
        reply(dispatcher, tracker, "identity_verified", name=tracker.get_slot("customer_name"))
        elderly = bool(tracker.get_slot("elderly"))
        if elderly:
            # Offered first thing, before anything else is said (DOMAIN.md: human handoff).
            events += offer_person(dispatcher, tracker, "elderly_offer")
        pending: str | None = tracker.get_slot("pending_request")
        if pending == "dispute_decision":
            return events + explain_dispute(dispatcher, tracker)
        if pending == "check_status" or (pending is None and tracker.get_slot("claim_number")):
            # A claim number given unasked started the check: show that claim.
            events += show_status(dispatcher, tracker)
        elif pending == "ask_clause":
            events += answer_clause(dispatcher, tracker)
        elif pending in ("policy_details", "complaint_status"):
            from actions.side_questions import show_complaints, show_policy

            events += (show_policy if pending == "policy_details" else show_complaints)(
                dispatcher, tracker)
        elif pending == "ask_documents":
            # Imported here: actions.documents imports actions.report, which imports this module.
            from actions.documents import answer_documents

            events += answer_documents(dispatcher, tracker)
        elif not elderly:  # the offer of a person already ends with a question
            reply(dispatcher, tracker, "how_can_i_help")
        return events

