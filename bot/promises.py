"""Every promise the assistant makes that a person will act (contact, call back, follow up,
explain, escalate) names the record that keeps it: the registry below maps each promising reply
of the catalogue to that record, and the functions below open the tasks, each in its caller's
unit of work with one dedupe key per promise. tests/bot/test_promises.py scans the catalogue
for promise words and fails on any promising reply that is not registered here.

Records a promise can rest on:
- a task kind of bot.tasks.KINDS (work with an owner role and a due time);
- "handoff": the queue entry bot.handoff.request_handoff makes (the customer is queued now, or
  the reply tells them to say "agent" / offers a person, which queues them);
- "complaint": the complaint record (bot.complaints.record_complaint) and its notices;
- "escalation": the escalation record of a red claim (bot.escalations, built beside this);
- "documents_promise": the customer's own "documents later" promise on the claim
  (bot.documents.chase.record_documents_promise), its 24-hour clock and its chase task.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Mapping

from bot.clock import as_utc_naive
from bot.store.db import UnitOfWork
from bot.store.models import Claim, Complaint, Handoff, Task
from bot.tasks import ACTIVE, KINDS, open_task

HANDOFF = "handoff"
COMPLAINT = "complaint"
ESCALATION = "escalation"
DOCUMENTS_PROMISE = "documents_promise"
OTHER_RECORDS = (HANDOFF, COMPLAINT, ESCALATION, DOCUMENTS_PROMISE)


@dataclass(frozen=True)
class Backing:
    """The record that keeps a reply's promise, and the code path that creates it."""

    record: str  # a task kind, or one of OTHER_RECORDS
    where: str


_HANDOFF_PATH = "bot.handoff.request_handoff (actions/handoff.py start_handoff)"

PROMISES: Mapping[str, Backing] = {
    # A person will contact the customer: a task with an owner and a due time.
    "report_person_follows": Backing(
        "waiting_period_follow_up", "bot.claims.reporting.service.submit_report"),
    "report_fast_track": Backing(
        "urgent_follow_up", "bot.claims.reporting.service.submit_report"),
    "handoff_after_hours_urgent": Backing(
        "urgent_follow_up", "bot.handoff.request_handoff (urgent, out of hours)"),
    "callback_booked": Backing("callback", "bot.waiting.on_message (a call-back booked)"),
    "waiting_ack_callback": Backing("callback", "bot.waiting.on_message (a call-back booked)"),
    "notice.denied_reason_unknown": Backing(
        "explain_refusal", "bot.outbox.notices.queue_stage_notice (denied without a reason)"),
    "dispute_reason_unknown": Backing(
        "explain_refusal", "bot.claims.disputes.explain_decision (denied without a reason)"),
    "complaint_recorded": Backing(
        "complaint_callback", "bot.complaints.record_complaint"),
    "ask_complainant_phone": Backing(
        "complaint_callback", "bot.complaints.record_complaint"),
    "asks.other_way.complainant_phone": Backing(
        "complaint_callback", "bot.complaints.record_complaint"),
    # The complaint's own record and its notices (outcome, extension).
    "complaint_next": Backing(COMPLAINT, "bot.complaints.record_outcome (its notice)"),
    "complaint_extended": Backing(COMPLAINT, "bot.complaints.record_outcome (its notice)"),
    # "Escalated": only where an escalation record exists (built by the lights' engineer).
    "status_progress.red": Backing(ESCALATION, "bot.escalations (red light)"),
    "status_progress.overdue": Backing(ESCALATION, "bot.escalations (red light)"),
    # The customer's own "documents later" promise: recorded, its clock and its chase.
    "notice_small_claim": Backing(
        DOCUMENTS_PROMISE, "bot.documents.chase.record_documents_promise"),
    "documents_later_recorded": Backing(
        "document_chase", "bot.documents.chase.record_documents_promise"),
    "documents_later_recorded_small": Backing(
        "document_chase", "bot.documents.chase.record_documents_promise"),
    # A person answers because the conversation is queued now, or once the customer says
    # "agent" / accepts the offer: the queue entry is the record.
    **{key: Backing(HANDOFF, _HANDOFF_PATH) for key in (
        "handoff_queued", "handoff_queued_next", "handoff_after_hours", "handoff_already",
        "waiting_ack", "waiting_ack_next", "waiting_ack_after_hours", "not_understood_handoff",
        "urgent.then_report", "call_person_later", "status_denied", "report_policy_not_active",
        "clause_unsure", "clause_no_answer", "clause_unknown_product", "notice.appeal_route",
        "complaint_outcome_not_accepted", "complaint_status_none", "side_withdraw",
        "dispute_next.negotiation", "dispute_step.mediation", "dispute_step.arbitration",
        "dispute_step.litigation", "side_dispute", "elderly_offer_in_report",
        "asks.offer_person.complaint", "status_progress.red_not_escalated",
        "status_progress.overdue_not_escalated",
        # A transfer puts the queue entry back, routed to the colleague or team named.
        "handoff_transferred", "handoff_transferred_team",
        # The dispute ladder (bot/claims/disputes.ladder_text): a review once the offer is taken.
        "dispute_ladder",
        # Said only while the conversation's queue entry is open (bot/waiting.on_message).
        "waiting_ack_short", "waiting_logged_out",
    )},
    # h-identity: "reply 'agent' and a person will check who you are": the queue entry made
    # when the customer says it.
    **{key: Backing(HANDOFF, _HANDOFF_PATH) for key in (
        "identity_code_sent_locked_help", "identity_code_missing_again_medical",
        "identity_code_missing_again", "identity_without_code_needs_code",
    )},
}

