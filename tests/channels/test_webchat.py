"""The web chat channel, driven in-process with a stand-in for the Rasa agent (no model)."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from bot.replies import say
from channels.pages import STATIC_DIR
from channels.webchat import MAX_BODY_BYTES, WebChatInput
from tests.support.asgi import AsgiClient
from tests.support.webchat import PageClient

PREFIX = "/webhooks/webchat"
WEBHOOK = PREFIX + "/webhook"


class StandInAgent:
    """Answers like Rasa's agent would, through the message's output channel."""

    def __init__(self, reply: Callable[[UserMessage], Any] | None = None) -> None:
        self.received: List[UserMessage] = []
        self.reply = reply or self.echo

    @staticmethod
    async def echo(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, message.text)

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        await self.reply(message)


def make_client(agent: StandInAgent, channel: WebChatInput | None = None) -> AsgiClient:
    app = Sanic(f"webchat_test_{uuid.uuid4().hex}")
    app.ctx.agent = agent
    register([channel or WebChatInput(max_message_chars=2000)], app, route="/webhooks/")
    return PageClient(app)


@pytest.fixture
def agent() -> StandInAgent:
    return StandInAgent()


@pytest.fixture
def client(agent: StandInAgent) -> Iterator[AsgiClient]:
    with make_client(agent) as c:
        yield c


def test_channel_is_named_webchat_and_loads_from_credentials() -> None:
    from rasa.core.run import _create_single_channel

    channel = _create_single_channel("channels.webchat.WebChatInput", {})
    assert isinstance(channel, WebChatInput)
    assert channel.name() == "webchat"
    assert channel.url_prefix() == "webchat"
    assert WebChatInput.from_credentials({"max_message_chars": 10}).max_message_chars == 10


def test_chat_page_is_served_with_its_controls(client: AsgiClient) -> None:
    res = client.get(PREFIX + "/")
    assert res.status == 200
    assert res.content_type.startswith("text/html")
    for marker in (
        'id="message-input"',
        'id="send-button"',
        'id="handoff-button"',
        'id="end-chat"',
        "理赔助手 · Claims assistant",
        'src="static/webchat.js"',
        'href="static/webchat.css"',
    ):
        assert marker in res.text
    csp = res.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_page_without_trailing_slash_redirects_so_relative_assets_resolve(
    client: AsgiClient,
) -> None:
    res = client.get(PREFIX)
    assert res.status in (301, 302, 307, 308)
    assert res.headers["location"] == PREFIX + "/"


@pytest.mark.parametrize(
    "name, content_type",
    [("webchat.js", "application/javascript"), ("webchat.css", "text/css")],
)
def test_static_assets_are_served(client: AsgiClient, name: str, content_type: str) -> None:
    res = client.get(f"{PREFIX}/static/{name}")
    assert res.status == 200
    assert res.content_type.startswith(content_type)
    assert res.body == (STATIC_DIR / name).read_bytes()
    assert res.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../webchat.py",
        "/static/..%2fwebchat.py",
        "/static/%2e%2e%2fwebchat.py",
        "/static/..%5cwebchat.py",
        "/static/%2e%2e/%2e%2e/bot/settings.py",
        "/static/..%2f..%2fbot%2fsettings.py",
        "/static/__init__.py",
        "/static/",
        "/static/nothing.js",
    ],
)
def test_static_route_serves_nothing_outside_its_files(client: AsgiClient, path: str) -> None:
    res = client.get(PREFIX + path)
    assert res.status == 404
    assert b"WebChatInput" not in res.body
    assert b"get_settings" not in res.body


def test_health(client: AsgiClient) -> None:
    res = client.get(PREFIX + "/health")
    assert res.status == 200
    assert res.json() == {"status": "ok"}


def test_webhook_returns_the_bots_messages(client: AsgiClient, agent: StandInAgent) -> None:
    res = client.post(
        WEBHOOK,
        json_body={"sender": "web-0123abcd", "message": "你好", "metadata": {"locale": "zh-CN"}},
    )
    assert res.status == 200
    assert res.json() == [{"recipient_id": "web-0123abcd", "text": "你好"}]
    [message] = agent.received
    assert message.sender_id == "web-0123abcd"
    assert message.input_channel == "webchat"
    assert message.metadata["locale"] == "zh-CN"
    assert message.metadata["client_address"]  # the peer as the server sees it


def test_only_the_pages_own_metadata_is_kept(client: AsgiClient, agent: StandInAgent) -> None:
    # Found by the independent attack: any metadata up to the body limit was stored with every
    # message (and copied to agents' transcripts), so a script could fill the disk.
    res = client.post(WEBHOOK, json_body={
        "sender": "web-0123abcd", "message": "你好",
        "metadata": {"locale": "zh-CN", "x": "y" * 60000, "agent": "alice"}})
    assert res.status == 200
    res = client.post(WEBHOOK, json_body={
        "sender": "web-0123abcd", "message": "你好", "metadata": {"locale": "<script>" * 9}})
    assert res.status == 200
    first, second = agent.received
    assert set(first.metadata) == {"locale", "client_address"}
    assert first.metadata["locale"] == "zh-CN"
    assert set(second.metadata) == {"client_address"}


def test_the_page_cannot_choose_its_client_address(client: AsgiClient, agent: StandInAgent) -> None:
    # The identity check counts wrong answers per client address: a page that names another
    # address must not escape its own count (or charge someone else's).
    res = client.post(WEBHOOK, json_body={"sender": "web-0123abcd", "message": "你好",
                                          "metadata": {"client_address": "203.0.113.9"}})
    assert res.status == 200
    [message] = agent.received
    assert message.metadata["client_address"] not in ("203.0.113.9", "", None)


def test_webhook_returns_buttons_and_every_message() -> None:
    async def reply(message: UserMessage) -> None:
        out = message.output_channel
        await out.send_text_message(message.sender_id, "第一条\n第二行")
        await out.send_text_with_buttons(
            message.sender_id,
            "请选择 / Please choose",
            [{"title": "报案 / Report", "payload": "/report_claim"}],
        )

    with make_client(StandInAgent(reply)) as c:
        res = c.post(WEBHOOK, json_body={"sender": "web-1", "message": "hi"})
    assert res.status == 200
    assert res.json() == [
        {"recipient_id": "web-1", "text": "第一条\n第二行"},
        {
            "recipient_id": "web-1",
            "text": "请选择 / Please choose",
            "buttons": [{"title": "报案 / Report", "payload": "/report_claim"}],
        },
    ]


def test_html_in_a_message_travels_as_data(client: AsgiClient) -> None:
    typed = "<img src=x onerror=alert(1)><b>hi</b>"
    res = client.post(WEBHOOK, json_body={"sender": "web-x", "message": typed})
    assert res.status == 200
    assert res.content_type.startswith("application/json")
    assert res.json()[0]["text"] == typed


def test_stream_mode_sends_one_json_message_per_line(client: AsgiClient) -> None:
    res = client.post(WEBHOOK + "?stream=true", json_body={"sender": "web-s", "message": "hey"})
    assert res.status == 200
    assert res.text.strip() == '{"recipient_id": "web-s", "text": "hey"}'


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[1, 2]",
        b'"just a string"',
        b'{"message": "hi"}',
        b'{"sender": 12, "message": "hi"}',
        b'{"sender": null, "message": "hi"}',
        b'{"sender": "", "message": "hi"}',
        b'{"sender": "../../etc/passwd", "message": "hi"}',
        b'{"sender": "web 1", "message": "hi"}',
        b'{"sender": "web-1\\n", "message": "hi"}',
        b'{"sender": "<script>", "message": "hi"}',
        # Another channel's conversation: the web chat may not speak for it.
        b'{"sender": "tg-123456789", "message": "hi"}',
        b'{"sender": "SMS-+8613800000001", "message": "hi"}',
        b'{"sender": "wa-8613800000001", "message": "hi"}',
        b'{"sender": "call-CA0123", "message": "hi"}',
        ('{"sender": "' + "a" * 65 + '", "message": "hi"}').encode(),
        b'{"sender": "web-1"}',
        b'{"sender": "web-1", "message": 5}',
        b'{"sender": "web-1", "message": null}',
        b'{"sender": "web-1", "message": ["hi"]}',
        b'{"sender": "web-1", "message": "hi", "metadata": "zh"}',
        b'{"sender": "web-1", "message": "hi", "metadata": [1]}',
    ],
)
def test_bad_bodies_are_refused_with_a_json_error(
    client: AsgiClient, agent: StandInAgent, body: bytes
) -> None:
    res = client.post(WEBHOOK, body=body, headers={"content-type": "application/json"})
    assert res.status == 400
    assert isinstance(res.json()["error"], str)
    assert agent.received == []


def test_longest_sender_id_is_accepted(client: AsgiClient) -> None:
    sender = "a" * 64
    res = client.post(WEBHOOK, json_body={"sender": sender, "message": "hi"})
    assert res.status == 200
    assert res.json()[0]["recipient_id"] == sender


def test_message_at_the_limit_passes_and_over_it_is_answered_not_handled(
    client: AsgiClient, agent: StandInAgent
) -> None:
    # Over the limit, the customer gets a reply in their language that the page shows like any
    # other (HTTP 200, issue 19); the message is not handled.
    ok = client.post(WEBHOOK, json_body={"sender": "web-1", "message": "理" * 2000})
    assert ok.status == 200
    too_long = client.post(WEBHOOK, json_body={"sender": "web-1", "message": "理" * 2001})
    assert too_long.status == 200
    assert too_long.json() == [{"recipient_id": "web-1", "text": say(
        "message_too_long_parts", "zh", limit=2000)}]
    assert len(agent.received) == 1


def test_huge_body_is_refused_before_parsing(client: AsgiClient, agent: StandInAgent) -> None:
    res = client.post(
        WEBHOOK,
        json_body={"sender": "web-1", "message": "hi", "metadata": {"x": "y" * MAX_BODY_BYTES}},
    )
    assert res.status == 413
    assert agent.received == []


def test_failure_with_nothing_said_is_an_error_the_page_can_show() -> None:
    async def reply(message: UserMessage) -> None:
        raise RuntimeError("model exploded")

    with make_client(StandInAgent(reply)) as c:
        res = c.post(WEBHOOK, json_body={"sender": "web-1", "message": "hi"})
    assert res.status == 500
    assert res.json()["error"] == "processing_failed"
    assert "exploded" not in res.text


def test_failure_after_a_reply_still_delivers_the_reply() -> None:
    async def reply(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "收到")
        raise RuntimeError("action server down")

    with make_client(StandInAgent(reply)) as c:
        res = c.post(WEBHOOK, json_body={"sender": "web-1", "message": "hi"})
    assert res.status == 200
    assert res.json() == [{"recipient_id": "web-1", "text": "收到"}]


def test_page_script_never_builds_html_from_strings() -> None:
    # Message text must reach the page only through textContent; the browser test proves it
    # end to end, this keeps a later edit from bringing an HTML sink back unnoticed.
    script = (STATIC_DIR / "webchat.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


def test_page_loads_nothing_from_other_hosts() -> None:
    for name in ("webchat.html", "webchat.css"):
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "//" + "cdn" not in text
    script = Path(STATIC_DIR / "webchat.js").read_text(encoding="utf-8")
    # Relative calls only: the session, the webhook, the outbox of messages written outside a
    # turn and its acknowledgement, the list of documents still needed, the upload, voice notes,
    # the SMS receipt's one-time login link, the conversation's history and ending it.
    assert script.count("fetch(") == 10
    assert 'fetch("history?sender="' in script and 'fetch("end"' in script
    assert 'fetch("session"' in script
    assert 'fetch("login"' in script
    assert 'var url = "voice?sender="' in script
    assert 'fetch("webhook"' in script and 'fetch("messages?sender="' in script
    assert 'fetch("messages/ack"' in script
    assert 'fetch("documents?sender="' in script and "fetch(url" in script


def test_a_session_is_issued_and_every_route_wants_its_token(
        client: AsgiClient, agent: StandInAgent) -> None:
    """The in-process form of tests/security/test_webchat_sessions.py (the real servers)."""
    from bot.webchat_session import SESSION_HEADER

    issued = client.post(PREFIX + "/session")
    assert issued.status == 200 and issued.headers["cache-control"] == "no-store"
    sender, token = issued.json()["sender"], issued.json()["token"]
    other = client.post(PREFIX + "/session").json()
    assert sender.startswith("web-") and other["sender"] != sender
    for header in ("", "x", other["token"], token[:-1] + ("A" if token[-1] != "A" else "B")):
        session = {SESSION_HEADER: header}
        for method, url, body in (
                ("POST", WEBHOOK, {"sender": sender, "message": "hi"}),
                ("GET", f"{PREFIX}/messages?sender={sender}", None),
                ("POST", f"{PREFIX}/messages/ack", {"sender": sender, "ids": [1]}),
                ("GET", f"{PREFIX}/documents?sender={sender}", None),
                ("POST", f"{PREFIX}/upload?sender={sender}", None),
                ("POST", f"{PREFIX}/voice?sender={sender}", None),
                ("POST", f"{PREFIX}/login", {"sender": sender, "token": "A" * 22})):
            res = client.request(method, url, json_body=body, headers=session)
            assert res.status == 401 and res.json()["error"] == "invalid_session", (url, header)
    assert agent.received == []
    ok = client.post(WEBHOOK, json_body={"sender": sender, "message": "hi"},
                     headers={SESSION_HEADER: token})
    assert ok.status == 200 and [m.sender_id for m in agent.received] == [sender]
