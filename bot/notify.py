"""Outbox of proactive notices: a stage change queues the customer's message in its own
transaction (so the two are saved together or not at all), and deliver_pending() sends queued
messages through the channels' senders, each exactly once while workers stay within the lease.

Delivery is safe with several workers: a worker takes a message with one conditional UPDATE
(still pending, same attempt count, not leased), which only one of them can win; the lease
(`next_attempt_at`) keeps the others off while it sends. A sender that raises is retried with
exponential backoff; PermanentDeliveryError (blocked user, invalid number, channel gone) fails the
message at once, and so does the last of `max_attempts` attempts. A worker that dies mid-send
leaves the message to be retried when the lease ends: at-least-once for crashes, exactly-once
otherwise.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Dict, List, Mapping, Tuple

from sqlalchemy import or_, select, update

from bot.claims import ClaimError, ClaimNotFound, ClaimStage, to_view
from bot.clauses import clause_by_reference
from bot.clock import as_utc_naive, utc_now
from bot.deadlines import REFUSAL_NOTICE_KIND, claim_deadlines, when_text
from bot.language import LANGUAGES
from bot.replies import money, say
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import Claim, ClaimEvent, Notification, SatisfactionScore

NOTIFY_ACTOR = "notify"
DEFAULT_MAX_ATTEMPTS = 5
# How long a worker may take to send one message before another may try it again.
DEFAULT_LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
FALLBACK_CHANNEL = "*"  # a sender under this key takes every channel without its own sender


class PermanentDeliveryError(Exception):
    """Raised by a sender when the message can never be delivered: the user blocked the bot, the
    number is invalid, the channel or conversation is gone. The message is marked failed."""


@dataclass(frozen=True)
class Notice:
    """One queued message as a sender sees it."""

    id: int
    claim_number: str | None
    customer_id: int
    channel: str | None
    conversation_id: str | None
    language: str | None
    kind: str
    body: str
    attempt: int  # 1 on the first try


Sender = Callable[[Notice], None]


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
# Kinds that ask the customer for a 1-10 satisfaction score.
SATISFACTION_KINDS = frozenset({"paid_closed", "closed"})


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
        return say("notice.review_done", lang, due=due,
                   amount=money(claim.approved_amount, lang), **fields)
    if kind == "paid_closed":
        amount = claim.paid_amount if claim.paid_amount is not None else claim.approved_amount
        body = (say("notice.paid_closed", lang, amount=money(amount, lang), **fields)
                if amount is not None else say("notice.paid_closed_no_amount", lang, **fields))
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


# --- senders ------------------------------------------------------------------------------------

_registry_lock = threading.Lock()
_registry: Dict[str, Sender] = {}


def register_sender(channel: str, sender: Sender) -> None:
    """Make `sender` the way notices reach `channel` (channels register theirs at start-up)."""
    with _registry_lock:
        _registry[channel] = sender


def registered_senders() -> Dict[str, Sender]:
    with _registry_lock:
        return dict(_registry)


def print_sender(notice: Notice) -> None:
    """Writes the message to stdout: for the demo, and for operators delivering by hand."""
    print(f"--- notice #{notice.id} {notice.kind} -> {notice.channel or '-'}:"
          f"{notice.conversation_id or '-'} ({notice.language or '-'})")
    print(notice.body)


# --- delivery -----------------------------------------------------------------------------------

@dataclass
class DeliveryReport:
    sent: List[int] = field(default_factory=list)
    retrying: List[int] = field(default_factory=list)
    failed: List[int] = field(default_factory=list)


def backoff_delay(attempt: int) -> timedelta:
    """Wait before the next try after failed attempt number `attempt`: 1, 2, 4 ... minutes,
    at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(attempt - 1, 0)), BACKOFF_CAP)


