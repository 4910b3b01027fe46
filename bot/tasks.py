"""The back office's work list: every promise the assistant makes to a customer ("a person will
contact you") and every clock that runs out becomes a task with a kind, an owner role, a due time
and, once someone takes it, an assignee. Agents work tasks in the console or with
`python -m bot tasks list|take|done`; each step is audited.

A task is opened once per trigger: callers pass a `dedupe_key` naming the promise or the clock
(for example "waiting-period:CLM-2026-000123"), so a retried action or the next round of a job
finds the task it opened instead of opening another.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Mapping

from bot.claims.deadlines import add_working_days
from bot.clock import as_utc_naive, utc_now
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import AGENT_ROLES, Claim, Complaint, Task

# Which owner roles' tasks an agent of each role may take and close. A supervisor may work
# everything; a complaint officer works complaints; an agent works the customer follow-ups.
ROLE_CAN_WORK: Mapping[str, frozenset] = {
    "agent": frozenset({"agent"}),
    "complaint_officer": frozenset({"complaint_officer"}),
    "supervisor": frozenset(AGENT_ROLES),
}
ACTIVE = ("open", "taken")


@dataclass(frozen=True)
class TaskKind:
    """What a kind of task is for, who owns it and when it is due by default."""

    name: str
    owner_role: str
    title_zh: str
    title_en: str
    # The default due time after the trigger: working days (the insurer's calendar) or hours.
    working_days: int = 0
    hours: int = 0

    def due_after(self, moment: datetime) -> datetime:
        if self.working_days:
            return add_working_days(moment, self.working_days)
        return moment + timedelta(hours=self.hours)


KINDS: Dict[str, TaskKind] = {
    kind.name: kind
    for kind in (
        # The bot told a customer in a waiting period that a specialist will contact them.
        TaskKind("waiting_period_follow_up", "agent",
                 "联系等待期内出险的客户，说明等待期和处理方式",
                 "Call the customer whose incident fell in the waiting period", working_days=1),
        # A customer booked a call-back with a person out of hours (due at the booked time).
        TaskKind("callback", "agent", "按约定时间给客户回电",
                 "Call the customer back at the time they booked", hours=1),
        # An urgent report reached nobody out of hours: call at the next opening.
        TaskKind("urgent_follow_up", "agent", "紧急报案：上班后第一时间联系客户",
                 "Urgent report out of hours: call the customer first thing", hours=2),
        # A customer asked why their claim was refused and was promised an explanation.
        TaskKind("explain_refusal", "agent", "向客户解释拒赔理由和依据条款",
                 "Explain the refusal, its reason and clause, to the customer", working_days=1),
        # A complaint's call-back within 48 hours.
        TaskKind("complaint_callback", "complaint_officer", "48小时内回电投诉人",
                 "Call the complainant back within 48 hours", hours=48),
        # A complaint's clock (acknowledge, decide, extended decision) is near or past its due.
        TaskKind("complaint_clock", "complaint_officer", "投诉处理时限将到或已过",
                 "A complaint's deadline is near or past", hours=24),
        # A claim's light turned yellow: a supervisor looks at it.
        TaskKind("supervision", "supervisor", "理赔时效预警（黄灯）：主管督办",
                 "Claim deadline warning (yellow): supervise", working_days=1),
        # A claim's light turned red: escalated (bot.escalations keeps whom it went to).
        TaskKind("escalation", "supervisor", "理赔超时（红灯）：已升级处理",
                 "Claim past its deadline (red): escalated", hours=4),
        # Review flags (amount far above usual, late report, recent claims, new policy...).
        TaskKind("review", "supervisor", "风险提示：复核这笔理赔",
                 "Risk flags: review this claim", working_days=2),
        # Documents still missing after the customer's promise or a reminder.
        TaskKind("document_chase", "agent", "催收缺少的理赔材料",
                 "Chase the missing claim documents", hours=24),
        # A complaint the regulator referred to us (监管转办), recorded in the console: handled
        # within 3 working days (bot.complaints.REGULATOR_WORKING_DAYS).
        TaskKind("regulator_referral", "complaint_officer", "监管转办投诉：3个工作日内处理",
                 "Regulator-referred complaint: handle within 3 working days", working_days=3),
        # A spike in complaints or reports for one line, region or keyword, or a service figure
        # below its target (bot.alerts): a supervisor looks into it (a special check).
        TaskKind("alert", "supervisor", "服务预警：请查看并安排专项检查",
                 "Service alert: look into it and arrange a special check", hours=24),
    )
}


class TaskError(Exception):
    """A task could not be opened, taken or closed: `code` names the problem, `status` is the
    HTTP status the console answers with."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class TaskView:
    id: int
    kind: str
    title: str
    owner_role: str
    status: str
    due_at: datetime
    created_at: datetime
    created_by: str
    claim_number: str | None = None
    complaint_reference: str | None = None
    conversation_id: str | None = None
    assignee: str | None = None
    taken_at: datetime | None = None
    done_at: datetime | None = None
    done_by: str | None = None
    outcome: str | None = None
    detail: Dict[str, Any] = field(default_factory=dict)

    def overdue(self, now: datetime) -> bool:
        return self.status in ACTIVE and as_utc_naive(now) > self.due_at

    def as_dict(self, now: datetime | None = None) -> Dict[str, Any]:
        data = dict(vars(self))
        data["overdue"] = self.overdue(now or utc_now())
        return data


