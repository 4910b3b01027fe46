"""One customer's web chat conversation against the real servers, as the page speaks to them:
a session the server issued (POST /session: the sender id and its X-Chat-Session token),
messages, the documents list, uploads and (where the test servers opted into Rasa's API) the
tracker Rasa keeps. Also the in-process form of the page's requests (`PageClient`)."""
from __future__ import annotations

import json
import re
import time
import uuid
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Mapping, Tuple
from urllib.parse import parse_qs, urlsplit

import requests

from bot.webchat_session import SESSION_HEADER, session_token
from tests.support.asgi import AsgiClient, AsgiResponse


def new_session(base_url: str, timeout: float = 30) -> Tuple[str, str]:
    """A conversation the server issued: (sender, token). `base_url` is the server's address
    (http://host:port) or the web chat's (…/webhooks/webchat/)."""
    root = base_url.split("/webhooks/webchat", 1)[0].rstrip("/")
    res = requests.post(f"{root}/webhooks/webchat/session", timeout=timeout)
    assert res.status_code == 200, res.text
    answer = res.json()
    return answer["sender"], answer["token"]


def session_headers(token: str, headers: Mapping[str, str] | None = None) -> Dict[str, str]:
    """`headers` plus the session token, as the page sends them."""
    return {**(headers or {}), SESSION_HEADER: token}


def signed_headers(sender: str, headers: Mapping[str, str] | None = None) -> Dict[str, str]:
    """`headers` plus the session token of `sender` on the end-to-end servers (`claims_servers`,
    whose key the tests set: E2E_WEBCHAT_SESSION_KEY), for a conversation id a test chose."""
    from tests.support.e2e import E2E_WEBCHAT_SESSION_KEY

    return session_headers(session_token(sender, E2E_WEBCHAT_SESSION_KEY.encode("utf-8")),
                           headers)


class WebChat:
    """`WebChat(servers).says("查进度")` returns the bot's texts joined by new lines."""

    def __init__(self, servers: Any, *, timeout: float = 90) -> None:
        self.servers = servers
        self.base = f"{servers.rasa_url}/webhooks/webchat"
        self.sender, self.token = new_session(servers.rasa_url)
        self.timeout = timeout

    @property
    def headers(self) -> Dict[str, str]:
        return session_headers(self.token)

    def says(self, message: str) -> str:
        res = requests.post(f"{self.base}/webhook", timeout=self.timeout, headers=self.headers,
                            json={"sender": self.sender, "message": message})
        assert res.status_code == 200, res.text
        return "\n".join(m.get("text") or "" for m in res.json())

    def documents(self) -> Dict[str, Any]:
        res = requests.get(f"{self.base}/documents", params={"sender": self.sender}, timeout=30,
                           headers=self.headers)
        assert res.status_code == 200, res.text
        return res.json()

    def uploads(self, content: bytes, document: str | None = None, *,
                content_type: str = "image/png", filename: str = "photo.png") -> str:
        params = {"sender": self.sender, **({"document": document} if document else {})}
        res = requests.post(f"{self.base}/upload", params=params, data=content, timeout=60,
                            headers=self.headers | {"Content-Type": content_type,
                                                    "X-Filename": filename})
        assert res.status_code == 200, res.text
        return "\n".join(m.get("text") or "" for m in res.json())

    def tracker(self) -> Dict[str, Any]:
        """What Rasa keeps of the conversation (its API, opted into by a token in the tests)."""
        res = requests.get(f"{self.servers.rasa_url}/conversations/{self.sender}/tracker",
                           params={"token": self.servers.api_token}, timeout=30)
        assert res.status_code == 200, res.text
        return res.json()


def lock_by_strangers(servers: Any, opening: str, policy: str,
                      wrong_answer: str = "2000-01-01") -> None:
    """Strangers in as many conversations as it takes answer wrongly for `policy` until it
    locks (each conversation gives up at its own limit, as a guesser's would)."""
    from bot.settings import get_settings

    settings = get_settings()
    failures = 0
    while failures < settings.identity_policy_max_failures:
        stranger = WebChat(servers)
        stranger.says(opening)
        stranger.says(policy)
        for _ in range(min(settings.identity_max_failures,
                           settings.identity_policy_max_failures - failures)):
            stranger.says(wrong_answer)
            failures += 1


