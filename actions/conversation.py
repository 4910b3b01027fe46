"""Greetings, help, fallbacks and the replies that need no data."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.access import end_verified_state
from actions.common import ReplyAction, language_of, reply
from actions.disputes import answer_what_now, explain_dispute
from actions.handoff import offer_buttons, offer_person
from bot import asks
from bot.claims.disputes import asks_why_refused
from bot.handoff import Reason, hours_text, refuses_person
from bot.identity import wants_phone_route
from bot.language import to_simplified
from bot.plain import asks_full_text, asks_simpler, simpler
from bot.replies import say
from bot.service_questions import AGENT_HOURS, IS_BOT, service_question
from bot.settings import get_settings


class ActionGreet(ReplyAction):
    key = "greet"

    def name(self) -> str:
        return "action_greet"


class ActionSayGoodbye(ReplyAction):
    """Goodbye. A verified customer who says it is logged out with it ("我用完了 再见" on a shared
    computer): the next person at the keyboard must not inherit their verified state."""

    key = "goodbye"

    def name(self) -> str:
        return "action_say_goodbye"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        if not tracker.get_slot("verified"):
            return await super().run(dispatcher, tracker, domain)
        reply(dispatcher, tracker, "goodbye_logged_out")
        return end_verified_state() + [SlotSet("pending_request", None),
                                       SlotSet("identity_stop", False)]


class ActionSayThanks(ReplyAction):
    key = "thank"

    def name(self) -> str:
        return "action_say_thanks"


class ActionCapabilities(ReplyAction):
    key = "capabilities"

    def name(self) -> str:
        return "action_capabilities"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """What the assistant can do, or, asked about the service itself ("你是真人还是机器人",
        "你们人工客服几点上班"), the answer to that: never a queue. Right after a decision was
        explained, "what can I do now?" gets the dispute's next steps."""
        ladder = answer_what_now(dispatcher, tracker)
        if ladder is not None:
            return ladder
        kind = service_question(tracker.latest_message.get("text"))
        if kind == IS_BOT:
            reply(dispatcher, tracker, "service_is_bot")
        elif kind == AGENT_HOURS:
            reply(dispatcher, tracker, "service_agent_hours",
                  hours=hours_text(language_of(tracker)))
        else:
            reply(dispatcher, tracker, self.key)
        return []


class ActionOutOfScope(ReplyAction):
    key = "out_of_scope"

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        ladder = answer_what_now(dispatcher, tracker)  # "我现在能怎么办" after a decision
        return ladder if ladder is not None else await super().run(dispatcher, tracker, domain)


class ActionHowCanIHelp(ReplyAction):
    """"好的" / "不用" when nothing was asked. A yes or no that answers no question and is not
    plainly one ("嗯嗯那个啥就是说吧") is not understood; two misunderstandings in a row offer a
    person (bot/asks.py)."""

    key = "how_can_i_help"

    def name(self) -> str:
        return "action_how_can_i_help"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent not in asks.STRAY_ANSWERS:
            return await super().run(dispatcher, tracker, domain)
        if refuses_person(tracker.latest_message.get("text")):
            # "不用人工了" with no offer open: understood, the bot carries on (never the queue).
            reply(dispatcher, tracker, "person_refused")
            return [SlotSet("human_offered", False), SlotSet("offer_reason", None)]
        if consecutive_misunderstandings(tracker, self.name()) >= 2:
            return offer_after_misunderstandings(dispatcher, tracker)
        text = tracker.latest_message.get("text") or ""
        if asks.clear_yes(text) or asks.clear_no(text):
            return await super().run(dispatcher, tracker, domain)
        reply(dispatcher, tracker, "not_understood")
        reply(dispatcher, tracker, "capabilities")
        return []


class ActionCancelled(ReplyAction):
    key = "cancelled"

    def name(self) -> str:
        return "action_cancelled"


class ActionNoText(ReplyAction):
    key = "no_text"

    def name(self) -> str:
        return "action_no_text"


class ActionMessageTooLong(ReplyAction):
    key = "message_too_long"

    def name(self) -> str:
        return "action_message_too_long"

    def fields(self, tracker: Tracker) -> Dict[str, Any]:
        return {"limit": get_settings().max_message_chars}


