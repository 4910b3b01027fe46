"""Handing the conversation to a person: queue it with a summary, tell the customer when someone
will answer, and pause the bot; greet the customer again when the person hands back."""
from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, ConversationResumed, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of, reply
from bot import asks
from bot.claims.disputes import dispute_goes_to_person
from bot.handoff import (
    Reason,
    asks_for_person,
    build_summary,
    claims_for_summary,
    hours_text,
    is_urgent,
    last_hand_back,
    refuses_person,
    report_draft_text,
    request_handoff,
)
from bot.replies import say, when_text, zone_name
from bot.request_words import request_in

logger = logging.getLogger(__name__)


def offer_buttons(tracker: Tracker) -> List[Dict[str, str]]:
    """"Talk to a person" and "No, thanks" under an offer of a person."""
    lang = language_of(tracker)
    return [
        {"title": say("button.human", lang), "payload": "/request_human"},
        {"title": say("button.no_thanks", lang), "payload": "/deny"},
    ]


def offer_person(dispatcher: CollectingDispatcher, tracker: Tracker, key: str,
                 **fields: Any) -> List[Dict[str, Any]]:
    """Reply `key` with the two buttons; a "yes" to it then hands over (rules on human_offered)."""
    dispatcher.utter_message(text=say(key, language_of(tracker), **fields),
                             buttons=offer_buttons(tracker))
    return [SlotSet("human_offered", True)]


def _recent_customer_text(tracker: Tracker, turns: int = 5) -> str:
    texts = [event.get("text") or "" for event in tracker.events if event.get("event") == "user"]
    return "\n".join(texts[-turns:])


def reason_for(tracker: Tracker) -> Reason:
    """Why this conversation goes to a person, from where it stands."""
    if tracker.get_slot("human_offered") \
            and tracker.get_slot("offer_reason") == Reason.NOT_UNDERSTOOD.value:
        return Reason.NOT_UNDERSTOOD  # offered after two misunderstandings in a row
    topic = tracker.get_slot("case_topic")
    if topic == "dispute":
        return Reason.DISPUTE
    if topic == "complaint":
        return Reason.COMPLAINT
    if is_urgent(_recent_customer_text(tracker)):
        return Reason.URGENT
    if tracker.get_slot("elderly") and tracker.get_slot("human_offered"):
        return Reason.ELDERLY
    return Reason.REQUEST


def _summary_slots(tracker: Tracker) -> Dict[str, Any]:
    """The slots as the agent's summary may show them (bot/access.py): only a customer verified
    now, only their own policy and claim, never a number they typed that is someone else's."""
    from actions.access import viewer
    from bot.access import claim_for, hidden_policies, policy_for

    slots = dict(tracker.current_slot_values())
    looking = viewer(tracker)
    if not looking.verified:
        slots.update(verified=False, policy_number=None, customer_name=None,
                     claim_number=None, last_claim_number=None)
        return slots
    slots["policy_number"] = policy_for(looking).policy_number
    for key in ("claim_number", "last_claim_number"):
        if slots.get(key) and claim_for(looking, str(slots[key])) is None:
            slots[key] = None
    # Medical policies without a code verified in this conversation: the summary shows none
    # of their claims (bot/handoff.py); what the customer may not see, the agent's page is not
    # sent either.
    slots["hidden_policies"] = sorted(hidden_policies(looking))
    return slots


def _without_hidden_claim(summary: Dict[str, Any], hidden: List[str]) -> Dict[str, Any]:
    """The summary's claim in view, dropped when it belongs to a hidden (medical) policy."""
    from bot.access import claim_policy_number

    number = summary.get("claim_number")
    if number and hidden and claim_policy_number(str(number)) in hidden:
        summary["claim_number"] = None
    return summary


