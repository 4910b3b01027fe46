"""Measures whether a Redis lock store keeps one conversation's turns apart across processes.

Each process stands for a Rasa replica: several tasks take turns on ONE conversation, and every
turn does what Rasa's turn does to the tracker, read-modify-write (read a counter, await a
little, write it back plus one). With a lock that holds, the counter ends at the number of
turns, no two turns are ever inside at once and none is refused. Run against Rasa 3.6's
RedisLockStore and against rasa_server.stores.AtomicRedisLockStore:

    python benchmarks/lock_race.py --redis redis://127.0.0.1:6379/15 --processes 2 --turns 100

Figures are printed; nothing is asserted (tests/scale/test_locks.py asserts the atomic store).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def make_store(kind: str, url: str) -> Any:
    if kind == "rasa":
        from urllib.parse import urlsplit

        from rasa.core.lock_store import RedisLockStore

        parts = urlsplit(url)
        return RedisLockStore(host=parts.hostname or "127.0.0.1", port=parts.port or 6379,
                              db=int((parts.path or "/0").lstrip("/") or 0))
    from rasa_server.locks import AtomicRedisLockStore

    return AtomicRedisLockStore(url, key_prefix="lockrace")


async def _turns(kind: str, url: str, conversation: str, turns: int, tasks: int,
                 wait_s: float, work_s: float, worker: int, start: Any) -> Dict[str, Any]:
    import redis
    from rasa.core.lock_store import LockError

    store = make_store(kind, url)
    start.wait()  # every process is loaded: race from here
    began = time.monotonic()
    red = redis.Redis.from_url(url)
    counter, inside, log = (f"race:{conversation}:{k}" for k in ("counter", "inside", "log"))
    outcome = {"done": 0, "refused": 0, "overlaps": 0}

    async def one(task: int, number: int) -> None:
        try:
            async with store.lock(conversation, wait_time_in_seconds=wait_s):
                if red.incr(inside) > 1:
                    outcome["overlaps"] += 1
                value = int(red.get(counter) or 0)
                await asyncio.sleep(work_s)  # NLU, actions: the loop serves others meanwhile
                red.set(counter, value + 1)
                red.rpush(log, f"{worker}:{task}:{number}")
                red.decr(inside)
                outcome["done"] += 1
        except LockError:
            outcome["refused"] += 1

    async def task_loop(task: int) -> None:
        for number in range(turns // tasks):
            await one(task, number)

    await asyncio.gather(*(task_loop(t) for t in range(tasks)))
    outcome["seconds"] = time.monotonic() - began
    return outcome


def _worker(args: tuple, results: multiprocessing.Queue[Dict[str, Any]]) -> None:
    results.put(asyncio.run(_turns(*args)))


def measure(kind: str, url: str, processes: int, turns: int, tasks: int, wait_s: float,
            work_s: float) -> Dict[str, Any]:
    """Runs the race once; the figures as a dict."""
    import redis

    conversation = f"race-{uuid.uuid4().hex[:10]}"
    red = redis.Redis.from_url(url)
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[Dict[str, Any]] = context.Queue()
    start = context.Barrier(processes)
    workers = [
        context.Process(target=_worker, args=((kind, url, conversation, turns, tasks, wait_s,
                                               work_s, w, start), results))
        for w in range(processes)
    ]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=600) for _ in workers]
    for w in workers:
        w.join(30)
    elapsed = max(o["seconds"] for o in outcomes)
    done = sum(o["done"] for o in outcomes)
    final = int(red.get(f"race:{conversation}:counter") or 0)
    red.delete(*(f"race:{conversation}:{k}" for k in ("counter", "inside", "log")))
    return {
        "store": kind, "processes": processes, "turns": processes * (turns // tasks) * tasks,
        "done": done, "refused": sum(o["refused"] for o in outcomes),
        "overlaps": sum(o["overlaps"] for o in outcomes),
        "lost_updates": done - final,
        "seconds": round(elapsed, 2),
    }


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--turns", type=int, default=100, help="turns per process")
    parser.add_argument("--tasks", type=int, default=4, help="concurrent tasks per process")
    parser.add_argument("--wait", type=float, default=0.05,
                        help="Rasa's lock polling interval (Rasa waits 1 s; smaller is faster "
                        "and races just the same)")
    parser.add_argument("--work", type=float, default=0.005, help="seconds inside each turn")
    parser.add_argument("--stores", nargs="+", default=["rasa", "atomic"],
                        choices=["rasa", "atomic"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = [measure(kind, args.redis, args.processes, args.turns, args.tasks, args.wait,
                    args.work) for kind in args.stores]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    header = ["store", "processes", "turns", "done", "refused", "overlaps", "lost_updates",
              "seconds"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(row[h]) for h in header) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
