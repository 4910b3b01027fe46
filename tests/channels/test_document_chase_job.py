"""The server's missing-document chase round (rasa_server/jobs.py DocumentChase), started and
stopped with the core API channel like the notice loop; interval from settings, 0 = off."""
from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Iterator

import pytest
from rasa.core.channels.channel import register
from sanic import Sanic

from bot.outbox.notices import list_notices
from channels.core_api import CoreApiInput
from rasa_server.jobs import DocumentChase
from tests.support.asgi import AsgiClient
from tests.support.store import seeded_store

NUMBER = "CLM-2026-000004"  # driving licence and repair invoice still missing


@pytest.fixture
def store(tmp_path, monkeypatch) -> Iterator[str]:
    with seeded_store(monkeypatch, tmp_path, CLAIMS_DOCUMENT_CHASE_MINUTES="1") as url:
        yield url


def test_a_round_queues_the_reminder_that_is_due(store):
    job = DocumentChase(3600)
    loop = asyncio.new_event_loop()
    try:
        day3 = dt.datetime(2026, 11, 22, 3, 0)  # three days after the report
        report = loop.run_until_complete(job.run_once(now=day3))
        again = loop.run_until_complete(job.run_once(now=day3 + dt.timedelta(minutes=1)))
    finally:
        loop.close()
    assert report.reminded == [NUMBER] and again.reminded == []
    [reminder] = [n for n in list_notices(claim_number=NUMBER, url=store)
                  if n.kind == "documents_reminder"]
    assert reminder.status == "pending" and "驾驶证" in reminder.body


def test_the_round_starts_and_stops_with_the_server(store):
    channel = CoreApiInput(delivery_interval_s=3600)
    assert channel.chase.interval_s == 60
    app = Sanic(f"chase_test_{uuid.uuid4().hex}")
    register([channel], app, route="/webhooks/")
    with AsgiClient(app) as client:
        client.loop.run_until_complete(asyncio.sleep(0.1))
        assert channel.chase._task is not None
    assert channel.chase._task is None


def test_an_interval_of_zero_never_starts(store):
    job = DocumentChase(0)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(asyncio.sleep(0))
        loop.call_soon(job.start)
        loop.run_until_complete(asyncio.sleep(0.05))
    finally:
        loop.close()
    assert job._task is None
