"""Tasks (bot/tasks.py): a promise becomes work with an owner role and a due time; it is opened
once per trigger; only an agent whose role allows it takes or closes it; every step is audited."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from bot.agents import add_agent
from bot.cli import main as cli
from bot.store.db import unit_of_work
from bot.tasks import (
    KINDS,
    TaskError,
    close_tasks,
    finish_task,
    list_tasks,
    open_task,
    open_task_now,
    take_task,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def staff(seeded_url: str) -> str:
    add_agent("ann", PASSWORD, role="agent", url=seeded_url)
    add_agent("sam", PASSWORD, role="supervisor", url=seeded_url)
    add_agent("cora", PASSWORD, role="complaint_officer", url=seeded_url)
    return seeded_url


def _claim_number(url: str) -> str:
    with unit_of_work(url) as uow:
        return uow.claims.list()[0].number


def test_a_task_is_opened_once_per_trigger_with_the_kinds_due_time(
    staff: str, now: datetime
) -> None:
    number = _claim_number(staff)
    first = open_task_now("callback", dedupe_key=f"callback:{number}", actor="bot",
                          claim_number=number, now=now, url=staff)
    again = open_task_now("callback", dedupe_key=f"callback:{number}", actor="bot",
                          claim_number=number, now=now + timedelta(hours=3), url=staff)
    assert again.id == first.id and again.created_at == now
    assert first.due_at == now + timedelta(hours=KINDS["callback"].hours)
    assert first.owner_role == "agent" and first.status == "open"
    assert first.claim_number == number
    [listed] = list_tasks(claim_number=number, url=staff)
    assert listed.id == first.id
    with unit_of_work(staff) as uow:
        assert [e.action for e in uow.audit.for_subject("task", first.id)] == ["task.opened"]


def test_working_day_kinds_skip_the_weekend(staff: str) -> None:
    friday_evening = datetime(2026, 11, 20, 10, 0)  # 18:00 Friday in Shanghai
    view = open_task_now("explain_refusal", dedupe_key="explain:1", actor="bot",
                         now=friday_evening, url=staff)
    assert view.due_at == datetime(2026, 11, 23, 10, 0)  # Monday, same hour


def test_an_unknown_kind_is_refused(staff: str, now: datetime) -> None:
    with pytest.raises(TaskError) as refused:
        open_task_now("make_tea", dedupe_key="x", actor="bot", now=now, url=staff)
    assert refused.value.code == "unknown_kind" and refused.value.status == 400


def test_roles_decide_who_works_a_task_and_refusals_are_audited(
    staff: str, now: datetime
) -> None:
    task = open_task_now("supervision", dedupe_key="yellow:1", actor="job:lights", now=now,
                         url=staff)
    with pytest.raises(TaskError) as refused:
        take_task(task.id, "ann", now=now, url=staff)
    assert refused.value.code == "role_not_allowed" and refused.value.status == 403
    with pytest.raises(TaskError) as refused:
        finish_task(task.id, "cora", "looked at it", now=now, url=staff)
    assert refused.value.code == "role_not_allowed"
    assert list_tasks(role="agent", url=staff) == []
    assert [t.id for t in list_tasks(role="supervisor", url=staff)] == [task.id]

    taken = take_task(task.id, "sam", now=now, url=staff)
    assert taken.status == "taken" and taken.assignee == "sam"
    done = finish_task(task.id, "sam", "asked the assessor to finish today",
                       now=now + timedelta(hours=1), url=staff)
    assert done.status == "done" and done.done_by == "sam"
    assert done.outcome == "asked the assessor to finish today"
    with pytest.raises(TaskError) as refused:
        finish_task(task.id, "sam", "again", now=now + timedelta(hours=2), url=staff)
    assert refused.value.code == "task_closed"
    with unit_of_work(staff) as uow:
        actions = [e.action for e in uow.audit.for_subject("task", task.id)]
    assert actions == ["task.opened", "task.take_refused", "task.done_refused", "task.taken",
                       "task.done", "task.done_refused"]


def test_someone_elses_task_cannot_be_taken_and_an_outcome_is_required(
    staff: str, now: datetime
) -> None:
    add_agent("bob", PASSWORD, url=staff)
    task = open_task_now("callback", dedupe_key="cb:2", actor="bot", now=now, url=staff)
    take_task(task.id, "ann", now=now, url=staff)
    take_task(task.id, "ann", now=now, url=staff)  # taking one's own task again is harmless
    with pytest.raises(TaskError) as refused:
        take_task(task.id, "bob", now=now, url=staff)
    assert refused.value.code == "task_taken"
    with pytest.raises(TaskError) as refused:
        finish_task(task.id, "ann", "   ", now=now, url=staff)
    assert refused.value.code == "outcome_required"
    with pytest.raises(TaskError) as refused:
        take_task(9999, "ann", now=now, url=staff)
    assert refused.value.status == 404
    with pytest.raises(TaskError) as refused:
        take_task(task.id, "nobody", now=now, url=staff)
    assert refused.value.code == "unknown_agent"


def test_a_kept_promise_cancels_its_open_tasks(staff: str, now: datetime) -> None:
    number = _claim_number(staff)
    with unit_of_work(staff) as uow:
        claim = uow.claims.by_number(number)
        open_task(uow, "document_chase", dedupe_key=f"documents:{number}:1", actor="bot",
                  claim=claim, now=now)
        open_task(uow, "document_chase", dedupe_key=f"documents:{number}:2", actor="bot",
                  claim=claim, now=now)
        open_task(uow, "review", dedupe_key=f"review:{number}", actor="bot", claim=claim, now=now)
        uow.commit()
    with unit_of_work(staff) as uow:
        assert close_tasks(uow, dedupe_prefix=f"documents:{number}:", actor="bot",
                           outcome="documents complete", now=now) == 2
        uow.commit()
    assert [t.kind for t in list_tasks(claim_number=number, url=staff)] == ["review"]
    cancelled = list_tasks(status="cancelled", url=staff)
    assert {t.outcome for t in cancelled} == {"documents complete"}


def test_the_command_line_lists_takes_and_closes_tasks(
    staff: str, now: datetime, capsys: pytest.CaptureFixture
) -> None:
    task = open_task_now("complaint_callback", dedupe_key="complaint:1", actor="bot", now=now,
                         url=staff)
    assert cli(["--db-url", staff, "tasks", "list", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["id"] == task.id and listed["owner_role"] == "complaint_officer"
    assert cli(["--db-url", staff, "tasks", "take", str(task.id), "--agent", "ann"]) == 2
    assert "may not work" in capsys.readouterr().err
    assert cli(["--db-url", staff, "tasks", "take", str(task.id), "--agent", "cora",
                "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["assignee"] == "cora"
    assert cli(["--db-url", staff, "tasks", "done", str(task.id), "--agent", "cora",
                "--outcome", "called, apology accepted", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "done"
    assert cli(["--db-url", staff, "tasks", "list"]) == 0
    assert "no tasks" in capsys.readouterr().out


def test_only_the_assignee_or_a_supervisor_closes_a_taken_task(staff: str, now: datetime) -> None:
    add_agent("alice", PASSWORD, url=staff)
    add_agent("bob", PASSWORD, url=staff)
    task = open_task_now("callback", dedupe_key="cb:taken", actor="bot", now=now, url=staff)
    take_task(task.id, "alice", now=now, url=staff)
    with pytest.raises(TaskError) as refused:
        finish_task(task.id, "bob", "called", now=now, url=staff)
    assert refused.value.code == "task_taken" and refused.value.status == 409
    assert "alice" in refused.value.message
    # A supervisor's taken agent task: a plain agent may not close it either.
    other = open_task_now("callback", dedupe_key="cb:sam", actor="bot", now=now, url=staff)
    take_task(other.id, "sam", now=now, url=staff)
    with pytest.raises(TaskError) as refused:
        finish_task(other.id, "ann", "called", now=now, url=staff)
    assert refused.value.code == "task_taken" and "sam" in refused.value.message
    # A supervisor closes anyone's task; the assignee stays who took it.
    done = finish_task(task.id, "sam", "called on alice's behalf", now=now, url=staff)
    assert done.status == "done" and done.assignee == "alice" and done.done_by == "sam"
    # An open task is taken and closed in one step by someone whose role allows it.
    third = open_task_now("callback", dedupe_key="cb:open", actor="bot", now=now, url=staff)
    closed = finish_task(third.id, "bob", "called", now=now, url=staff)
    assert closed.assignee == "bob" and closed.done_by == "bob"
    with unit_of_work(staff) as uow:
        actions = [e.action for e in uow.audit.for_subject("task", other.id)]
    assert "task.done_refused" in actions


def test_a_promise_made_again_after_its_task_was_closed_opens_a_new_task(
    staff: str, now: datetime
) -> None:
    def promise(at: datetime) -> int:
        with unit_of_work(staff) as uow:
            task = open_task(uow, "explain_refusal", dedupe_key="explain-refusal:X",
                             actor="bot", now=at, again_after_done=True)
            uow.commit()
            return task.id

    first = promise(now)
    assert promise(now + timedelta(minutes=1)) == first  # still open: the same task
    finish_task(first, "ann", "explained", now=now, url=staff)
    second = promise(now + timedelta(hours=1))
    assert second != first
    assert promise(now + timedelta(hours=2)) == second
    finish_task(second, "ann", "explained again", now=now, url=staff)
    third = promise(now + timedelta(hours=3))
    assert third not in (first, second)
    with unit_of_work(staff) as uow:
        keys = [uow.tasks.get(t).dedupe_key for t in (first, second, third)]
        # The back office's rounds leave the option off: a finished task is not reopened.
        back_office = open_task(uow, "explain_refusal", dedupe_key="explain-refusal:X",
                                actor="job", now=now)
        assert back_office.id == first
    assert keys == ["explain-refusal:X", "explain-refusal:X#2", "explain-refusal:X#3"]