class ActionNotUnderstood(ReplyAction):
    """After two misunderstandings in a row, a person is offered instead of guessing again."""

    def name(self) -> str:
        return "action_not_understood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        if asks_full_text(tracker.latest_message.get("text")):
            # "全文": the whole clause that was quoted by its answering sentence.
            full = tracker.get_slot("clause_full_text")
            if full:
                dispatcher.utter_message(text=full)
            else:
                reply(dispatcher, tracker, "clause_full_text_none")
            return []
        if tracker.get_slot("verified") and not tracker.active_loop.get("name") and \
                asks_why_refused(to_simplified(tracker.latest_message.get("text") or "")):
            # "为什么拒赔？我看不懂": the decision explained as a dispute explains it (reason,
            # clause, the way to appeal, a person offered), not the last line made shorter.
            return explain_dispute(dispatcher, tracker)
        if asks_simpler(tracker.latest_message.get("text")):
            # "说简单点" / "看不懂": the last answer again, shorter; not a misunderstanding.
            lang = language_of(tracker)
            dispatcher.utter_message(text=simpler(last_bot_text(tracker), lang))
            return []
        ladder = answer_what_now(dispatcher, tracker)  # "那现在怎么办" after a decision
        if ladder is not None:
            return ladder
        text = tracker.latest_message.get("text") or ""
        if not tracker.get_slot("verified") and not tracker.active_loop.get("name") \
                and wants_phone_route(text):
            # "我不会弄这个保单号": the way in without it, the phone on file and the date of
            # birth (the identity form asks for them; bot/identity.verify_by_phone).
            from actions.identity import PHONE_ROUTE

            return [SlotSet("identity_route", PHONE_ROUTE), FollowupAction("identity_form")]
        if consecutive_misunderstandings(tracker, self.name()) >= 2:
            return offer_after_misunderstandings(dispatcher, tracker)
        reply(dispatcher, tracker, "not_understood")
        reply(dispatcher, tracker, "capabilities")
        return []


def offer_after_misunderstandings(dispatcher: CollectingDispatcher,
                                  tracker: Tracker) -> List[Dict[str, Any]]:
    """A person offered (a clear yes hands over, rules/handoff.yml); offered already, the
    customer is told how to take or leave it rather than offered the same words again."""
    if tracker.get_slot("human_offered"):
        dispatcher.utter_message(text=say("offer_unclear", language_of(tracker)),
                                 buttons=offer_buttons(tracker))
        return []
    return offer_person(dispatcher, tracker, "not_understood_offer") + [
        SlotSet("offer_reason", Reason.NOT_UNDERSTOOD.value)]


# Actions Rasa runs on every message before the one that answers it.
_NOT_AN_ANSWER = (None, "action_listen", "action_extract_slots", "action_validate_slot_mappings")


def consecutive_misunderstandings(tracker: Tracker, current_action: str | None = None) -> int:
    """Misunderstood customer messages in a row, the one being answered now by
    `current_action` included: the model's low-confidence guesses, and a yes or no that
    answered no question (bot/asks.py)."""
    turns: List[asks.Turn] = []
    for event in tracker.events:
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            text = event.get("text")
            if asks_simpler(text) or asks_full_text(text):
                intent = "plain_words"  # "说简单点", "全文": understood, not a miss
            elif refuses_person(text):
                intent = "person_refused"  # "不用人工了": a clear no to a person, understood
            turns.append(asks.Turn(intent, None))
        elif (event.get("event") == "action" and turns and turns[-1].action is None
              and event.get("name") not in _NOT_AN_ANSWER):
            turns[-1] = asks.Turn(turns[-1].intent, event.get("name"))
    if turns and turns[-1].action is None:
        turns[-1] = asks.Turn(turns[-1].intent, current_action)
    return asks.misunderstood_in_a_row(turns)


def last_bot_text(tracker: Tracker) -> str | None:
    """The bot's last answer before the latest message (its messages of one turn together)."""
    texts: List[str] = []
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if texts:
                break
            seen_user = True
            continue
        if seen_user and event.get("event") == "bot" and event.get("text"):
            texts.insert(0, event["text"])
    return "\n".join(texts) or None