def start_handoff(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    reason: Reason,
    *,
    complaint: Dict[str, Any] | None = None,
    claim_number: str | None = None,
) -> List[Dict[str, Any]]:
    """Queue the conversation for a person (once), tell the customer, and pause the bot.

    When the queue cannot be reached the customer gets the service line instead, and the bot
    stays on: a customer is never left waiting for a person who will not come.
    """
    lang = language_of(tracker)
    slots = _summary_slots(tracker)
    try:
        claims = claims_for_summary(slots.get("policy_number"),
                                    hidden=slots.get("hidden_policies") or ()
                                    ) if slots.get("verified") else []
        summary = build_summary(tracker.events, slots, reason=reason, claims=claims,
                                complaint=complaint or _complaint_of(tracker))
        summary = _without_hidden_claim(summary, slots.get("hidden_policies") or [])
        if claim_number:  # a claim reported in this very turn: its slot is not set yet
            summary["claim_number"] = claim_number
        draft = report_draft_text(tracker.get_slot("report_draft"), lang)
        if draft:  # a report in progress: kept in its slot, and shown to the agent
            summary["report_draft"] = draft
        queued = request_handoff(
            tracker.sender_id,
            reason=reason,
            elderly=bool(slots.get("elderly")),
            language=lang,
            channel=tracker.get_latest_input_channel(),
            summary=summary,
        )
        if reason is Reason.DISPUTE and slots.get("verified"):
            dispute_goes_to_person(slots.get("policy_number"), slots.get("claim_number"),
                                   conversation_id=tracker.sender_id)
    except Exception:  # the store is down: give the phone line rather than a silent queue
        logger.exception("handoff: queueing conversation %s failed", tracker.sender_id)
        reply(dispatcher, tracker, "human_contact")
        return [SlotSet("human_offered", False), SlotSet("offer_reason", None)]

    if not queued.created:
        reply(dispatcher, tracker, "handoff_already")
    elif queued.opens_at is not None and reason is Reason.URGENT:
        # An emergency at night: call now (the advice above has the numbers), not wait.
        reply(dispatcher, tracker, "handoff_after_hours_urgent",
              opens=when_text(queued.opens_at, lang))
    elif queued.opens_at is not None:
        reply(dispatcher, tracker, "handoff_after_hours", hours=hours_text(lang),
              opens=when_text(queued.opens_at, lang))
    elif queued.ahead == 0:
        reply(dispatcher, tracker, "handoff_queued_next", minutes=queued.wait_minutes)
    else:
        reply(dispatcher, tracker, "handoff_queued", ahead=queued.ahead,
              minutes=queued.wait_minutes)
    return [SlotSet("human_offered", False), SlotSet("offer_reason", None), ConversationPaused()]


def _complaint_of(tracker: Tracker) -> Dict[str, Any] | None:
    """The complaint this conversation filed, or what it had gathered when the customer asked
    for a person in the middle of it: the agent reads it instead of asking again."""
    gathered = {key: tracker.get_slot(f"complaint_{key}") for key in ("about", "facts",
                                                                      "request")}
    gathered = {key: value for key, value in gathered.items() if value}
    reference = tracker.get_slot("complaint_reference")
    if reference:
        return {"reference": reference, **gathered}
    return {"reference": None, **gathered} if gathered else None


