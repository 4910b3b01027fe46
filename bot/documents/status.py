"""Checklist items the insurer settles itself: a document handed in at a branch (received
offline), one fetched over a data link (hospital, police, the traffic authority), one waived, or
one rejected with a reason (blurred, the wrong document). A rejection sends the customer one new
notice naming everything still outstanding together, rejected and missing items alike (law Art.
22's one-time notice); receiving the last item the customer must send completes the file and
starts the decision clock (documents_completed_at), as an upload does (bot/documents/intake.py).

Only an item received can be rejected (409 not_received names the others). A rejected item the
insurer fetches itself (fetched_by_insurer) is the insurer's to fetch again: it is listed in the
answer's `insurer_to_fetch`, never asked of the customer, and alone sends no notice.

Runs inside the caller's unit of work (bot.core_calls.run_call): a request naming an item not on
the claim's checklist, or a claim past the documents, is refused whole (CoreRefused)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Dict, List, Mapping, Tuple

from bot.claims.decisions import actor_of, both_languages, note_of
from bot.claims.lifecycle import move_in
from bot.claims.model import OUTSTANDING_DOCUMENT_STATUSES, ClaimStage, missing_documents
from bot.core_calls import CoreRefused
from bot.documents.checklist import item_for_row, item_line, notice_sections
from bot.outbox.notices import notice_language
from bot.parsing import parse_claim_number
from bot.replies import say
from bot.store.db import UnitOfWork
from bot.store.models import Claim, ClaimDocument, Notification

REJECTED_NOTICE_KIND = "documents_rejected"
# What the core system may say of an item -> (stored status, how it came).
STATUSES: Dict[str, Tuple[str, str | None]] = {
    "received": ("received", None),  # handed in offline; `via` says where (branch by default)
    "fetched": ("received", "data_link"),
    "waived": ("waived", "waived"),
    "rejected": ("rejected", None),
}
OFFLINE_VIAS = ("branch", "post", "email", "agent")
# Documents are settled until the decision; after it only an appeal brings new ones.
OPEN_FOR_DOCUMENTS = (ClaimStage.REPORTED.value, ClaimStage.DOCUMENTS_REVIEW.value,
                      ClaimStage.INVESTIGATION.value, ClaimStage.ASSESSMENT.value)
# Stages in which the file's completeness still moves the decision clock.
_BEFORE_REVIEW_ENDS = (ClaimStage.REPORTED.value, ClaimStage.DOCUMENTS_REVIEW.value)
MAX_ITEMS = 50


def _bad(code: str, message: str, **details: Any) -> CoreRefused:
    return CoreRefused(400, code, message, **details)


def _item_refused(code: str, message: str, item: str) -> CoreRefused:
    """An item the request names wrongly: 422 naming the item (its code is `item`, since
    `code` is the refusal's own)."""
    return CoreRefused(422, code, message, item=item)


def _changes(body: Mapping[str, Any]) -> List[Dict[str, Any]]:
    items = body.get("items")
    if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
        raise _bad("invalid_items", f"'items' must be a list of 1-{MAX_ITEMS} "
                                    "{\"code\", \"status\"} objects.")
    changes, seen = [], set()
    for index, raw in enumerate(items):
        if not isinstance(raw, Mapping) or not isinstance(raw.get("code"), str):
            raise CoreRefused(422, "invalid_items", f"items[{index}] must be {{\"code\": ..., "
                                                    "\"status\": ...}.")
        code, status = raw["code"].strip()[:64], raw.get("status")
        if code in seen:
            raise _item_refused("duplicate_item", f"Item {code!r} is named twice; name each "
                                "item once. Nothing was changed.", code)
        seen.add(code)
        if status not in STATUSES:
            raise _item_refused("invalid_status", f"items[{index}] ({code!r}): status must be "
                                "one of: "
                                + ", ".join(STATUSES) + ". Nothing was changed.", code)
        via = raw.get("via", "branch") if status == "received" else STATUSES[status][1]
        if status == "received" and via not in OFFLINE_VIAS:
            raise _item_refused("invalid_via", f"items[{index}] ({code!r}): via must be one of: "
                                + ", ".join(OFFLINE_VIAS) + ". Nothing was changed.", code)
        reason = None
        if status == "rejected":
            if raw.get("reason") is None:
                raise _item_refused("rejection_reason_required",
                                    f"Rejecting {code!r} needs the reason in both languages "
                                    "('reason': {\"zh\": \"...\", \"en\": \"...\"}): the "
                                    "customer is told what to send again.", code)
            reason = both_languages(raw["reason"], f"items[{index}].reason",
                                    code="rejection_reason_required")
        changes.append({"code": code, "status": status, "via": via, "reason": reason})
    return changes


def _apply(document: ClaimDocument, change: Mapping[str, Any], at: datetime) -> None:
    stored, _ = STATUSES[change["status"]]
    document.status = stored
    if change["status"] == "rejected":
        document.rejected_at = at
        document.rejection_reason_zh = change["reason"]["zh"]
        document.rejection_reason_en = change["reason"]["en"]
        return
    document.received_via = change["via"]
    document.received_at = at if stored == "received" else document.received_at


def rejection_notice(claim: Claim, lang: str) -> str:
    """One notice naming everything still outstanding: the rejected items with why, then what
    is still missing (needed, then optional), and what to do next."""
    product = claim.policy.product_name_en if lang == "en" else claim.policy.product_name_zh
    lines = [say("notice.documents_rejected", lang, number=claim.number, product=product)]
    rejected = [doc for doc in claim.documents
                if doc.status == "rejected" and not doc.fetched_by_insurer]
    lines.append(say("notice.documents_rejected_heading", lang))
    for doc in rejected:
        reason = doc.rejection_reason_en if lang == "en" else doc.rejection_reason_zh
        name = doc.label_en if lang == "en" else doc.label_zh
        lines.append(say("notice.documents_rejected_item", lang, name=name, reason=reason))
    missing = [item_for_row(doc) for doc in claim.documents if doc.status == "missing"]
    needed, optional, _ = notice_sections(missing)
    if needed:
        lines.append(say("notice.documents_rejected_also_needed", lang))
        lines.extend(item_line(item, lang) for item in needed)
    if optional:
        lines.append(say("notice_optional_heading", lang))
        lines.extend(item_line(item, lang) for item in optional)
    lines.append(say("notice.documents_rejected_next", lang))
    return "\n".join(lines)


def _outstanding(claim: Claim) -> List[str]:
    return [doc.code for doc in claim.documents
            if doc.status in OUTSTANDING_DOCUMENT_STATUSES and not doc.fetched_by_insurer]


def set_statuses(uow: UnitOfWork, at: datetime, number: str, body: Mapping[str, Any]
                 ) -> Tuple[int, Dict[str, Any]]:
    """Settle checklist items of claim `number`.

    body: {"items": [{"code", "status": "received" | "fetched" | "waived" | "rejected",
    "via": "branch" | "post" | "email" | "agent" (received), "reason": {"zh", "en"}
    (rejected)}...], "note", "handler"}."""
    actor, note = actor_of(body), note_of(body)
    changes = _changes(body)
    canonical = parse_claim_number(number)
    claim = uow.claims.by_number_for_update(canonical) if canonical else None
    if claim is None:
        raise CoreRefused(404, "claim_not_found", f"No claim {number[:40]!r}.")
    if claim.stage not in OPEN_FOR_DOCUMENTS:
        raise CoreRefused(409, "wrong_stage",
                          f"Claim {claim.number} is in stage {claim.stage!r}; document statuses "
                          f"can be set only in: {', '.join(OPEN_FOR_DOCUMENTS)}. Nothing was "
                          "changed.", number=claim.number, stage=claim.stage,
                          allowed_stages=list(OPEN_FOR_DOCUMENTS))
    rows = {doc.code: doc for doc in claim.documents}
    unknown = [change["code"] for change in changes if change["code"] not in rows]
    if unknown:
        raise CoreRefused(422, "unknown_document",
                          f"Not on claim {claim.number}'s checklist: {', '.join(unknown)}. "
                          "Nothing was changed.", unknown=unknown, checklist=sorted(rows))
    never_received = [change["code"] for change in changes if change["status"] == "rejected"
                      and rows[change["code"]].status != "received"]
    if never_received:
        raise CoreRefused(409, "not_received",
                          f"Only a document received can be rejected; claim {claim.number} has "
                          f"not received: {', '.join(never_received)}. Nothing was changed.",
                          not_received=never_received)
    for change in changes:
        _apply(rows[change["code"]], change, at)
        uow.audit.record(actor, "claim.document_status", "claim", claim.number,
                         {"code": change["code"], "status": change["status"],
                          "via": change["via"], "note": note}, at=at)
    uow.flush()
    stage_changed = False
    if claim.stage == ClaimStage.REPORTED.value and any(
            STATUSES[c["status"]][0] == "received" for c in changes):
        move_in(uow, claim, ClaimStage.DOCUMENTS_REVIEW, actor=actor,
                note="documents received by the insurer", at=at)
        stage_changed = True
    complete = not missing_documents(claim)
    if claim.stage in _BEFORE_REVIEW_ENDS:
        if complete and claim.documents_completed_at is None:
            claim.documents_completed_at = at  # the decision clock (Art. 23) starts
            uow.audit.record(actor, "claim.documents_complete", "claim", claim.number, at=at)
        elif not complete and claim.documents_completed_at is not None:
            # A needed document was rejected before review ended: the file is not complete.
            claim.documents_completed_at = None
            uow.audit.record(actor, "claim.documents_incomplete", "claim", claim.number, at=at)
    notice = None
    # A rejected item the insurer fetches itself is fetched again by the insurer: it is never
    # asked of the customer, and alone it sends no notice.
    if any(change["status"] == "rejected" and not rows[change["code"]].fetched_by_insurer
           for change in changes):
        lang = notice_language(claim)
        uow.notifications.add(Notification(
            claim_id=claim.id, customer_id=claim.policy.customer_id,
            conversation_id=claim.conversation_id, channel=claim.channel,
            kind=REJECTED_NOTICE_KIND, body=rejection_notice(claim, lang), language=lang,
            status="pending", attempts=0, created_at=at,
            # One notice per call (the call's Idempotency-Key keeps a retry from a second).
            dedupe_key=f"{REJECTED_NOTICE_KIND}:{claim.number}:{uuid.uuid4().hex}"))
        notice = REJECTED_NOTICE_KIND
    uow.flush()
    return 200, {
        "number": claim.number, "stage": claim.stage, "stage_changed": stage_changed,
        "items": [{"code": doc.code, "status": doc.status, "received_via": doc.received_via}
                  for doc in claim.documents],
        "outstanding": _outstanding(claim), "complete": complete,
        "insurer_to_fetch": [doc.code for doc in claim.documents if doc.fetched_by_insurer
                             and doc.status in OUTSTANDING_DOCUMENT_STATUSES],
        "documents_completed_at": None if claim.documents_completed_at is None
        else claim.documents_completed_at.isoformat(timespec="seconds") + "Z",
        "notice": notice,
    }

