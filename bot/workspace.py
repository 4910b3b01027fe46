"""The claim workspace of the agent console: look up a claim or a customer (with the reason,
audited), read everything about a claim in one place (stage, checklist, the files, deadlines and
light, flags, tasks, complaints and disputes, internal notes), record a complaint that came in
offline (hotline, letter, email, a regulator's referral), internal notes customers never see,
quick-reply templates in both languages, and what each role may do.

Roles (bot.store.models.AGENT_ROLES) and what they may do here; tasks follow
bot.tasks.ROLE_CAN_WORK and transfers bot.handoff.transfer:

| action            | agent | complaint_officer | supervisor |
|-------------------|-------|-------------------|------------|
| lookup, files     | yes   | yes               | yes        |
| notes, templates  | yes   | yes               | yes        |
| complaints (list, record, work) | no | yes    | yes        |
| regulator list    | no    | no                | yes        |

A refused action raises WorkspaceError (403) and is audited.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Tuple
from urllib.parse import quote

import yaml

from bot import complaints as complaint_service
from bot import tasks as task_service
from bot.claims.deadlines import claim_deadlines
from bot.claims.model import OPEN_STAGES, to_view
from bot.clock import as_utc_naive, format_local
from bot.handoff import case_owner
from bot.parsing import normalise_digits, parse_claim_number, parse_phone, parse_policy_number
from bot.privacy import mask_phone, phone_digits
from bot.settings import get_settings
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import (
    AGENT_ROLES,
    Claim,
    Complaint,
    Customer,
    Handoff,
    InternalNote,
    ReceivedFile,
)

TEMPLATES_FILE = Path(__file__).with_name("quick_replies.yml")
ALL_ROLES: FrozenSet[str] = frozenset(AGENT_ROLES)
COMPLAINT_ROLES: FrozenSet[str] = frozenset({"complaint_officer", "supervisor"})
PERMISSIONS: Mapping[str, FrozenSet[str]] = {
    "lookup": ALL_ROLES,
    "read_file": ALL_ROLES,
    "note": ALL_ROLES,
    "templates": ALL_ROLES,
    "list_complaints": COMPLAINT_ROLES,
    "record_complaint": COMPLAINT_ROLES,
    "work_complaint": COMPLAINT_ROLES,
    "regulator_list": frozenset({"supervisor"}),
    "dashboard": frozenset({"supervisor"}),
}
ACTION_WORDS: Mapping[str, str] = {
    "list_complaints": "see the complaints list",
    "record_complaint": "record complaints",
    "work_complaint": "work complaints",
    "regulator_list": "see the regulator list",
    "dashboard": "see the supervisors' dashboard",
}
ROLE_WORDS = {"agent": "an agent", "supervisor": "a supervisor",
              "complaint_officer": "a complaint officer"}
HANDOFFS_SCANNED = 2000  # recent handoffs searched for conversations about a claim
MIN_REASON_CHARS = 4
MAX_REASON_CHARS = 200
MAX_NOTE_CHARS = 2000
# Files the console shows in the browser; anything else is downloaded as plain bytes.
INLINE_TYPES = {"image/jpeg", "image/png", "application/pdf"}
# Offline complaints open a task for the complaint officers: a regulator's referral is handled
# within 3 working days, any other is called back within 48 hours.
SOURCE_TASK = {"regulator": "regulator_referral"}


class WorkspaceError(Exception):
    """A workspace action was refused: `code` names the problem, `status` is the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _audit(actor: str, action: str, subject_type: str, subject_id: Any,
           detail: Dict[str, Any] | None = None, *, now: datetime | None = None,
           url: str | None = None) -> None:
    with unit_of_work(url) as uow:
        uow.audit.record(actor[:100], action, subject_type, subject_id, detail,
                         at=as_utc_naive(now) if now else None)
        uow.commit()


def allowed(role: str, action: str) -> bool:
    return role in PERMISSIONS.get(action, frozenset())


