"""Retried webhook deliveries are recognised: one receipt per (channel, id)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from bot.inbound import first_receipt, forget_receipts_before


def test_a_repeat_is_recognised_per_channel(db_url):
    assert first_receipt("telegram", "1001", url=db_url) is True
    assert first_receipt("telegram", "1001", url=db_url) is False
    # The same id on another channel is another delivery.
    assert first_receipt("twilio", "1001", url=db_url) is True


def test_concurrent_repeats_agree_on_one_winner(db_url):
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: first_receipt("twilio", "SM1", url=db_url), range(8)))
    assert results.count(True) == 1


def test_old_receipts_are_forgotten(db_url):
    old = datetime(2026, 1, 1)
    first_receipt("telegram", "old", url=db_url, at=old)
    first_receipt("telegram", "new", url=db_url)
    assert forget_receipts_before(old + timedelta(days=1), url=db_url) == 1
    assert first_receipt("telegram", "old", url=db_url) is True
    assert first_receipt("telegram", "new", url=db_url) is False
