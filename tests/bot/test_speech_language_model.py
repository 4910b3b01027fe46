"""The claims language model that chooses among the recogniser's guesses
(bot.speech.language_model): trained on the assistant's own Chinese text, it prefers what a
claims customer says over the near-homophones Whisper base writes."""
import math

import pytest

from bot.speech.language_model import SOURCES, CharModel, chinese, corpus, domain_model


def test_it_learns_from_the_assistants_own_text_and_never_from_tests():
    texts = corpus()
    assert len(texts) > 1000
    assert all(not source.startswith(("tests", "benchmarks")) for source in SOURCES)
    assert any("理赔" in text for text in texts)


@pytest.mark.parametrize("meant, heard", [
    ("我要查理赔进度", "我要查礼培进度"),
    ("后保险杠坏了", "后宝显高坏了"),
    ("免赔额是多少", "面培合是多少"),
    ("我骑车摔倒了，腿骨折了", "我其车摔倒了，退顾折了"),
    ("出院小结要原件吗", "出院小节药原件吗"),
])
def test_what_a_claims_customer_says_is_likelier_than_its_near_homophones(meant, heard):
    model = domain_model()
    assert model.log_prob(meant) > model.log_prob(heard)


def test_punctuation_digits_and_letters_are_not_scored_and_traditional_reads_as_simplified():
    model = domain_model()
    assert model.log_prob("我要报案。") == model.log_prob("我要报案")
    assert model.log_prob("保单号AUTO-2026-0001") == model.log_prob("保单号")
    assert model.log_prob("我要報案") == model.log_prob("我要报案")
    assert model.log_prob("123, ok") == 0.0


def test_a_word_never_seen_costs_more_but_not_infinitely_much():
    model = domain_model()
    unseen = model.log_prob("鬣蜥")
    assert math.isfinite(unseen) and unseen < model.log_prob("理赔")


def test_text_left_out_is_not_learnt():
    sentence = "我要报案"
    assert chinese(sentence) in {chinese(t) for t in corpus()}
    assert domain_model(frozenset([sentence])).log_prob(sentence) < \
        domain_model().log_prob(sentence)


def test_the_probabilities_after_any_context_add_up_to_one():
    vocabulary = 50
    model = CharModel(["理赔进度", "理赔材料", "报案"], order=3, vocabulary=vocabulary)
    seen = set("理赔进度材料报案$")
    for context in ("", "^^", "理赔", "赔进", "鬣蜥"):
        total = sum(model.prob(context, c) for c in seen)
        total += (vocabulary - len(seen)) * model.prob(context, "鬣")  # each unseen character
        assert total == pytest.approx(1.0, abs=1e-9), context


class _Result:
    """The shape of ctranslate2's WhisperGenerationResult that _best_guess reads."""

    def __init__(self, guesses):
        self.sequences_ids = [list(text) for text, _ in guesses]
        self.scores = [score for _, score in guesses]


class _Tokenizer:
    def decode(self, tokens):
        return "".join(tokens)


def test_the_recogniser_takes_the_guess_a_claims_customer_would_say():
    from bot.speech.recogniser import _best_guess

    # The decoder's own favourite is the near-homophone; the language model tips it.
    result = _Result([("我要查礼培进度", -0.30), ("我要查理赔进度", -0.34)])
    assert _best_guess(result, _Tokenizer(), domain_model()) == 1


def test_a_much_better_sounding_guess_still_wins_over_the_language_model():
    from bot.speech.recogniser import _best_guess

    # "人民路" against a likelier phrase the audio does not support: the audio decides.
    result = _Result([("在人民路口", -0.05), ("在理赔进度", -2.5)])
    assert _best_guess(result, _Tokenizer(), domain_model()) == 0


@pytest.mark.parametrize("junk", ["\u200d\u200d\u200d\u200d\u200d。", "♪♪", "对\u202d。"])
def test_a_guess_with_characters_nobody_says_comes_after_every_guess_without(junk):
    from bot.speech.recogniser import _best_guess

    # The language model scores Chinese only: zero-width joiners alone scored 0, the best of all.
    result = _Result([(junk, -0.4), ("那帮我拒赢公罢。", -0.7)])
    assert _best_guess(result, _Tokenizer(), domain_model()) == 1
