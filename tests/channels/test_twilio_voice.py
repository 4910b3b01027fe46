"""The phone channel in-process: Twilio's requests signed as Twilio signs them, recordings served
and deleted by the local Twilio stand-in, a seeded store, and a scripted stand-in for the Rasa
agent (no model). Recognition is scripted where a test is about the call flow, and real where it
is about bad audio (empty, corrupt, silent recordings never reach the model)."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from rasa.core.channels.channel import UserMessage, register
from rasa.core.lock_store import InMemoryLockStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic
from twilio.request_validator import RequestValidator

from bot.replies import say
from bot.settings import get_settings
from bot.speech import Transcript
from bot.store.db import unit_of_work
from bot.store.models import AuditEntry
from channels.twilio_voice import TwilioVoiceInput, keypad_code, keypad_text
from channels.twilio_voice_twiml import CallState, VoiceConfig, speakable
from tests.standins.twilio import TwilioStandIn
from tests.support.asgi import AsgiClient, AsgiResponse
from tests.support.audio import silence
from tests.support.clock import CLOCK_SHIFT_ENV, shift_to
from tests.support.store import seeded_store

PREFIX = "/webhooks/twilio_voice"
BASE = "http://testserver"
AGENTS_PHONE = "+862100000000"
CALLER = "+8613800000003"


# --- pure parts -----------------------------------------------------------------------------------

def test_policy_numbers_typed_with_their_letters_on_the_keypad():
    assert keypad_code("AUTO") == "2886"
    assert keypad_text("288620260001") == "AUTO-2026-0001"
    assert keypad_text(keypad_code("MED") + "20260002") == "MED-2026-0002"
    assert keypad_text(keypad_code("HOME") + "20260001") == "HOME-2026-0001"
    # Anything else stays digits: a date of birth, a phone's last four, an amount.
    assert keypad_text("19850412") == "19850412"
    assert keypad_text("0003") == "0003"
    assert keypad_text("2886202600011") == "2886202600011"
    assert keypad_text("") == ""


def test_replies_are_made_fit_to_be_read_aloud():
    text = speakable("您的理赔 CLM-2026-000004 还缺:\n· 驾驶证\n· 维修发票")
    assert "C L M, 2 0 2 6, 0 0 0 0 0 4" in text
    assert "·" not in text and "\n" not in text and "驾驶证" in text and "维修发票" in text
    assert speakable("<b>Hello</b>") == "Hello"


def test_call_state_survives_the_url_and_refuses_nonsense():
    state = CallState(lang="en", consent=True, misses=1)
    assert CallState.from_args(parse_qs(state.query())) == state
    assert CallState.from_args({"lang": ["fr"], "misses": ["-3"], "consent": ["yes"]}) == \
        CallState()


# --- the in-process server ------------------------------------------------------------------------

@dataclass
class Turn:
    """What the scripted bot does with one message."""

    replies: List[str] = field(default_factory=list)
    buttons: List[Dict[str, str]] = field(default_factory=list)
    actions: List[str] = field(default_factory=list)
    paused: bool = False
    language: str | None = None


class ScriptedAgent:
    """Rasa's agent as the channel sees it: handle_message, a tracker store, a lock store and
    the processor's session start. `script(text)` decides each turn."""

    domain = Domain.load("domain.yml")

    def __init__(self) -> None:
        self.script: Callable[[str], Turn] = lambda text: Turn(replies=[f"echo: {text}"])
        self.received: List[UserMessage] = []
        self.trackers: Dict[str, DialogueStateTracker] = {}
        self.lock_store = InMemoryLockStore()
        self.tracker_store = self
        self.processor = self
        self.fail = False
        self.turn_fails = False  # the turn runs but cannot be stored (rasa_server/turns.py)

    def tracker(self, sender: str) -> DialogueStateTracker:
        if sender not in self.trackers:
            self.trackers[sender] = DialogueStateTracker(sender, self.domain.slots)
        return self.trackers[sender]

    async def retrieve(self, sender: str) -> DialogueStateTracker | None:
        return self.trackers.get(sender)

    async def fetch_tracker_with_initial_session(self, sender: str, output_channel: Any
                                                 ) -> DialogueStateTracker:
        return self.tracker(sender)

    async def save_tracker(self, tracker: DialogueStateTracker) -> None:
        self.trackers[tracker.sender_id] = tracker

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.fail:
            raise RuntimeError("the dialogue broke")
        if self.turn_fails:
            from rasa_server.turns import STORE_UNAVAILABLE, mark_failed

            mark_failed(STORE_UNAVAILABLE, "the tracker store is down")
            return
        tracker = self.tracker(message.sender_id)
        tracker.update(UserUttered(message.text, input_channel=message.input_channel))
        if tracker.is_paused():
            return
        turn = self.script(message.text)
        for action in turn.actions:
            tracker.update(ActionExecuted(action))
        if turn.language:
            from rasa.shared.core.events import SlotSet

            tracker.update(SlotSet("language", turn.language))
        for index, text in enumerate(turn.replies):
            last = index == len(turn.replies) - 1
            buttons = turn.buttons if last else []
            tracker.update(BotUttered(text, data={"buttons": buttons} if buttons else {}))
            if buttons:
                await message.output_channel.send_text_with_buttons(message.sender_id, text,
                                                                    buttons)
            else:
                await message.output_channel.send_text_message(message.sender_id, text)
        if turn.paused:
            tracker.update(ConversationPaused())

    @property
    def texts(self) -> List[str]:
        return [m.text for m in self.received]


class ScriptedRecogniser:
    """Hands back the next scripted transcript; records what it was given."""

    def __init__(self) -> None:
        self.transcripts: List[Transcript] = []
        self.calls: List[Dict[str, Any]] = []

    def heard(self, text: str) -> None:
        self.transcripts.append(Transcript(understood=True, text=text, raw_text=text,
                                           language="en", confidence=0.9))

    def not_understood(self, reason: str) -> None:
        self.transcripts.append(Transcript(understood=False, reason=reason))

    def __call__(self, audio: bytes, language: str | None = None,
                 context: str | None = None) -> Transcript:
        self.calls.append({"bytes": len(audio), "language": language, "context": context})
        return self.transcripts.pop(0)


