"""A local stand-in for WeChat's Official Account API, speaking the parts our channel uses.

The API side (under /cgi-bin/): token (client_credential), message/custom/send (customer-service
messages), message/template/send, media/get (temporary media) and menu/create, answering like
WeChat (`{"errcode": 0, ...}` or an errcode with errmsg). Tests can expire or revoke the access
token (42001 / 40001 on the next call), fail a media download (40007), or put a follower outside
the 48-hour window (45015). It also plays WeChat's part on the other side: builds callback XML
and POSTs it to our server signed with the token (signature, timestamp, nonce), plain or in safe
mode (AES, msg_signature).

    with WeChatStandIn() as wechat:
        media_id = wechat.add_media(amr_bytes, "audio/amr")
        wechat.post(callback_url, wechat.voice(OPEN_ID, media_id), encrypted=True)
        assert wechat.texts_to(OPEN_ID)[0] == "..."
"""
from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List

import requests
from aiohttp import web

from bot.wechat.callback import encrypt_reply, signature
from tests.standins.server import StandInServer

APP_ID = "wx0123456789abcdef"
APP_SECRET = "standin-app-secret-0123456789abcdef"
TOKEN = "standinCallbackToken0123"
# 43 characters of base64 without its "=": WeChat's EncodingAESKey.
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ACCOUNT = "gh_standin0000"

EXPIRED, REVOKED, INVALID_MEDIA, OUTSIDE_WINDOW = 42001, 40001, 40007, 45015


def cdata(value: Any) -> str:
    text = str(value)
    if isinstance(value, int):
        return text
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def xml_of(fields: Dict[str, Any]) -> str:
    return "<xml>" + "".join(f"<{name}>{cdata(value)}</{name}>"
                             for name, value in fields.items()) + "</xml>"


