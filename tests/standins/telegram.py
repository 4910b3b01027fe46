"""A local stand-in for Telegram's Bot API server, speaking the parts our channel uses.

It answers the Bot API methods (/bot<token>/<method>: sendMessage, getFile, answerCallbackQuery,
editMessageReplyMarkup, sendChatAction, setWebhook, deleteWebhook, getWebhookInfo, getMe) the
way Telegram does (`{"ok": true, "result": ...}`, or `{"ok": false, "error_code": ...,
"description": ...}`), serves uploaded files at /file/bot<token>/<file_path>, records every call
and download, and can fail the next calls or act as if a user blocked the bot. It also plays
Telegram's part on the other side: builds Updates and POSTs them to our webhook with the secret
token header.

    with TelegramStandIn() as telegram:
        file_id = telegram.add_file(ogg_bytes, "voice/file_1.oga")
        telegram.post_update(webhook_url, telegram.voice_update(42, file_id, duration=3),
                             secret=SECRET)
        assert telegram.messages_to(42)[0]["text"] == "..."
"""
from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List

import requests
from aiohttp import web

from tests.standins.server import StandInServer

TOKEN = "123456789:standin-token-AbCdEf_0123456789"
SECRET = "standin-webhook-secret_0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Claims", "username": "claims_bot"}

BLOCKED = (403, "Forbidden: bot was blocked by the user")
CHAT_NOT_FOUND = (400, "Bad Request: chat not found")
SERVER_ERROR = (500, "Internal Server Error")


@dataclass
class Call:
    """One Bot API call as the stand-in received it; `failed` holds the error it answered."""

    method: str
    params: Dict[str, Any]
    at: float
    failed: int | None = None


@dataclass
class _Failure:
    method: str | None  # None: whichever method is called next
    status: int
    description: str


