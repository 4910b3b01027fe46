"""Where Rasa keeps conversations, chosen by environment variables (bot/settings.py).

endpoints.yml names these classes by module path, so one file serves one machine and a
scaled-out deployment alike (Rasa's `${VAR}` substitution fails on an unset variable):

- `ClaimsTrackerStore` (tracker_store): Rasa's SQL tracker store on CLAIMS_TRACKER_STORE_URL
  (PostgreSQL for several replicas), else SQLite in CLAIMS_VAR_DIR/trackers.db, so a restart
  keeps conversations in progress. It rides out a short database outage (a restart) by
  retrying, never stores a failed turn, and streams to the event broker exactly the events it
  stored. What it stores is redacted first (bot/privacy.py: dates of birth, identity answers,
  ID, card and phone numbers); the live turn's tracker keeps the text.
- `ClaimsLockStore` (lock_store): rasa_server/locks.py's `AtomicRedisLockStore` on
  CLAIMS_REDIS_URL (Rasa 3.6's own RedisLockStore races between replicas), else in-process
  locks (one replica only).
- `ClaimsEventBroker` (event_broker): Rasa's RabbitMQ (Pika) broker on CLAIMS_RABBITMQ_URL,
  publishing to CLAIMS_RABBITMQ_QUEUE; none when unset.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from asyncio import AbstractEventLoop
from pathlib import Path
from typing import Any, Dict, List
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import (
    LockStore,
)
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.utils.endpoints import EndpointConfig

from bot.deployment import require_production_ready
from bot.privacy import (
    EventRedactor,
    id_hash_key,
    install_log_redaction,
    private_dir,
    private_file,
    restrict_new_files,
    unseal_events,
)
from bot.settings import get_settings
from bot.webchat_session import session_key
from rasa_server import patches
from rasa_server.locks import AtomicRedisLockStore, TurnInMemoryLockStore
from rasa_server.turns import STORE_UNAVAILABLE, current_turn, mark_failed

logger = logging.getLogger(__name__)

# Rasa imports this module when it reads endpoints.yml's stores, before any turn: the one call
# that changes Rasa's classes (the turn guard and the cached answer check, rasa_server/patches.py).
patches.install()

TRACKER_DB_FILE = "trackers.db"


def tracker_store_url() -> str:
    """CLAIMS_TRACKER_STORE_URL, else the SQLite file in the var directory."""
    return get_settings().tracker_db_url


def redacted(url: str) -> str:
    """The URL without its password, for logs."""
    try:
        return repr(sa.engine.make_url(url))
    except Exception:  # not an SQLAlchemy URL (redis://, amqp://)
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL: readers (the agent console, the web chat's document list) never block the writer;
    # NORMAL sync is durable across a process crash, which is what a restart needs.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def tracker_engine(url: str) -> sa.engine.Engine:
    """The engine for the tracker store: pings pooled connections before use, so the first
    turn after a database restart does not fail on a dead connection."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            private_dir(Path(database).expanduser().parent)
        # Pooled: SQLAlchemy 1.4 opens a new SQLite connection per session by default.
        engine = sa.create_engine(url, connect_args={"check_same_thread": False},
                                  poolclass=sa.pool.QueuePool, pool_size=5, max_overflow=5)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        if database and database != ":memory:" and not database.startswith("file:"):
            sa.event.listen(engine, "connect",
                            lambda *_: private_file(Path(database).expanduser()))
        return engine
    kwargs = create_engine_kwargs(url)  # Rasa's SQL_POOL_SIZE / SQL_MAX_OVERFLOW / schema
    connect_args = dict(kwargs.pop("connect_args", {}))
    if parsed.get_backend_name() == "postgresql":
        connect_args.setdefault("connect_timeout", 5)
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


class ClaimsTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on the configured database (see the module docstring)."""

    # A database restart takes a few seconds: reading waits this long before the turn is
    # refused; writing (the turn's actions already ran) waits longer before giving it up.
    retrieve_patience_s = 5.0
    save_patience_s = 20.0

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        # A Rasa server (a Helm pod starts `rasa run` itself) is refused in production without
        # the insurer's own numbers and the action server secret (bot/deployment.py).
        require_production_ready()
        # The Rasa server is starting: its files are private and its logs redacted.
        restrict_new_files()
        install_log_redaction()
        id_hash_key()  # production without CLAIMS_ID_HASH_KEY refuses to start (not mid-turn)
        session_key()  # the same for the web chat's session key (and a demo one made now)
        self.url = url or tracker_store_url()
        if self.url.startswith("sqlite"):
            tracker_engine(self.url).dispose()  # makes the file's directory
        super().__init__(domain=domain, host=self.url, event_broker=event_broker)
        # Rasa built a plain engine (and the tables) with it; use ours from now on.
        self.engine.dispose()
        self.engine = tracker_engine(self.url)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        logger.info("Conversation trackers in %s", redacted(self.url))

    async def _patiently(self, what: str, patience_s: float, work: Any, *args: Any) -> Any:
        """Runs the blocking `work` in a worker thread (a database that does not answer must not
        stall every conversation of this replica) until it succeeds or `patience_s` has passed;
        only connection-type errors are tried again."""
        deadline = time.monotonic() + patience_s
        delay = 0.1
        while True:
            try:
                return await asyncio.to_thread(work, *args)
            except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
                if time.monotonic() + delay > deadline:
                    mark_failed(STORE_UNAVAILABLE, f"{what}: {error.__class__.__name__}")
                    logger.error("tracker store: %s failed, giving up: %s", what,
                                 error.__class__.__name__)
                    raise
                logger.warning("tracker store: %s failed (%s), retrying in %.1f s", what,
                               error.__class__.__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            except sa.exc.SQLAlchemyError as error:
                mark_failed(STORE_UNAVAILABLE, f"{what}: {error.__class__.__name__}")
                raise

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        return await self._patiently("read", self.retrieve_patience_s, self._read, sender_id,
                                     fetch_events_from_all_sessions)

    def _read(self, sender_id: str, all_sessions: bool) -> DialogueStateTracker | None:
        """The parent's read, as a plain function (it does only blocking work)."""
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=all_sessions
            ).with_entities(self.SQLEvent.data).all()  # the JSON only, no ORM objects
            events = unseal_events(json.loads(row.data) for row in rows)
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the turn's new events, then streams exactly those; a failed turn is not
        stored at all (see rasa_server/turns.py)."""
        turn = current_turn()
        if turn is not None and turn.failed:
            logger.warning("turn of %s not stored: %s", tracker.sender_id, turn.failure)
            return
        written = await self._patiently("write", self.save_patience_s, self._write, tracker)
        if self.event_broker is not None and written:
            for data in written:  # the stored (redacted) form, never the live one
                self.event_broker.publish({"sender_id": tracker.sender_id, **data})

    @staticmethod
    def stored_forms(tracker: DialogueStateTracker, events: List[Event]) -> List[Dict[str, Any]]:
        """The new `events` as they are written and published: redacted, with what came before
        them in the tracker telling which question they answer (bot.privacy.EventRedactor)."""
        redactor = EventRedactor()
        earlier = list(tracker.events)[: len(tracker.events) - len(events)]
        for event in earlier:
            if event.type_name == "slot":
                redactor.observe_slot(str(getattr(event, "key", "")), getattr(event, "value", None))
            elif event.type_name in ("restart", "session_started"):
                redactor.observe_reset()
        return redactor.redact(event.as_dict() for event in events)

    def _write(self, tracker: DialogueStateTracker) -> List[Dict[str, Any]]:
        """One transaction. Which events are new is counted from what is stored, so a retry
        after a commit whose answer was lost writes nothing twice."""
        with self.session_scope() as session:
            events = list(self._additional_events(session, tracker))
            stored = self.stored_forms(tracker, events)
            for event, data in zip(events, stored, strict=True):
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(
                            INTENT_NAME_KEY
                        ),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        return stored


class ClaimsLockStore(LockStore):
    """endpoints.yml's lock store: builds `AtomicRedisLockStore` when CLAIMS_REDIS_URL is set,
    else `TurnInMemoryLockStore` (Rasa instantiates a lock store class with the endpoint
    config; this one hands back the store the environment chose)."""

    def __new__(cls, endpoint_config: EndpointConfig | None = None,
                **kwargs: Any) -> LockStore:  # type: ignore[misc]
        options: Dict[str, Any] = dict(getattr(endpoint_config, "kwargs", None) or {})
        url = get_settings().redis_url
        if not url:
            logger.info("Conversation locks in this process (one replica only)")
            return TurnInMemoryLockStore()
        store = AtomicRedisLockStore(
            url,
            key_prefix=str(options.get("key_prefix", "claims")),
            ticket_lifetime_s=float(options.get("ticket_lifetime_s", 15)),
            max_wait_s=float(options.get("max_wait_s", 60)),
        )
        logger.info("Conversation locks in Redis at %s", redacted(url))
        return store


class ClaimsEventBroker(EventBroker):
    """endpoints.yml's event broker: Rasa's RabbitMQ broker when CLAIMS_RABBITMQ_URL is set."""

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig | None,
        event_loop: AbstractEventLoop | None = None,
    ) -> EventBroker | None:
        settings = get_settings()
        if not settings.rabbitmq_url:
            return None
        from rasa.core.brokers.pika import PikaEventBroker

        parts = urlsplit(settings.rabbitmq_url)
        options: Dict[str, Any] = dict(getattr(broker_config, "kwargs", None) or {})
        broker = PikaEventBroker(
            settings.rabbitmq_url,
            username=unquote(parts.username or "guest"),
            password=unquote(parts.password or "guest"),
            port=parts.port or 5672,
            queues=[settings.rabbitmq_queue],
            event_loop=event_loop,
            connection_attempts=int(options.get("connection_attempts", 12)),
            retry_delay_in_seconds=float(options.get("retry_delay_in_seconds", 5)),
        )
        await broker.connect()
        logger.info("Conversation events published to RabbitMQ at %s, queue %s",
                    redacted(settings.rabbitmq_url), settings.rabbitmq_queue)
        return broker
