"""Calls a Sanic app in-process through ASGI: channel tests need no port and no sanic-testing."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Tuple
from urllib.parse import unquote, urlsplit

from sanic import Sanic


@dataclass
class AsgiResponse:
    status: int
    headers: Dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class AsgiClient:
    """A synchronous client bound to one app; use as a context manager.

    >>> with AsgiClient(app) as client:
    ...     assert client.get("/webhooks/webchat/health").status == 200
    """

    def __init__(self, app: Sanic) -> None:
        # What sanic-testing does too: without it the second app started in one process fails
        # in Sanic's class-level "touch-up" of request handling.
        Sanic.test_mode = True
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._lifespan_inbox: asyncio.Queue | None = None
        self._lifespan_outbox: List[Dict[str, Any]] = []
        self._lifespan_task: asyncio.Task | None = None

    def __enter__(self) -> AsgiClient:
        self.loop.run_until_complete(self._startup())
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.loop.run_until_complete(self._shutdown())
        finally:
            self.loop.close()

    async def _startup(self) -> None:
        inbox: asyncio.Queue = asyncio.Queue()  # made here, so it belongs to this loop
        self._lifespan_inbox = inbox

        async def receive() -> Dict[str, Any]:
            return await inbox.get()

        async def send(message: Dict[str, Any]) -> None:
            self._lifespan_outbox.append(message)

        scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
        self._lifespan_task = asyncio.ensure_future(self.app(scope, receive, send))
        await inbox.put({"type": "lifespan.startup"})
        for _ in range(500):
            if self._lifespan_outbox or self._lifespan_task.done():
                break
            await asyncio.sleep(0.01)
        if self._lifespan_task.done() and self._lifespan_task.exception():
            raise self._lifespan_task.exception()  # type: ignore[misc]

    async def _shutdown(self) -> None:
        task, inbox = self._lifespan_task, self._lifespan_inbox
        if task is None or inbox is None:
            return
        if not task.done():
            await inbox.put({"type": "lifespan.shutdown"})
            await asyncio.wait({task}, timeout=5)
        if not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1)
        # Sanic 21.12 goes on to treat the finished lifespan scope as a request and fails;
        # the listeners have run by then, so that error is read here and dropped.
        if task.done() and not task.cancelled():
            task.exception()

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsgiResponse:
        """`url` is what goes on the wire: a path, percent-escapes kept, and a query string."""
        all_headers = {"host": "testserver", **{k.lower(): v for k, v in (headers or {}).items()}}
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            all_headers.setdefault("content-type", "application/json")
        all_headers["content-length"] = str(len(body))
        return self.loop.run_until_complete(self._request(method, url, body, all_headers))

    def get(self, url: str, **kwargs: Any) -> AsgiResponse:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> AsgiResponse:
        return self.request("POST", url, **kwargs)

    async def _request(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> AsgiResponse:
        parts = urlsplit(url)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(parts.path),
            "raw_path": parts.path.encode("ascii"),
            "query_string": parts.query.encode("ascii"),
            "root_path": "",
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        inbox = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> Dict[str, Any]:
            if inbox:
                return inbox.pop(0)
            await asyncio.sleep(3600)  # nothing more: the client stays connected
            return {"type": "http.disconnect"}

        response = AsgiResponse(status=0)
        chunks: List[bytes] = []

        async def send(message: Dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                response.status = int(message["status"])
                raw: List[Tuple[bytes, bytes]] = list(message.get("headers", []))
                response.headers = {k.decode().lower(): v.decode() for k, v in raw}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        response.body = b"".join(chunks)
        return response
