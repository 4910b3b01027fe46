"""Agent accounts and console sessions: argon2id password hashes, session and CSRF tokens that are
kept only as hashes, sessions that expire."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Tuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.clock import as_utc_naive
from bot.settings import get_settings
from bot.store.db import unit_of_work
from bot.store.models import AGENT_ROLES, Agent, AgentSession

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
    role: str = "agent"


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
    return AgentInfo(agent.id, agent.username, agent.display_name, bool(agent.active),
                     agent.role or "agent")


def token_hash(token: str) -> str:
    """sha256 hex: enough for 256-bit random tokens, and lets a lookup use an index. Any text
    hashes (a header's undecodable bytes arrive as surrogates): it then matches no session."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    # Bytes, so that text no password can hold (a lone surrogate from a forged JSON body) is a
    # wrong password, counted and audited, never an error.
    secret = password.encode("utf-8", "surrogatepass")
    try:
        return _hasher.verify(password_hash, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AgentError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")


def add_agent(
    username: str, password: str, display_name: str | None = None, *, role: str = "agent",
    url: str | None = None
) -> AgentInfo:
    """Create an active agent account with a role (agent, supervisor, complaint_officer).
    Raises AgentError for a bad or taken username, an unknown role or a short password."""
    if role not in AGENT_ROLES:
        raise AgentError(f"a role is one of {', '.join(AGENT_ROLES)}")
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
                                     password_hash=hash_password(password), active=True,
                                     role=role))
        uow.flush()
        uow.audit.record("cli", "agent.created", "agent", username, {"role": role})
        uow.commit()
        return _info(agent)


def _revoke_sessions(uow: Any, agent: Agent, at: datetime) -> int:
    """Ends every live console session of `agent` (cookies and bearer tokens alike)."""
    return uow.agent_sessions.revoke_all(agent.id, at)


def _change_agent(username: str, action: str, details: Dict[str, Any], change: Any, *,
                  now: datetime | None = None, url: str | None = None) -> Tuple[AgentInfo, int]:
    """Applies `change(agent)` to the named account, ends its sessions and audits `action`.
    Returns the account and how many sessions ended. AgentError for an unknown name."""
    at = as_utc_naive(now)
    name = (username or "").strip().lower()
    with unit_of_work(url) as uow:
        agent = uow.agents.by_username(name) if USERNAME_PATTERN.fullmatch(name) else None
        if agent is None:
            raise AgentError(f"no agent {name or username!r}")
        change(agent)
        ended = _revoke_sessions(uow, agent, at)
        uow.audit.record("cli", action, "agent", agent.username,
                         {**details, "sessions_ended": ended}, at=at)
        uow.commit()
        return _info(agent), ended


def set_role(username: str, role: str, *, now: datetime | None = None,
             url: str | None = None) -> Tuple[AgentInfo, int]:
    """Gives the account another role; its sessions end (it logs in again with the new one)."""
    if role not in AGENT_ROLES:
        raise AgentError(f"a role is one of {', '.join(AGENT_ROLES)}")
    return _change_agent(username, "agent.role_changed", {"role": role},
                         lambda agent: setattr(agent, "role", role), now=now, url=url)


def set_active(username: str, active: bool, *, now: datetime | None = None,
               url: str | None = None) -> Tuple[AgentInfo, int]:
    """Disables (or enables again) the account; a disabled one cannot log in and its sessions
    end at once."""
    return _change_agent(username, "agent.enabled" if active else "agent.disabled", {},
                         lambda agent: setattr(agent, "active", active), now=now, url=url)


def reset_password(username: str, password: str, *, now: datetime | None = None,
                   url: str | None = None) -> Tuple[AgentInfo, int]:
    """A new password for the account; its sessions end."""
    check_new_password(password)
    hashed = hash_password(password)
    return _change_agent(username, "agent.password_reset", {},
                         lambda agent: setattr(agent, "password_hash", hashed), now=now,
                         url=url)


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
            # Not an agent's name (maybe a password typed in the wrong field): only a short hash.
            typed = hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:12]
            uow.audit.record("console", "agent.login_failed", "agent",
                             f"sha256:{typed}" if username else None)
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


def record_refused_login(username: str, address: str | None, *, url: str | None = None) -> None:
    """Audits a login the throttle refused (the password was not checked)."""
    with unit_of_work(url) as uow:
        uow.audit.record("console", "agent.login_throttled", "agent",
                         throttle_username(username)[:64] or None,
                         {"address": (address or "")[:64]} if address else None)
        uow.commit()


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


def throttle_username(username: str) -> str:
    """The form a username is counted under: NFKC, surrounding space stripped, case folded, so
    "alice ", "ALICE" and "ａｌｉｃｅ" are all alice (login itself strips and lower-cases)."""
    return unicodedata.normalize("NFKC", username or "").strip().casefold()


def _hashed(prefix: str, text: str) -> str:
    # Hashed: a password typed into the username field is never stored.
    return prefix + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _throttle_keys(username: str, address: str | None) -> Tuple[str, str, str | None]:
    """(this name from this address, this name from anywhere, this address for any name). The
    pair is the name alone where the address is unknown."""
    name = throttle_username(username)
    user_key = _hashed("u:", name)
    if not address:
        return user_key, user_key, None
    where = address.strip().lower()
    return _hashed("p:", f"{name}\n{where}"), user_key, _hashed("a:", where)


