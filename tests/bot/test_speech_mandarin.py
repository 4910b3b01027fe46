"""Mandarin speech through the real model (packaged Whisper base, int8 on CPU): sentences spoken
by espeak-ng's Mandarin voice, recognised with the claims vocabulary; the language forced from
the conversation's choice and never guessed on a short clip. A few seconds in all."""
import pytest

from bot.speech import recognise, shared_model
from bot.speech.lexicon import key_request
from tests.support.audio import speak

# espeak-ng's `cmn` voice reading its dictionary's pinyin as pinyin (Debian's plain `cmn` reads
# it as English letters); see benchmarks/speech_zh/render.py.
MANDARIN = "cmn-latn-pinyin"


@pytest.fixture(scope="module")
def model():
    return shared_model()


@pytest.mark.parametrize("sentence, phrase, fmt", [
    ("查进度", "查进度", "ulaw8k"),  # phone audio
    ("我要投诉", "投诉", "wav"),
])
def test_a_key_request_spoken_in_mandarin_is_heard(model, sentence, phrase, fmt):
    transcript = recognise(speak(sentence, fmt, voice=MANDARIN, words_per_minute=140), "zh",
                           model=model)
    assert transcript.understood, transcript
    assert transcript.language == "zh"
    assert key_request(transcript.text) == phrase
    assert transcript.raw_text  # what the model said, kept beside the corrected text


def test_the_plain_decoding_is_still_there_for_comparison(model):
    audio = speak("查进度", "wav", voice=MANDARIN, words_per_minute=140)
    plain = recognise(audio, "zh", model=model, domain=False)
    assert plain.language == "zh" and plain.corrections == ()


def test_a_short_clip_in_an_unknown_language_is_not_guessed(model):
    # Under a second and a half of speech: the service's first language, not a guess.
    transcript = recognise(speak("Yes.", "wav"), None, model=model)
    assert transcript.speech_s < 1.5
    assert transcript.language == "zh"


def test_the_conversations_language_is_forced_whatever_the_clip(model):
    transcript = recognise(speak("Yes.", "wav"), "en", model=model)
    assert transcript.language == "en"
    assert transcript.understood and "yes" in transcript.text.lower()


@pytest.mark.parametrize("text, once", [
    ("前天晚上8点左右。前天晚上8点左右。", "前天晚上8点左右。"),  # the decoder said it twice
    ("我要报案我要报案", "我要报案"),
    ("12341234", None),  # a code may repeat itself
    ("13800138000", None),
    ("算了算了", None),  # too short to be the decoder's doing
    ("我要报案", None),
])
def test_a_sentence_the_decoder_said_twice_counts_once(text, once):
    from bot.speech.recogniser import _said_twice

    assert _said_twice(text) == once


@pytest.mark.parametrize("text, once", [
    ("不用了。不用了", "不用了"),
    ("不对。不对。", "不对"),
    ("转人工，转人工", "转人工"),
    ("对对对", None),  # how people say it
    ("算了算了", None),
    ("不对。不是", None),  # two different answers
    ("中山路。中山路", None),  # not an answer: left to the other checks
])
def test_a_short_answer_the_decoder_wrote_twice_counts_once(text, once):
    from bot.speech.recogniser import _answer_said_twice

    assert _answer_said_twice(text) == once


def test_a_mandarin_transcript_reaches_the_nlu_without_the_decoders_final_punctuation(model):
    transcript = recognise(speak("我要投诉", "wav", voice=MANDARIN, words_per_minute=140), "zh",
                           model=model)
    assert transcript.understood, transcript
    assert transcript.text and transcript.text[-1] not in "。.?？!！,，"
