"""Attacks on the web chat's sessions, over HTTP against the real servers with their default
settings (a demo session key the tests do not know): a conversation id is no credential on its
own. Every route that names a sender wants the token the server issued for that very sender
(POST /webhooks/webchat/session) in X-Chat-Session; without it the answer is 401 and nothing is
done or stored."""
from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import requests

from bot.replies import say
from bot.webchat_session import SESSION_HEADER
from tests.support.audio import silence
from tests.support.webchat import WebChat, new_session

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _requests(base: str, sender: str) -> List[Tuple[str, str, Dict[str, Any]]]:
    """One request to each web chat route that names `sender`: (method, url, requests kwargs)."""
    chat = f"{base}/webhooks/webchat"
    return [
        ("POST", f"{chat}/webhook", {"json": {"sender": sender, "message": "查一下理赔进度"}}),
        ("POST", f"{chat}/webhook?stream=true",
         {"json": {"sender": sender, "message": "你好"}}),
        ("GET", f"{chat}/messages", {"params": {"sender": sender}}),
        ("POST", f"{chat}/messages/ack", {"json": {"sender": sender, "ids": [1, 2, 3]}}),
        ("GET", f"{chat}/documents", {"params": {"sender": sender}}),
        ("POST", f"{chat}/upload", {"params": {"sender": sender}, "data": PNG,
                                    "headers": {"Content-Type": "image/png",
                                                "X-Filename": "photo.png"}}),
        ("POST", f"{chat}/voice", {"params": {"sender": sender}, "data": silence(1.0),
                                   "headers": {"Content-Type": "audio/wav"}}),
        ("POST", f"{chat}/login", {"json": {"sender": sender, "token": "A" * 22}}),
        ("GET", f"{chat}/history", {"params": {"sender": sender}}),
        ("POST", f"{chat}/end", {"json": {"sender": sender}}),
    ]


def _send(method: str, url: str, kwargs: Dict[str, Any],
          session: Dict[str, str] | None) -> requests.Response:
    headers = {**kwargs.get("headers", {}), **(session or {})}
    return requests.request(method, url, timeout=60, **{**kwargs, "headers": headers})


def _stored_events(servers: Any, sender: str) -> int:
    trackers = Path(servers.env["CLAIMS_VAR_DIR"]) / "trackers.db"
    if not trackers.exists():
        return 0
    with sqlite3.connect(str(trackers)) as connection:
        return connection.execute("SELECT count(*) FROM events WHERE sender_id = ?",
                                  (sender,)).fetchone()[0]


def _uploads(servers: Any) -> int:
    uploads = Path(servers.env["CLAIMS_VAR_DIR"]) / "uploads"
    return sum(1 for p in uploads.rglob("*") if p.is_file()) if uploads.exists() else 0


def _assert_refused(res: requests.Response, what: str) -> None:
    assert res.status_code == 401, (what, res.status_code, res.text[:300])
    assert res.json()["error"] == "invalid_session", what
    assert res.headers["Content-Type"].startswith("application/json"), what


@pytest.mark.parametrize("sender", ["me", f"web-{uuid.uuid4().hex}"], ids=["me", "web-hex"])
@pytest.mark.parametrize("header", [None, "", "forged-token", "A" * 43, "é"],
                         ids=["none", "empty", "forged", "right-shape", "not-ascii"])
def test_a_made_up_id_without_its_token_is_refused_on_every_route(
        default_servers: Any, sender: str, header: str | None) -> None:
    uploads = _uploads(default_servers)
    session = None if header is None else {SESSION_HEADER: header}
    if header == "é":  # what a client may put on the wire, as latin-1
        session = {SESSION_HEADER: "é".encode("latin-1")}  # type: ignore[dict-item]
    for method, url, kwargs in _requests(default_servers.rasa_url, sender):
        _assert_refused(_send(method, url, kwargs, session), f"{method} {url}")
    assert _stored_events(default_servers, sender) == 0  # no turn, no session started
    assert _uploads(default_servers) == uploads


