"""Engines (one per URL), the one session factory, and the unit of work over the claims store."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from bot.privacy import private_dir, private_file
from bot.settings import get_settings
from bot.store.repositories import (
    AgentRepository,
    AgentSessionRepository,
    AuditRepository,
    ChannelContactRepository,
    ClaimRepository,
    ComplaintRepository,
    CustomerRepository,
    DisputeRepository,
    EscalationRepository,
    HandoffRepository,
    IdempotencyKeyRepository,
    IdentityCodeRepository,
    IdentityCounterRepository,
    IdentityLockRepository,
    InboundReceiptRepository,
    LoginFailureRepository,
    LoginLinkRepository,
    NotificationRepository,
    PolicyRepository,
    ReceivedFileRepository,
    SatisfactionRepository,
    TaskRepository,
    WeChatTokenRepository,
)

_SQLITE_BUSY_TIMEOUT_S = 30

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker] = {}


def resolve_url(url: str | None = None) -> str:
    """The given URL, or the settings' `db_url`."""
    return url or get_settings().db_url


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless every connection asks for them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    database = parsed.database or ""
    kwargs: dict[str, Any] = {
        "future": True,
        "connect_args": {"check_same_thread": False, "timeout": _SQLITE_BUSY_TIMEOUT_S},
    }
    if database in ("", ":memory:"):
        # Every new connection to an in-memory database would see an empty one: share one.
        kwargs["poolclass"] = StaticPool
    elif not database.startswith("file:"):
        private_dir(Path(database).expanduser().parent)  # 0700: the database is personal data
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    if database not in ("", ":memory:") and not database.startswith("file:"):
        # 0600 also for a store made before files were private (an older install's 0644).
        event.listen(engine, "connect", lambda *_: private_file(Path(database).expanduser()))
    return engine


def engine_for(url: str | None = None) -> Engine:
    """The engine for `url` (default: settings), created once per URL."""
    url = resolve_url(url)
    with _lock:
        if url not in _engines:
            _engines[url] = _create_engine(url)
        return _engines[url]


def session_factory(url: str | None = None) -> sessionmaker:
    """The session factory for `url`; loaded objects stay readable after commit."""
    url = resolve_url(url)
    engine = engine_for(url)
    with _lock:
        if url not in _factories:
            _factories[url] = sessionmaker(bind=engine, future=True, expire_on_commit=False)
        return _factories[url]


def dispose_engines() -> None:
    """Close every pooled connection and forget the engines (tests, forked workers)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _factories.clear()


class UnitOfWork:
    """One transaction and the repositories that work inside it."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.customers = CustomerRepository(session)
        self.policies = PolicyRepository(session)
        self.claims = ClaimRepository(session)
        self.audit = AuditRepository(session)
        self.identity_locks = IdentityLockRepository(session)
        self.identity_counters = IdentityCounterRepository(session)
        self.identity_codes = IdentityCodeRepository(session)
        self.complaints = ComplaintRepository(session)
        self.agents = AgentRepository(session)
        self.handoffs = HandoffRepository(session)
        self.notifications = NotificationRepository(session)
        self.received_files = ReceivedFileRepository(session)
        self.agent_sessions = AgentSessionRepository(session)
        self.disputes = DisputeRepository(session)
        self.satisfaction = SatisfactionRepository(session)
        self.login_failures = LoginFailureRepository(session)
        self.inbound_receipts = InboundReceiptRepository(session)
        self.tasks = TaskRepository(session)
        self.escalations = EscalationRepository(session)
        self.idempotency = IdempotencyKeyRepository(session)
        self.channel_contacts = ChannelContactRepository(session)
        self.login_links = LoginLinkRepository(session)
        self.wechat_tokens = WeChatTokenRepository(session)

    def flush(self) -> None:
        self.session.flush()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


@contextmanager
def unit_of_work(url: str | None = None) -> Iterator[UnitOfWork]:
    """A unit of work on `url` (default: settings). Only what `commit()` saved survives:
    an exception, or leaving without committing, rolls the rest back."""
    session: Session = session_factory(url)()
    try:
        yield UnitOfWork(session)
    finally:
        session.rollback()
        session.close()
