"""Telegram channel: an authenticated webhook that takes text, buttons, locations, voice notes,
photos and documents, answers through the Bot API (aiogram), and pushes notices and agents'
words from the outbox.

    POST /webhooks/telegram/webhook     (Telegram's Update JSON)
    X-Telegram-Bot-Api-Secret-Token: <TELEGRAM_SECRET_TOKEN>

What Rasa's own connector lacks and this one does:
- The secret-token header is compared in constant time: missing or wrong answers 403 and nothing
  happens; with no token or secret configured the webhook answers 503. Nothing calls Telegram to
  check an incoming message, and the webhook is registered only by an explicit command
  (`python -m channels.telegram_setup set-webhook URL`), never at start-up.
- An update delivered twice (same update_id) is handled once (bot.inbound.first_receipt).
  Telegram gets its 200 as soon as the update is handled or after `answer_within_s`, whichever
  comes first (the work carries on), so a slow voice note never makes it retry.
- Voice notes are downloaded, recognised, shown back ("I heard: …") and handled as text; photos
  and PDF/JPEG/PNG documents are stored against the customer's open claim; a caption naming a
  document ticks it off, otherwise buttons ask which one. All of it is channels/media.py's
  journey, shared with every channel; this module only fetches the file and sends the lines.
- Locations become text the report form takes as the place; the bot's buttons become inline
  keyboards and a press is sent as the customer's message.
- `/start` greets in the language of the customer's Telegram app (from.language_code).
- Edited messages are not re-read: a short note says to send the correction as a new message
  (answering an edit silently would let the customer believe the bot took the correction).
- Only private chats are served: updates from groups and channels (where a claim's details would
  be read by others), from bots, and updates without a message are acknowledged and dropped.

Messages outside the customer's turn (stage notices, an agent's words, the greeting after a
hand-back) go through the outbox (bot.outbox) and reach Telegram through the
sender this channel registers, so they are retried until delivered and sent once; a customer
who blocked the bot, or a chat that no longer exists, fails the message with a clear record.
That is why get_output_channel() gives nothing: the agent console then queues instead of pushing.

Replies and the outbox sender are channels/telegram_output.py; the webhook's registration is
channels/telegram_setup.py.

Logs carry update ids and masked chat ids ("tg-*****6789"), never what a customer wrote.
"""
from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, Mapping

import aiohttp
from aiogram import Bot
from aiogram.utils import exceptions as tg
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from rasa.shared.core.events import SlotSet
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.documents.intake import file_of_claim
from bot.language import clean_text
from bot.outbox.senders import register_sender
from bot.replies import say
from bot.settings import get_settings
from channels.conversation import Conversation, read_conversation
from channels.customer_text import customer_text
from channels.deliveries import Deliveries
from channels.locations import location_text
from channels.media import (
    SPEECH_TOO_LARGE,
    Refused,
    document_buttons,
    hear_voice_note,
    receive_media_file,
    upload_target,
    upload_too_large,
)
from channels.telegram_output import (
    TelegramNoticeSender,
    TelegramOutput,
    conversation_id,
    make_bot,
    masked,
)
from rasa_server.turns import watch_turn

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# A real Update is a few kilobytes; this is far above that and far below harm.
MAX_BODY_BYTES = 1024 * 1024
DEFAULT_ANSWER_WITHIN_S = 20.0
DOWNLOAD_TIMEOUT_S = 60.0
MAX_DOCUMENT_BUTTONS = 12

# Documents Telegram describes with a MIME type we can store (bot.documents.intake checks the
# bytes again).
ACCEPTED_DOCUMENT_TYPES = frozenset({
    "application/pdf", "image/jpeg", "image/jpg", "image/png", "image/heic", "image/heif",
})
# Message content we cannot use, answered with "please send text, voice, a photo or a PDF".
UNSUPPORTED_CONTENT = ("sticker", "video", "video_note", "animation", "contact", "poll", "dice",
                       "game", "story")

