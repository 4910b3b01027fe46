"""The back-office round (bot/back_office.py, bot/escalations.py): a yellow claim opens a
supervision task, a red one an escalation record (with whom it went to) on the regulator list and
an escalation task; a claim that closes or turns green cancels them; complaint clocks and review
flags open tasks; a second round opens nothing twice; the status answer says "escalated" only
when a record exists. `now` is injected everywhere: the lights come from moving it forward."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from bot.agents import add_agent
from bot.back_office import run_back_office_round
from bot.claims.deadlines import claim_deadlines
from bot.claims.lifecycle import advance_claim, claim_view
from bot.claims.reporting import submit_report
from bot.claims.status import status_of_customer
from bot.cli import main as cli
from bot.complaints import NewComplaint, acknowledge, record_complaint, set_complexity
from bot.escalations import list_escalations
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Claim
from bot.tasks import KINDS, finish_task, list_tasks
from tests.bot.test_reporting import collision, customer_of

HOSPITAL = "CLM-2026-000003"  # seeded in assessment: documents complete, settlement running
HOSPITAL_POLICY = "MED-2026-0002"
PASSWORD = "correct horse battery"
MINUTE = timedelta(minutes=1)


def _settlement(url: str, now: datetime):
    clock = claim_deadlines(claim_view(HOSPITAL, url=url), now).clock("settlement")
    assert clock is not None and clock.red_at is not None
    return clock


def _tasks(url: str, kind: str, status: str = "all", **filters):
    return list_tasks(status=status, kind=kind, url=url, **filters)


# --- yellow ------------------------------------------------------------------------------------

def test_a_yellow_claim_opens_one_supervision_task_for_a_supervisor(seeded_url, now):
    settlement = _settlement(seeded_url, now)
    on_time = run_back_office_round(settlement.due_at - MINUTE, url=seeded_url)
    assert on_time.supervision_opened == [] and _tasks(seeded_url, "supervision") == []

    yellow = settlement.due_at + timedelta(hours=1)
    first = run_back_office_round(yellow, url=seeded_url)
    second = run_back_office_round(yellow + timedelta(hours=2), url=seeded_url)

    assert first.supervision_opened == [f"{HOSPITAL}:settlement"]
    assert second.supervision_opened == [] and second.escalated == []
    [task] = _tasks(seeded_url, "supervision")
    assert task.claim_number == HOSPITAL and task.owner_role == "supervisor"
    assert task.status == "open" and task.created_by == "back-office"
    assert task.due_at == KINDS["supervision"].due_after(yellow)
    assert task.detail["clock"] == "settlement"
    assert list_escalations(url=seeded_url) == []  # yellow is not an escalation


# --- red ---------------------------------------------------------------------------------------

def test_a_red_claim_is_escalated_to_the_named_supervisor_and_the_regulator_list(
        seeded_url, now):
    add_agent("ann", PASSWORD, role="agent", url=seeded_url)
    add_agent("sam", PASSWORD, role="supervisor", url=seeded_url)
    settlement = _settlement(seeded_url, now)
    run_back_office_round(settlement.due_at + timedelta(hours=1), url=seeded_url)
    red = settlement.red_at + timedelta(hours=1)

    report = run_back_office_round(red, url=seeded_url)
    again = run_back_office_round(red + timedelta(hours=1), url=seeded_url)

    assert report.escalated == [f"{HOSPITAL}:settlement"] and again.escalated == []
    [record] = list_escalations(url=seeded_url)
    assert (record.claim_number, record.light, record.clock) == (HOSPITAL, "red", "settlement")
    assert record.sent_to_role == "supervisor" and record.sent_to_agent == "sam"
    assert record.regulator_report and record.created_at == red
    assert record.clock_due_at == settlement.due_at and HOSPITAL in record.reason
    assert [r.id for r in list_escalations(regulator_only=True, url=seeded_url)] == [record.id]
    [task] = _tasks(seeded_url, "escalation")
    assert task.status == "open" and task.owner_role == "supervisor"
    assert task.detail["sent_to"] == "sam" and task.detail["escalation"] == record.id
    assert task.due_at == red + timedelta(hours=KINDS["escalation"].hours)
    # The yellow task is superseded by the escalation.
    [supervision] = _tasks(seeded_url, "supervision")
    assert supervision.status == "cancelled" and "escalated" in supervision.outcome
    with unit_of_work(seeded_url) as uow:
        audit = [e.detail["sent_to"] for e in uow.audit.for_subject("claim", HOSPITAL)
                 if e.action == "claim.escalated"]
    assert audit == ["sam"]


def test_without_a_supervisor_account_the_escalation_goes_to_the_role(seeded_url, now):
    settlement = _settlement(seeded_url, now)
    run_back_office_round(settlement.red_at + timedelta(hours=1), url=seeded_url)
    [record] = list_escalations(url=seeded_url)
    assert record.sent_to_role == "supervisor" and record.sent_to_agent is None


def test_a_late_acknowledgement_escalates_but_is_not_a_regulator_matter(seeded_url, now):
    number = _reported_claim(seeded_url, now)
    run_back_office_round(now + timedelta(minutes=12), url=seeded_url)  # 5 minutes to go
    [supervision] = _tasks(seeded_url, "supervision", claim_number=number)
    assert supervision.detail["clock"] == "acknowledge"
    run_back_office_round(now + timedelta(minutes=20), url=seeded_url)
    [record] = list_escalations(claim_number=number, url=seeded_url)
    assert record.clock == "acknowledge" and not record.regulator_report
    assert list_escalations(regulator_only=True, claim_number=number, url=seeded_url) == []


# --- back to green, closed ---------------------------------------------------------------------

def test_a_claim_picked_up_in_time_cancels_its_supervision_task(seeded_url, now):
    number = _reported_claim(seeded_url, now)
    run_back_office_round(now + timedelta(minutes=12), url=seeded_url)
    advance_claim(number, "documents_review", actor="core-system",
                  now=now + timedelta(minutes=13), url=seeded_url)
    report = run_back_office_round(now + timedelta(minutes=14), url=seeded_url)
    assert report.cancelled == 1
    [task] = _tasks(seeded_url, "supervision", claim_number=number)
    assert task.status == "cancelled" and task.done_by == "back-office"
    assert "back on time" in task.outcome
    assert list_escalations(claim_number=number, url=seeded_url) == []


def test_a_paid_claim_cancels_its_tasks_and_keeps_the_escalation_as_history(seeded_url, now):
    settlement = _settlement(seeded_url, now)
    red = settlement.red_at + timedelta(hours=1)
    run_back_office_round(red, url=seeded_url)
    advance_claim(HOSPITAL, "payment", actor="core-system", now=red, url=seeded_url)
    advance_claim(HOSPITAL, "closed", actor="core-system", now=red + MINUTE, url=seeded_url)

    report = run_back_office_round(red + timedelta(hours=1), url=seeded_url)
    again = run_back_office_round(red + timedelta(hours=2), url=seeded_url)

    assert report.cancelled == 1 and again.cancelled == 0
    assert [t.status for t in _tasks(seeded_url, "escalation")] == ["cancelled"]
    assert _tasks(seeded_url, "supervision", status="active") == []
    [record] = list_escalations(regulator_only=True, url=seeded_url)
    assert record.claim_number == HOSPITAL


def test_a_task_someone_finished_is_not_opened_again(seeded_url, now):
    add_agent("sam", PASSWORD, role="supervisor", url=seeded_url)
    yellow = _settlement(seeded_url, now).due_at + timedelta(hours=1)
    run_back_office_round(yellow, url=seeded_url)
    [task] = _tasks(seeded_url, "supervision")
    finish_task(task.id, "sam", "called the assessor; paying tomorrow", now=yellow,
                url=seeded_url)
    report = run_back_office_round(yellow + timedelta(hours=1), url=seeded_url)
    assert report.supervision_opened == [] and report.cancelled == 0
    assert [t.status for t in _tasks(seeded_url, "supervision")] == ["done"]


# --- complaints --------------------------------------------------------------------------------

def _complaint(url: str, now: datetime) -> str:
    view = record_complaint(NewComplaint(
        subject="理赔太慢了", facts="等了很久没人联系", request="尽快处理",
        complainant_name="张三", complainant_phone="13800000009", channel="webchat",
        language="zh"), now=now, url=url)
    return view.reference


def test_complaint_clocks_near_or_past_due_raise_one_task_each(seeded_url, now):
    reference = _complaint(seeded_url, now)
    quiet = run_back_office_round(now + timedelta(hours=30), url=seeded_url)
    assert quiet.complaint_clocks_opened == []

    near = run_back_office_round(now + timedelta(hours=37), url=seeded_url)
    twice = run_back_office_round(now + timedelta(hours=50), url=seeded_url)  # now overdue

    assert near.complaint_clocks_opened == [f"{reference}:acknowledge"]
    assert twice.complaint_clocks_opened == []
    [task] = _tasks(seeded_url, "complaint_clock", complaint_reference=reference)
    assert task.owner_role == "complaint_officer" and task.status == "open"
    assert task.due_at == now + timedelta(hours=48) and task.detail["clock"] == "acknowledge"

    acknowledge(reference, "agent:cora", now=now + timedelta(hours=51), url=seeded_url)
    done = run_back_office_round(now + timedelta(hours=52), url=seeded_url)
    assert done.cancelled == 1
    [task] = _tasks(seeded_url, "complaint_clock", complaint_reference=reference)
    assert task.status == "cancelled"


def test_the_decision_clock_follows_a_complaint_made_complex(seeded_url, now):
    reference = _complaint(seeded_url, now)
    acknowledge(reference, "agent:cora", now=now + timedelta(hours=1), url=seeded_url)
    near = run_back_office_round(now + timedelta(days=13), url=seeded_url)
    assert near.complaint_clocks_opened == [f"{reference}:decision"]
    [fifteen] = _tasks(seeded_url, "complaint_clock", complaint_reference=reference)
    assert fifteen.due_at == now + timedelta(days=15)

    set_complexity(reference, "complex", "agent:cora", now=now + timedelta(days=13, hours=1),
                   url=seeded_url)
    moved = run_back_office_round(now + timedelta(days=13, hours=2), url=seeded_url)
    assert moved.cancelled == 1 and moved.complaint_clocks_opened == []
    later = run_back_office_round(now + timedelta(days=28), url=seeded_url)
    assert later.complaint_clocks_opened == [f"{reference}:decision"]
    active = _tasks(seeded_url, "complaint_clock", status="active",
                    complaint_reference=reference)
    assert [t.due_at for t in active] == [now + timedelta(days=30)]


# --- review flags ------------------------------------------------------------------------------

def test_a_reported_claim_with_review_flags_opens_one_review_task(seeded_url, now):
    customer = customer_of(seeded_url, "AUTO-2026-0001")
    receipt = submit_report(collision(), verified_customer_id=customer, now=now,
                            actor="conversation:test", url=seeded_url)
    [task] = _tasks(seeded_url, "review", claim_number=receipt.claim_number)
    assert task.owner_role == "supervisor" and task.detail["flags"] == ["recent_claims"]
    assert "recent_claims" in task.title and task.created_at == now
    report = run_back_office_round(now + MINUTE, url=seeded_url)
    assert report.reviews_opened == []
    assert len(_tasks(seeded_url, "review", claim_number=receipt.claim_number)) == 1


def test_the_round_opens_review_tasks_for_older_flagged_claims(seeded_url, now):
    flags = [{"code": "late_report", "route": "review", "note_zh": "报案较晚",
              "note_en": "Reported late", "detail": {}},
             {"code": "urgent", "route": "fast_track", "note_zh": "紧急", "note_en": "Urgent",
              "detail": {}}]
    with unit_of_work(seeded_url) as uow:
        uow.claims.by_number(HOSPITAL).flags = flags
        uow.commit()
    first = run_back_office_round(now, url=seeded_url)
    second = run_back_office_round(now + MINUTE, url=seeded_url)
    assert first.reviews_opened == [HOSPITAL] and second.reviews_opened == []
    [task] = _tasks(seeded_url, "review", claim_number=HOSPITAL)
    assert task.detail["flags"] == ["late_report"]  # the fast track is not a review
    assert task.detail["notes_en"] == ["Reported late"]


# --- what the customer is told -----------------------------------------------------------------

@pytest.mark.parametrize("lang", ("zh", "en"))
def test_the_status_answer_escalates_a_red_claim_before_saying_so(seeded_url, now, lang):
    red = _settlement(seeded_url, now).red_at + timedelta(hours=1)
    reply = status_of_customer(HOSPITAL_POLICY, lang, actor="conversation:t1",
                               claim_number=HOSPITAL, now=red, url=seeded_url)
    assert say("status_progress.red", lang) in reply.text
    [record] = list_escalations(claim_number=HOSPITAL, url=seeded_url)
    assert record.created_by == "conversation:t1" and record.clock == "settlement"
    # The round finds it and opens nothing again; asking again neither.
    assert run_back_office_round(red + MINUTE, url=seeded_url).escalated == []
    status_of_customer(HOSPITAL_POLICY, lang, actor="conversation:t1", claim_number=HOSPITAL,
                       now=red + MINUTE, url=seeded_url)
    assert len(list_escalations(url=seeded_url)) == 1
    assert len(_tasks(seeded_url, "escalation")) == 1


def test_when_the_escalation_cannot_be_saved_the_answer_does_not_claim_it(
        seeded_url, now, monkeypatch):
    def store_down(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr("bot.claims.status.escalate_if_late", store_down)
    red = _settlement(seeded_url, now).red_at + timedelta(hours=1)
    reply = status_of_customer(HOSPITAL_POLICY, "en", actor="conversation:t1",
                               claim_number=HOSPITAL, now=red, url=seeded_url)
    assert say("status_progress.red_not_escalated", "en") in reply.text
    assert say("status_progress.red", "en") not in reply.text
    assert list_escalations(url=seeded_url) == []


def test_a_claim_on_time_is_not_escalated_by_a_status_question(seeded_url, now):
    reply = status_of_customer(HOSPITAL_POLICY, "zh", actor="conversation:t1",
                               claim_number=HOSPITAL, now=now, url=seeded_url)
    assert say("status_progress.ok", "zh") in reply.text
    assert list_escalations(url=seeded_url) == []


# --- the command line --------------------------------------------------------------------------

def test_the_cli_runs_the_round_and_lists_the_regulator_list(seeded_url, now, capsys):
    red = _settlement(seeded_url, now).red_at + timedelta(hours=1)
    when = (red + timedelta(hours=8)).isoformat()  # local time (Shanghai) of `red`
    assert cli(["--db-url", seeded_url, "back-office", "run", "--now", when, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert f"{HOSPITAL}:settlement" in report["escalated"] and report["failed"] == []
    assert cli(["--db-url", seeded_url, "back-office", "run", "--now", when, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["escalated"] == []  # idempotent

    assert cli(["--db-url", seeded_url, "escalations", "list", "--regulator", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["claim_number"], e["clock"], e["regulator_report"]) for e in listed
            if e["clock"] == "settlement"] == [(HOSPITAL, "settlement", True)]
    assert cli(["--db-url", seeded_url, "escalations", "list"]) == 0
    assert HOSPITAL in capsys.readouterr().out
    assert cli(["--db-url", seeded_url, "back-office", "run", "--now", "tomorrow"]) == 2


def test_the_cli_round_in_words(seeded_url, now, capsys):
    yellow = _settlement(seeded_url, now).due_at + timedelta(hours=1)
    assert cli(["--db-url", seeded_url, "back-office", "run", "--now",
                (yellow + timedelta(hours=8)).isoformat()]) == 0
    out = capsys.readouterr().out
    assert "supervision tasks opened" in out and f"{HOSPITAL}:settlement" in out


# --- helpers -----------------------------------------------------------------------------------

def _reported_claim(url: str, at: datetime) -> str:
    """A claim reported at `at` that nobody has picked up yet (acknowledge clock running)."""
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number("ACC-2026-0001")
        number = uow.claims.next_claim_number(at.year)
        claim = Claim(number=number, policy=policy, stage="reported", incident_type="injury",
                      flags=[], injuries=True, reported_at=at,
                      estimated_amount=Decimal("2600"), channel="webchat", language="zh")
        uow.claims.add(claim)
        uow.claims.add_event(claim, from_stage=None, to_stage="reported", actor="bot", at=at)
        uow.commit()
        return number
