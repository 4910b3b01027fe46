"""What the call hears: the TwiML answers, the call state carried in their signed URLs, and chat
text made fit to be read aloud (channels/twilio_voice.py decides which answer a request gets)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Sequence
from urllib.parse import urlencode

from sanic import response
from sanic.response import HTTPResponse
from twilio.twiml.voice_response import VoiceResponse

from bot.language import EN, LANGUAGES, ZH
from bot.phone.wording import for_phone, lists_choices
from bot.replies import say

KEY_KEYPAD, KEY_PERSON = "*", "0"
MENU_KEYS = "123456789"

# Reference numbers are read out character by character, so a caller can write them down.
_REFERENCE = re.compile(r"\b(?:CLM|CMP|AUTO|MED|HOME|ACC|CI|LIFE)-\d{4}-\d{4,6}\b")


def _spell(match: re.Match[str]) -> str:
    return ", ".join(" ".join(part) for part in match.group(0).split("-"))


def speakable(text: str) -> str:
    """A chat reply made fit to be read aloud: in its phone wording (bot.phone.wording: no
    "请发…", "写在这里" or format examples), list bullets and markup dropped, reference numbers
    spelt out, lines joined."""
    text = for_phone(text)
    text = re.sub(r"<[^<>]{0,200}>", " ", text)
    text = _REFERENCE.sub(_spell, text)
    lines = [line.strip().lstrip("·•-*").strip() for line in text.splitlines()]
    return " ".join(line for line in lines if line)


def menu_lines(texts: Sequence[str], menu: Sequence[str], lang: str) -> list[str]:
    """The choices of the message's buttons as a caller hears them, by key ("第1笔 车险 …，
    请按1。"); none when the message already lists them by place
    (bot.phone.wording.lists_choices)."""
    if lists_choices(texts, menu):
        return []
    return [say("call_menu_option", lang, digit=MENU_KEYS[index], title=title)
            for index, title in enumerate(menu[: len(MENU_KEYS)])]


# --- where a call stands -------------------------------------------------------------------------

@dataclass(frozen=True)
class CallState:
    """Carried in the action URLs' query strings (signed by Twilio with the URL)."""

    lang: str = ZH
    consent: bool = False
    misses: int = 0  # turns in a row that could not be understood
    asked: int = 0  # how often a keypad question (language, consent) has been asked
    stream: bool = False  # turns streamed (Media Streams) rather than recorded

    def query(self) -> str:
        fields: Dict[str, Any] = {"lang": self.lang, "consent": int(self.consent),
                                  "misses": self.misses, "asked": self.asked}
        if self.stream:
            fields["stream"] = 1
        return urlencode(fields)

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> CallState:
        def first(name: str, default: str) -> str:
            value = args.get(name, default)
            if isinstance(value, list):
                value = value[0] if value else default
            return str(value)

        lang = first("lang", ZH)

        def count(name: str) -> int:
            text = first(name, "0")
            return min(int(text), 9) if text.isdecimal() else 0  # "²" is a digit, not a number

        return cls(lang=lang if lang in LANGUAGES else ZH, consent=first("consent", "0") == "1",
                   misses=count("misses"), asked=count("asked"),
                   stream=first("stream", "0") == "1")


@dataclass(frozen=True)
class VoiceConfig:
    """How the call sounds and how long a turn may be (credentials.yml, with defaults)."""

    voice_zh: str = "Polly.Zhiyu"
    language_zh: str = "cmn-CN"
    voice_en: str = "Polly.Joanna"
    language_en: str = "en-US"
    max_turn_seconds: int = 30  # Twilio waits 15 s for our answer: recognition must fit
    silence_seconds: int = 3  # <Record timeout>: this much silence ends the caller's turn
    fetch_timeout_seconds: float = 5.0
    recognise_timeout_seconds: float = 9.0
    dial_timeout_seconds: int = 30
    # Stream each call's audio (Media Streams) and end turns by voice-activity detection; off,
    # or when the stream drops, each turn is a <Record>. A number's webhook URL ending in
    # ?stream=1 streams its calls whatever this says.
    stream_turns: bool = False

    def voice(self, lang: str) -> Dict[str, str]:
        if lang == EN:
            return {"voice": self.voice_en, "language": self.language_en}
        return {"voice": self.voice_zh, "language": self.language_zh}


# --- TwiML ---------------------------------------------------------------------------------------

