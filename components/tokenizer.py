"""Jieba for Chinese, plain words for English, in one tokenizer and without whitespace tokens."""
from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class MixedTokenizer(JiebaTokenizer):
    """Jieba keeps spaces as tokens; in English text that is every other token, all noise."""

    @staticmethod
    def supported_languages() -> List[str] | None:
        return None

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        kept = [token for token in tokens if token.text.strip()]
        for token in kept:
            token.text = token.text.lower()
            token.lemma = token.text
        return kept
