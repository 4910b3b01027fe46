"""Puts every message into the form the model was trained on, before tokenisation."""
from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language import normalise
from bot.settings import get_settings

ORIGINAL_LENGTH = "original_length"
HAS_WORDS = "has_words"
NO_WORDS_PLACEHOLDER = "…"
# Letters of any script or digits: a message without any is emoji, punctuation or nothing.
MEANINGFUL = re.compile(r"[^\W_]", re.UNICODE)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class TextNormaliser(GraphComponent):
    """Traditional to simplified, full-width to half-width, and a cap on length.

    The cap keeps a 10,000-character message from costing the model seconds; the original
    length is kept on the message so the guard can answer that it was too long.
    """

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
    ) -> TextNormaliser:
        return cls(config)

    def _normalise(self, message: Message) -> None:
        text: str | None = message.get(TEXT)
        if not isinstance(text, str):
            return
        message.set(ORIGINAL_LENGTH, len(text))
        message.set(TEXT, normalise(text[: self._max_chars]))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            text = example.get(TEXT)
            if not text:
                continue
            if example.get("entities") and len(normalise(text)) != len(text):
                # Entity offsets would no longer point at the right characters.
                continue
            self._normalise(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalise(message)
            text = message.get(TEXT)
            has_words = isinstance(text, str) and bool(MEANINGFUL.search(text))
            message.set(HAS_WORDS, has_words)
            if not has_words:
                # Classifiers fail on a message with no features at all (""), so they are given
                # a placeholder; the guard answers such messages itself.
                message.set(TEXT, NO_WORDS_PLACEHOLDER)
        return messages