def view_of(task: Task) -> TaskView:
    return TaskView(
        id=task.id, kind=task.kind, title=task.title, owner_role=task.owner_role,
        status=task.status, due_at=task.due_at, created_at=task.created_at,
        created_by=task.created_by,
        claim_number=task.claim.number if task.claim is not None else None,
        complaint_reference=task.complaint.reference if task.complaint is not None else None,
        conversation_id=task.conversation_id,
        assignee=task.assignee.username if task.assignee is not None else None,
        taken_at=task.taken_at, done_at=task.done_at, done_by=task.done_by,
        outcome=task.outcome, detail=dict(task.detail or {}),
    )


def open_task(
    uow: UnitOfWork, kind: str, *, dedupe_key: str, actor: str, now: datetime | None = None,
    claim: Claim | None = None, complaint: Complaint | None = None,
    conversation_id: str | None = None, due_at: datetime | None = None,
    detail: Mapping[str, Any] | None = None, title: str | None = None,
    again_after_done: bool = False,
) -> Task:
    """Opens a task in the caller's unit of work (committed with the caller's change), or
    returns the task this `dedupe_key` opened before. `due_at` defaults to the kind's rule.

    `again_after_done`: a promise made to a customer again after its task was closed (the
    explanation was given, the customer disputes again) is a new promise: the active task with
    this key (or `key#n`) is returned, and when only closed ones exist a new task is opened under
    the next `key#n`. The back-office rounds leave it off: they never reopen finished work."""
    if kind not in KINDS:
        raise TaskError("unknown_kind", f"no task kind {kind!r}", status=400)
    existing = uow.tasks.by_dedupe_key(dedupe_key)
    if existing is not None and again_after_done and existing.status not in ACTIVE:
        dedupe_key, existing = _next_key(uow, dedupe_key)
    if existing is not None:
        return existing
    spec = KINDS[kind]
    now = as_utc_naive(now or utc_now())
    task = uow.tasks.add(Task(
        kind=kind, owner_role=spec.owner_role, status="open",
        claim_id=claim.id if claim is not None else None,
        complaint_id=complaint.id if complaint is not None else None,
        conversation_id=conversation_id,
        title=(title or f"{spec.title_zh} / {spec.title_en}")[:255],
        detail=dict(detail or {}),
        due_at=as_utc_naive(due_at) if due_at is not None else spec.due_after(now),
        created_at=now, created_by=actor[:100], dedupe_key=dedupe_key[:255],
    ))
    if claim is not None:
        task.claim = claim
    if complaint is not None:
        task.complaint = complaint
    uow.flush()
    uow.audit.record(actor[:100], "task.opened", "task", task.id,
                     {"kind": kind, "claim": claim.number if claim is not None else None,
                      "complaint": complaint.reference if complaint is not None else None,
                      "due_at": task.due_at.isoformat()}, at=now)
    return task


def _next_key(uow: UnitOfWork, dedupe_key: str) -> tuple[str, Task | None]:
    """The active `key#n` task if there is one, else the first free `key#n` (n from 2)."""
    used = set()
    for task in uow.tasks.list(statuses=None, key_prefix=f"{dedupe_key}#", limit=10_000):
        suffix = task.dedupe_key[len(dedupe_key) + 1:]
        if not suffix.isdigit():
            continue
        if task.status in ACTIVE:
            return task.dedupe_key, task
        used.add(int(suffix))
    n = 2
    while n in used:
        n += 1
    return f"{dedupe_key}#{n}", None


def open_task_now(kind: str, *, dedupe_key: str, actor: str, claim_number: str | None = None,
                  complaint_reference: str | None = None, conversation_id: str | None = None,
                  due_at: datetime | None = None, detail: Mapping[str, Any] | None = None,
                  title: str | None = None, now: datetime | None = None,
                  url: str | None = None) -> TaskView:
    """`open_task` in its own unit of work, for callers holding only numbers (actions)."""
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(claim_number) if claim_number else None
        complaint = (uow.complaints.by_reference(complaint_reference)
                     if complaint_reference else None)
        task = open_task(uow, kind, dedupe_key=dedupe_key, actor=actor, now=now, claim=claim,
                         complaint=complaint, conversation_id=conversation_id, due_at=due_at,
                         detail=detail, title=title)
        view = view_of(task)
        uow.commit()
        return view


def roles_visible_to(role: str) -> frozenset:
    return ROLE_CAN_WORK.get(role, frozenset())


