"""The back-office round: every claim's lights, every complaint's clocks and every claim's review
flags become tasks with an owner, whether or not anyone asks.

`run_back_office_round(now)` is run every CLAIMS_BACK_OFFICE_MINUTES by the server
(rasa_server/jobs.py BackOfficeRounds) and by hand with `python -m bot back-office run`. It is
idempotent: each trigger has a task dedupe key, so a second round opens nothing twice.

- yellow claim clock -> `supervision` task (supervisor); red -> escalation record + `escalation`
  task, on the regulator-reporting list (bot.escalations); met again or closed -> cancelled.
- complaint clock (acknowledge 48 h, decide 15/30/60 days) near or past due -> `complaint_clock`
  task (complaint officer), due when the clock is; cancelled once the clock is met.
- review flags on an open claim (bot.claims.risk, route "review") -> one `review` task per claim
  (supervisor) listing them; also opened at report time (bot.claims.reporting.service).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List

from bot.claims.deadlines import ClockStatus
from bot.claims.model import OPEN_STAGES, ClaimStage
from bot.claims.risk import REVIEW
from bot.clock import as_utc_naive, utc_now
from bot.complaints import complaint_clocks
from bot.escalations import watch_claim
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import Claim, Complaint, Task
from bot.tasks import ACTIVE, KINDS, close_tasks, open_task

logger = logging.getLogger(__name__)

ROUND_ACTOR = "back-office"
_LIGHT_KINDS = ("supervision", "escalation")
_OPEN_COMPLAINT = ("received", "acknowledged")


def review_key(number: str) -> str:
    return f"review:{number}"


def complaint_clock_prefix(reference: str) -> str:
    return f"complaint_clock:{reference}:"


@dataclass
class RoundReport:
    """What one round did; the lists name "<claim or complaint>:<clock>"."""

    at: datetime
    claims_seen: int = 0
    complaints_seen: int = 0
    supervision_opened: List[str] = field(default_factory=list)
    escalated: List[str] = field(default_factory=list)
    reviews_opened: List[str] = field(default_factory=list)
    complaint_clocks_opened: List[str] = field(default_factory=list)
    cancelled: int = 0
    failed: List[str] = field(default_factory=list)  # claims or complaints left for next round

    def as_dict(self) -> Dict[str, Any]:
        return dict(vars(self))


def review_flags(claim: Claim) -> List[Dict[str, Any]]:
    """The claim's risk flags that ask for a person's review (not the fast track)."""
    return [flag for flag in (claim.flags or []) if flag.get("route") == REVIEW]


def open_review_task(uow: UnitOfWork, claim: Claim, *, actor: str,
                     now: datetime | None = None) -> Task | None:
    """One `review` task for the claim listing its review flags (None when it has none), in the
    caller's unit of work; the same claim seen again finds the task it opened."""
    flags = review_flags(claim)
    if not flags:
        return None
    codes = [flag["code"] for flag in flags]
    spec = KINDS["review"]
    title = f"{spec.title_zh}（{'、'.join(codes)}） / {spec.title_en} ({', '.join(codes)})"
    return open_task(uow, "review", dedupe_key=review_key(claim.number), actor=actor, now=now,
                     claim=claim, title=title,
                     detail={"flags": codes,
                             "notes_zh": [flag.get("note_zh", "") for flag in flags],
                             "notes_en": [flag.get("note_en", "") for flag in flags]})


