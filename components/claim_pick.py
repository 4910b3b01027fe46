"""A short message that picks from a list ("第二个", "尾号004那个", "the october one") is an answer
naming a claim, whatever the classifier guessed: it never starts a complaint or a report."""
from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.claims.status import looks_like_pick
from components.words import WordsCheck, set_intent

INFORM = "inform"
CLAIM_NUMBER = "claim_number"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class ClaimPickCheck(WordsCheck):
    """Turns a pick from a list into `inform` with the words as the claim_number entity; the
    status action (bot.claims.status.pick_claim) reads which claim they name."""

    def check(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        if text.startswith("/") or not looks_like_pick(text):
            return
        entities = [entity for entity in message.get(ENTITIES) or []
                    if entity.get("entity") != CLAIM_NUMBER]
        if len(entities) != len(message.get(ENTITIES) or []):
            return  # a real claim number was found: the regex extractor has it
        entities.append({"entity": CLAIM_NUMBER, "value": text.strip(), "start": 0,
                         "end": len(text), "extractor": type(self).__name__})
        message.set(ENTITIES, entities, add_to_output=True)
        set_intent(message, INFORM)