def list_tasks(*, status: str = "active", role: str | None = None,
               claim_number: str | None = None, complaint_reference: str | None = None,
               conversation_id: str | None = None, kind: str | None = None,
               url: str | None = None) -> List[TaskView]:
    """Tasks, soonest due first. `status`: active (open or taken), open, taken, done,
    cancelled or all; `role`: only the tasks an agent of that role may work."""
    statuses: Iterable[str] | None = {"active": ACTIVE, "all": None}.get(status, (status,))
    with unit_of_work(url) as uow:
        claim_id = complaint_id = None
        if claim_number:
            claim = uow.claims.by_number(claim_number)
            if claim is None:
                return []
            claim_id = claim.id
        if complaint_reference:
            complaint = uow.complaints.by_reference(complaint_reference)
            if complaint is None:
                return []
            complaint_id = complaint.id
        tasks = uow.tasks.list(statuses=statuses,
                               roles=roles_visible_to(role) if role else None,
                               claim_id=claim_id, complaint_id=complaint_id,
                               conversation_id=conversation_id, kind=kind)
        return [view_of(task) for task in tasks]


def _worker(uow: UnitOfWork, task_id: int, username: str, action: str, now: datetime
            ) -> tuple[Task, Any]:
    """The task, locked, and the active agent allowed to work it; else a TaskError, audited."""
    agent = uow.agents.by_username((username or "").strip().lower())
    task = uow.tasks.for_update(task_id)
    refusal: TaskError | None = None
    if agent is None or not agent.active:
        refusal = TaskError("unknown_agent", f"no active agent {username!r}", status=403)
    elif task is None:
        refusal = TaskError("task_not_found", f"no task {task_id}", status=404)
    elif task.owner_role not in roles_visible_to(agent.role or "agent"):
        refusal = TaskError("role_not_allowed",
                            f"a {agent.role} may not work {task.owner_role} tasks "
                            f"(task {task_id}, {task.kind})", status=403)
    elif task.status in ("done", "cancelled"):
        refusal = TaskError("task_closed", f"task {task_id} is already {task.status}")
    elif (task.status == "taken" and task.assignee_id != agent.id
          and (action == "take" or agent.role != "supervisor")):
        # Someone else's task: nobody takes it over, and only a supervisor closes it.
        refusal = TaskError("task_taken", f"task {task_id} is taken by "
                            f"{task.assignee.username if task.assignee else 'someone'}")
    if refusal is not None:
        uow.rollback()
        uow.audit.record(f"agent:{(username or '')[:64]}", f"task.{action}_refused", "task",
                         task_id, {"reason": refusal.code}, at=now)
        uow.commit()
        raise refusal
    return task, agent


def take_task(task_id: int, username: str, *, now: datetime | None = None,
              url: str | None = None) -> TaskView:
    """The agent takes the task (it is theirs until done). Taking one's own task again is
    harmless; someone else's is refused."""
    now = as_utc_naive(now or utc_now())
    with unit_of_work(url) as uow:
        task, agent = _worker(uow, task_id, username, "take", now)
        if task.status != "taken":
            task.status, task.assignee_id, task.taken_at = "taken", agent.id, now
            task.assignee = agent
            uow.audit.record(f"agent:{agent.username}", "task.taken", "task", task.id,
                             {"kind": task.kind}, at=now)
        view = view_of(task)
        uow.commit()
        return view


def finish_task(task_id: int, username: str, outcome: str, *, now: datetime | None = None,
                url: str | None = None) -> TaskView:
    """Closes the task with what was done (required: the next person reads it)."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise TaskError("outcome_required", "say what was done (the outcome)", status=400)
    now = as_utc_naive(now or utc_now())
    with unit_of_work(url) as uow:
        task, agent = _worker(uow, task_id, username, "done", now)
        task.status, task.done_at, task.done_by = "done", now, agent.username
        task.outcome = outcome[:2000]
        if task.assignee_id is None:
            task.assignee_id, task.taken_at = agent.id, task.taken_at or now
            task.assignee = agent
        uow.audit.record(f"agent:{agent.username}", "task.done", "task", task.id,
                         {"kind": task.kind}, at=now)
        view = view_of(task)
        uow.commit()
        return view


def close_tasks(uow: UnitOfWork, *, dedupe_prefix: str, actor: str, outcome: str,
                now: datetime | None = None) -> int:
    """Cancels the active tasks whose key starts with `dedupe_prefix` (the promise was kept
    another way: the documents arrived, the claim turned green). Returns how many."""
    now = as_utc_naive(now or utc_now())
    closed = 0
    for task in uow.tasks.list(statuses=ACTIVE, key_prefix=dedupe_prefix):
        if task.dedupe_key.startswith(dedupe_prefix):
            task.status, task.done_at, task.done_by = "cancelled", now, actor[:100]
            task.outcome = outcome[:2000]
            uow.audit.record(actor[:100], "task.cancelled", "task", task.id,
                             {"kind": task.kind, "why": outcome[:200]}, at=now)
            closed += 1
    return closed