@dataclass
class TelegramStandIn(StandInServer):
    standin_name = "Telegram stand-in"
    token: str = TOKEN
    calls: List[Call] = field(default_factory=list)
    downloads: List[str] = field(default_factory=list)
    blocked_chats: set = field(default_factory=set)
    webhook: Dict[str, Any] = field(default_factory=dict)
    _files: Dict[str, tuple] = field(default_factory=dict)  # file_id -> (path, bytes, size)
    _failures: List[_Failure] = field(default_factory=list)
    _message_ids: Any = field(default_factory=lambda: itertools.count(1000))
    _update_ids: Any = field(default_factory=lambda: itertools.count(int(time.time())))
    _file_ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- what tests arrange ---------------------------------------------------------------------

    def add_file(self, content: bytes, file_path: str | None = None, *,
                 reported_size: int | None = None) -> str:
        """Serve `content` for download; returns the file_id an Update carries. getFile reports
        `reported_size` when given (to play a file bigger than what is served)."""
        number = next(self._file_ids)
        file_id = f"standin-file-{number}"
        path = file_path or f"documents/file_{number}"
        size = len(content) if reported_size is None else reported_size
        self._files[file_id] = (path, content, size)
        return file_id

    def fail_next(self, status: int = 500, description: str = "Internal Server Error", *,
                  method: str | None = "sendMessage", times: int = 1) -> None:
        """The next `times` calls of `method` (None: any method) fail with this error."""
        with self._lock:
            self._failures.extend(_Failure(method, status, description)
                                  for _ in range(times))

    def block(self, chat_id: int) -> None:
        """The user of `chat_id` blocked the bot: every message to them is refused with 403."""
        self.blocked_chats.add(int(chat_id))

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.downloads.clear()
            self._failures.clear()
            self.blocked_chats.clear()

    # --- what tests read ------------------------------------------------------------------------

    def calls_to(self, method: str) -> List[Dict[str, Any]]:
        with self._lock:
            return [call.params for call in self.calls if call.method == method]

    def messages_to(self, chat_id: int) -> List[Dict[str, Any]]:
        """sendMessage calls to `chat_id` that were delivered, in order."""
        with self._lock:
            return [call.params for call in self.calls
                    if call.method == "sendMessage" and call.failed is None
                    and str(call.params.get("chat_id")) == str(chat_id)]

    def texts_to(self, chat_id: int) -> List[str]:
        return [params.get("text", "") for params in self.messages_to(chat_id)]

    def wait_for_messages(self, chat_id: int, count: int, timeout_s: float = 30.0) -> List[str]:
        """The texts sent to `chat_id` once there are at least `count` (or all there are when
        `timeout_s` runs out: the caller's assertion then says what is missing)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            texts = self.texts_to(chat_id)
            if len(texts) >= count:
                return texts
            time.sleep(0.1)
        return self.texts_to(chat_id)

    # --- Updates, as Telegram would send them ---------------------------------------------------

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def _message(self, chat_id: int, *, language_code: str | None = "zh-hans",
                 chat_type: str = "private", **content: Any) -> Dict[str, Any]:
        sender = {"id": chat_id, "is_bot": False, "first_name": "测试"}
        if language_code is not None:
            sender["language_code"] = language_code
        chat = {"id": chat_id, "type": chat_type, "first_name": "测试"}
        if chat_type != "private":
            chat = {"id": chat_id, "type": chat_type, "title": "家庭群"}
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": chat, "from": sender, **content}

    def update(self, **body: Any) -> Dict[str, Any]:
        return {"update_id": self.next_update_id(), **body}

    def text_update(self, chat_id: int, text: str, **options: Any) -> Dict[str, Any]:
        return self.update(message=self._message(chat_id, text=text, **options))

    def voice_update(self, chat_id: int, file_id: str, *, duration: int,
                     file_size: int | None = None, **options: Any) -> Dict[str, Any]:
        path, content, size = self._files.get(file_id, ("", b"", 0))
        voice = {"file_id": file_id, "file_unique_id": f"u-{file_id}", "duration": duration,
                 "mime_type": "audio/ogg", "file_size": size if file_size is None else file_size}
        return self.update(message=self._message(chat_id, voice=voice, **options))

    def photo_update(self, chat_id: int, file_id: str, *, caption: str | None = None,
                     width: int = 1280, height: int = 960, **options: Any) -> Dict[str, Any]:
        """A photo as Telegram sends it: several sizes, the largest last (only it is served)."""
        size = self._files.get(file_id, ("", b"", 0))[2]
        sizes = [
            {"file_id": f"{file_id}-thumb", "file_unique_id": f"u-{file_id}-t", "width": 90,
             "height": 68, "file_size": 1200},
            {"file_id": file_id, "file_unique_id": f"u-{file_id}", "width": width,
             "height": height, "file_size": size},
        ]
        content: Dict[str, Any] = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self.update(message=self._message(chat_id, **content, **options))

    def document_update(self, chat_id: int, file_id: str, *, file_name: str, mime_type: str,
                        caption: str | None = None, file_size: int | None = None,
                        **options: Any) -> Dict[str, Any]:
        size = self._files.get(file_id, ("", b"", 0))[2]
        document = {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_name": file_name,
                    "mime_type": mime_type, "file_size": size if file_size is None else file_size}
        content: Dict[str, Any] = {"document": document}
        if caption is not None:
            content["caption"] = caption
        return self.update(message=self._message(chat_id, **content, **options))

    def location_update(self, chat_id: int, latitude: float, longitude: float,
                        **options: Any) -> Dict[str, Any]:
        location = {"latitude": latitude, "longitude": longitude}
        return self.update(message=self._message(chat_id, location=location, **options))

    def callback_update(self, chat_id: int, data: str, *, message_id: int = 1,
                        language_code: str | None = "zh-hans") -> Dict[str, Any]:
        sender = {"id": chat_id, "is_bot": False, "first_name": "测试"}
        if language_code is not None:
            sender["language_code"] = language_code
        query = {"id": f"cq-{next(self._message_ids)}", "from": sender, "chat_instance": "ci-1",
                 "data": data,
                 "message": {"message_id": message_id, "date": int(time.time()),
                             "chat": {"id": chat_id, "type": "private"}, "from": BOT_USER,
                             "text": "…"}}
        return self.update(callback_query=query)

    def edited_update(self, chat_id: int, text: str, **options: Any) -> Dict[str, Any]:
        message = self._message(chat_id, text=text, **options)
        message["edit_date"] = message["date"] + 5
        return self.update(edited_message=message)

    def post_update(self, url: str, update: Dict[str, Any] | bytes, *,
                    secret: str | None = SECRET, timeout: float = 120) -> requests.Response:
        """POST an Update to our webhook as Telegram does: JSON, with the secret token header
        (none when `secret` is None)."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        body = update if isinstance(update, bytes) else json.dumps(update).encode("utf-8")
        return requests.post(url, data=body, headers=headers, timeout=timeout)

    # --- the server -----------------------------------------------------------------------------

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str) -> web.Response:
        return web.json_response({"ok": False, "error_code": status, "description": description},
                                 status=status)

    async def _params(self, request: web.Request) -> Dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json()
            return dict(body) if isinstance(body, dict) else {}
        form = await request.post()
        params: Dict[str, Any] = {}
        for key, value in form.items():
            params[key] = value if isinstance(value, str) else getattr(value, "filename", "")
        for key in ("reply_markup", "allowed_updates"):
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params

    def _take_failure(self, method: str) -> _Failure | None:
        for index, failure in enumerate(self._failures):
            if failure.method in (None, method):
                return self._failures.pop(index)
        return None

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params, time.time())
        with self._lock:
            self.calls.append(call)
            failure = self._take_failure(method)
        if failure is None and method == "sendMessage":
            try:
                if int(params.get("chat_id", 0)) in self.blocked_chats:
                    failure = _Failure(method, *BLOCKED)
            except ValueError:
                failure = _Failure(method, *CHAT_NOT_FOUND)
        if failure is not None:
            call.failed = failure.status
            return self._error(failure.status, failure.description)
        handler = getattr(self, f"_do_{method}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        return handler(params)

    def _do_sendMessage(self, params: Dict[str, Any]) -> web.Response:
        text = params.get("text") or ""
        if not text.strip():
            return self._error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return self._error(400, "Bad Request: message is too long")
        chat_id = int(params["chat_id"])
        return self._ok({"message_id": next(self._message_ids), "date": int(time.time()),
                         "chat": {"id": chat_id, "type": "private"}, "from": BOT_USER,
                         "text": text})

    def _do_getFile(self, params: Dict[str, Any]) -> web.Response:
        file_id = params.get("file_id", "")
        if file_id not in self._files:
            return self._error(400, "Bad Request: invalid file_id")
        path, _, size = self._files[file_id]
        return self._ok({"file_id": file_id, "file_unique_id": f"u-{file_id}",
                         "file_size": size, "file_path": path})

    def _do_answerCallbackQuery(self, params: Dict[str, Any]) -> web.Response:
        return self._ok(True)

    def _do_editMessageReplyMarkup(self, params: Dict[str, Any]) -> web.Response:
        return self._ok(True)

    def _do_sendChatAction(self, params: Dict[str, Any]) -> web.Response:
        return self._ok(True)

    def _do_getMe(self, params: Dict[str, Any]) -> web.Response:
        return self._ok(BOT_USER)

    def _do_setWebhook(self, params: Dict[str, Any]) -> web.Response:
        url = params.get("url", "")
        if url and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            return self._error(400, "Bad Request: bad webhook: HTTPS url must be provided for "
                                    "webhook")
        self.webhook = {key: value for key, value in params.items()}
        return self._ok(True)

    def _do_deleteWebhook(self, params: Dict[str, Any]) -> web.Response:
        self.webhook = {}
        return self._ok(True)

    def _do_getWebhookInfo(self, params: Dict[str, Any]) -> web.Response:
        info: Dict[str, Any] = {"url": self.webhook.get("url", ""),
                                "has_custom_certificate": False, "pending_update_count": 0}
        if self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        if self.webhook.get("max_connections"):
            info["max_connections"] = int(self.webhook["max_connections"])
        return self._ok(info)

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        path = request.match_info["path"]
        with self._lock:
            self.downloads.append(path)
        for stored_path, content, _ in self._files.values():
            if stored_path == path:
                return web.Response(body=content, content_type="application/octet-stream")
        return self._error(404, "Not Found")

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        return app
