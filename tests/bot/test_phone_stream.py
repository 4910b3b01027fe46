"""The streamed phone call's pieces on synthetic audio: the mu-law frame codec, the end of a
turn found by voice-activity detection (espeak-ng speech, pauses, noise, a tone), barge-in, and
replies cut into short parts without emoji."""
from __future__ import annotations

import audioop
import base64
import math
import random

import pytest

from bot.phone.codec import (
    FRAME_BYTES,
    RATE,
    decode_payload,
    encode_frames,
    pcm_wav,
    resample,
    wav_pcm,
)
from bot.phone.speaking import parts
from bot.phone.turns import BARGE_IN, END, NO_INPUT, SPEECH, Endpointer, Tuning, frame_dbfs
from tests.support.audio import speak

FRAME = 320  # bytes of 16-bit PCM in 20 ms


def silence_pcm(ms: int) -> bytes:
    return b"\x00\x00" * (RATE * ms // 1000)


def noise_pcm(ms: int, amplitude: int = 60, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    samples = [rng.randint(-amplitude, amplitude) for _ in range(RATE * ms // 1000)]
    return b"".join(s.to_bytes(2, "little", signed=True) for s in samples)


def tone_pcm(ms: int, frequency: int = 440, amplitude: int = 8000) -> bytes:
    return b"".join(int(amplitude * math.sin(2 * math.pi * frequency * i / RATE)).to_bytes(
        2, "little", signed=True) for i in range(RATE * ms // 1000))


def mix(a: bytes, b: bytes) -> bytes:
    n = min(len(a), len(b))
    return audioop.add(a[:n], b[:n], 2)


def spoken(text: str, voice: str) -> bytes:
    """`text` by espeak-ng as 8 kHz PCM, cut to its first and last loud frame (so the tests
    control every pause)."""
    pcm, rate = wav_pcm(speak(text, "wav", voice=voice, pad_seconds=0.0))
    pcm = resample(pcm, rate)
    loud = [i for i in range(0, len(pcm) - FRAME + 1, FRAME)
            if frame_dbfs(pcm[i:i + FRAME]) > -40]
    return pcm[loud[0]:loud[-1] + FRAME]


@pytest.fixture(scope="module")
def words() -> bytes:
    return spoken("I want to report a claim", "en-us")


@pytest.fixture(scope="module")
def zh_words() -> bytes:
    return spoken("我要报案", "cmn")


def events(turn: Endpointer, pcm: bytes, heard: list | None = None) -> list[tuple[int, str]]:
    """(ms into the audio, event) for each event the frames give; at the end of a turn its
    audio goes to `heard` and the next turn is listened for, as the stream does."""
    out = []
    for i in range(0, len(pcm) - FRAME + 1, FRAME):
        event = turn.feed(pcm[i:i + FRAME])
        if event:
            out.append(((i // FRAME + 1) * 20, event))
        if event == END:
            if heard is not None:
                heard.append(turn.utterance())
            turn.reset()
    return out


# --- codec -------------------------------------------------------------------------------------

def test_frames_are_20_ms_of_mulaw_and_decode_back(words):
    payloads = encode_frames(words)
    assert all(len(base64.b64decode(p)) == FRAME_BYTES for p in payloads)
    assert len(payloads) == math.ceil(len(words) / 2 / FRAME_BYTES)
    back = b"".join(decode_payload(p) for p in payloads)[: len(words)]
    # mu-law keeps the shape of the signal: the loudness of the whole is within 1 dB.
    assert abs(frame_dbfs(back) - frame_dbfs(words)) < 1.0


def test_a_bad_payload_decodes_to_nothing():
    assert decode_payload("not base64!!") == b""
    assert decode_payload("") == b""


def test_pcm_wav_round_trip():
    pcm = tone_pcm(100)
    assert wav_pcm(pcm_wav(pcm)) == (pcm, RATE)


# --- endpointing -------------------------------------------------------------------------------

def test_a_turn_ends_800_ms_after_the_last_word_not_after_3_s(words):
    turn, heard = Endpointer(Tuning()), []
    audio = silence_pcm(500) + words + silence_pcm(3000)
    got = events(turn, audio, heard)
    assert [e for _, e in got] == [SPEECH, END]
    speech_ends_ms = (500 + len(words) // 2 * 1000 // RATE)
    assert got[1][0] - speech_ends_ms == pytest.approx(800, abs=60), got
    assert len(heard[0]) >= len(words) * 0.9


def test_a_pause_mid_sentence_keeps_the_turn_open_and_elderly_callers_get_longer(words):
    audio = words + silence_pcm(1000) + words + silence_pcm(2000)
    assert [e for _, e in events(Endpointer(Tuning()), audio)] == [SPEECH, END, SPEECH, END]
    # 1 s of thinking is not the end of an elderly caller's turn.
    elderly, heard = Endpointer(Tuning.for_caller(elderly=True)), []
    got = events(elderly, audio, heard)
    assert [e for _, e in got] == [SPEECH, END]
    assert len(heard[0]) > 2 * len(words) * 0.9


def test_speech_over_line_noise_still_ends(words):
    noisy = mix(noise_pcm(500 + len(words) // 16 + 2000, amplitude=200),
                silence_pcm(500) + words + silence_pcm(2000))
    assert [e for _, e in events(Endpointer(), noisy)] == [SPEECH, END]


def test_a_click_is_not_a_turn_and_silence_is_no_input():
    turn = Endpointer(Tuning(no_input_ms=2000))
    audio = silence_pcm(300) + tone_pcm(40) + silence_pcm(2000)
    assert [e for _, e in events(turn, audio)] == [NO_INPUT]


def test_music_that_never_pauses_ends_at_the_turn_limit():
    turn = Endpointer(Tuning(max_turn_ms=5000))
    got = events(turn, tone_pcm(7000))
    assert [e for _, e in got] == [SPEECH, END, SPEECH]  # and the next turn starts at once
    assert got[1][0] == pytest.approx(5000, abs=300)


def test_mandarin_speech_is_a_turn(zh_words):
    assert [e for _, e in events(Endpointer(), zh_words + silence_pcm(1500))] == [SPEECH, END]


# --- barge-in ----------------------------------------------------------------------------------

def test_the_caller_talking_over_a_reply_interrupts_it_and_takes_the_turn(words):
    turn = Endpointer()
    turn.start_playing()
    got = events(turn, silence_pcm(400) + words + silence_pcm(1500))
    assert [e for _, e in got] == [SPEECH, BARGE_IN, END]
    assert got[1][0] - got[0][0] == pytest.approx(240, abs=60)  # 300 ms of speech in a row


def test_a_cough_over_a_reply_does_not_interrupt_it_and_no_input_waits_for_the_reply():
    turn = Endpointer(Tuning(no_input_ms=1000))
    turn.start_playing()
    got = events(turn, silence_pcm(200) + tone_pcm(120) + silence_pcm(3000))
    assert [e for _, e in got] == [SPEECH]  # no barge-in, no end, no "are you there?"
    turn.done_playing()
    assert [e for _, e in events(turn, silence_pcm(1100))] == [NO_INPUT]


# --- what is said ------------------------------------------------------------------------------

def test_replies_are_said_in_short_parts_without_emoji():
    text = ("好的👍 我为您记下：车辆在中山路被追尾，后保险杠受损，没有人受伤，维修大约三千元，"
            "事故时间是昨天下午三点左右。请问您的保单号是多少？")
    got = parts(text)
    assert all(len(part) <= 40 for part in got), got
    assert "".join(got).replace(" ", "") == text.replace("👍", "").replace(" ", "")
    assert parts("OK. Your claim is saved ✅. What next?") == [
        "OK.", "Your claim is saved .", "What next?"]
    assert parts("👍") == []


# --- the TwiML that connects a call to the stream ----------------------------------------------

def test_a_streamed_call_connects_with_its_state_and_falls_back_by_redirect():
    from urllib.parse import parse_qs

    from channels.twilio_voice_twiml import CallState, Twiml, VoiceConfig

    state = CallState(lang="zh", consent=True, stream=True)
    assert CallState.from_args(parse_qs(state.query())) == state
    assert "stream" not in CallState().query()  # recorded calls' URLs are as before
    twiml = Twiml(VoiceConfig(), "https://claims.example.com/webhooks/twilio_voice", 30)
    url = twiml.stream_url("https://claims.example.com/webhooks/twilio_voice")
    assert url == "wss://claims.example.com/webhooks/twilio_voice/stream"
    xml = str(twiml.stream(state, ["您好"], url,
                           {**twiml.stream_state(state, "+8613800000001"), "token": "t0"}))
    assert "<Say" in xml and f'<Stream url="{url}">' in xml
    assert '<Parameter name="token" value="t0" />' in xml
    assert '<Parameter name="lang" value="zh" />' in xml
    assert '<Parameter name="from" value="+8613800000001" />' in xml
    assert xml.index("</Connect>") < xml.index("<Redirect")
    assert "/streamed?" in xml and "stream=1" in xml and "<Record" not in xml


# --- the stream's handling of keys and barge-in (channels/twilio_voice_stream.py) ---------------

class FakeSocket:
    """What StreamedCall sends, kept."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, text: str) -> None:
        import json

        self.sent.append(json.loads(text))


def test_a_key_pressed_while_the_caller_talks_wins_and_stops_the_reply(words):
    import asyncio

    from channels.twilio_voice_stream import StreamedCall

    async def scenario() -> tuple[StreamedCall, FakeSocket]:
        ws = FakeSocket()
        call = StreamedCall(channel=None, on_new_message=None, request=None, ws=ws)
        call.stream_sid = "MZ" + "0" * 32
        call.pending_marks = {"1:您好"}  # a reply is playing
        call.turn.start_playing()
        for i in range(0, len(words) // 2, FRAME):  # the caller starts talking...
            call.turn.feed(words[i:i + FRAME])
        await call._dtmf("0")  # ...and presses 0 in the middle of it
        return call, ws

    call, ws = asyncio.run(scenario())
    assert [m["event"] for m in ws.sent] == ["clear"]
    assert ws.sent[0]["streamSid"] == "MZ" + "0" * 32
    assert call.work.get_nowait() == ("key", "0") and call.work.empty()
    assert not call.turn.speaking  # the words said before the key are dropped
    assert call.interrupted.is_set()


def test_star_then_digits_then_hash_is_one_typed_answer():
    import asyncio

    from channels.twilio_voice_stream import StreamedCall

    async def scenario() -> StreamedCall:
        call = StreamedCall(channel=None, on_new_message=None, request=None, ws=FakeSocket())
        for key in "*19850412#":
            await call._dtmf(key)
            if key == "*":  # the worker takes "*" and starts the keypad
                assert call.work.get_nowait() == ("key", "*")
                call.keypad = ""
        return call

    call = asyncio.run(scenario())
    assert call.work.get_nowait() == ("digits", "19850412") and call.keypad is None


def test_a_streamed_reply_is_never_cut_inside_a_number(monkeypatch):
    """What the caller hears on the stream, part by part (each part's mark names it): "3,000"
    and "1,250.50" stay whole, however long the sentence around them."""
    import asyncio

    from bot.phone import speaking
    from channels.twilio_voice_stream import StreamedCall

    monkeypatch.setattr(speaking, "render", lambda text, lang: silence_pcm(40))

    class EchoSocket(FakeSocket):
        def __init__(self) -> None:
            super().__init__()
            self.call: StreamedCall | None = None

        async def send(self, text: str) -> None:
            await super().send(text)
            if self.sent[-1]["event"] == "mark":  # Twilio: the part has been played
                self.call._mark(self.sent[-1]["mark"]["name"])

    async def heard(texts: list[str], lang: str) -> list[str]:
        ws = EchoSocket()
        call = StreamedCall(channel=None, on_new_message=None, request=None, ws=ws)
        ws.call = call
        call.stream_sid = "MZ" + "0" * 32
        call.state = call.state.__class__(lang=lang, stream=True)
        await call.speak(texts)
        return [m["mark"]["name"].split(":", 1)[1] for m in ws.sent if m["event"] == "mark"]

    english = asyncio.run(heard([
        "The garage quoted about 3,000 dollars for the bumper, and 1,250.50 for the lights, "
        "so about 4,250.50 in all."], "en"))
    assert all(len(part) <= 60 for part in english), english
    for number in ("3,000", "1,250.50", "4,250.50"):
        assert any(number in part for part in english), english
    assert not any(part.endswith(("3,", "1,", "4,")) for part in english), english
    chinese = asyncio.run(heard([
        "您报的维修费用大约是3,000元，其中保险杠1,250.50元，车灯1,749.50元，我们会按保单核定赔付金额。"],
        "zh"))
    for number in ("3,000", "1,250.50", "1,749.50"):
        assert any(number in part for part in chinese), chinese


# --- from the caller's side: short turns on a digitally silent line, short answers over a reply --

MANDARIN = "cmn-latn-pinyin"
DIGITAL_SILENCE = base64.b64encode(b"\xff" * FRAME_BYTES).decode("ascii")  # mu-law 0xFF: exact 0


def line(*pieces: bytes | int) -> list[str]:
    """What the caller's phone sends: an int is that many ms of digital silence (0xFF frames),
    bytes are 8 kHz PCM said, as 20 ms mu-law payloads."""
    out: list[str] = []
    for piece in pieces:
        out += [DIGITAL_SILENCE] * (piece // 20) if isinstance(piece, int) else encode_frames(piece)
    return out


async def caller_sends(call, payloads: list[str]) -> None:
    for payload in payloads:
        await call._media({"track": "inbound", "payload": payload})


def a_call(ws):
    from channels.twilio_voice_stream import StreamedCall

    call = StreamedCall(channel=None, on_new_message=None, request=None, ws=ws)
    call.stream_sid = "MZ" + "0" * 32
    return call


@pytest.fixture(scope="module")
def zh_yes() -> bytes:
    return spoken("对", MANDARIN)


def test_a_short_first_turn_on_a_digitally_silent_line_is_taken_whole():
    import asyncio

    said = spoken("转人工", MANDARIN)
    ws = FakeSocket()
    call = a_call(ws)
    asyncio.run(caller_sends(call, line(2000, said, 2000)))
    kind, audio = call.work.get_nowait()
    assert kind == "speech" and call.work.empty()
    assert len(audio) >= len(said)  # nothing of the words cut off
    assert ws.sent == []


def test_a_short_first_turn_after_digital_silence_is_heard():
    """Through the real model: the line's perfect silence neither hides the turn nor its words."""
    import asyncio

    from bot.speech import recognise
    from bot.speech.lexicon import key_request

    call = a_call(FakeSocket())
    asyncio.run(caller_sends(call, line(2000, spoken("我要报案", MANDARIN), 2000)))
    _kind, audio = call.work.get_nowait()
    heard = recognise(pcm_wav(audio), "zh")
    assert heard.understood and key_request(heard.text) == "报案", heard


def test_a_short_answer_over_a_long_reply_stops_it_and_is_the_callers_turn(monkeypatch, zh_yes):
    import asyncio

    from bot.phone import speaking

    monkeypatch.setattr(speaking, "render", lambda text, lang: tone_pcm(18_000, amplitude=50))

    async def scenario():
        ws = FakeSocket()  # marks never come back: the reply is still playing
        call = a_call(ws)
        reply = asyncio.ensure_future(call.speak(["您的报案已记录，我们会尽快联系您。"]))
        while not call.pending_marks:
            await asyncio.sleep(0.01)
        await caller_sends(call, line(1000, zh_yes, 1500))
        await asyncio.wait_for(reply, timeout=2)  # the reply stops: no 10 s wait for its end
        return ws, call

    ws, call = asyncio.run(scenario())
    events_sent = [m["event"] for m in ws.sent]
    assert events_sent.count("clear") == 1 and events_sent[-1] == "clear", events_sent
    kind, audio = call.work.get_nowait()
    assert kind == "speech" and len(audio) >= len(zh_yes)
    assert call.interrupted.is_set()


def test_a_cough_over_a_reply_is_still_not_a_turn(monkeypatch):
    import asyncio

    from bot.phone import speaking

    monkeypatch.setattr(speaking, "render", lambda text, lang: tone_pcm(18_000, amplitude=50))

    async def scenario():
        ws = FakeSocket()
        call = a_call(ws)
        reply = asyncio.ensure_future(call.speak(["您的报案已记录，我们会尽快联系您。"]))
        while not call.pending_marks:
            await asyncio.sleep(0.01)
        await caller_sends(call, line(1000, tone_pcm(120), 1500))
        assert not reply.done()
        reply.cancel()
        return ws, call

    ws, call = asyncio.run(scenario())
    assert "clear" not in [m["event"] for m in ws.sent]
    assert call.work.empty() and not call.interrupted.is_set()


def test_a_short_answer_over_a_reply_ends_the_turn(zh_yes):
    turn = Endpointer()
    turn.start_playing()
    got = events(turn, silence_pcm(400) + zh_yes + silence_pcm(1500))
    assert [e for _, e in got] == [SPEECH, END]