# Replies the promise words match that promise nothing a person must do, and why.
NOT_PROMISES: Mapping[str, str] = {
    "not_understood_again": "the customer calls the service line; nobody calls them",
    "notice.review_done": "the money reaches the account: the payment clock keeps it",
    "notice.review_done_no_amount": "the money reaches the account: the payment clock keeps it",
    "notice.investigation_started": "'may call': a possibility of the investigation stage",
    "status_doing.investigation": "'may contact': a possibility of the investigation stage",
    "status_step.investigation": "'may contact': a possibility of the investigation stage",
    "handed_back_anonymous": "says what a person has already done",
    "ask_complaint_request": "examples of what the customer may ask for",
    "callback_ask_phone": "asks for the number; callback_booked is the promise",
    "callback_which_day": "asks which day; callback_booked is the promise",
    "callback_no_time": "asks for a time; callback_booked is the promise",
    "callback_outside_hours": "asks for another time; callback_booked is the promise",
    "callback_too_far": "asks for an earlier time; callback_booked is the promise",
    "callback_unclear": "asks for an exact time; callback_booked is the promise",
    "report_amended": "says where the change is kept (the claim file); no contact",
    "report_amended_description": "says where the change is kept (the claim file); no contact",
    "asks.recorded_general_type": "says the answer is kept on the claim for its handler",
}

# Words that promise a person will act, in both languages (kept wide on purpose: a reply they
# match is either registered above or named as no promise, with the reason).
PROMISE_WORDS = {
    "zh": re.compile(
        r"联系您|和您联系|与您联系|打给您|给您打|打您|回电|跟进|督办|上报|升级|专人会|会有专人|"
        r"有专人|理赔员会|核查人员|请同事|请专人|由专人|专人.{0,6}(回复|处理|说明|解释|帮|看|跟|"
        r"联系|审核|复核|核对|告诉)|人工客服.{0,8}(处理|回复)|会.{0,4}(联系|回复您|答复)|"
        r"提醒您|催"),
    "en": re.compile(
        r"contact(s|ed)? you|get in touch|call(s)? you|call-back|call back|"
        r"follow(s|ed)? (it |this |the claim )?up|escalat|reach you|remind you|"
        r"(a person|someone|staff|handler|colleague|team|they|we)('ll| will| would)? "
        r"(reply|answer|explain|help|look|handle|take|review|call|contact|check|see|tell|"
        r"remind)|a person will|someone will|we'll call|I'll get a person|asked a colleague",
        re.IGNORECASE),
}


def promises_in(text: str, lang: str) -> bool:
    return bool(PROMISE_WORDS[lang].search(text or ""))


def backing_of(key: str) -> Backing | None:
    return PROMISES.get(key)


def is_backed(key: str) -> bool:
    backing = PROMISES.get(key)
    return backing is not None and (backing.record in KINDS or backing.record in OTHER_RECORDS)


# --- opening the tasks that keep the promises (each in the caller's unit of work) ---------------

def _claim_detail(claim: Claim) -> Dict[str, Any]:
    customer = claim.policy.customer if claim.policy is not None else None
    return {"claim": claim.number, "policy": claim.policy.number if claim.policy else None,
            "customer": customer.name if customer is not None else None,
            "phone": customer.phone if customer is not None else None,
            "language": claim.language}


