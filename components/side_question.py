"""A general question the classifier could not place ("will someone come round to look?",
"which account did it go into?", "it was locked inside my front garden", "I don't have a
policy, that's the point") is read by its words (bot/side_questions.py): which documents,
what happens next, where the money goes, an argument against a decision."""
from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import side_questions
from bot.claims.reporting import incident_kinds
from bot.identity import has_no_policy
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


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class SideQuestionCheck(WordsCheck):
    def check(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        intent = (message.get(INTENT) or {}).get("name")
        if text.startswith("/") or message.get(ENTITIES):
            return
        kind = side_questions.side_question(text)
        overruled = OVERRULED | OVERRULED_FOR.get(kind, frozenset())
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
