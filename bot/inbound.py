"""Once-only handling of webhook deliveries: platforms retry, the customer must not see twice."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.clock import as_utc_naive
from bot.store.db import unit_of_work
from bot.store.models import InboundReceipt

MAX_EXTERNAL_ID_CHARS = 128


# How long a claimed delivery stays "in progress": longer than any turn (speech recognition and
# the action server's timeout included); after it a delivery whose turn crashed is taken again.
RECEIPT_LEASE_S = 360.0
CLAIMED, IN_PROGRESS, DONE = "claimed", "in_progress", "done"


def claim_receipt(channel: str, external_id: str, *, lease_s: float = RECEIPT_LEASE_S,
                  url: str | None = None, at: datetime | None = None) -> str:
    """CLAIMED: handle the delivery now, then `finish_receipt`. IN_PROGRESS: another handler
    holds it (answer "retry later"). DONE: handled before (answer OK, do nothing). The unique
    constraint and a conditional UPDATE decide, so two replicas never both claim it."""
    now = as_utc_naive(at)
    key = str(external_id)[:MAX_EXTERNAL_ID_CHARS]
    lease = now + timedelta(seconds=lease_s)
    with unit_of_work(url) as uow:
        uow.inbound_receipts.add(InboundReceipt(channel=channel, external_id=key,
                                                received_at=now, lease_until=lease))
        try:
            uow.commit()
            return CLAIMED
        except IntegrityError:
            uow.rollback()
        row = uow.inbound_receipts.by_key(channel, key)
        if row.done_at is not None:
            return DONE
        taken = uow.inbound_receipts.take_expired_lease(row.id, now, lease)
        uow.commit()
        return CLAIMED if taken else IN_PROGRESS


def _set(channel: str, external_id: str, url: str | None, **values: Any) -> None:
    with unit_of_work(url) as uow:
        uow.inbound_receipts.set_values(channel, str(external_id)[:MAX_EXTERNAL_ID_CHARS],
                                        **values)
        uow.commit()


def finish_receipt(channel: str, external_id: str, *, url: str | None = None,
                   at: datetime | None = None) -> None:
    """The delivery's turn was handled: every later retry is answered OK and ignored."""
    _set(channel, external_id, url, done_at=as_utc_naive(at))


def release_receipt(channel: str, external_id: str, *, url: str | None = None,
                    at: datetime | None = None) -> None:
    """The turn crashed: the platform's retry is taken at once instead of after the lease."""
    _set(channel, external_id, url, lease_until=as_utc_naive(at))


def first_receipt(channel: str, external_id: str, *, url: str | None = None,
                  at: datetime | None = None) -> bool:
    """True the first time `channel` accepts `external_id` (marked done at once), False for
    every repeat: for deliveries whose handling cannot crash half-way."""
    if claim_receipt(channel, external_id, url=url, at=at) != CLAIMED:
        return False
    finish_receipt(channel, external_id, url=url, at=at)
    return True


def received(channel: str, external_id: str, *, url: str | None = None) -> bool:
    """Whether `channel` has received `external_id` before (being handled or done)."""
    with unit_of_work(url) as uow:
        key = str(external_id)[:MAX_EXTERNAL_ID_CHARS]
        return uow.inbound_receipts.exists(channel, key)


def forget_receipts_before(cutoff: datetime, *, url: str | None = None) -> int:
    """Drops receipts older than `cutoff` (platforms stop retrying after a day or so)."""
    with unit_of_work(url) as uow:
        count = uow.inbound_receipts.delete_before(as_utc_naive(cutoff))
        uow.commit()
        return count

