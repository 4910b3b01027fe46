"""The web chat's own answers (documents to pick, an upload's reply, a message too long) in the
customer's language and script, like the bot's turns (issue 19, outside tester)."""
from __future__ import annotations

import uuid
from typing import Any, Dict, Iterator

import pytest
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from bot.language import TRADITIONAL, in_script
from bot.replies import say
from channels.webchat import WebChatInput
from tests.support.webchat import PageClient

PREFIX = "/webhooks/webchat"
SENDER = "web-hant-1"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


class _Tracker:
    """What the tracker store holds of a conversation: its slots, no events."""

    def __init__(self, slots: Dict[str, Any]) -> None:
        self.slots, self.events = slots, []

    def get_slot(self, name: str) -> Any:
        return self.slots.get(name)


class _Store:
    def __init__(self) -> None:
        self.trackers: Dict[str, _Tracker] = {}

    async def retrieve(self, sender_id: str) -> _Tracker | None:
        return self.trackers.get(sender_id)


class _Agent:
    def __init__(self) -> None:
        self.tracker_store = _Store()
        self.received: list = []

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "ok")


@pytest.fixture
def chat() -> Iterator[tuple]:
    agent = _Agent()
    app = Sanic(f"webchat_script_{uuid.uuid4().hex}")
    app.ctx.agent = agent
    register([WebChatInput(max_message_chars=2000)], app, route="/webhooks/")
    with PageClient(app) as client:
        yield client, agent


@pytest.fixture
def traditional_claim(claims_store: str, chat) -> tuple:
    """张伟, verified in a web chat he writes in traditional characters; his motor claim still
    waits for his driving licence and the repair invoice."""
    client, agent = chat
    agent.tracker_store.trackers[SENDER] = _Tracker({
        "language": "zh", "script": TRADITIONAL, "verified": True, "customer_id": 1,
        "policy_number": "AUTO-2026-0001"})
    return client, agent


def test_documents_to_pick_are_named_in_traditional_characters(traditional_claim):
    client, _ = traditional_claim
    res = client.get(f"{PREFIX}/documents?sender={SENDER}")
    assert res.status == 200
    names = [item["name"] for item in res.json()["documents"]]
    assert names and all(name == in_script(name, TRADITIONAL) for name in names)
    assert any("駕駛證" in name for name in names) and not any("驾驶证" in name for name in names)


def test_an_upload_is_answered_in_traditional_characters(traditional_claim):
    client, _ = traditional_claim
    res = client.post(f"{PREFIX}/upload?sender={SENDER}", body=PNG,
                      headers={"content-type": "image/png", "x-filename": "a.png"})
    text = res.json()[0]["text"]
    assert text == in_script(text, TRADITIONAL) and "申请人" not in text
    bad = client.post(f"{PREFIX}/upload?sender={SENDER}", body=b"not a file at all",
                      headers={"content-type": "application/octet-stream",
                               "x-filename": "a.exe"})
    text = bad.json()[0]["text"]
    assert text == in_script(text, TRADITIONAL) and "这种文件" not in text


@pytest.mark.parametrize("message, slots, lang, script", [
    ("I " + "really " * 1700, None, "en", None),  # ~10,000 characters of English
    ("請問理賠" * 501, None, "zh", TRADITIONAL),  # 2,004 characters, traditional
    ("理" * 2001, {"language": "en"}, "en", None),  # the conversation's language first
    ("x" * 2001, {"language": "zh", "script": TRADITIONAL}, "zh", TRADITIONAL),
], ids=["english-10000", "traditional-2004", "conversation-english", "conversation-traditional"])
def test_a_message_too_long_is_answered_in_the_customers_language(chat, message, slots, lang,
                                                                   script):
    client, agent = chat
    if slots:
        agent.tracker_store.trackers["web-long"] = _Tracker(slots)
    res = client.post(f"{PREFIX}/webhook", json_body={"sender": "web-long", "message": message})
    assert res.status == 200
    assert res.json() == [{"recipient_id": "web-long", "text": in_script(
        say("message_too_long_parts", lang, limit=2000), script)}]
    assert agent.received == []


@pytest.mark.parametrize("message, locale, slots, lang, script", [
    ("", None, None, "zh", None),  # nothing known: Chinese
    ("   \n\t ", "en-GB", None, "en", None),  # the page's language
    ("\u3000", "en-US", {"language": "zh", "script": TRADITIONAL}, "zh", TRADITIONAL),
    (" ", "zh-CN", {"language": "en"}, "en", None),  # the conversation's language first
], ids=["empty", "spaces-english-page", "ideographic-space-traditional",
      "conversation-english"])
def test_an_empty_message_is_answered_in_the_customers_language_not_handled(
        chat, message, locale, slots, lang, script):
    """Like the messaging channels (channels/twilio.py): the channel says it saw no words,
    in the conversation's language, else the page's; nothing reaches the bot or the store."""
    client, agent = chat
    if slots:
        agent.tracker_store.trackers["web-empty"] = _Tracker(slots)
    body = {"sender": "web-empty", "message": message,
            **({"metadata": {"locale": locale}} if locale else {})}
    res = client.post(f"{PREFIX}/webhook", json_body=body)
    assert res.status == 200, res.text
    assert res.json() == [{"recipient_id": "web-empty",
                           "text": in_script(say("no_text", lang), script)}]
    assert agent.received == []


def test_a_body_far_too_large_is_still_refused(chat):
    client, agent = chat
    res = client.post(f"{PREFIX}/webhook",
                      json_body={"sender": "web-long", "message": "x" * 70_000})
    assert res.status == 413 and agent.received == []
