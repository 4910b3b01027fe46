"""The Redis lock store that several Rasa replicas share (rasa_server.stores.AtomicRedisLockStore),
against the real Redis: one conversation's turns never overlap across processes, none is lost,
a crashed holder's ticket expires, and Redis being down refuses the turn clearly."""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import redis
from rasa.core.lock_store import LockError

from benchmarks.lock_race import measure
from rasa_server.locks import AtomicRedisLockStore, LockUnavailable
from rasa_server.turns import LOCK_UNAVAILABLE, watch_turn
from tests.scale.helpers import REDIS_SERVER

pytestmark = pytest.mark.scale


@pytest.fixture
def store() -> AtomicRedisLockStore:
    try:
        redis.Redis.from_url(REDIS_SERVER, socket_connect_timeout=3).ping()
    except redis.RedisError as err:
        pytest.fail(f"Redis at {REDIS_SERVER} cannot be reached: {err}", pytrace=False)
    return AtomicRedisLockStore(REDIS_SERVER, key_prefix=f"t{uuid.uuid4().hex[:8]}",
                                ticket_lifetime_s=1.0, max_wait_s=10)


def test_turns_of_one_conversation_never_overlap_across_processes() -> None:
    """Three processes ("replicas"), four tasks each, read-modify-write on one conversation:
    the pattern that loses tracker events when two turns overlap."""
    figures = measure("atomic", REDIS_SERVER, processes=3, turns=40, tasks=4, wait_s=0.05,
                      work_s=0.003)
    assert figures["turns"] == 120
    assert (figures["done"], figures["refused"], figures["overlaps"],
            figures["lost_updates"]) == (120, 0, 0, 0), figures


def test_tickets_are_served_first_come_first_served(store: AtomicRedisLockStore) -> None:
    order: list[int] = []

    async def turn(number: int) -> None:
        await asyncio.sleep(number * 0.02)  # arrive in this order
        async with store.lock("fifo"):
            order.append(number)
            await asyncio.sleep(0.05)

    async def main() -> None:
        await asyncio.gather(*(turn(n) for n in range(6)))

    asyncio.run(main())
    assert order == list(range(6))
    assert store.get_lock("fifo") is None  # the last one out removes the keys


def test_a_crashed_holders_ticket_expires(store: AtomicRedisLockStore) -> None:
    """A replica killed mid-turn never frees its ticket: the next turn waits for its lifetime
    (1 s here, 15 s by default), not forever."""
    store.issue_ticket("crashed")  # taken by a replica that then died

    async def next_turn() -> float:
        started = time.monotonic()
        async with store.lock("crashed"):
            return time.monotonic() - started

    waited = asyncio.run(next_turn())
    assert 0.5 <= waited < 5


def test_a_held_ticket_is_renewed_while_the_turn_runs(store: AtomicRedisLockStore) -> None:
    """A turn longer than the ticket lifetime keeps its lock: the next one waits for it."""
    events: list[str] = []

    async def long_turn() -> None:
        async with store.lock("long"):
            events.append("long starts")
            await asyncio.sleep(2.5)  # 2.5 lifetimes
            events.append("long ends")

    async def next_turn() -> None:
        await asyncio.sleep(0.1)
        async with store.lock("long"):
            events.append("next")

    async def main() -> None:
        await asyncio.gather(long_turn(), next_turn())

    asyncio.run(main())
    assert events == ["long starts", "long ends", "next"]


def test_redis_down_refuses_the_turn_and_marks_it() -> None:
    dead = AtomicRedisLockStore("redis://127.0.0.1:1/0", socket_timeout_s=0.5)

    async def main() -> str | None:
        with watch_turn("c1") as turn:
            with pytest.raises(LockUnavailable):
                async with dead.lock("c1"):
                    pytest.fail("the turn must not run without its lock")
            return turn.failure

    assert asyncio.run(main()) == LOCK_UNAVAILABLE
    assert issubclass(LockUnavailable, LockError)  # Rasa's own handlers know it
