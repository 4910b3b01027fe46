"""When each customer last wrote on a conversation, and whether a channel's free-text window is
still open: WhatsApp accepts business messages that are not approved templates only within 24
hours of the customer's last message, WeChat's customer-service messages within 48. Channels
record every inbound message here (channels/twilio.py; the WeChat channel likewise); senders ask
before sending a notice (channels/twilio_rest.py)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.clock import as_utc_naive
from bot.store.db import unit_of_work
from bot.store.models import ChannelContact

WHATSAPP_WINDOW = timedelta(hours=24)
WECHAT_WINDOW = timedelta(hours=48)
# The contact's `channel` while the customer has left it (a WeChat follower who unsubscribed):
# "<channel>:closed". Senders ask `channel_closed` and fall back (SMS) without trying.
CLOSED = ":closed"


def record_inbound(conversation_id: str, channel: str, *, at: datetime | None = None,
                   url: str | None = None) -> None:
    """The customer wrote on `conversation_id` at `at` (default now). Later times only: a
    retried webhook of an older message never shortens the window."""
    when = as_utc_naive(at)
    for _ in range(2):  # a concurrent first insert loses the race once, then updates
        with unit_of_work(url) as uow:
            if not uow.channel_contacts.move_forward(conversation_id, channel, when):
                uow.channel_contacts.add(ChannelContact(
                    conversation_id=conversation_id, channel=channel, last_inbound_at=when))
            try:
                uow.commit()
                return
            except IntegrityError:
                uow.rollback()


def last_inbound_at(conversation_id: str | None, *, url: str | None = None) -> datetime | None:
    """When the customer last wrote on the conversation (naive UTC); None: never recorded."""
    if not conversation_id:
        return None
    with unit_of_work(url) as uow:
        return uow.channel_contacts.last_inbound_at(conversation_id)


def window_open(conversation_id: str | None, window: timedelta, *, now: datetime | None = None,
                url: str | None = None) -> bool:
    """Whether the customer wrote on the conversation within `window` before `now`. A
    conversation with no recorded message counts as closed (the safe answer: a template or
    another channel is used rather than a message the channel would refuse)."""
    last = last_inbound_at(conversation_id, url=url)
    return last is not None and as_utc_naive(now) - last <= window


def close_channel(conversation_id: str, channel: str, *, url: str | None = None) -> None:
    """The customer left the channel (WeChat's `unsubscribe`): nothing is sent there until
    `reopen_channel` (or a later message: record_inbound)."""
    record_inbound(conversation_id, channel, url=url)
    with unit_of_work(url) as uow:
        uow.channel_contacts.set_channel(conversation_id, channel + CLOSED)
        uow.commit()


def reopen_channel(conversation_id: str, channel: str, *, url: str | None = None) -> None:
    """The customer came back (WeChat's `subscribe`)."""
    record_inbound(conversation_id, channel, url=url)
    with unit_of_work(url) as uow:
        uow.channel_contacts.set_channel(conversation_id, channel)
        uow.commit()


def channel_closed(conversation_id: str | None, *, url: str | None = None) -> bool:
    """Whether the customer left the conversation's channel (close_channel)."""
    if not conversation_id:
        return False
    with unit_of_work(url) as uow:
        channel = uow.channel_contacts.channel_of(conversation_id)
    return bool(channel and channel.endswith(CLOSED))