def require(role: str, action: str, actor: str, *, url: str | None = None) -> None:
    """Raises WorkspaceError(403) naming who may, and audits the refusal, unless `role` may."""
    if allowed(role, action):
        return
    who = " and ".join(sorted(r.replace("_", " ") + "s" for r in PERMISSIONS.get(action, ())))
    message = (f"{ROLE_WORDS.get(role, role).capitalize()} may not "
               f"{ACTION_WORDS.get(action, action)}" + (f"; {who} may." if who else "."))
    _audit(actor, "console.refused", "agent", actor.split(":", 1)[-1],
           {"action": action, "role": role}, url=url)
    raise WorkspaceError("role_not_allowed", message, status=403)


# --- looking up ----------------------------------------------------------------------------------

def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment is not None else None


def _check_reason(reason: Any) -> str:
    text = " ".join(str(reason or "").split())
    if len(text) < MIN_REASON_CHARS:
        raise WorkspaceError("reason_required", "Say why you look this up (at least "
                             f"{MIN_REASON_CHARS} characters); it is kept in the audit log.")
    return text[:MAX_REASON_CHARS]


def _query_kind(query: str) -> tuple[str, str]:
    """('claim', number), ('policy', number) or ('phone', digits) for a look-up's words."""
    text = normalise_digits(query or "").strip()
    claim = parse_claim_number(text)
    if claim:
        return "claim", claim
    policy = parse_policy_number(text)
    if policy:
        return "policy", policy
    digits = phone_digits(text)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if 7 <= len(digits) <= 15:
        return "phone", digits
    raise WorkspaceError("unknown_query", "Give a claim number (CLM-…), a policy number or "
                         "the customer's phone number.")


def _customer_data(customer: Customer) -> Dict[str, Any]:
    return {"name": customer.name, "phone_masked": mask_phone(customer.phone),
            "language": customer.preferred_language,
            "policies": [{"number": p.number, "product_zh": p.product_name_zh,
                          "product_en": p.product_name_en, "status": p.status,
                          "line_of_business": p.line_of_business}
                         for p in customer.policies]}


def _claim_line(claim: Claim, now: datetime) -> Dict[str, Any]:
    deadlines = claim_deadlines(to_view(claim), now)
    return {"number": claim.number, "stage": claim.stage, "policy_number": claim.policy.number,
            "incident_type": claim.incident_type, "light": deadlines.light.value,
            "reported_at": _iso(claim.reported_at), "flags": len(claim.flags or [])}


# The claim clocks (bot/claims/deadlines.py rules) by name, for task cards about one of them.
CLOCK_NAMES: Dict[str, Tuple[str, str]] = {
    "acknowledge": ("报案受理", "acknowledging the report"),
    "settlement": ("赔付或拒赔", "paying or refusing"),
    "decision": ("核定结论", "deciding the claim"),
    "payment": ("赔款支付", "paying the agreed amount"),
    "refusal_notice": ("拒赔通知", "the refusal notice"),
    "advance_payment": ("先予支付", "the advance payment"),
    "limitation": ("诉讼时效", "the limitation period"),
}


def task_data(view: task_service.TaskView, now: datetime | None = None) -> Dict[str, Any]:
    """A task as the console shows it (times as ISO UTC, and the due time in local words). A
    task about one claim clock names it (clock_zh, clock_en): two cards of one claim differ."""
    data = view.as_dict(now)
    for key in ("due_at", "created_at", "taken_at", "done_at"):
        data[key] = _iso(data[key])
    data["due_local"] = format_local(view.due_at)
    clock = (view.detail or {}).get("clock")
    if isinstance(clock, str):
        zh, en = CLOCK_NAMES.get(clock, (clock, clock))
        data["clock_zh"], data["clock_en"] = zh, en
    return data


