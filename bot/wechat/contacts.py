"""When each WeChat follower last wrote: WeChat lets customer-service messages reach a follower
only within 48 hours of their last message, click or subscription."""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import as_utc_naive
from bot.store.db import unit_of_work
from bot.store.models import WeChatContact

SERVICE_WINDOW = timedelta(hours=48)
# A little short of WeChat's own 48 hours: a notice sent at 47:59 may reach WeChat after 48:00.
WINDOW_MARGIN = timedelta(minutes=5)


def note_inbound(open_id: str, *, at: datetime | None = None, url: str | None = None) -> None:
    """The follower wrote (or clicked, or subscribed) at `at`: the window opens again."""
    moment = as_utc_naive(at)
    with unit_of_work(url) as uow:
        row = uow.session.get(WeChatContact, open_id)
        if row is None:
            uow.session.add(WeChatContact(open_id=open_id, last_inbound_at=moment))
        elif row.last_inbound_at < moment:
            row.last_inbound_at = moment
        uow.commit()


def last_inbound(open_id: str, *, url: str | None = None) -> datetime | None:
    with unit_of_work(url) as uow:
        row = uow.session.get(WeChatContact, open_id)
        return row.last_inbound_at if row is not None else None


def within_window(open_id: str, *, at: datetime | None = None, url: str | None = None) -> bool:
    """Whether a customer-service message may reach the follower at `at`."""
    last = last_inbound(open_id, url=url)
    return last is not None and as_utc_naive(at) < last + SERVICE_WINDOW - WINDOW_MARGIN
