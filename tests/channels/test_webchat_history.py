"""The web chat's history and end routes, in-process with a stand-in Rasa agent keeping real
trackers (the bot's own slots) and a real claims store: GET /history gives the page what the
customer was shown and said, POST /end restarts the conversation so its verified identity is
gone, and both want the conversation's session token like every route naming a sender."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

from bot.access import viewer_of
from bot.handoff import Reason, open_entry_for, request_handoff
from bot.store.db import unit_of_work
from bot.store.models import AuditEntry
from bot.webchat_session import SESSION_HEADER
from tests.channels.test_agent_console import StandInRasaAgent
from tests.support.asgi import AsgiClient
from tests.support.store import seeded_store
from tests.support.webchat import webchat_client

PREFIX = "/webhooks/webchat"
DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"
SENDER = "web-history-1"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with seeded_store(monkeypatch, tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(DOMAIN))


@pytest.fixture
def rasa(domain: Domain) -> StandInRasaAgent:
    """The console tests' stand-in agent, keeping trackers with the bot's own slots."""
    return StandInRasaAgent(domain)


@pytest.fixture
def client(db: str, rasa: StandInRasaAgent) -> Iterator[AsgiClient]:
    with webchat_client(rasa) as c:
        yield c


def _verified_conversation(client: AsgiClient, rasa: StandInRasaAgent, sender: str) -> None:
    """张伟 verified in `sender`, as the identity check leaves it, after a short exchange."""

    async def build() -> None:
        tracker = await rasa.tracker_store.get_or_create_tracker(sender)
        for event in (UserUttered("查一下理赔进度", {"name": "check_status"}),
                      BotUttered("请告诉我您的保单号。"),
                      UserUttered("AUTO-2026-0001", {"name": "inform"}),
                      SlotSet("verified", True), SlotSet("customer_id", 1),
                      SlotSet("policy_number", "AUTO-2026-0001"),
                      BotUttered("张伟您好，您的理赔 CLM-2026-000004 在审核中。")):
            tracker.update(event)
        await rasa.tracker_store.save(tracker)

    client.loop.run_until_complete(build())


def _tracker(client: AsgiClient, rasa: StandInRasaAgent, sender: str):
    return client.loop.run_until_complete(rasa.tracker_store.retrieve(sender))


def test_the_history_gives_what_the_customer_said_and_was_shown_in_order(
        client: AsgiClient, rasa: StandInRasaAgent) -> None:
    _verified_conversation(client, rasa, SENDER)
    res = client.get(f"{PREFIX}/history?sender={SENDER}")
    assert res.status == 200, res.text
    assert res.headers["cache-control"] == "no-store"
    assert res.json() == {"truncated": False, "messages": [
        {"from": "customer", "text": "查一下理赔进度"},
        {"from": "bot", "text": "请告诉我您的保单号。"},
        {"from": "customer", "text": "AUTO-2026-0001"},
        {"from": "bot", "text": "张伟您好，您的理赔 CLM-2026-000004 在审核中。"},
    ]}


def test_a_conversation_never_started_has_an_empty_history_and_none_is_made(
        client: AsgiClient, rasa: StandInRasaAgent) -> None:
    res = client.get(f"{PREFIX}/history?sender=web-nothing-yet")
    assert res.status == 200 and res.json() == {"messages": [], "truncated": False}
    assert _tracker(client, rasa, "web-nothing-yet") is None


def test_ending_the_chat_ends_the_verified_identity_and_the_history(
        client: AsgiClient, rasa: StandInRasaAgent, db: str) -> None:
    _verified_conversation(client, rasa, SENDER)
    before = _tracker(client, rasa, SENDER)
    assert viewer_of(SENDER, before.current_slot_values(), list(before.events),
                     now=before.events[-1].timestamp).customer_id == 1

    res = client.post(f"{PREFIX}/end", json_body={"sender": SENDER})
    assert res.status == 200 and res.json() == {"ended": True}
    assert res.headers["cache-control"] == "no-store"
    after = _tracker(client, rasa, SENDER)
    assert after.get_slot("verified") is not True and after.get_slot("customer_id") is None
    assert viewer_of(SENDER, after.current_slot_values(), list(after.events)).customer_id is None
    assert [e.type_name for e in after.events][-2:] == ["action", "restart"]
    again = client.get(f"{PREFIX}/history?sender={SENDER}")
    assert again.json() == {"messages": [], "truncated": False}
    with unit_of_work(db) as uow:
        audited = uow.session.query(AuditEntry).filter_by(action="webchat.ended",
                                                          subject_id=SENDER).all()
        assert [row.detail for row in audited] == [{"handoff_withdrawn": False}]


def test_ending_withdraws_the_queued_request_for_a_person(
        client: AsgiClient, rasa: StandInRasaAgent, db: str) -> None:
    _verified_conversation(client, rasa, SENDER)
    request_handoff(SENDER, reason=Reason.REQUEST, channel="webchat", url=db)
    assert client.post(f"{PREFIX}/end", json_body={"sender": SENDER}).status == 200
    assert open_entry_for(SENDER, url=db) is None


def test_ending_a_conversation_never_started_stores_nothing(
        client: AsgiClient, rasa: StandInRasaAgent, db: str) -> None:
    res = client.post(f"{PREFIX}/end", json_body={"sender": "web-never"})
    assert res.status == 200 and res.json() == {"ended": True}
    assert _tracker(client, rasa, "web-never") is None
    with unit_of_work(db) as uow:
        assert uow.session.query(AuditEntry).filter_by(action="webchat.ended").count() == 0


@pytest.mark.parametrize("header", ["", "x", "A" * 43])
def test_both_routes_want_the_conversations_own_token(
        client: AsgiClient, rasa: StandInRasaAgent, header: str) -> None:
    _verified_conversation(client, rasa, SENDER)
    session = {SESSION_HEADER: header}
    history = client.get(f"{PREFIX}/history?sender={SENDER}", headers=session)
    end = client.post(f"{PREFIX}/end", json_body={"sender": SENDER}, headers=session)
    for res in (history, end):
        assert res.status == 401 and res.json()["error"] == "invalid_session"
    assert _tracker(client, rasa, SENDER).get_slot("verified") is True


@pytest.mark.parametrize("method, url, body, status, error", [
    ("GET", f"{PREFIX}/history", None, 400, "invalid_sender"),
    ("GET", f"{PREFIX}/history?sender=tg-123", None, 400, "invalid_sender"),
    ("POST", f"{PREFIX}/end", b"not json", 400, "invalid_json"),
    ("POST", f"{PREFIX}/end", b'{"sender": "sms-+8613800000001"}', 400, "invalid_sender"),
    ("POST", f"{PREFIX}/end", b'{"sender": "web-1", "pad": "' + b"x" * 5000 + b'"}', 413,
     "body_too_large"),
])
def test_malformed_requests_are_refused(client: AsgiClient, method: str, url: str,
                                        body: bytes | None, status: int, error: str) -> None:
    res = client.request(method, url, body=body or b"",
                         headers={"content-type": "application/json"})
    assert res.status == status and res.json()["error"] == error
    other = client.request("PUT" if method == "GET" else "GET", url.split("?")[0])
    assert other.status == 405
