"""Writing to the outbox (the `notifications` table): the notice a stage change queues in the
claim's own transaction (which moves notify whom, and in what words), any other message to a
conversation outside its turn (queue_message), and reading the outbox back (operators' list, the
time of the last message pushed to a conversation)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Dict, List, Tuple

from bot.claims.deadlines import claim_deadlines
from bot.claims.model import ClaimStage, to_view
from bot.clauses import clause_by_reference
from bot.clock import as_utc_naive
from bot.language import LANGUAGES
from bot.replies import date_text, money, say, when_text
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import Claim, ClaimEvent, Notification

# The kind of the notice that carries a refusal to the customer; its sending stops the
# refusal-notice deadline clock (bot.claims.lifecycle.deadlines_of).
REFUSAL_NOTICE_KIND = "denied"

# --- what each stage change tells the customer --------------------------------------------------

S = ClaimStage
# (from, to) -> kind; `None` as from: any stage. Moves not listed notify nobody.
STAGE_NOTICES: Dict[Tuple[ClaimStage | None, ClaimStage], str] = {
    (S.DOCUMENTS_REVIEW, S.ASSESSMENT): "documents_accepted",
    (S.DOCUMENTS_REVIEW, S.INVESTIGATION): "investigation_started",
    (S.ASSESSMENT, S.PAYMENT): "review_done",
    (S.PAYMENT, S.CLOSED): "paid_closed",
    (S.DENIED, S.CLOSED): "closed",
    (None, S.DENIED): REFUSAL_NOTICE_KIND,
    (None, S.WITHDRAWN): "withdrawn",
}


def notice_kind(from_stage: ClaimStage | str | None, to_stage: ClaimStage | str) -> str | None:
    """The kind of notice a move sends, or None when the move is not a key node."""
    source = ClaimStage(from_stage) if from_stage else None
    target = ClaimStage(to_stage)
    return STAGE_NOTICES.get((source, target)) or STAGE_NOTICES.get((None, target))


def dedupe_key(claim_number: str, to_stage: ClaimStage | str, event_id: int) -> str:
    """One notice per stage event: queueing it again finds this key taken."""
    return f"stage:{claim_number}:{ClaimStage(to_stage).value}:{event_id}"


def notice_language(claim: Claim) -> str:
    """The claim's language, else the customer's preferred one."""
    lang = claim.language or claim.policy.customer.preferred_language
    return lang if lang in LANGUAGES else LANGUAGES[0]


def _product(claim: Claim, lang: str) -> str:
    policy = claim.policy
    return policy.product_name_en if lang == "en" else policy.product_name_zh


def _due(claim: Claim, clock_name: str, at: datetime, lang: str) -> str:
    deadlines = claim_deadlines(to_view(claim), at)
    clock = deadlines.clock(clock_name)
    return when_text(clock.due_at, lang) if clock else "-"


def _denied_body(claim: Claim, lang: str) -> str:
    reason = claim.denial_reason_en if lang == "en" else claim.denial_reason_zh
    parts = [say("notice.denied", lang, number=claim.number, product=_product(claim, lang),
                 reason=reason or say("notice.denied_reason_unknown", lang))]
    clause = clause_by_reference(claim.policy.product_code, claim.denial_clause)
    if clause is not None:
        parts.append(say("notice.denied_clause", lang, reference=clause.reference(lang),
                         title=clause.title(lang), text=clause.text(lang),
                         plain=clause.plain(lang)))
    elif claim.denial_clause:
        parts.append(say("notice.denied_clause_ref", lang, reference=claim.denial_clause))
    parts.append(say("notice.appeal_route", lang))
    return "\n".join(parts)


def breakdown_lines(claim: Claim, lang: str) -> list[str]:
    """How the approved amount is made up, one plain line a part, as the core system's approval
    gave it (bot/claims/decisions.py); [] when the claim carries no make-up."""
    approved = (claim.decision or {}).get("approved")
    if not approved:
        return []
    lines = [say("notice.breakdown_heading", lang)]
    loss = approved["loss_assessed"]
    lines.append(say("notice.breakdown_loss", lang, amount=money(loss["amount"], lang),
                     plain=loss[lang]))
    for item in approved.get("excluded") or ():
        lines.append(say("notice.breakdown_excluded", lang, amount=money(item["amount"], lang),
                         plain=item[lang]))
    deductible = approved["deductible"]
    lines.append(say("notice.breakdown_deductible", lang,
                     amount=money(deductible["amount"], lang), plain=deductible[lang]))
    ratio = approved["ratio"]
    percent = f"{Decimal(str(ratio['value'])) * 100:.2f}".rstrip("0").rstrip(".")
    lines.append(say("notice.breakdown_ratio", lang, percent=percent, plain=ratio[lang]))
    lines.append(say("notice.breakdown_total", lang, amount=money(approved["amount"], lang)))
    return lines


def render_stage_notice(claim: Claim, kind: str, lang: str, *, at: datetime) -> str:
    """The body of a `kind` notice about `claim` in `lang` (call inside the claim's unit of
    work). Deadlines are those in force at `at`."""
    fields = {"number": claim.number, "product": _product(claim, lang)}
    if kind == "documents_accepted":
        return say("notice.documents_accepted", lang, due=_due(claim, "settlement", at, lang),
                   **fields)
    if kind == "investigation_started":
        return say("notice.investigation_started", lang, due=_due(claim, "decision", at, lang),
                   **fields)
    if kind == "review_done":
        due = _due(claim, "payment", at, lang)
        if claim.approved_amount is None:
            return say("notice.review_done_no_amount", lang, due=due, **fields)
        return "\n".join([say("notice.review_done", lang, due=due,
                               amount=money(claim.approved_amount, lang), **fields),
                           *breakdown_lines(claim, lang)])
    if kind == "paid_closed" and claim.paid_amount is None and claim.paid_at is None:
        kind = "closed"  # no payment is recorded: the customer is never told it was paid
    if kind == "paid_closed":
        amount = claim.paid_amount if claim.paid_amount is not None else claim.approved_amount
        body = (say("notice.paid_closed", lang, amount=money(amount, lang), **fields)
                if amount is not None else say("notice.paid_closed_no_amount", lang, **fields))
        paid = (claim.decision or {}).get("paid")
        if paid:  # the core system's payment (bot/claims/decisions.py): its day and make-up
            body = "\n".join([body, say("notice.paid_on", lang, day=date_text(
                date.fromisoformat(paid["paid_on"]), lang)), *breakdown_lines(claim, lang)])
        return body + "\n" + say("notice.satisfaction_request", lang)
    if kind == "closed":
        return say("notice.closed", lang, **fields) + "\n" + say("notice.satisfaction_request",
                                                                 lang)
    if kind == REFUSAL_NOTICE_KIND:
        return _denied_body(claim, lang)
    if kind == "withdrawn":
        return say("notice.withdrawn", lang, **fields)
    raise ValueError(f"unknown notice kind {kind!r}")


def queue_stage_notice(uow: UnitOfWork, claim: Claim, event: ClaimEvent) -> Notification | None:
    """Queue the notice a stage event calls for, in `uow`'s transaction (the caller commits).

    Returns the queued row, the row already queued for this event, or None when the move is
    not one the customer is told about. The event must be flushed (it needs its id).
    """
    kind = notice_kind(event.from_stage, event.to_stage)
    if kind is None:
        return None
    key = dedupe_key(claim.number, event.to_stage, event.id)
    existing = uow.notifications.by_dedupe_key(key)
    if existing is not None:
        return existing
    lang = notice_language(claim)
    at = as_utc_naive(event.at)
    if kind == REFUSAL_NOTICE_KIND and not (claim.denial_reason_en if lang == "en"
                                            else claim.denial_reason_zh):
        # The notice says staff will contact the customer to explain: the task that keeps it.
        from bot.promises import promise_refusal_explained

        promise_refusal_explained(uow, claim, actor="notices", now=at,
                                  promise="notice.denied_reason_unknown")
    return uow.notifications.add(Notification(
        claim_id=claim.id,
        customer_id=claim.policy.customer_id,
        conversation_id=claim.conversation_id,
        channel=claim.channel,
        kind=kind,
        body=render_stage_notice(claim, kind, lang, at=at),
        language=lang,
        status="pending",
        attempts=0,
        dedupe_key=key,
        created_at=at,
    ))


# --- any other message to a conversation --------------------------------------------------------

# Channels whose clients collect their messages (GET /webhooks/webchat/messages).
PULL_CHANNELS: Tuple[str, ...] = ("webchat", "rest")


def queue_message(
    conversation_id: str,
    channel: str | None,
    body: str,
    *,
    kind: str,
    language: str | None = None,
    customer_id: int | None = None,
    claim_id: int | None = None,
    status: str = "pending",
    uow: UnitOfWork | None = None,
    now: datetime | None = None,
    url: str | None = None,
) -> int:
    """Queue a message to a conversation in the shared outbox; returns its id. With `uow` it
    joins that transaction (the caller commits). `status="sent"` records a message a channel
    has already pushed, so the outbox holds every message sent outside a turn."""
    at = as_utc_naive(now)
    row = Notification(
        claim_id=claim_id, customer_id=customer_id, conversation_id=conversation_id,
        channel=channel or "rest", kind=kind, body=body, language=language, status=status,
        attempts=1 if status == "sent" else 0, sent_at=at if status == "sent" else None,
        dedupe_key=f"{kind}:{conversation_id}:{uuid.uuid4().hex}", created_at=at,
    )
    if uow is not None:
        uow.notifications.add(row)
        uow.flush()
        return row.id
    with unit_of_work(url) as own:
        own.notifications.add(row)
        own.flush()
        own.commit()
        return row.id


# --- reading the outbox -------------------------------------------------------------------------

@dataclass(frozen=True)
class NoticeRecord:
    """One outbox row for operators (datetimes naive UTC)."""

    id: int
    claim_number: str | None
    kind: str
    channel: str | None
    conversation_id: str | None
    language: str | None
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None
    body: str


def list_notices(*, status: str | None = None, claim_number: str | None = None,
                 url: str | None = None) -> List[NoticeRecord]:
    """Outbox rows, oldest first, optionally by status and claim."""
    with unit_of_work(url) as uow:
        claim_id = None
        if claim_number is not None:
            claim = uow.claims.by_number(claim_number)
            if claim is None:
                return []
            claim_id = claim.id
        return [
            NoticeRecord(
                id=row.id, claim_number=row.claim.number if row.claim else None, kind=row.kind,
                channel=row.channel, conversation_id=row.conversation_id, language=row.language,
                status=row.status, attempts=row.attempts, created_at=row.created_at,
                sent_at=row.sent_at, next_attempt_at=row.next_attempt_at,
                last_error=row.last_error, body=row.body,
            )
            for row in uow.notifications.listing(status, claim_id)
        ]


def last_push_at(conversation_id: str, *, url: str | None = None) -> float:
    """When a message was last pushed to this conversation outside a turn (a notice, an agent's
    words), epoch seconds; 0 when never. Such a message makes older options stale."""
    with unit_of_work(url) as uow:
        sent = uow.notifications.last_sent_at(conversation_id)
    return sent.replace(tzinfo=timezone.utc).timestamp() if sent else 0.0