def lookup(query: str, reason: str, actor: str, *, now: datetime | None = None,
           url: str | None = None, role: str | None = None) -> Dict[str, Any]:
    """A claim's workspace (a claim number) or a customer with their claims (a policy number or
    a phone number). The reason is required; who looked up what and why goes to the audit log
    (the phone number only masked). WorkspaceError 404 when nothing matches. `role`: the
    looking agent's (complaints are left out for a role that may not see them)."""
    why = _check_reason(reason)
    kind, key = _query_kind(query)
    at = as_utc_naive(now)
    shown = mask_phone(key) if kind == "phone" else key
    with unit_of_work(url) as uow:
        customers: List[Customer] = []
        if kind == "claim":
            claim = uow.claims.by_number(key)
            if claim is not None:
                customers = [claim.policy.customer]
        elif kind == "policy":
            policy = uow.policies.by_number(key)
            customers = [policy.customer] if policy is not None else []
        else:
            customers = [c for c in uow.customers.by_phone_last4(key[-4:])
                         if phone_digits(c.phone).endswith(key)]
        uow.audit.record(actor[:100], "workspace.lookup", kind, shown,
                         {"reason": why, "found": bool(customers)}, at=at)
        uow.commit()
        if not customers:
            raise WorkspaceError("not_found", f"No {kind} matches {shown}.", status=404)
        if kind == "claim":
            return {"kind": "claim", "claim": _workspace(uow, key, at, url, role=role)}
        return {"kind": "customer", "customers": [
            {**_customer_data(c), "claims": [_claim_line(claim, at)
                                             for claim in uow.claims.of_customer(c.id)]}
            for c in customers]}


def claim_workspace(number: str, *, now: datetime | None = None, url: str | None = None,
                    role: str | None = None) -> Dict[str, Any] | None:
    """Everything an agent reads about one claim (see _workspace); None for no such claim."""
    with unit_of_work(url) as uow:
        return _workspace(uow, number, as_utc_naive(now), url, role=role)


def _complaint_line(view: complaint_service.ComplaintView) -> Dict[str, Any]:
    return {"reference": view.reference, "status": view.status, "subject": view.subject,
            "source": view.source, "channel": view.channel, "claim_number": view.claim_number,
            "received_at": _iso(view.received_at), "outcome": view.outcome,
            "decision_due_at": _iso(view.decision.due_at),
            "decision_status": view.decision.status.value,
            "acknowledge_due_at": _iso(view.acknowledge.due_at),
            "acknowledge_status": view.acknowledge.status.value}


COMPLAINTS_HIDDEN = "complaints: visible to complaint officers and supervisors"