KNOWN_ADDRESS_DAYS = 30


def _known_key(username: str, address: str) -> str:
    return _hashed("k:", f"{throttle_username(username)}\n{address.strip().lower()}")


class LoginThrottle:
    """Slows password guessing without letting strangers lock an agent out: after `limit`
    failures for one normalised username from one client address, `address_limit` failures from
    one address for any names, or `user_limit` failures for one username from every address
    together (much higher), within `window_s`, further tries are refused until the window has
    passed. The name-wide limit never refuses an address the agent logged in from in the last
    KNOWN_ADDRESS_DAYS days, so strangers with many addresses cannot lock an agent out at their
    desk. The failures are kept in the claims store (login_failures) or, with `redis_url`, in
    Redis: every replica and a restart see them."""

    def __init__(self, limit: int | None = None, window_s: float | None = None, *,
                 address_limit: int | None = None, user_limit: int | None = None,
                 url: str | None = None, redis_url: str | None = None) -> None:
        settings = get_settings()
        self.limit = limit or settings.login_max_failures
        self.address_limit = address_limit or settings.login_address_max_failures
        self.user_limit = max(user_limit or settings.login_user_max_failures, self.limit)
        self.window_s = float(window_s or settings.login_window_minutes * 60)
        self.url = url
        self.redis_url = settings.redis_url if redis_url is None else redis_url
        self._redis: Any = None

    # -- Redis: one counter per key, expiring with the window -------------------------------------
    def _red(self) -> Any:
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(self.redis_url, socket_timeout=2.0,
                                               socket_connect_timeout=2.0)
        return self._redis

    @staticmethod
    def _redis_key(key: str) -> str:
        return f"claims:login_failures:{key}"

    def _counts(self, keys: List[str], at: datetime) -> Dict[str, int]:
        if self.redis_url:
            values = self._red().mget([self._redis_key(k) for k in keys])
            return {k: int(v or 0) for k, v in zip(keys, values, strict=True)}
        since = at - timedelta(seconds=self.window_s)
        with unit_of_work(self.url) as uow:
            counted = uow.login_failures.counts_since(keys, since)
        return {k: 0 for k in keys} | counted

    def blocked(self, username: str, address: str | None = None, *,
                now: datetime | None = None) -> bool:
        at = as_utc_naive(now)
        pair_key, user_key, address_key = _throttle_keys(username, address)
        counts = self._counts(sorted({k for k in (pair_key, user_key, address_key) if k}), at)
        if counts[pair_key] >= self.limit:
            return True
        if address_key is not None and counts[address_key] >= self.address_limit:
            return True
        return counts[user_key] >= self.user_limit and not self._known(username, address, at)

    def _known(self, username: str, address: str | None, at: datetime) -> bool:
        """Whether the agent logged in from this address within KNOWN_ADDRESS_DAYS."""
        if not address:
            return False
        key = _known_key(username, address)
        if self.redis_url:
            return bool(self._red().exists(self._redis_key(key)))
        with unit_of_work(self.url) as uow:
            since = at - timedelta(days=KNOWN_ADDRESS_DAYS)
            return bool(uow.login_failures.counts_since([key], since))

    def failed(self, username: str, address: str | None = None, *,
               now: datetime | None = None) -> None:
        at = as_utc_naive(now)
        keys = sorted({k for k in _throttle_keys(username, address) if k})
        if self.redis_url:
            pipe = self._red().pipeline()
            for key in keys:
                # Fixed window from the first failure (NX): later failures do not extend it.
                pipe.set(self._redis_key(key), 0, ex=int(self.window_s), nx=True)
                pipe.incr(self._redis_key(key))
            pipe.execute()
            return
        with unit_of_work(self.url) as uow:
            uow.login_failures.record(keys, at)
            # What is past every window is of no use: dropped as we go (known addresses are
            # kept for their own, longer time).
            uow.login_failures.forget_before(at - timedelta(seconds=self.window_s),
                                             keep_prefix="k:")
            uow.login_failures.forget_before(at - timedelta(days=KNOWN_ADDRESS_DAYS))
            uow.commit()

    def succeeded(self, username: str, address: str | None = None, *,
                  now: datetime | None = None) -> None:
        """The right password: the name's counts start again (the address's does not), and
        the address becomes one the agent is known to log in from."""
        at = as_utc_naive(now)
        pair_key, user_key, _ = _throttle_keys(username, address)
        keys = sorted({pair_key, user_key})
        known = _known_key(username, address) if address else None
        if self.redis_url:
            self._red().delete(*[self._redis_key(k) for k in keys])
            if known:
                self._red().set(self._redis_key(known), 1, ex=KNOWN_ADDRESS_DAYS * 86400)
            return
        with unit_of_work(self.url) as uow:
            uow.login_failures.forget_keys(keys + ([known] if known else []))
            if known:
                uow.login_failures.record([known], at)
            uow.commit()
