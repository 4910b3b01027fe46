"""A local stand-in for Twilio's servers, speaking the parts of its HTTP API our channels use.

It records every Messages API call, serves media and call recordings for download (with the
account's basic auth, as Twilio does when media auth is on), records recording deletions, and can
be told to fail the next calls. `signed_post` plays Twilio's part on the other side: it POSTs a
webhook to our server with a real X-Twilio-Signature. `media_stream` plays Twilio's side of a
Media Stream (tests/standins/twilio_media.py): frames of the caller's audio, dtmf, marks, stop.

    with TwilioStandIn() as twilio:
        twilio.add_file("RE1.wav", wav_bytes, "audio/wav")
        url = twilio.recording_url("RE1")
        ...
        assert twilio.messages[0]["Body"] == "..."
"""
from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Tuple

import requests
from aiohttp import BasicAuth, web
from twilio.request_validator import RequestValidator

from tests.standins.server import StandInServer

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "standin-auth-token-0123456789abcd"


@dataclass
class Failure:
    status: int
    code: int | None = None  # Twilio's error code, e.g. 21610 (recipient unsubscribed)
    message: str = "stand-in failure"


@dataclass
class TwilioStandIn(StandInServer):
    standin_name = "Twilio stand-in"
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    messages: List[Dict[str, str]] = field(default_factory=list)
    deleted_recordings: List[str] = field(default_factory=list)
    downloads: List[str] = field(default_factory=list)
    _files: Dict[str, Tuple[bytes, str]] = field(default_factory=dict)
    _failures: List[Failure] = field(default_factory=list)
    _slow_files: Dict[str, float] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    # --- what tests arrange ---------------------------------------------------------------------

    def add_file(self, name: str, content: bytes, content_type: str, *,
                 delay_s: float = 0.0) -> str:
        """Serve `content` at /files/<name>; returns its URL (a media URL, say)."""
        self._files[name] = (content, content_type)
        if delay_s:
            self._slow_files[name] = delay_s
        return f"{self.base_url}/files/{name}"

    def add_recording(self, recording_sid: str, wav: bytes) -> str:
        """A call recording; returns its RecordingUrl as Twilio posts it (no extension)."""
        self._files[f"recording:{recording_sid}"] = (wav, "audio/x-wav")
        return self.recording_url(recording_sid)

    def add_media(self, content: bytes, content_type: str) -> str:
        """A message's media as Twilio serves it (account's basic auth required); returns its
        MediaUrl."""
        media_sid = f"ME{next(self._ids):032d}"
        self._files[f"media:{media_sid}"] = (content, content_type)
        return (f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages/"
                f"MM{0:032d}/Media/{media_sid}")

    def recording_url(self, recording_sid: str) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}"

    def fail_next(self, status: int = 500, code: int | None = None, times: int = 1) -> None:
        """The next `times` Messages API calls fail with `status` (and Twilio error `code`)."""
        self._failures.extend(Failure(status, code) for _ in range(times))

    # --- what tests send ------------------------------------------------------------------------

    def media_stream(self, stream_url: str, call_sid: str, parameters: Mapping[str, str],
                     *, speed: float = 1.0) -> Any:
        """Twilio's side of a <Connect><Stream> to `stream_url` (tests/standins/twilio_media.py):
        `async with twilio.media_stream(url, sid, params) as line: await line.say(pcm)`."""
        from tests.standins.twilio_media import MediaStream

        return MediaStream(self, stream_url, call_sid, parameters, speed=speed)

    def connect_stream(self, twiml: Any, call_sid: str, *, speed: float = 1.0) -> Any:
        """What Twilio does with our <Connect><Stream> (`twiml`: the parsed TwiML answer): opens
        its URL and echoes its <Parameter>s, name and value exactly, in start.customParameters."""
        stream = twiml.find("Connect/Stream")
        if stream is None:
            raise ValueError("no <Connect><Stream> in the TwiML")
        parameters = {p.get("name"): p.get("value") for p in stream.iter("Parameter")}
        return self.media_stream(stream.get("url"), call_sid, parameters, speed=speed)

    def signature(self, url: str, params: Mapping[str, str]) -> str:
        return RequestValidator(self.auth_token).compute_signature(url, dict(params))

    def signed_post(self, url: str, params: Mapping[str, str], **kwargs: Any) -> requests.Response:
        """POST a webhook to our server exactly as Twilio would, signature and all."""
        headers = {"X-Twilio-Signature": self.signature(url, params)}
        return requests.post(url, data=dict(params), headers=headers, timeout=kwargs.pop(
            "timeout", 60), **kwargs)

    # --- the server -----------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        try:
            auth = BasicAuth.decode(header)
        except ValueError:
            return False
        return auth.login == self.account_sid and auth.password == self.auth_token

    async def _create_message(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"code": 20003, "message": "Authenticate"}, status=401)
        form = dict(await request.post())
        if self._failures:
            failure = self._failures.pop(0)
            form["_failed"] = str(failure.status)
            self.messages.append({k: str(v) for k, v in form.items()})
            return web.json_response({"code": failure.code, "message": failure.message,
                                      "status": failure.status}, status=failure.status)
        sid = f"SM{next(self._ids):032d}"
        record = {k: str(v) for k, v in form.items()}
        record["Sid"] = sid
        self.messages.append(record)
        return web.json_response({"sid": sid, "status": "queued", "to": form.get("To"),
                                  "from": form.get("From"), "body": form.get("Body")},
                                 status=201)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        return await self._serve(name, request)

    async def _recording(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request):
            return web.json_response({"code": 20003, "message": "Authenticate"}, status=401)
        sid, _, ext = request.match_info["sid"].partition(".")
        if request.method == "DELETE":
            self.deleted_recordings.append(sid)
            self._files.pop(f"recording:{sid}", None)
            return web.Response(status=204)
        return await self._serve(f"recording:{sid}", request)

    async def _media(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request):
            return web.json_response({"code": 20003, "message": "Authenticate"}, status=401)
        return await self._serve(f"media:{request.match_info['sid']}", request)

    async def _serve(self, name: str, request: web.Request) -> web.StreamResponse:
        self.downloads.append(name)
        if name in self._slow_files:
            await asyncio.sleep(self._slow_files[name])
        if name not in self._files:
            return web.json_response({"code": 20404, "message": "Not found"}, status=404)
        content, content_type = self._files[name]
        return web.Response(body=content, content_type=content_type.split(";")[0])

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        base = "/2010-04-01/Accounts/{account}"
        app.router.add_post(base + "/Messages.json", self._create_message)
        app.router.add_route("*", base + "/Recordings/{sid}", self._recording)
        app.router.add_get("/files/{name}", self._file)
        app.router.add_get(base + "/Messages/{message}/Media/{sid}", self._media)
        return app