_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]{1,64})?(?:\s|$)")
# A button payload sent on as the customer's message: Rasa's "/intent", nothing more.
_INTENT_PAYLOAD = re.compile(r"/[A-Za-z_][A-Za-z0-9_]{0,63}")
# A document-choice button: "doc:<checklist code>:<first 16 hex digits of the file's sha256>".
DOCUMENT_CHOICE = "doc:"
_DOCUMENT_PAYLOAD = re.compile(r"doc:([a-z0-9_]{1,40}):([0-9a-f]{16})")

# --- small pieces -------------------------------------------------------------------------------

def language_for(language_code: str | None) -> str | None:
    """The conversation language for a Telegram app language: zh* is Chinese, any other is
    English; None when Telegram did not say."""
    if not isinstance(language_code, str) or not language_code.strip():
        return None
    return "zh" if language_code.strip().lower().startswith("zh") else "en"


def secret_matches(presented: str | None, expected: str) -> bool:
    """Constant-time comparison; an empty expected secret matches nothing. A header's bytes that
    are not UTF-8 arrive as surrogates: they are compared too (and never match)."""
    if not expected or not presented:
        return False
    return hmac.compare_digest(presented.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8"))


# --- reading an Update --------------------------------------------------------------------------

def _dict(value: Any) -> Dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Incoming:
    """What the channel needs of one Update; `kind` is the Update's field ("message",
    "edited_message", "callback_query", or whatever else Telegram sent)."""

    update_id: int
    kind: str
    chat_id: int | None = None
    private: bool = False
    from_bot: bool = False
    language_code: str | None = None
    message: Mapping[str, Any] = field(default_factory=dict)
    callback_id: str | None = None
    callback_data: str | None = None

    @property
    def message_id(self) -> int | None:
        return _int(self.message.get("message_id"))


def read_update(body: Any) -> Incoming | None:
    """The Update in a webhook body; None when the body is not an Update at all."""
    if not isinstance(body, dict):
        return None
    update_id = _int(body.get("update_id"))
    if update_id is None:
        return None
    kind = next((str(key)[:32] for key in body if key != "update_id"), "")
    message: Dict[str, Any] | None = None
    sender: Dict[str, Any] | None = None
    callback_id = callback_data = None
    if kind in ("message", "edited_message"):
        message = _dict(body.get(kind))
        sender = _dict(message.get("from")) if message else None
    elif kind == "callback_query":
        query = _dict(body.get(kind)) or {}
        message = _dict(query.get("message"))
        sender = _dict(query.get("from"))
        callback_id = _str(query.get("id"))
        callback_data = _str(query.get("data"))
    chat = _dict(message.get("chat")) if message else None
    chat_id = _int(chat.get("id")) if chat else None
    return Incoming(
        update_id=update_id,
        kind=kind,
        chat_id=chat_id,
        private=bool(chat and chat.get("type") == "private"),
        from_bot=bool(sender and sender.get("is_bot") is True),
        language_code=_str(sender.get("language_code")) if sender else None,
        message=message or {},
        callback_id=callback_id,
        callback_data=callback_data,
    )


# --- input --------------------------------------------------------------------------------------

@dataclass
class _Turn:
    """One update being handled: who, how to answer, and the conversation's facts once read."""

    app: Any
    on_new_message: Callable[[UserMessage], Awaitable[Any]]
    incoming: Incoming
    out: TelegramOutput
    conversation: Conversation | None = None  # read once, when first needed

    @property
    def chat_id(self) -> int:
        return int(self.incoming.chat_id or 0)

    @property
    def sender(self) -> str:
        return conversation_id(self.chat_id)

    @property
    def metadata(self) -> Dict[str, Any]:
        return {"telegram": {"update_id": self.incoming.update_id,
                             "message_id": self.incoming.message_id,
                             "language_code": self.incoming.language_code}}


class _Download:
    TOO_LARGE = "too_large"
    FAILED = "failed"


class TelegramInput(InputChannel):
    """The Telegram webhook; see the module's docstring."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        # Secrets come from the environment (bot.settings), never from credentials.yml.
        credentials = credentials or {}
        return cls(answer_within_s=credentials.get("answer_within_seconds"))

    def __init__(self, token: str | None = None, secret_token: str | None = None,
                 api_server: str | None = None, answer_within_s: float | None = None) -> None:
        settings = get_settings()
        self.token = (settings.telegram_token if token is None else token).strip()
        self.secret_token = (settings.telegram_secret_token if secret_token is None
                             else secret_token).strip()
        self.api_server = (api_server or settings.telegram_api_server).rstrip("/")
        self.answer_within_s = float(answer_within_s or DEFAULT_ANSWER_WITHIN_S)
        self.bot: Bot | None = None
        if self.token:
            try:
                self.bot = make_bot(self.token, self.api_server)
            except tg.ValidationError:
                logger.error("telegram: TELEGRAM_TOKEN is not a bot token (digits:letters); "
                             "the webhook stays off")
        self._deliveries = Deliveries(CHANNEL, self.answer_within_s)

    @property
    def configured(self) -> bool:
        return self.bot is not None and bool(self.secret_token)

    def get_output_channel(self) -> OutputChannel | None:
        # Nothing is pushed past the outbox: see the module's docstring.
        return None

    # -- the webhook -------------------------------------------------------------------------------

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        telegram = Blueprint(f"telegram_{type(self).__name__}")
        if self.configured:
            register_sender(CHANNEL, TelegramNoticeSender(self.token, self.api_server))
        elif self.token or self.secret_token:
            logger.warning("telegram: set both TELEGRAM_TOKEN and TELEGRAM_SECRET_TOKEN; the "
                           "webhook answers 503 until then")

        @telegram.listener("before_server_stop")
        async def close_bot(app: Any, loop: Any) -> None:
            await self.close()

        @telegram.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.configured})

        @telegram.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            return await self.receive(request, on_new_message)

        return telegram

    async def close(self) -> None:
        """Let running updates finish briefly, then close the Bot API session."""
        await self._deliveries.wait_idle(5)
        if self.bot is not None:
            session = self.bot._session
            if session is not None and not session.closed:
                await session.close()

    async def receive(self, request: Request,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        if not self.configured:
            return _error(503, "not_configured", "The Telegram channel is off: set "
                          "TELEGRAM_TOKEN and TELEGRAM_SECRET_TOKEN.")
        if not secret_matches(request.headers.get(SECRET_HEADER), self.secret_token):
            logger.warning("telegram: webhook call refused: %s secret token",
                           "wrong" if request.headers.get(SECRET_HEADER) else "no")
            return _error(403, "forbidden", "The secret token is missing or wrong.")
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            return _error(413, "body_too_large", f"Request body over {MAX_BODY_BYTES} bytes.")
        try:
            incoming = read_update(json.loads(body.decode("utf-8")))
        except (UnicodeDecodeError, ValueError, RecursionError):  # deep nesting too
            return _error(400, "invalid_json", "The body must be a JSON Update in UTF-8.")
        if incoming is None:
            return _error(400, "not_an_update", "The body must be an Update with an update_id.")

        from bot.inbound import CLAIMED, DONE, claim_receipt

        update_id = str(incoming.update_id)
        try:
            state = await asyncio.to_thread(claim_receipt, CHANNEL, update_id)
        except Exception:
            # Without the receipt the update could be handled twice: Telegram retries later.
            logger.exception("telegram: update %s could not be recorded", incoming.update_id)
            return _error(503, "unavailable", "Try again later.")
        if state == DONE:
            logger.info("telegram: update %s was already handled; not handled again",
                        incoming.update_id)
            return response.json({"ok": True, "duplicate": True})
        if state != CLAIMED:  # being handled right now: Telegram retries a non-2xx later
            return response.json(
                {"ok": False, "error": "in_progress", "message": "Being handled; retry later."},
                status=429, headers={"Retry-After": "30"})

        if not await self._deliveries.start(
                update_id, lambda: self.handle(incoming, request.app, on_new_message)):
            # The turn crashed and its receipt was released: Telegram's retry is handled.
            return _error(503, "unavailable", "Try again later.")
        return response.json({"ok": True})

    async def handle(self, incoming: Incoming, app: Any,
                     on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Handle one authenticated, first-seen update (never raises)."""
        if incoming.chat_id is None or not incoming.private or incoming.from_bot:
            logger.info("telegram: update %s (%s) ignored: %s", incoming.update_id,
                        incoming.kind or "empty",
                        "no chat" if incoming.chat_id is None
                        else "from a bot" if incoming.from_bot else "not a private chat")
            return
        assert self.bot is not None
        turn = _Turn(app, on_new_message, incoming, TelegramOutput(self.bot))
        async with self._deliveries.one_at_a_time(incoming.chat_id):
            try:
                if incoming.kind == "callback_query":
                    await self._on_button(turn)
                elif incoming.kind == "message":
                    await self._on_message(turn)
                elif incoming.kind == "edited_message":
                    await self._say(turn, "telegram_edited")
            except Exception:
                logger.exception("telegram: update %s for %s failed", incoming.update_id,
                                 masked(incoming.chat_id))
                # Nothing of the turn is kept: ask again, without reading the conversation
                # (its store may be what failed).
                language = (turn.conversation.lang() if turn.conversation
                            else language_for(incoming.language_code) or "zh")
                with contextlib.suppress(Exception):
                    await turn.out.send(turn.sender, say("try_again_shortly", language))

    # -- what the conversation knows ---------------------------------------------------------------

    async def _facts(self, turn: _Turn) -> Conversation:
        """The conversation's facts (channels.conversation), read once per update."""
        if turn.conversation is None:
            turn.conversation = await read_conversation(turn.app, turn.sender)
        return turn.conversation

    async def _say(self, turn: _Turn, key: str, buttons: Any = None, **fields: Any) -> None:
        facts = await self._facts(turn)
        await turn.out.send(turn.sender, facts.in_script(say(key, facts.lang(), **fields)),
                            buttons)

    async def _to_rasa(self, turn: _Turn, text: str, **metadata: Any) -> None:
        """The customer's words to Rasa; its replies go out once the turn is complete. A turn
        that failed (rasa_server/turns.py: nothing of it was stored) asks for the message again."""
        text = customer_text(clean_text(text))
        limit = get_settings().max_message_chars
        if len(text) > limit:
            await self._say(turn, "message_too_long", limit=limit)
            return
        data = turn.metadata
        data["telegram"].update(metadata)
        collector = CollectingOutputChannel()
        with watch_turn(turn.sender) as watched:
            await turn.on_new_message(UserMessage(text, collector, turn.sender,
                                                  input_channel=CHANNEL, metadata=data))
        if watched.failed:
            logger.warning("telegram: turn of update %s failed (%s); the customer is asked to "
                           "send it again", turn.incoming.update_id, watched.failure)
            await self._say(turn, "try_again_shortly")
            return
        for message in collector.messages:
            said = message.get("text") or message.get("image") or message.get("attachment")
            if said:
                await turn.out.send(turn.sender, str(said), message.get("buttons"))

    # -- messages ----------------------------------------------------------------------------------

    async def _on_message(self, turn: _Turn) -> None:
        message = turn.incoming.message
        text = _str(message.get("text"))
        voice = _dict(message.get("voice")) or _dict(message.get("audio"))
        photo = message.get("photo")
        document = _dict(message.get("document"))
        location = _dict(message.get("location"))
        caption = _str(message.get("caption"))
        if text is not None:
            await self._on_text(turn, text)
        elif voice is not None:
            await self._on_voice(turn, voice)
        elif isinstance(photo, list) and photo:
            sizes = [size for size in photo
                     if isinstance(size, dict) and _str(size.get("file_id"))]
            if not sizes:
                await self._say(turn, "telegram_unsupported")
                return
            largest = max(sizes, key=lambda s: ((_int(s.get("width")) or 0)
                                                * (_int(s.get("height")) or 0),
                                                _int(s.get("file_size")) or 0))
            await self._on_file(turn, largest["file_id"], _int(largest.get("file_size")),
                                f"telegram-photo-{turn.incoming.message_id}.jpg", "image/jpeg",
                                caption, check_type=False)
        elif document is not None and _str(document.get("file_id")):
            mime = (_str(document.get("mime_type")) or "").lower()
            name = _str(document.get("file_name")) or f"telegram-file-{turn.incoming.message_id}"
            await self._on_file(turn, document["file_id"], _int(document.get("file_size")),
                                name[:200], mime or None, caption, check_type=True)
        elif location is not None:
            language = (await self._facts(turn)).lang()
            said = location_text(location, language, _dict(message.get("venue")))
            if said is None:
                await self._say(turn, "telegram_unsupported")
            else:
                await self._to_rasa(turn, said, location=True)
        elif any(key in message for key in UNSUPPORTED_CONTENT):
            await self._say(turn, "telegram_unsupported")
        else:  # a service message (pinned, title changed...): nothing the customer said
            logger.info("telegram: update %s has no content for the bot",
                        turn.incoming.update_id)

    async def _on_text(self, turn: _Turn, text: str) -> None:
        command = _COMMAND.match(text)
        name = command.group(1).lower() if command else ""
        if name == "start":
            await self._on_start(turn)
        elif name == "help":
            await self._to_rasa(turn, "/ask_capabilities")
        else:
            await self._to_rasa(turn, text)

    async def _on_start(self, turn: _Turn) -> None:
        """The greeting, in the language of the customer's Telegram app: the conversation's
        language slot is set first (unless the customer pinned one), then Rasa greets."""
        language = language_for(turn.incoming.language_code)
        if language is not None:
            agent = turn.app.ctx.agent
            async with agent.lock_store.lock(turn.sender):
                tracker = await agent.processor.fetch_tracker_and_update_session(
                    turn.sender, turn.out, turn.metadata)
                if not tracker.get_slot("language_pinned"):
                    tracker.update(SlotSet("language", language))
                    await agent.tracker_store.save(tracker)
            turn.conversation = None
        await self._to_rasa(turn, "/greet", command="start")

    async def _on_voice(self, turn: _Turn, voice: Mapping[str, Any]) -> None:
        """A voice note through channels.media; understood words go on to Rasa as text."""
        settings = get_settings()
        file_id = _str(voice.get("file_id"))
        duration = _int(voice.get("duration"))
        size = _int(voice.get("file_size"))
        if not file_id:
            await self._say(turn, "telegram_unsupported")
            return
        if duration is not None and duration > settings.max_voice_seconds:
            await self._say(turn, "speech_too_long", seconds=settings.max_voice_seconds)
            return
        if size is not None and size > settings.max_upload_bytes:
            await self._say(turn, "speech_too_large")
            return
        await self._chat_action(turn.chat_id, "typing")
        conversation = await self._facts(turn)
        note = await hear_voice_note(
            self._fetch(file_id, settings.max_upload_bytes, Refused(SPEECH_TOO_LARGE)),
            conversation.language, lang=conversation.lang(), channel=CHANNEL,
            asked=conversation.asked)
        await turn.out.send(turn.sender, note.line)
        if note.understood:
            await self._to_rasa(turn, note.text, voice=True)

    async def _on_file(self, turn: _Turn, file_id: str, size: int | None, filename: str,
                       mime: str | None, caption: str | None, *, check_type: bool) -> None:
        """A photo or document through channels.media; buttons ask which document it is."""
        conversation = await self._facts(turn)
        language, limit = conversation.lang(), get_settings().max_upload_bytes

        async def fetch() -> bytes:
            if size is not None and size > limit:
                raise upload_too_large(limit)
            if check_type and mime and mime not in ACCEPTED_DOCUMENT_TYPES:
                raise Refused("intake_error.unsupported_type")
            return await self._fetch(file_id, limit, upload_too_large(limit))()

        reply = await receive_media_file(turn.sender, conversation.viewer, language, fetch,
                                         filename, mime, caption=caption, channel=CHANNEL)
        buttons = document_buttons(
            reply, language,
            lambda item: f"{DOCUMENT_CHOICE}{item.code}:{reply.result.sha256[:16]}",
            MAX_DOCUMENT_BUTTONS)
        # In the customer's script, like the bot's turns (traditional stays traditional).
        buttons = [{**button, "title": conversation.in_script(button["title"])}
                   for button in buttons] if buttons else buttons
        await turn.out.send(turn.sender, conversation.in_script(reply.text), buttons)

    # -- buttons -----------------------------------------------------------------------------------

    async def _on_button(self, turn: _Turn) -> None:
        incoming = turn.incoming
        assert self.bot is not None
        if incoming.callback_id:
            with contextlib.suppress(tg.TelegramAPIError, asyncio.TimeoutError):
                await self.bot.answer_callback_query(incoming.callback_id)
        if incoming.message_id is not None:
            # The choice is made: the buttons go, so they cannot be pressed twice.
            with contextlib.suppress(tg.TelegramAPIError, asyncio.TimeoutError):
                await self.bot.edit_message_reply_markup(turn.chat_id, incoming.message_id)
        data = incoming.callback_data or ""
        choice = _DOCUMENT_PAYLOAD.fullmatch(data)
        if choice:
            await self._on_document_choice(turn, choice.group(1), choice.group(2))
        elif _INTENT_PAYLOAD.fullmatch(data):
            await self._to_rasa(turn, data, button=True)
        else:
            logger.info("telegram: button data of update %s not understood; ignored",
                        incoming.update_id)

    async def _on_document_choice(self, turn: _Turn, code: str, sha_prefix: str) -> None:
        """The customer said which document a file they sent is."""
        from bot.documents.intake import UNKNOWN_FILE, intake_text, match_file

        conversation = await self._facts(turn)
        language = conversation.lang()
        target = await upload_target(turn.sender, conversation.viewer)
        if target is None:
            await self._say(turn, "upload_no_claim")
            return
        sha256 = await asyncio.to_thread(file_of_claim, target.claim_number, sha_prefix)
        if sha256 is None:
            await self._say(turn, f"intake_error.{UNKNOWN_FILE}")
            return
        result = await asyncio.to_thread(match_file, target.claim_number, sha256, code,
                                         actor=f"conversation:{turn.sender}")
        await turn.out.send(turn.sender, conversation.in_script(intake_text(result, language)))

    # -- Bot API helpers ---------------------------------------------------------------------------

    async def _chat_action(self, chat_id: int, action: str) -> None:
        assert self.bot is not None
        with contextlib.suppress(tg.TelegramAPIError, asyncio.TimeoutError):
            await self.bot.send_chat_action(chat_id, action)

    def _fetch(self, file_id: str, limit: int,
               too_large: Refused) -> Callable[[], Awaitable[bytes]]:
        """channels.media's fetch adapter for a Telegram file."""

        async def fetch() -> bytes:
            content = await self._download(file_id, limit)
            if content == _Download.TOO_LARGE:
                raise too_large
            if not isinstance(content, bytes):
                raise Refused("telegram_file_failed")
            return content

        return fetch

    async def _download(self, file_id: str, limit: int) -> bytes | str:
        """The file's bytes, or _Download.TOO_LARGE / _Download.FAILED."""
        assert self.bot is not None
        try:
            file = await self.bot.get_file(file_id)
        except (tg.TelegramAPIError, asyncio.TimeoutError) as error:
            logger.warning("telegram: getFile failed: %s", type(error).__name__)
            return _Download.FAILED
        if file.file_size and file.file_size > limit:
            return _Download.TOO_LARGE
        if not file.file_path:
            return _Download.FAILED
        # The URL holds the bot token: it is never logged.
        url = self.bot.get_file_url(file.file_path)
        received = bytearray()
        try:
            async with self.bot.session.get(
                url, timeout=aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_S)
            ) as answer:
                if answer.status != 200:
                    logger.warning("telegram: file download answered %s", answer.status)
                    return _Download.FAILED
                async for chunk in answer.content.iter_chunked(64 * 1024):
                    received.extend(chunk)
                    if len(received) > limit:
                        return _Download.TOO_LARGE
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.warning("telegram: file download failed: %s", type(error).__name__)
            return _Download.FAILED
        return bytes(received)  # empty: bot.documents.intake and bot.speech say so


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"ok": False, "error": code, "message": message}, status=status)
