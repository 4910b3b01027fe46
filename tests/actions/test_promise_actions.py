"""The actions that say "a person will contact you" leave the task that keeps it (bot/promises.py):
a complaint's 48-hour call-back, a call-back booked while waiting out of hours, an emergency at
night (the first person in calls)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine

from actions.complaints import ActionSubmitComplaint
from actions.handoff import ActionHandoff, ActionWhileWaiting
from actions.report import ActionUrgentIncident
from bot.tasks import list_tasks
from tests.support.actions import make_tracker, run_action

NIGHT = datetime(2026, 11, 23, 14, 30, tzinfo=timezone.utc)  # 22:30 Beijing time
DAY = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # 10:00 Beijing time
ZHANG = {"verified": True, "customer_id": 1, "customer_name": "张伟",
         "policy_number": "AUTO-2026-0001"}


def test_a_registered_complaint_leaves_the_call_back_task(claims_store, domain):
    tracker = make_tracker("希望尽快回电", "inform", sender_id="complaint-task", slots={
        **ZHANG, "complaint_about": "理赔员", "complaint_facts": "一周没人联系我",
        "complaint_request": "希望尽快回电"})
    with time_machine.travel(DAY, tick=False):
        texts, _ = run_action(ActionSubmitComplaint(), tracker, domain)
    assert "48 小时内" in texts[0]
    [task] = list_tasks(conversation_id="complaint-task")
    assert task.kind == "complaint_callback" and task.complaint_reference in texts[0]
    assert task.due_at == DAY.replace(tzinfo=None) + timedelta(hours=48)


def test_a_call_back_booked_at_night_leaves_a_task_due_then(claims_store, domain):
    with time_machine.travel(NIGHT, tick=False):
        run_action(ActionHandoff(), make_tracker("转人工", "request_human",
                                                 sender_id="callback-task", slots=ZHANG),
                   domain)
    with time_machine.travel(NIGHT + timedelta(minutes=2), tick=False):
        texts, _ = run_action(ActionWhileWaiting(), make_tracker(
            "明天上午10点给我回电", "nlu_fallback", sender_id="callback-task", slots=ZHANG),
            domain)
    assert "2026年11月24日 10:00" in texts[0]
    [task] = list_tasks(conversation_id="callback-task")
    assert task.kind == "callback" and task.due_at == datetime(2026, 11, 24, 2, 0)


def test_an_emergency_at_night_leaves_a_task_due_at_the_opening(claims_store, domain):
    with time_machine.travel(NIGHT, tick=False):
        texts, _ = run_action(ActionUrgentIncident(), make_tracker(
            "救命 我老婆刚出车祸了 流了好多血 人昏过去了 怎么办", "report_urgent",
            sender_id="urgent-task"), domain)
    assert any("08:00" in text for text in texts)
    [task] = list_tasks(conversation_id="urgent-task")
    assert task.kind == "urgent_follow_up" and task.due_at == datetime(2026, 11, 24, 0, 0)
