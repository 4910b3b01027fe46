"""Conversation stores chosen by the environment (rasa_server/stores.py, rasa_server/locks.py)
and the turn guard (rasa_server/turns.py), without servers: SQLite trackers, the web chat's answer
to a turn that could not be completed, the action guard against a local HTTP stand-in."""
from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import sqlalchemy as sa
from aiohttp import web
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from bot.replies import say
from bot.settings import get_settings
from channels.webchat import WebChatInput
from rasa_server import patches
from rasa_server.locks import AtomicRedisLockStore, LockUnavailable, TurnInMemoryLockStore
from rasa_server.stores import (
    ClaimsEventBroker,
    ClaimsLockStore,
    ClaimsTrackerStore,
    tracker_store_url,
)
from rasa_server.turns import (
    ACTIONS_UNAVAILABLE,
    LOCK_UNAVAILABLE,
    STORE_UNAVAILABLE,
    current_turn,
    mark_failed,
    reply_language,
    watch_turn,
)
from tests.channels.test_webchat import WEBHOOK, StandInAgent, make_client


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """A clean settings environment (CLAIMS_VAR_DIR in tmp_path)."""
    for name in ("CLAIMS_TRACKER_STORE_URL", "CLAIMS_REDIS_URL", "CLAIMS_RABBITMQ_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLAIMS_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


class RecordingBroker:
    def __init__(self) -> None:
        self.published: List[Dict[str, Any]] = []

    def publish(self, event: Dict[str, Any]) -> None:
        self.published.append(event)


def _tracker(sender: str, *texts: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, [])
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    for text in texts:
        tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
        tracker.update(ActionExecuted("action_listen"))
    return tracker


def _stored_count(store: ClaimsTrackerStore, sender: str) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"),
                            {"s": sender}).scalar_one()


# --- the tracker store --------------------------------------------------------------------------

def test_trackers_default_to_sqlite_in_the_var_directory(env: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    assert tracker_store_url() == f"sqlite:///{tmp_path / 'var' / 'trackers.db'}"
    env.setenv("CLAIMS_TRACKER_STORE_URL", "postgresql://db.example/trackers")
    get_settings.cache_clear()
    assert tracker_store_url() == "postgresql://db.example/trackers"


def test_a_conversation_survives_a_new_store_object(env: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    """What a restart of the Rasa server does: a new store on the same file."""
    store = ClaimsTrackerStore(domain=Domain.empty())
    asyncio.run(store.save(_tracker("c1", "你好", "查进度")))
    again = ClaimsTrackerStore(domain=Domain.empty())
    tracker = asyncio.run(again.retrieve("c1"))
    assert tracker is not None
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["你好", "查进度"]
    assert (tmp_path / "var" / "trackers.db").exists()


def test_only_new_events_are_written_and_exactly_those_are_streamed(
    env: pytest.MonkeyPatch,
) -> None:
    broker = RecordingBroker()
    store = ClaimsTrackerStore(domain=Domain.empty(), event_broker=broker)  # type: ignore[arg-type]
    tracker = _tracker("c2", "你好")
    asyncio.run(store.save(tracker))
    first = len(broker.published)
    assert first == len(tracker.events) == _stored_count(store, "c2")
    tracker.update(UserUttered("谢谢", {"name": "thank", "confidence": 1.0}))
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # nothing new: nothing written or streamed twice
    assert _stored_count(store, "c2") == len(tracker.events) == first + 1
    assert [e["event"] for e in broker.published[first:]] == ["user"]
    assert {e["sender_id"] for e in broker.published} == {"c2"}


def test_a_failed_turn_is_not_stored_nor_streamed(env: pytest.MonkeyPatch) -> None:
    broker = RecordingBroker()
    store = ClaimsTrackerStore(domain=Domain.empty(), event_broker=broker)  # type: ignore[arg-type]

    async def turn() -> None:
        with watch_turn("c3"):
            mark_failed(ACTIONS_UNAVAILABLE, "test")
            await store.save(_tracker("c3", "报案"))

    asyncio.run(turn())
    assert _stored_count(store, "c3") == 0 and broker.published == []


def test_a_short_database_outage_is_waited_out(env: pytest.MonkeyPatch) -> None:
    store = ClaimsTrackerStore(domain=Domain.empty())
    real_write = store._write
    calls = {"n": 0}

    def flaky(tracker: DialogueStateTracker) -> Any:
        calls["n"] += 1
        if calls["n"] < 3:
            raise sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))
        return real_write(tracker)

    store._write = flaky  # type: ignore[method-assign]
    asyncio.run(store.save(_tracker("c4", "你好")))
    assert calls["n"] == 3 and _stored_count(store, "c4") > 0


def test_a_long_database_outage_refuses_the_turn(env: pytest.MonkeyPatch) -> None:
    store = ClaimsTrackerStore(domain=Domain.empty())
    store.retrieve_patience_s = 0.3

    def down(*_: Any) -> Any:
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection refused"))

    store._read = down  # type: ignore[method-assign]

    async def turn() -> str | None:
        with watch_turn("c5") as watched:
            with pytest.raises(sa.exc.OperationalError):
                await store.retrieve("c5")
            return watched.failure

    assert asyncio.run(turn()) == STORE_UNAVAILABLE


# --- locks and broker chosen by the environment -------------------------------------------------

def test_lock_store_is_chosen_by_the_environment(env: pytest.MonkeyPatch) -> None:
    assert isinstance(ClaimsLockStore(), TurnInMemoryLockStore)
    env.setenv("CLAIMS_REDIS_URL", "redis://127.0.0.1:1/3")  # not contacted until a turn
    get_settings.cache_clear()
    store = ClaimsLockStore(EndpointConfig(ticket_lifetime_s=7, key_prefix="x"))
    assert isinstance(store, AtomicRedisLockStore)
    assert store.ticket_lifetime_ms == 7000 and store.keys_for("c")[0] == "x:lock:{c}:n"