def real_recogniser(audio: bytes, language: str | None = None,
                    context: str | None = None) -> Transcript:
    from bot.speech import recognise

    return recognise(audio, language=language, context=context)


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    with TwilioStandIn() as standin:
        yield standin


@pytest.fixture
def store(tmp_path, monkeypatch, twilio) -> Iterator[str]:
    with seeded_store(
        monkeypatch, tmp_path,
        TWILIO_ACCOUNT_SID=twilio.account_sid, TWILIO_AUTH_TOKEN=twilio.auth_token,
        TWILIO_API_BASE=twilio.base_url, CLAIMS_AGENTS_PHONE=AGENTS_PHONE,
        CLAIMS_AGENT_HOURS="00:00-00:00", CLAIMS_PUBLIC_URL="",
    ) as url:
        yield url


@dataclass
class Phone:
    """Plays Twilio's side of one call against the in-process server."""

    client: AsgiClient
    twilio: TwilioStandIn
    call_sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    signed: bool = True

    @property
    def sender(self) -> str:
        return f"call-{self.call_sid}"

    def post(self, url: str, **params: str) -> AsgiResponse:
        """POST to `url` (a path or an absolute action URL from our TwiML), signed."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        form = {"CallSid": self.call_sid, "AccountSid": self.twilio.account_sid,
                "From": CALLER, "To": "+862195500", "CallStatus": "in-progress", **params}
        headers = {"content-type": "application/x-www-form-urlencoded"}
        if self.signed:
            headers["X-Twilio-Signature"] = RequestValidator(self.twilio.auth_token)\
                .compute_signature(BASE + path, form)
        return self.client.post(path, body=urlencode(form).encode(), headers=headers)

    def twiml(self, url: str, **params: str) -> ET.Element:
        answer = self.post(url, **params)
        assert answer.status == 200, answer.text
        assert answer.content_type.startswith("text/xml")
        return ET.fromstring(answer.body)

    def record(self, twiml: ET.Element, audio: bytes | None = None, duration: int = 5,
               **params: str) -> ET.Element:
        """The caller speaks after the tone: `twiml`'s <Record> calls back with a recording."""
        action = twiml.find("Record").get("action")
        sid = "RE" + uuid.uuid4().hex
        url = self.twilio.add_recording(sid, audio if audio is not None else b"RIFF")
        return self.twiml(action, RecordingUrl=url, RecordingSid=sid,
                          RecordingDuration=str(duration), **params)

    def start(self, lang_key: str = "2", consent_key: str = "2") -> ET.Element:
        menu = self.twiml(PREFIX + "/webhook", CallStatus="ringing")
        consent = self.twiml(menu.find("Gather").get("action"), Digits=lang_key)
        return self.twiml(consent.find("Gather").get("action"), Digits=consent_key)


def said(twiml: ET.Element) -> List[str]:
    return [el.text or "" for el in twiml.iter("Say")]


def state_of(url: str) -> CallState:
    return CallState.from_args(parse_qs(urlsplit(url).query))


@pytest.fixture
def agent() -> ScriptedAgent:
    return ScriptedAgent()


@pytest.fixture
def recogniser() -> ScriptedRecogniser:
    return ScriptedRecogniser()


def make_client(agent: ScriptedAgent, recogniser: Callable[..., Transcript],
                config: VoiceConfig | None = None) -> AsgiClient:
    app = Sanic(f"twilio_voice_test_{uuid.uuid4().hex}")
    app.ctx.agent = agent
    channel = TwilioVoiceInput(config or VoiceConfig(fetch_timeout_seconds=1.5),
                               recogniser=recogniser)
    register([channel], app, route="/webhooks/")
    return AsgiClient(app)


@pytest.fixture
def phone(store, twilio, agent, recogniser) -> Iterator[Phone]:
    with make_client(agent, recogniser) as client:
        yield Phone(client, twilio)


@dataclass(frozen=True)
class Audited:
    action: str
    detail: Dict[str, Any]


def audit_entries(url: str, conversation: str) -> List[Audited]:
    with unit_of_work(url) as uow:
        entries: List[AuditEntry] = uow.audit.for_subject("conversation", conversation)
        return [Audited(e.action, dict(e.detail or {})) for e in entries]


# --- loading and the signature --------------------------------------------------------------------

def test_channel_loads_from_credentials_with_its_voices():
    from rasa.core.run import _create_single_channel

    channel = _create_single_channel("channels.twilio_voice.TwilioVoiceInput",
                                     {"voice_zh": "Polly.Zhiyu-Neural", "max_turn_seconds": 20})
    assert isinstance(channel, TwilioVoiceInput)
    assert channel.name() == "twilio_voice"
    assert channel.config.voice_zh == "Polly.Zhiyu-Neural"
    assert channel.config.max_turn_seconds == 20


def test_unsigned_and_forged_requests_get_403_and_do_nothing(phone, agent, twilio, recogniser):
    phone.signed = False
    assert phone.post(PREFIX + "/webhook").status == 403
    sid = "RE" + uuid.uuid4().hex
    url = twilio.add_recording(sid, b"RIFF")
    assert phone.post(PREFIX + "/turn?lang=en", RecordingUrl=url, RecordingSid=sid).status == 403
    assert phone.post(PREFIX + "/digits", Digits="19850412").status == 403
    # Signed with another account's token.
    phone.signed = True
    phone.twilio = TwilioStandIn(auth_token="someone-elses-token-000000000000")
    assert phone.post(PREFIX + "/digits", Digits="19850412").status == 403
    # A signed URL whose state was changed afterwards (consent switched on) is forged too.
    phone.twilio = twilio
    answer = phone.client.post(
        PREFIX + "/turn?lang=en&consent=1",
        body=urlencode({"CallSid": phone.call_sid}).encode(),
        headers={"content-type": "application/x-www-form-urlencoded",
                 "X-Twilio-Signature": RequestValidator(twilio.auth_token).compute_signature(
                     BASE + PREFIX + "/turn?lang=en&consent=0", {"CallSid": phone.call_sid})})
    assert answer.status == 403
    assert agent.received == [] and twilio.downloads == [] and twilio.deleted_recordings == []
    assert recogniser.calls == []


