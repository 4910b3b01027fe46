"""Attack: guess an agent's password past the login throttle by padding or re-casing the name,
by waiting for a restart, or by flooding the login so customers' turns starve."""
from __future__ import annotations

import time
import uuid
from typing import Iterator

import pytest
from rasa.core.channels.channel import register
from sanic import Sanic

from bot import workers
from channels.agent_console import AgentConsoleInput
from channels.webchat import WebChatInput
from tests.channels.test_agent_console import (  # noqa: F401  (fixtures)
    ORIGIN,
    PASSWORD,
    PREFIX,
    StandInRasaAgent,
    rasa_agent,
    store,
)
from tests.support.asgi import AsgiClient
from tests.support.webchat import PageClient


def _app(rasa: StandInRasaAgent) -> Sanic:
    app = Sanic(f"throttle_{uuid.uuid4().hex}")
    app.ctx.agent = rasa
    register([WebChatInput(max_message_chars=2000), AgentConsoleInput()], app,
             route="/webhooks/")
    return app


@pytest.fixture
def app_factory(store: str, rasa_agent: StandInRasaAgent) -> Iterator:  # noqa: F811
    yield lambda: PageClient(_app(rasa_agent))


def _login(client: AsgiClient, username: str, password: str) -> int:
    return client.post(PREFIX + "/api/login", json_body={"username": username,
                                                         "password": password},
                       headers=ORIGIN).status


def test_padded_names_and_a_restart_do_not_reset_the_throttle(app_factory) -> None:
    with app_factory() as client:
        for _ in range(5):
            assert _login(client, "a1", "wrong guess") == 401
        # The attack of the issue: "a1 " was a different name to the throttle.
        for padded in ("a1 ", " A1", "ａ１", "a1\t"):
            assert _login(client, padded, PASSWORD) == 429, padded
    with app_factory() as restarted:  # a new process: the count lives in the claims store
        assert _login(restarted, "a1", PASSWORD) == 429
        assert _login(restarted, "a2", PASSWORD) == 200  # only a1 is throttled


def test_one_address_cannot_spray_many_names(app_factory, monkeypatch) -> None:
    from bot.settings import get_settings

    monkeypatch.setenv("CLAIMS_LOGIN_ADDRESS_MAX_FAILURES", "6")
    get_settings.cache_clear()
    with app_factory() as client:
        for n in range(6):
            assert _login(client, f"guess{n}", "wrong guess") == 401
        assert _login(client, "a2", PASSWORD) == 429  # same client address


def test_a_login_flood_is_turned_away_busy_while_a_customer_still_gets_answers(
    app_factory, monkeypatch
) -> None:
    slow = workers.BoundedPool("login-test", workers=1, waiting=0)
    monkeypatch.setattr(workers, "_POOLS", {"login": slow})
    started = time.monotonic()
    # Hold the only login worker, as a flood of slow argon2 checks would.
    blocker = slow.try_submit(time.sleep, 1.5)
    with app_factory() as client:
        statuses = [_login(client, "a1", "wrong guess") for _ in range(20)]
        assert set(statuses) == {429}
        assert time.monotonic() - started < 1.5  # answered at once, not queued
        reply = client.post("/webhooks/webchat/webhook",
                            json_body={"sender": "web-flooded", "message": "我想查理赔进度"})
        assert reply.status == 200 and reply.json()[0]["text"] == "bot reply"
    blocker.result()


def test_a_stranger_cannot_lock_an_agent_out_from_elsewhere(store) -> None:  # noqa: F811
    """Found by the independent attack: five wrong passwords for "pt.tester" from one address
    refused the agent everywhere. The name is now counted per address (5), and from every
    address together only at a much higher count."""
    from bot.agents import LoginThrottle

    throttle = LoginThrottle(limit=5, address_limit=20, user_limit=12, window_s=900)
    for _ in range(5):
        throttle.failed("alice", "203.0.113.9")
    assert throttle.blocked(" ALICE ", "203.0.113.9")  # the attacker's address: refused
    assert not throttle.blocked("alice", "198.51.100.4")  # alice at her desk: let in
    for n in range(7):  # a campaign spread over many addresses still stops
        throttle.failed("alice", f"192.0.2.{n}")
    assert throttle.blocked("alice", "198.51.100.4")
    throttle.succeeded("alice", "198.51.100.4")  # her right password starts her count again
    assert not throttle.blocked("alice", "198.51.100.4")
    assert throttle.blocked("alice", "203.0.113.9")  # but not the attacker's


def test_many_addresses_cannot_lock_an_agent_out_at_her_usual_desk(store) -> None:  # noqa: F811
    """Found by the second independent attack: five failures from each of ten addresses reached
    the name-wide limit and refused the agent everywhere, her right password too. An address
    she logged in from within 30 days is not refused by the name-wide count."""
    from bot.agents import LoginThrottle

    throttle = LoginThrottle(limit=5, address_limit=20, user_limit=12, window_s=900)
    throttle.succeeded("alice", "198.51.100.4")  # her desk, yesterday
    for n in range(12):
        throttle.failed("alice", f"192.0.2.{n}")
    assert throttle.blocked("alice", "203.0.113.50")  # a new address: the campaign stops it
    assert not throttle.blocked(" Alice", "198.51.100.4")  # her desk: let in


def test_a_password_no_keyboard_can_type_is_a_wrong_password(app_factory) -> None:
    """Found by the second independent attack: a lone surrogate in the password gave a 500 with
    a traceback, and the attempt was neither counted nor audited."""
    with app_factory() as client:
        for _ in range(5):
            assert _login(client, "a1", "\ud800") == 401
        assert _login(client, "a1", PASSWORD) == 429  # the five were counted


def test_one_address_cannot_fill_the_login_pool(store, rasa_agent) -> None:  # noqa: F811
    """Found by the second independent attack: 80 logins, 40 at a time, from one address took
    every slot of the login pool, so another agent's login got "busy". An address may have two
    logins in the pool at once; more from it are turned away at once, others still log in."""
    console = AgentConsoleInput()
    app = Sanic(f"inflight_{uuid.uuid4().hex}")
    app.ctx.agent = rasa_agent
    register([console], app, route="/webhooks/")
    with PageClient(app) as client:  # its requests come from 127.0.0.1
        console._logins_in_flight["127.0.0.1"] = 2  # two of this address's logins in the pool
        assert _login(client, "a2", PASSWORD) == 429
        assert console._logins_in_flight == {"127.0.0.1": 2}  # the refused one took no slot
        console._logins_in_flight["127.0.0.1"] = 1
        assert _login(client, "a2", PASSWORD) == 200
        assert console._logins_in_flight == {"127.0.0.1": 1}  # its slot was given back
