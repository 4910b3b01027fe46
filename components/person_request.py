"""Confirms a predicted request for a person against the words of the message."""
from __future__ import annotations

from typing import Any, Dict

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.claims.disputes import asks_why_refused
from bot.handoff import (
    asks_to_be_called,
    complains_about_the_line,
    declares_elderly,
    names_a_person,
    refuses_person,
)
from bot.language import to_simplified
from bot.plain import asks_full_text, asks_simpler
from bot.request_words import asks_how_to_claim, request_in
from bot.service_questions import ACKNOWLEDGED, AGENT_HOURS, IS_BOT, service_question
from components.words import WordsCheck, set_intent

REQUEST_HUMAN = "request_human"
NLU_FALLBACK = "nlu_fallback"
ASK_CAPABILITIES = "ask_capabilities"
THANK = "thank"
DECLARE_ELDERLY = "declare_elderly"
DENY = "deny"
# Predictions a refusal of a person ("不用人工了") is read as a "no thanks" from: the model takes
# the word 人工 for a request. A clear other request ("不用人工，我要报案") keeps its intent.
_REFUSAL_INTENTS = frozenset({REQUEST_HUMAN, NLU_FALLBACK, ASK_CAPABILITIES, "out_of_scope",
                              "greet", "affirm", THANK})
# Predictions a question about the service is read as; anything else (a form's answer, a
# status question) is left alone.
_SERVICE_QUESTION_INTENTS = frozenset(
    {REQUEST_HUMAN, NLU_FALLBACK, ASK_CAPABILITIES, "out_of_scope", "greet"})


# Guesses an age said in passing overrules: the vague ones, and a question action_offer_human
# answers beside the offer ("I'm 82… how do I claim for a hospital stay?", read as a report).
_ELDERLY_OVER_VAGUE = frozenset({NLU_FALLBACK, "out_of_scope", "greet", THANK, ASK_CAPABILITIES})
_ELDERLY_OVER_QUESTION = frozenset({"check_status", "ask_documents", "ask_clause",
                                    "report_claim"})


def _elderly_beside(name: str | None, text: str) -> bool:
    if not declares_elderly(text):
        return False
    if name in _ELDERLY_OVER_VAGUE:
        return True
    if name == "report_claim":
        return asks_how_to_claim(text)  # a "how", not the report itself
    return name in _ELDERLY_OVER_QUESTION and request_in(text) is not None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class PersonRequestCheck(WordsCheck):
    """A request for a person hands the conversation over at once, even in the middle of a
    form; the classifier sometimes takes an answer with the word 人 in it ("没人受伤") for one.
    A predicted request_human that names no person (nor the machine) becomes nlu_fallback:
    inside a form the words are the answer to its question, outside one the customer is told
    what the assistant can do, "转人工" included. So does one that only tells that the phone line
    does not answer ("姑娘，客服电话打不通", a complaint's subject): only a plain request for a
    person ("转人工", "let me talk to a person") interrupts a form's question. Turning a person
    down ("不用人工了", "no need for an agent") names one too: it becomes deny, a "no thanks"
    (bot/handoff.refuses_person), never the queue."""

    def check(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        text = message.get(TEXT) or ""
        if intent.get("name") in _REFUSAL_INTENTS and not text.startswith("/") \
                and refuses_person(text):
            # "不用人工了", "I don't want to talk to a person": a "no thanks" (an offer open:
            # declined; none: the bot carries on), never the queue.
            set_intent(message, DENY, float(intent.get("confidence") or 0.0))
            return
        if self._about_the_service(message, intent, text):
            return
        if intent.get("name") == "inform" and not text.startswith("/") \
                and asks_to_be_called(text):
            # "我手机是138…，你们打这个电话给我": a person's call asked for, not an identity
            # answer (it had been met with "好的。还有什么可以帮您？", as if a call were booked).
            set_intent(message, REQUEST_HUMAN, float(intent.get("confidence") or 0.0))
            return
        if intent.get("name") != REQUEST_HUMAN or text.startswith("/"):
            return  # "/request_human" is a button's payload: asked in so many words
        if names_a_person(text) and not complains_about_the_line(text):
            return
        confidence = float(intent.get("confidence") or 0.0)
        set_intent(message, NLU_FALLBACK, confidence)

    @staticmethod
    def _about_the_service(message: Message, intent: Dict[str, Any], text: str) -> bool:
        """"你是真人还是机器人啊", "你们人工客服几点上班": a question about the service becomes
        ask_capabilities, which answers it (bot/service_questions.py); "哦哦好的好的👍👍" taken
        for a request becomes thank. Neither puts the customer in the queue. "说简单点" and "全文"
        become nlu_fallback, whose action says the last answer in fewer words, or the whole
        clause quoted in part."""
        name = intent.get("name")
        if text.startswith("/"):
            return False
        if asks_why_refused(to_simplified(text)):
            # "为什么拒赔？我看不懂": a disputed decision, explained (rules/complaints.yml).
            set_intent(message, "dispute_decision", float(intent.get("confidence") or 0.0))
            return True
        if asks_simpler(text) or asks_full_text(text):
            # "说简单点": action_not_understood repeats the last answer in fewer words.
            set_intent(message, NLU_FALLBACK, float(intent.get("confidence") or 0.0))
            return True
        if _elderly_beside(name, text):
            # "我姓李，今年78了，想问一下…", "I'm 82 and my daughter usually does this for me": the
            # age said in passing is the elderly declaration; action_offer_human also answers
            # the question asked beside it (bot/request_words.py).
            set_intent(message, DECLARE_ELDERLY, float(intent.get("confidence") or 0.0))
            return True
        if name not in _SERVICE_QUESTION_INTENTS:
            return False
        kind = service_question(text)
        confidence = float(intent.get("confidence") or 0.0)
        if kind in (IS_BOT, AGENT_HOURS):
            set_intent(message, ASK_CAPABILITIES, confidence)
            return True
        if kind == ACKNOWLEDGED and name == REQUEST_HUMAN:
            set_intent(message, THANK, confidence)
            return True
        return False
