"""The phone stream (Twilio Media Streams) attacked from the outside, on a real port: the channel
runs in a Sanic server with the scripted agent of test_twilio_voice.py, the webhooks are POSTed
signed as Twilio signs them, and the WebSocket is opened as Twilio opens it (the stand-in).

The attacker knows what the outside tester knew: the handshake signature (Twilio signs only the
stream URL, the same for every call) and a victim's CallSid (it used to be in the logs). A stream
must be taken only with the token of the TwiML that connected that very call, with the very
parameters handed to Twilio; else it is closed (1008) before anything reaches the bot."""
from __future__ import annotations

import asyncio
import json
import logging
import socket
import uuid
import xml.etree.ElementTree as ET
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, Tuple
from urllib.parse import urlencode

import aiohttp
import websockets
from rasa.core.channels.channel import register
from sanic import Sanic

from channels.twilio_auth import stream_token, stream_token_valid
from channels.twilio_voice import TwilioVoiceInput
from channels.twilio_voice_twiml import VoiceConfig
from tests.channels import test_twilio_voice as recorded_call
from tests.channels.test_twilio_voice import CALLER, PREFIX, ScriptedAgent
from tests.standins.twilio import TwilioStandIn

# The phone channel's fixtures, shared with its recorded-turn tests: the Twilio stand-in, the
# store seeded with its account, the scripted agent and recogniser.
twilio, store = recorded_call.twilio, recorded_call.store
agent, recogniser = recorded_call.agent, recorded_call.recogniser

OTHER_CALLER = "+8613900000009"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def live_server(agent: ScriptedAgent, recogniser: Any) -> AsyncIterator[str]:
    Sanic.test_mode = True
    app = Sanic(f"twilio_voice_stream_test_{uuid.uuid4().hex}")
    app.ctx.agent = agent
    register([TwilioVoiceInput(VoiceConfig(), recogniser=recogniser)], app, route="/webhooks/")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                     access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


async def signed_post(twilio: TwilioStandIn, url: str, call_sid: str, caller: str,
                      **params: str) -> ET.Element:
    form = {"CallSid": call_sid, "AccountSid": twilio.account_sid, "From": caller,
            "To": "+862195500", "CallStatus": "in-progress", **params}
    headers = {"X-Twilio-Signature": twilio.signature(url, form),
               "Content-Type": "application/x-www-form-urlencoded"}
    async with aiohttp.ClientSession() as session, \
            session.post(url, data=urlencode(form), headers=headers) as answer:
        assert answer.status == 200, await answer.text()
        return ET.fromstring(await answer.read())


async def streamed_call(twilio: TwilioStandIn, base: str, caller: str = CALLER
                        ) -> Tuple[str, ET.Element]:
    """A caller rings a streaming number and presses 2 (English): the TwiML that connects
    their call to the stream, as Twilio receives it."""
    call_sid = "CA" + uuid.uuid4().hex
    menu = await signed_post(twilio, base + PREFIX + "/webhook?stream=1", call_sid, caller)
    action = menu.find("Gather").get("action")  # relative: no public URL configured
    ready = await signed_post(twilio, base + action if action.startswith("/") else action,
                              call_sid, caller, Digits="2")
    assert ready.find("Connect/Stream") is not None, ET.tostring(ready)
    return call_sid, ready


def parameters(twiml: ET.Element) -> Dict[str, str]:
    return {p.get("name"): p.get("value") for p in twiml.find("Connect/Stream").iter("Parameter")}


def stream_url(twiml: ET.Element) -> str:
    return twiml.find("Connect/Stream").get("url")


async def refused(line: Any) -> Tuple[int | None, str]:
    """The stream was closed on us: its close code and reason."""
    async with line:
        assert await line.closed(timeout=10), "the stream was not closed"
    return line.ws.close_code, line.ws.close_reason


def run(coroutine: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coroutine)


# --- the token --------------------------------------------------------------------------------

def test_the_token_is_bound_to_the_call_and_every_parameter():
    from channels.twilio_auth import stream_parameters

    key, sid, other = "auth-token", "CA" + "1" * 32, "CA" + "2" * 32
    params = stream_parameters(key, sid, {"lang": "zh", "consent": "0", "misses": "0",
                                          "from": CALLER})
    assert stream_token_valid(key, sid, params)
    assert not stream_token_valid(key, other, params)
    assert not stream_token_valid("another-token", sid, params)
    for name, value in (("from", OTHER_CALLER), ("lang", "en"), ("consent", "1"),
                        ("misses", "1"), ("issued", "1")):
        assert not stream_token_valid(key, sid, {**params, name: value}), name
    assert not stream_token_valid(key, sid, {k: v for k, v in params.items() if k != "token"})
    assert not stream_token_valid(key, sid, {**params, "token": ""})
    assert not stream_token_valid(key, sid, None)
    assert not stream_token_valid(key, sid, {**params, "from": 1})
    # Old tokens are refused (a TwiML seen in a log cannot be replayed next week).
    assert not stream_token_valid(key, sid, params, now=float(params["issued"]) + 3600)
    assert stream_token(key, sid, params) == params["token"]


