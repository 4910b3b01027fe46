"""Reporting a claim: the report form (identity first), its questions, and the receipt."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Tuple

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
from actions.handoff import offer_person, start_handoff
from actions.identity import (
    NOT_AN_ANSWER,
    PHONE_ROUTE,
    PHONE_ROUTE_SLOTS,
    IdentitySlots,
    emergency_live,
    start_phone_route,
)
from actions.status import show_status
from bot import asks, side_questions
from bot import identity as identity_words
from bot.asks import Step
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
    Answer,
    absorb_first_message,
    absorb_told_meanwhile,
    apply_correction,
    asks_for_another_report,
    chosen_incident_type,
    interpret_answer_to,
    is_confirmation,
    report_summary,
    same_incident_reply,
    time_in_future_line,
    told_meanwhile,
)
from bot.claims.reporting.extract import incident_kinds
from bot.claims.reporting.service import (
    line_of,
    next_question,
    question_fields,
    question_text,
    vehicle_outside_line,
)
from bot.claims.reporting.urgent import still_urgent, urgency
from bot.clauses import answer_clause_question
from bot.clauses.customer import answer_for_customer, general_answer
from bot.clock import utc_now
from bot.documents import incident_types
from bot.handoff import Reason, refuses_person
from bot.identity import policy_line
from bot.language import normalise
from bot.replies import say
from bot.request_words import request_in

CONFIRM = "confirm"
# The report stopped because the policy in use cannot cover it (a car on a home policy): the
# reply said so and what to do; the draft is kept for "继续报案" on the right policy.
OTHER_POLICY = "other_policy"
# Intents that interrupt the report (answered by rules) rather than answer its question.
INTERRUPTIONS = {"request_human", "switch_language", "ask_documents", "ask_clause"}
# Questions answered in the middle of the report, after which it goes on where it was.
SIDE_QUESTIONS = {"ask_documents", "ask_clause"}


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
        if tracker.get_slot("identity_stop") or tracker.get_slot("report_cancelled") \
                or tracker.get_slot("report_paused"):
            return []
        identity = [] if tracker.get_slot("verified") else ["policy_number", "verification_answer"]
        if tracker.get_slot("identity_route") == PHONE_ROUTE:
            # No policy number to hand: the phone on file and the date of birth, then a pick
            # of the customer's policy (filled at once when they have one).
            identity = PHONE_ROUTE_SLOTS
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
            # The same message is no identity answer: the validators see the emergency as told.
            tracker.slots["urgent_handled"] = True
        if tracker.get_slot("requested_slot") is None and resuming(tracker):
            # "继续报案" / "刚才说到哪了": the report stopped in this conversation, taken up again
            # where it stopped (the ask action asks that question).
            events += take_up_again(dispatcher, tracker)
        elif tracker.get_slot("requested_slot") is None:
            # Activation (nothing asked yet): the message that started the report may already
            # say most of it.
            before, now = load_draft(tracker), utc_now()
            draft = absorb_first_message(
                before, tracker.latest_message.get("text") or "", now, language_of(tracker),
            )
            future = time_in_future_line(before, draft, now, language_of(tracker))
            if future:
                # "今天上午十点…" said at 01:47: why the time was not kept, before any question.
                dispatcher.utter_message(text=future)
            events.append(SlotSet("report_draft", draft.as_dict()))
            tracker.slots["report_draft"] = draft.as_dict()
            if tracker.get_slot("verified") and vehicle_outside_line(draft):
                # A car on a home policy: said at once, before any question (the form ends).
                reply(dispatcher, tracker, "report_vehicle_not_home")
                tracker.slots["report_paused"] = OTHER_POLICY
                return events + [SlotSet("report_paused", OTHER_POLICY)] + await super().run(
                    dispatcher, tracker, domain)
            if tracker.get_slot("report_kept"):
                reply(dispatcher, tracker, "report_kept_hint")  # a new report, the old one kept
            if not tracker.get_slot("verified") and tracker.get_slot("identity_route"):
                # Left from a check that ended some other way (log-out, a handoff): its
                # "verified" marks must not stand for answers in this one.
                stale = phone_route_over()
                tracker.slots.update({event["name"]: None for event in stale})
                events += stale
            # "我住院了想报销 保单号我不知道啊": the phone way in from the start.
            events += start_phone_route(tracker)
        return events + await super().run(dispatcher, tracker, domain)

    def _answer_to(self, slot: str, tracker: Tracker) -> Dict[str, Any]:
        """The phone way in's slots have no mapping for this form in the domain: the text of
        the customer's message is the answer to the one asked, as for the identity form."""
        intent = _intent(tracker)
        if tracker.get_slot("requested_slot") != slot or intent in NOT_AN_ANSWER \
                or tracker.latest_action_name != "action_listen":
            return {}
        text = tracker.latest_message.get("text")
        return {slot: text} if text else {}

    async def extract_login_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[str, Any]:
        return self._answer_to("login_phone", tracker)

    async def extract_login_birth_date(self, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return self._answer_to("login_birth_date", tracker)

    async def extract_policy_choice(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[str, Any]:
        return self._answer_to("policy_choice", tracker)

    def validate_login_birth_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        result = super().validate_login_birth_date(value, dispatcher, tracker, domain)
        if result.get("verified"):
            reply(dispatcher, tracker, "identity_verified", name=result.get("customer_name"))
            if result.get("elderly"):
                reply(dispatcher, tracker, "elderly_offer_in_report")
        return result

    def _told_meanwhile(self, slot: str, text: str, dispatcher: CollectingDispatcher,
                        tracker: Tracker) -> tuple[Dict[str, Any], Dict[str, Any] | None]:
        """What happened, told while the identity check asks `slot` ("昨天下午三点在中山路被追
        尾了"): kept in the draft as the first message is, so it is not asked again. Returns the
        draft's slot (empty when nothing was told) and, when the message was only that, the
        reply's slots: noted, the same question again, and no failed try counted."""
        if emergency_live(tracker) and still_urgent(text) is not None:
            return {}, None  # the live emergency again: its help, as before (actions/identity)
        before, now = load_draft(tracker), utc_now()
        kept = absorb_told_meanwhile(before, text, now, language_of(tracker))
        if not told_meanwhile(before, kept):
            return {}, None
        future = time_in_future_line(before, kept, now, language_of(tracker))
        if future:
            dispatcher.utter_message(text=future)  # the time said is still to come: why not kept
        draft_slot = {"report_draft": kept.as_dict()}
        tracker.slots.update(draft_slot)
        if side_questions.side_question(text) is not None or identity_words.wants_phone_route(
                text) or identity_words.has_no_policy(text):
            return draft_slot, None  # also asks something: the identity step answers that
        key = "policy_number" if slot == "policy_number" else "verification"
        reply(dispatcher, tracker, f"report_noted_ask_{key}")
        return draft_slot, {slot: None, **draft_slot}

    def validate_policy_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        kept, noted = self._told_meanwhile("policy_number", str(value or ""), dispatcher,
                                           tracker)
        if noted is not None:
            return noted
        result = {**super().validate_policy_number(value, dispatcher, tracker, domain), **kept}
        if result.get("verified"):
            # "AUTO-2026-0001，1985年4月12号": the number and the date of birth in one message.
            return self._verified(result, dispatcher, tracker)
        return result

    def validate_verification_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        kept, noted = self._told_meanwhile("verification_answer", str(value or ""), dispatcher,
                                           tracker)
        if noted is not None:
            return noted
        result = {**super().validate_verification_answer(value, dispatcher, tracker, domain),
                  **kept}
        if result.get("verified"):
            return self._verified(result, dispatcher, tracker)
        return result

    @staticmethod
    def _verified(result: Dict[str, Any], dispatcher: CollectingDispatcher,
                  tracker: Tracker) -> Dict[str, Any]:
        """The identity just checked inside a report: said, and the report goes on."""
        reply(dispatcher, tracker, "identity_verified", name=result.get("customer_name"))
        number = result.get("policy_number") or tracker.get_slot("policy_number")
        draft = ReportDraft.from_dict(tracker.get_slot("report_draft"))
        if number and vehicle_outside_line(draft, policy_line(number)):
            # "我的车被砸了" and a home policy: not filed as a home incident (高空坠物).
            reply(dispatcher, tracker, "report_vehicle_not_home")
            return {**result, "report_paused": OTHER_POLICY}
        if result.get("elderly"):
            # Not a yes/no question here: the report's next question follows at once.
            reply(dispatcher, tracker, "elderly_offer_in_report")
        return result

    gave_up_offer = "asks.offer_person.report"

    def gave_up_slots(self) -> Dict[str, Any]:
        # The identity questions given up on inside a report: the report stops, its draft kept.
        return {"report_paused": "person"}

    def validate_report_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        draft = load_draft(tracker)
        lang = language_of(tracker)
        text = str(value or "")
        asking = tracker.get_slot("report_asking") or ""
        now = utc_now()
        if vehicle_outside_line(draft):
            reply(dispatcher, tracker, "report_vehicle_not_home")
            return {"report_answer": None, "report_paused": OTHER_POLICY,
                    "report_draft": draft.as_dict()}
        pending = tracker.get_slot("report_stop_or_skip")
        # The choice "1. 跳过这个问题 2. 先不报了" answered by its number.
        picked = asks.numbered_pick(text, 2) if pending else None
        if pending and normalise(text).strip().lower() in {
                normalise(say("button.answer_roughly", one)).lower() for one in ("zh", "en")}:
            picked = 1  # the button "说个大概"
        if (_intent(tracker) == "cancel" and asks.cancels_report(text)) or picked == 2 or (
                pending and asks.wants_pause(text) and not asks.wants_skip(text)):
            return {"report_answer": "cancelled", "report_cancelled": True,
                    "report_stop_or_skip": None}
        if asking and asking != CONFIRM and picked == 1:
            if asks.record_unknown(draft, asking) is None:
                # "1. 说个大概" for a question the report needs: the question again, nothing
                # counted against it.
                _ask(dispatcher, tracker, draft, asking)
                return {"report_answer": None, "report_stop_or_skip": None}
            return _skip(dispatcher, tracker, draft, asking)
        if asking and _asks_status(tracker, text):
            # "查进度" in the middle of the report: the claims' status, then the report goes on
            # at the question it is at (nothing counted against the answer).
            events = show_status(dispatcher, tracker)
            reply(dispatcher, tracker, "report_status_then_back")
            if pending:
                _offer_stop_or_skip(dispatcher, tracker)  # the way out stays offered
            else:
                _ask(dispatcher, tracker, draft, asking)
            return {"report_answer": None, "report_stop_or_skip": pending or None,
                    **{event["name"]: event["value"] for event in events
                       if event.get("event") == "slot"}}
        if asking and asking != CONFIRM:
            if asks.wants_skip(text) and (pending or asks.soft_stop(text)
                                          or len(normalise(text)) <= 12):
                return _skip(dispatcher, tracker, draft, asking)
            if asks.soft_stop(text):
                # "算了" / "不想说": this question, or the whole report? Asked back.
                _offer_stop_or_skip(dispatcher, tracker)
                return {"report_answer": None, "report_stop_or_skip": asking}
        if asking == CONFIRM and (asks.soft_stop(text) or (
                asks.cancels_report(text) and len(normalise(text)) <= 12)):
            # "算了" at the summary: no question to skip; the report stops, kept for later.
            return {"report_answer": "cancelled", "report_cancelled": True,
                    "report_stop_or_skip": None}
        if asks.wants_resume(text) and asking:
            # "刚才说到哪了" in the middle of the report: the question it is at.
            reply(dispatcher, tracker, "report_where_we_are")
            _ask(dispatcher, tracker, draft, asking)
            return {"report_answer": None, "report_stop_or_skip": None}
        if asking and refuses_person(text) and not tracker.get_slot("human_offered"):
            # "不用人工了" in the middle of a report: not an answer ("no" to "有人受伤吗？"), nor
            # the queue; the report goes on at the question it is at.
            reply(dispatcher, tracker, "person_refused_in_form")
            _ask(dispatcher, tracker, draft, asking)
            return {"report_answer": None, "report_stop_or_skip": None}
        slots: Dict[str, Any] = {"report_stop_or_skip": None}
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
            if asks_for_another_report(text):
                # "我还要报一个案，车窗被砸了" at the summary: this report is not changed into the
                # other one; it is confirmed (or stopped) first, then the next is taken.
                reply(dispatcher, tracker, "report_confirm_first")
                return {**slots, "report_answer": None}
            if is_confirmation(text, _intent(tracker)):
                result = confirmed_or_told(dispatcher, tracker, draft, now)
                if result.get("report_ready"):
                    result["ask_failures"] = asks.forget_form(
                        tracker.get_slot("ask_failures"), "report")
                return {**slots, **result}
            answer = apply_correction(draft, text, now, lang)
            if answer.message:
                dispatcher.utter_message(text=answer.message)
            elif not answer.changed:
                return {**slots, **_failed(dispatcher, tracker, draft, CONFIRM)}
            return {**slots, "report_answer": None, "report_draft": answer.draft.as_dict()}
        chosen = (chosen_incident_type(draft.line_of_business, text)
                  if asking == "incident_type" else None)
        if chosen is not None:
            # A button of the second way to answer (or its name typed): the incident type.
            answer = Answer(replace(draft, incident_type=chosen))
        else:
            answer = interpret_answer_to(draft, _asked_fields(draft, asking), text, now, lang,
                                         intent=_intent(tracker))
        if answer.corrected and asking in missing_fields(answer.draft):
            # "地点是X" answered to another question: a correction, not a failed answer; the
            # message says what changed and asks the question again.
            if answer.message:
                dispatcher.utter_message(text=answer.message)
            return {**slots, "report_answer": None, "report_draft": answer.draft.as_dict()}
        urgent_again = bool(tracker.get_slot("urgent_handled")) and still_urgent(text) is not None
        if asking and _answered_other_part(draft, answer.draft, asking) and not urgent_again:
            # "中山路" to "什么时候、在哪里？": the place is kept and the time asked on its own
            # (by the message saying why it was not taken, or the next question); not a failed
            # answer, and not one that starts the time's count again.
            following = missing_fields(answer.draft)
            if answer.message:
                # "请点下面最接近的一项" comes with the types to tap, whatever else was kept.
                buttons = (_other_way_buttons(answer.draft, asking, language_of(tracker))
                           if answer.choose_type else [])
                dispatcher.utter_message(text=answer.message, buttons=buttons or None)
                if following and asks.same_question("report", asking, following[0]):
                    slots["report_asking"] = following[0]
            return {**slots, "report_answer": None, "report_draft": answer.draft.as_dict()}
        if not asking or asking not in missing_fields(answer.draft):
            # The asked question is answered (or there was none): its count starts again,
            # unless the next one is the same question to the customer (bot/asks.py).
            following = missing_fields(answer.draft)
            upcoming = following[0] if following else None
            if answer.message:
                dispatcher.utter_message(text=answer.message)
                if asks.same_question("report", asking, upcoming):
                    # The message asks the next question ("上午还是晚上？"): not asked twice.
                    slots["report_asking"] = upcoming
            return {**slots, "report_answer": None, "report_draft": answer.draft.as_dict(),
                    "ask_failures": asks.answered(tracker.get_slot("ask_failures"), "report",
                                                  asking, upcoming)}
        if urgent_again:
            # "她在流血 救护车还没来" while the report goes on: the emergency help again, not
            # "I didn't understand"; the report waits and nothing is counted.
            for number in still_urgent(text).numbers:
                reply(dispatcher, tracker, f"urgent.again.{number}")
            reply(dispatcher, tracker, "urgent.again.report_waits")
            return {**slots, "report_answer": None, "report_draft": answer.draft.as_dict()}
        return {**slots, **_failed(dispatcher, tracker, answer.draft, asking, answer.message,
                                   choose=answer.choose_type)}


def _offer_stop_or_skip(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """"这个问题跳过，还是先不报了？" with its two buttons (typed "1" / "2" answer it too). A
    question the report cannot do without is not offered as one to skip: "说个大概就行，还是先不
    报了？", its first button asking the question again."""
    lang = language_of(tracker)
    asking = tracker.get_slot("report_stop_or_skip") or tracker.get_slot("report_asking") or ""
    required = asks.record_unknown(load_draft(tracker), asking) is None
    first = "button.answer_roughly" if required else "button.skip_question"
    dispatcher.utter_message(
        text=say("report_stop_or_rough" if required else "report_stop_or_skip", lang),
        buttons=[{"title": say(first, lang), "payload": say(first, lang)},
                 {"title": say("button.stop_report", lang),
                  "payload": say("button.stop_report", lang)}])


def _asks_status(tracker: Tracker, text: str) -> bool:
    """A status request ("查进度", the menu's 查进度) given instead of the report's answer: not
    one that tells what happened ("追尾的理赔进度" stays the report's)."""
    clean = normalise(text)
    return _intent(tracker) == "check_status" and (
        text.startswith("/") or (request_in(clean) == "check_status"
                                 and not incident_kinds(clean)))


def _asked_fields(draft: ReportDraft, asking: str) -> Tuple[str, ...]:
    """The fields the question about `asking` asks for (two asked together, or one)."""
    fields = question_fields(missing_fields(draft))
    return fields if fields and fields[0] == asking else (asking,)


def _answered_other_part(before: ReportDraft, after: ReportDraft, asking: str) -> bool:
    """Whether the answer left `asking` open but filled another field still to ask (the one
    asked with it, or one the customer told ahead of the question). The account ("经过") does
    not count: any words fill it."""
    missing_after = missing_fields(after)
    return asking in missing_after and any(
        name not in (asking, "description") and name not in missing_after
        for name in missing_fields(before))


def _ask(dispatcher: CollectingDispatcher, tracker: Tracker, draft: ReportDraft,
         asking: str) -> None:
    lang = language_of(tracker)
    if asking == CONFIRM:
        reply(dispatcher, tracker, "report_confirm", summary=report_summary(draft, lang))
    else:
        fields = _asked_fields(draft, asking)
        dispatcher.utter_message(text=next_question(draft, lang)
                                 if fields == question_fields(missing_fields(draft))
                                 else question_text(fields, lang, draft.line_of_business))


def _other_way_buttons(draft: ReportDraft, asking: str, lang: str) -> List[Dict[str, str]]:
    """Buttons where the question has choices."""
    if asking == "incident_type" and line_of(draft):
        # The line from the policy number too: "请点下面最接近的一项" always has its buttons.
        return [{"title": say(f"incident.{kind}", lang), "payload": say(f"incident.{kind}", lang)}
                for kind in incident_types(line_of(draft))]
    if asking == "injuries":
        return [{"title": say(f"button.{key}", lang), "payload": say(f"button.{key}", lang)}
                for key in ("someone_hurt", "nobody_hurt")]
    if asking == CONFIRM:
        return [{"title": say("button.submit_report", lang),
                 "payload": "确认" if lang == "zh" else "confirm"},
                {"title": say("button.stop_report", lang),
                 "payload": say("button.stop_report", lang)}]
    return []


# Replies that only ask the question again (bot/dates.py, bot/claims/amounts.py): at the second
# failed answer the other way to answer replaces them.
_PLAIN_ASKS = ("when_ask", "when_ask_day", "when_ask_hour", "amount_not_found")


def _failed(dispatcher: CollectingDispatcher, tracker: Tracker, draft: ReportDraft,
            asking: str, message: str | None = None, choose: bool = False) -> Dict[str, Any]:
    """A failed answer to `asking` (bot/asks.py): asked again, then another way, then what can
    be recorded is, or a person is offered; never asked a third time."""
    lang = language_of(tracker)
    counts, step = asks.failed(tracker.get_slot("ask_failures"), "report", asking)
    slots: Dict[str, Any] = {"report_answer": None, "report_draft": draft.as_dict(),
                             "ask_failures": counts}
    buttons = _other_way_buttons(draft, asking, lang)
    if choose and step is not Step.GIVE_UP and buttons:
        # An account with no type in it: the types as buttons at once.
        dispatcher.utter_message(text=message or say(f"asks.other_way.{asking}", lang),
                                 buttons=buttons)
        return slots
    if choose and step is not Step.GIVE_UP:
        # No line to offer the types of: never "tap below" with nothing below.
        reply(dispatcher, tracker, f"report_ask.{asking}")
        return slots
    if step is Step.REASK:
        if message:
            dispatcher.utter_message(text=message)
        else:
            # Nothing in the answer could be read: said so, not the same prompt in silence.
            # At the summary: the choice again, never "好的，请告诉我哪里需要改" after "没看懂".
            question = (say("report_confirm_again", lang) if asking == CONFIRM
                        else say(f"report_ask.{asking}", lang))
            reply(dispatcher, tracker, "asks.not_read", question=question)
        return slots
    if step is Step.OTHER_WAY:
        # A reason ("金额不能是负数") is still said; the plain question is not asked again.
        plain = {say(key, lang) for key in _PLAIN_ASKS + (f"report_ask.{asking}",)
                 if asking != CONFIRM}
        if message and message not in plain:
            dispatcher.utter_message(text=message)
        dispatcher.utter_message(text=say(f"asks.other_way.{asking}", lang),
                                 buttons=_other_way_buttons(draft, asking, lang))
        return slots
    recorded = asks.record_unknown(draft, asking)
    if recorded is not None:
        if asking == "incident_type":
            reply(dispatcher, tracker, "asks.recorded_general_type",
                  incident=say(f"incident.{recorded.incident_type}", lang))
        else:
            reply(dispatcher, tracker, "asks.recorded_day_only" if asking == "incident_hour"
                  else "asks.recorded_unknown")
        return {**slots, "report_draft": recorded.as_dict(),
                "ask_failures": asks.answered(counts, "report", asking)}
    # What cannot stay unknown (what happened, which day; the summary): a person is offered and
    # the report stops, its draft kept for "继续报案".
    offer = offer_person(dispatcher, tracker, "asks.offer_person.report")
    return {**slots, "report_paused": "person", **{e["name"]: e["value"] for e in offer}}


def _skip(dispatcher: CollectingDispatcher, tracker: Tracker, draft: ReportDraft,
          asking: str) -> Dict[str, Any]:
    """"跳过": recorded as unknown where it may be; a question the report cannot do without
    is asked again in a few words."""
    slots: Dict[str, Any] = {"report_answer": None, "report_stop_or_skip": None}
    recorded = asks.record_unknown(draft, asking)
    if recorded is None:
        reply(dispatcher, tracker, "report_skip_required")
        return slots
    reply(dispatcher, tracker, "report_skipped")
    return {**slots, "report_draft": recorded.as_dict(),
            "ask_failures": asks.answered(tracker.get_slot("ask_failures"), "report", asking)}


def resuming(tracker: Tracker) -> bool:
    return asks.wants_resume(tracker.latest_message.get("text") or "")


def kept_aside(tracker: Tracker, draft: ReportDraft | None = None) -> Dict[str, Any] | None:
    """The draft of a stopped report, kept in this conversation for "继续报案"; None when it
    holds nothing the customer said."""
    draft = draft or ReportDraft.from_dict(tracker.get_slot("report_draft"))
    # What the policy alone fills (an accident policy's "someone was hurt") is not kept.
    bare = fit_to_line(ReportDraft(policy_number=draft.policy_number,
                                   line_of_business=draft.line_of_business,
                                   language=draft.language), draft.line_of_business)
    if draft.as_dict() == bare.as_dict():
        return tracker.get_slot("report_kept")  # an earlier stopped report stays kept
    return {"draft": draft.as_dict(), "asking": tracker.get_slot("report_asking")}


def take_up_again(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
    """The stopped report back in the form, or a new one when none was stopped."""
    kept = tracker.get_slot("report_kept")
    if not isinstance(kept, dict) or not kept.get("draft"):
        reply(dispatcher, tracker, "report_nothing_kept")
        draft = load_draft(tracker)
        tracker.slots["report_draft"] = draft.as_dict()
        return [SlotSet("report_draft", draft.as_dict())]
    tracker.slots["report_draft"] = kept["draft"]
    draft = load_draft(tracker)  # bound to the verified policy, as any draft is
    tracker.slots.update(report_draft=draft.as_dict(), report_kept=None)
    reply(dispatcher, tracker, "report_resumed")
    return [SlotSet("report_draft", draft.as_dict()), SlotSet("report_kept", None),
            SlotSet("report_cancelled", False), SlotSet("report_paused", None),
            SlotSet("ask_failures", asks.forget_form(tracker.get_slot("ask_failures"),
                                                     "report"))]


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
                question = say("report_confirm", lang, summary=report_summary(draft, lang))
            else:
                question = next_question(draft, lang)
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
                SlotSet("report_answer", None), SlotSet("report_cancelled", False)] \
            + phone_route_over()
        if tracker.get_slot("report_cancelled") or tracker.get_slot("report_paused"):
            return done + stop_report(dispatcher, tracker)
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


def phone_route_over() -> List[Dict[str, Any]]:
    """The way in by phone is over with the report: the next check starts with the number."""
    return [SlotSet(slot, None) for slot in ("identity_route", *PHONE_ROUTE_SLOTS)]


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
        return stop_report(dispatcher, tracker) + [
            SlotSet("report_asking", None), SlotSet("report_answer", None),
            SlotSet("report_ready", False), SlotSet("report_cancelled", False)]


def stop_report(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
    """A stopped or cancelled report: nothing is submitted, and what the customer filled in is
    kept aside in this conversation so that "继续报案" takes it up where it stopped. Stopped
    with a person offered: the offer already said so."""
    kept = kept_aside(tracker)
    if tracker.get_slot("report_paused") not in ("person", OTHER_POLICY):
        reply(dispatcher, tracker, "report_cancelled_kept" if kept else "report_cancelled")
    events = phone_route_over() + [
              SlotSet("report_draft", None), SlotSet("report_kept", kept),
              SlotSet("report_paused", None), SlotSet("report_stop_or_skip", None),
              SlotSet("ask_failures", asks.forget_form(tracker.get_slot("ask_failures"),
                                                       "report"))]
    if tracker.get_slot("identity_stop"):
        events += [SlotSet("identity_stop", False), SlotSet("policy_number", None),
                   SlotSet("verification_answer", None)]
    return events


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
