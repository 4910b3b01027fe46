"""Sentence features for intents: TF-IDF of words, word pairs and character n-grams."""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file
from sklearn.feature_extraction.text import TfidfVectorizer

logger = logging.getLogger(__name__)

# A long number says something about the intent by its shape (a four-digit phone ending, a year,
# a claim number), never by its digits, so runs of four or more digits are masked. Shorter ones
# are words in their own right: scores ("9分"), "88" (bye), "3q" (thanks).
_LONG_NUMBER = re.compile(r"\d{4,}")
VOCABULARY_FILE = "vocabularies.json"


def featurised_text(tokens: List[str]) -> str:
    """The text the n-grams are taken from: the tokens, space-separated, long numbers masked."""
    text = " ".join(token for token in tokens if token.strip())
    return _LONG_NUMBER.sub(lambda number: "0" * len(number.group()), text)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class SentenceFeaturizer(SparseFeaturizer, GraphComponent):
    """One sparse sentence vector per message for a linear intent classifier.

    Rasa's CountVectorsFeaturizer gives raw counts, so a long message outweighs a short one and
    the classifier has to learn lengths; short replies ("算啦", "ta") were its weakest intents.
    Here each n-gram family is TF-IDF weighted with a logarithmic term frequency and scaled to
    unit length: words and word pairs (Jieba's segmentation, so "不 想" is one feature),
    character n-grams within words (typos, traditional/simplified leftovers, inflections) and
    character n-grams across word boundaries (Chinese phrases Jieba cut apart). Only sentence
    features are made: the classifier reads nothing else, and entities come from regexes.
    """

    @classmethod
    def required_components(cls) -> List[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **SparseFeaturizer.get_default_config(),
            # [min, max] n for each family; an empty list leaves the family out.
            "word_ngrams": [1, 2],
            "char_wb_ngrams": [1, 4],
            "char_ngrams": [3, 5],
            "sublinear_tf": True,
            "min_df": 1,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        vectorizers: Dict[str, TfidfVectorizer] | None = None,
    ) -> None:
        super().__init__(execution_context.node_name, config)
        self._model_storage = model_storage
        self._resource = resource
        self.vectorizers: Dict[str, TfidfVectorizer] = vectorizers or {}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceFeaturizer:
        return cls(config, model_storage, resource, execution_context)

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        for key in ("word_ngrams", "char_wb_ngrams", "char_ngrams"):
            value = config.get(key)
            if value and (len(value) != 2 or not 1 <= value[0] <= value[1]):
                raise ValueError(f"{key} must be [min, max] with 1 <= min <= max, not {value}")

    def _families(self) -> List[Tuple[str, Dict[str, Any]]]:
        families = []
        for name, analyzer in (("word", "word"), ("char_wb", "char_wb"), ("char", "char")):
            ngrams = self._config.get(f"{name}_ngrams")
            if ngrams:
                families.append((name, {"analyzer": analyzer, "ngram_range": tuple(ngrams)}))
        return families

    def _new_vectorizer(self, params: Dict[str, Any], **extra: Any) -> TfidfVectorizer:
        if params["analyzer"] == "word":
            extra["token_pattern"] = r"\S+"  # the tokenizer's tokens, punctuation included
        return TfidfVectorizer(
            **params,
            lowercase=True,
            sublinear_tf=bool(self._config["sublinear_tf"]),
            norm="l2",
            dtype=np.float32,
            **extra,
        )

    @staticmethod
    def _text_of(message: Message) -> str | None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        if not tokens:
            return None
        return featurised_text([token.text for token in tokens])

    def train(self, training_data: TrainingData) -> Resource:
        texts = [t for t in map(self._text_of, training_data.training_examples) if t]
        if not texts:
            logger.debug("No training text: %s stays untrained.", self.__class__.__name__)
            return self._resource
        self.vectorizers = {}
        for name, params in self._families():
            vectorizer = self._new_vectorizer(params, min_df=int(self._config["min_df"]))
            vectorizer.fit(texts)
            self.vectorizers[name] = vectorizer
        self.persist()
        return self._resource

    def _features(self, text: str) -> scipy.sparse.coo_matrix:
        blocks = [self.vectorizers[name].transform([text]) for name, _ in self._families()]
        return scipy.sparse.hstack(blocks).tocoo()

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.vectorizers:
            return messages
        for message in messages:
            text = self._text_of(message)
            if text is None:
                continue
            self.add_features_to_message(None, self._features(text), TEXT, message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def persist(self) -> None:
        # Vocabularies and IDF weights as JSON: nothing executable in the model file.
        stored = {
            name: {
                "vocabulary": {term: int(index) for term, index in v.vocabulary_.items()},
                "idf": [float(x) for x in v.idf_],
            }
            for name, v in self.vectorizers.items()
        }
        with self._model_storage.write_to(self._resource) as model_dir:
            dump_obj_as_json_to_file(model_dir / VOCABULARY_FILE, stored)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceFeaturizer:
        featurizer = cls(config, model_storage, resource, execution_context)
        try:
            with model_storage.read_from(resource) as model_dir:
                stored = read_json_file(model_dir / VOCABULARY_FILE)
        except (ValueError, FileNotFoundError):
            logger.debug("No stored vocabularies for %s: untrained.", cls.__name__)
            return featurizer
        for name, params in featurizer._families():
            if name not in stored:
                continue
            vectorizer = featurizer._new_vectorizer(
                params, vocabulary=stored[name]["vocabulary"]
            )
            vectorizer.idf_ = np.asarray(stored[name]["idf"], dtype=np.float64)
            featurizer.vectorizers[name] = vectorizer
        return featurizer