def _due_rows(url: str | None, now: datetime, channels: List[str] | None,
              limit: int) -> List[Tuple[int, int]]:
    query = (
        select(Notification.id, Notification.attempts)
        .where(Notification.status == "pending")
        .where(or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
        .order_by(Notification.created_at, Notification.id)
        .limit(limit)
    )
    if channels is not None:
        query = query.where(Notification.channel.in_(channels))
    with unit_of_work(url) as uow:
        return [(row.id, row.attempts) for row in uow.session.execute(query)]


def _take(url: str | None, notification_id: int, seen_attempts: int, now: datetime,
          lease: timedelta) -> Notice | None:
    """Lease one message for this worker; None when another worker got it first."""
    with unit_of_work(url) as uow:
        taken = uow.session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .where(Notification.status == "pending")
            .where(Notification.attempts == seen_attempts)
            .where(or_(Notification.next_attempt_at.is_(None),
                       Notification.next_attempt_at <= now))
            .values(attempts=Notification.attempts + 1, next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            return None
        row = uow.session.get(Notification, notification_id, populate_existing=True)
        notice = Notice(
            id=row.id,
            claim_number=row.claim.number if row.claim is not None else None,
            customer_id=row.customer_id,
            channel=row.channel,
            conversation_id=row.conversation_id,
            language=row.language,
            kind=row.kind,
            body=row.body,
            attempt=row.attempts,
        )
        uow.commit()
        return notice


def _finish(url: str | None, notice: Notice, **values: object) -> None:
    """Record the outcome of this worker's attempt (only while the lease is still its own)."""
    with unit_of_work(url) as uow:
        uow.session.execute(
            update(Notification)
            .where(Notification.id == notice.id)
            .where(Notification.status == "pending")
            .where(Notification.attempts == notice.attempt)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if values.get("status") == "failed":
            uow.audit.record(NOTIFY_ACTOR, "notification.failed", "notification", notice.id,
                             {"claim": notice.claim_number, "kind": notice.kind,
                              "channel": notice.channel, "error": values.get("last_error")})
        uow.commit()


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def deliver_pending(
    senders: Mapping[str, Sender],
    *,
    now: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    limit: int = 100,
    lease: timedelta = DEFAULT_LEASE,
    url: str | None = None,
) -> DeliveryReport:
    """Send the pending messages that are due, oldest first, through `senders` (by channel name;
    the key "*" takes channels that have no sender of their own, and messages with no channel).
    Messages for channels with no sender stay pending for a worker that has one.

    `now` (default: the clock at each step) is naive UTC or aware.
    """
    clock: Callable[[], datetime] = (lambda: as_utc_naive(now)) if now is not None else utc_now
    fallback = senders.get(FALLBACK_CHANNEL)
    channels = None if fallback is not None else [name for name in senders]
    report = DeliveryReport()
    for notification_id, seen in _due_rows(url, clock(), channels, limit):
        notice = _take(url, notification_id, seen, clock(), lease)
        if notice is None:
            continue
        try:
            sender = senders.get(notice.channel or "") or fallback
            if sender is None:  # the query only picks channels with a sender
                raise LookupError(f"no sender for channel {notice.channel!r}")
            sender(notice)
        except PermanentDeliveryError as error:
            _finish(url, notice, status="failed", next_attempt_at=None,
                    last_error=f"permanent: {_error_text(error)}")
            report.failed.append(notice.id)
        except Exception as error:  # any other failure may pass: retry later
            if notice.attempt >= max_attempts:
                _finish(url, notice, status="failed", next_attempt_at=None,
                        last_error=f"gave up after {notice.attempt} attempts: "
                                   f"{_error_text(error)}")
                report.failed.append(notice.id)
            else:
                _finish(url, notice, last_error=_error_text(error),
                        next_attempt_at=clock() + backoff_delay(notice.attempt))
                report.retrying.append(notice.id)
        else:
            _finish(url, notice, status="sent", sent_at=clock(), next_attempt_at=None,
                    last_error=None)
            report.sent.append(notice.id)
    return report


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
    query = select(Notification).order_by(Notification.created_at, Notification.id)
    if status is not None:
        query = query.where(Notification.status == status)
    with unit_of_work(url) as uow:
        if claim_number is not None:
            claim = uow.claims.by_number(claim_number)
            if claim is None:
                return []
            query = query.where(Notification.claim_id == claim.id)
        return [
            NoticeRecord(
                id=row.id, claim_number=row.claim.number if row.claim else None, kind=row.kind,
                channel=row.channel, conversation_id=row.conversation_id, language=row.language,
                status=row.status, attempts=row.attempts, created_at=row.created_at,
                sent_at=row.sent_at, next_attempt_at=row.next_attempt_at,
                last_error=row.last_error, body=row.body,
            )
            for row in uow.session.execute(query).scalars()
        ]


# --- satisfaction -------------------------------------------------------------------------------

class SatisfactionRefused(ClaimError):
    """A score for a claim that is not closed: the question is only asked at closing."""

    def __init__(self, number: str, stage: ClaimStage) -> None:
        super().__init__(f"claim {number} is {stage.value}, not closed: no score to record")
        self.number = number
        self.stage = stage


@dataclass(frozen=True)
class SatisfactionRecord:
    claim_number: str
    score: int
    actor: str
    answered_at: datetime
    previous_score: int | None  # the score this answer replaced, if any


def record_satisfaction(
    claim_number: str,
    score: int,
    actor: str,
    *,
    now: datetime | None = None,
    url: str | None = None,
) -> SatisfactionRecord:
    """Keep the customer's 1-10 answer to a closed claim's notice; a later answer replaces the
    earlier one (both are in the audit log).

    Raises ValueError for a score outside 1-10, ClaimNotFound, SatisfactionRefused.
    """
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 10:
        raise ValueError(f"a satisfaction score is a whole number from 1 to 10, not {score!r}")
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(claim_number)
        if claim is None:
            raise ClaimNotFound(claim_number)
        stage = ClaimStage(claim.stage)
        if stage is not ClaimStage.CLOSED:
            raise SatisfactionRefused(claim.number, stage)
        row = uow.session.execute(
            select(SatisfactionScore).where(SatisfactionScore.claim_id == claim.id)
        ).scalar_one_or_none()
        previous = row.score if row is not None else None
        if row is None:
            row = SatisfactionScore(claim_id=claim.id, customer_id=claim.policy.customer_id)
            uow.session.add(row)
        row.score, row.actor, row.answered_at = score, actor, at
        uow.audit.record(actor, "claim.satisfaction", "claim", claim.number,
                         {"score": score, "previous": previous}, at=at)
        uow.commit()
        return SatisfactionRecord(claim.number, score, actor, at, previous)


_SCORE_ZH = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9, "十": 10}
_SCORE_ONLY = re.compile(r"^\s*(10|[1-9])\s*(分|points?|/\s*10|out of 10)?\s*[。.!！]?\s*$",
                         re.IGNORECASE)
_SCORE_ZH_ONLY = re.compile(r"^\s*([一二两三四五六七八九十])\s*分\s*[。.!！]?\s*$")


def parse_satisfaction_score(text: str) -> int | None:
    """A reply that is only a score: '9', '10分', '8/10', '九分', '满分'; None otherwise (so a
    sentence that happens to hold a number is never taken for a score)."""
    if text.strip() in ("满分", "满分。"):
        return 10
    match = _SCORE_ONLY.match(text)
    if match:
        return int(match.group(1))
    match = _SCORE_ZH_ONLY.match(text)
    return _SCORE_ZH[match.group(1)] if match else None
