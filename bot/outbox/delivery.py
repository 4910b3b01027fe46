"""Delivery from the outbox. Push: deliver_pending() sends queued messages through the channels'
senders (bot.outbox.senders), each exactly once while workers stay within the lease. Pull: the
web chat and REST clients collect their conversation's messages and acknowledge what they showed.

Delivery is safe with several workers: a worker takes a message with one conditional UPDATE
(still pending, same attempt count, not leased), which only one of them can win; the lease
(`next_attempt_at`) keeps the others off while it sends. A sender that raises is retried with
exponential backoff; PermanentDeliveryError (blocked user, invalid number, channel gone) fails the
message at once, and so does the last of `max_attempts` attempts. A worker that dies mid-send
leaves the message to be retried when the lease ends: at-least-once for crashes, exactly-once
otherwise.

A pulled message stays pending until acknowledged, so a dropped poll loses nothing (at least
once; the page shows each id once).

One delivery policy for every notice: the customer's own channel first. A sender that raises
ChannelCannotDeliver (WhatsApp past its 24-hour window with no approved template, a Telegram
user who blocked the bot, WeChat outside its 48-hour window with no template) hands the notice
to SMS to the phone on file (the sender registered as SMS_FALLBACK), and so does a web chat
notice that no page picked up within `webchat_pickup_minutes`. The hand-over is recorded on the
notice (fallback_reason, fell_back_at; delivered_channel "sms") before SMS is tried, so a retry
goes by SMS again and never by the first channel: nothing arrives twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Iterable, List, Mapping, Tuple

from bot.clock import as_utc_naive, utc_now
from bot.outbox.notices import PULL_CHANNELS
from bot.outbox.senders import (
    FALLBACK_CHANNEL,
    SMS_FALLBACK,
    ChannelCannotDeliver,
    Notice,
    PermanentDeliveryError,
    Sender,
)
from bot.store.db import unit_of_work

NOTIFY_ACTOR = "notify"
DEFAULT_MAX_ATTEMPTS = 5
# How long a worker may take to send one message before another may try it again.
DEFAULT_LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
# What a notice records as the channel that delivered it when it fell back.
SMS_CHANNEL = "sms"


# --- push: through the channels' senders --------------------------------------------------------

@dataclass
class DeliveryReport:
    sent: List[int] = field(default_factory=list)
    retrying: List[int] = field(default_factory=list)
    failed: List[int] = field(default_factory=list)
    fell_back: List[int] = field(default_factory=list)  # handed to SMS in this round


def backoff_delay(attempt: int) -> timedelta:
    """Wait before the next try after failed attempt number `attempt`: 1, 2, 4 ... minutes,
    at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(attempt - 1, 0)), BACKOFF_CAP)


def _due_rows(url: str | None, now: datetime, channels: List[str] | None,
              limit: int, fallen_back: bool) -> List[Tuple[int, int]]:
    with unit_of_work(url) as uow:
        return uow.notifications.due(now, channels, limit, fallen_back=fallen_back)


def webchat_pickup() -> timedelta:
    """How long a web chat notice waits for a page to pick it up before it goes by SMS."""
    from bot.settings import get_settings

    return timedelta(minutes=get_settings().webchat_pickup_minutes)


def hand_unpicked_to_sms(now: datetime, *, pickup: timedelta | None = None, limit: int = 100,
                         url: str | None = None) -> List[int]:
    """Web chat notices that no page picked up within `pickup` (default: the setting) are
    handed to SMS: recorded on the notice, which no page can collect any more. Returns their
    ids; the next delivery round (or this one) sends them."""
    pickup = webchat_pickup() if pickup is None else pickup
    minutes = f"{pickup.total_seconds() / 60:g}"
    handed: List[int] = []
    with unit_of_work(url) as uow:
        for notification_id in uow.notifications.unpicked(PULL_CHANNELS, now - pickup, now,
                                                          limit):
            if uow.notifications.hand_to_fallback(
                    notification_id, now, f"webchat: not picked up within {minutes} minutes"):
                handed.append(notification_id)
        uow.commit()
    return handed


