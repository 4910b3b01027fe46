"""The core system's decisions (bot/claims/decisions.py), document statuses
(bot/documents/status.py) and calls made once (bot/core_calls.py), against the seeded store."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Dict

import pytest

from bot.claims import decisions
from bot.claims.lifecycle import claim_view, claims_of_policy_holder
from bot.claims.model import ClaimStage
from bot.clauses import product_for
from bot.core_calls import fingerprint, run_call
from bot.documents import status as document_status
from bot.documents.intake import receive_file
from bot.outbox.notices import list_notices
from bot.replies import say
from bot.store.db import unit_of_work

NOW = datetime(2026, 11, 22, 2, 0)
HOSPITAL, COLLISION, THEFT = "CLM-2026-000003", "CLM-2026-000004", "CLM-2026-000002"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

APPROVAL: Dict[str, Any] = {
    "amount": "9600.00",
    "loss_assessed": {"amount": "12600", "zh": "住院七天的医疗费用共 12,600 元。",
                      "en": "Seven days in hospital cost CNY 12,600 in all."},
    "excluded": [{"amount": "600", "zh": "单人病房的床位差价不在保障范围内。",
                  "en": "The extra for a single room is not covered."}],
    "deductible": {"amount": "0", "zh": "这份保单没有免赔额。",
                   "en": "This policy has no deductible."},
    "ratio": {"value": "0.8", "zh": "医保范围外的费用按 80% 赔付。",
              "en": "Costs outside the public insurance are paid at 80%."},
    "handler": "chen.li",
}
DENIAL: Dict[str, Any] = {
    "reason": {"zh": "入院日期在等待期内。", "en": "You went into hospital during the waiting "
                                                "period."},
    "clause": "medical.4",
}


def call(url: str, operation, *args: Any, body: Dict[str, Any], key: str | None = None,
         path: str = "/test", now: datetime = NOW):
    return run_call(lambda uow, at: operation(uow, at, *args, body),
                    route=f"POST {path}", request_fingerprint=fingerprint("POST", path, body),
                    key=key, actor="core-system", subject=("claim", args[0] if args else None),
                    now=now, url=url)


def refusals(url: str) -> list:
    with unit_of_work(url) as uow:
        return [(e.subject_id, e.detail["error"]) for e in uow.audit.list(
            action="core_api.refused")]


# --- approve and pay ------------------------------------------------------------------------------

def test_approval_keeps_its_make_up_moves_to_payment_and_the_notice_explains_it(seeded_url):
    outcome = call(seeded_url, decisions.approve, HOSPITAL, body=APPROVAL)
    assert outcome.status == 200, outcome.body
    assert outcome.body["notice"] == "review_done" and outcome.body["stage"] == "payment"
    view = claim_view(HOSPITAL, url=seeded_url)
    assert view.stage is ClaimStage.PAYMENT and view.approved_amount == Decimal("9600.00")
    [notice] = list_notices(claim_number=HOSPITAL, url=seeded_url)
    assert notice.kind == "review_done"
    body = notice.body
    assert "9,600 元" in body and say("notice.breakdown_heading", "zh") in body
    for line in ("住院七天的医疗费用共 12,600 元。", "单人病房的床位差价不在保障范围内。",
                 "这份保单没有免赔额。", "医保范围外的费用按 80% 赔付。"):
        assert line in body
    assert "12,600 元" in body and "600 元" in body and "80%" in body
    with unit_of_work(seeded_url) as uow:
        decision = uow.claims.by_number(HOSPITAL).decision
    assert decision["approved"]["excluded"][0]["amount"] == "600.00"
    assert decision["approved"]["by"] == "core-system:chen.li"


def test_an_amount_its_make_up_does_not_give_is_refused_and_changes_nothing(seeded_url):
    wrong = {**APPROVAL, "amount": "10080.00"}  # forgot the excluded item
    outcome = call(seeded_url, decisions.approve, HOSPITAL, body=wrong)
    assert (outcome.status, outcome.body["error"]) == (422, "breakdown_mismatch")
    assert outcome.body["computed"] == "9600.00"
    assert claim_view(HOSPITAL, url=seeded_url).stage is ClaimStage.ASSESSMENT
    assert list_notices(claim_number=HOSPITAL, url=seeded_url) == []
    assert refusals(seeded_url) == [(HOSPITAL, "breakdown_mismatch")]


@pytest.mark.parametrize("change,error", [
    (lambda b: b["ratio"].pop("en"), "invalid_text"),
    (lambda b: b.pop("deductible"), "breakdown_incomplete"),
    (lambda b: b.update(amount="-1"), "invalid_amount"),
    (lambda b: b.update(amount=True), "invalid_amount"),
    (lambda b: b["ratio"].update(value="1.5"), "invalid_ratio"),
    (lambda b: b.update(excluded="600"), "breakdown_incomplete"),
])
def test_an_approval_missing_a_plain_line_or_with_bad_values_is_refused(seeded_url, change,
                                                                         error):
    body = copy.deepcopy(APPROVAL)
    change(body)
    outcome = call(seeded_url, decisions.approve, HOSPITAL, body=body)
    assert outcome.status in (400, 422) and outcome.body["error"] == error
    assert claim_view(HOSPITAL, url=seeded_url).approved_amount is None


def test_a_decision_for_a_claim_in_the_wrong_stage_is_409_and_audited(seeded_url):
    outcome = call(seeded_url, decisions.approve, COLLISION, body={
        **APPROVAL, "amount": "9600.00"})
    assert (outcome.status, outcome.body["error"]) == (409, "wrong_stage")
    assert outcome.body["allowed_stages"] == ["assessment"]
    assert claim_view(COLLISION, url=seeded_url).stage is ClaimStage.DOCUMENTS_REVIEW
    paid = call(seeded_url, decisions.pay, HOSPITAL,
                body={"amount": "9600", "paid_on": "2026-11-22"})
    assert (paid.status, paid.body["error"]) == (409, "wrong_stage")
    assert refusals(seeded_url) == [(COLLISION, "wrong_stage"), (HOSPITAL, "wrong_stage")]


def test_payment_closes_the_claim_and_its_notice_gives_the_day_and_the_make_up(seeded_url):
    assert call(seeded_url, decisions.approve, HOSPITAL, body=APPROVAL).status == 200
    other = call(seeded_url, decisions.pay, HOSPITAL,
                 body={"amount": "9000", "paid_on": "2026-11-22"})
    assert (other.status, other.body["error"]) == (422, "amount_mismatch")
    future = call(seeded_url, decisions.pay, HOSPITAL,
                  body={"amount": "9600", "paid_on": "2026-11-30"})
    assert (future.status, future.body["error"]) == (422, "paid_on_in_future")
    paid = call(seeded_url, decisions.pay, HOSPITAL,
                body={"amount": "9600.00", "paid_on": "2026-11-22"})
    assert paid.status == 200 and paid.body["notice"] == "paid_closed"
    view = claim_view(HOSPITAL, url=seeded_url)
    assert view.stage is ClaimStage.CLOSED and view.paid_amount == Decimal("9600.00")
    notice = list_notices(claim_number=HOSPITAL, url=seeded_url)[-1]
    assert notice.kind == "paid_closed"
    assert "已赔付 9,600 元" in notice.body and "2026年11月22日" in notice.body
    assert "单人病房的床位差价不在保障范围内。" in notice.body
    assert say("notice.satisfaction_request", "zh") in notice.body


# --- deny -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("body,error", [
    ({"clause": "medical.4"}, "denial_reason_required"),
    ({"reason": {"zh": "入院日期在等待期内。"}, "clause": "medical.4"}, "denial_reason_required"),
    ({"reason": "等待期", "clause": "medical.4"}, "denial_reason_required"),
    ({"reason": DENIAL["reason"]}, "denial_clause_required"),
    ({"reason": DENIAL["reason"], "clause": "home.12"}, "unknown_clause"),
    ({"reason": DENIAL["reason"], "clause": "medical.99"}, "unknown_clause"),
])
def test_a_denial_without_both_reasons_or_a_clause_of_the_product_is_refused(seeded_url, body,
                                                                             error):
    outcome = call(seeded_url, decisions.deny, HOSPITAL, body=body)
    assert (outcome.status, outcome.body["error"]) == (422, error)
    view = claim_view(HOSPITAL, url=seeded_url)
    assert view.stage is ClaimStage.ASSESSMENT and view.denial_reason_zh is None
    assert list_notices(claim_number=HOSPITAL, url=seeded_url) == []
    assert refusals(seeded_url) == [(HOSPITAL, error)]
    if error == "unknown_clause":
        assert "medical.4" in outcome.body["clauses"]


def test_a_denial_quotes_reason_clause_and_appeal_route_in_a_notice_queued_at_once(seeded_url):
    outcome = call(seeded_url, decisions.deny, HOSPITAL, body=DENIAL)
    assert outcome.status == 200 and outcome.body["notice"] == "denied"
    assert outcome.body["notice_queued_at"] == "2026-11-22T02:00:00Z"
    assert outcome.body["notice_due_by"] == "2026-11-25T02:00:00Z"
    view = claim_view(HOSPITAL, url=seeded_url)
    assert view.stage is ClaimStage.DENIED and view.denial_clause == "第四条 / Clause 4"
    [notice] = list_notices(claim_number=HOSPITAL, url=seeded_url)
    clause = product_for("medical").clause(4)
    assert notice.kind == "denied" and notice.created_at == NOW
    assert "入院日期在等待期内。" in notice.body and clause.text("zh") in notice.body
    assert say("notice.appeal_route", "zh") in notice.body


def test_a_clause_may_be_named_by_its_reference(seeded_url):
    outcome = call(seeded_url, decisions.deny, HOSPITAL, body={**DENIAL, "clause": "Clause 4"})
    assert outcome.status == 200 and outcome.body["clause"] == "medical.4"


def test_a_stage_move_to_denied_is_refused_it_goes_through_deny(seeded_url):
    outcome = call(seeded_url, decisions.move_stage, HOSPITAL, body={"stage": "denied"})
    assert (outcome.status, outcome.body["error"]) == (422, "denial_needs_reason_and_clause")
    assert claim_view(HOSPITAL, url=seeded_url).stage is ClaimStage.ASSESSMENT
    denied_claim = call(seeded_url, decisions.deny, THEFT, body={
        **DENIAL, "clause": "home.12"})
    assert (denied_claim.status, denied_claim.body["error"]) == (409, "wrong_stage")


# --- document statuses ---------------------------------------------------------------------------

REJECT = {"code": "vehicle_licence", "status": "rejected",  # received with the report
          "reason": {"zh": "照片太模糊，看不清证号。", "en": "The photo is too blurred to read."}}


def test_a_rejection_queues_one_notice_naming_everything_outstanding(seeded_url):
    outcome = call(seeded_url, document_status.set_statuses, COLLISION, body={"items": [REJECT]})
    assert outcome.status == 200 and outcome.body["notice"] == "documents_rejected"
    assert outcome.body["outstanding"] == ["vehicle_licence", "driving_licence",
                                           "repair_invoice"]
    [notice] = list_notices(claim_number=COLLISION, url=seeded_url)
    assert notice.kind == "documents_rejected"
    assert "行驶证（原因：照片太模糊，看不清证号。）" in notice.body
    assert "维修发票/估损单" in notice.body  # still missing, named in the same notice
    assert "事故责任认定书" not in notice.body  # we fetch that ourselves
    view = claim_view(COLLISION, url=seeded_url)
    assert [d.code for d in view.missing_documents] == ["vehicle_licence", "driving_licence",
                                                        "repair_invoice"]
    with unit_of_work(seeded_url) as uow:
        row = next(d for d in uow.claims.by_number(COLLISION).documents
                   if d.code == "vehicle_licence")
        assert (row.status, row.rejected_at, row.rejection_reason_en) == (
            "rejected", NOW, "The photo is too blurred to read.")


def test_an_item_not_on_the_checklist_refuses_the_whole_call(seeded_url):
    outcome = call(seeded_url, document_status.set_statuses, COLLISION, body={"items": [
        {"code": "repair_invoice", "status": "received"},
        {"code": "death_certificate", "status": "received"}]})
    assert (outcome.status, outcome.body["error"]) == (422, "unknown_document")
    assert outcome.body["unknown"] == ["death_certificate"]
    view = claim_view(COLLISION, url=seeded_url)
    assert [d.code for d in view.missing_documents] == ["driving_licence", "repair_invoice"]
    assert refusals(seeded_url) == [(COLLISION, "unknown_document")]


def test_a_rejection_without_reasons_in_both_languages_is_refused(seeded_url):
    body = {"items": [{**REJECT, "reason": {"zh": "模糊"}}]}
    outcome = call(seeded_url, document_status.set_statuses, COLLISION, body=body)
    assert (outcome.status, outcome.body["error"]) == (422, "rejection_reason_required")
    assert list_notices(claim_number=COLLISION, url=seeded_url) == []


def test_items_received_at_a_branch_or_fetched_complete_the_file(seeded_url):
    outcome = call(seeded_url, document_status.set_statuses, COLLISION, body={"items": [
        {"code": "driving_licence", "status": "received", "via": "branch"},
        {"code": "repair_invoice", "status": "received"},
        {"code": "liability_record", "status": "fetched"}]})
    assert outcome.status == 200 and outcome.body["complete"] is True
    assert outcome.body["documents_completed_at"] == "2026-11-22T02:00:00Z"
    assert outcome.body["notice"] is None and outcome.body["outstanding"] == []
    vias = {i["code"]: i["received_via"] for i in outcome.body["items"]}
    assert vias["liability_record"] == "data_link" and vias["driving_licence"] == "branch"
    assert claim_view(COLLISION, url=seeded_url).documents_completed_at == NOW
    # A needed item rejected while documents are still reviewed: the file is not complete.
    later = NOW + timedelta(hours=1)
    again = call(seeded_url, document_status.set_statuses, COLLISION, body={"items": [REJECT]},
                 now=later)
    assert again.body["complete"] is False and again.body["documents_completed_at"] is None


def test_a_rejected_item_sent_again_in_chat_is_received(seeded_url, tmp_path):
    call(seeded_url, document_status.set_statuses, COLLISION, body={"items": [REJECT]})
    result = receive_file(COLLISION, "licence.png", PNG, "image/png",
                          document_code="vehicle_licence", actor="test", now=NOW,
                          url=seeded_url, uploads_dir=tmp_path)
    assert result.ok
    assert [d.code for d in claim_view(COLLISION, url=seeded_url).missing_documents] == [
        "driving_licence", "repair_invoice"]


def test_waived_items_and_a_reported_claim_moving_to_review(seeded_url):
    created = call(seeded_url, decisions.create_claim, body={
        "policy_number": "ACC-2026-0001", "incident_type": "injury", "source": "branch"})
    number = created.body["number"]
    outcome = call(seeded_url, document_status.set_statuses, number, body={"items": [
        {"code": created.body["checklist"][0], "status": "received"},
        {"code": created.body["checklist"][1], "status": "waived"}]})
    assert outcome.body["stage"] == "documents_review" and outcome.body["stage_changed"]
    statuses = {i["code"]: i["status"] for i in outcome.body["items"]}
    assert statuses[created.body["checklist"][1]] == "waived"


# --- claims from the hotline or a branch ---------------------------------------------------------

def test_a_hotline_claim_is_stored_with_the_contact_and_the_customer_is_told(seeded_url):
    outcome = call(seeded_url, decisions.create_claim, body={
        "policy_number": "acc-2026-0001", "incident_type": "injury", "source": "hotline",
        "incident_at": "2026-11-20T15:30:00+08:00", "place": "上海市徐汇区",
        "description": "下楼梯时摔伤脚踝。", "estimated_amount": "2600", "handler": "li.na"})
    assert outcome.status == 201, outcome.body
    number = outcome.body["number"]
    assert outcome.body["contact"] == {"via": "sms", "phone": "+86138****0004"}
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(number)
        assert (claim.channel, claim.conversation_id) == ("twilio", "sms-+8613800000004")
        assert claim.incident_at == datetime(2026, 11, 20, 7, 30)
        assert claim.events[0].actor == "core-system:li.na"
    [notice] = list_notices(claim_number=number, url=seeded_url)
    assert notice.kind == "core_reported" and number in notice.body
    assert "客服电话" in notice.body and say("notice_needed_heading", "zh") in notice.body
    listed = claims_of_policy_holder("ACC-2026-0001", actor="test", url=seeded_url)
    assert number in [view.number for view in listed]


@pytest.mark.parametrize("body,status,error", [
    ({"policy_number": "ACC-2026-9999", "incident_type": "injury", "source": "hotline"},
     404, "policy_not_found"),
    ({"policy_number": "ACC-2026-0001", "incident_type": "flood", "source": "hotline"},
     422, "unknown_incident_type"),
    ({"policy_number": "ACC-2026-0001", "incident_type": "injury", "source": "email"},
     400, "invalid_source"),
    ({"policy_number": "ACC-2026-0001", "incident_type": "injury", "source": "branch",
      "contact": {"phone": "12", "via": "sms"}}, 422, "invalid_contact"),
    ({"policy_number": "ACC-2026-0001", "incident_type": "injury", "source": "branch",
      "incident_at": "2027-01-01"}, 422, "incident_in_future"),
])
def test_a_claim_from_another_channel_needs_a_policy_a_type_and_a_contact(seeded_url, body,
                                                                          status, error):
    outcome = call(seeded_url, decisions.create_claim, body=body)
    assert (outcome.status, outcome.body["error"]) == (status, error)
    assert [c.number for c in claims_of_policy_holder("ACC-2026-0001", actor="t",
                                                      url=seeded_url)] == []


def test_the_contact_of_a_claim_can_be_changed(seeded_url):
    outcome = call(seeded_url, decisions.update_contact, HOSPITAL, body={
        "contact": {"phone": "+8613900000009", "via": "whatsapp"}, "language": "en"})
    assert outcome.status == 200
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(HOSPITAL)
        assert (claim.conversation_id, claim.language) == ("wa-+8613900000009", "en")


def test_a_language_alone_keeps_the_contact_and_an_empty_change_is_refused(seeded_url):
    outcome = call(seeded_url, decisions.update_contact, HOSPITAL, body={"language": "en"})
    assert outcome.status == 200 and outcome.body["contact"] is None
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(HOSPITAL)
        assert (claim.channel, claim.language) == ("telegram", "en")
    empty = call(seeded_url, decisions.update_contact, HOSPITAL, body={"note": "x"})
    assert (empty.status, empty.body["error"]) == (400, "nothing_to_change")


# --- calls made once ----------------------------------------------------------------------------

def test_the_same_key_and_request_is_answered_again_and_nothing_happens_twice(seeded_url):
    first = call(seeded_url, decisions.deny, HOSPITAL, body=DENIAL, key="deny-1")
    again = call(seeded_url, decisions.deny, HOSPITAL, body=copy.deepcopy(DENIAL), key="deny-1",
                 now=NOW + timedelta(minutes=5))
    assert first.status == again.status == 200 and again.replayed and not first.replayed
    assert again.body == first.body
    assert len(list_notices(claim_number=HOSPITAL, url=seeded_url)) == 1
    with unit_of_work(seeded_url) as uow:
        assert len([e for e in uow.claims.by_number(HOSPITAL).events
                    if e.to_stage == "denied"]) == 1


def test_the_same_key_with_another_request_is_refused_and_audited(seeded_url):
    assert call(seeded_url, decisions.deny, HOSPITAL, body=DENIAL, key="k-7").status == 200
    other = call(seeded_url, decisions.approve, HOSPITAL, body=APPROVAL, key="k-7")
    assert (other.status, other.body["error"]) == (422, "idempotency_key_reused")
    assert claim_view(HOSPITAL, url=seeded_url).approved_amount is None
    assert refusals(seeded_url) == [(HOSPITAL, "idempotency_key_reused")]


def test_a_refused_call_is_judged_again_and_an_expired_key_is_forgotten(seeded_url):
    refused = call(seeded_url, decisions.deny, HOSPITAL, body={"clause": "medical.4"}, key="k")
    assert refused.status == 422
    fixed = call(seeded_url, decisions.deny, HOSPITAL, body=DENIAL, key="k")
    assert fixed.status == 200 and not fixed.replayed
    # 72 hours on, the key is free again: a new request with it runs (and is judged).
    later = call(seeded_url, decisions.approve, HOSPITAL, body=APPROVAL, key="k",
                 now=NOW + timedelta(hours=73))
    assert (later.status, later.body["error"]) == (409, "wrong_stage")


# --- the migration on a store with data ------------------------------------------------------

def test_migration_0010_goes_down_and_up_on_a_store_whose_documents_have_files(seeded_url):
    from bot.store.migrate import downgrade, upgrade
    from bot.store.models import ReceivedFile

    call(seeded_url, document_status.set_statuses, COLLISION, body={"items": [REJECT]})
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(COLLISION)
        document = next(d for d in claim.documents if d.code == "id_card")
        uow.received_files.add(ReceivedFile(claim=claim, document=document, filename="id.png",
                                            size_bytes=1, sha256="0" * 64, stored_path="/x"))
        uow.commit()
    downgrade(seeded_url, "0009_tasks_and_roles")
    upgrade(seeded_url)
    view = claim_view(COLLISION, url=seeded_url)  # the rejected item went back to missing
    assert [d.code for d in view.missing_documents] == ["vehicle_licence", "driving_licence",
                                                        "repair_invoice"]
    with unit_of_work(seeded_url) as uow:
        [stored] = uow.received_files.of_claim(uow.claims.by_number(COLLISION).id)
        assert stored.document.code == "id_card"


def test_a_call_that_lost_a_race_for_its_key_is_answered_as_the_winners_retry(seeded_url):
    from bot.core_calls import CoreRefused
    from bot.store.models import IdempotencyKey

    print_ = fingerprint("POST", "/race", {"a": 1})

    def operation(uow, at):  # the other call commits the key while this one runs, then
        with unit_of_work(seeded_url) as other:  # this one meets the stage that call moved
            other.idempotency.add(IdempotencyKey(
                key="race", fingerprint=print_, route="POST /race", status_code=200,
                response={"won": True}, created_at=at, expires_at=at + timedelta(hours=1)))
            other.commit()
        raise CoreRefused(409, "wrong_stage", "moved by the other call")

    outcome = run_call(operation, route="POST /race", request_fingerprint=print_, key="race",
                       actor="core-system", subject=("claim", HOSPITAL), now=NOW, url=seeded_url)
    assert (outcome.status, outcome.body, outcome.replayed) == (200, {"won": True}, True)
    assert refusals(seeded_url) == []


def test_a_request_with_a_lone_surrogate_has_a_fingerprint() -> None:
    """A forged JSON body may carry "\\ud800": the idempotency fingerprint still hashes it (it
    was a 500 before)."""
    from bot.core_calls import fingerprint

    first = fingerprint("POST", "/webhooks/core/claims/X/stage", {"note": "a\ud800b"})
    assert first == fingerprint("post", "/webhooks/core/claims/X/stage", {"note": "a\ud800b"})
    assert first != fingerprint("POST", "/webhooks/core/claims/X/stage", {"note": "ab"})


# --- the outside tester's findings ---------------------------------------------------------------

def _to_payment(url: str) -> None:
    assert call(url, decisions.approve, HOSPITAL, body=APPROVAL).status == 200


def test_closing_from_payment_through_a_stage_move_is_refused_pointing_to_pay(seeded_url):
    _to_payment(seeded_url)
    outcome = call(seeded_url, decisions.move_stage, HOSPITAL, body={"stage": "closed"})
    assert (outcome.status, outcome.body["error"]) == (422, "closing_needs_payment")
    assert "/pay" in outcome.body["message"]
    view = claim_view(HOSPITAL, url=seeded_url)
    assert view.stage is ClaimStage.PAYMENT and view.paid_amount is None
    assert [n.kind for n in list_notices(claim_number=HOSPITAL, url=seeded_url)] == [
        "review_done"]
    assert refusals(seeded_url) == [(HOSPITAL, "closing_needs_payment")]
    # /pay records the payment, and then the customer is told it was paid.
    paid = call(seeded_url, decisions.pay, HOSPITAL,
                body={"amount": "9600.00", "paid_on": "2026-11-22"})
    assert paid.status == 200 and paid.body["notice"] == "paid_closed"
    assert "已赔付 9,600 元" in list_notices(claim_number=HOSPITAL, url=seeded_url)[-1].body


def test_a_paid_closed_notice_never_says_paid_without_a_recorded_payment(seeded_url):
    from bot.claims.lifecycle import advance_claim

    _to_payment(seeded_url)
    advance_claim(HOSPITAL, "closed", actor="back-office", now=NOW, url=seeded_url)
    notice = list_notices(claim_number=HOSPITAL, url=seeded_url)[-1]
    assert "已赔付" not in notice.body and "9,600" not in notice.body
    assert say("notice.closed", "zh", number=HOSPITAL, product="老年住院医疗保险") in notice.body


@pytest.mark.parametrize("items,error", [
    ([{"code": "vehicle_licence", "status": "rejected"}], "rejection_reason_required"),
    ([{"code": "vehicle_licence", "status": "lost"}], "invalid_status"),
    ([{"code": "vehicle_licence", "status": "received", "via": "pigeon"}], "invalid_via"),
    ([{"code": "vehicle_licence", "status": "waived"},
      {"code": "vehicle_licence", "status": "waived"}], "duplicate_item"),
])
def test_a_bad_item_is_422_naming_it_audited_and_changes_nothing(seeded_url, items, error):
    outcome = call(seeded_url, document_status.set_statuses, COLLISION, body={"items": items})
    assert (outcome.status, outcome.body["error"]) == (422, error)
    assert outcome.body["item"] == "vehicle_licence"
    assert refusals(seeded_url) == [(COLLISION, error)]
    with unit_of_work(seeded_url) as uow:
        row = next(d for d in uow.claims.by_number(COLLISION).documents
                   if d.code == "vehicle_licence")
        assert row.status == "received"
    assert list_notices(claim_number=COLLISION, url=seeded_url) == []


@pytest.mark.parametrize("reason", [{"zh": "\u200b\u200b", "en": "Blurred."},
                                    {"zh": "模糊。", "en": "\u202e\ufeff"}])
def test_a_reason_of_format_characters_only_is_empty_and_refused(seeded_url, reason):
    denial = call(seeded_url, decisions.deny, HOSPITAL, body={**DENIAL, "reason": reason})
    assert (denial.status, denial.body["error"]) == (422, "denial_reason_required")
    rejection = call(seeded_url, document_status.set_statuses, COLLISION, body={
        "items": [{**REJECT, "reason": reason}]})
    assert (rejection.status, rejection.body["error"]) == (422, "rejection_reason_required")
    assert claim_view(HOSPITAL, url=seeded_url).stage is ClaimStage.ASSESSMENT


def test_format_characters_are_never_stored_or_sent(seeded_url):
    reason = {"zh": "入院\u202e日期在等待期内。\u200b", "en": "In the \u2066waiting\u2069 period."}
    outcome = call(seeded_url, decisions.deny, HOSPITAL, body={
        **DENIAL, "reason": reason, "note": "\u200b\u200d"})
    assert outcome.status == 200, outcome.body
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(HOSPITAL)
        assert (claim.denial_reason_zh, claim.denial_reason_en) == (
            "入院日期在等待期内。", "In the waiting period.")
        assert claim.events[-1].note is None  # a note of format characters only is no note
    [notice] = list_notices(claim_number=HOSPITAL, url=seeded_url)
    assert not any(ch in notice.body for ch in "\u202e\u200b\u2066\u2069")
    created = call(seeded_url, decisions.create_claim, body={
        "policy_number": "ACC-2026-0001", "incident_type": "injury", "source": "hotline",
        "place": "\u202e上海", "description": "\u200b摔伤。"})
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(created.body["number"])
        assert (claim.incident_place, claim.description) == ("上海", "摔伤。")


NEW = {"policy_number": "ACC-2026-0001", "incident_type": "injury", "source": "hotline"}


@pytest.mark.parametrize("change,error", [
    ({"incident_at": "2001-01-01"}, "incident_outside_cover"),
    ({"contact": {"phone": "12345", "via": "sms"}}, "invalid_contact"),
    ({"contact": {"phone": "+8612345", "via": "sms"}}, "invalid_contact"),
    ({"contact": {"phone": "+86 10 6552 9988", "via": "sms"}}, "invalid_contact"),  # landline
    ({"injuries": "yes"}, "invalid_injuries"),
    ({"injuries": 1}, "invalid_injuries"),
])
def test_a_new_claim_outside_cover_with_a_bad_phone_or_injuries_is_422(seeded_url, change,
                                                                       error):
    outcome = call(seeded_url, decisions.create_claim, body={**NEW, **change})
    assert (outcome.status, outcome.body["error"]) == (422, error)
    if error == "incident_outside_cover":
        with unit_of_work(seeded_url) as uow:
            policy = uow.policies.by_number("ACC-2026-0001")
            start, end = policy.start_date.isoformat(), policy.end_date.isoformat()
        assert start in outcome.body["message"] and end in outcome.body["message"]
        assert (outcome.body["cover_start"], outcome.body["cover_end"]) == (start, end)
    assert claims_of_policy_holder("ACC-2026-0001", actor="t", url=seeded_url) == []
    assert list_notices(url=seeded_url) == []


@pytest.mark.parametrize("phone,conversation", [
    ("13900000009", "sms-+8613900000009"), ("0086 139-0000-0009", "sms-+8613900000009"),
    ("+447911123456", "sms-+447911123456")])
def test_a_chinese_mobile_or_another_countrys_number_is_taken(seeded_url, phone, conversation):
    outcome = call(seeded_url, decisions.create_claim, body={
        **NEW, "contact": {"phone": phone}, "injuries": True})
    assert outcome.status == 201, outcome.body
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(outcome.body["number"])
        assert (claim.conversation_id, claim.injuries) == (conversation, True)
    bad = call(seeded_url, decisions.update_contact, HOSPITAL, body={"contact": {"phone": "12345"}})
    assert (bad.status, bad.body["error"]) == (422, "invalid_contact")


def test_a_core_claim_gets_the_risk_flags_and_review_task_of_a_chat_report(seeded_url):
    from bot.tasks import list_tasks

    first = call(seeded_url, decisions.create_claim, body=NEW)
    second = call(seeded_url, decisions.create_claim, body={
        **NEW, "estimated_amount": "250000"}, now=NOW + timedelta(hours=1))
    assert first.status == second.status == 201
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(second.body["number"])
        codes = [flag["code"] for flag in claim.flags]
        [audited] = [e.detail["flags"] for e in uow.audit.list(action="claim.report")
                     if e.subject_id == claim.number]
    assert "recent_claims" in codes and "amount_above_sum_insured" in codes
    assert audited == codes
    [task] = list_tasks(claim_number=second.body["number"], kind="review", url=seeded_url)
    assert "recent_claims" in task.title


def test_rejecting_an_item_never_received_is_409_naming_it(seeded_url):
    outcome = call(seeded_url, document_status.set_statuses, COLLISION, body={"items": [
        {**REJECT, "code": "driving_licence"}]})
    assert (outcome.status, outcome.body["error"]) == (409, "not_received")
    assert outcome.body["not_received"] == ["driving_licence"]
    assert "driving_licence" in outcome.body["message"]
    assert list_notices(claim_number=COLLISION, url=seeded_url) == []
    assert refusals(seeded_url) == [(COLLISION, "not_received")]


def test_an_item_the_insurer_fetches_rejected_is_fetched_again_never_asked_of_the_customer(
        seeded_url):
    fetched = call(seeded_url, document_status.set_statuses, COLLISION, body={"items": [
        {"code": "liability_record", "status": "fetched"}]})
    assert fetched.status == 200 and fetched.body["insurer_to_fetch"] == []
    alone = call(seeded_url, document_status.set_statuses, COLLISION, body={"items": [
        {**REJECT, "code": "liability_record"}]})
    assert alone.status == 200, alone.body
    assert alone.body["notice"] is None and alone.body["insurer_to_fetch"] == [
        "liability_record"]
    assert "liability_record" not in alone.body["outstanding"]
    assert list_notices(claim_number=COLLISION, url=seeded_url) == []
    both = call(seeded_url, document_status.set_statuses, COLLISION, body={"items": [
        {**REJECT}]})
    [notice] = list_notices(claim_number=COLLISION, url=seeded_url)
    assert both.body["notice"] == "documents_rejected" and "行驶证" in notice.body
    assert "事故责任认定书" not in notice.body


def test_a_deductible_below_the_policys_needs_a_reason(seeded_url):
    with unit_of_work(seeded_url) as uow:
        uow.claims.by_number(HOSPITAL).policy.deductible = Decimal("500")
        uow.commit()
    refused = call(seeded_url, decisions.approve, HOSPITAL, body=APPROVAL)
    assert (refused.status, refused.body["error"]) == (422, "deductible_below_policy")
    assert refused.body["policy_deductible"] == "500.00"
    assert claim_view(HOSPITAL, url=seeded_url).stage is ClaimStage.ASSESSMENT
    waived = call(seeded_url, decisions.approve, HOSPITAL, body={
        **APPROVAL, "deductible_waived_reason": "Goodwill after the hospital's error."})
    assert waived.status == 200, waived.body
    assert waived.body["decision"]["deductible_waived_reason"] == (
        "Goodwill after the hospital's error.")


def test_a_zero_amount_is_refused_as_the_openapi_document_says():
    from channels.core_api_openapi import SCHEMAS

    number = SCHEMAS["Approval"]["properties"]["amount"]["oneOf"][1]
    assert number == {"type": "number", "exclusiveMinimum": 0}
    with pytest.raises(decisions.CoreRefused):
        decisions.amount_of(0, "amount", positive=True)
    import re as re_

    pattern = SCHEMAS["Payment"]["properties"]["amount"]["oneOf"][0]["pattern"]
    assert not re_.match(pattern, "0.00") and re_.match(pattern, "0.50")
