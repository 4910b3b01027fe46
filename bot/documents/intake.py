"""Documents arriving for a claim: check the file, store it once, tick it off the checklist,
and move the claim into document review; say what is still missing or that review starts."""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.claims.amounts import is_small_claim
from bot.claims.model import (
    OUTSTANDING_DOCUMENT_STATUSES,
    ClaimStage,
    can_move,
    missing_documents,
)
from bot.clock import as_utc_naive
from bot.documents import Item, item_for_row, missing_items, one_time_notice
from bot.privacy import private_dir
from bot.replies import join, say
from bot.settings import get_settings
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import Claim, ClaimDocument, ReceivedFile

MIME_TYPES = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf",
              "heic": "image/heic"}
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
# Files are still welcome after a decision (an appeal needs them); not on a finished claim.
_CLOSED_STAGES = {ClaimStage.CLOSED.value, ClaimStage.WITHDRAWN.value}

UNKNOWN_CLAIM = "unknown_claim"
EMPTY_FILE = "empty_file"
TOO_LARGE = "too_large"
UNSUPPORTED_TYPE = "unsupported_type"
UNKNOWN_DOCUMENT = "unknown_document"
CLAIM_NOT_OPEN = "claim_not_open"
UNKNOWN_FILE = "unknown_file"


def max_upload_bytes() -> int:
    """The upload limit from the settings (CLAIMS_MAX_UPLOAD_BYTES, 20 MB by default)."""
    return get_settings().max_upload_bytes


def sniff_type(content: bytes) -> str | None:
    """'jpg', 'png', 'pdf' or 'heic' from the file's first bytes, whatever its name says."""
    if content.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"%PDF-"):
        return "pdf"
    if len(content) >= 12 and content[4:8] == b"ftyp" and content[8:12] in _HEIC_BRANDS:
        return "heic"
    return None


@dataclass(frozen=True)
class IntakeResult:
    """The outcome of one received file. On an error (`error` set) nothing was stored."""

    claim_number: str
    ok: bool
    error: str | None = None
    reply_key: str | None = None
    reply_fields: tuple[tuple[str, Any], ...] = ()
    duplicate: bool = False
    sha256: str | None = None
    file_type: str | None = None
    size_bytes: int = 0
    stored_path: str | None = None
    document_code: str | None = None
    document: Item | None = None
    needs_document_code: bool = False  # stored, but which checklist item it is must be asked
    stage: str | None = None
    stage_changed: bool = False
    complete: bool = False
    just_completed: bool = False
    missing: tuple[Item, ...] = ()  # everything still missing, for the notice
    small_claim: bool = False
    language: str | None = None
    # A file the claim already keeps as one item, sent for (or said to be) another: `asked_for`
    # stays missing, the file stays `kept_as` (one file is never two documents).
    kept_as: Item | None = None
    asked_for: Item | None = None
    resent_rejected: bool = False  # the same file again for its own item, which was rejected


def _error(number: str, code: str, **fields: Any) -> IntakeResult:
    return IntakeResult(claim_number=number, ok=False, error=code,
                        reply_key=f"intake_error.{code}", reply_fields=tuple(fields.items()))


def _uploads_root(uploads_dir: Path | None) -> Path:
    return uploads_dir or get_settings().var_dir / "uploads"


def _write_once(path: Path, content: bytes) -> bool:
    """Write `content` to `path` unless it is there already; True if this call created it."""
    if path.exists():
        return False
    private_dir(path.parent)  # 0700 (bot/privacy.py); mkstemp makes the file 0600
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(content)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return True


def _move_to_review(uow: UnitOfWork, claim: Claim, actor: str, at: datetime) -> bool:
    """reported -> documents_review when the first document arrives, in the caller's
    transaction (advance_claim() opens its own, and the file and the move must commit together)."""
    if claim.stage != ClaimStage.REPORTED.value or not can_move(
        claim.stage, ClaimStage.DOCUMENTS_REVIEW
    ):
        return False
    claim.stage = ClaimStage.DOCUMENTS_REVIEW.value
    note = "first document received"
    event = uow.claims.add_event(claim, from_stage=ClaimStage.REPORTED.value,
                                 to_stage=ClaimStage.DOCUMENTS_REVIEW.value, actor=actor, at=at,
                                 note=note)
    uow.audit.record(actor, "claim.advance", "claim", claim.number,
                     {"from": ClaimStage.REPORTED.value,
                      "to": ClaimStage.DOCUMENTS_REVIEW.value, "note": note}, at=at)
    uow.flush()
    # As advance_claim does: bot.outbox.notices decides whether this move is a node the customer is
    # told about, and queues it in this same transaction.
    from bot.outbox.notices import queue_stage_notice

    queue_stage_notice(uow, claim, event)
    return True


