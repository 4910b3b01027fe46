"""A general question the classifier could not place ("will someone come round to look?",
"which account did it go into?", "it was locked inside my front garden", "I don't have a
policy, that's the point") is read by its words (bot/side_questions.py): which documents,
what happens next, where the money goes, an argument against a decision."""
from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import side_questions
from bot.claims.disputes import requested_step
from bot.claims.reporting import incident_kinds
from bot.claims.status import asks_about_decided_claim
from bot.identity import has_no_policy
from bot.language import to_simplified
from components.words import WordsCheck, set_intent

ASK_GENERAL = "ask_general"
# The intent each kind of side question is answered under.
INTENTS = {
    side_questions.DOCUMENTS: "ask_documents",
    side_questions.NEXT_STEPS: ASK_GENERAL,
    side_questions.PAYMENT: ASK_GENERAL,
    side_questions.DISPUTE: "dispute_decision",
    side_questions.POLICY: ASK_GENERAL,
    side_questions.WITHDRAW: ASK_GENERAL,
    side_questions.COMPLAINT_STATUS: ASK_GENERAL,
}
# "撤案" and "查投诉进度" read as cancel, a complaint or a claim's status by the classifier: their
# words decide (cancel would drop a form; a complaint form would start a new complaint).
OVERRULED_FOR = {
    side_questions.WITHDRAW: frozenset({"cancel", "complain", "check_status", "report_claim"}),
    side_questions.COMPLAINT_STATUS: frozenset({"complain", "check_status"}),
    side_questions.POLICY: frozenset({"report_claim", "check_status"}),
}
# Guesses that a side question's own words overrule: the vague ones. A clear request (a
# report, a person, cancel, log out, a complaint's intent...) is left as the classifier read it.
OVERRULED = frozenset({"nlu_fallback", "out_of_scope", "inform", "affirm", "deny",
                       "ask_capabilities", "thank", "greet", "rate_service"})
# A question about a claim already paid or refused, which the model may take for a new report.
DECIDED_CLAIM_OVERRULED = frozenset({"report_claim", "ask_general", "ask_clause"})


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class SideQuestionCheck(WordsCheck):
    def check(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        intent = (message.get(INTENT) or {}).get("name")
        if text.startswith("/") or message.get(ENTITIES):
            return
        if intent in OVERRULED | DECIDED_CLAIM_OVERRULED \
                and asks_about_decided_claim(to_simplified(text)):
            # "I had another claim that was paid, how much did I get?": a status question.
            set_intent(message, "check_status")
            return
        if intent in ("nlu_fallback", "out_of_scope") and not incident_kinds(text) \
                and requested_step(to_simplified(text)):
            # "mediation", "我要调解": a rung of the dispute ladder the customer asks for.
            set_intent(message, "dispute_decision")
            return
        kind = side_questions.side_question(text)
        overruled = OVERRULED | OVERRULED_FOR.get(kind, frozenset())
        if kind == side_questions.WITHDRAW and side_questions.only_stops_reporting(text):
            overruled -= {"cancel"}  # "算了，我不报了": the report under way stops
        if kind == side_questions.DISPUTE and not incident_kinds(text):
            # "it was locked inside my front garden" names no new loss: not a report.
            overruled |= {"report_claim"}
        if intent not in overruled:
            return
        wanted = INTENTS.get(kind) if kind else (ASK_GENERAL if has_no_policy(text)
                                                 else None)
        if wanted is None or wanted == intent:
            return
        set_intent(message, wanted)