def _workspace(uow: UnitOfWork, number: str, at: datetime, url: str | None = None, *,
               role: str | None = None) -> Dict[str, Any] | None:
    """The claim's workspace. With a `role` that may not see complaints (an agent), the
    complaints and the complaint officers' tasks are left out and `complaints_hidden` says so;
    `role` None: everything (back-office callers)."""
    claim = uow.claims.by_number(number)
    if claim is None:
        return None
    view = to_view(claim)
    deadlines = claim_deadlines(view, at)
    customer = claim.policy.customer
    sees_complaints = role is None or allowed(role, "list_complaints")
    complaints = [complaint_service.get_complaint(row.reference, now=at, url=url)
                  for row in uow.complaints.of_customer(customer.id)] if sees_complaints else []
    tasks = [task for task in task_service.list_tasks(status="all", claim_number=claim.number,
                                                      url=url)
             if sees_complaints or (task.owner_role != "complaint_officer"
                                    and task.complaint_reference is None)]
    # The claim's own conversation, then those handed to a person about it (the summary names
    # the claim; the most recent handoffs only, as the summary is JSON and not indexed).
    recent = uow.session.query(Handoff).order_by(Handoff.id.desc()).limit(HANDOFFS_SCANNED)
    conversations = [c for c in dict.fromkeys(
        [claim.conversation_id] +
        [row.conversation_id for row in reversed(list(recent))
         if (row.summary or {}).get("claim_number") == claim.number]) if c]
    return {
        "number": claim.number, "stage": claim.stage, "open": view.stage in OPEN_STAGES,
        "policy_number": claim.policy.number,
        "product": f"{claim.policy.product_name_zh} / {claim.policy.product_name_en}",
        "customer": {"name": customer.name, "phone_masked": mask_phone(customer.phone),
                     "language": customer.preferred_language},
        "owner": case_owner(claim_number=claim.number, policy_number=claim.policy.number,
                            url=url),
        "incident_type": claim.incident_type, "incident_at": _iso(claim.incident_at),
        "incident_place": claim.incident_place, "description": claim.description,
        "injuries": bool(claim.injuries),
        "amounts": {k: (str(v) if v is not None else None) for k, v in (
            ("estimated", claim.estimated_amount), ("approved", claim.approved_amount),
            ("paid", claim.paid_amount))},
        "reported_at": _iso(claim.reported_at), "channel": claim.channel,
        "language": claim.language,
        "checklist": [{"code": d.code, "label_zh": d.label_zh, "label_en": d.label_en,
                       "mandatory": bool(d.mandatory),
                       "fetched_by_insurer": bool(d.fetched_by_insurer), "status": d.status,
                       "received_at": _iso(d.received_at)} for d in claim.documents],
        "files": [{"id": f.id, "filename": f.filename, "content_type": f.content_type,
                   "size_bytes": f.size_bytes, "received_at": _iso(f.received_at),
                   "document": f.document.code if f.document is not None else None}
                  for f in claim.files],
        "light": deadlines.light.value,
        "deadlines": [{"name": c.name, "status": c.status.value, "due_at": _iso(c.due_at),
                       "due_local": format_local(c.due_at), "met_at": _iso(c.met_at),
                       "late": c.late, "rule_zh": c.rule_text("zh"),
                       "rule_en": c.rule_text("en")} for c in deadlines.clocks],
        "flags": [dict(flag) for flag in (claim.flags or []) if isinstance(flag, dict)],
        "tasks": [task_data(task, at) for task in tasks],
        "complaints": [dict(_complaint_line(c), about_this_claim=c.claim_number == claim.number)
                       for c in complaints if c is not None],
        "complaints_hidden": None if sees_complaints else COMPLAINTS_HIDDEN,
        "disputes": [{"step": d.step, "opened_at": _iso(d.opened_at),
                      "updated_at": _iso(d.updated_at)}
                     for d in uow.disputes.of_customer(customer.id) if d.claim_id == claim.id],
        "conversations": conversations,
        "notes": _notes(uow, claim_id=claim.id, conversation_ids=conversations),
    }


# --- the files -------------------------------------------------------------------------------

@dataclass(frozen=True)
class FileToServe:
    path: Path
    content_type: str
    disposition: str
    claim_number: str
    size_bytes: int


def _ascii_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[-100:] or "file"


def file_to_serve(file_id: int, actor: str, *, url: str | None = None) -> FileToServe:
    """A received file as the console serves it: its stored path (never a path from the
    request, and only inside the uploads folder), a safe content type, a Content-Disposition
    that names it. Every read is audited. WorkspaceError 404 when there is none."""
    with unit_of_work(url) as uow:
        row = uow.session.get(ReceivedFile, file_id)
        if row is None:
            raise WorkspaceError("not_found", "No such file.", status=404)
        root = (get_settings().var_dir / "uploads").resolve()
        path = Path(row.stored_path).resolve()
        if root not in path.parents or not path.is_file():
            raise WorkspaceError("not_found", "The file is not in the store.", status=404)
        inline = row.content_type in INLINE_TYPES
        content_type = row.content_type if inline else "application/octet-stream"
        name = row.filename or path.name
        disposition = (f"{'inline' if inline else 'attachment'}; "
                       f"filename=\"{_ascii_name(name)}\"; filename*=UTF-8''{quote(name)}")
        uow.audit.record(actor[:100], "file.viewed", "claim", row.claim.number,
                         {"file": row.id})
        uow.commit()
        return FileToServe(path, content_type, disposition, row.claim.number, row.size_bytes)


