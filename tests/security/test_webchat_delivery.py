"""Failure and attack on the web chat's outbox, over HTTP against the real servers: a poll whose
answer never reaches the page (a dropped connection, a tab closed mid-poll) must lose no agent
reply or notice, and nobody may acknowledge another conversation's messages away.

The agent's words are queued the way the console queues them (bot.outbox.notices.queue_message)
in the servers' own store; everything else is HTTP as the page speaks it.
"""
from __future__ import annotations

import socket
import time
from datetime import datetime
from typing import Any, Dict, List
from urllib.parse import urlsplit

import pytest
import requests

from bot.clock import utc_now
from bot.outbox.notices import queue_message
from bot.store.db import unit_of_work
from bot.webchat_session import SESSION_HEADER
from tests.support.webchat import new_session, session_headers

pytestmark = pytest.mark.e2e

# The session token of each conversation the servers issued to these tests (sender -> token).
_tokens: Dict[str, str] = {}


def _conversation(servers: Any) -> str:
    """A conversation the servers issued, as the page gets one (POST /session)."""
    sender, token = new_session(servers.rasa_url)
    _tokens[sender] = token
    return sender


def _row(url: str, message_id: int) -> Dict[str, Any]:
    with unit_of_work(url) as uow:
        row = uow.notifications.get(message_id)
        return {"status": row.status, "attempts": row.attempts,
                "next_attempt_at": row.next_attempt_at}


def _wait_for(what: Any, timeout_s: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def _sleep_until(moment: datetime | None) -> None:
    if moment is not None:
        time.sleep(max((moment - utc_now()).total_seconds(), 0) + 0.5)


def _dropped_poll(servers: Any, sender: str, url: str, message_id: int) -> None:
    """A GET of the outbox whose answer is never read: the server handles it, then the
    connection dies (reset) before the page sees a byte."""
    host = urlsplit(servers.rasa_url)
    conn = socket.create_connection((host.hostname, host.port), timeout=10)
    try:
        conn.sendall(f"GET /webhooks/webchat/messages?sender={sender} HTTP/1.1\r\n"
                     f"Host: {host.netloc}\r\nAccept: application/json\r\n"
                     f"{SESSION_HEADER}: {_tokens[sender]}\r\n\r\n".encode())
        _wait_for(lambda: _row(url, message_id)["attempts"] >= 1)  # the server handed it out
    finally:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()


def _poll(servers: Any, sender: str) -> List[Dict[str, Any]]:
    res = requests.get(f"{servers.rasa_url}/webhooks/webchat/messages",
                       params={"sender": sender}, timeout=30,
                       headers=session_headers(_tokens[sender]))
    assert res.status_code == 200, res.text
    return res.json()


def _ack(servers: Any, sender: str, ids: List[int]) -> requests.Response:
    return requests.post(f"{servers.rasa_url}/webhooks/webchat/messages/ack", timeout=30,
                         json={"sender": sender, "ids": ids},
                         headers=session_headers(_tokens[sender]))


def test_a_dropped_poll_loses_no_agent_reply(claims_servers, claims_db_url) -> None:
    sender = _conversation(claims_servers)
    text = "您好，我是理赔员王小明，您的材料已收到。"
    message_id = queue_message(sender, "webchat", text, kind="agent_message", url=claims_db_url)

    _dropped_poll(claims_servers, sender, claims_db_url, message_id)

    # The page polls again (after the poll's lease): the reply is still there, same id.
    assert _row(claims_db_url, message_id)["status"] == "pending"
    _sleep_until(_row(claims_db_url, message_id)["next_attempt_at"])
    again = _poll(claims_servers, sender)
    assert [(m["id"], m["text"]) for m in again] == [(message_id, text)]

    # Shown and acknowledged: delivered, and never handed out again.
    res = _ack(claims_servers, sender, [message_id])
    assert res.status_code == 200 and res.json() == {"acknowledged": [message_id]}
    assert _row(claims_db_url, message_id)["status"] == "sent"
    _sleep_until(_row(claims_db_url, message_id)["next_attempt_at"])
    assert _poll(claims_servers, sender) == []


def test_a_notice_survives_a_poll_the_page_never_saw(claims_servers, claims_db_url) -> None:
    sender = _conversation(claims_servers)
    message_id = queue_message(sender, "webchat", "Your claim CLM-2026-000004 moved on.",
                               kind="claim_stage_changed", url=claims_db_url)
    lost = _poll(claims_servers, sender)  # answered, but the tab closed before showing it
    assert [m["id"] for m in lost] == [message_id]
    _sleep_until(_row(claims_db_url, message_id)["next_attempt_at"])
    assert [m["id"] for m in _poll(claims_servers, sender)] == [message_id]


def test_nobody_can_acknowledge_another_conversations_messages_away(
        claims_servers, claims_db_url) -> None:
    victim, attacker = _conversation(claims_servers), _conversation(claims_servers)
    message_id = queue_message(victim, "webchat", "您的理赔款已到账。", kind="agent_message",
                               url=claims_db_url)
    guesses = list(range(max(message_id - 40, 1), message_id + 40))
    res = _ack(claims_servers, attacker, guesses)
    assert res.status_code == 200 and res.json() == {"acknowledged": []}
    assert _row(claims_db_url, message_id)["status"] == "pending"
    assert [m["id"] for m in _poll(claims_servers, victim)] == [message_id]
    with unit_of_work(claims_db_url) as uow:
        refused = [e.detail for e in uow.audit.list("outbox.ack_refused")
                   if e.actor == f"conversation:{attacker}"]
    assert len(refused) == 1 and refused[0]["count"] == len(guesses)


@pytest.mark.parametrize("body, status", [
    ('{{"sender": "{sender}", "ids": "all"}}', 400),
    ("{" * 3000, 400),
    ('{{"sender": "{sender}", "ids": [' + "1," * 5000 + "1]}}", 413),
], ids=["ids-not-a-list", "deep-nesting", "oversized"])
def test_malformed_acks_are_refused_without_a_server_error(claims_servers, claims_db_url,
                                                           body: str, status: int) -> None:
    sender = _conversation(claims_servers)
    message_id = queue_message(sender, "webchat", "x", kind="notice", url=claims_db_url)
    data = body.format(sender=sender) if "sender" in body else body
    res = requests.post(f"{claims_servers.rasa_url}/webhooks/webchat/messages/ack",
                        data=data.encode(), timeout=30,
                        headers=session_headers(_tokens[sender],
                                                {"Content-Type": "application/json"}))
    assert res.status_code == status, res.text
    assert _row(claims_db_url, message_id)["status"] == "pending"
