"""Web chat channel: serves the browser chat page and a checked REST-style webhook."""
from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, Union
from urllib.parse import unquote

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from channels.conversation import Conversation, read_conversation, read_tracker
from channels.media import receive_media_file, upload_target
from channels.pages import (
    FALLBACK_METHODS,
    add_page_routes,
    json_error,
    method_not_allowed,
    page_headers,
    security_headers,
)
from rasa_server.turns import RETRY_AFTER_SECONDS, reply_language, try_again_text, watch_turn

logger = logging.getLogger(__name__)

# Only these files are ever served; the name from the URL is a key, never a path.
STATIC_FILES: Dict[str, str] = {
    "webchat.js": "application/javascript; charset=utf-8",
    "webchat.css": "text/css; charset=utf-8",
}
PAGE_FILE = "webchat.html"

# The browser makes ids like "web-<32 hex>"; the charset keeps ids safe in logs, URLs and SQL.
# Conversations of the messaging and phone channels ("tg-…", "sms-…", "wa-…", "call-…", "wx-…")
# share the tracker store: the web chat may never speak for one of them.
SENDER_ID_PATTERN = re.compile(r"(?!(?:tg|sms|wa|call|wx)-)[A-Za-z0-9_-]{1,64}", re.IGNORECASE)

# A BCP 47 language tag as browsers report it (navigator.language): "zh-CN", "en", "zh-Hant-TW".
LOCALE_PATTERN = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,4}")

DEFAULT_MAX_MESSAGE_CHARS = 2000
# Far above any legal message, far below what would let one request eat the server's memory.
MAX_BODY_BYTES = 64 * 1024

# An acknowledgement names at most a poll's worth of message ids (bot.outbox.delivery.MAX_ACK_IDS).
MAX_ACK_BODY_BYTES = 4 * 1024
# How long a collected message is kept from other polls before it is handed out again unless
# the page acknowledged it (bot.outbox.delivery.POLL_LEASE); credentials.yml may set another.
DEFAULT_OUTBOX_LEASE_SECONDS = 15.0

SECURITY_HEADERS = security_headers("no-cache")
PAGE_HEADERS = page_headers(SECURITY_HEADERS)


def _max_message_chars_from_settings() -> int:
    try:
        from bot.settings import get_settings
    except ImportError:  # the core is optional for the channel's own tests
        return DEFAULT_MAX_MESSAGE_CHARS
    return get_settings().max_message_chars


def _error(status: int, code: str, message: str, **extra: Any) -> HTTPResponse:
    return json_error(status, code, message, **extra)


SENDER_RULE = "'sender' must be a string of 1-64 letters, digits, '-' or '_'."

# What a route that names a conversation finds it with: the sender, or the 4xx to answer.
SenderOf = Callable[[Request], Awaitable[Union[str, HTTPResponse]]]


async def _sender_in_query(request: Request) -> Union[str, HTTPResponse]:
    """?sender= of a GET or of a raw upload."""
    sender = request.args.get("sender", "")
    if not SENDER_ID_PATTERN.fullmatch(sender):
        return _error(400, "invalid_sender", SENDER_RULE)
    return sender


def _sender_in_body(max_bytes: int, *, audit_oversized: bool = False) -> SenderOf:
    """The "sender" of a JSON object body of at most `max_bytes`; the parsed body is left in
    request.ctx.webchat_body for the handler. `audit_oversized`: a larger body is audited (no
    page sends one)."""

    async def sender_of(request: Request) -> Union[str, HTTPResponse]:
        if len(request.body or b"") > max_bytes:
            if audit_oversized:
                await _audit_refused_ack(request, None, "body_too_large")
            return _error(413, "body_too_large", f"Request body over {max_bytes} bytes.")
        try:
            body = json.loads(request.body or b"")
        except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting too
            body = None
        if not isinstance(body, dict):
            return _error(400, "invalid_json", "Body must be a JSON object.")
        sender = body.get("sender")
        if not isinstance(sender, str) or not SENDER_ID_PATTERN.fullmatch(sender):
            return _error(400, "invalid_sender", SENDER_RULE)
        request.ctx.webchat_body = body
        return sender

    return sender_of


