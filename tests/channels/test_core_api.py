"""The core system's stage endpoint and the notice delivery loop, in-process against a seeded
store (no model, no port)."""
from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Dict, Iterator, List

import pytest
from rasa.core.channels.channel import register
from sanic import Sanic
from sqlalchemy import update

from bot.claims.lifecycle import claim_view
from bot.claims.model import ClaimStage
from bot.outbox.notices import list_notices
from bot.outbox.senders import Notice
from bot.settings import get_settings
from bot.store.db import unit_of_work
from bot.store.models import Claim
from channels.core_api import CoreApiInput, token_matches
from rasa_server.jobs import NoticeDelivery
from tests.support.asgi import AsgiClient
from tests.support.store import seeded_store

TOKEN = "core-test-token-5b1e"
HOSPITAL, WATER = "CLM-2026-000003", "CLM-2026-000001"
URL = "/webhooks/core/claims/{}/stage"


@pytest.fixture
def store(tmp_path, monkeypatch) -> Iterator[str]:
    with seeded_store(monkeypatch, tmp_path, CLAIMS_CORE_API_TOKEN=TOKEN) as url:
        yield url


class Outbox:
    """A stand-in push channel (like Telegram) that fails its first attempt."""

    def __init__(self, fail_first: bool = False) -> None:
        self.fail_first = fail_first
        self.received: List[Notice] = []
        self.attempts = 0

    def send(self, notice: Notice) -> None:
        self.attempts += 1
        if self.fail_first and self.attempts == 1:
            raise ConnectionError("telegram unreachable")
        self.received.append(notice)

    def senders(self) -> Dict[str, object]:
        return {"telegram": self.send}


def make_client(channel: CoreApiInput) -> AsgiClient:
    app = Sanic(f"core_api_test_{uuid.uuid4().hex}")
    register([channel], app, route="/webhooks/")
    return AsgiClient(app)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def client(store, outbox) -> Iterator[AsgiClient]:
    channel = CoreApiInput(delivery_interval_s=3600, senders=outbox.senders)
    with make_client(channel) as c:
        yield c


def _auth(token: str = TOKEN) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _settle(client: AsgiClient) -> None:
    """Let the delivery round the move triggered finish."""
    client.loop.run_until_complete(asyncio.sleep(0.3))


def test_channel_loads_from_credentials():
    from rasa.core.run import _create_single_channel

    channel = _create_single_channel("channels.core_api.CoreApiInput",
                                     {"delivery_interval_seconds": 2})
    assert isinstance(channel, CoreApiInput) and channel.name() == "core"
    assert channel.delivery.interval_s == 2


def test_tokens_compare_in_constant_time_and_empty_matches_nothing():
    assert token_matches("abc", "abc")
    assert not token_matches("abd", "abc")
    assert not token_matches("", "")


def test_a_move_changes_the_stage_queues_the_notice_and_delivers_it(client, store, outbox):
    response = client.post(URL.format(HOSPITAL), json_body={"stage": "payment",
                                                            "note": "approved"},
                           headers=_auth())
    assert response.status == 200, response.text
    body = response.json()
    assert body["stage"] == "payment" and body["from_stage"] == "assessment"
    assert body["notice"] == "review_done" and body["actor"] == "core-system"
    assert claim_view(HOSPITAL, url=store).stage is ClaimStage.PAYMENT
    _settle(client)
    assert [(n.claim_number, n.kind) for n in outbox.received] == [(HOSPITAL, "review_done")]
    assert [n.status for n in list_notices(claim_number=HOSPITAL, url=store)] == ["sent"]


def test_handler_is_part_of_the_audited_actor(client, store):
    response = client.post(URL.format(HOSPITAL.lower()),
                           json_body={"stage": "payment", "handler": "chen.li"}, headers=_auth())
    assert response.status == 200
    assert claim_view(HOSPITAL, url=store).events[-1].actor == "core-system:chen.li"


@pytest.mark.parametrize("headers,status", [
    ({}, 401),
    ({"Authorization": "Basic Y29yZTpjb3Jl"}, 401),
    ({"Authorization": "Bearer "}, 401),
    (_auth("core-test-token-5b1f"), 403),
    (_auth(TOKEN + "x"), 403),
])
def test_missing_or_forged_token_is_refused_and_changes_nothing(client, store, outbox, headers,
                                                                 status):
    before = claim_view(HOSPITAL, url=store)
    response = client.post(URL.format(HOSPITAL), json_body={"stage": "payment"},
                           headers=headers)
    assert response.status == status
    assert response.json()["error"] in ("unauthorized", "forbidden")
    if status == 401:
        assert response.headers.get("www-authenticate", "").startswith("Bearer")
    assert claim_view(HOSPITAL, url=store) == before
    assert list_notices(claim_number=HOSPITAL, url=store) == []
    with unit_of_work(store) as uow:
        refused = [(e.subject_id, e.detail["reason"])
                   for e in uow.audit.list(action="core_api.refused")]
    assert refused == [(HOSPITAL, "no_token" if status == 401 else "wrong_token")]
    assert TOKEN not in str(refused)