def _take(url: str | None, notification_id: int, seen_attempts: int, now: datetime,
          lease: timedelta) -> Notice | None:
    """Lease one message for this worker; None when another worker got it first."""
    with unit_of_work(url) as uow:
        row = uow.notifications.take(notification_id, seen_attempts, now, now + lease)
        if row is None:
            return None
        notice = Notice(
            id=row.id,
            claim_number=row.claim.number if row.claim is not None else None,
            customer_id=row.customer_id,
            channel=row.channel,
            conversation_id=row.conversation_id,
            language=row.language,
            kind=row.kind,
            body=row.body,
            attempt=row.attempts,
            fallback_reason=row.fallback_reason,
        )
        uow.commit()
        return notice


def _finish(url: str | None, notice: Notice, **values: object) -> None:
    """Record the outcome of this worker's attempt (only while the lease is still its own)."""
    with unit_of_work(url) as uow:
        uow.notifications.finish(notice.id, notice.attempt, **values)
        if values.get("status") == "failed":
            uow.audit.record(NOTIFY_ACTOR, "notification.failed", "notification", notice.id,
                             {"claim": notice.claim_number, "kind": notice.kind,
                              "channel": notice.channel, "error": values.get("last_error")})
        if values.get("fallback_reason"):
            uow.audit.record(NOTIFY_ACTOR, "notification.fell_back", "notification", notice.id,
                             {"claim": notice.claim_number, "kind": notice.kind,
                              "channel": notice.channel, "reason": values["fallback_reason"]})
        uow.commit()


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def deliver_pending(
    senders: Mapping[str, Sender],
    *,
    now: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    limit: int = 100,
    lease: timedelta = DEFAULT_LEASE,
    url: str | None = None,
) -> DeliveryReport:
    """Send the pending messages that are due, oldest first, through `senders` (by channel name;
    the key "*" takes channels that have no sender of their own, and messages with no channel;
    the key SMS_FALLBACK texts the phone on file when a channel cannot deliver, and takes web
    chat notices not picked up in time). Messages for channels with no sender stay pending for
    a worker that has one.

    `now` (default: the clock at each step) is naive UTC or aware.
    """
    clock: Callable[[], datetime] = (lambda: as_utc_naive(now)) if now is not None else utc_now
    fallback = senders.get(FALLBACK_CHANNEL)
    sms = senders.get(SMS_FALLBACK)
    report = DeliveryReport()
    if sms is not None and fallback is None and not any(c in senders for c in PULL_CHANNELS):
        # Web chat notices nobody collected in time: SMS instead (a page can't take them now).
        report.fell_back.extend(hand_unpicked_to_sms(clock(), limit=limit, url=url))
    channels = None if fallback is not None else [name for name in senders
                                                  if name != SMS_FALLBACK]
    for notification_id, seen in _due_rows(url, clock(), channels, limit, sms is not None):
        notice = _take(url, notification_id, seen, clock(), lease)
        if notice is None:
            continue
        notice = replace(notice, now=clock())
        delivered_by = notice.channel
        try:
            if notice.fallback_reason is not None:  # handed to SMS before: SMS only
                delivered_by = SMS_CHANNEL
                _send_by_sms(sms, notice)
            else:
                sender = senders.get(notice.channel or "") or fallback
                if sender is None:  # the query only picks channels with a sender
                    raise LookupError(f"no sender for channel {notice.channel!r}")
                try:
                    sender(notice)
                except ChannelCannotDeliver as cannot:
                    reason = _error_text(cannot)
                    if sms is None:
                        raise PermanentDeliveryError(
                            f"{reason}; no SMS fallback configured") from cannot
                    # Recorded before SMS is tried: a retry goes by SMS, never this channel.
                    _finish(url, notice, fallback_reason=reason, fell_back_at=clock())
                    report.fell_back.append(notice.id)
                    delivered_by = SMS_CHANNEL
                    _send_by_sms(sms, notice)
        except PermanentDeliveryError as error:
            _finish(url, notice, status="failed", next_attempt_at=None,
                    last_error=f"permanent: {_error_text(error)}")
            report.failed.append(notice.id)
        except Exception as error:  # any other failure may pass: retry later
            if notice.attempt >= max_attempts:
                _finish(url, notice, status="failed", next_attempt_at=None,
                        last_error=f"gave up after {notice.attempt} attempts: "
                                   f"{_error_text(error)}")
                report.failed.append(notice.id)
            else:
                _finish(url, notice, last_error=_error_text(error),
                        next_attempt_at=clock() + backoff_delay(notice.attempt))
                report.retrying.append(notice.id)
        else:
            _finish(url, notice, status="sent", sent_at=clock(), next_attempt_at=None,
                    last_error=None, delivered_channel=delivered_by)
            report.sent.append(notice.id)
    return report