@dataclass
class WeChatStandIn(StandInServer):
    standin_name = "WeChat stand-in"
    app_id: str = APP_ID
    app_secret: str = APP_SECRET
    token: str = TOKEN
    aes_key: str = AES_KEY
    token_fetches: int = 0
    sent: List[Dict[str, Any]] = field(default_factory=list)  # customer-service messages
    templates: List[Dict[str, Any]] = field(default_factory=list)
    menus: List[Dict[str, Any]] = field(default_factory=list)
    downloads: List[str] = field(default_factory=list)
    refused: List[int] = field(default_factory=list)  # errcodes answered, in order
    outside_window: set = field(default_factory=set)  # open ids past the 48-hour window
    failing_media: set = field(default_factory=set)
    _tokens: Dict[str, int] = field(default_factory=dict)  # token -> errcode when refused (0 ok)
    _media: Dict[str, tuple] = field(default_factory=dict)
    _msg_ids: Any = field(default_factory=lambda: itertools.count(int(time.time()) * 1000))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- what tests arrange ---------------------------------------------------------------------

    def add_media(self, content: bytes, content_type: str) -> str:
        media_id = "media-" + secrets.token_hex(8)
        with self._lock:
            self._media[media_id] = (content, content_type)
        return media_id

    def expire_token(self, errcode: int = EXPIRED) -> None:
        """Every token issued so far is refused with `errcode` (42001 expired, 40001 revoked)."""
        with self._lock:
            for token in self._tokens:
                self._tokens[token] = errcode

    def reset(self) -> None:
        """Forget what was sent and arranged (a module-scoped stand-in between tests)."""
        with self._lock:
            for recorded in (self.sent, self.templates, self.menus, self.downloads,
                             self.refused):
                recorded.clear()
            self.outside_window.clear()
            self.failing_media.clear()
            self._tokens.clear()
            self.token_fetches = 0

    # --- what tests read ------------------------------------------------------------------------

    def texts_to(self, open_id: str) -> List[str]:
        with self._lock:
            return [m["text"]["content"] for m in self.sent
                    if m.get("touser") == open_id and m.get("msgtype") == "text"]

    def templates_to(self, open_id: str) -> List[Dict[str, Any]]:
        with self._lock:
            return [m for m in self.templates if m.get("touser") == open_id]

    def wait_for_texts(self, open_id: str, count: int, timeout: float = 120.0) -> List[str]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            texts = self.texts_to(open_id)
            if len(texts) >= count:
                while True:  # the rest of the turn's messages: until none came for a second
                    time.sleep(1.0)
                    settled = self.texts_to(open_id)
                    if len(settled) == len(texts):
                        return settled
                    texts = settled
            time.sleep(0.1)
        raise AssertionError(f"{count} messages to {open_id} expected, got "
                             f"{self.texts_to(open_id)}")

    # --- WeChat's side of a callback ------------------------------------------------------------

    def message(self, open_id: str, msg_type: str, msg_id: int | None = None,
                **fields: Any) -> Dict[str, Any]:
        body: Dict[str, Any] = {"ToUserName": ACCOUNT, "FromUserName": open_id,
                                "CreateTime": int(time.time()), "MsgType": msg_type, **fields}
        if msg_type != "event":
            body["MsgId"] = msg_id if msg_id is not None else next(self._msg_ids)
        return body

    def text(self, open_id: str, content: str, **kwargs: Any) -> Dict[str, Any]:
        return self.message(open_id, "text", Content=content, **kwargs)

    def voice(self, open_id: str, media_id: str, fmt: str = "amr", **kwargs: Any) -> Dict[str, Any]:
        return self.message(open_id, "voice", MediaId=media_id, Format=fmt, **kwargs)

    def image(self, open_id: str, media_id: str, **kwargs: Any) -> Dict[str, Any]:
        return self.message(open_id, "image", PicUrl=f"http://mmbiz.example/{media_id}",
                            MediaId=media_id, **kwargs)

    def location(self, open_id: str, lat: float, lon: float, label: str = "",
                 **kwargs: Any) -> Dict[str, Any]:
        return self.message(open_id, "location", Location_X=lat, Location_Y=lon, Scale=15,
                            Label=label, **kwargs)

    def event(self, open_id: str, event: str, key: str = "") -> Dict[str, Any]:
        return self.message(open_id, "event", Event=event, EventKey=key)

    def signed_query(self, *, timestamp: int | None = None, nonce: str | None = None,
                     encrypted: bool = False, encrypt: str = "") -> Dict[str, str]:
        timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(8)
        query = {"signature": signature(self.token, timestamp_text, nonce),
                 "timestamp": timestamp_text, "nonce": nonce, "openid": "ignored"}
        if encrypted:
            query.update(encrypt_type="aes",
                         msg_signature=signature(self.token, timestamp_text, nonce, encrypt))
        return query

    def sealed(self, fields: Dict[str, Any], *, timestamp: int | None = None,
               nonce: str | None = None, encrypted: bool = False) -> tuple:
        """(query, body) as WeChat would POST them."""
        timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(8)
        body = xml_of(fields) if isinstance(fields, dict) else str(fields)
        if not encrypted:
            return self.signed_query(timestamp=int(timestamp_text), nonce=nonce), body
        envelope = encrypt_reply(body, token=self.token, aes_key=self.aes_key,
                                 app_id=self.app_id, nonce=nonce, timestamp=timestamp_text)
        from bot.wechat.callback import read_xml

        encrypt = read_xml(envelope)["Encrypt"]
        query = self.signed_query(timestamp=int(timestamp_text), nonce=nonce, encrypted=True,
                                  encrypt=encrypt)
        return query, f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName>" \
                      f"<Encrypt>{cdata(encrypt)}</Encrypt></xml>"

    def post(self, url: str, fields: Dict[str, Any] | str, *, encrypted: bool = False,
             timestamp: int | None = None, nonce: str | None = None,
             timeout: float = 30) -> requests.Response:
        """POST a callback to our server as WeChat does (signed; sealed in safe mode)."""
        query, body = self.sealed(fields, timestamp=timestamp, nonce=nonce, encrypted=encrypted)
        return requests.post(url, params=query, data=body.encode("utf-8"),
                             headers={"Content-Type": "text/xml"}, timeout=timeout)

    # --- the API --------------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        app.router.add_post("/cgi-bin/message/template/send", self._template_send)
        app.router.add_get("/cgi-bin/media/get", self._media_get)
        app.router.add_post("/cgi-bin/menu/create", self._menu_create)
        return app

    @staticmethod
    def _error(errcode: int, errmsg: str) -> web.Response:
        return web.json_response({"errcode": errcode, "errmsg": errmsg})

    def _check_token(self, request: web.Request) -> web.Response | None:
        token = request.query.get("access_token", "")
        with self._lock:
            state = self._tokens.get(token)
            if state is None:
                self.refused.append(40001)
                return self._error(40001, "invalid credential, access_token is invalid")
            if state:
                self.refused.append(state)
                return self._error(state, "access_token expired" if state == EXPIRED
                                   else "invalid credential")
        return None

    async def _token(self, request: web.Request) -> web.Response:
        query = request.query
        if (query.get("grant_type") != "client_credential" or query.get("appid") != self.app_id
                or query.get("secret") != self.app_secret):
            return self._error(40125, "invalid appsecret")
        token = "ACCESS_" + secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = 0
            self.token_fetches += 1
        return web.json_response({"access_token": token, "expires_in": 7200})

    async def _custom_send(self, request: web.Request) -> web.Response:
        refused = self._check_token(request)
        if refused is not None:
            return refused
        body = json.loads(await request.read())
        with self._lock:
            if body.get("touser") in self.outside_window:
                self.refused.append(OUTSIDE_WINDOW)
                return self._error(OUTSIDE_WINDOW, "response out of time limit or subscription "
                                   "is canceled")
            self.sent.append(body)
        return self._error(0, "ok")

    async def _template_send(self, request: web.Request) -> web.Response:
        refused = self._check_token(request)
        if refused is not None:
            return refused
        body = json.loads(await request.read())
        if not body.get("template_id"):
            return self._error(40037, "invalid template_id")
        with self._lock:
            self.templates.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": next(self._msg_ids)})

    async def _media_get(self, request: web.Request) -> web.Response:
        refused = self._check_token(request)
        if refused is not None:
            return refused
        media_id = request.query.get("media_id", "")
        with self._lock:
            self.downloads.append(media_id)
            found = self._media.get(media_id)
            failing = media_id in self.failing_media
        if found is None or failing:
            return self._error(INVALID_MEDIA, "invalid media_id")
        content, content_type = found
        return web.Response(body=content, content_type=content_type, headers={
            "Content-Disposition": f'attachment; filename="{media_id}"'})

    async def _menu_create(self, request: web.Request) -> web.Response:
        refused = self._check_token(request)
        if refused is not None:
            return refused
        with self._lock:
            self.menus.append(json.loads(await request.read()))
        return self._error(0, "ok")