def _tick(document: ClaimDocument | None, at: datetime) -> None:
    # A rejected item sent again is received too (its rejection stays on the row as history).
    if document is not None and document.status in OUTSTANDING_DOCUMENT_STATUSES:
        document.status = "received"
        document.received_at = at


def _tie(stored: ReceivedFile, document: ClaimDocument, at: datetime) -> ClaimDocument | None:
    """Tie a kept file to `document` and tick it off, if the file is no document yet. A file
    already tied to another item is never a second document: that item is left as it is and
    the item the file is kept as comes back. Tied to this very item already, nothing changes."""
    if stored.document is None:
        stored.document = document
        _tick(document, at)
        return None
    if stored.document is not document:
        return stored.document
    return None


def _finish(
    uow: UnitOfWork,
    claim: Claim,
    *,
    actor: str,
    at: datetime,
    document: ClaimDocument | None,
    stored: ReceivedFile,
    duplicate: bool,
    stage_changed: bool,
    kept_as: ClaimDocument | None = None,
    asked_for: ClaimDocument | None = None,
) -> IntakeResult:
    """Completion check, audit and the result, once the file and checklist row are settled."""
    uow.flush()
    just_completed = False
    if not missing_documents(claim) and claim.documents_completed_at is None and claim.stage in (
        ClaimStage.REPORTED.value, ClaimStage.DOCUMENTS_REVIEW.value
    ):
        # The decision clock (law Art. 23: 30 days) starts when the customer's part is in.
        claim.documents_completed_at = at
        just_completed = True
        uow.audit.record(actor, "claim.documents_complete", "claim", claim.number, at=at)
    uow.audit.record(
        actor,
        "claim.file_received",
        "claim",
        claim.number,
        {"sha256": stored.sha256, "type": stored.content_type, "size": stored.size_bytes,
         "document": document.code if document else None, "duplicate": duplicate,
         **({"kept_as": kept_as.code, "asked_for": asked_for.code}
            if kept_as is not None and asked_for is not None else {})},
        at=at,
    )
    uow.flush()
    return IntakeResult(
        claim_number=claim.number,
        ok=True,
        duplicate=duplicate,
        sha256=stored.sha256,
        file_type=Path(stored.stored_path).suffix.lstrip("."),
        size_bytes=stored.size_bytes,
        stored_path=stored.stored_path,
        document_code=document.code if document else None,
        document=item_for_row(document) if document else None,
        needs_document_code=document is None and stored.document_id is None,
        stage=claim.stage,
        stage_changed=stage_changed,
        complete=not missing_documents(claim),
        just_completed=just_completed,
        missing=tuple(missing_items(claim.documents)),
        small_claim=is_small_claim(claim.estimated_amount),
        language=claim.language,
        kept_as=item_for_row(kept_as) if kept_as is not None else None,
        asked_for=item_for_row(asked_for) if kept_as is not None and asked_for is not None
        else None,
        resent_rejected=bool(duplicate and document is not None and kept_as is None
                             and document.status == "rejected"),
    )


