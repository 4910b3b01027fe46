"""Telegram's outgoing side: a chat's replies through the Bot API (split to Telegram's limit,
buttons as inline keyboards) and the outbox sender for notices and agents' words; conversation ids
("tg-<chat id>") and the masked form logs use."""
from __future__ import annotations

import asyncio
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Mapping

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils import exceptions as tg
from rasa.core.channels.channel import OutputChannel

from bot.outbox.senders import ChannelCannotDeliver, Notice, PermanentDeliveryError

logger = logging.getLogger("channels.telegram")

CHANNEL = "telegram"
MAX_TELEGRAM_TEXT = 4096  # Telegram's limit for one message
MAX_CALLBACK_DATA_BYTES = 64  # Telegram's limit for a button's data
API_TIMEOUT_S = 30.0

_CONVERSATION = re.compile(r"tg-(-?\d{1,20})")

_UNAUTHORIZED = "unauthorized"
# Errors after which a message can never reach the chat: retrying would only repeat them.
_PERMANENT_ERRORS = (
    tg.BotBlocked, tg.BotKicked, tg.UserDeactivated, tg.CantInitiateConversation,
    tg.CantTalkWithBots, tg.ChatNotFound, tg.ChatIdIsEmpty, tg.InvalidPeerID,
    tg.GroupDeactivated, tg.MigrateToChat,
)


def conversation_id(chat_id: int) -> str:
    """The conversation (Rasa sender) id of a Telegram chat: "tg-<chat id>"."""
    return f"tg-{int(chat_id)}"


def chat_id_of(conversation: str | None) -> int | None:
    """The chat id in a "tg-<chat id>" conversation id; None for any other id."""
    match = _CONVERSATION.fullmatch(conversation or "")
    return int(match.group(1)) if match else None


def masked(chat_id: int | str | None) -> str:
    """A chat id fit for logs: "tg-*****6789"."""
    digits = str(chat_id if chat_id is not None else "")
    return "tg-" + "*" * max(len(digits) - 4, 1) + digits[-4:]


def split_text(text: str, limit: int = MAX_TELEGRAM_TEXT) -> List[str]:
    """`text` in parts Telegram accepts, cut at line ends where possible."""
    text = text.strip()
    parts: List[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        parts.append(text)
    return [part for part in parts if part]


def inline_keyboard(buttons: Iterable[Mapping[str, Any]]) -> InlineKeyboardMarkup | None:
    """The bot's buttons as an inline keyboard, one per row (titles can be long). A button whose
    payload Telegram cannot carry (over 64 bytes) is left out."""
    markup = InlineKeyboardMarkup()
    rows = 0
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "").strip()
        if not title:
            continue
        if button.get("url"):
            markup.row(InlineKeyboardButton(title, url=str(button["url"])))
            rows += 1
            continue
        payload = str(button.get("payload") or title)
        if len(payload.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            logger.warning("telegram: a button's payload is over %s bytes; left out",
                           MAX_CALLBACK_DATA_BYTES)
            continue
        markup.row(InlineKeyboardButton(title, callback_data=payload))
        rows += 1
    return markup if rows else None


def is_permanent(error: BaseException) -> bool:
    """Whether a Bot API error means the chat can never be reached (blocked, deleted, gone)."""
    if isinstance(error, _PERMANENT_ERRORS):
        return True
    # 403 "Forbidden: …" is about the chat; 401 "Unauthorized" is our token: fix it and retry.
    return isinstance(error, tg.Unauthorized) and str(error).strip().lower() != _UNAUTHORIZED


def make_bot(token: str, api_server: str, *, timeout_s: float = API_TIMEOUT_S) -> Bot:
    """An aiogram Bot for `token` talking to `api_server` (Telegram's, or a local Bot API
    server). Raises aiogram's ValidationError for a malformed token."""
    return Bot(token, server=TelegramAPIServer.from_base(api_server), timeout=timeout_s)


def _run_blocking(make: Callable[[], Awaitable[Any]]) -> Any:
    """Run a coroutine to its end from synchronous code (the outbox calls senders in a worker
    thread); from inside a running loop it runs on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


# --- output -------------------------------------------------------------------------------------

class TelegramOutput(OutputChannel):
    """Sends the bot's replies to a chat with sendMessage; buttons become an inline keyboard.

    During a customer's turn a reply that cannot be delivered is logged and the turn goes on
    (`quiet`); the outbox's sender raises instead, so the outbox can retry or record it."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(self, bot: Bot, *, quiet: bool = True) -> None:
        self.bot = bot
        self.quiet = quiet

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send(recipient_id, text)

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: List[Dict[str, Any]], **kwargs: Any) -> None:
        await self.send(recipient_id, text, buttons)

    async def send_quick_replies(self, recipient_id: str, text: str,
                                 quick_replies: List[Dict[str, Any]], **kwargs: Any) -> None:
        await self.send(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send(recipient_id, image)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any],
                               **kwargs: Any) -> None:
        logger.debug("telegram: custom payloads are not sent (%s)", sorted(json_message)[:5])

    async def send(self, recipient_id: str, text: str,
                   buttons: Iterable[Mapping[str, Any]] | None = None) -> bool:
        """True when every part of `text` reached the chat."""
        chat_id = chat_id_of(recipient_id)
        if chat_id is None:
            logger.error("telegram: %r is not a Telegram conversation", recipient_id[:8])
            return False
        parts = split_text(text)
        markup = inline_keyboard(buttons) if buttons else None
        try:
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                await self.bot.send_message(chat_id, part, disable_web_page_preview=True,
                                            reply_markup=markup if last else None)
        except (tg.TelegramAPIError, asyncio.TimeoutError) as error:
            if not self.quiet:
                raise
            logger.warning("telegram: a reply to %s was not delivered: %s", masked(chat_id),
                           type(error).__name__)
            return False
        return True


class TelegramNoticeSender:
    """bot.outbox sender for Telegram: the outbox calls it from a worker thread with a queued
    notice or agent message. Blocked (403 Forbidden), kicked, deactivated or missing chats
    raise ChannelCannotDeliver: never retried on Telegram, the notice goes by SMS to the phone
    on file instead (bot.outbox.delivery); anything else raises to be retried."""

    def __init__(self, token: str, api_server: str) -> None:
        self._token = token
        self._api_server = api_server

    def __call__(self, notice: Notice) -> None:
        chat_id = chat_id_of(notice.conversation_id)
        if chat_id is None:
            raise PermanentDeliveryError("not a Telegram conversation id")
        _run_blocking(lambda: self._send(chat_id, notice.body))

    async def _send(self, chat_id: int, text: str) -> None:
        bot = make_bot(self._token, self._api_server)
        try:
            await TelegramOutput(bot, quiet=False).send(conversation_id(chat_id), text)
        except tg.TelegramAPIError as error:
            if is_permanent(error):
                raise ChannelCannotDeliver(f"telegram: {error}") from error
            raise
        finally:
            await bot.session.close()
