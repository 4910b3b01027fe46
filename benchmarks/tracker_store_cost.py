"""What keeping trackers costs per turn: one read and one write of a conversation (what a turn
does to its tracker) with Rasa's in-memory store, the SQLite store that is the single-machine
default, and PostgreSQL when --pg is given. Prints a table; asserts nothing.

    python benchmarks/tracker_store_cost.py --events 60 --turns 200 \\
        --pg postgresql+psycopg2://postgres@127.0.0.1:5432/claims_trackers_cost
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _conversation(sender: str, events: int) -> Any:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(sender, [])
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    while len(tracker.events) < events:
        tracker.update(UserUttered("我要报案,昨天下午三点在中山路被追尾了",
                                   {"name": "report_claim", "confidence": 0.99}))
        tracker.update(ActionExecuted("action_ask_report_answer"))
        tracker.update(BotUttered("请问有人受伤吗?"))
        tracker.update(ActionExecuted("action_listen"))
    return tracker


async def _turns(store: Any, sender: str, events: int, turns: int) -> List[float]:
    """Each turn on its own conversation of `events` events, so every turn reads as much."""
    from rasa.shared.core.events import ActionExecuted, UserUttered

    template = _conversation(sender, events)
    senders = [f"{sender}-{i}" for i in range(turns)]
    for name in senders:
        tracker = template.copy()
        tracker.sender_id = name
        await store.save(tracker)
    timings = []
    for name in senders:
        started = time.perf_counter()
        tracker = await store.retrieve(name)
        tracker.update(UserUttered("对", {"name": "affirm", "confidence": 0.99}))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure(kind: str, events: int, turns: int, pg_url: str | None) -> Dict[str, Any]:
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain

    from rasa_server.stores import ClaimsTrackerStore

    with tempfile.TemporaryDirectory() as tmp:
        if kind == "memory":
            store: Any = InMemoryTrackerStore(Domain.empty())
        elif kind == "sqlite":
            store = ClaimsTrackerStore(domain=Domain.empty(), url=f"sqlite:///{tmp}/t.db")
        else:
            store = ClaimsTrackerStore(domain=Domain.empty(), url=pg_url)
        timings = asyncio.run(_turns(store, f"cost-{kind}-{time.time_ns()}", events, turns))
    timings.sort()
    return {"store": kind, "median_ms": statistics.median(timings),
            "p95_ms": timings[int(len(timings) * 0.95) - 1]}


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=60, help="events already in the tracker")
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--pg", help="a PostgreSQL URL to measure too (the database must exist)")
    args = parser.parse_args(argv)
    kinds = ["memory", "sqlite"] + (["postgresql"] if args.pg else [])
    print(f"| tracker store | read + write per turn, median | p95 | ({args.events} events) |")
    print("|---|---|---|---|")
    for kind in kinds:
        row = measure(kind, args.events, args.turns, args.pg)
        print(f"| {kind} | {row['median_ms']:.2f} ms | {row['p95_ms']:.2f} ms | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
