"""The local load balancer of `make run-scaled` (scripts/balancer.py), against two stand-in
backends on free ports: round-robin, bodies and statuses passed through, a refused connection
tried on the next backend, 503 when none is healthy."""
from __future__ import annotations

import asyncio
import socket
from typing import Any, Dict, List, Tuple

import aiohttp
from aiohttp import web

from scripts.balancer import STATUS_PATH, make_app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _backend(name: str, seen: List[Tuple[str, str, bytes, Dict[str, str]]]) -> Tuple[
        web.AppRunner, int]:
    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        seen.append((name, request.path_qs, body, dict(request.headers)))
        if request.path == "/health":
            return web.Response(text="ok")
        status = 418 if request.path == "/teapot" else 200
        return web.json_response({"backend": name, "body": body.decode()}, status=status,
                                 headers={"X-Backend": name})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


async def _scenario() -> Dict[str, Any]:
    seen: List[Tuple[str, str, bytes, Dict[str, str]]] = []
    a, port_a = await _backend("a", seen)
    b, port_b = await _backend("b", seen)
    dead_port = _free_port()  # nothing listens here
    lb = web.AppRunner(make_app([f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}",
                                 f"http://127.0.0.1:{dead_port}"],
                                health_path="/health", interval_s=0.2))
    await lb.setup()
    lb_port = _free_port()
    await web.TCPSite(lb, "127.0.0.1", lb_port).start()
    base = f"http://127.0.0.1:{lb_port}"
    out: Dict[str, Any] = {}
    async with aiohttp.ClientSession() as client:
        answers = []
        for i in range(4):
            async with client.post(f"{base}/webhooks/rest/webhook?x={i}",
                                   data=f"msg {i}".encode()) as res:
                answers.append((res.status, await res.json(), res.headers.get("X-Backend")))
        out["answers"] = answers
        async with client.get(f"{base}/teapot") as res:
            out["teapot"] = res.status
        async with client.get(base + STATUS_PATH) as res:
            out["status"] = await res.json()
        # Backend a goes away without a health check noticing yet: its turn goes to b.
        await a.cleanup()
        async with client.post(f"{base}/after", data=b"still served") as res:
            out["after_a_died"] = [(res.status, (await res.json())["backend"])]
        async with client.post(f"{base}/after", data=b"again") as res:
            out["after_a_died"].append((res.status, (await res.json())["backend"]))
        await b.cleanup()
        await asyncio.sleep(0.5)  # health checks see both gone
        async with client.post(f"{base}/none", data=b"x") as res:
            out["none"] = (res.status, res.headers.get("Retry-After"), await res.json())
    await lb.cleanup()
    out["seen"] = seen
    return out


def test_round_robin_passthrough_failover_and_no_backend() -> None:
    out = asyncio.run(_scenario())
    statuses = [status for status, _, _ in out["answers"]]
    backends = [backend for _, _, backend in out["answers"]]
    assert statuses == [200] * 4
    assert backends == ["a", "b", "a", "b"]  # the dead one is never chosen
    assert [body["body"] for _, body, _ in out["answers"]] == [f"msg {i}" for i in range(4)]
    requests = [s for s in out["seen"] if s[1].startswith("/webhooks")]
    assert [path for _, path, _, _ in requests] == [f"/webhooks/rest/webhook?x={i}"
                                                     for i in range(4)]
    assert all("X-Forwarded-For" in headers for _, _, _, headers in requests)
    assert out["teapot"] == 418  # statuses pass through
    health = {b["url"].rsplit(":", 1)[1]: b["healthy"] for b in out["status"]["backends"]}
    assert list(health.values()).count(False) == 1
    assert out["after_a_died"] == [(200, "b"), (200, "b")]
    status, retry_after, body = out["none"]
    assert (status, retry_after, body["error"]) == (503, "5", "no_backend")