class ActionHandoff(Action):
    """A person, at any point, in one step: on request, after an accepted offer, in a dispute
    or a complaint."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        if _affirms_no_open_offer(tracker):
            reply(dispatcher, tracker, "offer_not_open")
            return [SlotSet("human_offered", False)]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        if not text.startswith("/") and refuses_person(text):
            # "不用人工了" however it got here: a person turned down is never a queue entry.
            reply(dispatcher, tracker, "person_refused")
            return [SlotSet("human_offered", False), SlotSet("offer_reason", None)]
        if intent == "affirm" and tracker.get_slot("human_offered") \
                and not text.startswith("/") and not asks.clear_yes(text):
            return unclear_answer_to_offer(dispatcher, tracker)
        events: List[Dict[str, Any]] = []
        complaint = None
        if interrupted_form(tracker) == "complaint_form":
            # A person asked for in the middle of a complaint: what was said so far is
            # registered first, with its reference and deadlines, so nothing waits on the agent.
            from actions.complaints import complaint_for_agent, register_complaint

            events, view = register_complaint(dispatcher, tracker, draft=True)
            complaint = complaint_for_agent(view) if view is not None else None
            if view is not None and _answers_the_request(tracker) \
                    and not asks_for_person(view.request):
                # "I want someone senior to review it", the answer to "what would you like us
                # to do?": the complaint's wish, registered; no handoff.
                return events
        reason = Reason.COMPLAINT if complaint else reason_for(tracker)
        return events + start_handoff(dispatcher, tracker, reason, complaint=complaint) + [
            SlotSet("ask_failures", asks.forget_form(tracker.get_slot("ask_failures"), "offer"))]


def interrupted_form(tracker: Tracker) -> str | None:
    """The form the rules stopped in this turn to run this action (a person asked for in the
    middle of it), or None."""
    stopped = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user" and not stopped:
            return None  # nothing was stopped after the latest message
        if kind == "active_loop":
            if event.get("name") is None:
                stopped = True
            else:
                return event.get("name") if stopped else None
    return None


def _answers_the_request(tracker: Tracker) -> bool:
    """Whether the latest message filled the complaint's request (the form had just asked what
    the customer wants done, and the slot mapping took the words)."""
    request = " ".join(str(tracker.get_slot("complaint_request") or "").split())
    text = " ".join((tracker.latest_message.get("text") or "").split())
    return bool(request and text and request == text)


def _affirms_no_open_offer(tracker: Tracker) -> bool:
    """A "yes" (好的, OK) that answers no offer of a person made just before: the offer
    slot outlived the offer (the customer talked about something else since). Only a yes to
    the offer the bot has just made hands over."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent != "affirm":
        return False
    return not offer_just_made(tracker)


def offer_just_made(tracker: Tracker) -> bool:
    """Whether the bot's turn just before the latest message offered a person."""
    seen_latest = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_latest:
                return False
            seen_latest = True
        elif seen_latest and kind == "slot" and event.get("name") == "human_offered":
            return bool(event.get("value"))
        elif seen_latest and kind == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            if any(b.get("payload") == "/request_human" for b in buttons):
                return True
    return False


def unclear_answer_to_offer(dispatcher: CollectingDispatcher,
                            tracker: Tracker) -> List[Dict[str, Any]]:
    """Only a clear yes takes up an offer of a person ("嗯嗯那个啥就是说吧" is not one): how to
    take it or leave it is said once; then the offer is withdrawn with the service line rather
    than repeated (bot/asks.py)."""
    counts, step = asks.failed(tracker.get_slot("ask_failures"), "offer", "person")
    if step is asks.Step.REASK:
        dispatcher.utter_message(text=say("offer_unclear", language_of(tracker)),
                                 buttons=offer_buttons(tracker))
        return [SlotSet("ask_failures", counts)]
    reply(dispatcher, tracker, "not_understood_again")
    return [SlotSet("human_offered", False), SlotSet("offer_reason", None),
            SlotSet("ask_failures", asks.forget_form(counts, "offer"))]


# The action that answers each request request_in() can find, for a verified customer.
_ANSWER_ACTIONS = {"check_status": "action_show_status", "ask_clause": "action_answer_clause",
                   "ask_documents": "action_answer_documents"}


class ActionOfferHuman(Action):
    """A customer who says they are elderly is offered a person at once, ranked first."""

    def name(self) -> str:
        return "action_offer_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        events: List[Dict[str, Any]] = [SlotSet("elderly", True)]
        text = tracker.latest_message.get("text") or ""
        request = request_in(text)
        if request is None:
            return events + offer_person(dispatcher, tracker, "human_offer")
        # "我姓李，今年78了，想问一下我住院那个理陪怎么样了": the age is noted and the question
        # answered too, with a person offered beside the answer.
        if request == "ask_clause":
            events.append(SlotSet("clause_question", text))
        if request == "ask_documents" and not tracker.get_slot("verified"):
            # "我七十多岁了…想问问住院的钱怎么报": the documents and steps need no identity check.
            # The person is offered first; a "no" answers the question (ActionHumanDeclined).
            return events + offer_person(dispatcher, tracker, "human_offer_question_kept")
        if not tracker.get_slot("verified"):
            # The identity check runs next; action_identity_done offers the person (the elderly
            # slot is set) and then answers the pending request.
            reply(dispatcher, tracker, "elderly_noted_question_next")
            return events + [SlotSet("pending_request", request), FollowupAction("identity_form")]
        events += offer_person(dispatcher, tracker, "human_offer")
        return events + [FollowupAction(_ANSWER_ACTIONS[request])]


