"""Every promise kept, through the real Rasa and action servers (issue 14): "we'll contact you
within 48 hours" after a complaint always leaves the complaint officer's call-back task, and "我稍后
补材料" about a claim waiting for documents records the customer's promise and its chase task;
the store is read to see them."""
from __future__ import annotations

import hashlib
import random
import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import requests

from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Claim, ClaimDocument, Customer, Policy
from bot.tasks import KINDS, list_tasks
from tests.e2e.test_report_conversations import forget_reported_claims  # noqa: F401 (autouse)

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"CMP-\d{4}-\d{6}")


class Customer_:
    def __init__(self, servers) -> None:
        self.servers = servers
        self.sender = f"e2e-{uuid.uuid4().hex[:10]}"

    def says(self, message: str) -> str:
        res = requests.post(self.servers.rest_url,
                            json={"sender": self.sender, "message": message}, timeout=60)
        assert res.status_code == 200, res.text
        return "\n".join(m.get("text") or "" for m in res.json())


def test_a_complaint_told_we_will_contact_you_leaves_the_call_back_task(
        claims_servers, claims_db_url):
    customer = Customer_(claims_servers)
    assert customer.says("我要投诉") == say("ask_complainant_name", "zh")
    assert customer.says("陈静") == say("ask_complainant_phone", "zh")
    assert customer.says("13966665555") == say("ask_complaint_about", "zh")
    assert customer.says("理赔太慢") == say("ask_complaint_facts", "zh")
    assert customer.says("报案两周了没人理我") == say("ask_complaint_request", "zh")
    receipt = customer.says("请尽快给我回电话")
    assert "48 小时内" in receipt
    reference = REFERENCE.search(receipt).group()
    [task] = list_tasks(complaint_reference=reference, url=claims_db_url)
    assert task.kind == "complaint_callback" and task.owner_role == "complaint_officer"
    assert task.status == "open" and task.conversation_id == customer.sender
    assert task.detail["phone"] == "13966665555" and task.detail["name"] == "陈静"
    assert task.due_at - task.created_at == timedelta(hours=KINDS["complaint_callback"].hours)


def _customer_with_a_claim_waiting(db_url: str) -> tuple[str, str]:
    """A customer of their own (nothing other tests look at) with an accident claim that still
    misses two documents the first notice named."""
    serial = random.randint(7000, 7999)
    policy_number = f"ACC-2026-{serial}"
    id_number = f"4401061990010{serial}"
    at = datetime.utcnow() - timedelta(hours=3)
    with unit_of_work(db_url) as uow:
        customer = Customer(name="赵敏", date_of_birth=date(1990, 1, 1),
                            phone=f"1390000{serial}", phone_last4=str(serial),
                            id_number_masked=id_number[:6] + "********" + id_number[-4:],
                            id_number_hash=hashlib.sha256(id_number.encode()).hexdigest(),
                            preferred_language="zh")
        uow.session.add(customer)
        uow.session.flush()
        policy = Policy(number=policy_number, customer_id=customer.id,
                        line_of_business="accident", product_code="ACC-PERSONAL",
                        product_name_zh="个人意外险", product_name_en="Personal accident",
                        sum_insured=Decimal("200000"), deductible=Decimal("0"),
                        waiting_period_days=0, start_date=date(2026, 1, 1),
                        end_date=date(2027, 12, 31), status="active")
        uow.policies.add(policy)
        number = uow.claims.next_claim_number(at.year)
        claim = Claim(number=number, policy=policy, stage="reported", incident_type="injury",
                      flags=[], injuries=True, reported_at=at, estimated_amount=Decimal("1800"),
                      channel="rest", language="zh")
        for code, zh, en in (("claim_form", "理赔申请书", "Claim form"),
                             ("medical_invoices", "医疗发票", "Medical invoices")):
            claim.documents.append(ClaimDocument(code=code, label_zh=zh, label_en=en,
                                                 mandatory=True, fetched_by_insurer=False,
                                                 status="missing", first_notice=True))
        uow.claims.add(claim)
        uow.claims.add_event(claim, from_stage=None, to_stage="reported", actor="bot", at=at)
        uow.commit()
    return policy_number, number


def test_documents_later_is_recorded_with_its_chase(claims_servers, claims_db_url):
    policy_number, number = _customer_with_a_claim_waiting(claims_db_url)
    customer = Customer_(claims_servers)
    customer.says("查一下我的理赔进度")
    customer.says(policy_number)
    assert number in customer.says("1990-01-01")
    reply = customer.says("我稍后补材料")
    assert number in reply and "医疗发票" in reply and "24 小时内审核赔付" in reply
    with unit_of_work(claims_db_url) as uow:
        claim = uow.claims.by_number(number)
        assert claim.documents_promise_words == "我稍后补材料"
        promised = claim.documents_promised_at
    assert promised is not None
    # (The server's back-office round may have opened a supervisor's task on the claim too.)
    [task] = list_tasks(claim_number=number, kind="document_chase", url=claims_db_url)
    assert task.kind == "document_chase" and task.due_at == promised + timedelta(hours=24)
    assert task.conversation_id == customer.sender
