"""The TF-IDF sentence featurizer and the tuned logistic regression: features, training, storage."""
from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.classifier import TunedLogisticRegression
from components.featurizer import SentenceFeaturizer, featurised_text
from components.normaliser import TextNormaliser
from components.tokenizer import MixedTokenizer

EXAMPLES = [
    ("算了 不报了", "cancel"),
    ("取消报案", "cancel"),
    ("stop the claim", "cancel"),
    ("谢谢你", "thank"),
    ("多谢帮忙", "thank"),
    ("thanks a lot", "thank"),
    ("我的理赔到哪一步了", "check_status"),
    ("查一下 CLM-2026-000123 的进度", "check_status"),
    ("where is my claim", "check_status"),
    ("尾号 1234", "inform"),
    ("my phone ends in 5678", "inform"),
    ("1985年4月12日", "inform"),
]


@pytest.fixture()
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def _context(name: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=name)


def _prepare(messages):
    """What the pipeline does before the featurizer: normalise, then tokenise."""
    TextNormaliser({"max_chars": 2000}).process(messages)
    MixedTokenizer(MixedTokenizer.get_default_config(), None, None).process(messages)
    return messages


def _training_data() -> TrainingData:
    messages = [Message(data={TEXT: text, "intent": intent}) for text, intent in EXAMPLES]
    return TrainingData(training_examples=_prepare(messages))


def _featurizer(storage, **config) -> SentenceFeaturizer:
    full = {**SentenceFeaturizer.get_default_config(), **config}
    return SentenceFeaturizer.create(full, storage, Resource("featurizer"), _context("featurizer"))


def _sentence_vector(message: Message) -> np.ndarray:
    sequence, sentence = message.get_sparse_features(TEXT)
    assert sequence is None  # the classifier reads sentence features only
    return sentence.features.toarray()[0]


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        (["尾号", "1234"], "尾号 0000"),
        (["CLM-2026-000123"], "CLM-0000-000000"),
        (["1985", "年", "4", "月", "12", "日"], "0000 年 4 月 12 日"),
        (["88"], "88"),  # "bye", not a number to mask
        (["9", "分"], "9 分"),  # a score keeps its digit
        (["3q"], "3q"),
        (["thanks", " ", "mate"], "thanks mate"),
    ],
)
def test_long_numbers_are_masked_and_short_ones_kept(tokens, expected):
    assert featurised_text(tokens) == expected


def test_each_family_is_scaled_to_unit_length_whatever_the_message_length(storage):
    featurizer = _featurizer(storage)
    featurizer.train(_training_data())
    short, long = _prepare([
        Message(data={TEXT: "谢谢你"}),
        Message(data={TEXT: "谢谢 谢谢 谢谢 谢谢 谢谢 谢谢 谢谢 谢谢 非常感谢 你们帮了大忙"}),
    ])
    featurizer.process([short, long])
    for message in (short, long):
        vector = _sentence_vector(message)
        # Three families (words, char_wb, char), each of norm 1 when it has any known n-gram.
        assert np.isclose(np.sum(vector ** 2), 3.0, atol=1e-4)


def test_phone_endings_share_their_features_whatever_the_digits(storage):
    featurizer = _featurizer(storage)
    featurizer.train(_training_data())
    one, other = _prepare([Message(data={TEXT: "尾号 4321"}), Message(data={TEXT: "尾号 9876"})])
    featurizer.process([one, other])
    assert np.allclose(_sentence_vector(one), _sentence_vector(other))


def test_a_family_can_be_left_out(storage):
    featurizer = _featurizer(storage, char_ngrams=[])
    featurizer.train(_training_data())
    message = _prepare([Message(data={TEXT: "thanks"})])[0]
    featurizer.process([message])
    assert np.isclose(np.sum(_sentence_vector(message) ** 2), 2.0, atol=1e-4)


@pytest.mark.parametrize("bad", [[0, 2], [3, 1], [2]])
def test_bad_ngram_ranges_are_refused(bad):
    with pytest.raises(ValueError, match="word_ngrams"):
        SentenceFeaturizer.validate_config({"word_ngrams": bad})


def test_stored_vocabularies_give_the_same_features_after_loading(storage):
    featurizer = _featurizer(storage)
    featurizer.train(_training_data())
    loaded = SentenceFeaturizer.load(
        {**SentenceFeaturizer.get_default_config()}, storage, Resource("featurizer"),
        _context("featurizer"),
    )
    before, after = _prepare([Message(data={TEXT: "查一下进度 CLM-2025-000777"}),
                              Message(data={TEXT: "查一下进度 CLM-2025-000777"})])
    featurizer.process([before])
    loaded.process([after])
    assert np.allclose(_sentence_vector(before), _sentence_vector(after))


def test_an_untrained_featurizer_leaves_messages_alone(storage):
    featurizer = SentenceFeaturizer.load(
        {**SentenceFeaturizer.get_default_config()}, storage, Resource("never-trained"),
        _context("featurizer"),
    )
    message = _prepare([Message(data={TEXT: "你好"})])[0]
    featurizer.process([message])
    assert message.get_sparse_features(TEXT) == (None, None)


def _classifier(storage, c: float) -> TunedLogisticRegression:
    config = {**TunedLogisticRegression.get_default_config(), "C": c}
    return TunedLogisticRegression.create(config, storage, Resource("clf"), _context("clf"))


def test_the_classifier_uses_its_configured_penalty_and_survives_storage(storage):
    data = _training_data()
    featurizer = _featurizer(storage)
    featurizer.train(data)
    featurizer.process_training_data(data)
    classifier = _classifier(storage, 30)
    assert classifier.clf.C == 30
    classifier.train(data)

    loaded = TunedLogisticRegression.load(
        {**TunedLogisticRegression.get_default_config(), "C": 30}, storage, Resource("clf"),
        _context("clf"),
    )
    assert loaded.clf.C == 30
    messages = _prepare([Message(data={TEXT: text}) for text in
                         ("算了 不弄了", "谢谢啊", "手机尾号 2468", "where's my claim now")])
    featurizer.process(messages)
    loaded.process(messages)
    assert [m.get("intent")["name"] for m in messages] == [
        "cancel", "thank", "inform", "check_status"]


@pytest.mark.parametrize("bad", [0, -1])
def test_a_penalty_that_is_not_positive_is_refused(bad):
    with pytest.raises(ValueError, match="C must be positive"):
        TunedLogisticRegression.validate_config({"C": bad})
