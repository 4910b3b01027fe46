"""The server runs the back-office round (rasa_server/jobs.py BackOfficeRounds, started by the
core API channel's listeners): a yellow claim gets its supervision task without anyone asking."""
from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Iterator

import pytest

from bot.clock import utc_now
from bot.store.db import unit_of_work
from bot.store.models import Claim
from bot.tasks import list_tasks
from channels.core_api import CoreApiInput
from rasa_server.jobs import BackOfficeRounds
from tests.channels.test_core_api import make_client
from tests.support.store import seeded_store

HOSPITAL = "CLM-2026-000003"  # seeded (as of 2026-11-22) in assessment


@pytest.fixture
def store(tmp_path, monkeypatch) -> Iterator[str]:
    with seeded_store(monkeypatch, tmp_path, CLAIMS_BACK_OFFICE_MINUTES="0") as url:
        yield url


def _small_claim_late_by(url: str, hours: float) -> str:
    """A small claim (24 h promise, red after 48 h) whose documents were complete `hours` ago."""
    at = utc_now() - dt.timedelta(hours=hours)
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number("ACC-2026-0001")
        number = uow.claims.next_claim_number(at.year)
        claim = Claim(number=number, policy=policy, stage="assessment", incident_type="injury",
                      flags=[], injuries=True, reported_at=at - dt.timedelta(hours=1),
                      documents_completed_at=at, estimated_amount=Decimal("2600"),
                      channel="webchat", language="zh")
        uow.claims.add(claim)
        uow.claims.add_event(claim, from_stage=None, to_stage="reported", actor="bot",
                             at=at - dt.timedelta(hours=1))
        uow.claims.add_event(claim, from_stage="reported", to_stage="assessment",
                             actor="core-system", at=at)
        uow.commit()
        return number


def test_the_interval_comes_from_credentials_or_settings(store):
    from rasa.core.run import _create_single_channel

    channel = _create_single_channel("channels.core_api.CoreApiInput",
                                     {"back_office_interval_seconds": 2})
    assert channel.back_office.interval_s == 2 and channel.back_office.first_delay_s == 2
    off = CoreApiInput(delivery_interval_s=3600)  # CLAIMS_BACK_OFFICE_MINUTES=0: never
    assert off.back_office.interval_s == 0


def test_a_round_of_the_job_opens_the_supervision_task(store):
    job = BackOfficeRounds(3600)
    yellow = dt.datetime(2026, 11, 27, 2, 0)  # the seeded claim's settlement promise passed
    loop = asyncio.new_event_loop()
    try:
        report = loop.run_until_complete(job.run_once(now=yellow))
        again = loop.run_until_complete(job.run_once(now=yellow + dt.timedelta(hours=1)))
    finally:
        loop.close()
    assert report.supervision_opened == [f"{HOSPITAL}:settlement"]
    assert again.supervision_opened == []
    [task] = list_tasks(kind="supervision", url=store)
    assert task.claim_number == HOSPITAL and task.created_by == "server:back-office"


def test_the_server_runs_the_round_by_itself(store):
    number = _small_claim_late_by(store, 30)
    channel = CoreApiInput(delivery_interval_s=3600, back_office_interval_s=0.2)
    with make_client(channel) as client:
        for _ in range(50):  # the first round starts 0.2 s after the server
            client.loop.run_until_complete(asyncio.sleep(0.1))
            if list_tasks(kind="supervision", claim_number=number, url=store):
                break
        assert channel.back_office._task is not None
    assert channel.back_office._task is None
    [task] = list_tasks(kind="supervision", claim_number=number, url=store)
    assert task.owner_role == "supervisor" and task.detail["clock"] == "settlement"