class ActionHumanDeclined(Action):
    """"不用了，你跟我说就行": the offer of a person is declined. The question the offer came
    with (an elderly customer's "住院的钱怎么报") is answered now rather than forgotten."""

    def name(self) -> str:
        return "action_human_declined"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        events = [SlotSet("human_offered", False), SlotSet("offer_reason", None)]
        question = question_behind_offer(tracker)
        if question is not None and request_in(question) == "ask_documents":
            from actions.documents import answer_documents

            reply(dispatcher, tracker, "human_declined_answer")
            return events + answer_documents(dispatcher, tracker, text=question)
        reply(dispatcher, tracker, "human_declined")
        return events


def question_behind_offer(tracker: Tracker) -> str | None:
    """The customer's message that action_offer_human answered with the offer being declined
    now (the offer made in the bot's turn just before the latest message), else None; None too
    when that turn already answered it (a verified customer's question, answered beside the
    offer)."""
    users_after = 0
    for index in range(len(tracker.events) - 1, -1, -1):
        event = tracker.events[index]
        kind = event.get("event")
        if kind == "user":
            users_after += 1
            if users_after > 1:
                return None
        elif kind == "action" and event.get("name") in _ANSWER_ACTIONS.values():
            return None
        elif kind == "action" and event.get("name") == "action_offer_human":
            if users_after != 1:
                return None
            earlier = next((e for e in reversed(tracker.events[:index])
                            if e.get("event") == "user"), None)
            return (earlier or {}).get("text") or None
    return None


class ActionHandedBack(Action):
    """The person handed the conversation back: say who helped and what was agreed."""

    def name(self) -> str:
        return "action_handed_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        try:
            entry = last_hand_back(tracker.sender_id)
        except Exception:
            logger.exception("handoff: reading the hand-back of %s failed", tracker.sender_id)
            entry = None
        if entry is None or not entry.agent_name:
            reply(dispatcher, tracker, "handed_back_anonymous")
        elif entry.resolution:
            reply(dispatcher, tracker, "handed_back", agent=entry.agent_name,
                  resolution=entry.resolution)
        else:
            reply(dispatcher, tracker, "handed_back_plain", agent=entry.agent_name)
        return [SlotSet("human_offered", False), SlotSet("case_topic", None)]


class ActionWhileWaiting(Action):
    """A message while the conversation waits for a person (run by rasa_server/patches.py in
    place of the paused bot): every message answered (the full acknowledgement now and then and
    to a question about the wait, a short one in between), a way out of the queue ("不用人工了",
    "no need for an agent"), "log out" done, and out of hours a call-back booked
    (bot/waiting.py). Silent once a person has taken it."""

    def name(self) -> str:
        return "action_while_waiting"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        from actions.access import viewer
        from bot import waiting
        from bot.access import policy_for
        from bot.complaints import parse_contact_phone

        lang = language_of(tracker)
        text = tracker.latest_message.get("text") or ""
        try:
            looking = viewer(tracker)
            phone = waiting.phone_on_file(policy_for(looking).policy_number) \
                if looking.verified else None
            answer = waiting.on_message(tracker.sender_id, text, phone=phone,
                                        typed_phone=parse_contact_phone(text))
        except Exception:  # the store is down: say so rather than nothing
            logger.exception("handoff: waiting message of %s failed", tracker.sender_id)
            reply(dispatcher, tracker, "human_contact")
            return []
        outcome = waiting.Outcome
        if answer.outcome is outcome.GONE:
            reply(dispatcher, tracker, "waiting_back_to_bot")
            return [ConversationResumed()]
        if answer.outcome is outcome.LEFT:
            reply(dispatcher, tracker, "waiting_left")
            return [ConversationResumed()]
        if answer.outcome is outcome.TAKEN:
            return []  # the person answers
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "log_out" and answer.outcome in (outcome.SILENT, outcome.ACKNOWLEDGED):
            # "log out" while queued: the verified state ends now; the place in the queue stays.
            from actions.access import end_verified_state

            reply(dispatcher, tracker, "waiting_logged_out")
            return end_verified_state() + [SlotSet("pending_request", None)]
        _say_waiting(dispatcher, tracker, answer, lang)
        return []


