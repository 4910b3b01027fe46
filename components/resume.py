"""Words that take a stopped report up again ("继续报案", "刚才说到哪了", "where were we")."""
from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.asks import wants_resume
from components.words import WordsCheck, set_intent

REPORT_CLAIM = "report_claim"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class ResumeReport(WordsCheck):
    """A message asking to take the report up again starts the report form, which brings back
    the report stopped in this conversation where it stopped (actions/report.py); the model
    alone reads "where were we" as anything or nothing."""

    def check(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        if text.startswith("/") or not wants_resume(text):
            return
        intent = message.get(INTENT) or {}
        if intent.get("name") == REPORT_CLAIM:
            return
        set_intent(message, REPORT_CLAIM)
