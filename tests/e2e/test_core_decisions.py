"""The core system's decisions through the real Rasa and action servers: a denial sent over the
core API reaches the web-chat customer with its reason, clause and appeal route; a payment notice
explains what the amount is made of; a rejected document brings one notice naming everything
still outstanding; a claim reported on the hotline is texted to the customer and can be asked
about in chat."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests

from bot.clauses import product_for
from bot.documents import checklist
from bot.outbox.notices import list_notices
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Claim, ClaimDocument
from tests.e2e.test_report_conversations import forget_reported_claims  # noqa: F401 (autouse)
from tests.e2e.test_status_clauses_notices import Chat, _poll_until
from tests.support.e2e import E2E_CORE_API_TOKEN

pytestmark = pytest.mark.e2e

WANG_FANG_PHONE = "+8613800000004"  # ACC-2026-0001's holder, as the seeded store has her


def _core(servers, path: str, body: dict, key: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {E2E_CORE_API_TOKEN}"}
    if key:
        headers["Idempotency-Key"] = key
    return requests.post(f"{servers.rasa_url}/webhooks/core{path}", json=body, headers=headers,
                         timeout=60)


def _claim_with_checklist(db_url: str, conversation_id: str, *, received: tuple = ()) -> str:
    """A claim of 王芳 reported in this web-chat conversation, in document review, with the
    injury checklist (items in `received` already in)."""
    at = datetime.utcnow() - timedelta(hours=2)
    with unit_of_work(db_url) as uow:
        policy = uow.policies.by_number("ACC-2026-0001")
        claim = Claim(number=uow.claims.next_claim_number(at.year), policy=policy,
                      stage="documents_review", incident_type="injury", flags=[], injuries=True,
                      reported_at=at, estimated_amount=Decimal("2600"), channel="webchat",
                      language="zh", conversation_id=conversation_id)
        uow.claims.add(claim)
        for item in checklist("accident", "injury"):
            claim.documents.append(ClaimDocument(
                code=item.code, label_zh=item.name_zh, label_en=item.name_en,
                mandatory=item.mandatory, fetched_by_insurer=item.fetched_by_insurer,
                status="received" if item.code in received else "missing",
                received_at=at if item.code in received else None))
        uow.claims.add_event(claim, from_stage=None, to_stage="reported", actor="bot", at=at)
        uow.claims.add_event(claim, from_stage="reported", to_stage="documents_review",
                             actor="core-system", at=at + timedelta(minutes=10))
        uow.commit()
        return claim.number


def _web_chat(servers) -> Chat:
    return Chat(servers, channel="webchat", sender=f"web-{uuid.uuid4().hex[:12]}")


def test_a_denial_reaches_the_customer_with_reason_clause_and_appeal_route(claims_servers,
                                                                           claims_db_url):
    chat = _web_chat(claims_servers)
    number = _claim_with_checklist(claims_db_url, chat.sender)
    refused = _core(claims_servers, f"/claims/{number}/deny",
                    {"reason": {"zh": "摔伤发生在保单生效之前。"}, "clause": "accident.4"})
    assert refused.status_code == 422 and refused.json()["error"] == "denial_reason_required"
    body = {"reason": {"zh": "摔伤发生在保单生效之前。",
                       "en": "The fall happened before the policy started."},
            "clause": "accident.4", "handler": "chen.li"}
    response = _core(claims_servers, f"/claims/{number}/deny", body, key=f"deny-{number}")
    assert response.status_code == 200, response.text
    assert _core(claims_servers, f"/claims/{number}/deny", body,
                 key=f"deny-{number}").json() == response.json()  # a retry is answered
    [message] = _poll_until(chat, 1)
    clause = product_for("accident").clause(4)
    assert message["kind"] == "denied"
    text = message["text"]
    assert "摔伤发生在保单生效之前。" in text
    assert clause.reference("zh") in text and clause.text("zh") in text
    assert say("notice.appeal_route", "zh") in text
    time.sleep(1.5)
    assert chat.poll().json() == []  # one notice, not two
    assert [n.kind for n in list_notices(claim_number=number, url=claims_db_url)] == ["denied"]


def test_the_payment_notice_explains_what_the_amount_is_made_of(claims_servers, claims_db_url):
    chat = _web_chat(claims_servers)
    number = _claim_with_checklist(claims_db_url, chat.sender)
    assert _core(claims_servers, f"/claims/{number}/stage",
                 {"stage": "assessment"}).status_code == 200
    approval = {
        "amount": "1760.00",
        "loss_assessed": {"amount": "2600", "zh": "门诊和拍片费用共 2,600 元。",
                          "en": "The clinic and X-ray cost CNY 2,600."},
        "excluded": [{"amount": "400", "zh": "进口药不在保障范围内。",
                      "en": "Imported medicine is not covered."}],
        "deductible": {"amount": "0", "zh": "这份保单没有免赔额。",
                       "en": "This policy has no deductible."},
        "ratio": {"value": "0.8", "zh": "意外医疗按 80% 赔付。",
                  "en": "Accident medical costs are paid at 80%."},
    }
    approved = _core(claims_servers, f"/claims/{number}/approve", approval)
    assert approved.status_code == 200, approved.text
    today = datetime.utcnow().date().isoformat()
    paid = _core(claims_servers, f"/claims/{number}/pay",
                 {"amount": "1760.00", "paid_on": today})
    assert paid.status_code == 200, paid.text
    messages = _poll_until(chat, 3)
    assert [m["kind"] for m in messages] == ["documents_accepted", "review_done", "paid_closed"]
    review, closing = messages[1]["text"], messages[2]["text"]
    for text in (review, closing):
        assert "1,760 元" in text and say("notice.breakdown_heading", "zh") in text
        assert "门诊和拍片费用共 2,600 元。" in text and "进口药不在保障范围内。" in text
        assert "80%" in text and "这份保单没有免赔额。" in text
    assert "付款日期" in closing


def test_a_rejected_document_brings_one_notice_naming_everything_outstanding(claims_servers,
                                                                             claims_db_url):
    chat = _web_chat(claims_servers)
    number = _claim_with_checklist(
        claims_db_url, chat.sender,
        received=("claim_form", "id_card", "bank_card", "medical_record", "diagnosis"))
    response = _core(claims_servers, f"/claims/{number}/documents", {"items": [
        {"code": "invoices", "status": "received", "via": "branch"},
        {"code": "medical_insurance_settlement", "status": "fetched"},
        {"code": "diagnosis", "status": "rejected",
         "reason": {"zh": "诊断证明没有医院盖章。", "en": "The certificate has no hospital "
                                                  "stamp."}},
        {"code": "id_card", "status": "rejected",
         "reason": {"zh": "身份证照片看不清。", "en": "The ID photo cannot be read."}},
    ]})
    assert response.status_code == 200, response.text
    assert response.json()["outstanding"] == ["id_card", "diagnosis", "itemised_bill",
                                              "accident_proof", "discharge_summary",
                                              "disability_appraisal"]
    [message] = _poll_until(chat, 1)
    assert message["kind"] == "documents_rejected"
    text = message["text"]
    assert "诊断证明（原因：诊断证明没有医院盖章。）" in text
    assert "（原因：身份证照片看不清。）" in text
    assert "费用清单" in text and "意外事故证明" in text  # still missing, in the same notice
    assert "医疗费用发票" not in text  # handed in at the branch
    time.sleep(1.5)
    assert chat.poll().json() == []


def test_a_hotline_claim_is_texted_to_the_customer_and_can_be_asked_about_in_chat(
        claims_servers, claims_db_url, twilio_standin):
    before = len(twilio_standin.messages)
    created = _core(claims_servers, "/claims", {
        "policy_number": "ACC-2026-0001", "incident_type": "injury", "source": "hotline",
        "incident_at": (datetime.utcnow() - timedelta(days=1)).date().isoformat(),
        "description": "在小区门口滑倒，手腕骨折。", "handler": "li.na"}, key=uuid.uuid4().hex)
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    deadline = time.monotonic() + 20
    texts: list = []
    while time.monotonic() < deadline and number not in "".join(texts):
        texts = [m.get("Body", "") for m in twilio_standin.messages[before:]
                 if m.get("To") == WANG_FANG_PHONE]
        time.sleep(0.5)
    assert number in "".join(texts)  # the receipt by SMS, with the documents to send
    chat = Chat(claims_servers)
    chat.says("查一下我的理赔进度")
    chat.says("ACC-2026-0001")
    listing = chat.says("0004")
    assert "王芳" in listing
    reply = listing if say("stage.reported", "zh") in listing and number in listing \
        else chat.says(number)
    assert number in listing + reply and say("stage.reported", "zh") in reply
