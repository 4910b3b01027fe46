"""Messages to a WeChat follower: conversation ids ("wx-<open id>"), customer-service text
messages cut to WeChat's size, and the outbox sender for notices and agents' words: a
customer-service message within the 48-hour window, a template message outside it, and
ChannelCannotDeliver (the outbox then texts the phone on file) when neither can reach them."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Callable, List

from bot.outbox.senders import ChannelCannotDeliver, Notice, PermanentDeliveryError
from bot.outbox.windows import WECHAT_WINDOW, channel_closed, window_open
from bot.wechat.api import OUTSIDE_WINDOW, UNSUBSCRIBED, SharedTokenClient, WeChatError, call
from bot.wechat.config import template_for

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
# WeChat takes 2,048 bytes of text per customer-service message: 600 characters of Chinese
# (3 bytes each) stay under it.
MAX_TEXT_CHARS = 600
# Errors after which the follower cannot be reached on WeChat at all (unfollowed, unknown
# open id, a template WeChat does not know).
UNREACHABLE = frozenset({UNSUBSCRIBED, 40003, 40037, 43019})

# A little short of WeChat's 48 hours (when the follower last wrote: bot.outbox.windows): a
# notice sent at 47:59 may reach WeChat after 48:00.
WINDOW_MARGIN = timedelta(minutes=5)

_CONVERSATION = re.compile(r"wx-([A-Za-z0-9_-]{6,64})")


def conversation_id(open_id: str) -> str:
    return f"wx-{open_id}"


def open_id_of(conversation: str | None) -> str | None:
    match = _CONVERSATION.fullmatch(conversation or "")
    return match.group(1) if match else None


def masked(open_id: str | None) -> str:
    """An open id fit for logs: "wx-****abcd"."""
    value = open_id or ""
    return "wx-" + "*" * max(len(value) - 4, 1) + value[-4:]


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> List[str]:
    """`text` in parts WeChat accepts, cut at line ends where possible."""
    text = text.strip()
    parts: List[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        parts.append(text)
    return [part for part in parts if part]


def send_text(client: SharedTokenClient, open_id: str, text: str) -> None:
    """One customer-service text (in parts when long); raises WeChatError."""
    for part in split_text(text):
        call(lambda part=part: client.message.send_text(open_id, part))


class WeChatNoticeSender:
    """bot.outbox sender for WeChat, called from a worker thread with a queued notice or an
    agent's words."""

    def __init__(self, client: Callable[[], SharedTokenClient],
                 clock: Callable[[], datetime] | None = None) -> None:
        self._client = client
        self._clock = clock

    def __call__(self, notice: Notice) -> None:
        open_id = open_id_of(notice.conversation_id)
        if open_id is None:
            raise PermanentDeliveryError("not a WeChat conversation id")
        if channel_closed(notice.conversation_id):
            raise ChannelCannotDeliver("wechat: the follower unsubscribed")
        client = self._client()
        now = self._clock() if self._clock else None
        if window_open(notice.conversation_id, WECHAT_WINDOW - WINDOW_MARGIN, now=now):
            try:
                send_text(client, open_id, notice.body)
                return
            except WeChatError as error:
                if error.errcode in UNREACHABLE:
                    raise ChannelCannotDeliver(f"wechat: follower unreachable ({error})") from error
                if error.errcode != OUTSIDE_WINDOW:
                    raise  # unreachable API, rate limit: retried by the outbox
                logger.info("wechat: notice %s outside the window by WeChat's clock", notice.id)
        self._send_template(client, open_id, notice)

    def _send_template(self, client: SharedTokenClient, open_id: str, notice: Notice) -> None:
        template = template_for(notice.kind)
        if template is None:
            raise ChannelCannotDeliver(
                f"wechat: outside the 48-hour window and no template for {notice.kind!r}")
        data = template.fields(claim_number=notice.claim_number, body=notice.body,
                               lang=notice.language or "zh")
        try:
            call(lambda: client.message.send_template(open_id, template.template_id, data))
        except WeChatError as error:
            if error.errcode in UNREACHABLE:
                raise ChannelCannotDeliver(f"wechat: template not delivered ({error})") from error
            raise
        logger.info("wechat: notice %s (%s) sent as template message to %s", notice.id,
                    notice.kind, masked(open_id))
