"""What every stand-in shares: its aiohttp app served on a free local port from a thread."""
from __future__ import annotations

import asyncio
import threading
from typing import Any

from aiohttp import web


class StandInServer:
    """Mixin: `with StandIn() as s:` serves `s._app()` on 127.0.0.1 at `s.base_url`."""

    standin_name = "stand-in"

    def _app(self) -> web.Application:
        raise NotImplementedError

    def __enter__(self) -> Any:
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(self._app())
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True, name=self.standin_name)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"the {self.standin_name} did not start")
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