def receive_file(
    claim_number: str,
    filename: str,
    content: bytes,
    content_type: str | None,
    *,
    document_code: str | None = None,
    actor: str,
    now: datetime | None = None,
    url: str | None = None,
    uploads_dir: Path | None = None,
) -> IntakeResult:
    """Take one file for a claim (a photo or PDF the customer sent on any channel).

    Accepted: JPEG, PNG, PDF, HEIC, judged by the first bytes (the name and the declared
    `content_type` are not trusted); not empty; at most max_upload_bytes(). Stored once per
    claim at <var_dir>/uploads/<claim>/<sha256>.<ext>; the same file again is recognised as a
    duplicate and not stored twice, and is never a second document: sent for another item than
    the one it is kept as, that item stays missing (`kept_as`, `asked_for`); sent for its own
    item, nothing changes. With `document_code` the file ticks off that checklist item;
    without, the result says the item must be asked (match_file() ties it later). The first
    file moves a 'reported' claim to 'documents_review'; when nothing the customer must send
    is missing, documents_completed_at is set. Errors store nothing.
    """
    at = as_utc_naive(now)
    if not content:
        return _error(claim_number, EMPTY_FILE)
    limit = max_upload_bytes()
    if len(content) > limit:
        return _error(claim_number, TOO_LARGE, limit_mb=limit // (1024 * 1024))
    file_type = sniff_type(content)
    if file_type is None:
        return _error(claim_number, UNSUPPORTED_TYPE)
    digest = hashlib.sha256(content).hexdigest()

    created: Path | None = None
    try:
        with unit_of_work(url) as uow:
            claim = uow.claims.by_number_for_update(claim_number)
            if claim is None:
                return _error(claim_number, UNKNOWN_CLAIM, claim_number=claim_number)
            if claim.stage in _CLOSED_STAGES:
                return _error(claim.number, CLAIM_NOT_OPEN, claim_number=claim.number)
            document = None
            if document_code is not None:
                document = next((d for d in claim.documents if d.code == document_code), None)
                if document is None:
                    return _error(claim.number, UNKNOWN_DOCUMENT)

            earlier = next((f for f in claim.files if f.sha256 == digest), None)
            if earlier is not None:
                kept_as = _tie(earlier, document, at) if document is not None else None
                result = _finish(uow, claim, actor=actor, at=at,
                                 document=None if kept_as is not None else document,
                                 stored=earlier, duplicate=True, stage_changed=False,
                                 kept_as=kept_as, asked_for=document)
                uow.commit()
                return result

            path = _uploads_root(uploads_dir) / claim.number / f"{digest}.{file_type}"
            if _write_once(path, content):
                created = path
            stored = ReceivedFile(
                claim=claim,
                document=document,
                filename=(filename or f"{digest}.{file_type}")[-255:],
                content_type=MIME_TYPES[file_type],
                size_bytes=len(content),
                sha256=digest,
                stored_path=str(path),
                received_at=at,
            )
            uow.received_files.add(stored)
            _tick(document, at)
            stage_changed = _move_to_review(uow, claim, actor, at)
            result = _finish(uow, claim, actor=actor, at=at, document=document, stored=stored,
                             duplicate=False, stage_changed=stage_changed)
            uow.commit()
            created = None
            return result
    finally:
        if created is not None:  # the transaction did not commit: take the file back too
            created.unlink(missing_ok=True)


def match_file(
    claim_number: str,
    sha256: str,
    document_code: str,
    *,
    actor: str,
    now: datetime | None = None,
    url: str | None = None,
) -> IntakeResult:
    """Tie a file already received (by its sha256) to checklist item `document_code`, once the
    customer has said which document it is. A file already tied to another item stays that item
    and `document_code` stays missing (`kept_as`, `asked_for`), as in receive_file()."""
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number_for_update(claim_number)
        if claim is None:
            return _error(claim_number, UNKNOWN_CLAIM, claim_number=claim_number)
        if claim.stage in _CLOSED_STAGES:
            return _error(claim.number, CLAIM_NOT_OPEN, claim_number=claim.number)
        document = next((d for d in claim.documents if d.code == document_code), None)
        if document is None:
            return _error(claim.number, UNKNOWN_DOCUMENT)
        stored = next((f for f in claim.files if f.sha256 == sha256), None)
        if stored is None:
            return _error(claim.number, UNKNOWN_FILE)
        already = stored.document is not None  # this item or another: nothing is ticked
        kept_as = _tie(stored, document, at)
        result = _finish(uow, claim, actor=actor, at=at,
                         document=None if kept_as is not None else document, stored=stored,
                         duplicate=already, stage_changed=False,
                         kept_as=kept_as, asked_for=document)
        uow.commit()
        return result


def intake_text(result: IntakeResult, lang: str | None = None) -> str:
    """What to tell the customer about a received file, and what happens next."""
    lang = lang or result.language or "zh"
    if not result.ok:
        return say(result.reply_key or f"intake_error.{UNSUPPORTED_TYPE}", lang,
                   **dict(result.reply_fields))
    if result.kept_as is not None and result.asked_for is not None:
        # One file is never two documents: the other item stays missing and is asked for.
        return say("intake_duplicate_other_item", lang, kept_as=result.kept_as.name(lang),
                   document=result.asked_for.name(lang))
    if result.resent_rejected and result.document is not None:
        return say("intake_duplicate_rejected", lang, document=result.document.name(lang))
    lines = []
    names = [item.name(lang) for item in result.missing if not item.fetched_by_insurer]
    if result.duplicate and result.needs_document_code and names:
        # The same file again, still not tied to an item: one reply, that it is kept and which
        # document it is (never "no need to send it" beside "got the file, which is it?").
        return say("intake_duplicate_which_document", lang, documents=join(names, lang))
    if result.duplicate:
        lines.append(say("intake_duplicate", lang))
    elif result.document is not None:
        lines.append(say("intake_received", lang, document=result.document.name(lang)))
    if result.needs_document_code and not result.duplicate:
        lines.append(say("intake_which_document", lang, documents=join(names, lang)))
    else:
        lines.append(one_time_notice(result.missing, lang, follow_up=True))
    return "\n".join(lines)


@dataclass(frozen=True)
class UploadTarget:
    """The claim a customer's upload belongs to, and the documents it still waits for."""

    claim_number: str
    documents: tuple[Item, ...]
    # False: the claim is past the documents stage (nothing more to send, no upload).
    takes_documents: bool = True


_OPEN_FOR_DOCUMENTS = (ClaimStage.REPORTED.value, ClaimStage.DOCUMENTS_REVIEW.value)


def upload_target(
    conversation_id: str, verified_policy: str | None = None, *,
    customer_id: int | None = None, url: str | None = None,
    hide_policies: frozenset = frozenset(),
) -> UploadTarget | None:
    """The newest claim still waiting for documents that was reported in this conversation,
    else (once verified) the newest such claim of the policy holder; None when there is none.
    With `customer_id` (the verified customer, bot/access.py) only that customer's claims."""
    with unit_of_work(url) as uow:
        candidates: list[Claim] = [claim for claim in uow.claims.of_conversation(conversation_id)
                                    if claim.stage in _OPEN_FOR_DOCUMENTS]
        if customer_id is not None:
            candidates = [claim for claim in candidates
                          if claim.policy.customer_id == customer_id]
        if not candidates and verified_policy:
            policy = uow.policies.by_number(verified_policy)
            if policy is not None and customer_id is not None \
                    and policy.customer_id != customer_id:
                policy = None
            if policy is not None:
                candidates = [claim for claim in uow.claims.of_customer(policy.customer_id)
                              if claim.stage in _OPEN_FOR_DOCUMENTS]
        # Claims of policies whose details need a one-time code first (bot/access.py).
        candidates = [claim for claim in candidates
                      if claim.policy.number not in hide_policies]
        if not candidates:
            return None
        return _target(candidates[0])  # both lists are newest first


def upload_target_of(claim_number: str, *, url: str | None = None) -> UploadTarget | None:
    """The upload target of one claim, whoever asks (the caller checked they may see it)."""
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(claim_number)
        return _target(claim) if claim is not None else None


def _target(claim: Claim) -> UploadTarget:
    wanted = tuple(item for item in missing_items(claim.documents)
                   if not item.fetched_by_insurer)
    return UploadTarget(claim.number, wanted, claim.stage in _OPEN_FOR_DOCUMENTS)


def file_of_claim(claim_number: str, sha_prefix: str) -> str | None:
    """The full sha256 of the claim's received file that starts with `sha_prefix` (None: no such
    claim or file)."""
    with unit_of_work() as uow:
        claim = uow.claims.by_number(claim_number)
        if claim is None:
            return None
        return next((f.sha256 for f in claim.files if f.sha256.startswith(sha_prefix)), None)