def test_lifecycle_violation_is_409_audited_and_changes_nothing(client, store):
    before = claim_view(WATER, url=store)
    response = client.post(URL.format(WATER), json_body={"stage": "reported"}, headers=_auth())
    assert response.status == 409
    body = response.json()
    assert body["error"] == "invalid_transition"
    assert (body["from_stage"], body["to_stage"], body["allowed"]) == ("closed", "reported", [])
    assert claim_view(WATER, url=store) == before
    with unit_of_work(store) as uow:
        assert [e.subject_id for e in uow.audit.list(action="claim.advance_refused")] == [WATER]


@pytest.mark.parametrize("number,body,status,error", [
    ("CLM-2026-999999", {"stage": "payment"}, 404, "claim_not_found"),
    ("not-a-claim", {"stage": "payment"}, 404, "claim_not_found"),
    (HOSPITAL, {"stage": "paid"}, 400, "invalid_stage"),
    (HOSPITAL, {"stage": "payment", "note": 5}, 400, "invalid_note"),
    (HOSPITAL, {"stage": "payment", "handler": "a b"}, 400, "invalid_handler"),
    (HOSPITAL, ["payment"], 400, "invalid_json"),
])
def test_bad_requests_get_json_errors(client, store, number, body, status, error):
    response = client.post(URL.format(number), json_body=body, headers=_auth())
    assert (response.status, response.json()["error"]) == (status, error)
    assert claim_view(HOSPITAL, url=store).stage is ClaimStage.ASSESSMENT


def test_no_token_configured_turns_the_endpoint_off(store, monkeypatch, outbox):
    monkeypatch.setenv("CLAIMS_CORE_API_TOKEN", "")
    get_settings.cache_clear()
    with make_client(CoreApiInput(delivery_interval_s=3600, senders=outbox.senders)) as client:
        response = client.post(URL.format(HOSPITAL), json_body={"stage": "payment"},
                               headers=_auth(""))
    assert response.status == 503
    assert claim_view(HOSPITAL, url=store).stage is ClaimStage.ASSESSMENT


def test_web_chat_notices_are_left_for_the_poll(client, store, outbox):
    with unit_of_work(store) as uow:
        uow.session.execute(update(Claim).where(Claim.number == HOSPITAL)
                            .values(channel="webchat", conversation_id="web-123"))
        uow.commit()
    assert client.post(URL.format(HOSPITAL), json_body={"stage": "payment"},
                       headers=_auth()).status == 200
    _settle(client)
    notices = list_notices(claim_number=HOSPITAL, url=store)
    assert [(n.status, n.attempts, n.conversation_id) for n in notices] == [
        ("pending", 0, "web-123")]
    assert outbox.received == []


def test_delivery_loop_retries_a_failed_push_and_sends_once(store):
    flaky = Outbox(fail_first=True)
    delivery = NoticeDelivery(3600, flaky.senders)
    from bot.claims.lifecycle import advance_claim

    advance_claim(HOSPITAL, "payment", actor="test", url=store)
    loop = asyncio.new_event_loop()
    try:
        first = loop.run_until_complete(delivery.run_once())
        assert first.retrying and not first.sent
        later = dt.datetime.utcnow() + dt.timedelta(minutes=2)  # past the 1-minute backoff
        second = loop.run_until_complete(delivery.run_once(now=later))
        third = loop.run_until_complete(delivery.run_once(now=later + dt.timedelta(hours=2)))
    finally:
        loop.close()
    assert second.sent == first.retrying and not third.sent
    assert [n.kind for n in flaky.received] == ["review_done"]  # exactly once
    assert [(n.status, n.attempts) for n in list_notices(claim_number=HOSPITAL, url=store)] == [
        ("sent", 2)]


def test_the_loop_starts_with_the_server_and_stops_with_it(store):
    seen: List[int] = []

    def senders():
        seen.append(1)
        return {}

    channel = CoreApiInput(delivery_interval_s=0.5, senders=senders)
    with make_client(channel) as client:
        client.loop.run_until_complete(asyncio.sleep(1.2))
        assert channel.delivery._task is not None
    assert len(seen) >= 2
    assert channel.delivery._task is None
