"""Phone calls through Twilio: TwiML out, the caller's recorded speech recognised on our machine.

Rasa's own Twilio voice channel leaves recognition to Twilio. This one asks Twilio only to
record: each caller turn is a <Record>; its callback fetches the recording with the account's
credentials, bot.speech turns it into text here (no audio goes to any other service), the text
goes to Rasa like a typed message, and the replies are spoken back with <Say> in the caller's
language (a Mandarin voice for Chinese). The keypad works for digits (* then the digits then #)
and for the choices under a question (1, 2...); 0 reaches a person at any point.

A call goes like this:

    /webhook    greeting, "中文服务请按1, for English press 2"       <Gather dtmf>
    /language   the recording notice and the consent question          <Gather dtmf>
    /consent    "speak after the tone"                                 <Record>
    /turn       recognise → Rasa → <Say> the replies → <Record> the next turn
    /digits     keypad digits → Rasa → <Say> → <Record>
    /dial       after the transfer to a person ends: goodbye

Where the call stands (language, recording consent, failed turns in a row) travels in the query
string of the action URLs we hand Twilio (channels/twilio_voice_twiml.py builds them and the
TwiML). Twilio signs the whole URL it calls, so the state cannot be forged, and any replica can
take the next turn.

Recordings (PIPL: a voice is sensitive personal information): with the caller's consent the
recording stays at Twilio and its SID and URL are written to the audit log against the
conversation (claims reported in the call carry the same conversation id); without it each
recording is deleted from Twilio right after it has been fetched and transcribed
(channels/twilio_voice_recordings.py). The audio is only ever held in memory here.

A person: when the bot hands the conversation off (the tracker is paused), on "0", when a caller
says they are elderly, and after two turns in a row that could not be understood, the call is
put through to the agents' line (<Dial> CLAIMS_AGENTS_PHONE) with the summary already in the
handoff queue; out of hours, or with no agents' line, the caller is told what happens next.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Sequence, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.twiml.voice_response import VoiceResponse

from bot.audit import record as record_audit
from bot.language import EN, ZH
from bot.privacy import mask_phone
from bot.replies import join, say
from bot.settings import Settings, get_settings
from channels.conversation import (
    actions_since_user,
    asked_since_user,
    buttons_since_user,
    language_of,
)
from channels.customer_text import customer_text
from channels.twilio_auth import form_params, is_signed, short_sid, stream_parameters
from channels.twilio_voice_recordings import (
    Recording,
    RecordingUnavailable,
    delete_recording,
    fetch_recording,
)
from channels.twilio_voice_twiml import (
    KEY_KEYPAD,
    KEY_PERSON,
    MENU_KEYS,
    CallState,
    Twiml,
    VoiceConfig,
    twiml_response,
)
from rasa_server.turns import watch_turn

logger = logging.getLogger(__name__)

CHANNEL = "twilio_voice"
CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
SENDER_PREFIX = "call-"

KEY_ENGLISH, KEY_CHINESE = "2", "1"
KEY_CONSENT, KEY_REFUSE = "1", "2"
# Rasa's own payload for "a person, please": a button's payload, accepted in every form.
REQUEST_HUMAN = "/request_human"
MAX_FAILED_TURNS = 2  # two turns in a row not understood: a person
# A turn that finds the recogniser busy (other callers speaking at once) waits its go, up to
# recognise_timeout_seconds (workers.run_when_free); then the caller hears it was our fault.
RECOGNITION_BUSY, RECOGNITION_TIMEOUT = "recognition_busy", "recognition_timeout"
OUR_FAULT = frozenset({RECOGNITION_BUSY, RECOGNITION_TIMEOUT})
MAX_BODY_BYTES = 64 * 1024  # Twilio's call webhooks are a few hundred bytes

# Phone keypad letters: a policy number's prefix is typed as on a phone ("AUTO" is 2886).
KEYPAD_LETTERS = {"2": "ABC", "3": "DEF", "4": "GHI", "5": "JKL", "6": "MNO", "7": "PQRS",
                  "8": "TUV", "9": "WXYZ"}
POLICY_PREFIXES = ("AUTO", "MED", "HOME", "ACC", "CI", "LIFE")


def keypad_code(word: str) -> str:
    """The keys that type `word` on a phone keypad: "AUTO" -> "2886"."""
    keys = {letter: key for key, letters in KEYPAD_LETTERS.items() for letter in letters}
    return "".join(keys[letter] for letter in word.upper())


_KEYPAD_POLICY = re.compile(
    "^(" + "|".join(keypad_code(prefix) for prefix in POLICY_PREFIXES) + r")(\d{4})(\d{4})$")
_PREFIX_BY_CODE = {keypad_code(prefix): prefix for prefix in POLICY_PREFIXES}


def keypad_text(digits: str) -> str:
    """What keypad digits say: a policy number typed with its prefix's letters
    ("288620260001" -> "AUTO-2026-0001"), otherwise the digits themselves (a date of birth,
    the last four digits of a phone, an amount)."""
    digits = "".join(ch for ch in digits if ch.isdigit())
    match = _KEYPAD_POLICY.match(digits)
    if match:
        code, year, serial = match.groups()
        return f"{_PREFIX_BY_CODE[code]}-{year}-{serial}"
    return digits


# What a caller's words hold that needs confirming: a policy or claim number (its letters with
# it), a date (1985-04-12, 1985年4月12日), an amount (3,000), a phone's digits (138 0000 0003).
_HEARD_NUMBER = re.compile(
    r"(?:(?<![A-Za-z])(?:" + "|".join(POLICY_PREFIXES + ("CLM", "CMP")) + r")[\s-]*)?"
    r"\d(?:\d|[\s,./:：-](?=\d)|[年月](?=\d))*[日号]?", re.IGNORECASE)


def heard_numbers(text: str) -> List[str]:
    """The numbers, codes and dates in what a caller said, in order, each once."""
    found: List[str] = []
    for match in _HEARD_NUMBER.finditer(text):
        number = match.group(0).strip()
        if number[0].isalpha():  # "auto 2026 0001" as it is written, so it is spelt out
            number = re.sub(r"[\s-]+", "-", number.upper())
        if number not in found:
            found.append(number)
    return found


def heard_numbers_line(text: str, lang: str) -> str | None:
    """The read-back of a turn's numbers ("I heard the number AUTO-2026-0001…", with the keypad
    as the way round), not of the whole turn; None when it holds none."""
    numbers = heard_numbers(text)
    if not numbers:
        return None
    key = "call_heard_number" if len(numbers) == 1 else "call_heard_numbers"
    # "; " between English ones: a spelt-out code has commas of its own ("A U T O, 2 0 2 6, …")
    return say(key, lang, text=(join(numbers, lang) if lang == ZH else "; ".join(numbers)))


# Where a turn's time went (fetch, recognise, dialogue), per request; sent back as a standard
# Server-Timing header, which Twilio ignores and benchmarks/phone_turn.py reads.
_timings: ContextVar[Dict[str, float] | None] = ContextVar("twilio_voice_timings", default=None)


def _took(stage: str, seconds: float) -> None:
    timings = _timings.get()
    if timings is not None:
        timings[stage] = timings.get(stage, 0.0) + seconds


def server_timing(timings: Mapping[str, float]) -> str:
    return ", ".join(f"{stage};dur={seconds * 1000:.0f}" for stage, seconds in timings.items())


# --- failures and the audit log -----------------------------------------------------------------

class TurnFailed(Exception):
    """Rasa could not complete the turn (rasa_server/turns.py): it was not stored."""


async def audit(action: str, conversation_id: str, detail: Dict[str, Any]) -> None:
    """An audit entry about the call; a store that is down costs a log line, not the call."""
    try:
        await asyncio.to_thread(record_audit, f"{CHANNEL}:{conversation_id}", action,
                                "conversation", conversation_id, detail)
    except Exception:
        logger.exception("twilio_voice: audit %s for %s failed", action,
                         short_sid(conversation_id))


# --- the channel ---------------------------------------------------------------------------------

@dataclass
class Heard:
    """What became of one recorded turn."""

    text: str = ""
    transcript: Any = None  # bot.speech.Transcript
    reason: str | None = None  # why it was not understood


LISTEN, PERSON_NOW, PERSON_PUT_THROUGH, GOODBYE = "listen", "person", "put_through", "goodbye"


@dataclass(frozen=True)
class Answer:
    """The bot's answer to one caller turn: what to say, the options under it, the call's state
    after it, and what comes next (LISTEN, PERSON_NOW: the bot handed off, PERSON_PUT_THROUGH:
    ask the bot for a person first, GOODBYE)."""

    texts: List[str]
    menu: List[str]
    state: CallState
    next: str


Recogniser = Callable[..., Any]
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
# A call route's handler: (request, on_new_message, form, state, twiml, settings) -> TwiML.
CallHandler = Callable[..., Awaitable[VoiceResponse]]


def _default_recogniser(audio: bytes, language: str | None = None,
                        context: str | None = None) -> Any:
    from bot.speech import recognise

    return recognise(audio, language=language, context=context)


def _messages_texts(messages: Sequence[Dict[str, Any]]) -> List[str]:
    return [m["text"] for m in messages if m.get("text")]


def _menu(messages: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The buttons under the last message that has any (what keys 1, 2... choose)."""
    for message in reversed(messages):
        if message.get("buttons"):
            return list(message["buttons"])
    return []


