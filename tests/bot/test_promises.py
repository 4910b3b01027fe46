"""Every promise kept (issue 14, item 2): no reply in the catalogue promises that a person will
act (contact, call back, follow up, explain, escalate) without the code path that creates its
record (bot/promises.py's registry), and each registered path, driven, leaves that record."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Callable, Dict, List

import pytest

from bot.claims.disputes import explain_decision
from bot.claims.lifecycle import advance_claim
from bot.claims.reporting import ReportDraft, receipt_text, submit_report
from bot.complaints import NewComplaint, record_complaint
from bot.handoff import Reason, request_handoff
from bot.promises import (
    ESCALATION,
    NOT_PROMISES,
    OTHER_RECORDS,
    PROMISES,
    backing_of,
    is_backed,
    promises_in,
)
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Policy
from bot.tasks import KINDS, TaskView, list_tasks
from bot.waiting import on_message
from tests.bot.test_reporting import YESTERDAY_3PM, customer_of

NIGHT = datetime(2026, 11, 22, 15, 0)  # naive UTC: 23:00 in Shanghai, agents are off
NOW = datetime(2026, 11, 22, 2, 0)  # 10:00 in Shanghai


def _catalogue() -> Dict[str, Dict[str, str]]:
    import yaml

    from bot.replies import CATALOG

    return yaml.safe_load(CATALOG.read_text(encoding="utf-8"))


# --- the catalogue test ---------------------------------------------------------------------------

def test_no_reply_promises_a_person_acts_without_a_registered_record() -> None:
    unregistered = []
    for key, texts in _catalogue().items():
        if not isinstance(texts, dict):
            continue
        promising = any(promises_in(texts.get(lang, ""), lang) for lang in ("zh", "en"))
        if promising and key not in PROMISES and key not in NOT_PROMISES:
            unregistered.append(key)
    assert unregistered == [], (
        "these replies promise that a person will act; register the record that keeps each "
        f"promise in bot/promises.py (or reword them): {unregistered}")


def test_every_registered_promise_is_a_reply_backed_by_a_known_record() -> None:
    catalogue = _catalogue()
    assert set(PROMISES) <= set(catalogue), set(PROMISES) - set(catalogue)
    assert not set(PROMISES) & set(NOT_PROMISES)
    for key, backing in PROMISES.items():
        assert backing.record in KINDS or backing.record in OTHER_RECORDS, (key, backing)
        assert is_backed(key) and backing_of(key) is backing and backing.where


def test_each_exemption_still_matches_the_promise_words_and_says_why() -> None:
    """An exemption whose reply no longer reads as a promise is stale and goes."""
    catalogue = _catalogue()
    for key, why in NOT_PROMISES.items():
        texts = catalogue[key]
        assert any(promises_in(texts[lang], lang) for lang in ("zh", "en")), key
        assert why.strip(), key


@pytest.mark.parametrize(("text", "lang"), [
    ("我们的专员会在明天联系您。", "zh"), ("稍后会有专人给您回电。", "zh"),
    ("已上报主管督办。", "zh"), ("Someone will call you tomorrow.", "en"),
    ("We'll contact you within two days.", "en"), ("This has been escalated.", "en"),
    ("A person will follow it up.", "en"), ("We'll remind you on Friday.", "en"),
])
def test_the_promise_words_catch_a_new_promise(text: str, lang: str) -> None:
    assert promises_in(text, lang)


def test_replies_that_promised_nothing_real_are_reworded() -> None:
    catalogue = _catalogue()
    assert not promises_in(catalogue["status_step.reported"]["en"], "en")
    assert "contact" not in catalogue["status_step.reported"]["en"]
    assert "calls you" not in catalogue["side_next_steps"]["en"]
    assert "联系您" not in catalogue["side_next_steps"]["zh"]


# --- each registered task promise, driven, leaves its task ----------------------------------------

def _add_waiting_period_policy(url: str) -> str:
    with unit_of_work(url) as uow:
        holder = uow.policies.by_number("MED-2026-0001")
        uow.policies.add(Policy(
            number="MED-2026-0077", customer_id=holder.customer_id, line_of_business="medical",
            product_code="MED-HOSP", product_name_zh="住院医疗保险",
            product_name_en="Hospital medical insurance", sum_insured=Decimal("50000"),
            deductible=Decimal("0"), waiting_period_days=30, start_date=date(2026, 11, 10),
            end_date=date(2027, 11, 9), status="active"))
        uow.commit()
    return "MED-2026-0077"


def _waiting_period_report(url: str) -> List[TaskView]:
    policy = _add_waiting_period_policy(url)
    draft = ReportDraft(policy_number=policy, incident_type="hospitalisation",
                        incident_at=YESTERDAY_3PM, hospital="市第一人民医院",
                        admission_date=date(2026, 11, 21), diagnosis="肺炎", injuries=False,
                        estimated_amount=Decimal("8000"), channel="telegram", language="zh",
                        conversation_id="conv-waiting")
    receipt = submit_report(draft, verified_customer_id=customer_of(url, policy), now=NOW,
                            actor="conversation:conv-waiting", url=url)
    assert say("report_person_follows", "zh") in receipt_text(receipt, "zh")
    return list_tasks(claim_number=receipt.claim_number, url=url)


def _urgent_report(url: str) -> List[TaskView]:
    draft = ReportDraft(policy_number="HOME-2026-0001", incident_type="fire",
                        incident_at=YESTERDAY_3PM, place="幸福小区3栋", description="厨房着火了",
                        injuries=False, estimated_amount=Decimal("20000"), channel="webchat",
                        language="en", conversation_id="conv-fire")
    receipt = submit_report(draft, verified_customer_id=customer_of(url, "HOME-2026-0001"),
                            now=NOW, actor="conversation:conv-fire", url=url)
    assert say("report_fast_track", "en") in receipt_text(receipt, "en")
    return list_tasks(claim_number=receipt.claim_number, url=url)


def _urgent_at_night(url: str) -> List[TaskView]:
    queued = request_handoff("conv-night", reason=Reason.URGENT, channel="telegram",
                             summary={"claim_number": "CLM-2026-000004"}, now=NIGHT, url=url)
    assert queued.opens_at is not None
    [task] = list_tasks(conversation_id="conv-night", url=url)
    assert task.due_at == queued.opens_at and task.claim_number == "CLM-2026-000004"
    return [task]


def _callback(url: str) -> List[TaskView]:
    request_handoff("conv-callback", reason=Reason.REQUEST, channel="webchat", now=NIGHT,
                    url=url)
    booked = on_message("conv-callback", "明天上午10点给我回电", phone="13800000000",
                        now=NIGHT, url=url)
    assert booked.callback_at is not None
    [task] = list_tasks(conversation_id="conv-callback", url=url)
    assert task.due_at == booked.callback_at and task.detail["phone"] == "13800000000"
    # Another time booked: the same task, moved.
    moved = on_message("conv-callback", "改成明天下午3点回电", phone="13800000000",
                       now=NIGHT + timedelta(minutes=1), url=url)
    [again] = list_tasks(conversation_id="conv-callback", url=url)
    assert again.id == task.id and again.due_at == moved.callback_at != booked.callback_at
    return [again]


def _refusal_notice(url: str) -> List[TaskView]:
    advance_claim("CLM-2026-000004", "denied", actor="core", now=NOW, url=url)
    return list_tasks(claim_number="CLM-2026-000004", url=url)


def _refusal_in_dispute(url: str) -> List[TaskView]:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number("CLM-2026-000002")
        claim.denial_reason_zh = claim.denial_reason_en = None
        uow.commit()
    explained = explain_decision("HOME-2026-0001", lang="zh", claim_number="CLM-2026-000002",
                                 conversation_id="conv-dispute", now=NOW, url=url)
    assert say("dispute_reason_unknown", "zh") in explained.text
    return list_tasks(claim_number="CLM-2026-000002", url=url)


def _complaint(url: str) -> List[TaskView]:
    view = record_complaint(NewComplaint(
        subject="理赔员", facts="一周了都没人联系我", request="回电话", complainant_name="王小明",
        complainant_phone="13912345678", channel="rest", language="zh",
        conversation_id="conv-complaint"), now=NOW, url=url)
    [task] = list_tasks(complaint_reference=view.reference, url=url)
    assert task.due_at == view.acknowledge.due_at == NOW + timedelta(hours=48)
    assert task.owner_role == "complaint_officer" and task.detail["phone"] == "13912345678"
    return [task]


def _documents_later(url: str) -> List[TaskView]:
    from bot.documents.chase import record_documents_promise

    record_documents_promise("CLM-2026-000004", "我稍后补材料", actor="conversation:t",
                             now=NOW, url=url)
    return list_tasks(claim_number="CLM-2026-000004", url=url)


DRIVERS: Dict[str, Callable[[str], List[TaskView]]] = {
    "report_person_follows": _waiting_period_report,
    "report_fast_track": _urgent_report,
    "handoff_after_hours_urgent": _urgent_at_night,
    "callback_booked": _callback,
    "waiting_ack_callback": _callback,
    "notice.denied_reason_unknown": _refusal_notice,
    "dispute_reason_unknown": _refusal_in_dispute,
    "complaint_recorded": _complaint,
    "ask_complainant_phone": _complaint,
    "asks.other_way.complainant_phone": _complaint,
    "documents_later_recorded": _documents_later,
    "documents_later_recorded_small": _documents_later,
}


def test_every_promise_kept_by_a_task_has_a_driver_here() -> None:
    """"Escalated" rests on the escalation record of the back-office round: its own tests
    (tests/bot/test_back_office.py) drive it."""
    by_task = {key for key, backing in PROMISES.items()
               if backing.record in KINDS and backing.record != ESCALATION}
    assert by_task == set(DRIVERS)
    assert {key for key, b in PROMISES.items() if b.record == ESCALATION} == {
        "status_progress.red", "status_progress.overdue"}


@pytest.mark.parametrize("key", sorted(DRIVERS))
def test_driving_the_promise_leaves_its_task_once(seeded_url: str, key: str) -> None:
    kind = PROMISES[key].record
    tasks = [task for task in DRIVERS[key](seeded_url) if task.kind == kind]
    assert len(tasks) == 1, tasks
    [task] = tasks
    assert task.status == "open" and task.owner_role == KINDS[kind].owner_role
    assert task.claim_number or task.complaint_reference or task.conversation_id


def test_a_retried_report_promise_opens_no_second_task(seeded_url: str) -> None:
    [task] = [t for t in _waiting_period_report(seeded_url)
              if t.kind == "waiting_period_follow_up"]
    assert task.due_at > NOW and task.conversation_id == "conv-waiting"
    with unit_of_work(seeded_url) as uow:
        from bot.promises import promise_on_report

        claim = uow.claims.by_number(task.claim_number)
        again = promise_on_report(uow, claim, fast_track=False, waiting_period=True,
                                  actor="retry", now=NOW + timedelta(minutes=5))
        assert again.id == task.id
    # One follow-up (the review flags' task for a supervisor is another kind of work).
    assert len(list_tasks(claim_number=task.claim_number, kind="waiting_period_follow_up",
                          url=seeded_url)) == 1


def _followups(tasks: list) -> list:
    """The tasks that keep a promise to the customer (a supervisor's review of the claim's risk
    flags is other work: tests/bot/test_back_office.py)."""
    return [task for task in tasks if task.kind != "review"]


def test_an_urgent_report_after_the_urgent_path_keeps_one_task(seeded_url: str) -> None:
    request_handoff("conv-fire", reason=Reason.URGENT, channel="webchat", now=NIGHT,
                    url=seeded_url)
    tasks = _followups(_urgent_report(seeded_url))
    assert [task.kind for task in tasks] == ["urgent_follow_up"]
    assert len(_followups(list_tasks(conversation_id="conv-fire", url=seeded_url))) == 1


def test_an_ordinary_report_and_a_refusal_with_its_reason_open_no_task(seeded_url: str) -> None:
    draft = ReportDraft(policy_number="AUTO-2026-0001", incident_type="collision",
                        incident_at=YESTERDAY_3PM, place="人民路", description="倒车撞到柱子",
                        injuries=False, estimated_amount=Decimal("2000"), channel="telegram",
                        language="zh", conversation_id="conv-plain")
    receipt = submit_report(draft, verified_customer_id=customer_of(seeded_url,
                                                                    "AUTO-2026-0001"),
                            now=NOW, actor="conversation:conv-plain", url=seeded_url)
    assert _followups(list_tasks(claim_number=receipt.claim_number, url=seeded_url)) == []
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number("CLM-2026-000004")
        claim.denial_reason_zh, claim.denial_reason_en = "不在保障范围", "not covered"
        uow.commit()
    advance_claim("CLM-2026-000004", "denied", actor="core", now=NOW, url=seeded_url)
    assert _followups(list_tasks(claim_number="CLM-2026-000004", url=seeded_url)) == []


def test_an_ordinary_handoff_by_day_opens_no_task(seeded_url: str) -> None:
    request_handoff("conv-day", reason=Reason.URGENT, channel="webchat", now=NOW,
                    url=seeded_url)
    assert list_tasks(conversation_id="conv-day", url=seeded_url) == []


def test_a_refusal_disputed_again_after_its_explanation_opens_a_new_task(
    seeded_url: str,
) -> None:
    from bot.agents import add_agent
    from bot.tasks import finish_task

    [first] = [t for t in _refusal_in_dispute(seeded_url) if t.kind == "explain_refusal"]
    add_agent("ann", "correct horse battery", url=seeded_url)
    finish_task(first.id, "ann", "explained the refusal by phone", now=NOW, url=seeded_url)
    explained = explain_decision("HOME-2026-0001", lang="zh", claim_number="CLM-2026-000002",
                                 conversation_id="conv-dispute-2",
                                 now=NOW + timedelta(days=1), url=seeded_url)
    assert say("dispute_reason_unknown", "zh") in explained.text
    [again] = list_tasks(claim_number="CLM-2026-000002", kind="explain_refusal",
                         url=seeded_url)
    assert again.id != first.id and again.status == "open"
    assert again.conversation_id == "conv-dispute-2"


def test_the_urgent_task_of_a_conversation_gets_the_claim_reported_in_it(
    seeded_url: str,
) -> None:
    """Outside tester: the urgent_follow_up task stayed with no claim after the urgent report's
    claim was filed (the report itself was not on the fast track)."""
    request_handoff("conv-plain", reason=Reason.URGENT, channel="telegram", now=NIGHT,
                    url=seeded_url)
    [queued] = list_tasks(conversation_id="conv-plain", url=seeded_url)
    assert queued.kind == "urgent_follow_up" and queued.claim_number is None
    draft = ReportDraft(policy_number="AUTO-2026-0001", incident_type="collision",
                        incident_at=YESTERDAY_3PM, place="人民路", description="倒车撞到柱子",
                        injuries=False, estimated_amount=Decimal("2000"), channel="telegram",
                        language="zh", conversation_id="conv-plain")
    receipt = submit_report(draft, verified_customer_id=customer_of(seeded_url,
                                                                    "AUTO-2026-0001"),
                            now=NIGHT, actor="conversation:conv-plain", url=seeded_url)
    [task] = _followups(list_tasks(conversation_id="conv-plain", url=seeded_url))
    assert task.id == queued.id and task.claim_number == receipt.claim_number
