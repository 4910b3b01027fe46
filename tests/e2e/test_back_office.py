"""Through the real servers: the Rasa server's back-office round (channels/core_api.py starts
it; every 2.4 s in these servers, CLAIMS_BACK_OFFICE_MINUTES in tests/conftest.py) opens a
supervision task for a yellow claim and escalates a red one without anyone asking about them; a
customer asking about a red claim hears "escalated" only with the escalation record in the
store."""
from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
import requests

from bot.clock import utc_now
from bot.escalations import list_escalations
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Claim, Customer, Policy
from bot.tasks import list_tasks
from tests.e2e.test_report_conversations import forget_reported_claims  # noqa: F401 (autouse)

pytestmark = pytest.mark.e2e

BIRTH = date(1970, 3, 15)


def _customer_with_late_claim(db_url: str, late_hours: float) -> tuple[str, str]:
    """A customer of their own (no other test sees their claims) with one small accident claim
    (24 h promise, red after 48 h) whose documents were complete `late_hours` ago.
    Returns (policy number, claim number)."""
    done = utc_now() - timedelta(hours=late_hours)
    tag = uuid.uuid4().hex
    with unit_of_work(db_url) as uow:
        customer = uow.customers.add(Customer(
            name="赵六", date_of_birth=BIRTH, phone="13900007777", phone_last4="7777",
            id_number_masked="1101**********7777", id_number_hash=tag + tag[:32],
            preferred_language="zh"))
        policy_number = f"ACC-2026-{int(tag[:6], 16) % 9000 + 1000:04d}"
        policy = uow.policies.add(Policy(
            number=policy_number, customer=customer, line_of_business="accident",
            product_code="ACC-E2E", product_name_zh="意外险", product_name_en="Accident cover",
            sum_insured=Decimal("100000"), deductible=Decimal("0"), waiting_period_days=0,
            start_date=date(2025, 1, 1), end_date=date(2030, 12, 31), status="active"))
        number = uow.claims.next_claim_number(done.year)
        claim = Claim(number=number, policy=policy, stage="assessment", incident_type="injury",
                      flags=[], injuries=True, reported_at=done - timedelta(hours=2),
                      documents_completed_at=done, estimated_amount=Decimal("2600"),
                      channel="webchat", language="zh")
        uow.claims.add(claim)
        uow.claims.add_event(claim, from_stage=None, to_stage="reported", actor="bot",
                             at=done - timedelta(hours=2))
        uow.claims.add_event(claim, from_stage="reported", to_stage="assessment",
                             actor="core-system", at=done)
        uow.commit()
        return policy_number, number


def _wait_for(found, seconds: float = 90.0):
    """What `found()` returns once it is truthy; the round runs every 2.4 s in the server."""
    deadline = time.monotonic() + seconds
    while True:
        result = found()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_a_yellow_claim_opens_a_supervision_task_without_anyone_asking(claims_servers,
                                                                        claims_db_url):
    _, number = _customer_with_late_claim(claims_db_url, late_hours=30)
    tasks = _wait_for(lambda: list_tasks(kind="supervision", claim_number=number,
                                         url=claims_db_url))
    assert len(tasks) == 1, f"no supervision task for {number}"
    [task] = tasks
    assert task.created_by == "server:back-office"  # the server's round, not a status answer
    assert task.owner_role == "supervisor" and task.status == "open"
    assert task.detail["clock"] == "settlement"
    assert list_escalations(claim_number=number, url=claims_db_url) == []
    with unit_of_work(claims_db_url) as uow:  # nobody asked about the claim
        assert not [e for e in uow.audit.list(action="claims.read")
                    if number in (e.detail or {}).get("claims", [])]


def test_a_red_claim_is_escalated_and_the_customer_is_told_so(claims_servers, claims_db_url):
    policy_number, number = _customer_with_late_claim(claims_db_url, late_hours=60)
    records = _wait_for(lambda: list_escalations(claim_number=number, url=claims_db_url))
    assert [(r.clock, r.regulator_report, r.created_by) for r in records] == [
        ("settlement", True, "server:back-office")]
    [task] = list_tasks(kind="escalation", claim_number=number, url=claims_db_url)
    assert task.owner_role == "supervisor" and task.detail["escalation"] == records[0].id
    assert number in [r.claim_number for r in
                      list_escalations(regulator_only=True, url=claims_db_url)]

    sender = f"e2e-{uuid.uuid4().hex[:10]}"

    def says(message: str) -> str:
        response = requests.post(claims_servers.rest_url, timeout=60,
                                 json={"sender": sender, "message": message})
        assert response.status_code == 200, response.text
        return "\n".join(m.get("text") or "" for m in response.json())

    says("查一下我的理赔进度")
    says(policy_number)
    reply = says(BIRTH.isoformat())
    assert number in reply and say("status_progress.red", "zh") in reply
    assert len(list_escalations(claim_number=number, url=claims_db_url)) == 1
