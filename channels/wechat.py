"""WeChat Official Account (公众号) channel: the server URL WeChat calls with every message and
event, answered through the customer-service message API; notices and agents' words go through
the outbox sender in bot/wechat/outgoing.py.

    GET  /webhooks/wechat/webhook   the server-URL check: echostr, when signed by our token
    POST /webhooks/wechat/webhook   a message or event (XML), plain or in safe mode (AES)

- Every callback's signature (token, timestamp, nonce) is checked; a stale timestamp, a nonce
  seen before, a forged signature or msg_signature is refused (403) and nothing happens; the XML
  is read by a hardened parser (no DTD, entities or external references: 400). See
  bot/wechat/callback.py. A nonce seen before on a message already received is WeChat's retry
  repeating its query string: answered "success", not handled again. The server-URL check (GET)
  refuses a nonce seen before too (WeChat signs each 提交 afresh).
- A delivery WeChat repeats (same follower and MsgId, or for events the follower and creation
  time) is handled once (bot.inbound). WeChat waits 5 seconds, then retries: the callback is
  answered "success" as soon as the turn is done or after `answer_within_seconds` (4),
  whichever comes first, and every answer goes through the customer-service message API, so a
  slow voice note is never answered twice and never makes WeChat tell the follower the
  account is broken.
- `unsubscribe` closes the channel for notices (bot.outbox.windows.close_channel: the sender
  raises ChannelCannotDeliver, so the outbox texts the phone on file); `subscribe` reopens it.
- Text; voice (AMR, or speex when WeChat delivers it; decoded and recognised on this machine by
  bot.speech through channels/media.py, shown back as "I heard: …"); photos (stored against the
  claim by channels/media.py; WeChat photos have no caption, so a numbered list asks which
  document it is); a location (the report form's place); menu clicks (bot/wechat/menu.yml) and
  subscribing (the greeting). Anything else is answered with what we can read.
- The bot's buttons become numbered choices (channels.twilio's rendering, shared with SMS) and
  a reply of the number picks the button.

Logs carry message ids and masked open ids ("wx-****abcd"), never what a customer wrote.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.language import PICKED_CHOICE, clean_text
from bot.outbox.senders import register_sender
from bot.replies import say
from bot.settings import get_settings
from bot.wechat import callback as wx
from bot.wechat.api import SharedTokenClient, WeChatError, call
from bot.wechat.config import click_payload
from bot.wechat.outgoing import (
    CHANNEL,
    WeChatNoticeSender,
    conversation_id,
    masked,
    send_text,
)
from channels.conversation import Conversation, read_conversation
from channels.customer_text import customer_text
from channels.deliveries import Deliveries
from channels.locations import location_text
from channels.media import (
    SPEECH_TOO_LARGE,
    Refused,
    hear_voice_note,
    receive_media_file,
    upload_too_large,
)
from channels.twilio import chosen_number, numbered, render_bot_message
from rasa_server.turns import watch_turn

logger = logging.getLogger(__name__)

DEFAULT_ANSWER_WITHIN_S = 4.0  # WeChat gives up after 5 seconds and retries
SUCCESS = "success"  # what WeChat expects when the answer comes another way
NONCE_RECEIPTS = "wechat-nonce"
ECHO_NONCE_RECEIPTS = "wechat-echo-nonce"
CHOICE_TTL_S = 30 * 60.0
_OPEN_ID = re.compile(r"[A-Za-z0-9_-]{6,64}")
# A payload sent on as it is: Rasa's "/intent", nothing more (no entities).
_INTENT_PAYLOAD = re.compile(r"/[A-Za-z_][A-Za-z0-9_]{0,63}")
MEDIA_FAILED = "wechat_media_failed"
UNSUPPORTED = "wechat_unsupported"


@dataclass
class _FileChoice:
    """A photo stored for a claim that waits for "which document is it?" (a numbered list)."""

    claim_number: str
    sha256: str
    items: Tuple[Any, ...]
    at: float = field(default_factory=time.time)


@dataclass
class _Turn:
    app: Any
    on_new_message: Callable[[UserMessage], Awaitable[Any]]
    callback: wx.Callback
    open_id: str
    conversation: Conversation | None = None

    @property
    def sender(self) -> str:
        return conversation_id(self.open_id)

    @property
    def metadata(self) -> Dict[str, Any]:
        return {"wechat": {"msg_id": self.callback.fields.get("MsgId"),
                           "msg_type": self.callback.fields.get("MsgType")}}


class WeChatInput(InputChannel):
    """The WeChat callback; see the module's docstring."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        # Secrets come from the environment (bot.settings), never from credentials.yml.
        credentials = credentials or {}
        return cls(answer_within_s=credentials.get("answer_within_seconds"))

    def __init__(self, answer_within_s: float | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        settings = get_settings()
        self.token = settings.wechat_token
        self.aes_key = settings.wechat_encoding_aes_key
        self.app_id = settings.wechat_app_id
        self.secret = settings.wechat_app_secret
        self.api_base = settings.wechat_api_base
        self.answer_within_s = float(answer_within_s or DEFAULT_ANSWER_WITHIN_S)
        self.clock = clock
        self._deliveries = Deliveries(CHANNEL, self.answer_within_s)
        self._choices: Dict[str, _FileChoice] = {}

    @property
    def configured(self) -> bool:
        return bool(self.token and self.app_id and self.secret)

    def client(self) -> SharedTokenClient:
        return SharedTokenClient(self.app_id, self.secret, api_base=self.api_base)

    def get_output_channel(self) -> None:
        # Outside a turn everything goes through the outbox (retried, recorded, SMS fallback).
        return None

    # -- the callback ----------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        wechat = Blueprint(f"wechat_{type(self).__name__}")
        if self.configured:
            register_sender(CHANNEL, WeChatNoticeSender(self.client))
        elif self.token or self.app_id or self.secret:
            logger.warning("wechat: set WECHAT_TOKEN, WECHAT_APP_ID and WECHAT_APP_SECRET; the "
                           "callback answers 503 until then")

        @wechat.listener("before_server_stop")
        async def finish(app: Any, loop: Any) -> None:
            await self._deliveries.wait_idle(5)

        @wechat.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.configured})

        @wechat.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self.configured:
                return response.text("not configured", status=503)
            from bot.inbound import first_receipt

            try:
                echostr = await asyncio.to_thread(
                    wx.echo, _args(request), token=self.token, now=self.clock(),
                    first_nonce=lambda key: first_receipt(ECHO_NONCE_RECEIPTS, key))
            except wx.Rejected as rejected:
                logger.warning("wechat: server-URL check refused: %s", rejected.reason)
                return response.text(rejected.reason, status=rejected.status)
            return response.text(echostr)

        @wechat.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, on_new_message)

        return wechat

    async def receive(self, request: Request,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        if not self.configured:
            return response.text("not configured", status=503)
        from bot.inbound import CLAIMED, DONE, claim_receipt, first_receipt, received

        def first_nonce(key: str) -> bool:
            return first_receipt(NONCE_RECEIPTS, key)

        try:
            opened = await asyncio.to_thread(
                wx.open_callback, _args(request), request.body or b"", token=self.token,
                aes_key=self.aes_key, app_id=self.app_id, now=self.clock(),
                first_nonce=first_nonce)
        except wx.Replayed as replayed:
            # WeChat's retry may repeat the first request's query string: a message already
            # received is answered "success" (and not handled again); any other is refused.
            try:
                again = await asyncio.to_thread(received, CHANNEL,
                                                replayed.callback.delivery_id)
            except Exception:
                logger.exception("wechat: receipts could not be read")
                return response.text("unavailable", status=503)
            if again:
                logger.info("wechat: retry of delivery %s with the same nonce; not handled "
                            "again", replayed.callback.delivery_id)
                return response.text(SUCCESS)
            logger.warning("wechat: callback refused: %s", replayed.reason)
            return response.text(replayed.reason, status=replayed.status)
        except wx.Rejected as rejected:
            logger.warning("wechat: callback refused: %s", rejected.reason)
            return response.text(rejected.reason, status=rejected.status)
        except Exception:
            logger.exception("wechat: callback could not be read or recorded")
            return response.text("unavailable", status=503)
        open_id = opened.fields.get("FromUserName", "")
        if not _OPEN_ID.fullmatch(open_id):
            return response.text("malformed_xml", status=400)
        delivery = opened.delivery_id
        try:
            state = await asyncio.to_thread(claim_receipt, CHANNEL, delivery)
        except Exception:
            logger.exception("wechat: delivery %s could not be recorded", delivery)
            return response.text("unavailable", status=503)  # WeChat retries
        if state == DONE:
            logger.info("wechat: delivery %s was already handled; not handled again", delivery)
            return response.text(SUCCESS)
        if state != CLAIMED:
            # The first delivery is being handled; its answer goes through the CS API.
            return response.text(SUCCESS)
        if not await self._deliveries.start(
                opened.delivery_id, lambda: self._handle(opened, open_id, request.app,
                                                         on_new_message)):
            return response.text("unavailable", status=503)  # released: WeChat's retry is taken
        return response.text(SUCCESS)

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Wait for the turns in progress (tests)."""
        await self._deliveries.wait_idle(timeout)

    async def _handle(self, opened: wx.Callback, open_id: str, app: Any,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        from bot.outbox.windows import record_inbound

        await asyncio.to_thread(record_inbound, conversation_id(open_id), CHANNEL)
        await self.handle(opened, open_id, app, on_new_message)

    async def handle(self, opened: wx.Callback, open_id: str, app: Any,
                     on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Handle one authenticated, first-seen delivery (never raises)."""
        turn = _Turn(app, on_new_message, opened, open_id)
        async with self._deliveries.one_at_a_time(open_id):
            try:
                await self._dispatch(turn)
            except Exception:
                logger.exception("wechat: delivery %s for %s failed", opened.delivery_id,
                                 masked(open_id))
                language = turn.conversation.lang() if turn.conversation else "zh"
                with contextlib.suppress(Exception):
                    await self._send(turn, say("try_again_shortly", language))

    async def _dispatch(self, turn: _Turn) -> None:
        message, fields = turn.callback.message, turn.callback.fields
        kind = (fields.get("MsgType") or "").lower()
        if kind == "text":
            await self._on_text(turn, fields.get("Content") or "")
        elif kind == "voice":
            await self._on_voice(turn, fields.get("MediaId") or "")
        elif kind == "image" and fields.get("MediaId"):
            await self._on_file(turn, fields["MediaId"],
                                f"wechat-photo-{fields.get('MsgId', '')}.jpg", "image/jpeg")
        elif kind == "file" and fields.get("MediaId"):
            name = (fields.get("Title") or f"wechat-file-{fields.get('MsgId', '')}")[:200]
            await self._on_file(turn, fields["MediaId"], name, None)
        elif kind == "location":
            await self._on_location(turn, fields)
        elif kind == "event":
            await self._on_event(turn, (fields.get("Event") or "").lower(), message)
        else:  # video, shortvideo, link, a file without media, a type WeChat adds later
            logger.info("wechat: message type %r of delivery %s is not read", kind[:20],
                        turn.callback.delivery_id)
            await self._say(turn, UNSUPPORTED)

    # -- the conversation ------------------------------------------------------------------------

    async def _facts(self, turn: _Turn) -> Conversation:
        if turn.conversation is None:
            turn.conversation = await read_conversation(turn.app, turn.sender)
        return turn.conversation

    async def _send(self, turn: _Turn, text: str) -> None:
        """One message to the follower through the CS API; a failure is logged (the turn is
        kept; the customer can ask again)."""
        if not text.strip():
            return
        try:
            await asyncio.to_thread(send_text, self.client(), turn.open_id, text)
        except WeChatError as error:
            logger.warning("wechat: a reply to %s was not delivered: %s", masked(turn.open_id),
                           error.errcode)

    async def _say(self, turn: _Turn, key: str, **fields: Any) -> None:
        facts = await self._facts(turn)
        await self._send(turn, facts.in_script(say(key, facts.lang(), **fields)))

    async def _to_rasa(self, turn: _Turn, text: str, *, ours: bool = False,
                       picked: bool = False, **metadata: Any) -> None:
        """The customer's words to Rasa (a leading "/" is read as words), or `ours`: a menu
        item's payload, a plain "/intent", sent as it is, or `picked`: the payload of the button
        the follower picked by its number, sent as it is and marked so that it never changes
        the conversation's language (bot.language.PICKED_CHOICE)."""
        if not (picked or (ours and _INTENT_PAYLOAD.fullmatch(text))):
            text = customer_text(clean_text(text))
        limit = get_settings().max_message_chars
        if len(text) > limit:
            await self._say(turn, "message_too_long", limit=limit)
            return
        data = turn.metadata
        data["wechat"].update(metadata)
        if picked:
            data[PICKED_CHOICE] = True
        collector = CollectingOutputChannel()
        with watch_turn(turn.sender) as watched:
            await turn.on_new_message(UserMessage(text, collector, turn.sender,
                                                  input_channel=CHANNEL, metadata=data))
        if watched.failed:
            logger.warning("wechat: turn of delivery %s failed (%s); the customer is asked to "
                           "send it again", turn.callback.delivery_id, watched.failure)
            await self._say(turn, "try_again_shortly")
            return
        after = await read_conversation(turn.app, turn.sender)
        for message in collector.messages:
            await self._send(turn, render_bot_message(message, after.lang(), after.script))

    # -- what the follower sent ------------------------------------------------------------------

    async def _on_text(self, turn: _Turn, text: str) -> None:
        conversation = await self._facts(turn)
        number = chosen_number(text)
        if number is not None:
            if await self._answer_file_choice(turn, number):
                return
            payload = await self._button_payload(turn, number, conversation)
            if payload is not None:
                await self._to_rasa(turn, payload, picked=True, choice=number)
                return
        await self._to_rasa(turn, text)

    async def _button_payload(self, turn: _Turn, number: int,
                              conversation: Conversation) -> str | None:
        """The payload of option `number` when the bot's last message offered options and
        nothing was pushed since (a notice in between makes the numbers stale)."""
        if not 1 <= number <= len(conversation.buttons):
            return None
        from bot.outbox.notices import last_push_at

        try:
            pushed = await asyncio.to_thread(last_push_at, turn.sender)
        except Exception:
            logger.exception("wechat: reading the outbox failed")
            return None
        if pushed > conversation.last_bot_at:
            return None
        return str(conversation.buttons[number - 1]["payload"])

    async def _on_voice(self, turn: _Turn, media_id: str) -> None:
        settings = get_settings()
        if not media_id:
            await self._say(turn, UNSUPPORTED)
            return
        conversation = await self._facts(turn)
        note = await hear_voice_note(
            self._fetch(media_id, settings.max_upload_bytes, Refused(SPEECH_TOO_LARGE)),
            conversation.language, lang=conversation.lang(), channel=CHANNEL,
            asked=conversation.asked)
        await self._send(turn, conversation.in_script(note.line))
        if note.understood:
            await self._to_rasa(turn, note.text, voice=True)

    async def _on_file(self, turn: _Turn, media_id: str, filename: str,
                       mime: str | None) -> None:
        conversation = await self._facts(turn)
        language, limit = conversation.lang(), get_settings().max_upload_bytes
        reply = await receive_media_file(
            turn.sender, conversation.viewer, language,
            self._fetch(media_id, limit, upload_too_large(limit)), filename, mime,
            channel=CHANNEL)
        text = reply.text
        if reply.asks_which_document and reply.wanted():
            items = reply.wanted()
            self._choices[turn.sender] = _FileChoice(reply.claim_number or "",
                                                     reply.result.sha256, items)
            options = numbered(say("sms_options", language), [i.name(language) for i in items])
            text = f"{text}\n{options}"
        await self._send(turn, conversation.in_script(text))

    async def _answer_file_choice(self, turn: _Turn, number: int) -> bool:
        """Ties the photo that waits for "which document?" to the numbered item; False when
        no photo waits (the number then goes on as a button choice or to the bot)."""
        choice = self._choices.get(turn.sender)
        if choice is None:
            return False
        conversation = await self._facts(turn)
        if time.time() - choice.at > CHOICE_TTL_S or choice.at < conversation.last_bot_at:
            self._choices.pop(turn.sender, None)  # the bot has asked something else since
            return False
        if not 1 <= number <= len(choice.items):
            return False
        from bot.documents.intake import intake_text, match_file

        self._choices.pop(turn.sender, None)
        result = await asyncio.to_thread(match_file, choice.claim_number, choice.sha256,
                                         choice.items[number - 1].code,
                                         actor=f"conversation:{turn.sender}")
        await self._send(turn, conversation.in_script(intake_text(result, conversation.lang())))
        return True

    async def _on_location(self, turn: _Turn, fields: Dict[str, str]) -> None:
        language = (await self._facts(turn)).lang()
        try:
            where = {"latitude": float(fields.get("Location_X") or ""),
                     "longitude": float(fields.get("Location_Y") or "")}
        except ValueError:
            where = {}
        label = (fields.get("Label") or "").strip()
        said = location_text(where, language, {"title": label} if label else None)
        if said is None:
            await self._say(turn, UNSUPPORTED)
        else:
            await self._to_rasa(turn, said, location=True)

    async def _on_event(self, turn: _Turn, event: str, message: Any) -> None:
        from bot.outbox.windows import close_channel, reopen_channel

        if event in ("subscribe", "subscribe_scan"):
            await asyncio.to_thread(reopen_channel, turn.sender, CHANNEL)
            await self._to_rasa(turn, "/greet", ours=True, event="subscribe")
        elif event == "unsubscribe":  # nothing reaches them on WeChat now: notices go by SMS
            await asyncio.to_thread(close_channel, turn.sender, CHANNEL)
            logger.info("wechat: %s unsubscribed", masked(turn.open_id))
        elif event == "click":
            payload = click_payload(turn.callback.fields.get("EventKey"))
            if payload:
                await self._to_rasa(turn, payload, ours=True,
                                    menu=turn.callback.fields.get("EventKey"))
            else:
                logger.info("wechat: menu key not in bot/wechat/menu.yml; ignored")
        else:  # VIEW, location reports, template delivery reports: nothing to say
            logger.info("wechat: event %r ignored", event[:30])

    # -- media -----------------------------------------------------------------------------------

    def _fetch(self, media_id: str, limit: int,
               too_large: Refused) -> Callable[[], Awaitable[bytes]]:
        """channels.media's fetch adapter for a WeChat temporary media (media/get)."""

        async def fetch() -> bytes:
            try:
                answer = await asyncio.to_thread(
                    call, lambda: self.client().media.download(media_id))
            except WeChatError as error:
                logger.warning("wechat: media download failed: %s", error.errcode)
                raise Refused(MEDIA_FAILED) from error
            content = getattr(answer, "content", None)
            if not isinstance(content, bytes):  # a JSON answer that was not an error code
                raise Refused(MEDIA_FAILED)
            if len(content) > limit:
                raise too_large
            return content

        return fetch


def _args(request: Request) -> Dict[str, str]:
    """The query's single values (WeChat sends each once)."""
    return {key: str(values[0]) for key, values in request.args.items() if values}
