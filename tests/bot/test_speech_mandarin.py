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


# --- what the assistant just said: the context a short answer is heard in -------------------

QUESTION = ("没问题请回复“对”，我马上提交；哪里不对直接告诉我，比如“时间是下午四点”。"
            "说“算了”可以取消。")
CONFIRM = f"请核对一下报案信息：\n保单：AUTO-2026-0001\n地点：中山路\n{QUESTION}"


def test_a_short_clip_is_decoded_after_the_question_it_answers_a_long_one_is_not():
    from bot.speech.lexicon import prompt
    from bot.speech.recogniser import CONTEXT_MAX_S, _prompt

    short = _prompt("zh", True, CONTEXT_MAX_S - 0.5, "有人受伤吗？\n有人受伤\n没有人受伤")
    assert short == prompt("zh", short=True) + "有人受伤吗？有人受伤。没有人受伤"
    assert _prompt("zh", True, CONTEXT_MAX_S + 0.5, "有人受伤吗？") == prompt("zh")
    assert _prompt("zh", True, 0.8, None) == prompt("zh", short=True)
    assert _prompt("en", True, 0.8, "Was anyone hurt?") is None  # measured on Mandarin only
    assert _prompt("zh", True, 0.8, "Was anyone hurt?") == prompt("zh", short=True)
    assert _prompt("zh", None, 0.8, "有人受伤吗？") is None  # after a recital: nothing at all
    assert _prompt("zh", False, 0.8, "有人受伤吗？") == "以下是普通话的句子，关于保险理赔。"


@pytest.mark.parametrize("said, context", [
    (CONFIRM, f"地点：中山路。{QUESTION}"),
    ("有人受傷嗎？ 🚑\n· 有人受伤\n· 没有人受伤", "有人受伤吗？有人受伤。没有人受伤"),
    ("", ""),
    (None, ""),
    ("x" * 200, "x" * 60),
])
def test_the_context_is_the_end_of_what_was_said_in_one_plain_simplified_line(said, context):
    # Its last CONTEXT_MAX_CHARS characters, from the start of a sentence: the question.
    from bot.speech.recogniser import CONTEXT_MAX_CHARS, spoken_context

    assert spoken_context(said) == context
    assert len(spoken_context(said)) <= CONTEXT_MAX_CHARS


def test_what_the_assistant_said_is_not_put_in_the_callers_mouth(model):
    """The question in the decoder's prompt must not come back as the caller's answer: no sound,
    a tone and speech played backwards are still not understood, and a caller who says
    something else is heard saying it, not "对"."""
    from bot.speech.recogniser import CONTEXT_MAX_S
    from tests.bot.test_speech import convert_reversed
    from tests.support.audio import silence, tone

    backwards = convert_reversed(speak("对，没问题", "wav", voice=MANDARIN, words_per_minute=140))
    for audio in (silence(2, "ulaw8k"), tone(1, "ulaw8k"), backwards):
        transcript = recognise(audio, "zh", model=model, context=CONFIRM)
        assert not transcript.understood, transcript
    other = recognise(speak("投诉", "ulaw8k", voice=MANDARIN, words_per_minute=140), "zh",
                      model=model, context=CONFIRM)
    assert other.speech_s < CONTEXT_MAX_S  # short enough to be heard after the question
    assert other.understood and key_request(other.text) == "投诉", other


_ASKED = "您好，我可以帮您报案、查理赔进度、解释条款。\n我要报案\n查理赔进度"


@pytest.mark.parametrize("heard", ["我可以帮您", "我可以帮您。", "可以帮您"])
def test_the_assistant_s_own_words_heard_back_are_a_recital(heard):
    from bot.speech.recogniser import recites_context

    assert recites_context(heard, _ASKED)


@pytest.mark.parametrize("heard", [
    "查理赔进度",  # an option's title, said back
    "解释条款",  # a choice the question listed
    "我要报案", "算了", "好的",  # a key request, short answers
    "查理赔进度吧", "我的车在中山路被追尾了",  # words of the caller's own
])
def test_what_a_caller_says_back_from_the_question_is_the_caller_s(heard):
    from bot.speech.recogniser import recites_context

    assert not recites_context(heard, _ASKED)
    assert not recites_context(heard, None)
