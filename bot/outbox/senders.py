"""The sender registry: how a queued notice reaches a channel that can push (Telegram, SMS,
WhatsApp). Channels register their sender at start-up; a sender raises PermanentDeliveryError for
a message that can never be delivered."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Dict

FALLBACK_CHANNEL = "*"  # a sender under this key takes every channel without its own sender
# The sender under this key texts the phone on the customer's record (channels/twilio.py
# registers it): the delivery policy's way out when a channel raises ChannelCannotDeliver.
SMS_FALLBACK = "sms:phone_on_file"


class PermanentDeliveryError(Exception):
    """Raised by a sender when the message can never be delivered: the user blocked the bot, the
    number is invalid, the channel or conversation is gone. The message is marked failed."""


class ChannelCannotDeliver(PermanentDeliveryError):
    """Raised by a sender when its channel cannot carry this message now, although the customer
    may still be reached another way: WhatsApp past the 24-hour window with no approved template
    for the notice's kind, a Telegram user who blocked the bot, WeChat outside its 48-hour
    window with no template, a web chat page that never picked the notice up. The delivery
    policy (bot.outbox.delivery) then sends the notice by SMS to the phone on file, once, and
    records on the notice that it fell back and why (the message of this error). With no
    fallback available the notice fails like any PermanentDeliveryError."""


@dataclass(frozen=True)
class Notice:
    """One queued message as a sender sees it."""

    id: int
    claim_number: str | None
    customer_id: int
    channel: str | None
    conversation_id: str | None
    language: str | None
    kind: str
    body: str
    attempt: int  # 1 on the first try
    # Set once the notice fell back to SMS (why): it then goes by SMS only, never its channel.
    fallback_reason: str | None = None
    # The delivery round's clock (naive UTC), for senders that check a channel's window.
    now: datetime | None = None


Sender = Callable[[Notice], None]


_registry_lock = threading.Lock()
_registry: Dict[str, Sender] = {}


def register_sender(channel: str, sender: Sender) -> None:
    """Make `sender` the way notices reach `channel` (channels register theirs at start-up)."""
    with _registry_lock:
        _registry[channel] = sender


def registered_senders() -> Dict[str, Sender]:
    with _registry_lock:
        return dict(_registry)


def print_sender(notice: Notice) -> None:
    """Writes the message to stdout: for the demo, and for operators delivering by hand."""
    print(f"--- notice #{notice.id} {notice.kind} -> {notice.channel or '-'}:"
          f"{notice.conversation_id or '-'} ({notice.language or '-'})")
    print(notice.body)


def phone_on_file(customer_id: int | None) -> str | None:
    """The phone number on the customer's record (None: no customer, or none on file), for a
    sender that texts the customer rather than answering a conversation."""
    if not customer_id:
        return None
    from bot.store.db import unit_of_work

    with unit_of_work() as uow:
        customer = uow.customers.get(customer_id)
        return customer.phone if customer is not None else None