def _named_sender(url: str, body: bytes, json_body: Any) -> str | None:
    """The sender a web chat request names: ?sender= or the JSON body's "sender"."""
    query = parse_qs(urlsplit(url).query).get("sender")
    if query:
        return query[0]
    if json_body is None:
        try:
            json_body = json.loads(body or b"")
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None
    sender = json_body.get("sender") if isinstance(json_body, dict) else None
    return sender if isinstance(sender, str) else None


class PageClient(AsgiClient):
    """An in-process client that speaks to the web chat as the page does: a request naming a
    sender carries that sender's session token (made with the server's key: the same process).
    A request that sets X-Chat-Session itself (even to "") keeps what it set, so a test can
    send none or a wrong one."""

    def request(self, method: str, url: str, *, body: bytes = b"", json_body: Any = None,
                headers: Mapping[str, str] | None = None) -> AsgiResponse:
        headers = dict(headers or {})
        if "/webhooks/webchat/" in url and not any(
                name.lower() == SESSION_HEADER.lower() for name in headers):
            sender = _named_sender(url, body, json_body)
            if sender:
                headers[SESSION_HEADER] = session_token(sender)
        return super().request(method, url, body=body, json_body=json_body, headers=headers)


# Where the page keeps its session (channels/static/webchat.js), and where pages before
# server-issued sessions kept an id of their own making.
PAGE_SESSION_KEY = "claimsAssistant.webchat.session"
PAGE_OLD_SENDER_KEY = "claimsAssistant.webchat.senderId"


def page_session(page: Any, timeout_ms: float = 15_000) -> Dict[str, str]:
    """The session a browser page (Playwright) holds: {"sender", "token"}, once it has one."""
    page.wait_for_function(f"!!localStorage.getItem('{PAGE_SESSION_KEY}')", timeout=timeout_ms)
    return json.loads(page.evaluate(f"localStorage.getItem('{PAGE_SESSION_KEY}')"))


def page_moves_on(page: Any, old_sender: str, timeout_ms: float = 15_000) -> Dict[str, str]:
    """The session a browser page holds once it has left conversation `old_sender` (the chat
    was ended, or its token refused). Polled from here: the page's CSP forbids the eval that
    Playwright's wait_for_function polls with."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        stored = json.loads(page.evaluate(f"localStorage.getItem('{PAGE_SESSION_KEY}')")
                            or "null")
        if stored and stored.get("sender") and stored["sender"] != old_sender:
            return stored
        assert time.monotonic() < deadline, f"the page stayed in {old_sender}"
        page.wait_for_timeout(100)


CLAIM_NUMBER = re.compile(r"CLM-\d{4}-\d{6}")


def reported_claim(chat: WebChat, opening: str, *answers: str) -> str:
    """A claim reported by a verified customer: the opening, then answers until the receipt;
    its claim number."""
    said = chat.says(opening)
    for answer in (*answers, "没人受伤", "对", "对"):
        found = CLAIM_NUMBER.search(said)
        if found and "请核对" not in said:
            return found.group(0)
        said = chat.says(answer)
    found = CLAIM_NUMBER.search(said)
    assert found, said
    return found.group(0)


@contextmanager
def webchat_client(agent: Any) -> Iterator[PageClient]:
    """The web chat channel alone on an app of its own, in process, over `agent` (a stand-in
    Rasa agent): a page's client for it."""
    from rasa.core.channels.channel import register
    from sanic import Sanic

    from channels.webchat import WebChatInput

    app = Sanic(f"webchat_{uuid.uuid4().hex}")
    app.ctx.agent = agent
    register([WebChatInput(max_message_chars=2000)], app, route="/webhooks/")
    with PageClient(app) as client:
        yield client


def verified_chat(servers: Any, policy: str, answer: str,
                  opening: str = "查一下我的理赔进度") -> Tuple[WebChat, str]:
    """A web chat whose customer asked `opening` and proved who they are (`policy`, then the
    date of birth or phone digits `answer`): the chat and the reply to the last answer."""
    chat = WebChat(servers)
    chat.says(opening)
    chat.says(policy)
    return chat, chat.says(answer)
