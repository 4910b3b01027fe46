"""Reporting a claim: the draft's checks, submission in one transaction, and the receipt."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.claims.lifecycle import claim_view
from bot.claims.model import ClaimStage
from bot.claims.reporting import (
    ReportDraft,
    ReportRejected,
    check_draft,
    extract_report_fields,
    merge_fields,
    receipt_text,
    submit_report,
)
from bot.documents import checklist
from bot.replies import hotline, say
from bot.store.db import unit_of_work
from bot.store.models import AuditEntry, Claim, ClaimDocument, ClaimEvent, Policy
from tests.bot.conftest import NOW, TODAY

ACTOR = "conversation:test"
YESTERDAY_3PM = datetime(2026, 11, 21, 7, 0)  # naive UTC: 15:00 in Shanghai


def customer_of(url: str, policy_number: str) -> int:
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number(policy_number)
        assert policy is not None
        return policy.customer_id


def add_policy(url: str, number: str, *, holder_of: str = "MED-2026-0001", **fields) -> None:
    """A policy of the same holder as `holder_of`, with the given fields."""
    defaults = dict(
        line_of_business="medical", product_code="TEST", product_name_zh="测试险",
        product_name_en="Test cover", sum_insured=Decimal("50000"), deductible=Decimal("0"),
        waiting_period_days=0, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
        status="active",
    )
    defaults.update(fields)
    with unit_of_work(url) as uow:
        holder = uow.policies.by_number(holder_of)
        uow.policies.add(Policy(number=number, customer_id=holder.customer_id, **defaults))
        uow.commit()


def collision(**changes) -> ReportDraft:
    base = ReportDraft(
        policy_number="AUTO-2026-0001", incident_type="collision", incident_at=YESTERDAY_3PM,
        place="中山路", description="被追尾了,后保险杠坏了", injuries=False,
        estimated_amount=Decimal("3000"), channel="telegram", language="zh",
        conversation_id="conv-1",
    )
    return ReportDraft(**{**base.__dict__, **changes})


def counts(url: str) -> tuple[int, int, int, int, int]:
    with unit_of_work(url) as uow:
        session = uow.session
        return tuple(
            session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Claim, ClaimDocument, ClaimEvent, AuditEntry)
        ) + (session.execute(select(func.max(Claim.id))).scalar_one(),)


# --- happy path -----------------------------------------------------------------------------


def test_submit_creates_the_claim_with_its_checklist_event_audit_and_flags(
    seeded_url: str,
) -> None:
    customer = customer_of(seeded_url, "AUTO-2026-0001")
    draft = collision(plate="京A12345", police_report_no="BJ1", contact_phone="13800000001")
    assert check_draft(draft, NOW, verified_customer_id=customer, url=seeded_url) == []
    receipt = submit_report(draft, verified_customer_id=customer, now=NOW, actor=ACTOR,
                            url=seeded_url)

    assert receipt.claim_number == "CLM-2026-000005"  # four seeded claims before it
    assert receipt.small_claim and receipt.deadline.code == "small_24h"
    assert [item.code for item in receipt.missing] == [
        item.code for item in checklist("motor", "collision")
    ]
    view = claim_view(receipt.claim_number, url=seeded_url)
    assert view.stage is ClaimStage.REPORTED
    assert view.incident_at == YESTERDAY_3PM and view.reported_at == NOW
    assert view.incident_place == "中山路" and view.estimated_amount == Decimal("3000.00")
    assert view.conversation_id == "conv-1" and view.language == "zh"
    assert "京A12345" in view.description and "BJ1" in view.description
    assert [(e.from_stage, e.to_stage, e.actor) for e in view.events] == [
        (None, ClaimStage.REPORTED, ACTOR)
    ]
    # Missing for the customer: mandatory items they must send (not the liability record).
    assert {doc.code for doc in view.missing_documents} == {
        item.code for item in checklist("motor", "collision") if item.customer_must_send
    }
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(receipt.claim_number)
        assert claim.channel == "telegram"
        rows = {doc.code: doc for doc in claim.documents}
        assert rows["liability_record"].fetched_by_insurer and rows["liability_record"].mandatory
        assert not rows["other_party_info"].mandatory
        assert all(doc.status == "missing" for doc in claim.documents)
        # The seeded collision three days ago is on the same policy.
        assert [flag["code"] for flag in claim.flags] == ["recent_claims"]
        audit = uow.audit.for_subject("claim", receipt.claim_number)
        assert [entry.action for entry in audit] == ["claim.report"]
        assert audit[0].actor == ACTOR and audit[0].detail["flags"] == ["recent_claims"]
        assert "13800000001" not in str(audit[0].detail)


def test_a_report_read_from_one_message_can_be_submitted(seeded_url: str) -> None:
    customer = customer_of(seeded_url, "AUTO-2026-0001")
    fields = extract_report_fields("昨天下午三点在中山路被追尾了,后保险杠坏了,大概三千块", NOW,
                                   line_of_business="motor")
    draft = merge_fields(ReportDraft(policy_number="AUTO-2026-0001", injuries=False), fields)
    receipt = submit_report(draft, verified_customer_id=customer, now=NOW, actor=ACTOR,
                            url=seeded_url)
    assert claim_view(receipt.claim_number, url=seeded_url).incident_at == YESTERDAY_3PM


def test_claim_numbers_follow_the_local_year(seeded_url: str) -> None:
    add_policy(seeded_url, "MED-2026-0099", start_date=date(2026, 1, 1),
               end_date=date(2027, 12, 31))
    customer = customer_of(seeded_url, "MED-2026-0099")
    new_year = datetime(2026, 12, 31, 17, 0)  # 01:00 on 1 Jan 2027 in Shanghai
    draft = ReportDraft(policy_number="MED-2026-0099", incident_type="hospitalisation",
                        incident_at=datetime(2026, 12, 30, 2), hospital="瑞金医院")
    receipt = submit_report(draft, verified_customer_id=customer, now=new_year, actor=ACTOR,
                            url=seeded_url)
    assert receipt.claim_number == "CLM-2027-000001"


def test_an_hour_not_known_is_stored_as_the_day(seeded_url: str) -> None:
    customer = customer_of(seeded_url, "AUTO-2026-0001")
    draft = collision(incident_at=None, incident_date=date(2026, 11, 20))
    receipt = submit_report(draft, verified_customer_id=customer, now=NOW, actor=ACTOR,
                            url=seeded_url)
    view = claim_view(receipt.claim_number, url=seeded_url)
    assert view.incident_at == datetime(2026, 11, 19, 16, 0)  # local midnight of the 20th
    assert "Time of day not known" in view.description


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_receipt_text_says_number_documents_deadline_and_how_to_reach_a_person(
    seeded_url: str, lang: str
) -> None:
    customer = customer_of(seeded_url, "AUTO-2026-0001")
    receipt = submit_report(collision(language=lang), verified_customer_id=customer, now=NOW,
                            actor=ACTOR, url=seeded_url)
    text = receipt_text(receipt)
    assert receipt.claim_number in text
    for item in checklist("motor", "collision"):
        assert item.name(lang) in text
    assert say("deadline.small_24h", lang) in text
    assert ("单证后置" if lang == "zh" else "pay first") in text
    assert hotline(lang) in text and "400-000-0000" in text
    assert ("转人工" if lang == "zh" else '"agent"') in text
    # Risk flags stay with the agents.
    for word in ("recent", "flag", "风险", "risk", "其他理赔"):
        assert word not in text


def test_large_claims_get_the_working_day_promise_and_the_legal_limit(seeded_url: str) -> None:
    customer = customer_of(seeded_url, "AUTO-2026-0001")
    receipt = submit_report(collision(estimated_amount=Decimal("12000"), language="en"),
                            verified_customer_id=customer, now=NOW, actor=ACTOR, url=seeded_url)
    assert not receipt.small_claim
    assert receipt.deadline.code == "standard_7_working_days"
    text = receipt_text(receipt, "en")
    assert "7 working days" in text and "30 days" in text
    assert "pay first" not in text


# --- problems -------------------------------------------------------------------------------


def problems(url: str, draft: ReportDraft, customer_policy: str = "AUTO-2026-0001") -> list[str]:
    customer = customer_of(url, customer_policy)
    return [problem.code for problem in check_draft(draft, NOW, verified_customer_id=customer,
                                                    url=url)]


def test_required_fields(seeded_url: str) -> None:
    assert problems(seeded_url, ReportDraft()) == [
        "missing_policy_number", "missing_incident_type", "missing_incident_time"
    ]


def test_unknown_policy(seeded_url: str) -> None:
    assert problems(seeded_url, collision(policy_number="AUTO-2026-9999")) == ["policy_unknown"]


def test_policy_of_someone_else(seeded_url: str) -> None:
    draft = collision(policy_number="HOME-2026-0001", incident_type="fire")
    found = check_draft(draft, NOW, verified_customer_id=customer_of(seeded_url, "AUTO-2026-0001"),
                        url=seeded_url)
    assert [problem.code for problem in found] == ["policy_not_holder"]
    text = found[0].text("zh")
    assert "HOME-2026-0001" in text and "John" not in text


def test_incident_in_the_future(seeded_url: str) -> None:
    assert problems(seeded_url, collision(incident_at=NOW + timedelta(days=1))) == [
        "incident_in_future"
    ]
    assert problems(seeded_url, collision(incident_at=NOW + timedelta(minutes=2))) == []
    assert problems(seeded_url, collision(incident_at=None,
                                          incident_date=TODAY + timedelta(days=1))) == [
        "incident_in_future"
    ]


def test_incident_before_the_policy_start(seeded_url: str) -> None:
    draft = ReportDraft(policy_number="ACC-2026-0001", incident_type="injury",
                        incident_at=datetime(2026, 2, 15, 2))
    assert problems(seeded_url, draft, "ACC-2026-0001") == ["incident_before_start"]


def test_policy_not_in_force_on_the_incident_date(seeded_url: str) -> None:
    add_policy(seeded_url, "MED-2026-0098", start_date=date(2025, 7, 1),
               end_date=date(2026, 6, 30))
    draft = ReportDraft(policy_number="MED-2026-0098", incident_type="hospitalisation",
                        incident_at=datetime(2026, 10, 1, 2))
    found = check_draft(draft, NOW, verified_customer_id=customer_of(seeded_url, "MED-2026-0001"),
                        url=seeded_url)
    assert [problem.code for problem in found] == ["policy_not_in_force"]
    assert "2026年6月30日" in found[0].text("zh") and "30 Jun 2026" in found[0].text("en")


def test_policy_not_active(seeded_url: str) -> None:
    add_policy(seeded_url, "MED-2026-0097", status="lapsed")
    draft = ReportDraft(policy_number="MED-2026-0097", incident_type="outpatient",
                        incident_at=YESTERDAY_3PM)
    assert problems(seeded_url, draft, "MED-2026-0001") == ["policy_not_active"]


def test_line_does_not_cover_the_incident_type(seeded_url: str) -> None:
    found = check_draft(collision(incident_type="hospitalisation"), NOW,
                        verified_customer_id=customer_of(seeded_url, "AUTO-2026-0001"),
                        url=seeded_url)
    assert [problem.code for problem in found] == ["incident_type_not_covered"]
    assert "车辆碰撞" in found[0].text("zh") and "vehicle collision" in found[0].text("en")
    assert problems(seeded_url, collision(line_of_business="home")) == ["line_mismatch"]


@pytest.mark.parametrize(
    ("amount", "code"),
    [(Decimal("-1"), "amount_negative"), (Decimal("0"), "amount_zero"),
     (Decimal("100000000.01"), "amount_too_large")],
)
def test_negative_or_absurd_amounts(seeded_url: str, amount: Decimal, code: str) -> None:
    assert problems(seeded_url, collision(estimated_amount=amount)) == [code]


def test_the_same_incident_is_not_reported_twice(seeded_url: str) -> None:
    seeded = claim_view("CLM-2026-000004", url=seeded_url)  # collision three days ago
    found = check_draft(collision(incident_at=seeded.incident_at, place="建国路与东三环路口"),
                        NOW, verified_customer_id=customer_of(seeded_url, "AUTO-2026-0001"),
                        url=seeded_url)
    assert [problem.code for problem in found] == ["already_reported"]
    assert "CLM-2026-000004" in found[0].text("en")


def test_same_time_elsewhere_is_asked_about_not_refused(seeded_url: str) -> None:
    # Issue 19: same policy, same time, same kind, but another place: "是同一件事吗？"
    seeded = claim_view("CLM-2026-000004", url=seeded_url)
    found = check_draft(collision(incident_at=seeded.incident_at), NOW,
                        verified_customer_id=customer_of(seeded_url, "AUTO-2026-0001"),
                        url=seeded_url)
    assert [problem.code for problem in found] == ["maybe_duplicate"]
    assert "是同一件事吗" in found[0].text("zh") and "CLM-2026-000004" in found[0].text("zh")
    answered = collision(incident_at=seeded.incident_at, distinct_from=("CLM-2026-000004",))
    assert check_draft(answered, NOW, url=seeded_url,
                       verified_customer_id=customer_of(seeded_url, "AUTO-2026-0001")) == []


def test_another_collision_the_same_day_is_a_new_claim(seeded_url: str) -> None:
    # Issue 19: same policy, same day, other time, other place, other amount.
    seeded = claim_view("CLM-2026-000004", url=seeded_url)
    later = seeded.incident_at + timedelta(hours=6)
    found = check_draft(collision(incident_at=later, estimated_amount=Decimal("12000")), NOW,
                        verified_customer_id=customer_of(seeded_url, "AUTO-2026-0001"),
                        url=seeded_url)
    assert found == []


def test_the_same_incident_reported_twice_at_once_becomes_one_claim(seeded_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from bot.claims.reporting import ReportRejected, submit_report

    customer = customer_of(seeded_url, "AUTO-2026-0001")
    draft = collision(incident_at=NOW - timedelta(hours=5))

    def report(index: int) -> str:
        try:
            return submit_report(draft, verified_customer_id=customer, now=NOW,
                                 actor=f"conversation:c{index}", url=seeded_url).claim_number
        except ReportRejected as rejected:
            return rejected.problems[0].code

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(report, range(6)))
    assert sum(outcome.startswith("CLM-") for outcome in outcomes) == 1, outcomes
    assert outcomes.count("already_reported") == 5


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_problem_has_words_that_say_what_to_do(seeded_url: str, lang: str) -> None:
    drafts = [ReportDraft(), collision(policy_number="AUTO-2026-9999"),
              collision(incident_at=NOW + timedelta(days=2)),
              collision(estimated_amount=Decimal("-5")),
              collision(incident_type="fire"), collision(line_of_business="life")]
    customer = customer_of(seeded_url, "AUTO-2026-0001")
    for draft in drafts:
        for problem in check_draft(draft, NOW, verified_customer_id=customer, url=seeded_url):
            assert problem.text(lang).strip()


# --- atomicity ------------------------------------------------------------------------------


def test_a_rejected_report_writes_nothing(seeded_url: str) -> None:
    before = counts(seeded_url)
    with pytest.raises(ReportRejected) as caught:
        submit_report(collision(estimated_amount=Decimal("-5")),
                      verified_customer_id=customer_of(seeded_url, "AUTO-2026-0001"), now=NOW,
                      actor=ACTOR, url=seeded_url)
    assert [problem.code for problem in caught.value.problems] == ["amount_negative"]
    assert counts(seeded_url) == before


def test_a_failure_half_way_leaves_nothing_behind(seeded_url: str, monkeypatch) -> None:
    customer = customer_of(seeded_url, "AUTO-2026-0001")
    before = counts(seeded_url)

    def broken(*_args, **_kwargs):
        raise RuntimeError("risk rules unavailable")

    monkeypatch.setattr("bot.claims.reporting.service.assess", broken)
    with pytest.raises(RuntimeError):
        submit_report(collision(), verified_customer_id=customer, now=NOW, actor=ACTOR,
                      url=seeded_url)
    assert counts(seeded_url) == before
    monkeypatch.undo()
    # The claim number reserved by the failed attempt was given back.
    receipt = submit_report(collision(), verified_customer_id=customer, now=NOW, actor=ACTOR,
                            url=seeded_url)
    assert receipt.claim_number == "CLM-2026-000005"
