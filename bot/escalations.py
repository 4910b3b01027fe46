"""Claim lights that escalate for real: a yellow clock opens a supervision task, a red one an
escalation record (whom it went to, why, whether it goes on the regulator-reporting list) and an
escalation task; a clock that is met again, or a claim that closes, cancels the tasks it opened.

The lights themselves are bot.claims.deadlines; this module acts on them, once per claim and
clock (dedupe keys `supervision:<claim>:<clock>`, `escalation:<claim>:<clock>`), so the
back-office round (bot.back_office) and a customer's status question may both call it.
The escalation record is history: it stays when the claim is settled later.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Tuple

from bot.claims.deadlines import Clock, ClockStatus, claim_deadlines
from bot.claims.model import OPEN_STAGES, ClaimStage, to_view
from bot.clock import as_utc_naive, utc_now
from bot.outbox.notices import REFUSAL_NOTICE_KIND
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import Agent, Claim, Escalation
from bot.tasks import close_tasks, open_task

ESCALATE_TO_ROLE = "supervisor"
# Red clocks whose claim goes on the list reported to the regulator: the settlement light's
# report-upward line (DOMAIN.md: "red -> filed with the regulator") and the statutory deadlines
# of Insurance Law Art. 23-25. A report not picked up within 15 minutes escalates to the
# supervisors but is not a regulator matter.
REGULATOR_CLOCKS = frozenset({"settlement", "decision", "payment", "refusal_notice",
                              "advance_payment"})
_RED = (ClockStatus.RED, ClockStatus.OVERDUE)


def supervision_key(number: str, clock: str = "") -> str:
    return f"supervision:{number}:{clock}"


def escalation_key(number: str, clock: str = "") -> str:
    return f"escalation:{number}:{clock}"


@dataclass(frozen=True)
class EscalationView:
    id: int
    claim_number: str
    light: str
    clock: str
    clock_due_at: datetime
    sent_to_role: str
    sent_to_agent: str | None
    reason: str
    regulator_report: bool
    created_at: datetime
    created_by: str

    def as_dict(self) -> Dict[str, Any]:
        return dict(vars(self))


def view_of(row: Escalation) -> EscalationView:
    return EscalationView(
        id=row.id, claim_number=row.claim.number, light=row.light, clock=row.clock,
        clock_due_at=row.clock_due_at, sent_to_role=row.sent_to_role,
        sent_to_agent=row.sent_to_agent.username if row.sent_to_agent is not None else None,
        reason=row.reason, regulator_report=row.regulator_report, created_at=row.created_at,
        created_by=row.created_by,
    )


@dataclass
class ClaimWatch:
    """What one look at a claim's lights did (for the round's report)."""

    light: str = "green"
    supervision_opened: List[str] = field(default_factory=list)  # clock names
    escalated: List[str] = field(default_factory=list)  # clock names
    cancelled: int = 0


def _supervisor(uow: UnitOfWork) -> Agent | None:
    """The supervisor an escalation goes to by name: the first active one (by username)."""
    return next((agent for agent in uow.agents.list()
                 if agent.active and agent.role == ESCALATE_TO_ROLE), None)


def _reason(number: str, clock: Clock) -> str:
    due = clock.red_at if clock.red_at is not None else clock.due_at
    return (f"{number}: the {clock.name} deadline (due {clock.due_at:%Y-%m-%d %H:%M} UTC) "
            f"is {'past its report-upward line' if clock.name == 'settlement' else 'overdue'} "
            f"since {due:%Y-%m-%d %H:%M} UTC")


def escalate(uow: UnitOfWork, claim: Claim, clock: Clock, *, actor: str,
             now: datetime) -> Tuple[Escalation, bool]:
    """The escalation record of this claim's red `clock` and its escalation task, opened once;
    returns (record, opened now)."""
    key = escalation_key(claim.number, clock.name)
    existing = uow.escalations.by_dedupe_key(key)
    if existing is not None:
        return existing, False
    supervisor = _supervisor(uow)
    record = uow.escalations.add(Escalation(
        claim_id=claim.id, light="red", clock=clock.name, clock_due_at=clock.due_at,
        sent_to_role=ESCALATE_TO_ROLE,
        sent_to_agent_id=supervisor.id if supervisor is not None else None,
        reason=_reason(claim.number, clock), regulator_report=clock.name in REGULATOR_CLOCKS,
        created_at=now, created_by=actor[:100], dedupe_key=key,
    ))
    record.claim = claim
    record.sent_to_agent = supervisor
    uow.flush()
    uow.audit.record(actor[:100], "claim.escalated", "claim", claim.number,
                     {"clock": clock.name, "escalation": record.id,
                      "sent_to": supervisor.username if supervisor else ESCALATE_TO_ROLE,
                      "regulator_report": record.regulator_report}, at=now)
    open_task(uow, "escalation", dedupe_key=key, actor=actor, now=now, claim=claim,
              detail={"clock": clock.name, "escalation": record.id,
                      "sent_to": supervisor.username if supervisor else None,
                      "regulator_report": record.regulator_report,
                      "due": clock.due_at.isoformat()})
    return record, True


def watch_claim(uow: UnitOfWork, claim: Claim, *, actor: str, now: datetime) -> ClaimWatch:
    """Acts on one claim's lights at `now`: opens a supervision task per yellow clock, escalates
    each red one, and cancels the active supervision/escalation tasks of clocks no longer in that
    state (met, or the claim closed). Runs inside the caller's unit of work."""
    watch = ClaimWatch()
    yellow: Dict[str, Clock] = {}
    red: Dict[str, Clock] = {}
    if ClaimStage(claim.stage) in OPEN_STAGES:
        sent = uow.notifications.first_sent_at(claim.id, REFUSAL_NOTICE_KIND)
        deadlines = claim_deadlines(to_view(claim), now, refusal_notice_sent_at=sent)
        watch.light = deadlines.light.value
        for clock in deadlines.clocks:
            if clock.status is ClockStatus.YELLOW:
                yellow[clock.name] = clock
            elif clock.status in _RED:
                red[clock.name] = clock
    for name, clock in sorted(yellow.items()):
        key = supervision_key(claim.number, name)
        if uow.tasks.by_dedupe_key(key) is None:
            open_task(uow, "supervision", dedupe_key=key, actor=actor, now=now, claim=claim,
                      detail={"clock": name, "due": clock.due_at.isoformat()})
            watch.supervision_opened.append(name)
    for name, clock in sorted(red.items()):
        _, opened = escalate(uow, claim, clock, actor=actor, now=now)
        if opened:
            watch.escalated.append(name)
    # Tasks of clocks that are no longer yellow (or red): the promise is kept, or escalated.
    for prefix, keep in ((supervision_key(claim.number), yellow),
                         (escalation_key(claim.number), red)):
        for task in uow.tasks.list(statuses=("open", "taken"), claim_id=claim.id,
                                   key_prefix=prefix):
            clock_name = task.dedupe_key[len(prefix):]
            if clock_name in keep:
                continue
            why = ("escalated: the deadline is now red" if clock_name in red
                   else "the claim is back on time or finished")
            watch.cancelled += close_tasks(uow, dedupe_prefix=task.dedupe_key, actor=actor,
                                           outcome=why, now=now)
    return watch


def escalate_if_late(number: str, now: datetime | None = None, *, actor: str,
                     url: str | None = None) -> frozenset:
    """For a status answer: acts on claim `number`'s lights now (as the round would) and returns
    the names of its clocks that have an escalation record, so "escalated" is said only when it
    is true."""
    at = as_utc_naive(now or utc_now())
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(number)
        if claim is None:
            return frozenset()
        watch_claim(uow, claim, actor=actor, now=at)
        names = frozenset(row.clock for row in uow.escalations.list(claim_id=claim.id))
        uow.commit()
        return names


def list_escalations(*, regulator_only: bool = False, claim_number: str | None = None,
                     url: str | None = None) -> List[EscalationView]:
    """Escalation records, newest first; `regulator_only`: the regulator-reporting list."""
    with unit_of_work(url) as uow:
        claim_id = None
        if claim_number:
            claim = uow.claims.by_number(claim_number)
            if claim is None:
                return []
            claim_id = claim.id
        return [view_of(row) for row in uow.escalations.list(claim_id=claim_id,
                                                              regulator_only=regulator_only)]
