"""Overrides the predicted intent for messages no model should guess about."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.settings import get_settings
from components.normaliser import HAS_WORDS, MEANINGFUL, ORIGINAL_LENGTH

MESSAGE_TOO_LONG = "message_too_long"
NO_TEXT = "no_text"



@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class MessageGuard(GraphComponent):
    """Too-long and empty/emoji-only messages get intents of their own with full confidence."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"max_chars": None}

    def __init__(self, config: Dict[str, Any]) -> None:
        self._max_chars = int(config.get("max_chars") or get_settings().max_message_chars)

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageGuard:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            length = message.get(ORIGINAL_LENGTH) or len(text)
            if length > self._max_chars:
                self._override(message, MESSAGE_TOO_LONG)
            elif not message.get(HAS_WORDS, bool(MEANINGFUL.search(text))):
                self._override(message, NO_TEXT)
        return messages

    @staticmethod
    def _override(message: Message, intent: str) -> None:
        message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}], add_to_output=True)
        message.set("entities", [], add_to_output=True)