def promise_on_report(uow: UnitOfWork, claim: Claim, *, fast_track: bool, waiting_period: bool,
                      actor: str, now: datetime) -> Task | None:
    """The receipt says "a person will contact you soon" (fast track) or "a specialist will
    follow this claim up" (waiting period): the task that keeps it."""
    earlier = _active_urgent_task(uow, claim.conversation_id)
    if earlier is not None and earlier.claim_id is None:
        # The urgent path queued this conversation before the claim existed: the claim now
        # filed in it is what the call is about (fast track or not).
        earlier.claim_id, earlier.claim = claim.id, claim
        earlier.detail = {**dict(earlier.detail or {}), "claim": claim.number}
    if fast_track:
        if earlier is not None:  # the urgent path queued this conversation already: one task
            return earlier
        return open_task(uow, "urgent_follow_up", dedupe_key=f"urgent:{claim.number}",
                         actor=actor, now=now, claim=claim,
                         conversation_id=claim.conversation_id,
                         detail={**_claim_detail(claim), "promise": "report_fast_track"})
    if waiting_period:
        return open_task(uow, "waiting_period_follow_up",
                         dedupe_key=f"waiting-period:{claim.number}", actor=actor, now=now,
                         claim=claim, conversation_id=claim.conversation_id,
                         detail={**_claim_detail(claim), "promise": "report_person_follows"})
    return None


def _active_urgent_task(uow: UnitOfWork, conversation_id: str | None) -> Task | None:
    if not conversation_id:
        return None
    found = uow.tasks.list(statuses=ACTIVE, conversation_id=conversation_id,
                           kind="urgent_follow_up")
    return found[0] if found else None


def _handoff_claim(uow: UnitOfWork, row: Handoff) -> Claim | None:
    number = (row.summary or {}).get("claim_number")
    return uow.claims.by_number(str(number)) if number else None


def promise_urgent_out_of_hours(uow: UnitOfWork, row: Handoff, opens_at: datetime, *,
                                actor: str, now: datetime) -> Task:
    """An urgent case queued out of hours is told a person takes it first at the opening: a
    task due then, so the first person in calls."""
    earlier = _active_urgent_task(uow, row.conversation_id)
    if earlier is not None:  # the urgent report's own task: due at the opening now
        earlier.due_at = max(earlier.due_at, as_utc_naive(opens_at))
        return earlier
    return open_task(uow, "urgent_follow_up", dedupe_key=f"urgent:handoff:{row.id}",
                     actor=actor, now=now, claim=_handoff_claim(uow, row),
                     conversation_id=row.conversation_id, due_at=opens_at,
                     detail={"handoff": row.id, "channel": row.channel,
                             "promise": "handoff_after_hours_urgent"},
                     again_after_done=True)


def promise_callback(uow: UnitOfWork, row: Handoff, *, actor: str, now: datetime) -> Task:
    """A booked call-back: a task due at the booked time, on the number to ring. Booking
    another time moves the same task."""
    at = as_utc_naive(row.callback_at)
    detail = {"handoff": row.id, "phone": row.callback_phone, "callback_at": at.isoformat(),
              "promise": "callback_booked"}
    task = open_task(uow, "callback", dedupe_key=f"callback:handoff:{row.id}", actor=actor,
                     now=now, claim=_handoff_claim(uow, row),
                     conversation_id=row.conversation_id, due_at=at, detail=detail,
                     again_after_done=True)
    if task.status in ACTIVE and task.due_at != at:
        task.due_at, task.detail = at, {**dict(task.detail or {}), **detail}
        uow.audit.record(actor[:100], "task.rescheduled", "task", task.id,
                         {"kind": "callback", "due_at": at.isoformat()}, at=now)
    return task


def promise_refusal_explained(uow: UnitOfWork, claim: Claim, *, actor: str, now: datetime,
                              promise: str, conversation_id: str | None = None) -> Task:
    """A refusal without a reason on file tells the customer staff will explain it. Said again
    after the explanation's task was closed (disputed again), it is a new task."""
    return open_task(uow, "explain_refusal", dedupe_key=f"explain-refusal:{claim.number}",
                     actor=actor, now=now, claim=claim,
                     conversation_id=conversation_id or claim.conversation_id,
                     detail={**_claim_detail(claim), "promise": promise},
                     again_after_done=True)


def promise_complaint_callback(uow: UnitOfWork, complaint: Complaint, due_at: datetime, *,
                               actor: str, now: datetime) -> Task:
    """"We'll contact you within 48 hours": the complaint officer's call-back, due then."""
    return open_task(uow, "complaint_callback",
                     dedupe_key=f"complaint-callback:{complaint.reference}", actor=actor,
                     now=now, complaint=complaint, claim=complaint.claim,
                     conversation_id=complaint.conversation_id, due_at=due_at,
                     detail={"complaint": complaint.reference,
                             "phone": complaint.complainant_phone,
                             "name": complaint.complainant_name,
                             "promise": "complaint_recorded"})