class Twiml:
    """Builds the answers: every handler returns one of these, valid TwiML whatever happened."""

    def __init__(self, config: VoiceConfig, base_url: str, max_turn_seconds: int) -> None:
        self.config = config
        self.base_url = base_url.rstrip("/")
        self.max_turn_seconds = max_turn_seconds

    def url(self, endpoint: str, state: CallState) -> str:
        return f"{self.base_url}/{endpoint}?{state.query()}"

    def _say(self, parent: Any, text: str, lang: str) -> None:
        text = speakable(text)
        if text:
            parent.say(text, **self.config.voice(lang))

    def says(self, parent: Any, texts: Sequence[str], lang: str) -> None:
        for text in texts:
            self._say(parent, text, lang)

    def language_menu(self, state: CallState) -> VoiceResponse:
        twiml = VoiceResponse()
        gather = twiml.gather(input="dtmf", num_digits=1, timeout=5,
                              action=self.url("language", state), action_on_empty_result=True)
        self._say(gather, say("call_welcome", ZH), ZH)
        self._say(gather, say("call_welcome", EN), EN)
        return twiml

    def consent_question(self, state: CallState, before: Sequence[str] = ()) -> VoiceResponse:
        twiml = VoiceResponse()
        self.says(twiml, before, state.lang)
        gather = twiml.gather(input="dtmf", num_digits=1, timeout=6,
                              action=self.url("consent", state), action_on_empty_result=True)
        key = "call_consent" if state.asked == 0 else "call_consent_again"
        self._say(gather, say(key, state.lang), state.lang)
        return twiml

    def listen(self, state: CallState, texts: Sequence[str] = (),
               menu: Sequence[str] = ()) -> VoiceResponse:
        """Say `texts` (and the choices of `menu`, by key), then record the caller's turn."""
        twiml = VoiceResponse()
        self.says(twiml, [*texts, *menu_lines(texts, menu, state.lang)], state.lang)
        self.record(twiml, state, menu_keys=MENU_KEYS[: len(menu)])
        return twiml

    def stream_url(self, public_base: str) -> str:
        """The Media Streams WebSocket's URL (wss:// behind https); Twilio allows no query."""
        base = public_base.rstrip("/")
        return "ws" + base[4:] + "/stream" if base.startswith("http") else base + "/stream"

    @staticmethod
    def stream_state(state: CallState, caller: str) -> Dict[str, str]:
        """What the stream must know of the call (its <Parameter>s, signed with the call's
        token by channels.twilio_auth.stream_parameters)."""
        return {"lang": state.lang, "consent": str(int(state.consent)),
                "misses": str(state.misses), "from": caller}

    def stream(self, state: CallState, texts: Sequence[str], stream_url: str,
               parameters: Mapping[str, str]) -> VoiceResponse:
        """Say `texts`, then connect the call's audio to our WebSocket (bidirectional: we
        speak over it too). The call's state and its token travel as <Parameter>s (Twilio
        echoes them in the stream's `start`); when the stream ends, Twilio goes on to the
        redirect, which decides the rest (a person, goodbye, or the <Record> turns if the
        stream dropped)."""
        twiml = VoiceResponse()
        self.says(twiml, texts, state.lang)
        connect = twiml.connect()
        stream = connect.stream(url=stream_url)
        for name, value in parameters.items():
            stream.parameter(name=name, value=value)
        twiml.redirect(self.url("streamed", state), method="POST")
        return twiml

    def record(self, twiml: VoiceResponse, state: CallState, menu_keys: str = "") -> None:
        twiml.record(action=self.url("turn", state), method="POST",
                     max_length=self.max_turn_seconds, timeout=self.config.silence_seconds,
                     play_beep=True, trim="trim-silence",
                     finish_on_key=KEY_KEYPAD + KEY_PERSON + menu_keys)
        # Twilio requests no action for a turn with no sound at all; it goes on to this.
        twiml.redirect(self.url("turn", state), method="POST")

    def keypad(self, state: CallState) -> VoiceResponse:
        twiml = VoiceResponse()
        gather = twiml.gather(input="dtmf", finish_on_key="#", timeout=10,
                              action=self.url("digits", state), action_on_empty_result=True)
        self._say(gather, say("call_keypad_prompt", state.lang), state.lang)
        return twiml

    def to_person(self, state: CallState, texts: Sequence[str], agents_phone: str,
                  open_now: bool) -> VoiceResponse:
        """Say `texts` (what the bot said on handing off), then put the call through to the
        agents' line; with no line, or out of hours, say what happens next and end the call.
        The bot's queue reply is written for a chat ("4 people ahead… add anything else right
        here"): a call hears only its own words about what happens now."""
        from bot.handoff import is_queue_reply

        twiml = VoiceResponse()
        self.says(twiml, [text for text in texts if not is_queue_reply(text)], state.lang)
        if agents_phone and open_now:
            self._say(twiml, say("call_transferring", state.lang), state.lang)
            dial = twiml.dial(action=self.url("dial", state), method="POST",
                              timeout=self.config.dial_timeout_seconds)
            dial.number(agents_phone)
        else:
            key = "call_person_later" if agents_phone else "call_no_agents_line"
            self._say(twiml, say(key, state.lang), state.lang)
            twiml.hangup()
        return twiml

    def goodbye(self, state: CallState, texts: Sequence[str]) -> VoiceResponse:
        twiml = VoiceResponse()
        self.says(twiml, texts, state.lang)
        twiml.hangup()
        return twiml


def twiml_response(twiml: VoiceResponse) -> HTTPResponse:
    return response.text(str(twiml), content_type="text/xml; charset=utf-8")
