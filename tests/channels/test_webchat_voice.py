"""Web chat voice notes (/webhooks/webchat/voice): real audio through the real speech model, and a
stand-in for Rasa's agent with Rasa's own in-memory tracker and lock stores."""
from __future__ import annotations

import uuid
from typing import Iterator, List

import pytest
from rasa.core.channels.channel import UserMessage, register
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from sanic import Sanic

from bot.replies import say
from bot.settings import ROOT, get_settings
from bot.speech import shared_model
from channels.webchat import WebChatInput
from channels.webchat_voice import SPEECH_FAILED, consecutive_failures
from tests.support.asgi import AsgiClient
from tests.support.audio import silence, speak
from tests.support.webchat import PageClient

VOICE = "/webhooks/webchat/voice"
STATUS = "I would like to check the status of my claim please."


class StandInProcessor:
    def __init__(self, store: InMemoryTrackerStore) -> None:
        self.store = store

    async def fetch_tracker_and_update_session(self, sender_id: str, output_channel=None):
        tracker = await self.store.get_or_create_tracker(sender_id)
        if not tracker.events:  # what Rasa's default action_session_start leaves
            tracker.update(SessionStarted())
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        return tracker


class StandInAgent:
    """Rasa's agent as far as the channel sees it: stores the customer's words in the tracker
    and answers; the tracker and lock stores are Rasa's own."""

    def __init__(self) -> None:
        self.tracker_store = InMemoryTrackerStore(Domain.load(str(ROOT / "domain.yml")))
        self.lock_store = InMemoryLockStore()
        self.processor = StandInProcessor(self.tracker_store)
        self.received: List[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, metadata=message.metadata))
        await self.tracker_store.save(tracker)
        await message.output_channel.send_text_message(message.sender_id, "bot: " + message.text)

    def tracker(self, sender: str):
        return _run(self.tracker_store.get_or_create_tracker(sender))

    def update(self, sender: str, *events) -> None:
        async def apply() -> None:
            tracker = await self.tracker_store.get_or_create_tracker(sender)
            for event in events:
                tracker.update(event)
            await self.tracker_store.save(tracker)

        _run(apply())


def _run(coroutine):
    import asyncio

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


@pytest.fixture(scope="module")
def model():
    return shared_model()  # loaded once; the route's recogniser uses the same one


@pytest.fixture
def agent() -> StandInAgent:
    return StandInAgent()


@pytest.fixture
def client(agent: StandInAgent, model) -> Iterator[AsgiClient]:
    app = Sanic(f"webchat_voice_{uuid.uuid4().hex}")
    app.ctx.agent = agent
    register([WebChatInput(max_message_chars=2000)], app, route="/webhooks/")
    with PageClient(app) as c:
        yield c


def post_voice(client: AsgiClient, audio: bytes, sender: str = "web-voice-1",
               content_type: str = "audio/ogg"):
    return client.post(f"{VOICE}?sender={sender}", body=audio,
                       headers={"Content-Type": content_type})


def test_an_understood_voice_note_is_shown_back_and_handled_as_typed_text(client, agent):
    res = post_voice(client, speak(STATUS, "ogg"))
    assert res.status == 200
    heard, *replies = res.json()
    assert heard["heard"] is True
    assert heard["text"].startswith("I heard: “") and "status" in heard["text"].lower()
    [message] = agent.received
    assert heard["text"] == f"I heard: “{message.text.rstrip('.')}”. If that's wrong, say it " \
        "again or type it."
    assert message.input_channel == "webchat"
    assert message.metadata["input"] == "voice"
    assert replies == [{"recipient_id": "web-voice-1", "text": "bot: " + message.text}]


def test_a_voice_note_is_heard_after_what_the_bot_last_asked(client, agent, monkeypatch):
    """A short answer ("没有") means little without its question: the recogniser is told what
    the bot said since the customer's last words."""
    import bot.speech

    seen = []
    real = bot.speech.recognise

    def spy(audio, language=None, **kwargs):
        seen.append(kwargs.get("context"))
        return real(audio, language=language, **kwargs)

    monkeypatch.setattr(bot.speech, "recognise", spy)
    agent.update("web-asked", UserUttered("我要报案"), BotUttered("有人受伤吗？"))
    post_voice(client, speak(STATUS, "wav"), sender="web-asked", content_type="audio/wav")
    post_voice(client, speak(STATUS, "wav"), sender="web-new", content_type="audio/wav")
    assert seen == ["有人受伤吗？", None]


