"""Once-only handling of webhook deliveries: platforms retry, the customer must not see twice."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.clock import as_utc_naive
from bot.store.db import unit_of_work
from bot.store.models import InboundReceipt

MAX_EXTERNAL_ID_CHARS = 128


def first_receipt(channel: str, external_id: str, *, url: str | None = None,
                  at: datetime | None = None) -> bool:
    """True the first time `channel` accepts `external_id`, False for every repeat. The unique
    constraint decides, so two replicas receiving the same retry at once agree."""
    receipt = InboundReceipt(channel=channel, external_id=str(external_id)[:MAX_EXTERNAL_ID_CHARS],
                             received_at=as_utc_naive(at))
    with unit_of_work(url) as uow:
        uow.session.add(receipt)
        try:
            uow.commit()
        except IntegrityError:
            return False
    return True


def forget_receipts_before(cutoff: datetime, *, url: str | None = None) -> int:
    """Drops receipts older than `cutoff` (platforms stop retrying after a day or so)."""
    with unit_of_work(url) as uow:
        result = uow.session.execute(
            delete(InboundReceipt).where(InboundReceipt.received_at < as_utc_naive(cutoff)))
        uow.commit()
        return int(result.rowcount or 0)