def watch_complaint(uow: UnitOfWork, complaint: Complaint, *, actor: str,
                    now: datetime) -> tuple[List[str], int]:
    """Opens a `complaint_clock` task for each of the complaint's clocks that is near or past
    due, and cancels the active ones whose clock is met or moved (a complex complaint's longer
    decision time). Returns (clocks opened, tasks cancelled)."""
    prefix = complaint_clock_prefix(complaint.reference)
    wanted: Dict[str, Any] = {}
    if complaint.status in _OPEN_COMPLAINT:
        for clock in complaint_clocks(complaint.received_at, complaint.complexity,
                                      complaint.acknowledged_at, complaint.decided_at, now):
            if clock.status in (ClockStatus.YELLOW, ClockStatus.OVERDUE):
                wanted[f"{prefix}{clock.name}:{clock.due_at:%Y%m%d%H%M}"] = clock
    opened: List[str] = []
    for key, clock in wanted.items():
        if uow.tasks.by_dedupe_key(key) is None:
            open_task(uow, "complaint_clock", dedupe_key=key, actor=actor, now=now,
                      complaint=complaint, due_at=clock.due_at,
                      detail={"clock": clock.name, "due": clock.due_at.isoformat(),
                              "status": "overdue" if clock.status is ClockStatus.OVERDUE
                              else "near", "complexity": complaint.complexity})
            opened.append(f"{complaint.reference}:{clock.name}")
    cancelled = 0
    for task in uow.tasks.list(statuses=ACTIVE, complaint_id=complaint.id, key_prefix=prefix):
        if task.dedupe_key not in wanted:
            cancelled += close_tasks(uow, dedupe_prefix=task.dedupe_key, actor=actor, now=now,
                                     outcome="the complaint's clock is met or has moved")
    return opened, cancelled


def _claims_to_watch(url: str | None) -> List[str]:
    """Open claims, and claims whose light tasks are still active (to cancel them)."""
    with unit_of_work(url) as uow:
        numbers = {claim.number for claim in uow.claims.list()
                   if ClaimStage(claim.stage) in OPEN_STAGES}
        for kind in _LIGHT_KINDS:
            numbers |= {task.claim.number for task in uow.tasks.list(statuses=ACTIVE, kind=kind)
                        if task.claim is not None}
    return sorted(numbers)


def _complaints_to_watch(url: str | None) -> List[str]:
    with unit_of_work(url) as uow:
        references = {row.reference for status in _OPEN_COMPLAINT
                      for row in uow.complaints.list(status)}
        references |= {task.complaint.reference for task in
                       uow.tasks.list(statuses=ACTIVE, kind="complaint_clock")
                       if task.complaint is not None}
    return sorted(references)


def run_back_office_round(now: datetime | None = None, *, url: str | None = None,
                          actor: str = ROUND_ACTOR) -> RoundReport:
    """One round at `now` (default: now) over every open claim and complaint; each claim and
    complaint in its own transaction, so one that cannot be saved does not hold up the rest."""
    at = as_utc_naive(now or utc_now())
    report = RoundReport(at=at)
    for number in _claims_to_watch(url):
        try:
            _watch_one_claim(number, report, actor=actor, now=at, url=url)
        except Exception:  # noqa: BLE001 - logged; the next round tries again
            logger.exception("back office: claim %s failed", number)
            report.failed.append(number)
    for reference in _complaints_to_watch(url):
        try:
            _watch_one_complaint(reference, report, actor=actor, now=at, url=url)
        except Exception:  # noqa: BLE001 - logged; the next round tries again
            logger.exception("back office: complaint %s failed", reference)
            report.failed.append(reference)
    return report


def _watch_one_claim(number: str, report: RoundReport, *, actor: str, now: datetime,
                     url: str | None) -> None:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(number)
        if claim is None:
            return
        watch = watch_claim(uow, claim, actor=actor, now=now)
        report.supervision_opened += [f"{number}:{name}" for name in watch.supervision_opened]
        report.escalated += [f"{number}:{name}" for name in watch.escalated]
        report.cancelled += watch.cancelled
        if (ClaimStage(claim.stage) in OPEN_STAGES and review_flags(claim)
                and uow.tasks.by_dedupe_key(review_key(number)) is None):
            open_review_task(uow, claim, actor=actor, now=now)
            report.reviews_opened.append(number)
        uow.commit()
    report.claims_seen += 1


def _watch_one_complaint(reference: str, report: RoundReport, *, actor: str, now: datetime,
                         url: str | None) -> None:
    with unit_of_work(url) as uow:
        complaint = uow.complaints.by_reference(reference)
        if complaint is None:
            return
        opened, cancelled = watch_complaint(uow, complaint, actor=actor, now=now)
        report.complaint_clocks_opened += opened
        report.cancelled += cancelled
        uow.commit()
    report.complaints_seen += 1
