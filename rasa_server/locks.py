"""Conversation locks for several Rasa replicas: Rasa's ticket lock (first come, first served per
conversation) kept in Redis with every step one atomic Lua script, plus the in-process store for
one replica. Both open a turn for rasa_server/turns.py.

Rasa 3.6's RedisLockStore issues and frees tickets with separate GET and SET calls: two replicas
can draw the same ticket and run one conversation's turns at once (events lost), or delete a lock
another one waits on (LockError), and a ticket lost that way blocks the conversation for the whole
lock lifetime. benchmarks/lock_race.py measures both stores.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import AsyncIterator, Dict, List

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockError, LockStore, RedisLockStore

from rasa_server.turns import LOCK_UNAVAILABLE, mark_failed, turn_scope

logger = logging.getLogger(__name__)


class LockUnavailable(LockError):
    """The lock store (Redis) could not be reached: the turn is refused, nothing is stored."""


# Keys per conversation ({...} is a Redis Cluster hash tag: all three live on one node):
#   n  the last ticket number issued (INCR)
#   q  sorted set of waiting tickets, score = ticket number: the first one holds the lock
#   x  hash ticket -> expiry (ms, Redis clock); a ticket not renewed expires, so a crashed
#      replica cannot block the conversation for longer than the ticket lifetime
_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
_TOUCH = ("redis.call('PEXPIRE', KEYS[1], ARGV[1] * 3) redis.call('PEXPIRE', KEYS[2], "
          "ARGV[1] * 3) redis.call('PEXPIRE', KEYS[3], ARGV[1] * 3) ")

ISSUE_SCRIPT = _NOW + """
local ticket = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ticket, ticket)
redis.call('HSET', KEYS[3], ticket, now + ARGV[1])
""" + _TOUCH + "return ticket"

# ARGV: lifetime ms, ticket. Answers 0 (holds the lock), n > 0 (n tickets ahead) or -1 (the
# ticket expired or vanished: the turn must not go ahead). Renews the caller's ticket.
ACQUIRE_SCRIPT = _NOW + """
local expiries = redis.call('HGETALL', KEYS[3])
for i = 1, #expiries, 2 do
  if tonumber(expiries[i + 1]) <= now then
    redis.call('HDEL', KEYS[3], expiries[i])
    redis.call('ZREM', KEYS[2], expiries[i])
  end
