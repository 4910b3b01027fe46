"""The web chat's outbox routes, in-process with a real claims store: a poll hands messages out
without delivering them, and only the page's acknowledgement by id marks them delivered."""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, Dict, Iterator, List

import pytest
import time_machine
from rasa.core.channels.channel import register
from sanic import Sanic

from bot.clock import utc_now
from bot.outbox.delivery import ACK_REFUSED, MAX_ACK_IDS, POLL_LEASE
from bot.outbox.notices import queue_message
from bot.store.db import unit_of_work
from channels.webchat import MAX_ACK_BODY_BYTES, WebChatInput
from tests.channels.test_agent_console import (  # noqa: F401  (fixtures)
    StandInRasaAgent,
    rasa_agent,
    store,
)
from tests.support.asgi import AsgiClient
from tests.support.webchat import PageClient

MESSAGES = "/webhooks/webchat/messages"
ACK = MESSAGES + "/ack"


def make_client(rasa: StandInRasaAgent, **channel: Any) -> AsgiClient:
    app = Sanic(f"webchat_outbox_{uuid.uuid4().hex}")
    app.ctx.agent = rasa
    register([WebChatInput(max_message_chars=2000, **channel)], app, route="/webhooks/")
    return PageClient(app)


@pytest.fixture
def db(store: str) -> str:  # noqa: F811
    return store


@pytest.fixture
def client(db: str, rasa_agent: StandInRasaAgent) -> Iterator[AsgiClient]:  # noqa: F811
    with make_client(rasa_agent) as c:
        yield c


def poll(client: AsgiClient, sender: str) -> List[Dict[str, Any]]:
    res = client.get(f"{MESSAGES}?sender={sender}")
    assert res.status == 200, res.text
    assert res.headers["cache-control"] == "no-store"
    return res.json()


def ack(client: AsgiClient, sender: str, ids: List[Any]) -> Any:
    return client.post(ACK, json_body={"sender": sender, "ids": ids})


def status_of(url: str, message_id: int) -> str:
    with unit_of_work(url) as uow:
        return uow.notifications.get(message_id).status


def refusals(url: str) -> List[Any]:
    with unit_of_work(url) as uow:
        return [(e.actor, e.subject_id, dict(e.detail or {}))
                for e in uow.audit.list(ACK_REFUSED)]


def test_a_poll_without_ack_hands_the_message_out_again_and_not_after_the_ack(
        db: str, rasa_agent: StandInRasaAgent) -> None:  # noqa: F811
    message_id = queue_message("web-1", "webchat", "您好，我是王小明", kind="agent_message",
                               url=db)
    with make_client(rasa_agent, outbox_lease_seconds=0) as client:
        first = poll(client, "web-1")
        assert first == [{"id": message_id, "kind": "agent_message", "text": "您好，我是王小明"}]
        assert status_of(db, message_id) == "pending"
        # The answer never reached the page: the next poll brings the same message back.
        assert poll(client, "web-1") == first
        res = ack(client, "web-1", [message_id])
        assert res.status == 200 and res.json() == {"acknowledged": [message_id]}
        assert status_of(db, message_id) == "sent"
        assert poll(client, "web-1") == []
        # The acknowledgement's answer was lost and the page sends it again: harmless.
        assert ack(client, "web-1", [message_id]).json() == {"acknowledged": [message_id]}
    assert refusals(db) == []


def test_a_second_tab_does_not_get_the_message_during_the_lease(
        client: AsgiClient, db: str) -> None:
    message_id = queue_message("web-1", "webchat", "notice", kind="notice", url=db)
    assert [m["id"] for m in poll(client, "web-1")] == [message_id]
    assert poll(client, "web-1") == []  # the other tab, at the same moment
    with time_machine.travel(utc_now() + POLL_LEASE + timedelta(seconds=1), tick=False):
        assert [m["id"] for m in poll(client, "web-1")] == [message_id]


