"""Confirms a predicted request for a person against the words of the message."""
from __future__ import annotations

from typing import Any, Dict

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.handoff import complains_about_the_line, declares_elderly, names_a_person
from bot.plain import asks_full_text, asks_simpler
from bot.service_questions import ACKNOWLEDGED, AGENT_HOURS, IS_BOT, service_question
from components.words import WordsCheck, set_intent

REQUEST_HUMAN = "request_human"
NLU_FALLBACK = "nlu_fallback"
ASK_CAPABILITIES = "ask_capabilities"
THANK = "thank"
DECLARE_ELDERLY = "declare_elderly"
# Predictions a question about the service is read as; anything else (a form's answer, a
# status question) is left alone.
_SERVICE_QUESTION_INTENTS = frozenset(
    {REQUEST_HUMAN, NLU_FALLBACK, ASK_CAPABILITIES, "out_of_scope", "greet"})


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
    person ("转人工", "let me talk to a person") interrupts a form's question."""

    def check(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        text = message.get(TEXT) or ""
        if self._about_the_service(message, intent, text):
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
        if asks_simpler(text) or asks_full_text(text):
            # "说简单点": action_not_understood repeats the last answer in fewer words.
            set_intent(message, NLU_FALLBACK, float(intent.get("confidence") or 0.0))
            return True
        if name in (NLU_FALLBACK, "out_of_scope") and declares_elderly(text):
            # "我姓李，今年78了，想问一下…": the age said in passing is the elderly declaration;
            # action_offer_human also answers the question asked beside it.
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
