"""The steps after the classifier that read a message's own words where they say more than the
model can (a request for a person, a pick from a list, an emergency, "继续报案"...): what they
share. Each step decides one thing in `check`; the rules themselves live in bot/."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


class WordsCheck(GraphComponent):
    """An untrained step that may set a message's intent (subclasses register themselves with
    `DefaultV1Recipe.register([INTENT_CLASSIFIER], is_trainable=False)`)."""

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
    ) -> WordsCheck:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self.check(message)
        return messages

    def check(self, message: Message) -> None:
        raise NotImplementedError


def set_intent(message: Message, name: str, confidence: float = 1.0) -> None:
    """The message's intent becomes `name`, first in its ranking."""
    ranking = [entry for entry in message.get(INTENT_RANKING_KEY) or []
               if entry.get("name") != name]
    message.set(INTENT, {"name": name, "confidence": confidence}, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [{"name": name, "confidence": confidence}, *ranking],
                add_to_output=True)