# --- the attacks ------------------------------------------------------------------------------

def test_a_stream_for_another_call_without_its_token_never_reaches_the_bot(
        store, twilio, agent, recogniser):
    async def scenario() -> Dict[str, Tuple[int | None, str]]:
        async with live_server(agent, recogniser) as base:
            victim, victim_twiml = await streamed_call(twilio, base)
            _, attacker_twiml = await streamed_call(twilio, base, caller=OTHER_CALLER)
            url = stream_url(victim_twiml)  # the same for every call: so is its signature
            forged = {"from": CALLER, "lang": "en"}
            outcomes = {
                "no token": await refused(twilio.media_stream(url, victim, forged)),
                "another call's token": await refused(
                    twilio.media_stream(url, victim, parameters(attacker_twiml))),
                "forged from": await refused(twilio.media_stream(
                    url, victim, {**parameters(victim_twiml), "from": OTHER_CALLER})),
                "forged lang": await refused(twilio.media_stream(
                    url, victim, {**parameters(victim_twiml), "lang": "zh"})),
                "a call never started": await refused(
                    twilio.media_stream(url, "CA" + uuid.uuid4().hex, forged)),
            }
            return outcomes

    outcomes = run(scenario())
    assert all(code == 1008 for code, _ in outcomes.values()), outcomes
    assert {reason for _, reason in outcomes.values()} == {"invalid stream token"}, outcomes
    assert agent.received == [] and recogniser.calls == []
    said = [e for tracker in agent.trackers.values() for e in tracker.events
            if e.as_dict().get("event") == "user"]
    assert said == []


def test_the_legit_stream_works_and_a_second_one_for_its_call_is_refused(
        store, twilio, agent, recogniser):
    async def scenario() -> Tuple[Tuple[int | None, str], int | None]:
        async with live_server(agent, recogniser) as base:
            call_sid, twiml = await streamed_call(twilio, base)
            async with twilio.connect_stream(twiml, call_sid, speed=8) as line:
                await asyncio.sleep(0.3)  # started
                # Someone else, with the very same start (token and all), while it streams.
                second = await refused(twilio.connect_stream(twiml, call_sid))
                await line.press("0")  # the caller asks for a person: it reaches the bot
                assert await line.closed(timeout=30)
            # Replayed after the call's stream ended.
            replayed = await refused(twilio.connect_stream(twiml, call_sid))
            assert replayed == (1008, "call already streamed")
            return second, line.ws.close_code

    second, legit_close = run(scenario())
    assert second == (1008, "call already streamed")
    assert legit_close == 1000
    assert [m.text for m in agent.received] == ["/request_human"]
    message = agent.received[0]
    assert message.sender_id.startswith("call-CA")
    assert message.metadata["phone_call"]["from"] == CALLER  # from the signed parameters


def test_the_twiml_hands_twilio_the_token_as_parameters_not_in_the_url(
        store, twilio, agent, recogniser):
    async def scenario() -> Tuple[str, ET.Element]:
        async with live_server(agent, recogniser) as base:
            return await streamed_call(twilio, base)

    call_sid, twiml = run(scenario())
    assert "?" not in stream_url(twiml)  # Twilio takes no query string on a <Stream url>
    params = parameters(twiml)
    assert params["from"] == CALLER and params["lang"] == "en" and params["token"]
    assert stream_token_valid(twilio.auth_token, call_sid, params)


# --- not a WebSocket --------------------------------------------------------------------------

def test_a_plain_get_on_the_stream_is_426_without_a_traceback(
        store, twilio, agent, recogniser, caplog):
    async def scenario() -> Dict[str, int]:
        async with live_server(agent, recogniser) as base:
            url = base + PREFIX + "/stream"
            async with aiohttp.ClientSession() as session:
                got = {}
                async with session.get(url) as answer:
                    got["plain"] = answer.status
                async with session.post(url, data="x") as answer:
                    got["post"] = answer.status
                async with session.get(url, headers={
                        "Upgrade": "websocket", "Connection": "Upgrade",
                        "Sec-WebSocket-Key": "short", "Sec-WebSocket-Version": "13"}) as answer:
                    got["bad key"] = answer.status
                return got

    with caplog.at_level(logging.ERROR):
        got = run(scenario())
    assert got["plain"] == 426 and got["bad key"] == 400, got
    assert got["post"] in (405, 426), got
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def test_a_stream_with_a_forged_handshake_signature_is_refused(store, twilio, agent, recogniser):
    async def scenario() -> int | None:
        async with live_server(agent, recogniser) as base:
            url = base.replace("http", "ws", 1) + PREFIX + "/stream"
            async with websockets.connect(url, extra_headers={
                    "X-Twilio-Signature": "forged"}) as ws:
                try:
                    await ws.send(json.dumps({"event": "connected"}))
                    await asyncio.wait_for(ws.recv(), 10)
                except websockets.ConnectionClosed as closed:
                    return closed.code
            return None

    assert run(scenario()) == 1008
    assert agent.received == []
