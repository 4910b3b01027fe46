"""Words that take a stopped report up again ("继续报案", "刚才说到哪了", "where were we")."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.asks import wants_resume

REPORT_CLAIM = "report_claim"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class ResumeReport(GraphComponent):
    """A message asking to take the report up again starts the report form, which brings back
    the report stopped in this conversation where it stopped (actions/report.py); the model
    alone reads "where were we" as anything or nothing."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ResumeReport:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/") or not wants_resume(text):
                continue
            intent = message.get(INTENT) or {}
            if intent.get("name") == REPORT_CLAIM:
                continue
            message.set(INTENT, {"name": REPORT_CLAIM, "confidence": 1.0}, add_to_output=True)
            ranking = [entry for entry in message.get(INTENT_RANKING_KEY) or []
                       if entry.get("name") != REPORT_CLAIM]
            message.set(INTENT_RANKING_KEY,
                        [{"name": REPORT_CLAIM, "confidence": 1.0}, *ranking],
                        add_to_output=True)
        return messages
