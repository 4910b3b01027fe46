"""A phone call's turns over Twilio Media Streams: the caller's audio arrives as 20 ms mu-law
frames on a WebSocket, the end of each turn is found here by voice-activity detection (not after
3 s of silence), and the replies go back as audio on the same socket, in short parts that the
caller can interrupt (barge-in: we send `clear` and take their turn).

    <Connect><Stream url="wss://…/webhooks/twilio_voice/stream">   (channels/twilio_voice_twiml.py)
    Twilio → us:  connected, start (customParameters: lang, consent, misses, from), media, dtmf,
                  mark (a part of our reply has been played), stop
    us → Twilio:  media (our reply), mark (after each part), clear (barge-in)

Recognition and the dialogue are the phone channel's own (TwilioVoiceInput._recognise and
_answer), so a streamed turn is answered exactly as a recorded one. When the call must go to a
person or end, the stream records how (`ending_of`) and closes; Twilio then follows the redirect
after <Connect> to /streamed, which answers with the <Dial> or goodbye TwiML. A stream that
drops without an ending goes on with <Record> turns.

Bad input on the stream: silence asks again, then offers the keypad, then a person; a turn not
understood asks again, the second a person; a key pressed while the caller talks wins over the
words; music or a caller who never pauses ends the turn at 30 s and is "not understood".
The audio is held in memory for the turn only and never stored.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Tuple

from sanic import response
from twilio.request_validator import RequestValidator

from bot.language import LANGUAGES, ZH
from bot.phone import speaking
from bot.phone.codec import FRAME_MS, decode_payload, encode_frames, pcm_wav
from bot.phone.turns import BARGE_IN, END, NO_INPUT, Endpointer, Tuning
from bot.replies import say
from bot.settings import get_settings
from channels.twilio_auth import STREAM_TOKEN_TTL_S, short_sid, stream_token_valid
from channels.twilio_voice_twiml import (
    KEY_KEYPAD,
    KEY_PERSON,
    MENU_KEYS,
    CallState,
    menu_lines,
    speakable,
)

logger = logging.getLogger(__name__)

STREAM_SID = re.compile(r"MZ[0-9a-fA-F]{32}")
CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
MAX_SILENCES = 3  # asked again, then the keypad, then a person
MAX_MESSAGE_BYTES = 64 * 1024  # a media message is about 300 bytes


@dataclass(frozen=True)
class Ending:
    """How a streamed call goes on after the stream (read once by /streamed)."""

    next: str  # twilio_voice.PERSON_NOW or GOODBYE
    texts: List[str]
    state: CallState


_endings: Dict[str, Tuple[float, Ending]] = {}
ENDING_TTL_S = 120.0


def _keep_ending(call_sid: str, ending: Ending) -> None:
    now = time.monotonic()
    for sid in [sid for sid, (at, _) in _endings.items() if now - at > ENDING_TTL_S]:
        del _endings[sid]
    _endings[call_sid] = (now, ending)


# Calls whose stream has started (monotonic time): Twilio connects a call's <Stream> once, so a
# second stream for it (while it streams, or a token replayed later) is refused. Kept as long as
# a token is valid; after that the token itself is refused.
_streamed: Dict[str, float] = {}


def _first_stream(call_sid: str) -> bool:
    now = time.monotonic()
    for sid in [sid for sid, at in _streamed.items() if now - at > STREAM_TOKEN_TTL_S + 60]:
        del _streamed[sid]
    if call_sid in _streamed:
        return False
    _streamed[call_sid] = now
    return True


def ending_of(call_sid: str) -> Ending | None:
    """How the stream of `call_sid` ended, if it decided (None: it dropped)."""
    kept = _endings.pop(call_sid, None)
    return kept[1] if kept else None


def stream_route(channel: Any, on_new_message: Any) -> Any:
    async def stream(request: Any, ws: Any) -> None:
        settings = get_settings()
        if not settings.twilio_auth_token or not _signed(request, channel, settings):
            logger.warning("twilio_voice_stream: a stream without a valid signature refused")
            await ws.close(code=1008, reason="invalid signature")
            return
        await StreamedCall(channel, on_new_message, request, ws).run()

    return stream


async def not_a_websocket(request: Any) -> Any:
    """Request middleware of the phone channel: on the stream's path, anything but a
    well-formed WebSocket handshake is answered here (426, or 400 for a broken handshake)."""
    route = getattr(request, "route", None)
    if route is None or not getattr(route.ctx, "websocket", False):
        return None
    headers = request.headers
    upgrade = {t.strip().lower() for t in headers.get("upgrade", "").split(",")}
    connection = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    if "websocket" not in upgrade or "upgrade" not in connection:
        return response.text("This is a WebSocket (Twilio Media Streams) endpoint.\n",
                             status=426, headers={"Upgrade": "websocket",
                                                  "Connection": "Upgrade"})
    try:
        key = base64.b64decode(headers.get("sec-websocket-key", ""), validate=True)
    except ValueError:
        key = b""
    if request.method != "GET" or len(key) != 16 or \
            headers.get("sec-websocket-version", "") != "13":
        return response.text("Malformed WebSocket handshake.\n", status=400)
    return None


def _signed(request: Any, channel: Any, settings: Any) -> bool:
    """Twilio signs the WebSocket's URL (with no form) in X-Twilio-Signature."""
    signature = request.headers.get("X-Twilio-Signature", "")
    url = channel._twiml(settings).stream_url(channel._public_base(request, settings))
    return bool(signature) and RequestValidator(settings.twilio_auth_token).validate(
        url, {}, signature)