async def health(request: Request) -> HTTPResponse:
    from channels.twilio_auth import health as twilio_health

    return twilio_health(get_settings())


async def _load_speech_model(app: Any, loop: Any) -> None:
    """The first caller must not wait for the model: it is loaded in the background."""
    if not get_settings().twilio_auth_token:
        return  # phone calls are off: no model to hold in memory for them

    async def load() -> None:
        try:
            from bot.speech import shared_model

            await asyncio.to_thread(shared_model)
        except Exception:
            logger.exception("twilio_voice: loading the speech model failed")

    app.add_task(load())


class TwilioVoiceInput(InputChannel):
    """Twilio's voice webhook, with our own speech recognition and Mandarin voice."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        known = VoiceConfig.__dataclass_fields__
        return cls(VoiceConfig(**{k: v for k, v in credentials.items() if k in known}))

    def __init__(self, config: VoiceConfig | None = None, *,
                 recogniser: Recogniser | None = None, warm_up: bool = True) -> None:
        self.config = config or VoiceConfig()
        self.recogniser = recogniser or _default_recogniser
        self.warm_up = warm_up and recogniser is None

    # -- helpers ----------------------------------------------------------------------------------

    def _twiml(self, settings: Settings) -> Twiml:
        base = f"{settings.public_url}/webhooks/{self.url_prefix()}"
        turn_seconds = max(5, min(int(self.config.max_turn_seconds), settings.max_voice_seconds))
        return Twiml(self.config, base, turn_seconds)

    def _max_bytes(self, turn_seconds: int) -> int:
        # 16-bit samples at up to 16 kHz, plus headers: Twilio's WAV is 8 kHz, so this is ample.
        return turn_seconds * 32_000 + 64 * 1024

    async def _tell_rasa(self, on_new_message: OnNewMessage,
                         text: str, sender: str, metadata: Dict[str, Any]
                         ) -> List[Dict[str, Any]]:
        collector = CollectingOutputChannel()
        with watch_turn(sender) as turn:
            await on_new_message(UserMessage(customer_text(text), collector, sender,
                                             input_channel=CHANNEL, metadata=metadata))
        if turn.failed:  # nothing of it was stored: the caller is asked to say it again
            raise TurnFailed(f"the turn of {sender} failed: {turn.failure}")
        return collector.messages

    async def _conversation(self, request: Request, sender: str) -> Any:
        try:
            return await request.app.ctx.agent.tracker_store.retrieve(sender)
        except Exception:
            logger.exception("twilio_voice: reading the conversation %s failed",
                             short_sid(sender))
            return None

    async def _pin_language(self, request: Request, sender: str, lang: str) -> None:
        """The caller chose a language on the keypad: the conversation keeps it, as when a
        customer writes "请说英文" (a first answer in digits must not flip it back)."""
        from rasa.shared.core.events import SlotSet

        agent = request.app.ctx.agent
        try:
            async with agent.lock_store.lock(sender):
                tracker = await agent.processor.fetch_tracker_with_initial_session(
                    sender, CollectingOutputChannel())
                tracker.update(SlotSet("language", lang))
                tracker.update(SlotSet("language_pinned", True))
                await agent.processor.save_tracker(tracker)
        except Exception:
            logger.exception("twilio_voice: keeping the language of %s failed",
                             short_sid(sender))

    # -- the webhook ------------------------------------------------------------------------------

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Every route of the call in one table; all but the health check are `call` routes
        (configured, signed by Twilio, a well-formed call: see _checked)."""
        voice = Blueprint(f"twilio_voice_{type(self).__name__}", __name__)
        if self.warm_up:
            voice.listener("after_server_start")(_load_speech_model)

        def call(handler: CallHandler) -> Callable[[Request], Awaitable[HTTPResponse]]:
            return self._checked(handler, on_new_message)

        routes: List[Tuple[str, List[str], Callable[..., Awaitable[HTTPResponse]]]] = [
            ("/", ["GET"], health),
            ("/webhook", ["POST"], call(self.call_start)),
            ("/language", ["POST"], call(self.language)),
            ("/consent", ["POST"], call(self.consent)),
            ("/turn", ["POST"], call(self.turn)),
            ("/digits", ["POST"], call(self.digits)),
            ("/dial", ["POST"], call(self.dial)),
            ("/streamed", ["POST"], call(self.streamed)),
        ]
        for path, methods, handler in routes:
            voice.add_route(handler, path, methods=methods, name=handler.__name__)
        from channels.twilio_voice_stream import not_a_websocket, stream_route

        voice.add_websocket_route(stream_route(self, on_new_message), "/stream", name="stream")
        # A request to the stream that is no WebSocket handshake gets 426 or 400 before Sanic
        # tries the handshake (which fails with a 500 and a traceback).
        voice.middleware("request")(not_a_websocket)
        return voice

    def _checked(self, handler: CallHandler,
                 on_new_message: OnNewMessage
                 ) -> Callable[[Request], Awaitable[HTTPResponse]]:
        """Every request: configured (503), signed by Twilio (403), a well-formed call
        (400); then the handler, whose failures still answer with valid TwiML."""
        async def wrapper(request: Request) -> HTTPResponse:
            settings = get_settings()
            if not settings.twilio_auth_token or not settings.twilio_account_sid:
                return response.text("Phone calls are not configured.", status=503)
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.text("Request body too large.", status=413)
            if not is_signed(request, settings.twilio_auth_token, settings.public_url):
                return response.text("Invalid Twilio signature.", status=403)
            form = form_params(request)
            call_sid = form.get("CallSid", "")
            if not CALL_SID.fullmatch(call_sid):
                return response.text("CallSid is missing or malformed.", status=400)
            state = CallState.from_args(request.args)
            twiml = self._twiml(settings)
            timings: Dict[str, float] = {}
            token = _timings.set(timings)
            started = time.perf_counter()
            try:
                answer = twiml_response(await handler(request, on_new_message, form, state,
                                                      twiml, settings))
            except Exception:
                logger.exception("twilio_voice: %s failed on call %s", request.path,
                                 short_sid(call_sid))
                answer = twiml_response(await self._after_failure(
                    request, on_new_message, form, state, twiml, settings))
            finally:
                _timings.reset(token)
            timings["total"] = time.perf_counter() - started
            answer.headers["Server-Timing"] = server_timing(timings)
            return answer

        wrapper.__name__ = handler.__name__
        return wrapper

    # -- the handlers (registered in blueprint(); each answers with TwiML) ------------------------

    async def call_start(self, request: Request, on_new_message: OnNewMessage,
                         form: Dict[str, str], state: CallState, twiml: Twiml,
                         settings: Settings) -> VoiceResponse:
        logger.info("twilio_voice: call %s from %s", short_sid(form["CallSid"]),
                    mask_phone(form.get("From")))
        stream = self.config.stream_turns or CallState.from_args(request.args).stream
        return twiml.language_menu(CallState(stream=stream))

    async def language(self, request: Request, on_new_message: OnNewMessage,
                       form: Dict[str, str], state: CallState, twiml: Twiml,
                       settings: Settings) -> VoiceResponse:
        digits = form.get("Digits", "")
        lang = EN if digits == KEY_ENGLISH else ZH
        if digits in (KEY_ENGLISH, KEY_CHINESE):
            await self._pin_language(request, SENDER_PREFIX + form["CallSid"], lang)
        if state.stream:
            # Streamed turns are never recorded: the caller is told, not asked to consent to a
            # recording that would not exist (the audio is held in memory for recognition only).
            state = CallState(lang=lang, stream=True)
            await audit("call.streamed", SENDER_PREFIX + form["CallSid"],
                        {"call_sid": form["CallSid"], "audio_kept": False})
            # The stream takes the call's state only with the token that ties it to this call.
            parameters = stream_parameters(settings.twilio_auth_token, form["CallSid"],
                                           twiml.stream_state(state, form.get("From", "")))
            return twiml.stream(state, [say("call_stream_notice", lang),
                                        say("call_ready_stream", lang)],
                                twiml.stream_url(self._public_base(request, settings)),
                                parameters)
        return twiml.consent_question(CallState(lang=lang, stream=state.stream))

    async def consent(self, request: Request, on_new_message: OnNewMessage,
                      form: Dict[str, str], state: CallState, twiml: Twiml,
                      settings: Settings) -> VoiceResponse:
        digits = form.get("Digits", "")
        if digits not in (KEY_CONSENT, KEY_REFUSE) and state.asked == 0:
            return twiml.consent_question(replace(state, asked=1))
        # No clear yes is a no: the audio is then deleted after each turn.
        granted = digits == KEY_CONSENT
        sender = SENDER_PREFIX + form["CallSid"]
        await audit("call.recording_consent", sender,
                    {"call_sid": form["CallSid"], "granted": granted})
        state = CallState(lang=state.lang, consent=granted)
        said = say("call_consent_yes" if granted else "call_consent_no", state.lang)
        return twiml.listen(state, [said, say("call_ready", state.lang)])

    def _public_base(self, request: Request, settings: Settings) -> str:
        """This channel's absolute URL as Twilio reaches it."""
        root = settings.public_url or f"{request.scheme}://{request.host}"
        return f"{root}/webhooks/{self.url_prefix()}"

    async def streamed(self, request: Request, on_new_message: OnNewMessage,
                       form: Dict[str, str], state: CallState, twiml: Twiml,
                       settings: Settings) -> VoiceResponse:
        """The stream has ended and Twilio asks what next: what the stream decided (a person,
        goodbye), or, when it dropped, the rest of the call on <Record> turns."""
        from channels.twilio_voice_stream import ending_of

        ending = ending_of(form["CallSid"])
        if ending is None:
            state = replace(state, stream=False)
            return twiml.listen(state, [say("call_stream_dropped", state.lang)])
        if ending.next == GOODBYE:
            return twiml.goodbye(ending.state, ending.texts)
        return twiml.to_person(ending.state, ending.texts, settings.agents_phone, _open_now())

    async def digits(self, request: Request, on_new_message: OnNewMessage,
                     form: Dict[str, str], state: CallState, twiml: Twiml,
                     settings: Settings) -> VoiceResponse:
        text = keypad_text(form.get("Digits", ""))
        if not text:
            return twiml.listen(state, [say("call_keypad_empty", state.lang)])
        return await self._converse(request, on_new_message, form, state, twiml, settings, text)

    async def dial(self, request: Request, on_new_message: OnNewMessage,
                   form: Dict[str, str], state: CallState, twiml: Twiml,
                   settings: Settings) -> VoiceResponse:
        status = form.get("DialCallStatus", "")
        if status in ("completed", "answered"):
            return twiml.goodbye(state, [])
        logger.info("twilio_voice: transfer of call %s ended %s", short_sid(form["CallSid"]),
                    status)
        return twiml.goodbye(state, [say("call_agents_unavailable", state.lang)])

    async def turn(self, request: Request, on_new_message: OnNewMessage,
                   form: Dict[str, str], state: CallState, twiml: Twiml,
                   settings: Settings) -> VoiceResponse:
        """A recorded turn (or a key that ended it): recognised, then to Rasa."""
        call_sid = form["CallSid"]
        sender = SENDER_PREFIX + call_sid
        digits = form.get("Digits", "")
        recording = self._recording(form)
        if recording is not None and not await self._first_time(recording.sid):
            logger.info("twilio_voice: recording %s of call %s arrived again", recording.sid,
                        short_sid(call_sid))
            return twiml.listen(state)

        if digits == "hangup":
            if recording is not None:
                await self._dispose(recording, sender, state, settings)
            return VoiceResponse()
        if digits and digits[0] in KEY_KEYPAD + KEY_PERSON + MENU_KEYS:
            # A key ended the recording: the key is the answer, the audio is not listened to.
            disposal = (asyncio.ensure_future(self._dispose(recording, sender, state, settings))
                        if recording is not None else None)
            try:
                return await self._key(request, on_new_message, form, state, twiml, settings,
                                       digits[0])
            finally:
                if disposal is not None:
                    await disposal

        if recording is None:  # the caller said nothing at all
            return await self._missed(request, on_new_message, form, state, twiml, settings,
                                      "silence")
        heard = await self._listen(recording, sender, state, settings,
                                   await self._asked(request, sender))
        if not heard.text:
            return await self._missed(request, on_new_message, form, state, twiml, settings,
                                      heard.reason or "not_understood")
        # The numbers heard are read back (not the whole turn), so a misheard policy number or
        # amount is caught at once; the keypad is offered as the way round a misheard one.
        read_back = heard_numbers_line(heard.text, state.lang)
        before = [read_back] if read_back else []
        from bot.speech import audit_fields

        return await self._converse(request, on_new_message, form, state, twiml, settings,
                                    heard.text, before=before,
                                    heard=audit_fields(heard.transcript))

    @staticmethod
    def _recording(form: Mapping[str, str]) -> Recording | None:
        sid, url = form.get("RecordingSid", ""), form.get("RecordingUrl", "")
        if not RECORDING_SID.fullmatch(sid) or not url:
            return None
        try:
            duration = float(form.get("RecordingDuration") or 0)
        except ValueError:
            duration = 0.0
        return Recording(sid, url, duration)

    @staticmethod
    async def _first_time(recording_sid: str) -> bool:
        from bot.inbound import first_receipt

        try:
            return await asyncio.to_thread(first_receipt, CHANNEL, recording_sid)
        except Exception:  # the store is down: better a turn twice than none
            logger.exception("twilio_voice: receipt of %s not recorded", recording_sid)
            return True

    async def _listen(self, recording: Recording, sender: str, state: CallState,
                      settings: Settings, asked: str = "") -> Heard:
        """Fetch, recognise (`asked`: what the bot last said, the recogniser's context), and keep
        or delete the recording (in parallel with recognition)."""
        started = time.perf_counter()
        turn_seconds = self._twiml(settings).max_turn_seconds
        disposal: asyncio.Future | None = None
        try:
            if recording.duration_s > turn_seconds + 2:
                return Heard(reason="too_long")
            try:
                audio = await fetch_recording(
                    recording.url, settings, timeout_s=self.config.fetch_timeout_seconds,
                    max_bytes=self._max_bytes(turn_seconds))
            except RecordingUnavailable as error:
                logger.warning("twilio_voice: recording %s of %s not fetched: %s",
                               recording.sid, short_sid(sender), error)
                return Heard(reason="fetch_failed")
            fetched = time.perf_counter()
            _took("fetch", fetched - started)
            disposal = asyncio.ensure_future(self._dispose(recording, sender, state, settings))
            return await self._recognise(audio, state.lang, recording.sid, asked)
        finally:
            if disposal is None:
                disposal = asyncio.ensure_future(self._dispose(recording, sender, state,
                                                               settings))
            await disposal

    async def _recognise(self, audio: bytes, lang: str, label: str, asked: str = "") -> Heard:
        """A caller's turn (a recording, or a streamed turn's audio) recognised in the call's
        language, after what the bot said (`asked`: the question a short answer answers), within
        recognise_timeout_seconds, on the bounded speech pool."""
        from bot import workers

        started = time.perf_counter()
        limit = self.config.recognise_timeout_seconds
        try:
            transcript = await asyncio.wait_for(
                workers.pool("speech").run_when_free(limit, self.recogniser, audio,
                                                     language=lang, context=asked or None),
                timeout=limit)
        except workers.Busy:  # other callers speaking at once all along
            logger.warning("twilio_voice: recogniser busy for %s", label)
            return Heard(reason=RECOGNITION_BUSY)
        except asyncio.TimeoutError:
            logger.warning("twilio_voice: recognising %s took over %.0f s", label,
                           self.config.recognise_timeout_seconds)
            return Heard(reason=RECOGNITION_TIMEOUT)
        _took("recognise", time.perf_counter() - started)
        logger.info("twilio_voice: turn %s recognised in %.2f s (%s)", label,
                    time.perf_counter() - started,
                    "understood" if transcript.understood else transcript.reason)
        if not transcript.understood or not (transcript.text or "").strip():
            return Heard(transcript=transcript, reason=transcript.reason or "empty")
        return Heard(text=transcript.text.strip(), transcript=transcript)

    async def _dispose(self, recording: Recording, sender: str, state: CallState,
                       settings: Settings) -> None:
        """With consent: the recording's reference goes to the audit log with the conversation.
        Without: it is deleted from Twilio (once more if the first try fails)."""
        detail = {"call_sid": sender[len(SENDER_PREFIX):], "recording_sid": recording.sid,
                  "duration_s": recording.duration_s}
        if state.consent:
            await audit("call.recording_kept", sender, {**detail, "recording_url": recording.url})
            return
        for _ in range(2):
            if await delete_recording(recording.sid, settings):
                await audit("call.recording_deleted", sender, detail)
                return
        logger.error("twilio_voice: recording %s of %s could not be deleted", recording.sid,
                     short_sid(sender))
        await audit("call.recording_delete_failed", sender, detail)

    async def _key(self, request: Request,
                   on_new_message: OnNewMessage,
                   form: Dict[str, str], state: CallState, twiml: Twiml, settings: Settings,
                   key: str) -> VoiceResponse:
        if key == KEY_KEYPAD:
            return twiml.keypad(state)
        if key == KEY_PERSON:
            return await self._person(request, on_new_message, form, state, twiml, settings)
        sender = SENDER_PREFIX + form["CallSid"]
        buttons = await self._last_buttons(request, sender)
        index = MENU_KEYS.index(key)
        if index < len(buttons) and buttons[index].get("payload"):
            return await self._converse(request, on_new_message, form, state, twiml, settings,
                                        str(buttons[index]["payload"]))
        return twiml.listen(state, [say("call_key_unknown", state.lang)])

    async def _last_buttons(self, request: Request, sender: str) -> List[Dict[str, Any]]:
        return buttons_since_user(await self._conversation(request, sender))

    async def _asked(self, request: Request, sender: str) -> str:
        """What the bot said since the caller last spoke, and its options (the context a short
        answer is recognised in); "" when the conversation cannot be read."""
        return asked_since_user(await self._conversation(request, sender))

    async def _missed(self, request: Request,
                      on_new_message: OnNewMessage,
                      form: Dict[str, str], state: CallState, twiml: Twiml, settings: Settings,
                      reason: str) -> VoiceResponse:
        """A turn that could not be understood: ask again; the second in a row, a person."""
        misses = state.misses + 1
        logger.info("twilio_voice: call %s turn not understood (%s), %d in a row",
                    short_sid(form["CallSid"]), reason, misses)
        state = replace(state, misses=misses)
        if misses >= MAX_FAILED_TURNS:
            return await self._person(request, on_new_message, form, state, twiml, settings,
                                      before=[say("call_not_understood_person", state.lang)])
        key = "call_too_long" if reason == "too_long" else "call_not_understood"
        ours = [say("call_problem", state.lang)] if reason in OUR_FAULT else []
        return twiml.listen(state, [*ours, say(key, state.lang, seconds=twiml.max_turn_seconds)])

    async def _after_failure(self, request: Request,
                             on_new_message: OnNewMessage,
                             form: Dict[str, str], state: CallState, twiml: Twiml,
                             settings: Settings) -> VoiceResponse:
        """Something broke on our side: the caller is asked again, then put through."""
        misses = state.misses + 1
        state = replace(state, misses=misses)
        if misses >= MAX_FAILED_TURNS:
            texts = [say("call_problem", state.lang)]
            return twiml.to_person(state, texts, settings.agents_phone, _open_now())
        return twiml.listen(state, [say("call_problem", state.lang),
                                    say("call_not_understood", state.lang)])

    async def _converse(self, request: Request,
                        on_new_message: OnNewMessage,
                        form: Dict[str, str], state: CallState, twiml: Twiml, settings: Settings,
                        text: str, before: Sequence[str] = (),
                        heard: Mapping[str, Any] | None = None) -> VoiceResponse:
        """`text` to Rasa as the caller's words; the replies spoken, then the next turn (or a
        person, or goodbye)."""
        answer = await self._answer(request, on_new_message, form, state, text, before, heard)
        state = answer.state
        if answer.next == PERSON_NOW:
            return twiml.to_person(state, answer.texts, settings.agents_phone, _open_now())
        if answer.next == PERSON_PUT_THROUGH:
            return await self._person(request, on_new_message, form, state, twiml, settings)
        if answer.next == GOODBYE:
            return twiml.goodbye(state, answer.texts)
        return twiml.listen(state, answer.texts, menu=answer.menu)

    async def _answer(self, request: Request, on_new_message: OnNewMessage,
                      form: Mapping[str, str], state: CallState, text: str,
                      before: Sequence[str] = (),
                      heard: Mapping[str, Any] | None = None) -> Answer:
        """`text` to Rasa as the caller's words: what to say, and what comes next (the same for
        a recorded turn and a streamed one)."""
        sender = SENDER_PREFIX + form["CallSid"]
        started = time.perf_counter()
        # `heard`: the recogniser's raw words when a correction changed them, kept for audit
        messages = await self._tell_rasa(on_new_message, text, sender,
                                         {**self._metadata(form), **(heard or {})})
        tracker = await self._conversation(request, sender)
        state = replace(state, lang=language_of(tracker) or state.lang, misses=0)
        _took("dialogue", time.perf_counter() - started)
        logger.info("twilio_voice: call %s answered by the bot in %.2f s",
                    short_sid(form["CallSid"]),
                    time.perf_counter() - started)
        texts = [*before, *_messages_texts(messages)]
        actions = actions_since_user(tracker)
        menu = [str(button.get("title") or "") for button in _menu(messages)]
        answer = Answer(texts, [title for title in menu if title], state, LISTEN)
        if tracker is not None and tracker.is_paused():
            return replace(answer, next=PERSON_NOW)
        if "action_offer_human" in actions:
            # "我七十多岁了": on the phone an elderly caller is put through, not just offered.
            return replace(answer, next=PERSON_PUT_THROUGH)
        if "action_say_goodbye" in actions:
            return replace(answer, next=GOODBYE)
        return answer

    async def _person(self, request: Request,
                      on_new_message: OnNewMessage,
                      form: Dict[str, str], state: CallState, twiml: Twiml, settings: Settings,
                      before: Sequence[str] = ()) -> VoiceResponse:
        """The conversation goes to the handoff queue through the bot (so the agent gets the
        summary), and the call to the agents' line."""
        sender = SENDER_PREFIX + form["CallSid"]
        texts = list(before)
        try:
            messages = await self._tell_rasa(on_new_message, REQUEST_HUMAN, sender,
                                             self._metadata(form))
            texts += _messages_texts(messages)
        except Exception:
            logger.exception("twilio_voice: handing call %s over through the bot failed",
                             short_sid(form["CallSid"]))
        return twiml.to_person(state, texts, settings.agents_phone, _open_now())

    @staticmethod
    def _metadata(form: Mapping[str, Any]) -> Dict[str, Any]:
        # The caller's number, for this turn; the tracker store and logs keep it masked only.
        return {"phone_call": {"call_sid": form.get("CallSid"), "from": form.get("From"),
                               "to": form.get("To")}}


def _open_now() -> bool:
    """Whether people answer now (CLAIMS_AGENT_HOURS)."""
    from bot.handoff import next_opening

    try:
        return next_opening() is None
    except Exception:
        logger.exception("twilio_voice: reading the agents' hours failed")
        return True
