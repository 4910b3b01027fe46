"""Overrides the predicted intent where the words of the message say more than the model can:
an emergency happening now (report_urgent, from any state), a change to a claim ("地点改一下…",
amend_claim: a correction inside a report form, an amendment after the receipt) and a whole
incident report in one message that the model took for plain information (report_claim)."""
from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.claims.reporting.amend import parse_amend_request
from bot.claims.reporting.answers import says_another_incident
from bot.claims.reporting.extract import (
    asks_to_report,
    asks_to_report_incident,
    reads_as_report,
)
from bot.claims.reporting.urgent import urgency
from bot.documents.chase import says_documents_later
from bot.identity import has_no_policy, wants_phone_route
from bot.request_words import after_greeting, request_after_greeting
from components.words import WordsCheck, set_intent

REPORT_URGENT = "report_urgent"
REPORT_CLAIM = "report_claim"
AMEND_CLAIM = "amend_claim"
# Requests that stand whatever the words say ("转人工", "算了"): never amendments.
_OWN_WORDS = {"request_human", "cancel", "log_out", "switch_language", "switch_customer",
              "ask_documents", "ask_clause", "check_status", "complain", "dispute_decision"}
# Intents that say nothing against a report: only these become report_claim.
_MAY_BE_A_REPORT = {"inform", "nlu_fallback", "out_of_scope", "greet", "ask_capabilities",
                    "thank"}
# Requests the model may read in a request to report ("报销" near a clause or status word).
_REQUESTS_OF_A_REPORT = {"ask_clause", "check_status", "ask_documents"}
_LEAVE_ALONE = {"message_too_long", "no_text"}
# A plain "我要报案" the model did not understand (small talk around it) is a report too, and
# so is one after a greeting ("你好，我想報案"): a greeting with a request does the request.
_NOT_UNDERSTOOD = {"nlu_fallback", "out_of_scope", "greet"}


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class ReportSignals(WordsCheck):
    """"救命 我老婆刚出车祸了 流了好多血" is an emergency whatever the model guessed; "…被追尾了…
    保单AUTO-…赶紧帮我报个案" is a report even when the model saw only a policy number."""

    def check(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        intent = (message.get(INTENT) or {}).get("name")
        if text.startswith("/") or intent in _LEAVE_ALONE:
            return  # a button's payload says what it means
        if intent == "switch_customer" and says_another_incident(text):
            # "No, this is a different incident": a no to "is it the same?", not someone else.
            set_intent(message, "deny")
        elif urgency(text) is not None:
            set_intent(message, REPORT_URGENT)
        elif intent not in _OWN_WORDS and self._amends(text, intent):
            set_intent(message, AMEND_CLAIM)
        elif self._reports(text, intent):
            set_intent(message, REPORT_CLAIM)
        elif intent in _REQUESTS_OF_A_REPORT and asks_to_report_incident(text):
            # "我要报销医院的费用 胃镜检查": a request to report, not a clause question.
            set_intent(message, REPORT_CLAIM)
        elif intent not in _OWN_WORDS and says_documents_later(text):
            # "我稍后补材料" / "I'll send them later": a promise about the claim's documents,
            # answered by the documents action (bot/documents/chase.py records it).
            set_intent(message, "ask_documents")
        elif intent == "greet":
            self._greeting_with_a_request(message, text)

    @staticmethod
    def _greeting_with_a_request(message: Message, text: str) -> None:
        """"你好，我要投诉", "早上好，我出车祸了": a greeting with a request does the request (the
        model's runner-up, bot/request_words.py), never only "您好"; "你好，保单号我不记得了" is
        the way in without the policy number (ask_general answers it)."""
        if not after_greeting(text):
            return
        if wants_phone_route(text) and not has_no_policy(text):
            set_intent(message, "ask_general")
            return
        wanted = request_after_greeting(text, message.get(INTENT_RANKING_KEY))
        if wanted is not None:
            set_intent(message, wanted)

    @staticmethod
    def _reports(text: str, intent: str | None) -> bool:
        # A whole report the model took for information, or a plain "我要报案" it did not
        # understand for the small talk around it.
        return bool((intent in _MAY_BE_A_REPORT and reads_as_report(text))
                    or (intent in _NOT_UNDERSTOOD and asks_to_report(text)))

    @staticmethod
    def _amends(text: str, intent: str | None) -> bool:
        request = parse_amend_request(text)
        # "地址不对" alone is a no; "不对，地点是人民路" names the change.
        return request is not None and (intent != "deny" or request.value is not None)
