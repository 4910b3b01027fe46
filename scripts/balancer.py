"""A small HTTP load balancer for `make run-scaled`: round-robin over the backends that pass
their health check, passing method, path, headers, body and status through.

    python -m scripts.balancer --port 5005 --backend http://127.0.0.1:5105 \\
        --backend http://127.0.0.1:5106 --health-path /

A request goes to the next healthy backend; one that refuses the connection is marked down and
the request tries the next (it never reached the first, so nothing runs twice). A backend that
fails after taking the request answers 502: the request is not sent again, since the backend may
have handled it. No healthy backend: 503 with Retry-After. GET /-/balancer shows the backends.
For one machine; in Kubernetes a Service does this job (deploy/README.md).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

from aiohttp import ClientSession, ClientTimeout, TCPConnector, client_exceptions, web
from multidict import CIMultiDict

logger = logging.getLogger("balancer")

STATUS_PATH = "/-/balancer"
MAX_BODY_BYTES = 32 * 1024 * 1024  # above the 20 MB upload limit of the web chat
# Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection, never forwarded.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length",
}


@dataclass
class Backend:
    url: str
    healthy: bool = False
    checked_at: float = 0.0
    failures: int = 0
    served: int = 0
    last_error: str = ""

    def as_dict(self) -> Dict[str, object]:
        return {"url": self.url, "healthy": self.healthy, "served": self.served,
                "failures": self.failures, "last_error": self.last_error}


@dataclass
class Balancer:
    backends: List[Backend]
    health_path: str = "/"
    interval_s: float = 1.0
    timeout_s: float = 330.0  # Rasa waits up to 300 s for an action
    _turn: itertools.count[int] = field(default_factory=itertools.count, init=False)
    _session: ClientSession | None = field(default=None, init=False)

    async def start(self, app: web.Application) -> None:
        self._session = ClientSession(
            # Idle connections are dropped well before a backend (Sanic: 5 s) drops them, else a
            # request can meet a connection the backend is closing (reset, 502).
            connector=TCPConnector(limit=0, keepalive_timeout=2.0),
            timeout=ClientTimeout(total=None, connect=3, sock_read=self.timeout_s),
            auto_decompress=False,  # bodies pass through byte for byte
        )
        await asyncio.gather(*(self.check(b) for b in self.backends))
        app[HEALTH_TASK] = asyncio.get_running_loop().create_task(self._health_loop())

    async def stop(self, app: web.Application) -> None:
        task = app.get(HEALTH_TASK)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()

    async def check(self, backend: Backend) -> None:
        assert self._session is not None
        try:
            async with self._session.get(backend.url + self.health_path,
                                         timeout=ClientTimeout(total=2)) as res:
                await res.read()
                ok = res.status == 200
                error = "" if ok else f"health check answered {res.status}"
        except (client_exceptions.ClientError, asyncio.TimeoutError, OSError) as err:
            ok, error = False, err.__class__.__name__
        if ok != backend.healthy:
            logger.info("%s is %s%s", backend.url, "up" if ok else "down",
                        f" ({error})" if error else "")
        backend.healthy, backend.checked_at = ok, time.monotonic()
        if error:
            backend.last_error = error

    async def _health_loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            await asyncio.gather(*(self.check(b) for b in self.backends))

    def _candidates(self) -> List[Backend]:
        """The healthy backends, starting with the next one in turn."""
        healthy = [b for b in self.backends if b.healthy]
        if not healthy:
            return []
        start = next(self._turn) % len(healthy)
        return healthy[start:] + healthy[:start]

    async def status(self, request: web.Request) -> web.Response:
        return web.json_response({"backends": [b.as_dict() for b in self.backends]})

    async def forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = CIMultiDict(
            (k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP
        )
        peer = request.remote or ""
        prior = request.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{prior}, {peer}" if prior else peer
        headers.setdefault("X-Forwarded-Proto", request.scheme)
        headers.setdefault("X-Forwarded-Host", request.host)
        for backend in self._candidates():
            try:
                upstream = await self._session.request(
                    request.method, backend.url + request.rel_url.raw_path_qs,
                    headers=headers, data=body, allow_redirects=False,
                )
            except client_exceptions.ClientConnectorError as err:
                # Never connected: the request did not reach it; try the next one.
                backend.healthy, backend.last_error = False, err.__class__.__name__
                backend.failures += 1
                logger.warning("%s refused a connection: marked down", backend.url)
                continue
            except (client_exceptions.ClientError, asyncio.TimeoutError) as err:
                backend.failures += 1
                backend.last_error = err.__class__.__name__
                return _json_error(502, "bad_gateway",
                                   f"The server failed while handling the request ({err!r}).")
            backend.served += 1
            try:
                reply = web.StreamResponse(status=upstream.status, reason=upstream.reason)
                for key, value in upstream.headers.items():
                    if key.lower() not in HOP_BY_HOP:
                        reply.headers.add(key, value)
                if upstream.content_length is not None:
                    reply.content_length = upstream.content_length
                await reply.prepare(request)
                async for chunk in upstream.content.iter_chunked(64 * 1024):
                    await reply.write(chunk)
                await reply.write_eof()
                return reply
            except (client_exceptions.ClientError, asyncio.TimeoutError) as err:
                backend.failures += 1
                backend.last_error = err.__class__.__name__
                if not reply.prepared:
                    return _json_error(502, "bad_gateway", "The server's answer broke off.")
                raise
            finally:
                upstream.release()
        return _json_error(503, "no_backend", "No server is available right now; "
                           "please try again shortly.", headers={"Retry-After": "5"})


BALANCER = web.AppKey("balancer", Balancer)
HEALTH_TASK = web.AppKey("health", asyncio.Task)


def _json_error(status: int, code: str, message: str,
                headers: Dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status,
                             headers=headers)


def make_app(backends: Sequence[str], *, health_path: str = "/",
             interval_s: float = 1.0) -> web.Application:
    balancer = Balancer([Backend(url.rstrip("/")) for url in backends],
                        health_path=health_path, interval_s=interval_s)
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[BALANCER] = balancer
    app.on_startup.append(balancer.start)
    app.on_cleanup.append(balancer.stop)
    app.router.add_get(STATUS_PATH, balancer.status)
    app.router.add_route("*", "/{tail:.*}", balancer.forward)
    return app


def parse_args(argv: List[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", action="append", required=True,
                        help="backend base URL (repeat for each)")
    parser.add_argument("--health-path", default="/")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="seconds between health checks")
    return parser.parse_args(argv)


def main(argv: List[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    web.run_app(
        make_app(args.backend, health_path=args.health_path, interval_s=args.interval),
        host=args.host, port=args.port, access_log=None, print=None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