def test_a_token_works_for_its_own_sender_only(default_servers: Any) -> None:
    victim, _ = new_session(default_servers.rasa_url)
    _, attacker_token = new_session(default_servers.rasa_url)
    for method, url, kwargs in _requests(default_servers.rasa_url, victim):
        _assert_refused(_send(method, url, kwargs, {SESSION_HEADER: attacker_token}),
                        f"{method} {url}")
    assert _stored_events(default_servers, victim) == 0


def test_a_token_with_one_character_changed_is_refused(default_servers: Any) -> None:
    sender, token = new_session(default_servers.rasa_url)
    for position in (0, len(token) // 2, len(token) - 1):
        changed = token[:position] + ("B" if token[position] != "B" else "C") + token[position + 1:]
        for method, url, kwargs in _requests(default_servers.rasa_url, sender):
            _assert_refused(_send(method, url, kwargs, {SESSION_HEADER: changed}),
                            f"{method} {url} at {position}")
    for shortened in (token[:-1], token + "A", token + "=", token.upper(), f"{token}x"):
        method, url, kwargs = _requests(default_servers.rasa_url, sender)[0]
        _assert_refused(_send(method, url, kwargs, {SESSION_HEADER: shortened}), shortened)
    assert _stored_events(default_servers, sender) == 0


def test_the_token_counts_only_in_its_header(default_servers: Any) -> None:
    """Not in the URL (where access logs would keep it), not in the body, not in a cookie."""
    sender, token = new_session(default_servers.rasa_url)
    chat = f"{default_servers.rasa_url}/webhooks/webchat"
    tries = [
        requests.post(f"{chat}/webhook", params={"token": token, SESSION_HEADER: token},
                      json={"sender": sender, "message": "你好"}, timeout=60),
        requests.post(f"{chat}/webhook", timeout=60,
                      json={"sender": sender, "message": "你好", "token": token,
                            "metadata": {"session": token}}),
        requests.get(f"{chat}/messages", params={"sender": sender, "session": token},
                     cookies={SESSION_HEADER: token}, timeout=60),
    ]
    for res in tries:
        _assert_refused(res, res.url)
    assert _stored_events(default_servers, sender) == 0


def test_sessions_are_fresh_random_ids_and_the_route_takes_only_post(
        default_servers: Any) -> None:
    url = f"{default_servers.rasa_url}/webhooks/webchat/session"
    issued = [requests.post(url, timeout=30) for _ in range(5)]
    for res in issued:
        assert res.status_code == 200
        assert res.headers["Cache-Control"] == "no-store"
        assert set(res.json()) == {"sender", "token"}
    senders = [res.json()["sender"] for res in issued]
    assert len(set(senders)) == 5 and all(s.startswith("web-") and len(s) == 36 for s in senders)
    assert len({res.json()["token"] for res in issued}) == 5
    # The page cannot choose its id: a body naming one is ignored.
    chosen = requests.post(url, json={"sender": "me"}, timeout=30).json()["sender"]
    assert chosen != "me" and chosen.startswith("web-")
    for method in ("GET", "PUT", "DELETE"):
        refused = requests.request(method, url, timeout=30)
        assert refused.status_code == 405 and refused.json()["error"]


def test_the_legitimate_flow_still_works(default_servers: Any) -> None:
    sender, token = new_session(default_servers.rasa_url)
    session = {SESSION_HEADER: token}
    chat = f"{default_servers.rasa_url}/webhooks/webchat"
    reply = requests.post(f"{chat}/webhook", headers=session, timeout=60,
                          json={"sender": sender, "message": "查一下理赔进度"})
    assert reply.status_code == 200, reply.text
    assert reply.json() and reply.json()[0]["recipient_id"] == sender
    assert reply.json()[0]["text"]
    streamed = requests.post(f"{chat}/webhook?stream=true", headers=session, timeout=60,
                             json={"sender": sender, "message": "AUTO-2026-0001"})
    assert streamed.status_code == 200
    assert [json.loads(line) for line in streamed.text.splitlines() if line.strip()]
    polled = requests.get(f"{chat}/messages", params={"sender": sender}, headers=session,
                          timeout=30)
    assert polled.status_code == 200 and polled.json() == []
    acked = requests.post(f"{chat}/messages/ack", headers=session, timeout=30,
                          json={"sender": sender, "ids": []})
    assert acked.status_code == 200 and acked.json() == {"acknowledged": []}
    documents = requests.get(f"{chat}/documents", params={"sender": sender}, headers=session,
                             timeout=30)
    assert documents.status_code == 200 and documents.json()["claim_number"] is None
    link = requests.post(f"{chat}/login", headers=session, timeout=30,
                         json={"sender": sender, "token": "A" * 22})
    assert link.status_code == 403  # past the session check: the link itself is unknown
    history = requests.get(f"{chat}/history", params={"sender": sender}, headers=session,
                           timeout=30)
    assert history.status_code == 200 and history.headers["Cache-Control"] == "no-store"
    assert [m["from"] for m in history.json()["messages"]][:2] == ["customer", "bot"]
    assert history.json()["messages"][0]["text"] == "查一下理赔进度"
    ended = requests.post(f"{chat}/end", headers=session, timeout=30, json={"sender": sender})
    assert ended.status_code == 200 and ended.json() == {"ended": True}
    assert _stored_events(default_servers, sender) > 0


# The demo's 张伟 (README: demo identities) and his motor claim.
ZHANG = {"policy": "AUTO-2026-0001", "born": "1985-04-12", "claim": "CLM-2026-000004",
         "name": "张伟"}


def _verified_zhang(servers: Any) -> WebChat:
    chat = WebChat(servers)
    chat.says("查一下我的理赔进度")
    chat.says(ZHANG["policy"])
    shown = chat.says(ZHANG["born"])
    assert ZHANG["name"] in shown and ZHANG["claim"] in shown, shown
    return chat


def _history(chat: WebChat, sender: str | None = None,
             token: str | None = None) -> requests.Response:
    return requests.get(f"{chat.base}/history", params={"sender": sender or chat.sender},
                        headers={SESSION_HEADER: token or chat.token}, timeout=30)


def test_nobody_reads_another_conversations_history(default_servers: Any) -> None:
    """A stranger with a session of their own (or a forged token) names the victim's id, learnt
    from the audit log or an agent's screen: refused, and their own history holds nothing of
    the victim's."""
    victim = _verified_zhang(default_servers)
    assert ZHANG["claim"] in json.dumps(_history(victim).json(), ensure_ascii=False)
    stranger = WebChat(default_servers)
    stranger.says("你好")
    for token in (stranger.token, "A" * 43, "x"):
        _assert_refused(_history(stranger, victim.sender, token), token)
    own = json.dumps(_history(stranger).json(), ensure_ascii=False)
    assert ZHANG["claim"] not in own and ZHANG["name"] not in own
    assert ZHANG["born"] not in json.dumps(_history(victim).json(), ensure_ascii=False)


def test_end_chat_ends_the_verified_identity_and_only_with_the_token(
        default_servers: Any) -> None:
    """On a shared computer: the customer ends the chat; whoever uses the conversation after
    (its id and token kept, or a stranger who only knows the id) must prove who they are."""
    chat = _verified_zhang(default_servers)
    stranger = WebChat(default_servers)
    for token in (stranger.token, "A" * 43):  # an end the conversation's token did not ask for
        _assert_refused(requests.post(f"{chat.base}/end", json={"sender": chat.sender},
                                      headers={SESSION_HEADER: token}, timeout=30), token)
    assert ZHANG["claim"] in chat.says("查一下我的理赔进度")  # still verified

    ended = requests.post(f"{chat.base}/end", json={"sender": chat.sender},
                          headers=chat.headers, timeout=30)
    assert ended.status_code == 200 and ended.json() == {"ended": True}
    assert _history(chat).json() == {"messages": [], "truncated": False}
    asked = chat.says("查一下我的理赔进度")
    assert asked == say("ask_policy_number", "zh")
    assert ZHANG["claim"] not in asked and ZHANG["name"] not in asked
