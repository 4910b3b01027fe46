"""Twilio's side of a Media Stream (<Connect><Stream>), for tests and benchmarks: it opens the
WebSocket to our server with a real X-Twilio-Signature, sends connected/start, then the caller's
line as 20 ms mu-law frames (speech when the test says something, silence otherwise, as Twilio
sends without pause), dtmf and stop; it plays what we send back (a mark is echoed once the audio
before it would have been heard, `clear` drops what is queued) and records it all.

    async with MediaStream(twilio, stream_url, call_sid, {"lang": "zh"}, speed=4) as line:
        await line.say(pcm_8k)            # 16-bit 8 kHz PCM, sent in (sped-up) real time
        parts = await line.reply()        # the texts of the parts of our reply (mark names)
        await line.press("0")
        await line.closed()

`speed` plays the line faster than real time (endpointing counts frames, not seconds); 1 is real
time, which benchmarks/phone_turn.py uses.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
from typing import Any, Dict, List, Mapping

import websockets

from bot.phone.codec import FRAME_BYTES, FRAME_MS, encode_frames
from bot.phone.turns import frame_dbfs

SILENT_FRAME = base64.b64encode(b"\xff" * FRAME_BYTES).decode("ascii")


class MediaStream:
    def __init__(self, twilio: Any, stream_url: str, call_sid: str,
                 parameters: Mapping[str, str], *, speed: float = 1.0) -> None:
        if "?" in stream_url:  # Twilio refuses a <Stream url> with a query string
            raise ValueError(f"Media Streams take no query string: {stream_url}")
        self.twilio = twilio
        self.url = stream_url
        self.call_sid = call_sid
        self.parameters = dict(parameters)
        self.speed = speed
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.frame_s = FRAME_MS / 1000 / speed
        self._outgoing: asyncio.Queue[str] = asyncio.Queue()
        self._sent_all = asyncio.Event()
        self.sequence = 0
        self.marks: List[str] = []  # every mark we were sent, in order (the parts' texts)
        self.clears = 0
        self.media_frames = 0
        self.first_audio_at: List[float] = []  # monotonic: first frame of each reply
        self.last_word_at: List[float] = []  # monotonic: last speech frame of each caller turn
        self._play_until = 0.0
        self._last_media = 0.0
        self._replied = 0  # marks already returned by reply()
        self._awaiting_first = False
        self.closed_event = asyncio.Event()
        self.closed_at = 0.0  # when our server closed the stream (a call put through, ended)

    # -- the connection ---------------------------------------------------------------------

    async def __aenter__(self) -> MediaStream:
        signature = self.twilio.signature(self.url, {})
        self.ws = await websockets.connect(self.url, extra_headers={
            "X-Twilio-Signature": signature}, max_size=2 ** 20)
        await self._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self._send({"event": "start", "streamSid": self.stream_sid, "start": {
            "streamSid": self.stream_sid, "accountSid": self.twilio.account_sid,
            "callSid": self.call_sid, "tracks": ["inbound"],
            "customParameters": self.parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})
        self._tasks = [asyncio.ensure_future(self._line()), asyncio.ensure_future(self._hear())]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.ws.close()

    async def _send(self, message: Dict[str, Any]) -> None:
        self.sequence += 1
        if message["event"] != "connected":
            message = {**message, "sequenceNumber": str(self.sequence),
                       "streamSid": self.stream_sid}
        await self.ws.send(json.dumps(message))

    async def _line(self) -> None:
        """One frame every 20 ms (sped up): the caller's words when there are any, else silence."""
        chunk = 0
        next_at = time.monotonic()
        try:
            while True:
                payload = SILENT_FRAME
                if not self._outgoing.empty():
                    payload = self._outgoing.get_nowait()
                    if self._outgoing.empty():
                        self._sent_all.set()
                chunk += 1
                await self._send({"event": "media", "media": {
                    "track": "inbound", "chunk": str(chunk),
                    "timestamp": str(chunk * FRAME_MS), "payload": payload}})
                if payload is not SILENT_FRAME and getattr(self, "_last_word_payload", None) \
                        is payload:
                    self.last_word_at.append(time.monotonic())
                next_at += self.frame_s
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        except websockets.ConnectionClosed:
            self.closed_event.set()

    async def _hear(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                event = message.get("event")
                now = time.monotonic()
                if event == "media":
                    if self._awaiting_first:
                        self.first_audio_at.append(now)
                        self._awaiting_first = False
                    self.media_frames += 1
                    self._play_until = max(self._play_until, now) + self.frame_s
                    self._last_media = now
                elif event == "mark":
                    name = message["mark"]["name"]
                    self.marks.append(name)
                    asyncio.ensure_future(self._echo(name, self._play_until))
                elif event == "clear":
                    self.clears += 1
                    self._play_until = now
        except websockets.ConnectionClosed:
            pass
        self.closed_at = time.monotonic()
        self.closed_event.set()

    async def _echo(self, name: str, at: float) -> None:
        """Twilio answers a mark once the audio before it has been played (at once if cleared)."""
        while time.monotonic() < min(at, self._play_until):
            await asyncio.sleep(0.01)
        with contextlib.suppress(websockets.ConnectionClosed):
            await self._send({"event": "mark", "mark": {"name": name}})

    # -- what a test does --------------------------------------------------------------------

    async def say(self, pcm: bytes) -> None:
        """The caller says `pcm` (16-bit 8 kHz); returns once the last frame has gone out."""
        frames = encode_frames(pcm)
        raw = [base64.b64decode(f) for f in frames]
        import audioop

        loud = [i for i, ulaw in enumerate(raw) if frame_dbfs(audioop.ulaw2lin(ulaw, 2)) > -40]
        self._last_word_payload = frames[loud[-1]] if loud else None
        self._sent_all.clear()
        self._awaiting_first = True
        for payload in frames:
            self._outgoing.put_nowait(payload)
        sent = asyncio.ensure_future(self._sent_all.wait())
        closed = asyncio.ensure_future(self.closed_event.wait())
        await asyncio.wait({sent, closed}, return_when=asyncio.FIRST_COMPLETED)
        for waiting in (sent, closed):
            waiting.cancel()

    async def press(self, digit: str) -> None:
        await self._send({"event": "dtmf", "dtmf": {"track": "inbound_track", "digit": digit}})

    async def reply(self, timeout: float = 120.0, quiet: float = 1.5) -> List[str]:
        """The parts of our next reply (mark names without their number), once it has been
        played out and the line has been quiet for `quiet` seconds, or the stream closed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.closed_event.is_set():
                break
            settled = (len(self.marks) > self._replied
                       and time.monotonic() > max(self._play_until, self._last_media) + quiet)
            if settled:
                break
            await asyncio.sleep(0.05)
        parts = [name.split(":", 1)[-1] for name in self.marks[self._replied:]]
        self._replied = len(self.marks)
        return parts

    async def first_audio(self, timeout: float = 120.0) -> float:
        """Seconds from the caller's last word to the first audio of our reply to it."""
        deadline = time.monotonic() + timeout
        while not self.first_audio_at and time.monotonic() < deadline:
            if self.closed_event.is_set():
                raise RuntimeError("the stream closed before any reply")
            await asyncio.sleep(0.01)
        if not self.first_audio_at or not self.last_word_at:
            raise RuntimeError("no reply within the time allowed")
        return self.first_audio_at[-1] - self.last_word_at[-1]

    async def closed(self, timeout: float = 60.0) -> bool:
        try:
            await asyncio.wait_for(self.closed_event.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def stop(self) -> None:
        await self._send({"event": "stop", "stop": {"accountSid": self.twilio.account_sid,
                                                    "callSid": self.call_sid}})
