"""A short message that picks from a list ("第二个", "尾号004那个", "the october one") is an answer
naming a claim, whatever the classifier guessed: it never starts a complaint or a report."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.claims.status import looks_like_pick

INFORM = "inform"
CLAIM_NUMBER = "claim_number"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class ClaimPickCheck(GraphComponent):
    """Turns a pick from a list into `inform` with the words as the claim_number entity; the
    status action (bot.claims.status.pick_claim) reads which claim they name."""

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
    ) -> ClaimPickCheck:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/") or not looks_like_pick(text):
                continue
            entities = [entity for entity in message.get(ENTITIES) or []
                        if entity.get("entity") != CLAIM_NUMBER]
            if len(entities) != len(message.get(ENTITIES) or []):
                continue  # a real claim number was found: the regex extractor has it
            entities.append({"entity": CLAIM_NUMBER, "value": text.strip(), "start": 0,
                             "end": len(text), "extractor": type(self).__name__})
            message.set(ENTITIES, entities, add_to_output=True)
            message.set(INTENT, {"name": INFORM, "confidence": 1.0}, add_to_output=True)
            ranking = [item for item in message.get(INTENT_RANKING_KEY) or []
                       if item.get("name") != INFORM]
            message.set(INTENT_RANKING_KEY, [{"name": INFORM, "confidence": 1.0}, *ranking],
                        add_to_output=True)
        return messages
