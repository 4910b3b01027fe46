"""The Telegram channel's webhook, driven in-process (no port, no model) against the local Bot API
stand-in, a seeded store and a stand-in for Rasa's agent; speech is recognised for real."""
from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from PIL import Image
from rasa.core.channels.channel import UserMessage, register
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from sanic import Sanic

from bot.documents.captions import document_for_caption
from bot.inbound import first_receipt
from bot.language import normalise
from bot.replies import say
from bot.settings import ROOT, get_settings
from bot.store.db import unit_of_work
from channels.locations import coordinates_text
from channels.telegram import (
    MAX_BODY_BYTES,
    SECRET_HEADER,
    TelegramInput,
    language_for,
    read_update,
)
from channels.telegram_output import (
    chat_id_of,
    conversation_id,
    inline_keyboard,
    masked,
    split_text,
)
from tests.standins.telegram import SECRET, TOKEN, TelegramStandIn
from tests.support.asgi import AsgiClient
from tests.support.audio import silence, speak
from tests.support.store import seeded_store

WEBHOOK = "/webhooks/telegram/webhook"
AUTO_CLAIM = "CLM-2026-000004"  # AUTO-2026-0001's collision: driving licence, repair invoice


def jpeg(colour: tuple = (200, 30, 30)) -> bytes:
    """A small real JPEG (what a phone photo of a document is, in miniature)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


# --- stand-ins and fixtures ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


class StandInAgent:
    """Rasa's agent as far as the channel uses it: handle_message (records the message as a user
    event, then answers through the message's output channel), the tracker and lock stores, and
    the processor's session start."""

    def __init__(self, domain: Domain) -> None:
        self.tracker_store = InMemoryTrackerStore(domain)
        self.lock_store = InMemoryLockStore()
        self.processor = self
        self.received: List[UserMessage] = []
        self.reply: Callable[[UserMessage], Any] = self.echo

    @staticmethod
    async def echo(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")

    async def fetch_tracker_and_update_session(self, sender_id: str, output_channel: Any = None,
                                               metadata: Any = None) -> Any:
        return await self.tracker_store.get_or_create_tracker(sender_id)

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, input_channel=message.input_channel))
        await self.tracker_store.save(tracker)
        await self.reply(message)

    def set_slots(self, sender: str, **slots: Any) -> None:
        async def update() -> None:
            tracker = await self.tracker_store.get_or_create_tracker(sender)
            for name, value in slots.items():
                tracker.update(SlotSet(name, value))
            await self.tracker_store.save(tracker)

        asyncio.run(update())

    def slot(self, sender: str, name: str) -> Any:
        tracker = asyncio.run(self.tracker_store.retrieve(sender))
        return tracker.get_slot(name) if tracker else None

    @property
    def texts(self) -> List[str]:
        return [message.text for message in self.received]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with seeded_store(monkeypatch, tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def telegram() -> Iterator[TelegramStandIn]:
    with TelegramStandIn() as standin:
        yield standin


@pytest.fixture(autouse=True)
def fresh_standin(telegram: TelegramStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    telegram.reset()
    from bot.outbox import senders as notify

    monkeypatch.setattr(notify, "_registry", {})  # the channel registers its sender


@pytest.fixture
def agent(domain: Domain) -> StandInAgent:
    return StandInAgent(domain)


def make_client(agent: StandInAgent, channel: TelegramInput) -> AsgiClient:
    app = Sanic(f"telegram_test_{uuid.uuid4().hex}")
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    return AsgiClient(app)


@pytest.fixture
def channel(telegram: TelegramStandIn) -> TelegramInput:
    return TelegramInput(token=TOKEN, secret_token=SECRET, api_server=telegram.base_url)


@pytest.fixture
def client(store: str, agent: StandInAgent, channel: TelegramInput) -> Iterator[AsgiClient]:
    with make_client(agent, channel) as c:
        yield c


def post(client: AsgiClient, update: Any, secret: str | None = SECRET) -> Any:
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    body = update if isinstance(update, bytes) else json.dumps(update).encode("utf-8")
    return client.post(WEBHOOK, body=body, headers=headers)


CHAT = 70001234


# --- authentication and bad input ---------------------------------------------------------------

def test_channel_loads_from_credentials_and_stays_off_without_a_token(
    store: str, agent: StandInAgent, telegram: TelegramStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.core.run import _create_single_channel

    from bot.outbox import senders as notify

    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("TELEGRAM_SECRET_TOKEN", raising=False)
    get_settings.cache_clear()
    channel = _create_single_channel("channels.telegram.TelegramInput", {})
    assert isinstance(channel, TelegramInput) and channel.url_prefix() == "telegram"
    assert not channel.configured and channel.get_output_channel() is None
    with make_client(agent, channel) as client:
        res = post(client, telegram.text_update(CHAT, "你好"))
        assert res.status == 503 and res.json()["error"] == "not_configured"
        assert client.get("/webhooks/telegram/health").json() == {"status": "ok",
                                                                  "configured": False}
    assert agent.received == [] and telegram.calls == []
    assert "telegram" not in notify.registered_senders()


def test_a_malformed_token_leaves_the_channel_off(store: str, telegram: TelegramStandIn) -> None:
    channel = TelegramInput(token="not-a-token", secret_token=SECRET,
                            api_server=telegram.base_url)
    assert not channel.configured


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
def test_a_request_without_the_right_secret_is_refused_and_nothing_happens(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn, store: str,
    secret: str | None,
) -> None:
    update = telegram.text_update(CHAT, "我要报案")
    res = post(client, update, secret=secret)
    assert res.status == 403 and res.json()["error"] == "forbidden"
    assert agent.received == [] and telegram.calls == []
    # Not even the receipt was kept: the real delivery of this update is still handled.
    assert first_receipt("telegram", str(update["update_id"]))


def test_start_up_makes_no_call_to_telegram_and_registers_the_sender(
    client: AsgiClient, telegram: TelegramStandIn
) -> None:
    from bot.outbox import senders as notify

    assert client.get("/webhooks/telegram/health").json()["configured"] is True
    assert telegram.calls == []  # no getMe, no setWebhook
    assert "telegram" in notify.registered_senders()


@pytest.mark.parametrize("body,status", [
    (b"not json", 400),
    ("{\"update_id\": 1, \"message\": \"\xe9\"}".encode("latin-1"), 400),
    (b"[1, 2]", 400),
    (b"{\"message\": {}}", 400),
    (b"{\"update_id\": \"7\"}", 400),
    (b"{\"update_id\": 1, \"x\": \"" + b"a" * MAX_BODY_BYTES + b"\"}", 413),
])
def test_a_body_that_is_no_update_gets_a_4xx(client: AsgiClient, agent: StandInAgent,
                                             telegram: TelegramStandIn, body: bytes,
                                             status: int) -> None:
    assert post(client, body).status == status
    assert agent.received == [] and telegram.calls == []


def test_updates_without_a_private_message_are_acknowledged_and_dropped(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    ignored = [
        telegram.update(my_chat_member={"chat": {"id": CHAT, "type": "private"}}),
        telegram.update(),  # an update with nothing in it
        telegram.text_update(-1009876, "我要报案 AUTO-2026-0001", chat_type="supergroup"),
        telegram.update(message={"message_id": 1, "date": 0}),  # no chat
        telegram.update(message={"message_id": 1, "chat": {"id": CHAT, "type": "private"},
                                 "from": {"id": 5, "is_bot": True}, "text": "hi"}),
        telegram.update(message={"message_id": 1, "chat": {"id": CHAT, "type": "private"},
                                 "pinned_message": {"message_id": 2}}),
    ]
    for update in ignored:
        res = post(client, update)
        assert res.status == 200 and res.json() == {"ok": True}
    assert agent.received == [] and telegram.calls == []


def test_a_duplicate_update_is_handled_once(client: AsgiClient, agent: StandInAgent,
                                            telegram: TelegramStandIn) -> None:
    update = telegram.text_update(CHAT, "查一下理赔进度")
    assert post(client, update).json() == {"ok": True}
    again = post(client, update)
    assert again.status == 200 and again.json()["duplicate"] is True
    assert agent.texts == ["查一下理赔进度"]
    assert telegram.texts_to(CHAT) == ["echo: 查一下理赔进度"]


def test_a_huge_text_is_answered_without_reaching_the_bot(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    assert post(client, telegram.text_update(CHAT, "理赔" * 3000)).status == 200
    assert agent.received == []
    assert telegram.texts_to(CHAT) == [say("message_too_long", "zh", limit=2000)]


def test_a_failure_in_the_bot_is_told_to_the_customer_and_telegram_gets_200(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(message: UserMessage) -> None:
        raise RuntimeError("the action server is down")

    agent.reply = broken
    with caplog.at_level(logging.INFO, logger="channels.telegram"):
        assert post(client, telegram.text_update(CHAT, "我的电话是13800000001")).status == 200
    assert telegram.texts_to(CHAT) == [say("try_again_shortly", "zh")]
    assert "13800000001" not in caplog.text and str(CHAT) not in caplog.text
    assert masked(CHAT) in caplog.text


def test_a_turn_that_failed_sends_no_half_answer_and_asks_again(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    from rasa_server.turns import ACTIONS_UNAVAILABLE, mark_failed

    async def half(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "请提供保单号")
        mark_failed(ACTIONS_UNAVAILABLE, "the action server is down")

    agent.reply = half
    assert post(client, telegram.text_update(CHAT, "我要报案")).status == 200
    assert telegram.texts_to(CHAT) == [say("try_again_shortly", "zh")]


def test_the_answer_comes_back_before_slow_work_is_done(
    store: str, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    async def slow(message: UserMessage) -> None:
        await asyncio.sleep(0.5)
        await message.output_channel.send_text_message(message.sender_id, "done")

    agent.reply = slow
    channel = TelegramInput(token=TOKEN, secret_token=SECRET, api_server=telegram.base_url,
                            answer_within_s=0.05)
    with make_client(agent, channel) as client:
        assert post(client, telegram.text_update(CHAT, "你好")).status == 200
        assert telegram.texts_to(CHAT) == []  # answered, the reply still on its way
        client.loop.run_until_complete(asyncio.sleep(1.0))
        assert telegram.texts_to(CHAT) == ["done"]


# --- conversation -------------------------------------------------------------------------------

def test_text_goes_to_the_bot_as_the_chat_and_the_reply_to_telegram(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    post(client, telegram.text_update(CHAT, "我要报案"))
    [message] = agent.received
    assert message.sender_id == f"tg-{CHAT}" and message.input_channel == "telegram"
    assert message.metadata["telegram"]["language_code"] == "zh-hans"
    [sent] = telegram.messages_to(CHAT)
    assert sent["text"] == "echo: 我要报案" and "parse_mode" not in sent


@pytest.mark.parametrize("language_code,expected", [("en-US", "en"), ("zh-hans", "zh"),
                                                     ("de", "en")])
def test_start_greets_in_the_language_of_the_telegram_app(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn,
    language_code: str, expected: str,
) -> None:
    post(client, telegram.text_update(CHAT, "/start", language_code=language_code))
    assert agent.texts == ["/greet"]
    assert agent.slot(f"tg-{CHAT}", "language") == expected


def test_start_keeps_a_language_the_customer_asked_for(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    agent.set_slots(f"tg-{CHAT}", language="zh", language_pinned=True)
    post(client, telegram.text_update(CHAT, "/start@claims_bot", language_code="en"))
    assert agent.texts == ["/greet"] and agent.slot(f"tg-{CHAT}", "language") == "zh"


def test_help_asks_what_the_bot_can_do(client: AsgiClient, agent: StandInAgent,
                                       telegram: TelegramStandIn) -> None:
    post(client, telegram.text_update(CHAT, "/help"))
    assert agent.texts == ["/ask_capabilities"]


def test_buttons_become_an_inline_keyboard_and_a_press_is_the_customers_message(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    async def offer(message: UserMessage) -> None:
        await message.output_channel.send_text_with_buttons(
            message.sender_id, "要不要转人工？",
            [{"title": "转人工", "payload": "/request_human"},
             {"title": "不用了", "payload": "/deny"}])

    agent.reply = offer
    post(client, telegram.text_update(CHAT, "我七十多岁了"))
    [sent] = telegram.messages_to(CHAT)
    keyboard = sent["reply_markup"]["inline_keyboard"]
    assert [[b["text"], b["callback_data"]] for row in keyboard for b in row] == [
        ["转人工", "/request_human"], ["不用了", "/deny"]]

    agent.reply = StandInAgent.echo
    post(client, telegram.callback_update(CHAT, "/request_human", message_id=55))
    assert agent.texts[-1] == "/request_human"
    assert len(telegram.calls_to("answerCallbackQuery")) == 1
    [edit] = telegram.calls_to("editMessageReplyMarkup")
    assert edit["message_id"] == "55" and "reply_markup" not in edit  # the buttons are gone


def test_a_button_press_with_unknown_data_is_answered_and_dropped(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    post(client, telegram.callback_update(CHAT, '/inform{"policy_number": "AUTO-2026-0001"}'))
    post(client, telegram.callback_update(CHAT, "doc:driving_licence:nothex"))
    assert agent.received == []
    assert len(telegram.calls_to("answerCallbackQuery")) == 2
    assert telegram.texts_to(CHAT) == []


def test_a_location_becomes_a_place_the_report_form_can_use(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    post(client, telegram.location_update(CHAT, 31.230416, 121.473701))
    assert agent.texts == ["位置：31°13'49\"N 121°28'25\"E（地图坐标）"]
    agent.set_slots(f"tg-{CHAT}", language="en")
    venue = telegram.location_update(CHAT, -33.8568, 151.2153)
    venue["message"]["venue"] = {"location": venue["message"]["location"],
                                 "title": "Opera House", "address": "Bennelong Pt, Sydney"}
    post(client, venue)
    assert agent.texts[-1] == ("Location: Opera House Bennelong Pt Sydney "
                               "33°51'24\"S 151°12'55\"E (map coordinates)")
    post(client, telegram.location_update(CHAT, 123.0, 500.0))
    assert telegram.texts_to(CHAT)[-1] == say("telegram_unsupported", "en")


def test_edited_messages_are_not_reread_and_the_customer_is_told(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    post(client, telegram.edited_update(CHAT, "地点是人民路"))
    assert agent.received == []
    assert telegram.texts_to(CHAT) == [say("telegram_edited", "zh")]


def test_stickers_and_videos_get_a_clear_answer(client: AsgiClient, agent: StandInAgent,
                                                telegram: TelegramStandIn) -> None:
    post(client, telegram.update(message=telegram._message(CHAT, sticker={"file_id": "s"})))
    assert agent.received == []
    assert telegram.texts_to(CHAT) == [say("telegram_unsupported", "zh")]


def test_a_reply_that_cannot_be_delivered_does_not_break_the_turn(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    telegram.block(CHAT)
    assert post(client, telegram.text_update(CHAT, "你好")).status == 200
    assert agent.texts == ["你好"]
    assert telegram.texts_to(CHAT) == []


# --- voice notes --------------------------------------------------------------------------------

def test_a_voice_note_is_recognised_shown_back_and_handled_as_text(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    agent.set_slots(f"tg-{CHAT}", language="en")
    agent.received.clear()
    audio = speak("I want to check the status of my claim.", "ogg")
    file_id = telegram.add_file(audio, "voice/file_7.oga")
    post(client, telegram.voice_update(CHAT, file_id, duration=3, language_code="en"))
    [message] = agent.received
    assert "status of my claim" in message.text.lower()
    assert message.metadata["telegram"]["voice"] is True
    heard, echoed = telegram.texts_to(CHAT)
    assert heard == say("speech_heard", "en", text=message.text.rstrip(".")), heard
    assert echoed == f"echo: {message.text}"
    assert telegram.downloads == ["voice/file_7.oga"]
    assert telegram.calls_to("sendChatAction")[0]["action"] == "typing"


def test_a_silent_voice_note_is_asked_again_and_nothing_reaches_the_bot(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    file_id = telegram.add_file(silence(2, "ogg"), "voice/file_8.oga")
    post(client, telegram.voice_update(CHAT, file_id, duration=2))
    assert agent.received == []
    assert telegram.texts_to(CHAT) == [say("speech_not_understood", "zh")]


def test_a_voice_note_over_the_limits_is_refused_before_downloading(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    limit = get_settings().max_voice_seconds
    long_id = telegram.add_file(b"OggS" + b"\0" * 100, "voice/long.oga")
    post(client, telegram.voice_update(CHAT, long_id, duration=limit + 1))
    big_id = telegram.add_file(b"OggS", "voice/big.oga",
                               reported_size=get_settings().max_upload_bytes + 1)
    post(client, telegram.voice_update(CHAT, big_id, duration=10))
    assert telegram.texts_to(CHAT) == [say("speech_too_long", "zh", seconds=limit),
                                       say("speech_too_large", "zh")]
    assert telegram.downloads == [] and agent.received == []


def test_a_voice_note_that_cannot_be_fetched_is_asked_again(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn
) -> None:
    telegram.fail_next(500, method="getFile")
    post(client, telegram.voice_update(CHAT, "standin-file-missing", duration=3))
    assert telegram.texts_to(CHAT) == [say("telegram_file_failed", "zh")]
    assert agent.received == []


# --- photos and documents -----------------------------------------------------------------------

def _verified(agent: StandInAgent, chat: int = CHAT) -> None:
    agent.set_slots(f"tg-{chat}", language="zh", verified=True, customer_id=1,
                    policy_number="AUTO-2026-0001")


def _claim_documents(url: str, number: str = AUTO_CLAIM) -> Dict[str, str]:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(number)
        return {document.code: document.status for document in claim.documents}


def _files(url: str, number: str = AUTO_CLAIM) -> List[Any]:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(number)
        return [(f.sha256, f.content_type, f.document.code if f.document else None)
                for f in claim.files]


def test_a_photo_without_an_open_claim_is_not_downloaded(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn, store: str
) -> None:
    file_id = telegram.add_file(jpeg(), "photos/file_1.jpg")
    post(client, telegram.photo_update(CHAT, file_id))
    assert telegram.texts_to(CHAT) == [say("upload_no_claim", "zh")]
    assert telegram.downloads == []


def test_a_photo_captioned_with_a_document_ticks_it_off(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn, store: str
) -> None:
    _verified(agent)
    content = jpeg()
    file_id = telegram.add_file(content, "photos/file_2.jpg")
    post(client, telegram.photo_update(CHAT, file_id, caption="这是驾驶证"))
    assert telegram.downloads == ["photos/file_2.jpg"]  # the largest size only
    assert _claim_documents(store)["driving_licence"] == "received"
    [(sha256, content_type, code)] = _files(store)
    assert content_type == "image/jpeg" and code == "driving_licence"
    [reply] = telegram.texts_to(CHAT)
    assert reply.startswith(say("intake_received", "zh", document="驾驶证"))
    assert "维修发票" in reply  # what is still missing, in the same message
    assert agent.received == []


def test_an_uncaptioned_photo_asks_which_document_with_buttons(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn, store: str
) -> None:
    _verified(agent)
    file_id = telegram.add_file(jpeg((10, 120, 40)), "photos/file_3.jpg")
    post(client, telegram.photo_update(CHAT, file_id))
    [asked] = telegram.messages_to(CHAT)
    assert "驾驶证" in asked["text"] and "维修发票" in asked["text"]
    buttons = [b for row in asked["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["驾驶证", "维修发票/估损单"]
    [(sha256, _, code)] = _files(store)
    assert code is None
    invoice = next(b for b in buttons if b["text"].startswith("维修发票"))
    assert invoice["callback_data"] == f"doc:repair_invoice:{sha256[:16]}"

    post(client, telegram.callback_update(CHAT, invoice["callback_data"]))
    assert _files(store)[0][2] == "repair_invoice"
    assert _claim_documents(store)["repair_invoice"] == "received"
    assert telegram.texts_to(CHAT)[-1].startswith(
        say("intake_received", "zh", document="维修发票/估损单"))
    assert agent.received == []


def test_a_photo_already_kept_as_one_document_never_ticks_off_another(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn, store: str
) -> None:
    _verified(agent)
    content = jpeg((200, 30, 30))
    licence_id = telegram.add_file(content, "photos/licence.jpg")
    post(client, telegram.photo_update(CHAT, licence_id, caption="驾驶证"))
    again_id = telegram.add_file(content, "photos/same-again.jpg")
    post(client, telegram.photo_update(CHAT, again_id, caption="维修发票"))
    other = say("intake_duplicate_other_item", "zh", kept_as="驾驶证",
                document="维修发票/估损单")
    assert telegram.texts_to(CHAT)[-1] == other
    [(sha256, _, code)] = _files(store)
    assert code == "driving_licence"
    assert _claim_documents(store)["repair_invoice"] == "missing"
    # Saying (with a button) that the kept file is the invoice changes nothing either.
    post(client, telegram.callback_update(CHAT, f"doc:repair_invoice:{sha256[:16]}"))
    assert telegram.texts_to(CHAT)[-1] == other
    assert _files(store)[0][2] == "driving_licence"
    assert _claim_documents(store)["repair_invoice"] == "missing"


def test_documents_of_the_wrong_type_or_size_are_refused_before_downloading(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn, store: str
) -> None:
    _verified(agent)
    zip_id = telegram.add_file(b"PK\x03\x04", "documents/a.zip")
    post(client, telegram.document_update(CHAT, zip_id, file_name="a.zip",
                                          mime_type="application/zip"))
    limit = get_settings().max_upload_bytes
    big_id = telegram.add_file(b"%PDF-1.4", "documents/big.pdf", reported_size=limit + 1)
    post(client, telegram.document_update(CHAT, big_id, file_name="big.pdf",
                                          mime_type="application/pdf"))
    assert telegram.texts_to(CHAT) == [
        say("intake_error.unsupported_type", "zh"),
        say("intake_error.too_large", "zh", limit_mb=limit // (1024 * 1024)),
    ]
    assert telegram.downloads == [] and _files(store) == []


def test_a_pdf_is_stored_and_a_file_pretending_to_be_one_is_not(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn, store: str
) -> None:
    _verified(agent)
    fake_id = telegram.add_file(b"MZ\x90\x00 not a pdf", "documents/invoice.pdf")
    post(client, telegram.document_update(CHAT, fake_id, file_name="invoice.pdf",
                                          mime_type="application/pdf", caption="维修发票"))
    assert telegram.texts_to(CHAT) == [say("intake_error.unsupported_type", "zh")]
    assert _files(store) == []
    pdf_id = telegram.add_file(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n",
                               "documents/invoice2.pdf")
    post(client, telegram.document_update(CHAT, pdf_id, file_name="invoice2.pdf",
                                          mime_type="application/pdf", caption="维修发票"))
    [(_, content_type, code)] = _files(store)
    assert content_type == "application/pdf" and code == "repair_invoice"


def test_a_file_download_that_fails_is_asked_again_and_nothing_is_stored(
    client: AsgiClient, agent: StandInAgent, telegram: TelegramStandIn, store: str
) -> None:
    _verified(agent)
    post(client, telegram.document_update(CHAT, "standin-file-gone", file_name="x.pdf",
                                          mime_type="application/pdf", file_size=100))
    assert telegram.texts_to(CHAT) == [say("telegram_file_failed", "zh")]
    assert _files(store) == []


# --- the small pieces ---------------------------------------------------------------------------

def test_conversation_ids_and_masks() -> None:
    assert conversation_id(42) == "tg-42" and chat_id_of("tg-42") == 42
    assert chat_id_of("tg--100123") == -100123
    for other in ("web-42", "tg-", "tg-12a", None, "tg-42 "):
        assert chat_id_of(other) is None
    assert masked(123456789) == "tg-*****6789" and "1234" not in masked(123456789)


def test_language_for_telegram_language_codes() -> None:
    assert language_for("zh-hans") == "zh" and language_for("zh-TW") == "zh"
    assert language_for("en") == "en" and language_for("ru") == "en"
    assert language_for(None) is None and language_for("") is None


def test_split_text_keeps_every_character_within_telegrams_limit() -> None:
    text = "\n".join(f"第{i}行" + "字" * 50 for i in range(300))
    parts = split_text(text, 4096)
    assert all(len(part) <= 4096 for part in parts) and len(parts) > 1
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    assert split_text("a" * 9000, 4096) == ["a" * 4096, "a" * 4096, "a" * 808]
    assert split_text("  ") == []


def test_inline_keyboard_leaves_out_what_telegram_cannot_carry() -> None:
    markup = inline_keyboard([{"title": "好", "payload": "/affirm"},
                              {"title": "太长", "payload": "/" + "x" * 80},
                              {"title": "网站", "url": "https://example.com"}])
    rows = markup.to_python()["inline_keyboard"]
    assert rows == [[{"text": "好", "callback_data": "/affirm"}],
                    [{"text": "网站", "url": "https://example.com"}]]
    assert inline_keyboard([]) is None


def test_captions_name_at_most_one_document() -> None:
    from bot.documents import catalogue

    items = [catalogue()[code] for code in ("driving_licence", "repair_invoice", "id_card")]
    assert document_for_caption("驾驶证", items) == "driving_licence"
    assert document_for_caption("駕駛證 正副页", items) == "driving_licence"
    assert document_for_caption("Driving licence", items) == "driving_licence"
    assert document_for_caption("my ID card, both sides", items) == "id_card"
    assert document_for_caption("repair invoice", items) == "repair_invoice"
    assert document_for_caption("card", items) is None
    assert document_for_caption("身份证", items) == "id_card"
    assert document_for_caption("驾驶证和维修发票", items) is None
    assert document_for_caption("照片", items) is None
    assert document_for_caption(None, items) is None


def test_coordinates_are_degrees_minutes_seconds() -> None:
    assert coordinates_text(31.230416, 121.473701) == "31°13'49\"N 121°28'25\"E"
    assert coordinates_text(-0.5, -179.9999) == "0°30'00\"S 180°00'00\"W"
    # What the NLU and the report form see is the same text (NFKC would split "″" in two).
    text = coordinates_text(31.230416, 121.473701)
    assert text in normalise(say("telegram_location", "en", coordinates=text))


def test_read_update_takes_only_well_formed_fields() -> None:
    assert read_update({"update_id": True}) is None
    incoming = read_update({"update_id": 9, "message": {"chat": 5, "text": "x"}})
    assert incoming is not None and incoming.chat_id is None
    query = read_update({"update_id": 10, "callback_query": {
        "id": "q", "data": "/deny", "from": {"id": 3, "language_code": "en"},
        "message": {"message_id": 4, "chat": {"id": 3, "type": "private"}}}})
    assert (query.kind, query.chat_id, query.private, query.callback_data,
            query.language_code, query.message_id) == ("callback_query", 3, True, "/deny",
                                                       "en", 4)