class StreamedCall:
    """One call's stream: reads the frames, finds the turns, answers them one at a time."""

    def __init__(self, channel: Any, on_new_message: Any, request: Any, ws: Any) -> None:
        self.channel = channel
        self.on_new_message = on_new_message
        self.request = request
        self.ws = ws
        self.stream_sid = ""
        self.form: Dict[str, str] = {}
        self.state = CallState(stream=True)
        self.turn = Endpointer(Tuning.for_caller())
        self.work: asyncio.Queue[Tuple[str, Any]] = asyncio.Queue()
        self.keypad: str | None = None  # digits typed so far after "*"
        self.silences = 0
        self.pending_marks: set[str] = set()
        self.played = asyncio.Event()
        self.interrupted = asyncio.Event()
        self.parts_sent = 0
        self.ended = False
        self.last_word_at = 0.0  # monotonic: when the caller's turn was found over
        self.first_audio_at: List[float] = []  # per turn: when the first reply frame was sent

    @property
    def call_sid(self) -> str:
        return self.form.get("CallSid", "")

    # -- the socket ---------------------------------------------------------------------------

    async def send(self, message: Dict[str, Any]) -> None:
        await self.ws.send(json.dumps({**message, "streamSid": self.stream_sid}))

    async def run(self) -> None:
        refused = await self._start()
        if refused:
            await self.ws.close(code=1008, reason=refused)
            return
        worker = asyncio.ensure_future(self._answer_turns())
        try:
            while not self.ended:
                raw = await self.ws.recv()
                if raw is None or isinstance(raw, bytes) or len(raw) > MAX_MESSAGE_BYTES:
                    if raw is None:
                        break
                    continue
                try:
                    message = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(message, dict):
                    continue
                event = message.get("event")
                if event == "media":
                    await self._media(message.get("media") or {})
                elif event == "dtmf":
                    await self._dtmf(str((message.get("dtmf") or {}).get("digit", ""))[:1])
                elif event == "mark":
                    self._mark(str((message.get("mark") or {}).get("name", "")))
                elif event == "stop":
                    break
        except asyncio.CancelledError:
            if not self.ended:  # Sanic cancels a recv() when we close the socket ourselves
                raise
        except Exception as error:  # the socket dropped: /streamed goes on with <Record>
            logger.info("twilio_voice_stream: call %s stream ended: %s",
                        short_sid(self.call_sid), type(error).__name__)
        finally:
            if not self.ended:
                worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)

    async def _start(self) -> str:
        """`connected` then `start`: the call, the stream and the state we handed Twilio.
        Returns "" when the stream is taken, else why it is refused. The state is taken only
        with the token of the TwiML that connected this very call (channels.twilio_auth):
        a start for another call, or with parameters changed, never reaches the bot."""
        for _ in range(3):
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout=10)
            except asyncio.TimeoutError:
                return "no start"
            if raw is None or isinstance(raw, bytes) or len(raw) > MAX_MESSAGE_BYTES:
                return "no start"
            try:
                message = json.loads(raw)
            except ValueError:
                return "no start"
            if not isinstance(message, dict) or message.get("event") != "start":
                continue
            start = message.get("start")
            start = start if isinstance(start, dict) else {}
            settings = get_settings()
            call_sid = str(start.get("callSid", ""))
            stream_sid = str(message.get("streamSid") or start.get("streamSid") or "")
            if (not CALL_SID.fullmatch(call_sid) or not STREAM_SID.fullmatch(stream_sid)
                    or start.get("accountSid") != settings.twilio_account_sid):
                return "no start"
            params = start.get("customParameters")
            if not stream_token_valid(settings.twilio_auth_token, call_sid, params):
                logger.warning("twilio_voice_stream: a stream for call %s without its call's "
                               "token refused", short_sid(call_sid))
                return "invalid stream token"
            if not _first_stream(call_sid):
                logger.warning("twilio_voice_stream: a second stream for call %s refused",
                               short_sid(call_sid))
                return "call already streamed"
            lang, misses = params["lang"], params["misses"]
            self.stream_sid = stream_sid
            self.state = CallState(lang=lang if lang in LANGUAGES else ZH,
                                   consent=params["consent"] == "1",
                                   misses=min(int(misses), 9) if misses.isdecimal() else 0,
                                   stream=True)
            self.form = {"CallSid": call_sid, "From": params["from"]}
            logger.info("twilio_voice_stream: call %s streaming (%s)", short_sid(call_sid),
                        short_sid(stream_sid))
            return ""
        return "no start"

    async def _media(self, media: Dict[str, Any]) -> None:
        if media.get("track", "inbound") not in ("inbound", "inbound_track"):
            return
        pcm = decode_payload(str(media.get("payload", "")))
        if not pcm:
            return
        event = self.turn.feed(pcm)
        if event == BARGE_IN:
            logger.info("twilio_voice_stream: call %s: the caller talks over the reply",
                        short_sid(self.call_sid))
            await self._interrupt()
        elif event == END:
            if self.pending_marks:  # a short answer over the reply: it stops, as a barge-in
                logger.info("twilio_voice_stream: call %s: the caller answered over the reply",
                            short_sid(self.call_sid))
                await self._interrupt()
            self.last_word_at = time.monotonic() - self.turn.trailing_silence_ms() / 1000
            audio = self.turn.utterance()
            self.turn.reset()
            self.turn.start_playing()  # our turn now: the caller may still interrupt
            await self.work.put(("speech", audio))
        elif event == NO_INPUT:
            self.turn.start_playing()
            await self.work.put(("silence", None))

    async def _dtmf(self, digit: str) -> None:
        """A key wins over any words being said; "*" starts typing digits, "#" ends them."""
        if not digit:
            return
        self.turn.reset()  # what was being said is dropped: the key is the answer
        if self.pending_marks:
            await self._interrupt()
        if self.keypad is not None:
            if digit == "#":
                digits, self.keypad = self.keypad, None
                await self.work.put(("digits", digits))
            elif digit.isdigit():
                self.keypad += digit
            return
        self.turn.start_playing()
        await self.work.put(("key", digit))

    def _mark(self, name: str) -> None:
        self.pending_marks.discard(name)
        if not self.pending_marks:
            self.played.set()

    async def _interrupt(self) -> None:
        """Barge-in: what is queued at Twilio is dropped, and no further part is sent."""
        self.interrupted.set()
        self.pending_marks.clear()
        self.played.set()
        await self.send({"event": "clear"})

    # -- speaking -----------------------------------------------------------------------------

    async def speak(self, texts: List[str], menu: List[str] = ()) -> None:
        """Say `texts` (and the options of `menu`, by key) in short parts; returns when the
        caller has heard them, or has interrupted."""
        lang = self.state.lang
        lines = [speakable(text) for text in [*texts, *menu_lines(texts, menu, lang)]]
        parts = [part for line in lines for part in speaking.parts(line)]
        self.interrupted.clear()
        self.played.clear()
        self.turn.start_playing()
        first = True
        for part in parts:
            if self.interrupted.is_set():
                break
            pcm = await asyncio.to_thread(speaking.render, part, lang)
            if self.interrupted.is_set():
                break
            for payload in encode_frames(pcm):
                await self.send({"event": "media", "media": {"payload": payload}})
            if first:
                self.first_audio_at.append(time.monotonic())
                first = False
            self.parts_sent += 1
            name = f"{self.parts_sent}:{part}"[:200]
            self.pending_marks.add(name)
            await self.send({"event": "mark", "mark": {"name": name}})
        if self.pending_marks and not self.interrupted.is_set():
            self.played.clear()
            # Twilio echoes each mark when its audio has played; a lost mark costs at most
            # the length of what was sent.
            try:
                await asyncio.wait_for(self.played.wait(), timeout=60)
            except asyncio.TimeoutError:
                self.pending_marks.clear()
        if not self.interrupted.is_set():
            self.turn.done_playing()

    # -- the turns ----------------------------------------------------------------------------

    async def _answer_turns(self) -> None:
        while not self.ended:
            kind, value = await self.work.get()
            try:
                await self._answer_one(kind, value)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("twilio_voice_stream: a turn of call %s failed",
                                 short_sid(self.call_sid))
                await self._missed(say("call_problem", self.state.lang))

    async def _answer_one(self, kind: str, value: Any) -> None:
        lang = self.state.lang
        if kind == "silence":
            self.silences += 1
            if self.keypad is not None and self.keypad:
                digits, self.keypad = self.keypad, None
                return await self._converse(digits_text(digits))
            if self.silences >= MAX_SILENCES:
                return await self._to_person([say("call_silence_person", lang)])
            if self.silences == 2:
                self.keypad = ""
                return await self.speak([say("call_silence_keypad", lang)])
            return await self.speak([say("call_silence_again", lang)])
        self.silences = 0
        if kind == "digits":
            if not value:
                return await self.speak([say("call_keypad_empty_stream", lang)])
            return await self._converse(digits_text(value))
        if kind == "key":
            if value == KEY_KEYPAD:
                self.keypad = ""
                return await self.speak([say("call_keypad_prompt", lang)])
            if value == KEY_PERSON:
                return await self._to_person([])
            return await self._menu_key(value)
        asked = await self.channel._asked(self.request, self._sender)
        heard = await self.channel._recognise(pcm_wav(value), lang,
                                              f"{short_sid(self.call_sid)} stream", asked)
        if not heard.text:
            from channels.twilio_voice import OUR_FAULT

            ours = [say("call_problem", lang)] if heard.reason in OUR_FAULT else []
            return await self._missed(*ours, say("call_not_understood_stream", lang))
        from channels.twilio_voice import heard_numbers_line

        # The numbers heard read back, as on a recorded turn; the keypad (* digits #) is the way
        # round.
        read_back = heard_numbers_line(heard.text, lang)
        before = [read_back] if read_back else []
        from bot.speech import audit_fields

        await self._converse(heard.text, before, audit_fields(heard.transcript))

    async def _menu_key(self, key: str) -> None:
        buttons = await self.channel._last_buttons(self.request, self._sender)
        index = MENU_KEYS.index(key) if key in MENU_KEYS else len(buttons)
        if index < len(buttons) and buttons[index].get("payload"):
            return await self._converse(str(buttons[index]["payload"]))
        await self.speak([say("call_key_unknown_stream", self.state.lang)])

    @property
    def _sender(self) -> str:
        return "call-" + self.call_sid

    async def _missed(self, *texts: str) -> None:
        self.state = replace(self.state, misses=self.state.misses + 1)
        if self.state.misses >= 2:
            return await self._to_person([say("call_not_understood_person", self.state.lang)])
        await self.speak(list(texts))

    async def _converse(self, text: str, before: List[str] = (),
                        heard: Dict[str, Any] | None = None) -> None:
        from channels.twilio_voice import GOODBYE, PERSON_NOW, PERSON_PUT_THROUGH

        answer = await self.channel._answer(self.request, self.on_new_message, self.form,
                                            self.state, text, list(before), heard)
        self.state = answer.state
        if answer.next == PERSON_NOW:
            return await self._end(PERSON_NOW, answer.texts)
        if answer.next == PERSON_PUT_THROUGH:
            return await self._to_person([])
        if answer.next == GOODBYE:
            return await self._end(GOODBYE, answer.texts)
        await self.speak(answer.texts, answer.menu)

    async def _to_person(self, before: List[str]) -> None:
        """The conversation to the handoff queue through the bot, the call to a person."""
        from channels.twilio_voice import PERSON_NOW, REQUEST_HUMAN

        texts = list(before)
        try:
            messages = await self.channel._tell_rasa(
                self.on_new_message, REQUEST_HUMAN, self._sender,
                self.channel._metadata(self.form))
            texts += [m["text"] for m in messages if m.get("text")]
        except Exception:
            logger.exception("twilio_voice_stream: handing call %s over failed",
                             short_sid(self.call_sid))
        await self._end(PERSON_NOW, texts)

    async def _end(self, next_step: str, texts: List[str]) -> None:
        """The stream is done: /streamed says `texts` and goes on to `next_step`."""
        _keep_ending(self.call_sid, Ending(next_step, texts, replace(self.state, stream=False)))
        self.ended = True
        await self.ws.close()


def digits_text(digits: str) -> str:
    from channels.twilio_voice import keypad_text

    return keypad_text(digits)


__all__ = ["FRAME_MS", "Ending", "StreamedCall", "ending_of", "stream_route"]
