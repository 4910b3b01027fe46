"""Agent accounts and console sessions: argon2id password hashes, session and CSRF tokens that are
kept only as hashes, sessions that expire."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.clock import as_utc_naive
from bot.settings import get_settings
from bot.store.db import unit_of_work
from bot.store.models import Agent, AgentSession

# argon2id with the library's defaults (RFC 9106's second recommended profile).
_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MIN_PASSWORD_LENGTH = 10
TOKEN_BYTES = 32


class AgentError(Exception):
    """An account could not be created or changed; the message says why."""


@dataclass(frozen=True)
class AgentInfo:
    id: int
    username: str
    display_name: str
    active: bool = True


@dataclass(frozen=True)
class NewSession:
    """What the console hands the browser once: the clear tokens exist nowhere else."""

    token: str
    csrf_token: str
    agent: AgentInfo
    expires_at: datetime


@dataclass(frozen=True)
class SessionInfo:
    agent: AgentInfo
    csrf_hash: str
    expires_at: datetime


def _info(agent: Agent) -> AgentInfo:
    return AgentInfo(agent.id, agent.username, agent.display_name, bool(agent.active))


def token_hash(token: str) -> str:
    """sha256 hex: enough for 256-bit random tokens, and lets a lookup use an index. Any text
    hashes (a header's undecodable bytes arrive as surrogates): it then matches no session."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AgentError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")


def add_agent(
    username: str, password: str, display_name: str | None = None, *, url: str | None = None
) -> AgentInfo:
    """Create an active agent account. Raises AgentError for a bad or taken username or a
    short password."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise AgentError(
            "a username is 2-64 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    check_new_password(password)
    display = (display_name or username).strip()[:100] or username
    with unit_of_work(url) as uow:
        if uow.agents.by_username(username) is not None:
            raise AgentError(f"agent {username} already exists")
        agent = uow.agents.add(Agent(username=username, display_name=display,
                                     password_hash=hash_password(password), active=True))
        uow.flush()
        uow.audit.record("cli", "agent.created", "agent", username)
        uow.commit()
        return _info(agent)


def list_agents(*, url: str | None = None) -> List[AgentInfo]:
    with unit_of_work(url) as uow:
        return [_info(agent) for agent in uow.agents.list()]


def authenticate(username: str, password: str, *, url: str | None = None) -> AgentInfo | None:
    """The active agent with this username and password, or None (the same for every reason)."""
    username = (username or "").strip().lower()
    with unit_of_work(url) as uow:
        agent = uow.agents.by_username(username) if USERNAME_PATTERN.fullmatch(username) else None
        if agent is None:
            verify_password(_DUMMY_HASH, password or "")
            uow.audit.record("console", "agent.login_failed", "agent", username[:64] or None)
            uow.commit()
            return None
        if not verify_password(agent.password_hash, password or "") or not agent.active:
            uow.audit.record("console", "agent.login_failed", "agent", agent.username)
            uow.commit()
            return None
        if _hasher.check_needs_rehash(agent.password_hash):
            agent.password_hash = hash_password(password)
        uow.audit.record(f"agent:{agent.username}", "agent.login", "agent", agent.username)
        uow.commit()
        return _info(agent)


def start_session(
    agent: AgentInfo, *, now: datetime | None = None, minutes: int | None = None,
    url: str | None = None,
) -> NewSession:
    """A new console session for `agent`, ending after `minutes` (settings: 8 hours)."""
    at = as_utc_naive(now)
    lifetime = timedelta(minutes=minutes or get_settings().agent_session_minutes)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    csrf = secrets.token_urlsafe(TOKEN_BYTES)
    with unit_of_work(url) as uow:
        row = uow.agent_sessions.add(AgentSession(
            agent_id=agent.id, token_hash=token_hash(token), csrf_hash=token_hash(csrf),
            created_at=at, expires_at=at + lifetime,
        ))
        uow.commit()
        return NewSession(token, csrf, agent, row.expires_at)


def session_info(
    token: str | None, *, now: datetime | None = None, url: str | None = None
) -> SessionInfo | None:
    """The session of this token, or None when it is unknown, ended, expired, or its agent is
    no longer active."""
    if not token or len(token) > 200:
        return None
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        row = uow.agent_sessions.by_token_hash(token_hash(token))
        if row is None or row.revoked_at is not None or row.expires_at <= at:
            return None
        if not row.agent.active:
            return None
        return SessionInfo(_info(row.agent), row.csrf_hash, row.expires_at)


def renew_csrf(token: str, *, now: datetime | None = None, url: str | None = None) -> str | None:
    """A fresh CSRF token for a live session (a reloaded page has lost the old one)."""
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        row = uow.agent_sessions.by_token_hash(token_hash(token))
        if row is None or row.revoked_at is not None or row.expires_at <= at:
            return None
        csrf = secrets.token_urlsafe(TOKEN_BYTES)
        row.csrf_hash = token_hash(csrf)
        uow.commit()
        return csrf


def csrf_matches(info: SessionInfo, csrf_token: str | None) -> bool:
    if not csrf_token:
        return False
    return hmac.compare_digest(info.csrf_hash, token_hash(csrf_token))


def end_session(token: str, *, now: datetime | None = None, url: str | None = None) -> None:
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        row = uow.agent_sessions.by_token_hash(token_hash(token))
        if row is not None and row.revoked_at is None:
            row.revoked_at = at
            uow.audit.record(f"agent:{row.agent.username}", "agent.logout", "agent",
                             row.agent.username, at=at)
            uow.commit()


class LoginThrottle:
    """Slows password guessing: after `limit` failures for one username within `window_s`,
    further tries are refused until the window has passed. Kept in memory, per process."""

    def __init__(self, limit: int = 5, window_s: float = 900.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: Dict[str, List[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> List[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < self.window_s]
        self._failures[key] = kept
        return kept

    def blocked(self, username: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            return len(self._recent(username.lower(), now)) >= self.limit

    def failed(self, username: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._recent(username.lower(), now).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username.lower(), None)
