"""A Mandarin phone call over Twilio Media Streams, end to end: the stand-in plays Twilio's side
of the WebSocket (tests/standins/twilio_media.py), the caller's words are espeak-ng's Mandarin
(`cmn`) as 8 kHz audio, each turn is ended by our voice-activity detection, recognised by the
real model and answered by the real Rasa and action servers, and the reply comes back as audio
in short parts (their texts are the marks' names)."""
from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import pytest

from bot.handoff import next_opening
from bot.phone.codec import resample, wav_pcm
from bot.store.db import unit_of_work
from bot.store.models import Handoff
from tests.e2e.test_phone_call import Call, said
from tests.standins.twilio_media import MediaStream
from tests.support.audio import silence, speak
from tests.support.e2e import E2E_AGENTS_PHONE

pytestmark = pytest.mark.e2e


def mandarin(text: str) -> bytes:
    """`text` spoken by espeak-ng's Mandarin voice, as 16-bit 8 kHz PCM with a pause after."""
    pcm, rate = wav_pcm(speak(text, "wav", voice="cmn", words_per_minute=140))
    return resample(pcm, rate)


def quiet(seconds: float) -> bytes:
    pcm, rate = wav_pcm(silence(seconds, "wav"))
    return resample(pcm, rate)


def stream_of(twiml: ET.Element) -> tuple[str, dict]:
    stream = twiml.find("Connect/Stream")
    assert stream is not None, ET.tostring(twiml)
    return stream.get("url"), {p.get("name"): p.get("value") for p in stream.iter("Parameter")}


def test_a_mandarin_call_streamed_report_correction_and_a_person(
        claims_servers, claims_db_url, twilio_standin):
    call = Call(claims_servers, twilio_standin, caller="+8613800000003")
    menu = call.post("/webhooks/twilio_voice/webhook?stream=1", "(rings)", CallStatus="ringing")
    consent = call.post(menu.find("Gather").get("action"), "(presses 1)", Digits="1")
    ready = call.post(consent.find("Gather").get("action"), "(presses 2)", Digits="2")
    assert ready.find("Record") is None and ready.find("Redirect") is not None
    url, params = stream_of(ready)
    assert url.startswith("ws://") and url.endswith("/webhooks/twilio_voice/stream")
    assert params["lang"] == "zh" and params["from"] == call.caller

    heard = []

    async def the_call() -> bool:
        async with MediaStream(twilio_standin, url, call.sid, params, speed=4) as line:
            await line.say(mandarin("我要报案，我的车被追尾了") + quiet(1.5))
            report = await line.reply()
            heard.append(("我要报案，我的车被追尾了", report, line.clears))
            assert report, "no reply to the report"
            await line.say(mandarin("不对") + quiet(1.5))
            heard.append(("不对", await line.reply(), line.clears))
            await line.say(mandarin("事故地点在中山路") + quiet(1.5))
            heard.append(("事故地点在中山路", await line.reply(), line.clears))
            await line.say(mandarin("转人工") + quiet(1.5))
            heard.append(("转人工", await line.reply(), line.clears))
            return await line.closed()

    closed = asyncio.run(the_call())
    shown = "\n".join(f"> {said_}\n  " + " | ".join(parts) for said_, parts, _ in heard)
    print("\n" + shown)
    assert closed, shown
    # The stream ended itself; Twilio follows the redirect after <Connect>: a person.
    person = call.post(ready.find("Redirect").text, "(stream ended)")
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
            await ws.send('{"event": "connected"}')
            try:
                await asyncio.wait_for(ws.recv(), 10)
            except websockets.ConnectionClosed as closed:
                return closed.code
        return None

    assert asyncio.run(connect()) == 1008


def test_a_dropped_stream_goes_on_with_recorded_turns(claims_servers, twilio_standin):
    call = Call(claims_servers, twilio_standin, caller="+8613800000004")
    menu = call.post("/webhooks/twilio_voice/webhook?stream=1", "(rings)", CallStatus="ringing")
    consent = call.post(menu.find("Gather").get("action"), "(presses 1)", Digits="1")
    ready = call.post(consent.find("Gather").get("action"), "(presses 2)", Digits="2")
    url, params = stream_of(ready)

    async def drop() -> None:
        async with MediaStream(twilio_standin, url, call.sid, params, speed=4) as line:
            await line.say(quiet(0.5))
        # the socket closes without a stop: the line dropped

    asyncio.run(drop())
    after = call.post(ready.find("Redirect").text, "(stream dropped)")
    assert after.find("Record") is not None, call.shown()
    assert "stream=1" not in after.find("Record").get("action")
