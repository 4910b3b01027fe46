"""Attack on ordering: a slow action (up to Rasa's 300 s action timeout) outlived the in-process
conversation lock (60 s), so a second message ran its turn alongside and events were lost."""
from __future__ import annotations

import asyncio

from rasa_server.locks import TurnInMemoryLockStore


def test_a_second_turn_waits_for_a_turn_that_outlives_the_lock_lifetime() -> None:
    store = TurnInMemoryLockStore()
    order = []

    async def turn(name: str, hold: float) -> None:
        async with store.lock("web-slow", lock_lifetime=0.3):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    async def run() -> None:
        first = asyncio.ensure_future(turn("slow", 1.2))  # four lifetimes
        await asyncio.sleep(0.05)
        await asyncio.gather(first, turn("next", 0.0))

    asyncio.run(run())
    assert order == ["slow in", "slow out", "next in", "next out"]