def test_no_broker_without_rabbitmq(env: pytest.MonkeyPatch) -> None:
    assert asyncio.run(ClaimsEventBroker.from_endpoint_config(None)) is None


def test_the_in_process_lock_opens_a_turn_that_joins_the_channels() -> None:
    store = TurnInMemoryLockStore()

    async def main() -> tuple:
        with watch_turn() as watched:
            async with store.lock("c6"):
                inner = current_turn()
                mark_failed(LOCK_UNAVAILABLE)
        return watched, inner

    watched, inner = asyncio.run(main())
    assert inner is watched and watched.conversation_id == "c6"
    assert watched.failure == LOCK_UNAVAILABLE
    assert current_turn() is None


def test_redis_unreachable_refuses_the_turn() -> None:
    store = AtomicRedisLockStore("redis://127.0.0.1:1/0", socket_timeout_s=0.3)

    async def main() -> str | None:
        with watch_turn() as watched, pytest.raises(LockUnavailable):
            async with store.lock("c7"):
                pass
        return watched.failure

    assert asyncio.run(main()) == LOCK_UNAVAILABLE


# --- the action guard ---------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _action_server(status: int, body: Dict[str, Any]) -> web.AppRunner:
    async def webhook(request: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    return runner


def _run_action(status: int | None, body: Dict[str, Any] | None = None) -> tuple:
    """Runs a RemoteAction inside a watched turn against a stand-in answering `status` (None:
    nothing listens). Returns (exception type or None, the turn's failure, second call's)."""
    patches.install()
    port = _free_port()

    async def main() -> tuple:
        runner = None
        if status is not None:
            runner = await _action_server(status, body or {})
            await web.TCPSite(runner, "127.0.0.1", port).start()
        action = RemoteAction("action_x", EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
        tracker = _tracker("g1")
        try:
            with watch_turn("g1") as watched:
                error = None
                try:
                    await action.run(None, None, tracker, Domain.empty())  # type: ignore[arg-type]
                except Exception as exc:
                    error = exc
                second = None
                try:
                    await action.run(None, None, tracker, Domain.empty())  # type: ignore[arg-type]
                except Exception as exc:
                    second = exc
                return error, watched.failure, second
        finally:
            if runner is not None:
                await runner.cleanup()

    return asyncio.run(main())


def test_an_unreachable_action_server_fails_the_turn_and_stops_its_actions() -> None:
    error, failure, second = _run_action(None)
    assert isinstance(error, RasaException)
    assert failure == ACTIONS_UNAVAILABLE
    assert isinstance(second, RasaException) and "not run" in str(second)


def test_an_action_server_error_fails_the_turn() -> None:
    error, failure, _ = _run_action(500, {"error": "boom"})
    assert isinstance(error, RasaException) and failure == ACTIONS_UNAVAILABLE


def test_a_form_rejecting_a_value_is_not_a_failure() -> None:
    error, failure, second = _run_action(400, {"action_name": "action_x", "error": "no"})
    assert isinstance(error, ActionExecutionRejection)
    assert failure is None and isinstance(second, ActionExecutionRejection)


# --- the web chat's answer ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("message", "metadata", "lang"),
    [("我要报案", None, "zh"), ("Which documents do I need?", None, "en"),
     ("1985-04-12", {"locale": "en-GB"}, "en"), ("1985-04-12", None, "zh")],
)
def test_a_turn_that_could_not_complete_is_answered_try_again_shortly(
    message: str, metadata: Dict[str, Any] | None, lang: str
) -> None:
    lock = TurnInMemoryLockStore()

    async def action_server_down(msg: Any) -> None:
        async with lock.lock(msg.sender_id):
            await msg.output_channel.send_text_message(msg.sender_id, "half an answer")
            mark_failed(ACTIONS_UNAVAILABLE, "stand-in")

    body: Dict[str, Any] = {"sender": f"t-{uuid.uuid4().hex[:8]}", "message": message}
    if metadata:
        body["metadata"] = metadata
    with make_client(StandInAgent(action_server_down)) as client:
        res = client.post(WEBHOOK, json_body=body)
    assert res.status == 503
    assert res.headers["retry-after"] == "5"
    assert res.json() == [{"recipient_id": body["sender"],
                           "text": say("try_again_shortly", lang)}]


def test_redis_down_is_answered_try_again_shortly() -> None:
    lock = AtomicRedisLockStore("redis://127.0.0.1:1/0", socket_timeout_s=0.3)

    async def handle(msg: Any) -> None:
        async with lock.lock(msg.sender_id):
            pytest.fail("no turn without its lock")

    with make_client(StandInAgent(handle), WebChatInput(max_message_chars=2000)) as client:
        res = client.post(WEBHOOK, json_body={"sender": "t-redis", "message": "查进度"})
    assert res.status == 503
    assert res.json()[0]["text"] == say("try_again_shortly", "zh")


def test_a_plain_error_is_still_a_500() -> None:
    async def broken(msg: Any) -> None:
        raise RuntimeError("bug")

    with make_client(StandInAgent(broken)) as client:
        res = client.post(WEBHOOK, json_body={"sender": "t-bug", "message": "你好"})
    assert res.status == 500 and res.json()["error"] == "processing_failed"


def test_reply_language_prefers_what_is_known() -> None:
    assert reply_language("hello there friend", known="zh") == "zh"
    assert reply_language("ok", locale="en-US") == "en"
    assert reply_language("ok") == "zh"
