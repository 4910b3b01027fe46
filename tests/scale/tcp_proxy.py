"""A TCP proxy in front of PostgreSQL or Redis that a test can cut and restore, standing in for
a server restart: `cut()` drops every open connection (as a restarting server does) and closes
each new one at once until `restore()`. The system services stay untouched."""
from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Set


class CuttableProxy:
    """Listens on 127.0.0.1:`port` (free when 0) and forwards to `target_host`:`target_port`."""

    def __init__(self, target_host: str, target_port: int, port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.port = port
        self.cut_connections = 0  # connections dropped or refused while cut
        self.forwarded = 0
        self._down = False
        self._loop = asyncio.new_event_loop()
        self._writers: Set[asyncio.StreamWriter] = set()
        self._server: asyncio.AbstractServer | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)

    # -- control (from the test's thread) ------------------------------------------------------
    def start(self) -> CuttableProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the TCP proxy did not start")
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def cut(self) -> None:
        """Drops every open connection and refuses new ones (they are closed at once)."""
        asyncio.run_coroutine_threadsafe(self._cut(), self._loop).result(10)

    def restore(self) -> None:
        self._down = False

    @property
    def down(self) -> bool:
        return self._down

    # -- the proxy (in its own thread) ---------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._cut()
        self._down = False

    async def _cut(self) -> None:
        self._down = True
        for writer in list(self._writers):
            self.cut_connections += 1
            _abort(writer)
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._down:
            self.cut_connections += 1
            _abort(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _abort(writer)
            return
        self.forwarded += 1
        self._writers.update((writer, up_writer))
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                self._writers.discard(w)
                _abort(w)


def _abort(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        transport = writer.transport
        if not transport.is_closing():
            transport.abort()  # RST, like a server process that went away


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError, asyncio.CancelledError):
        pass
    finally:
        _abort(writer)