def names_sender(sender_of: SenderOf) -> Callable[[Callable[..., Awaitable[Any]]],
                                                  Callable[..., Awaitable[Any]]]:
    """A route that names a conversation: `sender_of` finds the sender (or answers 400/413),
    then the request must carry that sender's session token (X-Chat-Session, issued by POST
    /session: bot/webchat_session.py), else 401 before anything is done or stored. The handler
    is called as handler(self, request, sender, on_new_message)."""

    def decorate(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(handler)
        async def checked(self: Any, request: Request, on_new_message: Any = None) -> Any:
            from bot.webchat_session import SESSION_HEADER, session_valid

            sender = await sender_of(request)
            if isinstance(sender, HTTPResponse):
                return sender
            if not session_valid(sender, request.headers.get(SESSION_HEADER, "")):
                # Not audited: a stranger's request names no conversation of theirs.
                return _error(401, "invalid_session",
                              f"This conversation needs its session token in {SESSION_HEADER}; "
                              "POST session starts a new conversation.")
            return await handler(self, request, sender, on_new_message)

        return checked

    return decorate


async def _audit_refused_ack(request: Request, sender: str | None, code: str) -> None:
    from bot.outbox.delivery import record_refused_ack

    try:
        await asyncio.to_thread(record_refused_ack, sender, code,
                                request.remote_addr or request.ip)
    except Exception:  # the refusal stands without its audit entry
        logger.exception("webchat: auditing a refused acknowledgement failed")


def _no_store(body: Any) -> HTTPResponse:
    """A JSON answer no cache may keep (it names the conversation's contents)."""
    return response.json(body, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


def _ack_ids(body: Dict[str, Any]) -> list[int] | HTTPResponse:
    """The message ids of an acknowledgement, or the 4xx that says what is wrong."""
    from bot.outbox.delivery import MAX_ACK_IDS

    ids = body.get("ids")
    if not isinstance(ids, list) or not all(type(i) is int and 0 < i < 2 ** 63 for i in ids):
        return _error(400, "invalid_ids", "'ids' must be a list of message ids.")
    if len(ids) > MAX_ACK_IDS:
        return _error(413, "too_many_ids", f"At most {MAX_ACK_IDS} ids at once.")
    return ids


class WebChatInput(RestInput):
    """The REST channel's contract, plus the chat page and checks on what comes in."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(max_message_chars=credentials.get("max_message_chars"),
                   outbox_lease_seconds=credentials.get("outbox_lease_seconds"))

    def __init__(self, max_message_chars: int | None = None,
                 outbox_lease_seconds: float | None = None) -> None:
        self.max_message_chars = int(max_message_chars or _max_message_chars_from_settings())
        self.outbox_lease = timedelta(seconds=float(
            DEFAULT_OUTBOX_LEASE_SECONDS if outbox_lease_seconds is None
            else outbox_lease_seconds))

    def _check_message(self, body: Dict[str, Any]) -> Union[Dict[str, Any], HTTPResponse]:
        """The message body (sender and session already checked) made ready to handle, or the
        400 that explains what is wrong. An empty message (nothing but spaces) and one longer
        than a message may be (within the body's hard limit) are flagged: the customer gets a
        reply in their language (receive), the message is not handled."""
        message = body.get("message")
        if not isinstance(message, str):
            return _error(400, "invalid_message", "'message' must be a string.")
        metadata = body.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            return _error(400, "invalid_metadata", "'metadata' must be a JSON object.")
        from bot.language import clean_text
        from channels.customer_text import customer_text

        body["message"] = message = customer_text(clean_text(message))
        body["empty"] = not message.strip()
        body["too_long"] = len(message) > self.max_message_chars
        # Only what the page itself sends is kept: anything else would be stored with every
        # message (a 60 KB blob a turn fills a disk) and reach agents' transcripts.
        locale = (metadata or {}).get("locale")
        body["metadata"] = ({"locale": locale}
                            if isinstance(locale, str) and LOCALE_PATTERN.fullmatch(locale)
                            else {})
        return body

    # The routes under /webhooks/webchat: path, method, and the handler method that answers
    # (every handler takes the request and Rasa's on_new_message; those that name a
    # conversation are @names_sender and check its session token first).
    ROUTES = (
        ("/health", "GET", "health"),
        ("/session", "POST", "session"),
        ("/messages", "GET", "messages"),
        ("/messages/ack", "POST", "acknowledge"),
        ("/documents", "GET", "documents"),
        ("/upload", "POST", "upload"),
        ("/voice", "POST", "voice"),
        ("/webhook", "POST", "receive"),
        ("/login", "POST", "login"),
        ("/history", "GET", "history"),
        ("/end", "POST", "end"),
    )

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webchat = Blueprint(f"webchat_{type(self).__name__}")
        add_page_routes(webchat, PAGE_FILE, STATIC_FILES, security=SECURITY_HEADERS,
                        page=PAGE_HEADERS)
        for uri, method, name in self.ROUTES:
            handler = getattr(self, name)

            async def route(request: Request, _handler: Any = handler) -> Any:
                return await _handler(request, on_new_message)

            webchat.add_route(route, uri, methods=[method], name=name)
            # Any other method: 405 in JSON like every answer here (not Sanic's HTML page).
            webchat.add_route(method_not_allowed(method), uri,
                              methods=[m for m in FALLBACK_METHODS if m != method],
                              name=f"{name}_not_allowed")
        return webchat

    # -- handlers --------------------------------------------------------------------------------

    async def health(self, request: Request, on_new_message: Any = None) -> HTTPResponse:
        return response.json({"status": "ok"})

    async def session(self, request: Request, on_new_message: Any = None) -> HTTPResponse:
        """A new conversation: {"sender": "web-<32 hex>", "token": ...}. Every other route that
        names the sender wants the token in X-Chat-Session (bot/webchat_session.py). Nothing is
        stored, so the route is not rate-limited: a session only opens an empty conversation,
        and what a stranger could try in one (the identity check) is throttled there."""
        from bot.webchat_session import new_session

        sender, token = new_session()
        return response.json({"sender": sender, "token": token},
                             headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})

    @names_sender(_sender_in_query)
    async def messages(self, request: Request, sender: str,
                       on_new_message: Any = None) -> HTTPResponse:
        """Messages written outside the customer's turn (an agent's words, the bot's greeting
        after a hand-back, proactive notices), each handed out once."""
        try:
            from bot.outbox.delivery import collect_messages

            taken = await asyncio.to_thread(collect_messages, sender, lease=self.outbox_lease)
        except Exception:
            logger.exception("webchat: collecting messages for %s failed", sender)
            return _error(503, "unavailable", "Messages cannot be collected right now.")
        return _no_store([{"id": m.id, "kind": m.kind, "text": m.text} for m in taken])

    @names_sender(_sender_in_body(MAX_ACK_BODY_BYTES, audit_oversized=True))
    async def acknowledge(self, request: Request, sender: str,
                          on_new_message: Any = None) -> HTTPResponse:
        """The page showed these messages ({"sender", "ids"}): they are delivered. Until then a
        collected message stays pending and is handed out again after its lease, so a poll
        whose response is lost loses nothing."""
        from bot.outbox.delivery import acknowledge_messages

        ids = _ack_ids(request.ctx.webchat_body)
        if isinstance(ids, HTTPResponse):
            if ids.status == 413:  # no page sends more than a poll's worth
                await _audit_refused_ack(request, sender, "too_many_ids")
            return ids
        try:
            done = await asyncio.to_thread(acknowledge_messages, sender, ids,
                                           remote=request.remote_addr or request.ip)
        except Exception:
            logger.exception("webchat: acknowledging messages for %s failed", sender)
            return _error(503, "unavailable", "Messages cannot be acknowledged right now.")
        return _no_store({"acknowledged": done})

    # The session is checked before the link is spent: a refused page tries again in a new one.
    @names_sender(_sender_in_body(MAX_ACK_BODY_BYTES))
    async def login(self, request: Request, sender: str,
                    on_new_message: Any = None) -> HTTPResponse:
        """The page opened from an SMS receipt's one-time link ({"sender", "token",
        "metadata"}): the token is spent (bot.login_links) and this conversation is verified
        for the claim, as the identity check would leave it. A used, expired or unknown token is
        answered alike (403) with the words to show."""
        from bot.login_links import TOKEN_PATTERN, redeem
        from bot.replies import say

        body = request.ctx.webchat_body
        token = body.get("token")
        locale = str((body.get("metadata") or {}).get("locale") or "") \
            if isinstance(body.get("metadata"), dict) else ""
        lang = "en" if locale.lower().startswith("en") else "zh"
        granted = None
        if isinstance(token, str) and TOKEN_PATTERN.fullmatch(token):
            try:
                granted = await asyncio.to_thread(redeem, token, sender)
            except Exception:
                logger.exception("webchat: redeeming a login link for %s failed", sender)
                return _error(503, "unavailable", "Try the link again in a minute.")
        if granted is None:
            return _error(403, "link_refused", "The link is used, expired or unknown.",
                          text=say("webchat_link_refused", lang))
        text = say("webchat_link_login", granted.language, claim_number=granted.claim_number)
        try:
            await _log_in(request.app.ctx.agent, sender, granted, text)
        except Exception:
            logger.exception("webchat: logging %s in from a link failed", sender)
            return _error(503, "unavailable", "Try the link again in a minute.")
        return _no_store({"text": text, "claim_number": granted.claim_number,
                          "language": granted.language})

    @names_sender(_sender_in_query)
    async def history(self, request: Request, sender: str,
                      on_new_message: Any = None) -> HTTPResponse:
        """What the customer was shown and said in this conversation's current session, oldest
        first, for a page that opens again on it (bot.webchat_conversation.visible_history):
        {"messages": [{"from": "customer"|"bot"|"agent", "text", "buttons"?}], "truncated"}."""
        from bot.webchat_conversation import visible_history

        try:
            tracker = await read_tracker(request.app, sender)
        except Exception:
            logger.exception("webchat: reading the history of %s failed", sender)
            return _error(503, "unavailable", "The conversation cannot be read right now.")
        return _no_store(visible_history(tracker.events if tracker is not None else ()).as_json())

    @names_sender(_sender_in_body(MAX_ACK_BODY_BYTES))
    async def end(self, request: Request, sender: str,
                  on_new_message: Any = None) -> HTTPResponse:
        """"结束对话 / End chat": the conversation is restarted as Rasa's restart does (every
        slot cleared, so the verified identity is gone: whoever speaks in it again is asked who
        they are), a request for a person not yet taken is withdrawn, and the end is audited
        (bot.webchat_conversation.record_end). The page then asks for a new session."""
        from bot.webchat_conversation import record_end

        try:
            ended = await _restart(request.app.ctx.agent, sender)
        except Exception:
            logger.exception("webchat: ending the conversation of %s failed", sender)
            return _error(503, "unavailable", "The chat cannot be ended right now; try again.")
        if ended:  # nothing to record for a conversation that never started
            try:
                await asyncio.to_thread(record_end, sender)
            except Exception:  # the identity is gone already; the bookkeeping is logged
                logger.exception("webchat: recording the end of %s failed", sender)
        return _no_store({"ended": True})

    @names_sender(_sender_in_query)
    async def documents(self, request: Request, sender: str,
                        on_new_message: Any = None) -> HTTPResponse:
        """The documents the claim in focus still waits for (the claim "还缺什么材料？" is about,
        bot.access.upload_target_for), to pick one to send; `heading` names the claim."""
        conversation = await read_conversation(request.app, sender)
        lang = conversation.lang()
        from bot.replies import say

        target = await upload_target(sender, conversation.viewer)
        if target is None:
            return response.json({"claim_number": None, "documents": [],
                                  "message": conversation.in_script(say("upload_no_claim",
                                                                        lang))})
        if not target.takes_documents:
            return response.json({"claim_number": target.claim_number, "documents": [],
                                  "message": conversation.in_script(say(
                                      "upload_nothing_for_claim", lang,
                                      claim_number=target.claim_number))})
        return response.json({
            "claim_number": target.claim_number,
            "heading": conversation.in_script(say("documents_for_claim", lang,
                                                  claim_number=target.claim_number)),
            "documents": [{"code": item.code, "name": conversation.in_script(item.name(lang))}
                          for item in target.documents],
        })

    @names_sender(_sender_in_query)
    async def upload(self, request: Request, sender: str,
                     on_new_message: Any = None) -> HTTPResponse:
        """One photo or PDF for the claim in focus, the one the documents list is for (raw body;
        X-Filename names it, ?document= the item the page's picker chose) through
        channels.media; the reply says what was received and what is still missing, as the bot
        would."""
        from bot.language import clean_text

        conversation = await read_conversation(request.app, sender)
        filename = clean_text(unquote(request.headers.get("X-Filename", "upload")))[:200]

        async def fetch() -> bytes:  # channels.media's adapter: the request's body
            return request.body or b""

        reply = await receive_media_file(
            sender, conversation.viewer, conversation.lang(), fetch, filename,
            request.content_type, document_code=request.args.get("document") or None,
            channel="webchat")
        return response.json([{"recipient_id": sender, "text": conversation.in_script(reply.text)}])

    @names_sender(_sender_in_query)
    async def voice(self, request: Request, sender: str,
                    on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        """A voice note (raw audio body: webm/ogg/mp3/wav...): recognised on this machine, shown
        back ("I heard: …") and, when understood, handled as typed text
        (channels/webchat_voice.py, through channels.media)."""
        from channels.webchat_voice import handle_voice_note

        return await handle_voice_note(request, sender, on_new_message, self.name())

    async def _own_reply(self, request: Request, sender: str, key: str, text: str,
                         locale: str | None, **fields: Any) -> str:
        """The channel's own reply `key` to a message it does not hand to the bot (too long,
        empty), in the conversation's language and script, else the ones the message is
        written in, else the page's locale (rasa_server.turns.reply_language)."""
        from bot.language import detect_script, in_script
        from bot.replies import say

        try:
            conversation = await read_conversation(request.app, sender)
        except Exception:  # the tracker store is down: the words still tell the language
            logger.exception("webchat: reading the conversation of %s failed", sender)
            conversation = Conversation()
        start = text[:self.max_message_chars]
        lang = reply_language(start, locale, conversation.language)
        return in_script(say(key, lang, **fields), conversation.script or detect_script(start))

    @names_sender(_sender_in_body(MAX_BODY_BYTES))
    async def receive(
        self, request: Request, sender: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Union[ResponseStream, HTTPResponse]:
        """A typed message (or a pressed button): Rasa's answer, or a stream of it. An empty
        message, or one too long, is answered by the channel (HTTP 200, like any reply) and
        neither handled nor stored."""
        body = self._check_message(request.ctx.webchat_body)
        if isinstance(body, HTTPResponse):
            return body
        sender_id = sender
        text: str = body["message"]
        locale = body["metadata"].get("locale")
        if body["empty"] or body["too_long"]:
            key, fields = (("no_text", {}) if body["empty"] else
                           ("message_too_long_parts", {"limit": self.max_message_chars}))
            return response.json([{"recipient_id": sender_id, "text": await self._own_reply(
                request, sender_id, key, text, locale, **fields)}])
        # The identity check also counts wrong answers per client address: the server's view
        # of the peer (the proxy's, when Sanic is told to trust one), never the page's.
        metadata = {**(body.get("metadata") or {}),
                    "client_address": request.remote_addr or request.ip}
        input_channel = self.name()

        if request.args.get("stream", "").lower() == "true":
            return response.stream(
                self.stream_response(on_new_message, text, sender_id, input_channel, metadata),
                content_type="text/event-stream",
            )

        collector = CollectingOutputChannel()
        with watch_turn(sender_id) as turn:
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender_id,
                        input_channel=input_channel,
                        metadata=metadata,
                    )
                )
            except (Exception, asyncio.CancelledError):
                logger.exception("webchat: handling the message from %s failed", sender_id)
                # Whatever the bot already said still goes out; with nothing to show, the page
                # must learn that something broke rather than wait for a reply forever.
                if not collector.messages and not turn.failed:
                    return _error(
                        500,
                        "processing_failed",
                        "The assistant could not handle this message.",
                    )
        if turn.failed:
            # The action server, tracker store or lock store was down: nothing of this turn was
            # stored (rasa_server/turns.py), so the customer can simply send it again.
            logger.warning("webchat: turn of %s refused (%s)", sender_id, turn.failure)
            locale = (metadata or {}).get("locale")
            return response.json(
                [{"recipient_id": sender_id, "text": try_again_text(text, locale)}],
                status=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return response.json(collector.messages)


async def _log_in(agent: Any, sender: str, granted: Any, text: str) -> None:
    """Leave the conversation as a passed identity check leaves it (the slots of
    actions/identity.py), for the claim the link was for, with the words the page shows."""
    from rasa.shared.core.events import BotUttered, SlotSet

    slots = {"verified": True, "verification_answer": "verified",
             "customer_id": granted.customer_id, "customer_name": granted.customer_name,
             "policy_number": granted.policy_number, "claim_number": granted.claim_number,
             "last_claim_number": granted.claim_number, "language": granted.language}
    async with agent.lock_store.lock(sender):
        tracker = await agent.processor.fetch_tracker_and_update_session(
            sender, CollectingOutputChannel())
        for name, value in slots.items():
            tracker.update(SlotSet(name, value))
        tracker.update(BotUttered(text))
        await agent.tracker_store.save(tracker)


async def _restart(agent: Any, sender: str) -> bool:
    """Restart conversation `sender` as Rasa's /restart does (action_restart, then Restarted:
    every slot back to its initial value, the verified identity with them); False when it has no
    tracker yet (nothing to end, nothing stored)."""
    from rasa.shared.core.constants import ACTION_RESTART_NAME
    from rasa.shared.core.events import ActionExecuted, Restarted

    async with agent.lock_store.lock(sender):
        tracker = await agent.tracker_store.retrieve(sender)
        if tracker is None:
            return False
        tracker.update(ActionExecuted(ACTION_RESTART_NAME))
        tracker.update(Restarted())
        await agent.tracker_store.save(tracker)
    return True
