"""One customer's web chat conversation against the real servers, as the page speaks to them:
messages, the documents list, uploads and (where the test servers opted into Rasa's API) the
tracker Rasa keeps."""
from __future__ import annotations

import uuid
from typing import Any, Dict

import requests


class WebChat:
    """`WebChat(servers).says("查进度")` returns the bot's texts joined by new lines."""

    def __init__(self, servers: Any, *, prefix: str = "web-", timeout: float = 90) -> None:
        self.servers = servers
        self.base = f"{servers.rasa_url}/webhooks/webchat"
        self.sender = f"{prefix}{uuid.uuid4().hex}"
        self.timeout = timeout

    def says(self, message: str) -> str:
        res = requests.post(f"{self.base}/webhook", timeout=self.timeout,
                            json={"sender": self.sender, "message": message})
        assert res.status_code == 200, res.text
        return "\n".join(m.get("text") or "" for m in res.json())

    def documents(self) -> Dict[str, Any]:
        res = requests.get(f"{self.base}/documents", params={"sender": self.sender}, timeout=30)
        assert res.status_code == 200, res.text
        return res.json()

    def uploads(self, content: bytes, document: str | None = None, *,
                content_type: str = "image/png", filename: str = "photo.png") -> str:
        params = {"sender": self.sender, **({"document": document} if document else {})}
        res = requests.post(f"{self.base}/upload", params=params, data=content, timeout=60,
                            headers={"Content-Type": content_type, "X-Filename": filename})
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