end
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 0 then return -1 end
redis.call('HSET', KEYS[3], ARGV[2], now + ARGV[1])
""" + _TOUCH + "return redis.call('ZRANK', KEYS[2], ARGV[2])"

# ARGV: lifetime ms, ticket. 1 when renewed, 0 when the ticket is gone.
RENEW_SCRIPT = _NOW + """
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[3], ARGV[2], now + ARGV[1])
""" + _TOUCH + "return 1"

# ARGV: ticket. The last ticket out removes the conversation's keys (in the same script, so a
# ticket issued meanwhile cannot be lost with them).
RELEASE_SCRIPT = """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) end
return 1
"""


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's ticket lock (first come, first served per conversation) in Redis, each step one
    atomic Lua script; waiting tickets and the holder's are renewed while their replica lives.
    """

    def __init__(
        self,
        url: str,
        *,
        key_prefix: str = "claims",
        ticket_lifetime_s: float = 15.0,
        max_wait_s: float = 60.0,
        socket_timeout_s: float = 2.0,
    ) -> None:
        import redis

        LockStore.__init__(self)
        self.url = url
        self.red = redis.Redis.from_url(
            url, socket_timeout=socket_timeout_s, socket_connect_timeout=socket_timeout_s,
            health_check_interval=30,
        )
        self.key_prefix = f"{key_prefix}:lock:"
        self.ticket_lifetime_ms = int(ticket_lifetime_s * 1000)
        self.max_wait_s = max_wait_s
        self._issue = self.red.register_script(ISSUE_SCRIPT)
        self._acquire = self.red.register_script(ACQUIRE_SCRIPT)
        self._renew = self.red.register_script(RENEW_SCRIPT)
        self._release = self.red.register_script(RELEASE_SCRIPT)
        # Waiters in this process wake as soon as a turn here ends; the others poll Redis.
        self._wakeups: Dict[str, asyncio.Event] = {}

    def keys_for(self, conversation_id: str) -> List[str]:
        """The conversation's Redis keys: ticket counter, waiting line, ticket expiries."""
        base = f"{self.key_prefix}{{{conversation_id}}}:"
        return [base + "n", base + "q", base + "x"]

    # Rasa's LockStore interface, atomically ----------------------------------------------------
    def issue_ticket(self, conversation_id: str, lock_lifetime: float = 0) -> int:
        return int(self._issue(keys=self.keys_for(conversation_id), args=[self.ticket_lifetime_ms]))

    def position(self, conversation_id: str, ticket: int) -> int:
        """0: holds the lock; n: n tickets ahead; -1: the ticket expired. Renews the ticket."""
        return int(self._acquire(keys=self.keys_for(conversation_id),
                                 args=[self.ticket_lifetime_ms, ticket]))

    def renew(self, conversation_id: str, ticket: int) -> bool:
        return bool(self._renew(keys=self.keys_for(conversation_id),
                                args=[self.ticket_lifetime_ms, ticket]))

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._release(keys=self.keys_for(conversation_id), args=[ticket_number])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self.finish_serving(conversation_id, ticket_number)

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The conversation's tickets as Rasa's TicketLock (for inspection only)."""
        _, queue, expiries = self.keys_for(conversation_id)
        held = self.red.hgetall(expiries)
        if not held:
            return None
        tickets = [Ticket(int(number), int(expiry) / 1000.0) for number, expiry in held.items()]
        return TicketLock(conversation_id, sorted(tickets, key=lambda t: t.number))

    def is_someone_waiting(self, conversation_id: str) -> bool:
        return int(self.red.zcard(self.keys_for(conversation_id)[1])) > 0

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("AtomicRedisLockStore changes tickets only by its scripts.")

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(*self.keys_for(conversation_id))

    # The lock itself -----------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = 0,
        wait_time_in_seconds: float = 0,
    ) -> AsyncIterator[TicketLock]:
        """Waits for the conversation's turn (first come, first served), holds it while the
        body runs; the ticket lifetime of this store applies, not Rasa's `lock_lifetime`."""
        import redis

        with turn_scope(conversation_id):
            try:
                ticket = self.issue_ticket(conversation_id)
            except redis.RedisError as error:
                mark_failed(LOCK_UNAVAILABLE, error.__class__.__name__)
                raise LockUnavailable(
                    f"Lock store unreachable ({error.__class__.__name__}): turn of "
                    f"'{conversation_id}' refused."
                ) from error
            try:
                await self._wait_for_turn(conversation_id, ticket)
                keeper = asyncio.get_running_loop().create_task(
                    self._keep(conversation_id, ticket)
                )
                try:
                    yield TicketLock(conversation_id, [Ticket(ticket, 0.0)])
                finally:
                    keeper.cancel()
            finally:
                try:
                    self.cleanup(conversation_id, ticket)
                except redis.RedisError as error:  # the ticket expires by itself
                    logger.warning("lock store: could not free a ticket of %s (%s)",
                                   conversation_id, error.__class__.__name__)
                wakeup = self._wakeups.pop(conversation_id, None)
                if wakeup is not None:
                    wakeup.set()

    async def _wait_for_turn(self, conversation_id: str, ticket: int) -> None:
        import redis

        deadline = time.monotonic() + self.max_wait_s
        delay = 0.005
        while True:
            try:
                ahead = self.position(conversation_id, ticket)
            except redis.RedisError as error:
                mark_failed(LOCK_UNAVAILABLE, error.__class__.__name__)
                raise LockUnavailable(
                    f"Lock store unreachable while waiting ({error.__class__.__name__})."
                ) from error
            if ahead == 0:
                return
            if ahead < 0 or time.monotonic() > deadline:
                mark_failed(LOCK_UNAVAILABLE, "ticket expired" if ahead < 0 else "waited too long")
                raise LockError(
                    f"Could not acquire the lock of conversation '{conversation_id}' "
                    f"({'ticket expired' if ahead < 0 else 'waited too long'})."
                )
            wakeup = self._wakeups.setdefault(conversation_id, asyncio.Event())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wakeup.wait(), delay)
            delay = min(delay * 1.5, 0.025)

    async def _keep(self, conversation_id: str, ticket: int) -> None:
        """Renews the held ticket until cancelled."""
        import redis

        while True:
            await asyncio.sleep(self.ticket_lifetime_ms / 3000.0)
            try:
                if not self.renew(conversation_id, ticket):
                    logger.error("lock store: the ticket of %s expired while held",
                                 conversation_id)
                    return
            except redis.RedisError as error:
                logger.warning("lock store: renewing a ticket failed (%s)",
                               error.__class__.__name__)


class TurnInMemoryLockStore(InMemoryLockStore):
    """Rasa's in-process lock store (one replica), opening a turn for rasa_server/turns.py and
    checking every 50 ms instead of every second whether the conversation is free. The ticket
    is renewed while it waits and while it is held: Rasa's lock lifetime (60 s) is shorter than
    its action timeout (300 s), so a slow action would otherwise let a second turn of the same
    conversation run alongside."""

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = 0,
        wait_time_in_seconds: float = 0.05,
    ) -> AsyncIterator[TicketLock]:
        from rasa.core.lock_store import LOCK_LIFETIME

        lifetime = lock_lifetime or LOCK_LIFETIME
        with turn_scope(conversation_id):
            ticket = self.issue_ticket(conversation_id, lifetime)
            keeper = asyncio.get_running_loop().create_task(
                self._keep(conversation_id, ticket, lifetime))
            try:
                yield await self._acquire_lock(conversation_id, ticket,
                                               min(wait_time_in_seconds or 0.05, 0.05))
            finally:
                keeper.cancel()
                self.cleanup(conversation_id, ticket)

    async def _keep(self, conversation_id: str, ticket: int, lifetime: float) -> None:
        """Pushes the ticket's expiry forward every third of its lifetime until cancelled."""
        while True:
            await asyncio.sleep(lifetime / 3)
            lock = self.get_lock(conversation_id)
            for held in lock.tickets if lock is not None else []:
                if held.number == ticket:
                    held.expires = time.time() + lifetime