def test_the_conversation_language_is_used_when_known(client, agent, monkeypatch):
    import bot.speech

    seen = []
    real = bot.speech.recognise

    def spy(audio, language=None, **kwargs):
        seen.append(language)
        return real(audio, language=language, **kwargs)

    monkeypatch.setattr(bot.speech, "recognise", spy)
    post_voice(client, speak(STATUS, "wav"), sender="web-new", content_type="audio/wav")
    agent.update("web-en", SlotSet("language", "en"))
    post_voice(client, speak(STATUS, "wav"), sender="web-en", content_type="audio/wav")
    assert seen == [None, "en"]  # unknown: detected between zh and en


def test_silence_is_not_understood_and_nothing_reaches_rasa(client, agent):
    res = post_voice(client, silence(2))
    assert res.status == 200
    assert res.json() == [{"recipient_id": "web-voice-1",
                           "text": "抱歉，没有听清，请再说一遍。您也可以直接打字。"}]
    assert agent.received == []
    tracker = agent.tracker("web-voice-1")
    assert [e.metadata for e in tracker.events if e.type_name == "bot"] == [
        {SPEECH_FAILED: "silence"}]


def test_two_failures_in_a_row_offer_a_person_and_a_typed_message_breaks_the_row(client, agent):
    assert "buttons" not in post_voice(client, b"not audio at all" * 20).json()[0]
    [offer] = post_voice(client, silence(2)).json()
    assert offer["text"] == "抱歉，我还是没听清。要不要为您转人工客服？您也可以直接打字。"
    assert [b["payload"] for b in offer["buttons"]] == ["/request_human", "/deny"]
    tracker = agent.tracker("web-voice-1")
    assert tracker.get_slot("human_offered") is True  # "对" now hands over (rules/handoff.yml)
    assert consecutive_failures(tracker.events) == 2
    assert agent.received == []

    # A message that got through (typed or spoken) starts the count again.
    agent.update("web-voice-1", UserUttered("查进度"))
    assert "buttons" not in post_voice(client, silence(2)).json()[0]


def test_no_offer_while_a_person_holds_the_conversation(client, agent):
    agent.update("web-voice-1", ConversationPaused())
    post_voice(client, silence(2))
    [reply] = post_voice(client, silence(2)).json()
    assert "buttons" not in reply
    assert reply["text"] == "抱歉，没有听清，请再说一遍。您也可以直接打字。"


def test_english_conversation_gets_english_replies(client, agent):
    agent.update("web-en", SlotSet("language", "en"))
    [reply] = post_voice(client, b"", sender="web-en").json()
    assert reply["text"] == "Sorry, I didn't catch that. Please say it again, or type it."


@pytest.mark.parametrize("sender", ["", "bad sender", "x" * 65, "a/b"])
def test_a_bad_sender_is_refused(client, agent, sender):
    res = client.post(f"{VOICE}?sender={sender.replace(' ', '%20')}", body=speak(STATUS, "ogg"))
    assert res.status == 400
    assert res.json()["error"] == "invalid_sender"
    assert agent.received == []


def test_a_note_over_the_upload_limit_is_refused_with_a_reply(client, agent, monkeypatch):
    monkeypatch.setenv("CLAIMS_MAX_UPLOAD_BYTES", "2000")
    get_settings.cache_clear()
    try:
        res = post_voice(client, speak(STATUS, "wav"))
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert res.status == 413
    assert res.json()[0]["text"] == say("speech_too_large", "zh")
    assert agent.received == []


def test_a_model_that_cannot_load_leaves_typing_to_the_customer(client, agent, monkeypatch):
    import bot.speech
    from bot.speech import SpeechModelError

    def broken(audio, language=None, **kwargs):
        raise SpeechModelError("the speech model cannot be loaded")

    monkeypatch.setattr(bot.speech, "recognise", broken)
    res = post_voice(client, speak(STATUS, "ogg"))
    assert res.status == 503
    assert "语音识别暂时用不了" in res.json()[0]["text"]
    assert agent.received == []


def test_the_page_offers_recording_and_picking_a_voice_note(client):
    page = client.get("/webhooks/webchat/").text
    assert 'id="voice-button"' in page
    assert 'id="voice-input"' in page
    script = client.get("/webhooks/webchat/static/webchat.js").text
    assert "MediaRecorder" in script and '"voice?sender="' in script


def test_a_voice_note_carries_the_servers_view_of_the_client_address(client, agent):
    """F5: the identity check counts wrong answers per client address; a voice note must carry
    it like a typed message does (the peer as the server sees it, never the page's word)."""
    res = client.post(f"{VOICE}?sender=web-voice-addr", body=speak(STATUS, "ogg"),
                      headers={"Content-Type": "audio/ogg"})
    assert res.status == 200
    [message] = agent.received
    address = message.metadata.get("client_address")
    assert address and address != "203.0.113.99"
