"""Real audio through the real model (packaged Whisper base, int8 on CPU): English speech made by
espeak-ng and delivered the way channels deliver it, numbers spoken, and everything that must not
be taken for words. The model is loaded once for the module."""
import re
import threading

import pytest

from bot.speech import REASONS, Transcript, heard_line, load_model, recognise, shared_model
from bot.speech.model import SpeechModelError
from tests.support.audio import convert, silence, speak, tone


@pytest.fixture(scope="module")
def model():
    return shared_model()


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


SENTENCE = "I would like to check the status of my claim please."


@pytest.mark.parametrize("fmt", ["wav", "ulaw8k", "ogg", "mp3"])
def test_english_speech_in_every_channel_format_is_understood(model, fmt):
    transcript = recognise(speak(SENTENCE, fmt), language="en", model=model)
    assert transcript.understood, transcript
    assert transcript.reason is None
    assert transcript.language == "en"
    assert {"check", "status", "claim"} <= words(transcript.text)
    assert 2.0 < transcript.duration_s < 6.0
    assert 0.4 < transcript.confidence <= 1.0


def test_the_language_is_detected_when_not_given(model):
    transcript = recognise(speak(SENTENCE, "ogg"), model=model)
    assert transcript.understood and transcript.language == "en"
    assert {"check", "status", "claim"} <= words(transcript.text)


def test_a_path_works_like_bytes(model, tmp_path):
    path = tmp_path / "note.ogg"
    path.write_bytes(speak(SENTENCE, "ogg"))
    assert {"check", "status"} <= words(recognise(path, "en", model=model).text)


def test_a_spoken_amount_comes_out_in_digits(model):
    transcript = recognise(speak("The repair cost is about two thousand five hundred yuan.",
                                 "ogg"), "en", model=model)
    assert transcript.understood
    assert "2500" in transcript.text.replace(",", "")


def test_a_spoken_phone_number_comes_out_in_digits(model):
    from bot.parsing import parse_phone_last4

    transcript = recognise(speak(
        "My phone number is one three eight, double oh, one three eight, triple oh.", "mp3"),
        "en", model=model)
    assert transcript.understood
    assert "138" in transcript.text
    assert parse_phone_last4(transcript.text) == "8000"


def test_the_customer_sees_what_was_heard(model):
    transcript = recognise(speak(SENTENCE, "wav"), "en", model=model)
    assert heard_line(transcript, "en") == f"I heard: “{transcript.text.rstrip('.')}”. If " \
        "that's wrong, say it again or type it."
    assert ".”" not in heard_line(transcript, "en")
    assert heard_line(transcript, "zh").startswith("我听到的是：“")


