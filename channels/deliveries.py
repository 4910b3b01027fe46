"""Webhook deliveries that a platform retries (Telegram, WeChat): the one way a channel turns a
claimed delivery into a conversation turn.

- Each delivery is handled once: its receipt (bot.inbound) is marked done only after the turn,
  and released if the turn crashes, so the platform's retry is handled instead of dropped.
- One conversation's messages are handled one after the other, in the order they came.
- The platform is answered within its deadline (`answer_within_s`) while a slow turn goes on;
  the replies go out through the platform's send API, not the webhook's answer.
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Hashable, List, Set


class Deliveries:
    def __init__(self, channel: str, answer_within_s: float) -> None:
        self.channel = channel
        self.answer_within_s = answer_within_s
        self._tasks: Set[asyncio.Task] = set()
        self._locks: Dict[Hashable, List[Any]] = {}

    async def start(self, delivery_id: str, work: Callable[[], Awaitable[None]]) -> bool:
        """Runs `work` for a claimed delivery and waits for it up to `answer_within_s`. False
        when it failed within that time (its receipt released: the platform's retry is taken)."""
        task = asyncio.get_running_loop().create_task(self._once(delivery_id, work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await asyncio.wait({task}, timeout=self.answer_within_s)
        return not (task.done() and not task.cancelled() and task.exception() is not None)

    async def _once(self, delivery_id: str, work: Callable[[], Awaitable[None]]) -> None:
        from bot.inbound import finish_receipt, release_receipt

        try:
            await work()
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(release_receipt, self.channel, delivery_id)
            raise
        await asyncio.to_thread(finish_receipt, self.channel, delivery_id)

    @contextlib.asynccontextmanager
    async def one_at_a_time(self, conversation: Hashable) -> AsyncIterator[None]:
        """A conversation's turns one after the other, in the order they came."""
        entry = self._locks.setdefault(conversation, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(conversation, None)

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Waits for the turns in progress (shutdown, tests)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