def _say_waiting(dispatcher: CollectingDispatcher, tracker: Tracker, answer: Any,
                 lang: str) -> None:
    """The answer to a queued customer's message (bot/waiting.py's outcome). The replies name
    the zone in their own words ("{when}（{zone}）"), so the times are given without it."""
    from bot import waiting

    outcome = waiting.Outcome
    zone = zone_name(lang)
    hours = hours_text(lang)

    def when(moment: Any) -> str:
        return when_text(moment, lang, named=False)

    if answer.outcome is outcome.BOOKED:
        reply(dispatcher, tracker, "callback_booked", when=when(answer.callback_at),
              zone=zone, last4=_last4(answer.callback_phone))
    elif answer.outcome is outcome.NEEDS_PHONE:
        # Only the number is asked for: the time is kept (bot/waiting.py), never asked again.
        reply(dispatcher, tracker, "callback_ask_phone", when=when(answer.callback_at),
              zone=zone)
    elif answer.outcome is outcome.WHICH_DAY:
        _ask_which_day(dispatcher, answer.choices, lang)
    elif answer.outcome is outcome.CALLBACK_PROBLEM:
        reply(dispatcher, tracker, f"callback_{answer.problem.value}", hours=hours,
              zone=zone, days=waiting.MAX_DAYS_AHEAD)
    elif answer.outcome is outcome.SILENT:
        # Acknowledged fully a moment ago: a short "got it", never silence.
        reply(dispatcher, tracker, "waiting_ack_short")
    elif answer.callback_at is not None:
        reply(dispatcher, tracker, "waiting_ack_callback", when=when(answer.callback_at),
              zone=zone, last4=_last4(answer.callback_phone))
    elif answer.opens_at is not None:
        reply(dispatcher, tracker, "waiting_ack_after_hours", opens=when(answer.opens_at),
              zone=zone)
    elif answer.ahead == 0:
        reply(dispatcher, tracker, "waiting_ack_next", minutes=answer.wait_minutes)
    else:
        reply(dispatcher, tracker, "waiting_ack", ahead=answer.ahead,
              minutes=answer.wait_minutes)


def _ask_which_day(dispatcher: CollectingDispatcher, choices: Any, lang: str) -> None:
    """ "明天上午10点" after midnight: today's or the next day's, one button each. A button sends
    the date written out ("12月7日10:00"), which books without asking again."""
    from bot.clock import to_local
    from bot.replies import say

    today, tomorrow = (to_local(moment) for moment in choices)

    def day(moment: Any) -> str:
        return f"{moment.month}月{moment.day}日" if lang == "zh" else \
            f"{moment.day} {moment.strftime('%B')}"

    if lang == "zh":
        half = "上午" if today.hour < 12 else "下午"
        hour = today.hour if today.hour <= 12 else today.hour - 12
        clock = f"{half}{hour}点" + (f"{today.minute}分" if today.minute else "")
    else:
        clock = today.strftime("%H:%M")
    fields = dict(today=day(today), tomorrow=day(tomorrow), clock=clock)
    buttons = [{"title": say(key, lang, **fields),
                "payload": f"{moment.month}月{moment.day}日{moment.strftime('%H:%M')}"}
               for key, moment in (("callback_day_today", today),
                                   ("callback_day_tomorrow", tomorrow))]
    dispatcher.utter_message(text=say("callback_which_day", lang, **fields), buttons=buttons)


def _last4(phone: str | None) -> str:
    return (phone or "")[-4:] or "-"