@pytest.mark.parametrize("make_audio, reason", [
    (lambda: silence(3), "silence"),
    (lambda: silence(3, "ulaw8k"), "silence"),
    (lambda: tone(3), "silence"),  # a beep or hold music is no speech either
    (lambda: tone(4, "ogg", frequency=300), "silence"),
    (lambda: b"", "empty"),
    (lambda: b"\x00" * 4000, "empty"),
    (lambda: b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x13" * 500, "undecodable"),
    (lambda: b"this is not audio at all, just text" * 50, "undecodable"),
    (lambda: speak(SENTENCE, "ogg")[:600], "undecodable"),  # cut off inside the headers
])
def test_what_is_not_speech_is_not_understood_and_nothing_raises(model, make_audio, reason):
    transcript = recognise(make_audio(), "en", model=model)
    assert not transcript.understood
    assert transcript.reason == reason
    assert transcript.text == ""
    assert heard_line(transcript, "zh") == "抱歉，没有听清，请再说一遍。您也可以直接打字。"


def test_speech_played_backwards_is_not_passed_on_as_words(model):
    backwards = convert_reversed(speak("I want to report a car accident yesterday afternoon."))
    for language in ("en", "zh", None):
        transcript = recognise(backwards, language, model=model)
        assert not transcript.understood, transcript
        assert transcript.reason == "low_confidence"
        assert transcript.text == ""


def convert_reversed(audio: bytes) -> bytes:
    import subprocess

    return subprocess.run(["ffmpeg", "-v", "error", "-i", "pipe:0", "-af", "areverse", "-f",
                           "wav", "pipe:1"], input=audio, check=True, capture_output=True).stdout


def test_a_recording_longer_than_the_limit_is_refused_before_transcribing(model, monkeypatch):
    from bot.settings import get_settings

    limit = get_settings().max_voice_seconds
    for fmt in ("wav", "ogg"):
        transcript = recognise(silence(limit + 30, fmt), "en", model=model)
        assert (transcript.understood, transcript.reason) == (False, "too_long")
        assert transcript.processing_s < 5  # refused from the header or while decoding
    assert str(limit) in heard_line(transcript, "en")


def test_a_recording_without_a_declared_length_is_cut_off_at_the_limit(model, monkeypatch):
    from bot.settings import get_settings

    monkeypatch.setenv("CLAIMS_MAX_VOICE_SECONDS", "3")
    get_settings.cache_clear()
    try:
        # Raw mp3 frames declare no length: the decoder stops once past the limit.
        long_note = convert(speak(SENTENCE + " " + SENTENCE, "wav"), "mp3")
        transcript = recognise(long_note, "en", model=model)
        assert transcript.reason == "too_long"
        assert heard_line(transcript, "zh") == \
            "这段语音太长了，我最多能听 3 秒。请分几段说，或者直接打字。"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_a_file_larger_than_the_upload_limit_is_refused_unread(model, monkeypatch, tmp_path):
    from bot.settings import get_settings

    monkeypatch.setenv("CLAIMS_MAX_UPLOAD_BYTES", "1000")
    get_settings.cache_clear()
    try:
        big = tmp_path / "big.wav"
        big.write_bytes(speak(SENTENCE))
        assert recognise(big, "en", model=model).reason == "too_large"
        assert recognise(big.read_bytes(), "en", model=model).reason == "too_large"
        assert recognise(tmp_path / "missing.wav", "en", model=model).reason == "undecodable"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_every_reason_is_one_of_the_contract(model):
    assert set(REASONS) == {"empty", "silence", "low_confidence", "undecodable", "too_long",
                            "too_large"}
    assert Transcript(understood=False, reason="empty").text == ""


def test_the_model_is_loaded_once_and_shared_between_threads(model):
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(shared_model())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(loaded is model for loaded in seen)


def test_concurrent_recognitions_each_get_their_own_words(model):
    clips = {"status": speak(SENTENCE, "ulaw8k"),
             "repair": speak("The repair cost is about two thousand five hundred yuan.", "ogg")}
    results = {}

    def run(key):
        results[key] = recognise(clips[key], "en")

    threads = [threading.Thread(target=run, args=(key,)) for key in clips]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "status" in words(results["status"].text)
    assert "repair" in words(results["repair"].text)


def test_a_model_that_cannot_be_loaded_is_a_clear_error(tmp_path):
    with pytest.raises(SpeechModelError, match="cannot be loaded"):
        load_model(str(tmp_path / "no-such-model"))


def test_a_decoder_loop_is_cut_to_what_was_said_once_or_refused():
    from bot.speech.recogniser import _HALLUCINATIONS, _LOOP_RE, _said_once

    assert _said_once("Thank you very much. Thank you very much. Thank you") == \
        "Thank you very much."
    assert _said_once("我要报案。我要报案。我要") == "我要报案。"
    assert _said_once("I want to report a claim about my car.") is None
    assert _LOOP_RE.search("The repair cost is 2,000,000,000,000,000,000,000,000")
    assert _LOOP_RE.search("无人无人无人无人无人无人无人无人")
    assert not _LOOP_RE.search("My phone number is 13800138000")
    for invented in ("Thanks for watching!", "Thank you for watching.", "谢谢观看",
                     "字幕由Amara.org社区提供"):
        assert _HALLUCINATIONS.match(invented)
    for said in ("Thank you.", "Bye!", "谢谢", "Thank you, I want to check my claim."):
        assert not _HALLUCINATIONS.match(said)


# --- what is done with a decoder's low-confidence guess (its decoding stood in for) ------------

def _decoded_as(monkeypatch, text: str, avg_logprob: float, no_speech: float = 0.1) -> None:
    """The decoder's one window says `text` at `avg_logprob`: the turn's audio is real speech,
    only what Whisper makes of it is fixed, so the decisions after decoding are what is tried."""
    from types import SimpleNamespace

    from bot.speech import recogniser

    segment = SimpleNamespace(text=text, tokens=list(range(len(text) + 2)),
                              avg_logprob=avg_logprob, no_speech_prob=no_speech,
                              compression_ratio=0.7)
    monkeypatch.setattr(recogniser, "_one_window",
                        lambda *args, **kwargs: ([segment], "zh", 1.0))


@pytest.mark.parametrize("heard, logprob, text", [
    ("我要转人工。", -1.2, "我要转人工"),  # a key request heard well enough to act on
    ("唯有債刃工", -0.99, "唯有转人工"),  # 我要转人工 blurred by a phone line, lead-in and all
    ("帮我再引工", -1.3, "帮我转人工"),
])
def test_a_key_request_heard_with_little_confidence_is_still_acted_on(
        monkeypatch, heard, logprob, text):
    _decoded_as(monkeypatch, heard, logprob)
    transcript = recognise(speak("transfer me to a person please"), "zh")
    assert transcript.understood and transcript.text == text, transcript


@pytest.mark.parametrize("heard, logprob", [
    ("唯有債刃工", -1.8),  # below what a key request may be taken at
    ("昨天下午在中山路", -1.2),  # no key request: an ordinary sentence needs full confidence
    ("在职员工", -1.2),  # zhi makes a word with the syllable before: not 转人工
])
def test_anything_else_heard_with_little_confidence_is_asked_again(monkeypatch, heard, logprob):
    _decoded_as(monkeypatch, heard, logprob)
    transcript = recognise(speak("transfer me to a person please"), "zh")
    assert not transcript.understood and transcript.reason == "low_confidence", transcript