# --- internal notes ------------------------------------------------------------------------------

def _notes(uow: UnitOfWork, *, claim_id: int | None = None,
           conversation_ids: List[str] | None = None) -> List[Dict[str, Any]]:
    query = uow.session.query(InternalNote)
    conditions = []
    if claim_id is not None:
        conditions.append(InternalNote.claim_id == claim_id)
    if conversation_ids:
        conditions.append(InternalNote.conversation_id.in_(conversation_ids))
    if not conditions:
        return []
    from sqlalchemy import or_

    rows = query.filter(or_(*conditions)).order_by(InternalNote.created_at, InternalNote.id)
    return [{"id": n.id, "author": n.author, "text": n.text, "at": _iso(n.created_at),
             "claim_number": n.claim.number if n.claim is not None else None,
             "conversation_id": n.conversation_id} for n in rows]


def add_note(text: str, actor: str, *, claim_number: str | None = None,
             conversation_id: str | None = None, now: datetime | None = None,
             url: str | None = None) -> Dict[str, Any]:
    """An internal note on a claim or a conversation: kept in its own table, read only in the
    console, never sent to the customer nor written to their conversation."""
    words = (text or "").strip()
    if not words or len(words) > MAX_NOTE_CHARS:
        raise WorkspaceError("invalid_note", f"A note is 1-{MAX_NOTE_CHARS} characters.")
    if not claim_number and not conversation_id:
        raise WorkspaceError("invalid_note", "A note belongs to a claim or a conversation.")
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        claim = None
        if claim_number:
            claim = uow.claims.by_number(claim_number.strip().upper())
            if claim is None:
                raise WorkspaceError("not_found", f"No claim {claim_number}.", status=404)
            if conversation_id and not _belongs(uow, claim, conversation_id):
                raise WorkspaceError(
                    "note_mismatch", f"The conversation is not about {claim.number} nor its "
                    "customer: write the note on the claim or on the conversation.", status=422)
        note = InternalNote(claim_id=claim.id if claim is not None else None,
                            conversation_id=(conversation_id or None), author=actor[:100],
                            text=words, created_at=at)
        uow.session.add(note)
        uow.flush()
        uow.audit.record(actor[:100], "note.added", "claim" if claim else "conversation",
                         claim.number if claim else conversation_id, {"note": note.id}, at=at)
        uow.commit()
        return {"id": note.id, "author": note.author, "text": note.text, "at": _iso(at),
                "claim_number": claim.number if claim else None,
                "conversation_id": note.conversation_id}


def _belongs(uow: UnitOfWork, claim: Claim, conversation_id: str) -> bool:
    """Whether a conversation is about this claim or its customer: the claim's own
    conversation, one of the customer's claims reported there, or a handoff of it naming the
    claim or the customer's verified policy."""
    customer_id = claim.policy.customer_id
    if claim.conversation_id == conversation_id:
        return True
    if any(c.conversation_id == conversation_id for c in uow.claims.of_customer(customer_id)):
        return True
    rows = uow.session.query(Handoff).filter(Handoff.conversation_id == conversation_id)
    for row in rows.limit(HANDOFFS_SCANNED):
        summary = row.summary or {}
        named = [summary.get("claim_number")] + [
            c.get("number") for c in summary.get("claims") or [] if isinstance(c, dict)]
        if claim.number in [str(n).upper() for n in named if n]:
            return True
        policy_number = (summary.get("customer") or {}).get("policy_number")
        policy = uow.policies.by_number(str(policy_number).upper()) if policy_number else None
        if policy is not None and policy.customer_id == customer_id:
            return True
    return False


def notes_for(*, claim_number: str | None = None, conversation_id: str | None = None,
              url: str | None = None) -> List[Dict[str, Any]]:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(claim_number) if claim_number else None
        return _notes(uow, claim_id=claim.id if claim else None,
                      conversation_ids=[conversation_id] if conversation_id else None)


