"""Bounded thread pools for slow work a stranger can ask for (password hashing, speech
recognition): a few threads and a short queue of their own, so a flood gets "busy" at once and
never takes the threads customers' turns use (asyncio's default executor)."""
from __future__ import annotations

import asyncio
import functools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, TypeVar

T = TypeVar("T")


# How often work owed an answer asks again for a slot (BoundedPool.run_when_free).
POLL_S = 0.2


class Busy(Exception):
    """Every worker is busy and the queue is full: try again shortly."""


class BoundedPool:
    """`workers` threads and at most `waiting` jobs queued behind them; one more is refused."""

    def __init__(self, name: str, workers: int, waiting: int) -> None:
        self.name = name
        self.workers = max(1, int(workers))
        self.capacity = self.workers + max(0, int(waiting))
        self._slots = threading.BoundedSemaphore(self.capacity)
        self._executor = ThreadPoolExecutor(max_workers=self.workers,
                                            thread_name_prefix=f"claims-{name}")

    def try_submit(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> Any:
        """A concurrent future for the job, or Busy. The slot is freed when the job ends, not
        when its caller stops waiting, so cancelled callers cannot overfill the pool."""
        if not self._slots.acquire(blocking=False):
            raise Busy(self.name)
        try:
            future = self._executor.submit(functools.partial(function, *args, **kwargs))
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return future

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Runs the job in the pool and waits for it; raises Busy at once when full."""
        return await asyncio.wrap_future(self.try_submit(function, *args, **kwargs))

    async def run_when_free(self, within_s: float, function: Callable[..., T], *args: Any,
                            **kwargs: Any) -> T:
        """Like run, but waits up to `within_s` for a free slot (asking every POLL_S) before
        raising Busy: for work owed an answer, such as a caller's turn on the phone."""
        deadline = time.monotonic() + within_s
        while True:
            try:
                future = self.try_submit(function, *args, **kwargs)
            except Busy:
                if time.monotonic() + POLL_S >= deadline:
                    raise
                await asyncio.sleep(POLL_S)
                continue
            return await asyncio.wrap_future(future)


_POOLS: Dict[str, BoundedPool] = {}
_POOLS_LOCK = threading.Lock()


def pool(name: str) -> BoundedPool:
    """The process's pool for `name` ("login" or "speech"), sized by the settings."""
    with _POOLS_LOCK:
        if name not in _POOLS:
            from bot.settings import get_settings

            settings = get_settings()
            sizes = {"login": (settings.login_workers, settings.login_queue),
                     "speech": (settings.speech_workers, settings.speech_queue)}
            workers, waiting = sizes[name]
            _POOLS[name] = BoundedPool(name, workers, waiting)
        return _POOLS[name]