def _send_by_sms(sms: Sender | None, notice: Notice) -> None:
    if sms is None:  # the query picks handed-over notices only where SMS is a sender
        raise LookupError("no SMS fallback sender")
    sms(notice)


# --- pull: the web chat and REST clients collect and acknowledge -------------------------------

@dataclass(frozen=True)
class OutboxMessage:
    id: int
    kind: str
    text: str
    created_at: datetime
    metadata: Dict[str, Any] = field(default_factory=dict)


# How long a message handed to one poll is kept from the others (a second tab, a second
# replica): long enough for the page to show it and acknowledge it, short enough that a lost
# response is made good soon. Unacknowledged, it is handed out again after the lease.
POLL_LEASE = timedelta(seconds=15)
# The most ids one acknowledgement may name (a poll hands out at most 50 messages).
MAX_ACK_IDS = 100
ACK_REFUSED = "outbox.ack_refused"


def collect_messages(
    conversation_id: str,
    *,
    channels: Tuple[str, ...] = PULL_CHANNELS,
    lease: timedelta = POLL_LEASE,
    now: datetime | None = None,
    url: str | None = None,
) -> List[OutboxMessage]:
    """The conversation's pending messages, oldest first, each leased to this caller by a
    conditional UPDATE (however many poll at once, one gets it) and left pending: it is
    delivered only when acknowledged (`acknowledge_messages`), so a poll whose response is lost
    loses nothing; the message is handed out again when the lease ends."""
    at = as_utc_naive(now)
    collected: List[OutboxMessage] = []
    with unit_of_work(url) as uow:
        for row in uow.notifications.pending_for_conversation(conversation_id, channels, at):
            if uow.notifications.lease_if_due(row.id, at, at + lease):
                collected.append(OutboxMessage(row.id, row.kind, row.body, row.created_at))
        uow.commit()
    return collected


def acknowledge_messages(
    conversation_id: str,
    ids: Iterable[int],
    *,
    channels: Tuple[str, ...] = PULL_CHANNELS,
    remote: str | None = None,
    now: datetime | None = None,
    url: str | None = None,
) -> List[int]:
    """Mark the messages the conversation's page has shown delivered; returns those of `ids`
    that are this conversation's (acknowledging twice is harmless). Ids of another
    conversation, or of none, change nothing and are audited: the answer is the same for
    both, so it tells nobody which ids exist."""
    wanted = sorted({int(i) for i in ids})[:MAX_ACK_IDS]
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        own = uow.notifications.ids_of_conversation(wanted, conversation_id, channels)
        uow.notifications.mark_delivered(sorted(own), conversation_id, channels, at)
        foreign = [i for i in wanted if i not in own]
        if foreign:
            uow.audit.record(f"conversation:{conversation_id}", ACK_REFUSED, "conversation",
                             conversation_id[:64],
                             {"reason": "not_this_conversation", "ids": foreign[:20],
                              "count": len(foreign), "remote": (remote or "")[:64]}, at=at)
        uow.commit()
    return sorted(own)


def record_refused_ack(conversation_id: str | None, reason: str, remote: str | None = None,
                       *, now: datetime | None = None, url: str | None = None) -> None:
    """Audit an acknowledgement the channel refused before reading it (oversized, too many
    ids): no page of ours sends one."""
    with unit_of_work(url) as uow:
        uow.audit.record(f"conversation:{conversation_id}" if conversation_id else "webchat",
                         ACK_REFUSED, "conversation", (conversation_id or "")[:64] or None,
                         {"reason": reason, "remote": (remote or "")[:64]},
                         at=as_utc_naive(now))
        uow.commit()
