"""A customer's web chat under supervisors' dashboard load: how long "hello" takes on the
server while 20 clients each ask a 366-day api/dashboard 10 times, the way an outside tester
loaded `make run` (in-process ASGI: the same event loop and the same handlers, no network).

    .venv/bin/python benchmarks/dashboard_load.py [--claims 5000] [--clients 20] [--requests 10]

Runs the load twice on one generated store (benchmarks/dashboard.py's history): "before" runs
every dashboard request at once in the default thread pool (how the route ran before: no cache,
no limit per session), "after" runs it as the console does now (its own two-thread pool, one
computation per session, identical requests shared, a 5-second cache). Prints the web chat
latency (median, P90, max) idle and under each load, and the dashboard answers by status.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from statistics import median
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import cpu_name  # noqa: E402
from benchmarks.dashboard import LAST_DAY, generate  # noqa: E402


def _stats(values: List[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[max(0, int(0.9 * len(ordered)) - 1)]
    return (f"median {median(ordered) * 1000:7.1f} ms · P90 {p90 * 1000:7.1f} ms · "
            f"max {ordered[-1] * 1000:7.1f} ms (n={len(ordered)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="bench-dashboard-load-"))
    url = f"sqlite:///{directory / 'claims.db'}"
    os.environ["CLAIMS_DB_URL"] = url
    os.environ["CLAIMS_VAR_DIR"] = str(directory)
    from bot.settings import get_settings
    get_settings.cache_clear()
    from bot.store.migrate import upgrade
    upgrade(url)
    generate(url, args.claims)

    from rasa.core.channels.channel import register
    from sanic import Sanic

    import channels.agent_console as console
    from bot.agents import add_agent
    from bot.webchat_session import SESSION_HEADER, session_token
    from channels.webchat import WebChatInput
    from tests.channels.test_agent_console import StandInRasaAgent
    from tests.support.asgi import AsgiClient

    add_agent("bench.sup", "bench-password-1", role="supervisor", url=url)
    first = (LAST_DAY - timedelta(days=365)).isoformat()
    board = f"/webhooks/agent/api/dashboard?from={first}&to={LAST_DAY.isoformat()}"
    original = console.AgentConsoleInput._compute

    async def before(self: Any, request: Any, key: Any, function: Any, *a: Any, **k: Any) -> Any:
        return await console._in_thread(function, *a, **k)

    print(f"CPU: {cpu_name()} · {args.claims} claims · {args.clients} clients × "
          f"{args.requests} requests of a 366-day dashboard")
    results: Dict[str, str] = {}
    for mode in ("before", "after"):
        console.AgentConsoleInput._compute = before if mode == "before" else original
        app = Sanic(f"bench_{uuid.uuid4().hex}")
        app.ctx.agent = StandInRasaAgent()
        register([WebChatInput(max_message_chars=2000), console.AgentConsoleInput()], app,
                 route="/webhooks/")
        with AsgiClient(app) as client:
            login = client.post("/webhooks/agent/api/login", json_body={
                "username": "bench.sup", "password": "bench-password-1"},
                headers={"origin": "http://testserver"})
            token = login.headers["set-cookie"].split(";")[0]
            headers = {"host": "testserver", "content-length": "0", "cookie": token}

            async def chat(n: int, mode: str = mode, client: Any = client) -> float:
                sender = f"bench-{mode}-{n}"
                body = f'{{"sender": "{sender}", "message": "hello"}}'.encode()
                started = time.perf_counter()
                answer = await client._request("POST", "/webhooks/webchat/webhook", body, {
                    "host": "testserver", "content-type": "application/json",
                    "content-length": str(len(body)),
                    # the page's session token (same process: the server's key)
                    SESSION_HEADER.lower(): session_token(sender)})
                assert answer.status == 200, answer.text
                return time.perf_counter() - started

            async def one_client(statuses: Counter, headers: Dict[str, str] = headers,
                                 client: Any = client) -> None:
                for _ in range(args.requests):
                    res = await client._request("GET", board, b"", headers)
                    statuses[res.status] += 1
                    if res.status == 429:
                        await asyncio.sleep(0.5)  # as a polite script would

            async def run(chat: Any = chat, one_client: Any = one_client) -> tuple:
                idle = [await chat(i) for i in range(10)]
                statuses: Counter = Counter()
                load = asyncio.gather(*(one_client(statuses) for _ in range(args.clients)))
                loaded: List[float] = []
                started = time.perf_counter()
                while not load.done():
                    loaded.append(await chat(100 + len(loaded)))
                    await asyncio.sleep(0.1)
                await load
                return idle, loaded, statuses, time.perf_counter() - started

            idle, loaded, statuses, took = client.loop.run_until_complete(run())
        results[mode] = (f"{mode:6}: idle {_stats(idle)}\n        loaded {_stats(loaded)}\n"
                         f"        dashboard answers {dict(statuses)} in {took:.1f} s")
        print(results[mode], flush=True)
    console.AgentConsoleInput._compute = original
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