def test_an_ack_with_another_conversations_id_changes_nothing_and_is_audited(
        client: AsgiClient, db: str) -> None:
    theirs = queue_message("web-victim", "webchat", "您的理赔已到账", kind="notice", url=db)
    res = ack(client, "web-attacker", [theirs, 424242])
    assert res.status == 200 and res.json() == {"acknowledged": []}
    assert status_of(db, theirs) == "pending"
    assert [m["id"] for m in poll(client, "web-victim")] == [theirs]
    [(actor, subject, detail)] = refusals(db)
    assert actor == "conversation:web-attacker" and subject == "web-attacker"
    assert detail["ids"] == [theirs, 424242] and detail["reason"] == "not_this_conversation"


def test_a_mixed_ack_delivers_only_the_senders_own(client: AsgiClient, db: str) -> None:
    mine = queue_message("web-1", "webchat", "mine", kind="notice", url=db)
    theirs = queue_message("web-2", "webchat", "theirs", kind="notice", url=db)
    pushed = queue_message("web-1", "telegram", "pushed", kind="notice", url=db)
    assert ack(client, "web-1", [theirs, mine, pushed]).json() == {"acknowledged": [mine]}
    assert [status_of(db, i) for i in (mine, theirs, pushed)] == ["sent", "pending",
                                                                    "pending"]


@pytest.mark.parametrize("body", [
    b"", b"not json", b"[]", b'"x"', b"{}",
    b'{"sender": "../../x", "ids": [1]}', b'{"sender": "tg-123", "ids": [1]}',
    b'{"sender": "web-1"}', b'{"sender": "web-1", "ids": "1"}',
    b'{"sender": "web-1", "ids": ["1"]}', b'{"sender": "web-1", "ids": [true]}',
    b'{"sender": "web-1", "ids": [1.5]}', b'{"sender": "web-1", "ids": [-1]}',
    b'{"sender": "web-1", "ids": [0]}', b'{"sender": "web-1", "ids": [99999999999999999999]}',
    b'{"sender": "web-1", "ids": [null]}', b'{"sender": ["web-1"], "ids": [1]}',
    b"[" * 3000,
], ids=lambda body: f"{len(body)}b-{body[:40]!r}")
def test_bad_acks_get_400_and_change_nothing(client: AsgiClient, db: str,
                                             body: bytes) -> None:
    message_id = queue_message("web-1", "webchat", "x", kind="notice", url=db)
    res = client.post(ACK, body=body, headers={"content-type": "application/json"})
    assert res.status == 400, res.text
    assert res.json()["error"]
    assert status_of(db, message_id) == "pending"


def test_oversized_acks_get_413_and_are_audited(client: AsgiClient, db: str) -> None:
    message_id = queue_message("web-1", "webchat", "x", kind="notice", url=db)
    big = client.post(ACK, body=b'{"sender": "web-1", "ids": [' + b"1," * MAX_ACK_BODY_BYTES
                      + b"1]}", headers={"content-type": "application/json"})
    assert big.status == 413 and big.json()["error"] == "body_too_large"
    many = ack(client, "web-1", list(range(1, MAX_ACK_IDS + 2)))
    assert many.status == 413 and many.json()["error"] == "too_many_ids"
    assert status_of(db, message_id) == "pending"
    assert [(actor, detail["reason"]) for actor, _, detail in refusals(db)] == [
        ("webchat", "body_too_large"), ("conversation:web-1", "too_many_ids")]


def test_an_empty_ack_is_fine(client: AsgiClient, db: str) -> None:
    res = ack(client, "web-1", [])
    assert res.status == 200 and res.json() == {"acknowledged": []}
    assert refusals(db) == []


def test_only_post_acknowledges(client: AsgiClient) -> None:
    assert client.get(f"{ACK}?sender=web-1&ids=1").status == 405


def test_a_store_failure_is_503_not_a_crash(client: AsgiClient,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.outbox.delivery

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database is down")

    monkeypatch.setattr(bot.outbox.delivery, "acknowledge_messages", broken)
    res = ack(client, "web-1", [1])
    assert res.status == 503 and res.json()["error"] == "unavailable"


def test_the_lease_comes_from_credentials() -> None:
    assert WebChatInput.from_credentials({}).outbox_lease == POLL_LEASE
    channel = WebChatInput.from_credentials({"outbox_lease_seconds": 3})
    assert channel.outbox_lease == timedelta(seconds=3)
