"""Agent accounts and console sessions: argon2 hashes, tokens kept only as hashes, expiry."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.agents import (
    AgentError,
    LoginThrottle,
    add_agent,
    authenticate,
    csrf_matches,
    end_session,
    hash_password,
    renew_csrf,
    session_info,
    start_session,
    token_hash,
    verify_password,
)
from bot.cli import main
from bot.store.db import unit_of_work
from bot.store.models import Agent, AgentSession

NOW = datetime(2026, 11, 22, 2, 0)
PASSWORD = "correct horse battery"


def test_passwords_are_hashed_with_argon2id_and_verified():
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert verify_password(hashed, PASSWORD)
    assert not verify_password(hashed, PASSWORD + "x")
    assert not verify_password("not a hash", PASSWORD)
    assert hash_password(PASSWORD) != hashed  # salted


def test_accounts_are_created_once_with_a_good_name_and_password(db_url):
    agent = add_agent("Wang.Xiaoming", PASSWORD, "王小明", url=db_url)
    assert (agent.username, agent.display_name, agent.active) == ("wang.xiaoming", "王小明", True)
    with pytest.raises(AgentError):
        add_agent("wang.xiaoming", PASSWORD, url=db_url)
    with pytest.raises(AgentError):
        add_agent("bad name!", PASSWORD, url=db_url)
    with pytest.raises(AgentError):
        add_agent("shorty", "short", url=db_url)
    with unit_of_work(db_url) as uow:
        stored = uow.agents.by_username("wang.xiaoming").password_hash
    assert stored.startswith("$argon2id$")


def test_login_gives_the_agent_only_with_the_right_password(db_url):
    add_agent("a1", PASSWORD, "王小明", url=db_url)
    assert authenticate("a1", PASSWORD, url=db_url).display_name == "王小明"
    assert authenticate(" A1 ", PASSWORD, url=db_url) is not None
    assert authenticate("a1", "wrong password", url=db_url) is None
    assert authenticate("nobody", PASSWORD, url=db_url) is None
    assert authenticate("<script>", PASSWORD, url=db_url) is None
    with unit_of_work(db_url) as uow:
        uow.agents.by_username("a1").active = False
        uow.commit()
    assert authenticate("a1", PASSWORD, url=db_url) is None
    with unit_of_work(db_url) as uow:
        actions = [e.action for e in uow.audit.list()]
    assert actions.count("agent.login") == 2 and actions.count("agent.login_failed") == 4


def test_sessions_are_stored_as_hashes_and_expire(db_url):
    agent = add_agent("a1", PASSWORD, url=db_url)
    session = start_session(agent, now=NOW, minutes=60, url=db_url)
    with unit_of_work(db_url) as uow:
        row = uow.session.execute(select(AgentSession)).scalar_one()
        assert row.token_hash == token_hash(session.token) != session.token
        assert session.csrf_token not in (row.csrf_hash, row.token_hash)
    info = session_info(session.token, now=NOW + timedelta(minutes=59), url=db_url)
    assert info.agent.username == "a1" and info.expires_at == NOW + timedelta(minutes=60)
    assert csrf_matches(info, session.csrf_token)
    assert not csrf_matches(info, "forged") and not csrf_matches(info, None)
    assert session_info(session.token, now=NOW + timedelta(minutes=60), url=db_url) is None
    assert session_info("forged-token", now=NOW, url=db_url) is None
    assert session_info(None, url=db_url) is None and session_info("x" * 500, url=db_url) is None


def test_logout_ends_the_session_and_a_new_csrf_token_replaces_the_old(db_url):
    agent = add_agent("a1", PASSWORD, url=db_url)
    session = start_session(agent, now=NOW, url=db_url)
    fresh = renew_csrf(session.token, now=NOW, url=db_url)
    info = session_info(session.token, now=NOW, url=db_url)
    assert csrf_matches(info, fresh) and not csrf_matches(info, session.csrf_token)
    end_session(session.token, now=NOW, url=db_url)
    assert session_info(session.token, now=NOW, url=db_url) is None
    assert renew_csrf(session.token, now=NOW, url=db_url) is None


def test_a_deactivated_agents_sessions_stop_working(db_url):
    agent = add_agent("a1", PASSWORD, url=db_url)
    session = start_session(agent, now=NOW, url=db_url)
    with unit_of_work(db_url) as uow:
        uow.session.execute(select(Agent)).scalar_one().active = False
        uow.commit()
    assert session_info(session.token, now=NOW, url=db_url) is None


def test_login_throttle_blocks_after_five_failures_for_a_while(db_url):
    throttle = LoginThrottle(limit=5, window_s=900, url=db_url, redis_url="")
    for i in range(5):
        at = NOW + timedelta(seconds=i)
        assert not throttle.blocked("a1", now=at)
        throttle.failed("a1", now=at)
    later = NOW + timedelta(seconds=10)
    # The same name however it is padded, cased or written (full-width).
    for name in ("A1", "a1 ", " a1", "ａ１"):
        assert throttle.blocked(name, now=later), name
    assert not throttle.blocked("a2", now=later)
    assert not throttle.blocked("a1", now=NOW + timedelta(seconds=1000))
    throttle.failed("a1", now=NOW + timedelta(seconds=1000))
    throttle.succeeded("a1 ")
    assert not throttle.blocked("a1", now=NOW + timedelta(seconds=1001))


def test_cli_adds_an_agent_with_the_password_from_the_environment(db_url, capsys, monkeypatch):
    monkeypatch.setenv("CLAIMS_AGENT_PASSWORD", PASSWORD)
    assert main(["--db-url", db_url, "agents", "add", "a1", "--display-name", "王小明"]) == 0
    assert "a1 (王小明, agent) created" in capsys.readouterr().out
    assert main(["--db-url", db_url, "agents", "add", "a1"]) == 2
    assert "already exists" in capsys.readouterr().err
    monkeypatch.setenv("CLAIMS_AGENT_PASSWORD", "short")
    assert main(["--db-url", db_url, "agents", "add", "a2"]) == 2
    assert main(["--db-url", db_url, "agents", "list", "--json"]) == 0
    assert '"username": "a1"' in capsys.readouterr().out
    assert authenticate("a1", PASSWORD, url=db_url) is not None


def test_cli_refuses_without_a_password_and_without_a_terminal(db_url, capsys, monkeypatch):
    monkeypatch.delenv("CLAIMS_AGENT_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["--db-url", db_url, "agents", "add", "a1"]) == 2
    assert "CLAIMS_AGENT_PASSWORD" in capsys.readouterr().err
