"""Confirms a predicted request for a person against the words of the message."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.handoff import names_a_person

REQUEST_HUMAN = "request_human"
NLU_FALLBACK = "nlu_fallback"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class PersonRequestCheck(GraphComponent):
    """A request for a person hands the conversation over at once, even in the middle of a
    form; the classifier sometimes takes an answer with the word 人 in it ("没人受伤") for one.
    A predicted request_human that names no person (nor the machine) becomes nlu_fallback:
    inside a form the words are the answer to its question, outside one the customer is told
    what the assistant can do, "转人工" included."""

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
    ) -> PersonRequestCheck:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            text = message.get(TEXT) or ""
            if intent.get("name") != REQUEST_HUMAN or text.startswith("/"):
                continue  # "/request_human" is a button's payload: asked in so many words
            if names_a_person(text):
                continue
            confidence = float(intent.get("confidence") or 0.0)
            message.set(INTENT, {"name": NLU_FALLBACK, "confidence": confidence},
                        add_to_output=True)
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(INTENT_RANKING_KEY,
                        [{"name": NLU_FALLBACK, "confidence": confidence}, *ranking],
                        add_to_output=True)
        return messages
