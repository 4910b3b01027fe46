"""Chasing missing documents: the customer's own "documents later" promise (单证后置), recorded
with their words and time; reminders at configured intervals that name only what the first
documents notice named, or items rejected since (never a new surprise); and the re-request
figure (the seeds' target: at most 10% of claims asked for a document again, down from 38%).

What is outstanding: a checklist item the customer must send (mandatory, not fetched by us)
whose status is "missing" or "rejected". A reminder names such an item only when the first
notice named it (`first_notice`; unknown counts as named: claims stored before this was kept)
or it was rejected since. An item added after the first notice is never named by a reminder.

A claim is re-requested when a notice asks for an item again after the first notice because it
was rejected or added after it: a reminder naming a rejected item marks it (`rerequested_at`),
and a rejected item or an added one counts too (whoever's notice asked for it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Sequence

from sqlalchemy.exc import IntegrityError

from bot.claims.amounts import is_small_claim
from bot.claims.model import ClaimStage
from bot.clock import as_utc_naive, utc_now
from bot.documents.checklist import item_for_row, item_line
from bot.language import to_simplified
from bot.replies import say, when_text
from bot.settings import get_settings
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import Claim, ClaimDocument, Notification
from bot.tasks import close_tasks, open_task

CHASE_ACTOR = "documents:chase"
OUTSTANDING = ("missing", "rejected")
# Claims still waiting on the customer's documents.
CHASED_STAGES = (ClaimStage.REPORTED.value, ClaimStage.DOCUMENTS_REVIEW.value)
PROMISE_CLOCK = timedelta(hours=24)
REMINDER_KIND = "documents_reminder"
TARGET_SHARE = 0.10  # seeds: at most 10% of claims re-requested
BASELINE_SHARE = 0.38  # seeds: where it stood before

# "我稍后补材料", "材料以后再交", "先赔后补", "I'll send them later", "documents to follow": a word
# for later, a word for sending, and either a document or 补 (make up); "交警" and "交通" are no
# sending, so a report's "之后交警来了开了证明" is no promise.
_LATER_ZH = re.compile(r"稍后|之后|以后|晚点|晚些|回头|过几天|过两天|改天|下周|明天|后面")
_SEND_ZH = re.compile(r"补|交|寄|提供|发给|发过来|发来|拍给")
_DOC_ZH = re.compile(r"材料|资料|单证|单据|发票|证明|照片|证件|驾驶证|身份证|病历|清单")
_PROMISE_ZH = re.compile(r"先赔后补|后补材料|单证后置")
_LATER_EN = re.compile(
    r"\b(send|bring|post|upload|provide|submit)\b.{0,30}\blater\b|"
    r"\blater\b.{0,20}\b(documents?|papers?|files?)\b|\bdocuments? to follow\b",
    re.IGNORECASE)
_NOT = re.compile(r"(不会|不能|不用|不想|没法|无法)(补|交|发)|\b(can'?t|won'?t|cannot|never)\b",
                  re.IGNORECASE)


def says_documents_later(text: str | None) -> bool:
    """Whether the customer promises to send the documents later."""
    if not text:
        return False
    words = to_simplified(text)
    if _NOT.search(words):
        return False
    if _PROMISE_ZH.search(words) or _LATER_EN.search(words):
        return True
    plain = re.sub(r"交警|交通|交强", "", words)
    return bool(_LATER_ZH.search(plain) and _SEND_ZH.search(plain)
                and (_DOC_ZH.search(plain) or "补" in plain))


def _customer_sends(doc: ClaimDocument) -> bool:
    return bool(doc.mandatory) and not bool(doc.fetched_by_insurer)


def _first_notice_known(claim: Claim) -> bool:
    return any(doc.first_notice is True for doc in claim.documents)


def _named_first(doc: ClaimDocument, claim: Claim) -> bool:
    """Whether the first documents notice named this item (unknown: every item was)."""
    if doc.first_notice is not None:
        return bool(doc.first_notice)
    return not _first_notice_known(claim)


def chaseable(claim: Claim) -> List[ClaimDocument]:
    """The items a reminder may name: outstanding, the customer's to send, and named by the
    first notice or rejected since."""
    return [doc for doc in claim.documents
            if doc.status in OUTSTANDING and _customer_sends(doc)
            and (doc.status == "rejected" or _named_first(doc, claim))]


def outstanding(claim: Claim) -> List[ClaimDocument]:
    """Everything the customer must still send (complete when empty)."""
    return [doc for doc in claim.documents if doc.status in OUTSTANDING and _customer_sends(doc)]


# --- "documents later" ------------------------------------------------------------------------

@dataclass(frozen=True)
class DocumentsPromise:
    claim_number: str
    recorded: bool  # False: nothing outstanding, or the claim is not open for documents
    promised_at: datetime | None = None
    words: str | None = None
    chase_due_at: datetime | None = None
    task_id: int | None = None
    small_claim: bool = False
    items: tuple = ()  # checklist Items still outstanding
    first_promise: bool = True
    language: str | None = None


class ClaimNotFound(LookupError):
    pass


def record_documents_promise(claim_number: str, words: str, *, actor: str,
                             now: datetime | None = None, conversation_id: str | None = None,
                             url: str | None = None) -> DocumentsPromise:
    """The customer says they will send the documents later: their words and the time go on
    the claim (the first promise starts the clock; a later one is audited, the clock stays),
    a document_chase task falls due 24 hours later, and the chase round reminds them then."""
    at = as_utc_naive(now or utc_now())
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number_for_update(claim_number)
        if claim is None:
            raise ClaimNotFound(claim_number)
        missing = outstanding(claim)
        small = is_small_claim(claim.estimated_amount)
        items = tuple(item_for_row(doc) for doc in missing)
        if claim.stage not in CHASED_STAGES or not missing:
            return DocumentsPromise(claim.number, False, small_claim=small, items=items,
                                    language=claim.language)
        first = claim.documents_promised_at is None
        if first:
            claim.documents_promised_at = at
            claim.documents_promise_words = (words or "").strip()[:2000]
        promised_at = claim.documents_promised_at
        due = promised_at + PROMISE_CLOCK
        task = open_task(
            uow, "document_chase", dedupe_key=f"document-chase:{claim.number}:promise",
            actor=actor, now=at, claim=claim,
            conversation_id=conversation_id or claim.conversation_id, due_at=due,
            detail={"claim": claim.number, "promise": "documents_later_recorded",
                    "words": claim.documents_promise_words,
                    "promised_at": promised_at.isoformat(),
                    "items": [doc.code for doc in missing]})
        uow.audit.record(actor[:100], "claim.documents_promised", "claim", claim.number,
                         {"words": (words or "")[:200], "first": first,
                          "items": [doc.code for doc in missing]}, at=at)
        result = DocumentsPromise(claim.number, True, promised_at, claim.documents_promise_words,
                                  due, task.id, small, items, first, claim.language)
        uow.commit()
        return result


def promise_reply(result: DocumentsPromise, lang: str) -> str:
    """What the customer is told when they promise the documents later."""
    if not result.recorded:
        return say("documents_later_nothing_missing" if not result.items
                   else "documents_later_not_open", lang, claim_number=result.claim_number)
    names = say("list_separator", lang).join(item.name(lang) for item in result.items)
    key = "documents_later_recorded_small" if result.small_claim else "documents_later_recorded"
    return say(key, lang, claim_number=result.claim_number, documents=names,
               due=when_text(result.chase_due_at, lang))


# --- reminders --------------------------------------------------------------------------------

def reminder_points(claim: Claim, days: Sequence[int]) -> List[datetime]:
    """When reminders fall due: the configured days after the first notice (the report), and
    24 hours after a "documents later" promise."""
    points = [claim.reported_at + timedelta(days=d) for d in days]
    if claim.documents_promised_at is not None:
        points.append(claim.documents_promised_at + PROMISE_CLOCK)
    return sorted(points)


def reminder_due(claim: Claim, now: datetime, days: Sequence[int]) -> bool:
    last = claim.last_document_reminder_at
    return any(point <= now and (last is None or point > last)
               for point in reminder_points(claim, days))


def _language(claim: Claim) -> str:
    from bot.outbox.notices import notice_language

    return notice_language(claim)


def reminder_text(claim: Claim, docs: Iterable[ClaimDocument], lang: str) -> str:
    """The reminder: the claim, the items (each from the first list, or rejected since)."""
    policy = claim.policy
    product = policy.product_name_en if lang == "en" else policy.product_name_zh
    lines = [say("documents_reminder", lang, number=claim.number, product=product)]
    for doc in docs:
        line = item_line(item_for_row(doc), lang, with_hint=False)
        if doc.status == "rejected":
            line += say("documents_reminder_again", lang)
        lines.append(line)
    lines.append(say("documents_reminder_next", lang))
    return "\n".join(lines)


@dataclass
class ChaseReport:
    checked: int = 0
    reminded: List[str] = field(default_factory=list)
    complete: List[str] = field(default_factory=list)  # chase stopped: nothing outstanding
    tasks: List[str] = field(default_factory=list)  # claims given a document_chase task

    def as_dict(self) -> Dict[str, Any]:
        return {"checked": self.checked, "reminded": self.reminded, "complete": self.complete,
                "tasks": self.tasks}


def _remind(uow: UnitOfWork, claim: Claim, docs: List[ClaimDocument], at: datetime) -> None:
    lang = _language(claim)
    count = (claim.document_reminders or 0) + 1
    uow.notifications.add(Notification(
        claim_id=claim.id, customer_id=claim.policy.customer_id,
        conversation_id=claim.conversation_id, channel=claim.channel, kind=REMINDER_KIND,
        body=reminder_text(claim, docs, lang), language=lang, status="pending", attempts=0,
        dedupe_key=f"{REMINDER_KIND}:{claim.number}:{count}", created_at=at))
    for doc in docs:
        if doc.status == "rejected" and doc.rerequested_at is None:
            doc.rerequested_at = at
    claim.document_reminders = count
    claim.last_document_reminder_at = at
    uow.audit.record(CHASE_ACTOR, "claim.documents_reminded", "claim", claim.number,
                     {"items": [doc.code for doc in docs], "reminder": count}, at=at)


def chase_missing_documents(now: datetime | None = None, *, days: Sequence[int] | None = None,
                            url: str | None = None) -> ChaseReport:
    """One chase round: for every claim waiting on the customer's documents, a reminder when
    one is due (queued in the outbox in the customer's language); when the checklist is
    complete, the chase stops and its tasks are closed. After the last reminder, or past a
    promise's 24 hours, an agent gets a document_chase task."""
    at = as_utc_naive(now or utc_now())
    days = tuple(get_settings().document_reminder_days if days is None else days)
    report = ChaseReport()
    with unit_of_work(url) as uow:
        numbers = [claim.number for stage in CHASED_STAGES for claim in uow.claims.list(stage)]
    for number in numbers:
        try:
            _chase_claim(number, at, days, report, url)
        except IntegrityError:  # another replica queued this reminder a moment ago
            continue
    return report


def _chase_claim(number: str, at: datetime, days: Sequence[int], report: ChaseReport,
                 url: str | None) -> None:
    """One claim's chase, in its own transaction."""
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number_for_update(number)
        if claim is None or claim.stage not in CHASED_STAGES:
            return
        report.checked += 1
        if not outstanding(claim):
            if close_tasks(uow, dedupe_prefix=f"document-chase:{claim.number}:",
                           actor=CHASE_ACTOR, outcome="材料已齐 / documents complete",
                           now=at):
                report.complete.append(claim.number)
                uow.commit()
            return
        docs = chaseable(claim)
        if docs and reminder_due(claim, at, days):
            _remind(uow, claim, docs, at)
            report.reminded.append(claim.number)
        reminders_over = bool(days) and at >= claim.reported_at + timedelta(days=max(days))
        if docs and reminders_over and (claim.document_reminders or 0) > 0:
            key = f"document-chase:{claim.number}:reminders"
            if uow.tasks.by_dedupe_key(key) is None:
                open_task(uow, "document_chase", dedupe_key=key, actor=CHASE_ACTOR, now=at,
                          claim=claim, conversation_id=claim.conversation_id,
                          detail={"claim": claim.number,
                                  "items": [doc.code for doc in docs],
                                  "reminders": claim.document_reminders})
                report.tasks.append(claim.number)
        uow.commit()


# --- the re-request figure --------------------------------------------------------------------

def rerequested(claim: Claim) -> bool:
    """Whether a notice has asked for an item of this claim again after the first notice."""
    known = _first_notice_known(claim)
    return any(doc.rerequested_at is not None or doc.status == "rejected"
               or doc.first_notice is False or (known and doc.first_notice is None)
               for doc in claim.documents)


def rerequest_figures(*, url: str | None = None) -> Dict[str, Any]:
    """Claims with a checklist, how many were asked for a document again, and the share."""
    with unit_of_work(url) as uow:
        claims = [claim for claim in uow.claims.list() if claim.documents]
        again = sorted(claim.number for claim in claims if rerequested(claim))
    total = len(claims)
    share = round(len(again) / total, 4) if total else 0.0
    return {"claims": total, "rerequested": len(again), "share": share,
            "target": TARGET_SHARE, "baseline": BASELINE_SHARE,
            "meets_target": share <= TARGET_SHARE, "claim_numbers": again}