# --- quick replies -------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def quick_replies() -> List[Dict[str, str]]:
    """The quick-reply templates (quick_replies.yml): key, title, and the text in zh and en."""
    with TEMPLATES_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or []
    return [{"key": str(t["key"]), "title_zh": t["title_zh"], "title_en": t["title_en"],
             "zh": t["zh"].strip(), "en": t["en"].strip()} for t in data]


def quick_reply(key: str, language: str | None) -> str | None:
    """The template's text in the customer's language (Chinese unless they write English)."""
    for template in quick_replies():
        if template["key"] == key:
            return template["en" if language == "en" else "zh"]
    return None


# --- complaints received offline -----------------------------------------------------------------

def record_offline_complaint(fields: Mapping[str, Any], actor: str, *,
                             now: datetime | None = None,
                             url: str | None = None) -> complaint_service.ComplaintView:
    """A complaint an agent took by hotline, letter, email or a regulator's referral, with its
    source and clock (a referral: 3 working days), and a task for the complaint officers
    (regulator_referral, or complaint_callback within 48 hours). WorkspaceError 400 names
    what is wrong."""
    source = fields.get("source")
    if source not in complaint_service.SOURCES:
        raise WorkspaceError("invalid_source", "A complaint's source is one of "
                             f"{', '.join(complaint_service.SOURCES)}.")

    def text(name: str, limit: int) -> str | None:
        value = fields.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str) or len(value) > limit:
            raise WorkspaceError(f"invalid_{name}", f"'{name}' is text of at most {limit} "
                                 "characters.")
        return value.strip() or None

    new = complaint_service.NewComplaint(
        subject=text("subject", 255) or "", facts=text("facts", 4000),
        request=text("request", 2000), policy_number=text("policy_number", 32),
        claim_number=text("claim_number", 32), complainant_name=text("name", 100),
        complainant_phone=text("phone", 32), channel=source,
        language="en" if fields.get("language") == "en" else "zh", source=source)
    if new.complainant_phone and parse_phone(new.complainant_phone) is None:
        raise WorkspaceError("invalid_phone", "'phone' is not a phone number: a mobile, a "
                             "landline with its area code, or +country code.", status=422)
    at = as_utc_naive(now)
    try:
        view = complaint_service.record_complaint(new, now=at, actor=actor, url=url)
    except complaint_service.ComplaintError as error:
        raise WorkspaceError("invalid_complaint", str(error)) from error
    kind = SOURCE_TASK.get(source, "complaint_callback")
    prefix = "regulator-referral" if source == "regulator" else "complaint-callback"
    due = view.decision.due_at if source == "regulator" else view.acknowledge.due_at
    task_service.open_task_now(
        kind, dedupe_key=f"{prefix}:{view.reference}", actor=actor,
        complaint_reference=view.reference, claim_number=view.claim_number, due_at=due,
        detail={"source": source}, now=at, url=url)
    return view


# --- the regulator list --------------------------------------------------------------------------

def regulator_list(*, now: datetime | None = None, url: str | None = None) -> Dict[str, Any]:
    """What a supervisor reports upward: open claims whose light is red, and complaints the
    regulator referred, with their clocks."""
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        red = []
        for claim in uow.claims.list():
            view = to_view(claim)
            if view.stage not in OPEN_STAGES:
                continue
            deadlines = claim_deadlines(view, at)
            if deadlines.light.value == "red":
                binding = deadlines.binding
                red.append({"number": claim.number, "stage": claim.stage,
                            "clock": binding.name if binding else None,
                            "due_at": _iso(binding.due_at) if binding else None})
        referrals = [_complaint_line(complaint_service.get_complaint(row.reference, now=at,
                                                                    url=url))
                     for row in uow.session.query(Complaint).filter(
                         Complaint.source == "regulator").order_by(Complaint.received_at)]
        return {"red_claims": red, "referrals": referrals}