def test_without_twilio_credentials_the_webhook_is_off(phone, monkeypatch, agent):
    assert phone.client.get(PREFIX + "/").json() == {"status": "ok"}
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "")
    get_settings.cache_clear()
    assert phone.post(PREFIX + "/webhook").status == 503
    assert agent.received == []
    # The health check the README's setup ends with says so too (it said "ok").
    health = phone.client.get(PREFIX + "/")
    assert health.status == 503 and health.json()["status"] == "not_configured"


def test_signed_requests_with_blank_fields_are_accepted(phone):
    # Real call webhooks carry blanks (CallerZip=, FromCity=), and Twilio signs them too.
    assert phone.post(PREFIX + "/webhook", CallerZip="", FromCity="").status == 200


def test_a_malformed_call_sid_is_refused(phone):
    phone.call_sid = "CA-not-a-sid"
    assert phone.post(PREFIX + "/webhook").status == 400


def test_an_oversized_body_is_refused(phone, agent):
    assert phone.post(PREFIX + "/turn", Padding="x" * 70_000).status == 413
    assert agent.received == []


def test_signature_over_the_public_url_behind_a_proxy(phone, monkeypatch):
    monkeypatch.setenv("CLAIMS_PUBLIC_URL", "https://claims.example.com")
    get_settings.cache_clear()
    # Twilio signed the public URL; this server sees http://testserver.
    form = {"CallSid": phone.call_sid, "From": CALLER}
    signature = RequestValidator(phone.twilio.auth_token).compute_signature(
        "https://claims.example.com" + PREFIX + "/webhook", form)
    answer = phone.client.post(PREFIX + "/webhook", body=urlencode(form).encode(), headers={
        "content-type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    assert answer.status == 200
    menu = ET.fromstring(answer.body)
    assert menu.find("Gather").get("action").startswith(
        "https://claims.example.com/webhooks/twilio_voice/language?")
    assert phone.post(PREFIX + "/webhook").status == 403  # signed over the local URL


# --- the start of a call --------------------------------------------------------------------------

def test_call_start_greets_in_chinese_and_offers_english(phone):
    menu = phone.twiml(PREFIX + "/webhook", CallStatus="ringing")
    gather = menu.find("Gather")
    assert gather.get("input") == "dtmf" and gather.get("numDigits") == "1"
    assert gather.get("action").startswith("/webhooks/twilio_voice/language?")
    zh, en = gather.findall("Say")
    assert zh.text == say("call_welcome", "zh")
    assert (zh.get("voice"), zh.get("language")) == ("Polly.Zhiyu", "cmn-CN")
    assert en.text == say("call_welcome", "en") and en.get("language") == "en-US"
    # No <Gather input="speech">: Twilio never hears the caller for us.
    assert all("speech" not in (g.get("input") or "") for g in menu.iter("Gather"))


def test_english_on_key_2_is_kept_by_the_conversation(phone, agent):
    menu = phone.twiml(PREFIX + "/webhook")
    consent = phone.twiml(menu.find("Gather").get("action"), Digits="2")
    assert said(consent) == [say("call_consent", "en")]
    assert consent.find("Gather/Say").get("voice") == "Polly.Joanna"
    tracker = agent.trackers[phone.sender]
    assert tracker.get_slot("language") == "en" and tracker.get_slot("language_pinned")


def test_no_key_means_chinese(phone, agent):
    menu = phone.twiml(PREFIX + "/webhook")
    consent = phone.twiml(menu.find("Gather").get("action"))
    assert said(consent) == [say("call_consent", "zh")]
    assert state_of(consent.find("Gather").get("action")).lang == "zh"
    assert phone.sender not in agent.trackers  # nothing pinned: the caller chose nothing


def test_consent_is_asked_once_more_then_no_answer_means_no(phone, store):
    menu = phone.twiml(PREFIX + "/webhook")
    consent = phone.twiml(menu.find("Gather").get("action"), Digits="1")
    again = phone.twiml(consent.find("Gather").get("action"), Digits="7")
    assert said(again) == [say("call_consent_again", "zh")]
    ready = phone.twiml(again.find("Gather").get("action"))
    assert said(ready) == [say("call_consent_no", "zh"), say("call_ready", "zh")]
    assert state_of(ready.find("Record").get("action")).consent is False
    [entry] = audit_entries(store, phone.sender)
    assert entry.action == "call.recording_consent" and entry.detail["granted"] is False


def test_after_consent_the_caller_is_recorded(phone, store):
    ready = phone.start(lang_key="2", consent_key="1")
    assert said(ready) == [say("call_consent_yes", "en"), say("call_ready", "en")]
    record = ready.find("Record")
    assert record.get("playBeep") == "true" and record.get("maxLength") == "30"
    assert record.get("finishOnKey") == "*0" and record.get("timeout") == "3"
    assert state_of(record.get("action")) == CallState(lang="en", consent=True)
    # A turn with no sound at all: Twilio moves on to the redirect, to the same handler.
    assert ready.find("Redirect").text == record.get("action")
    [entry] = audit_entries(store, phone.sender)
    assert entry.detail == {"call_sid": phone.call_sid, "granted": True}


# --- turns ----------------------------------------------------------------------------------------

def test_a_turn_is_recognised_in_the_call_language_and_the_reply_spoken(
        phone, agent, recogniser, twilio, store):
    ready = phone.start(lang_key="2", consent_key="2")
    recogniser.heard("I want to report a claim")
    agent.script = lambda text: Turn(replies=["Please tell me your policy number."])
    reply = phone.record(ready, b"RIFF-audio-bytes")
    assert recogniser.calls == [{"bytes": len(b"RIFF-audio-bytes"), "language": "en",
                                 "context": None}]
    [message] = agent.received
    assert message.text == "I want to report a claim" and message.sender_id == phone.sender
    assert message.input_channel == "twilio_voice"
    assert message.metadata["phone_call"]["from"] == CALLER
    assert said(reply) == ["Please tell me your policy number."]
    assert reply.find("Say").get("voice") == "Polly.Joanna"
    assert reply.find("Record") is not None
    # No consent: the recording was fetched with the account's credentials, then deleted.
    assert len(twilio.downloads) == 1 and len(twilio.deleted_recordings) == 1
    actions = [e.action for e in audit_entries(store, phone.sender)]
    assert actions == ["call.recording_consent", "call.recording_deleted"]


def test_with_consent_the_recording_is_kept_and_referenced(phone, agent, recogniser, twilio,
                                                           store):
    ready = phone.start(lang_key="2", consent_key="1")
    recogniser.heard("where is my claim")
    reply = phone.record(ready, b"RIFF-audio")
    assert twilio.deleted_recordings == []
    kept = [e for e in audit_entries(store, phone.sender) if e.action == "call.recording_kept"]
    assert len(kept) == 1
    sid = kept[0].detail["recording_sid"]
    assert kept[0].detail["recording_url"] == twilio.recording_url(sid)
    assert state_of(reply.find("Record").get("action")).consent is True


def test_numbers_heard_are_read_back(phone, agent, recogniser):
    ready = phone.start(lang_key="2")
    recogniser.heard("AUTO-2026-0001")
    agent.script = lambda text: Turn(replies=["And your date of birth?"])
    reply = phone.record(ready)
    assert said(reply)[0] == speakable(say("call_heard_number", "en", text="AUTO-2026-0001"))
    assert said(reply)[0] == ("I heard the number A U T O, 2 0 2 6, 0 0 0 1. If that's wrong, "
                              "say it again, or press star to type it on the keypad.")


def test_only_the_numbers_of_a_long_turn_are_read_back_not_the_whole_story(phone, agent,
                                                                          recogniser):
    ready = phone.start(lang_key="2")
    story = ("Hello, I am calling because my car was hit from behind yesterday on the ring road "
             "and the bumper is broken, the garage says about 3,000 dollars, my policy is "
             "AUTO-2026-0001 and it happened on 2026-03-05.")
    recogniser.heard(story)
    agent.script = lambda text: Turn(replies=["And your date of birth?"])
    reply = phone.record(ready)
    heard = said(reply)[0]
    assert heard == speakable(say("call_heard_numbers", "en",
                                  text="3,000; AUTO-2026-0001; 2026-03-05"))
    assert heard.startswith("I heard the numbers 3,000; A U T O, 2 0 2 6, 0 0 0 1; 2026-03-05.")
    assert "garage" not in heard and "Hello" not in heard
    assert said(reply)[1:] == ["And your date of birth?"]
    assert agent.texts == [story]  # the bot still reads every word


def test_a_mandarin_turn_reads_back_its_number_and_date_only(phone, agent, recogniser):
    ready = phone.start(lang_key="1")
    recogniser.heard("你好，我昨天在中山路被追尾了，保单号是AUTO-2026-0001，出生日期1985年4月12日")
    agent.script = lambda text: Turn(replies=["好的。"])
    reply = phone.record(ready)
    assert said(reply)[0] == speakable(say("call_heard_numbers", "zh",
                                           text="AUTO-2026-0001、1985年4月12日"))
    assert said(reply)[0].startswith("我听到的号码是：A U T O, 2 0 2 6, 0 0 0 1、1985年4月12日。")
    assert "追尾" not in said(reply)[0]
    recogniser.heard("我的保单号是 auto 2026 0001")
    reply = phone.record(reply)
    assert said(reply)[0] == speakable(say("call_heard_number", "zh", text="AUTO-2026-0001"))
    assert "auto" not in said(reply)[0]


def test_the_conversation_language_decides_the_voice(phone, agent, recogniser):
    ready = phone.start(lang_key="1")
    recogniser.heard("English please")
    agent.script = lambda text: Turn(replies=["Sure, I'll continue in English."],
                                     language="en")
    reply = phone.record(ready)
    assert reply.find("Say").get("voice") == "Polly.Joanna"
    assert state_of(reply.find("Record").get("action")).lang == "en"


def test_a_retried_recording_callback_is_handled_once(phone, agent, recogniser, twilio):
    ready = phone.start()
    recogniser.heard("where is my claim")
    action = ready.find("Record").get("action")
    sid = "RE" + uuid.uuid4().hex
    url = twilio.add_recording(sid, b"RIFF")
    first = phone.twiml(action, RecordingUrl=url, RecordingSid=sid, RecordingDuration="3")
    again = phone.twiml(action, RecordingUrl=url, RecordingSid=sid, RecordingDuration="3")
    assert len(agent.received) == 1 and len(recogniser.calls) == 1
    assert said(first) and said(again) == [] and again.find("Record") is not None


# --- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("audio", [b"", b"this is not audio at all" * 50, None],
                         ids=["empty", "corrupt", "silence"])
def test_bad_audio_is_asked_again_then_a_person(store, twilio, agent, audio):
    with make_client(agent, real_recogniser) as client:
        phone = Phone(client, twilio)
        ready = phone.start(lang_key="2")
        clip = audio if audio is not None else silence(3, "ulaw8k")
        again = phone.record(ready, clip)
        assert said(again) == [say("call_not_understood", "en")]
        assert state_of(again.find("Record").get("action")).misses == 1
        assert agent.received == []  # nothing the caller did not say reaches the bot
        agent.script = lambda text: Turn(replies=["A person will call you."], paused=True)
        person = phone.record(again, clip)
    assert agent.texts == ["/request_human"]
    assert said(person) == [say("call_not_understood_person", "en"), "A person will call you.",
                            say("call_transferring", "en")]
    assert person.find("Dial/Number").text == AGENTS_PHONE
    assert len(twilio.deleted_recordings) == 2


def test_silence_without_any_recording_counts_as_a_miss(phone, agent):
    ready = phone.start(lang_key="2")
    again = phone.twiml(ready.find("Redirect").text)
    assert said(again) == [say("call_not_understood", "en")]
    assert agent.received == []


def test_a_twenty_minute_recording_is_not_even_fetched(phone, twilio, recogniser, store):
    ready = phone.start(lang_key="2")
    again = phone.record(ready, b"RIFF" + bytes(1000), duration=1200)
    assert said(again) == [say("call_too_long", "en", seconds=30)]
    assert twilio.downloads == [] and recogniser.calls == []
    assert len(twilio.deleted_recordings) == 1  # and not kept at Twilio either


def test_a_recording_url_that_fails_or_hangs(phone, twilio, recogniser):
    ready = phone.start(lang_key="2")
    action = ready.find("Record").get("action")
    missing = "RE" + uuid.uuid4().hex  # never added: the stand-in answers 404
    again = phone.twiml(action, RecordingUrl=twilio.recording_url(missing),
                        RecordingSid=missing, RecordingDuration="4")
    assert said(again) == [say("call_not_understood", "en")]
    assert twilio.downloads.count(f"recording:{missing}") == 3  # retried, then given up
    # A URL that hangs: the slow file is served after the fetch has given up.
    slow = "RE" + uuid.uuid4().hex
    twilio.add_recording(slow, b"RIFF")
    twilio._slow_files[f"recording:{slow}"] = 5.0
    person = phone.twiml(again.find("Record").get("action"),
                         RecordingUrl=twilio.recording_url(slow), RecordingSid=slow,
                         RecordingDuration="4")
    assert person.find("Dial/Number").text == AGENTS_PHONE
    assert recogniser.calls == []


def test_credentials_are_never_sent_to_a_foreign_recording_url(phone, twilio, recogniser):
    ready = phone.start(lang_key="2")
    sid = "RE" + uuid.uuid4().hex
    foreign = twilio.add_file(f"{sid}.wav", b"RIFF", "audio/wav")  # not under the account
    again = phone.twiml(ready.find("Record").get("action"), RecordingUrl=foreign,
                        RecordingSid=sid, RecordingDuration="4")
    assert said(again) == [say("call_not_understood", "en")]
    assert twilio.downloads == [] and recogniser.calls == []


def test_a_failure_in_the_dialogue_still_answers_twiml(phone, agent, recogniser):
    ready = phone.start(lang_key="2")
    recogniser.heard("where is my claim")
    agent.fail = True
    again = phone.record(ready)
    assert said(again) == [say("call_problem", "en"), say("call_not_understood", "en")]
    assert again.find("Record") is not None
    recogniser.heard("where is my claim")
    person = phone.record(again)
    assert person.find("Dial/Number").text == AGENTS_PHONE


def test_a_turn_rasa_could_not_store_is_asked_again(phone, agent, recogniser):
    ready = phone.start(lang_key="2")
    recogniser.heard("where is my claim")
    agent.turn_fails = True
    again = phone.record(ready)
    assert said(again) == [say("call_problem", "en"), say("call_not_understood", "en")]
    assert state_of(again.find("Record").get("action")).misses == 1


def test_each_answer_says_where_the_time_went(phone, agent, recogniser):
    ready = phone.start(lang_key="2")
    recogniser.heard("where is my claim")
    action = ready.find("Record").get("action")
    sid = "RE" + uuid.uuid4().hex
    answer = phone.post(action, RecordingUrl=phone.twilio.add_recording(sid, b"RIFF"),
                        RecordingSid=sid, RecordingDuration="2")
    stages = dict(part.strip().split(";dur=") for part in
                  answer.headers["server-timing"].split(","))
    assert set(stages) == {"fetch", "recognise", "dialogue", "total"}
    assert all(float(ms) >= 0 for ms in stages.values())


def test_the_caller_hanging_up_mid_turn_deletes_the_recording(phone, agent, twilio,
                                                              recogniser):
    ready = phone.start(lang_key="2")
    answer = phone.record(ready, Digits="hangup")
    assert list(answer) == [] and agent.received == [] and recogniser.calls == []
    assert len(twilio.deleted_recordings) == 1


# --- the keypad -----------------------------------------------------------------------------------

def test_star_then_digits_type_a_policy_number(phone, agent, recogniser, twilio):
    ready = phone.start(lang_key="2")
    agent.script = lambda text: Turn(replies=["What is your date of birth?"])
    keypad = phone.record(ready, Digits="*")
    assert recogniser.calls == [] and len(twilio.deleted_recordings) == 1
    gather = keypad.find("Gather")
    assert gather.get("input") == "dtmf" and gather.get("finishOnKey") == "#"
    assert said(keypad) == [say("call_keypad_prompt", "en")]
    reply = phone.twiml(gather.get("action"), Digits=keypad_code("AUTO") + "20260001")
    assert agent.texts == ["AUTO-2026-0001"]
    assert said(reply) == ["What is your date of birth?"]
    nothing = phone.twiml(gather.get("action"))  # the caller typed nothing before the timeout
    assert said(nothing) == [say("call_keypad_empty", "en")]


def test_keys_choose_among_the_buttons_of_the_last_reply(phone, agent, recogniser):
    ready = phone.start(lang_key="2")
    recogniser.heard("I want to check my claim")
    buttons = [{"title": "Talk to a person", "payload": "/request_human"},
               {"title": "No, thanks", "payload": "/deny"}]
    agent.script = lambda text: Turn(replies=["Verified. Would you like a person?"],
                                     buttons=buttons)
    offer = phone.record(ready)
    assert said(offer) == ["Verified. Would you like a person?",
                           say("call_menu_option", "en", digit="1", title="Talk to a person"),
                           say("call_menu_option", "en", digit="2", title="No, thanks")]
    assert offer.find("Record").get("finishOnKey") == "*012"
    agent.script = lambda text: Turn(replies=["OK."])
    reply = phone.record(offer, Digits="2")
    assert agent.texts[-1] == "/deny" and said(reply) == ["OK."]


def test_a_list_that_names_its_choices_by_place_is_not_read_again_as_a_menu(phone, agent,
                                                                           recogniser):
    """Several claims: the status list says "第1笔 CLM-…：…", which is the key to press. Reading
    the buttons after it ("第1笔 车险 CLM-…，请按1") made a caller hear every claim twice."""
    ready = phone.start(lang_key="1")
    recogniser.heard("查一下我的理赔")
    claims = [("CLM-2026-000004", "车险"), ("CLM-2026-000007", "健康险")]
    listing = "\n".join(
        [say("status_intro", "zh", count=2)]
        + [say("status_choice", "zh", index=i, number=number, product=product, date="11月20日",
               step="等您补交材料") for i, (number, product) in enumerate(claims, 1)]
        + [say("status_pick", "zh", example=claims[0][0])])
    buttons = [{"title": say("status_button", "zh", index=i, number=number, product=product),
                "payload": f'/inform{{"claim_number":"{number}"}}'}
               for i, (number, product) in enumerate(claims, 1)]
    agent.script = lambda text: Turn(replies=[listing], buttons=buttons)
    listed = phone.record(ready)
    spoken = " ".join(said(listed))
    assert spoken.count("C L M, 2 0 2 6, 0 0 0 0 0 4") == 1, spoken
    assert spoken.count("C L M, 2 0 2 6, 0 0 0 0 0 7") == 1, spoken
    assert "请按它的数字键" in spoken and "请按1" not in spoken, spoken
    assert listed.find("Record").get("finishOnKey") == "*012"  # the keys still choose
    agent.script = lambda text: Turn(replies=["好的。"])
    phone.record(listed, Digits="2")
    assert agent.texts[-1].endswith('inform{"claim_number":"CLM-2026-000007"}')


def test_an_answer_is_recognised_after_the_question_and_options_it_answers(phone, agent,
                                                                         recogniser):
    """A one-word answer means little without its question: the recogniser is told what the
    bot said since the caller last spoke (the reply and the options under it), not what it
    said earlier."""
    ready = phone.start(lang_key="1")
    recogniser.heard("我要报案")
    buttons = [{"title": "有人受伤", "payload": "/affirm"},
               {"title": "没有人受伤", "payload": "/deny"}]
    agent.script = lambda text: Turn(replies=["好的。", "有人受伤吗？"], buttons=buttons)
    question = phone.record(ready)
    recogniser.heard("没有")
    agent.script = lambda text: Turn(replies=["大概损失多少钱？"])
    phone.record(question)
    recogniser.heard("三千块")
    agent.script = lambda text: Turn(replies=["好的。"])
    phone.record(question)
    assert [call["context"] for call in recogniser.calls] == [
        None, "好的。\n有人受伤吗？\n有人受伤\n没有人受伤", "大概损失多少钱？"]
    assert agent.texts == ["我要报案", "没有", "三千块"]


def test_zero_puts_the_caller_through_to_a_person(phone, agent):
    ready = phone.start(lang_key="2")
    agent.script = lambda text: Turn(replies=["You're in the queue, next in line."],
                                     paused=True)
    person = phone.record(ready, Digits="0")
    assert agent.texts == ["/request_human"]
    assert said(person) == ["You're in the queue, next in line.",
                            say("call_transferring", "en")]
    dial = person.find("Dial")
    assert dial.find("Number").text == AGENTS_PHONE
    assert dial.get("action").startswith("/webhooks/twilio_voice/dial?")


# --- a person, goodbye ----------------------------------------------------------------------------

def test_a_caller_put_through_hears_only_that_they_are_put_through_now(phone, agent):
    """The bot's chat wording ("4 people ahead… about 20 minutes… add anything else right
    here") is not said on a call that is being dialled through now."""
    ready = phone.start(lang_key="2")
    agent.script = lambda text: Turn(replies=[say("handoff_queued", "en", ahead=4, minutes=20)],
                                     paused=True)
    person = phone.record(ready, Digits="0")
    assert said(person) == [say("call_transferring", "en")]
    assert person.find("Dial/Number").text == AGENTS_PHONE


@pytest.mark.parametrize("key,fields", [("handoff_queued", {"ahead": 7, "minutes": 32}),
                                        ("handoff_queued_next", {"minutes": 5}),
                                        ("handoff_already", {})])
def test_a_mandarin_caller_put_through_after_two_misses_hears_one_consistent_thing(
        phone, agent, recogniser, key, fields):
    ready = phone.start(lang_key="1")
    recogniser.not_understood("low_confidence")
    again = phone.record(ready)
    recogniser.not_understood("low_confidence")
    agent.script = lambda text: Turn(replies=[say(key, "zh", **fields)], paused=True)
    person = phone.record(again)
    assert agent.texts == ["/request_human"]
    assert said(person) == [say("call_not_understood_person", "zh"),
                            say("call_transferring", "zh")]
    assert not any("写在这里" in text or "分钟" in text for text in said(person))
    assert person.find("Dial/Number").text == AGENTS_PHONE


def test_when_the_bot_hands_off_mid_turn_its_other_words_stay_but_not_the_queue_wording(
        phone, agent, recogniser):
    ready = phone.start(lang_key="2")
    recogniser.heard("I want to complain")
    agent.script = lambda text: Turn(
        replies=["Your complaint is recorded.", say("handoff_queued_next", "en", minutes=5)],
        actions=["action_handoff"], paused=True)
    person = phone.record(ready)
    assert said(person) == ["Your complaint is recorded.", say("call_transferring", "en")]


def test_a_streamed_call_put_through_hears_the_same(phone):
    from channels.twilio_voice import PERSON_NOW
    from channels.twilio_voice_stream import Ending, _keep_ending

    _keep_ending(phone.call_sid, Ending(PERSON_NOW, [
        say("call_silence_person", "zh"), say("handoff_queued", "zh", ahead=7, minutes=32)],
        CallState(lang="zh")))
    person = phone.twiml(PREFIX + "/streamed?lang=zh&stream=1")
    assert said(person) == [say("call_silence_person", "zh"), say("call_transferring", "zh")]
    assert person.find("Dial/Number").text == AGENTS_PHONE


def test_out_of_hours_the_caller_hears_what_happens_instead_not_the_chat_queue(
        phone, agent, monkeypatch):
    monkeypatch.setenv("CLAIMS_AGENT_HOURS", "03:00-03:01")
    monkeypatch.setenv(CLOCK_SHIFT_ENV, shift_to(22))  # closed, whatever the hour the suite runs
    get_settings.cache_clear()
    ready = phone.start(lang_key="2")
    agent.script = lambda text: Turn(replies=[say(
        "handoff_after_hours", "en", hours="03:00-03:01", opens="tomorrow 03:00")], paused=True)
    later = phone.record(ready, Digits="0")
    assert said(later) == [say("call_person_later", "en")]
    assert later.find("Dial") is None and later.find("Hangup") is not None


def test_without_an_agents_line_the_caller_hears_only_the_service_line(phone, agent,
                                                                       monkeypatch):
    monkeypatch.setenv("CLAIMS_AGENTS_PHONE", "")
    get_settings.cache_clear()
    ready = phone.start(lang_key="1")
    agent.script = lambda text: Turn(replies=[say("handoff_queued", "zh", ahead=7, minutes=32)],
                                     paused=True)
    nobody = phone.record(ready, Digits="0")
    assert said(nobody) == [say("call_no_agents_line", "zh")]
    assert nobody.find("Dial") is None and nobody.find("Hangup") is not None


def test_when_the_bot_hands_off_the_call_is_transferred(phone, agent, recogniser):
    ready = phone.start(lang_key="2")
    recogniser.heard("I want to complain")
    agent.script = lambda text: Turn(replies=["A person will take over."],
                                     actions=["action_handoff"], paused=True)
    person = phone.record(ready)
    assert person.find("Dial/Number").text == AGENTS_PHONE
    assert person.find("Record") is None


def test_an_elderly_caller_is_put_through_not_just_offered(phone, agent, recogniser):
    ready = phone.start(lang_key="2")
    recogniser.heard("I'm 78 years old")

    def script(text: str) -> Turn:
        if text == "/request_human":
            return Turn(replies=["You're first in the queue."], paused=True)
        return Turn(replies=["Would you like a person?"], actions=["action_offer_human"],
                    buttons=[{"title": "Talk to a person", "payload": "/request_human"}])

    agent.script = script
    person = phone.record(ready)
    assert agent.texts == ["I'm 78 years old", "/request_human"]
    assert said(person) == ["You're first in the queue.", say("call_transferring", "en")]
    assert person.find("Dial/Number").text == AGENTS_PHONE


def test_out_of_hours_or_without_an_agents_line_the_caller_is_told_and_the_call_ends(
        phone, agent, monkeypatch):
    ready = phone.start(lang_key="2")
    agent.script = lambda text: Turn(replies=["People answer from 08:00."], paused=True)
    monkeypatch.setenv("CLAIMS_AGENT_HOURS", "03:00-03:01")
    monkeypatch.setenv(CLOCK_SHIFT_ENV, shift_to(22))  # closed, whatever the hour the suite runs
    get_settings.cache_clear()
    later = phone.record(ready, Digits="0")
    assert said(later) == ["People answer from 08:00.", say("call_person_later", "en")]
    assert later.find("Dial") is None and later.find("Hangup") is not None
    monkeypatch.setenv("CLAIMS_AGENTS_PHONE", "")
    monkeypatch.setenv("CLAIMS_AGENT_HOURS", "00:00-00:00")
    get_settings.cache_clear()
    phone.call_sid = "CA" + uuid.uuid4().hex
    ready = phone.start(lang_key="2")
    nobody = phone.record(ready, Digits="0")
    assert said(nobody)[-1] == say("call_no_agents_line", "en")
    assert nobody.find("Hangup") is not None


def test_after_the_transfer(phone):
    done = phone.twiml(PREFIX + "/dial?lang=en", DialCallStatus="completed")
    assert said(done) == [] and done.find("Hangup") is not None
    unanswered = phone.twiml(PREFIX + "/dial?lang=en", DialCallStatus="no-answer")
    assert said(unanswered) == [say("call_agents_unavailable", "en")]
    assert unanswered.find("Hangup") is not None


def test_goodbye_ends_the_call(phone, agent, recogniser):
    ready = phone.start(lang_key="2")
    recogniser.heard("that's all, goodbye")
    agent.script = lambda text: Turn(replies=["Take care."], actions=["action_say_goodbye"])
    end = phone.record(ready)
    assert said(end) == ["Take care."] and end.find("Hangup") is not None
    assert end.find("Record") is None


def test_a_corrected_mandarin_turn_keeps_what_was_heard_for_audit(phone, agent, recogniser):
    # bot.speech.lexicon mapped "礼培" to "理赔": Rasa reads the corrected words, and the raw
    # ones travel in the message's metadata, so the tracker keeps both.
    ready = phone.start(lang_key="1")
    recogniser.transcripts.append(Transcript(
        understood=True, text="我的理赔进度怎么样了", raw_text="我的礼培进度怎么样了",
        language="zh", confidence=0.8, corrections=(("礼培进度", "理赔进度"),)))
    agent.script = lambda text: Turn(replies=["请告诉我您的保单号。"])
    phone.record(ready)
    [message] = agent.received
    assert message.text == "我的理赔进度怎么样了"
    assert message.metadata["asr_raw"] == "我的礼培进度怎么样了"
    assert message.metadata["asr_corrections"] == [["礼培进度", "理赔进度"]]
    assert message.metadata["phone_call"]["from"] == CALLER


def test_an_uncorrected_turn_carries_no_audit_fields(phone, agent, recogniser):
    ready = phone.start(lang_key="2")
    recogniser.heard("where is my claim")
    phone.record(ready)
    [message] = agent.received
    assert "asr_raw" not in message.metadata


# --- other callers speaking at once ---------------------------------------------------------------

@pytest.fixture
def one_busy_recogniser(monkeypatch):
    """The speech pool with room for one job, taken by another caller's turn until released."""
    import threading

    from bot import workers

    pool = workers.BoundedPool("speech", workers=1, waiting=0)
    monkeypatch.setitem(workers._POOLS, "speech", pool)
    release = threading.Event()
    pool.try_submit(release.wait, 30)
    yield release
    release.set()


def test_a_turn_that_finds_the_recogniser_busy_waits_its_go(
        store, twilio, agent, recogniser, one_busy_recogniser):
    import threading

    # Another caller's turn ends a moment later: this caller's words are heard, not refused.
    threading.Timer(0.5, one_busy_recogniser.set).start()
    with make_client(agent, recogniser) as client:
        phone = Phone(client, twilio)
        ready = phone.start(lang_key="2", consent_key="2")
        recogniser.heard("where is my claim")
        agent.script = lambda text: Turn(replies=["Your claim is in review."])
        reply = phone.record(ready, b"RIFF-audio")
    assert said(reply) == ["Your claim is in review."]
    assert [m.text for m in agent.received] == ["where is my claim"]


def test_a_recogniser_busy_past_the_wait_is_our_fault_not_the_caller_s(
        store, twilio, agent, recogniser, one_busy_recogniser):
    config = VoiceConfig(fetch_timeout_seconds=1.5, recognise_timeout_seconds=0.6)
    with make_client(agent, recogniser, config) as client:
        phone = Phone(client, twilio)
        ready = phone.start(lang_key="2", consent_key="2")
        reply = phone.record(ready, b"RIFF-audio")
    assert said(reply)[0] == say("call_problem", "en")  # not "I didn't catch that" alone
    assert reply.find("Record") is not None and agent.received == []


# --- the bot's words as a caller hears them (bot/phone/wording.py) ------------------------------

# What a caller cannot do on a call: send, write or photograph anything, or copy an example.
SCREEN_ONLY = ("发给我", "请发", "再发", "发到这里", "写在这里", "拍照", "XXXX", "1980-05-20",
               "回复“")


def chinese_characters(text: str) -> int:
    import re

    return len(re.findall(r"[\u4e00-\u9fff]", text))


def test_a_mandarin_caller_is_asked_who_they_are_in_words_for_the_phone(phone, agent,
                                                                       recogniser):
    """"请发保单号…比如“AUTO-2026-XXXX，1980-05-20”" was 21-24 s of speech and asked for what
    a caller cannot do."""
    ready = phone.start(lang_key="1")
    recogniser.heard("查一下理赔进度")
    agent.script = lambda text: Turn(replies=[say("ask_policy_number", "zh")])
    [question] = said(phone.record(ready))
    assert not [phrase for phrase in SCREEN_ONLY if phrase in question], question
    assert "请说保单号" in question and "出生日期" in question
    assert chinese_characters(question) <= 60, question


def test_a_caller_asked_again_for_the_policy_number_is_told_to_say_it(phone, agent, recogniser):
    ready = phone.start(lang_key="1")
    recogniser.heard("我不知道")
    agent.script = lambda text: Turn(replies=[say("policy_number_unreadable", "zh")])
    [again] = said(phone.record(ready))
    assert "请再说一遍" in again and "星号键" in again
    assert not [phrase for phrase in SCREEN_ONLY if phrase in again], again


@pytest.mark.parametrize("lang_key,lang", [("1", "zh"), ("2", "en")])
def test_a_claim_status_on_a_call_is_its_stage_what_is_missing_and_what_next(
        phone, agent, recogniser, store, lang_key, lang):
    """The chat's status (stage, reported date, what is being done, the deadline rule, "请一次性
    拍照发给我们") was 41 s of speech; a caller hears the stage, what is missing, how it can be
    sent and what happens next."""
    from bot.claims.status import status_of_customer

    chat = status_of_customer("AUTO-2026-0001", lang, actor="test", url=store).text
    assert "拍照发给我们" in chat or "send photos" in chat  # the chat's wording, for a screen
    ready = phone.start(lang_key=lang_key)
    recogniser.heard("where is my claim")
    agent.script = lambda text: Turn(replies=[chat])
    [status] = said(phone.record(ready))
    assert "C L M, 2 0 2 6" in status
    if lang == "zh":
        assert "正在审核材料" in status and "驾驶证" in status and "微信" in status
        assert not [phrase for phrase in SCREEN_ONLY if phrase in status], status
        assert "报案日期" not in status and "时限" not in status
        assert chinese_characters(status) <= 90, (chinese_characters(status), status)
        assert all(chinese_characters(sentence) <= 40 for sentence in status.split("。"))
    else:
        assert "documents being checked" in status and "driving licence" in status.lower()
        for phrase in ("send", "photos of them", "Time limit", "reported"):
            assert phrase not in status, (phrase, status)
        assert len(status) <= 300, (len(status), status)


def test_a_streamed_call_hears_the_same_words_in_short_parts() -> None:
    from bot.phone import speaking

    for key in ("ask_policy_number", "policy_number_unreadable"):
        parts = speaking.parts(speakable(say(key, "zh")))
        assert parts and all(chinese_characters(part) <= 40 for part in parts), parts
        assert not [phrase for part in parts for phrase in SCREEN_ONLY if phrase in part]
