"""Complaints (投诉) recorded as the 2020 complaint rules ask (Art. 13): who complains and how to
reach them, what or whom it is about, what they want, the facts, the channel and the time it came
in. Each gets a reference and two clocks: acknowledge within 48 hours; decide within 15 days,
30 when complex, at most 60 when the customer has been told of the extension. A complaint the
regulator referred to us (source "regulator") is handled within 3 working days instead. The
same person complaining again about the same matter is linked to the first complaint and
flagged repeated.
"""
from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Tuple

from bot.claims.deadlines import ClockStatus, add_working_days
from bot.clock import as_utc_naive, to_local
from bot.parsing import normalise_digits, parse_claim_number, parse_phone, parse_policy_number
from bot.privacy import mask_phone
from bot.replies import say, when_text
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import Complaint

COMPLAINT_ACTOR = "complaints"
ACKNOWLEDGE_HOURS = 48
ACKNOWLEDGE_WARN = timedelta(hours=12)
DECISION_DAYS: Dict[str, int] = {"standard": 15, "complex": 30, "extended": 60}
DECISION_WARN = timedelta(days=3)
COMPLEXITIES = tuple(DECISION_DAYS)
ABOUT_KINDS = ("claim", "staff", "stage", "other")
# How far back an earlier complaint still makes a new one a repeat.
REPEAT_WINDOW = timedelta(days=365)
REPEAT_SIMILARITY = 0.3
STATUSES = ("received", "acknowledged", "decided", "closed")
# Where an agent received a complaint (recorded in the console); None: the assistant took it in a
# conversation. A regulator's referral (监管转办) must be handled within 3 working days.
SOURCES = ("hotline", "letter", "email", "regulator")
REGULATOR_WORKING_DAYS = 3
REGULATOR_WARN = timedelta(days=1)


class ComplaintError(Exception):
    """A complaint could not be recorded or changed; the message says why."""


class ComplaintClosed(ComplaintError):
    """The complaint has its outcome (accepted, or decided and answered): no second one."""


class ComplaintNotFound(ComplaintError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"complaint {reference} not found")
        self.reference = reference


def format_reference(year: int, serial: int) -> str:
    return f"CMP-{year:04d}-{serial:06d}"


# --- reading what the customer wrote ------------------------------------------------------------

_STAFF = re.compile(
    r"(理赔员|查勘员|定损员|客服|业务员|专员|经理|工作人员|销售|代理人|调查员|接线员|"
    r"\bstaff\b|\badjuster\b|\bagent\b|\bemployee\b|\bmanager\b|\bsalesman\b|\bsales\b|"
    r"\bassessor\b|\bhandler\b|\bcall centre\b|\bcall center\b|\bsupervisor\b)",
    re.IGNORECASE,
)
_STAGE = re.compile(
    r"(报案|材料|审核|调查|定损|核赔|赔付|打款|结案|拒赔|进度|理赔|"
    r"\breport\w*|\bdocument\w*|\breview\b|\binvestigation\b|\bassessment\b|\bpayment\b|"
    r"\bpaid\b|\bclaim\b|\bdenial\b|\bdenied\b)",
    re.IGNORECASE,
)


def classify_about(text: str) -> Tuple[str, str | None]:
    """What a complaint is about: ('claim', number) when it names a claim; 'staff' when it names
    a person or role; 'stage' for a step of the claim process; otherwise 'other'."""
    number = parse_claim_number(text or "")
    if number:
        return "claim", number
    if _STAFF.search(text or ""):
        return "staff", None
    if _STAGE.search(text or ""):
        return "stage", None
    return "other", None


def parse_contact_phone(text: str) -> str | None:
    """A phone number to call the complainant back on, found in a message: a real phone by
    `bot.parsing.parse_phone` (a Chinese mobile, a landline with its area code or an E.164
    number; never a date or a policy number); None otherwise, or when there are two."""
    clean = normalise_digits(text or "")
    candidates = re.findall(r"\+?\d[\d\s-]{5,18}\d", clean)
    if len(candidates) != 1:
        return None
    return parse_phone(candidates[0])


# "我叫王芳" / "my name is …": the name said about oneself, up to where the sentence moves on.
_NAME_END = r"(?=$|[\s，,。.!！?？、;；:：]|\d|\+|手机|电话|号码|联系|是理赔|投诉)"
_SELF_INTRO = re.compile(
    r"(?:我叫|我的名字(?:是|叫)|名字(?:是|叫)|姓名(?:是)?[:：]?|本人(?:叫|是)?|我是)\s*"
    r"(?P<zh>[\u4e00-\u9fff·]{2,6}?)" + _NAME_END + "|"
    r"(?i:\bmy name is|\bmy name's|\bi am|\bi'm|\bthis is|\bname[:：])\s*"
    r"(?P<en>[A-Za-z][A-Za-z'-]*(?: [A-Z][A-Za-z'-]*)*)",
)
# A phone number with the words that label it ("手机13800000004", "phone: 138…").
_PHONE_PART = re.compile(r"(?i)(?:手机(?:号码?)?|电话(?:号码?)?|号码|联系方式|phone|mobile|tel)?"
                         r"\s*(?:是|为|[:：])?\s*\+?\d[\d\s-]{5,18}\d")


def self_introduced_name(text: str) -> str | None:
    """The name a customer gives for themselves in a sentence ("我叫王芳，手机…", "my name is
    John Smith"), or None when they do not introduce themselves."""
    match = _SELF_INTRO.search(unicodedata.normalize("NFKC", text or ""))
    if match is None:
        return None
    name = (match.group("zh") or match.group("en") or "").strip()
    return name if name and not names_staff(name) else None


def names_staff(text: str) -> bool:
    """Whether a message names a member of staff or a role ("是理赔员小刘…"): what a complaint
    is about, not who makes it."""
    return bool(_STAFF.search(unicodedata.normalize("NFKC", text or "")))


def parse_person_name(text: str) -> str | None:
    """A complainant's name as typed: the name they introduce themselves with ("我叫王芳，手机
    138…" -> 王芳), else 1-50 characters with at least one letter or Chinese character once a
    phone number beside it is set aside; surrounding phrases like "我叫" are dropped."""
    if parse_policy_number(text or "") or parse_claim_number(text or ""):
        return None  # a policy or claim number is never a name
    introduced = self_introduced_name(text)
    if introduced:
        return introduced
    clean = unicodedata.normalize("NFKC", text or "").strip()
    clean = _PHONE_PART.sub(" ", clean).strip(" 。.,，!！;；、")
    clean = re.sub(r"^(我叫|我是|本人|姓名[:：]?|名字[:：]?|my name is|i am|i'm|this is)\s*",
                   "", clean, flags=re.IGNORECASE).strip(" 。.,，!！")
    if not clean or len(clean) > 50 or re.search(r"\d", clean):  # nobody's name has digits
        return None
    if not re.search(r"[A-Za-z\u4e00-\u9fff]", clean):
        return None
    return clean


def _words(text: str) -> set[str]:
    """Chinese character pairs and English words: enough to see two texts tell one story."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    chinese = re.findall(r"[\u4e00-\u9fff]+", text)
    grams = {run[i:i + 2] for run in chinese for i in range(max(len(run) - 1, 1))}
    grams |= {word for word in re.findall(r"[a-z]{3,}", text)}
    return grams


def similarity(first: str, second: str) -> float:
    """Jaccard overlap of the two texts' word sets, 0..1."""
    a, b = _words(first), _words(second)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def same_matter(new_claim: str | None, new_text: str, old_claim: str | None,
                old_text: str) -> bool:
    """Whether two complaints of one person are about the same matter: the same claim, or (when
    neither names a claim) texts that overlap enough to tell the same story."""
    if new_claim or old_claim:
        return new_claim == old_claim
    return similarity(new_text, old_text) >= REPEAT_SIMILARITY


# --- clocks --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ComplaintClock:
    name: str  # acknowledge, decision
    started_at: datetime
    due_at: datetime
    status: ClockStatus
    met_at: datetime | None = None

    @property
    def late(self) -> bool:
        return self.met_at is not None and self.met_at > self.due_at


def _status(now: datetime, due: datetime, warn: timedelta, met: datetime | None) -> ClockStatus:
    if met is not None:
        return ClockStatus.MET
    if now > due:
        return ClockStatus.OVERDUE
    if now >= due - warn:
        return ClockStatus.YELLOW
    return ClockStatus.OK


def decision_due(received_at: datetime, complexity: str, source: str | None = None
                 ) -> datetime:
    """When a decision is due: 3 working days for a regulator's referral, otherwise 15, 30 or
    60 calendar days by complexity."""
    if source == "regulator":
        return add_working_days(received_at, REGULATOR_WORKING_DAYS)
    return received_at + timedelta(days=DECISION_DAYS.get(complexity, 15))


def complaint_clocks(
    received_at: datetime, complexity: str, acknowledged_at: datetime | None,
    decided_at: datetime | None, now: datetime, source: str | None = None,
) -> Tuple[ComplaintClock, ComplaintClock]:
    """The acknowledge clock (48 hours) and the decision clock (15/30/60 calendar days; 3
    working days for a regulator's referral)."""
    ack_due = received_at + timedelta(hours=ACKNOWLEDGE_HOURS)
    due = decision_due(received_at, complexity, source)
    warn = REGULATOR_WARN if source == "regulator" else DECISION_WARN
    return (
        ComplaintClock("acknowledge", received_at, ack_due,
                       _status(now, ack_due, ACKNOWLEDGE_WARN, acknowledged_at), acknowledged_at),
        ComplaintClock("decision", received_at, due,
                       _status(now, due, warn, decided_at), decided_at),
    )


# --- the record ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ComplaintView:
    reference: str
    status: str
    customer_id: int | None
    complainant_name: str | None
    complainant_phone: str | None
    about_kind: str
    subject: str
    claim_number: str | None
    request: str | None
    facts: str | None
    channel: str | None
    language: str | None
    conversation_id: str | None
    received_at: datetime
    complexity: str
    acknowledged_at: datetime | None
    extended_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    outcome: str | None
    accepted: bool | None
    accepted_at: datetime | None
    repeat_of: str | None  # the reference of the first complaint about the same matter
    acknowledge: ComplaintClock
    decision: ComplaintClock
    source: str | None = None  # hotline, letter, email, regulator; None: a conversation

    @property
    def repeated(self) -> bool:
        return self.repeat_of is not None

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.complainant_phone)


def _view(row: Complaint, now: datetime) -> ComplaintView:
    ack, decision = complaint_clocks(row.received_at, row.complexity, row.acknowledged_at,
                                     row.decided_at, now, row.source)
    name = row.complainant_name or (row.customer.name if row.customer is not None else None)
    phone = row.complainant_phone or (row.customer.phone if row.customer is not None else None)
    return ComplaintView(
        reference=row.reference, status=row.status, customer_id=row.customer_id,
        complainant_name=name, complainant_phone=phone, about_kind=row.about_kind,
        subject=row.subject, claim_number=row.claim.number if row.claim is not None else
        parse_claim_number(row.subject or ""),
        request=row.request, facts=row.facts, channel=row.channel, language=row.language,
        conversation_id=row.conversation_id, received_at=row.received_at,
        complexity=row.complexity, acknowledged_at=row.acknowledged_at,
        extended_at=row.extended_at, decided_at=row.decided_at, decided_by=row.decided_by,
        outcome=row.outcome, accepted=row.accepted, accepted_at=row.accepted_at,
        repeat_of=row.repeat_of.reference if row.repeat_of is not None else None,
        acknowledge=ack, decision=decision, source=row.source,
    )


@dataclass(frozen=True)
class NewComplaint:
    """What the conversation gathered. A verified customer gives `customer_id`; anyone else a
    name and a phone number."""

    subject: str
    facts: str | None = None
    request: str | None = None
    customer_id: int | None = None
    policy_number: str | None = None  # the verified policy, to find the customer
    complainant_name: str | None = None
    complainant_phone: str | None = None
    channel: str | None = None
    language: str | None = None
    conversation_id: str | None = None
    # Recorded by an agent: where it came from (SOURCES) and the claim it is about, which is
    # linked when it belongs to the complainant (or gives the complainant when none is named).
    source: str | None = None
    claim_number: str | None = None


def _find_repeat(uow: UnitOfWork, customer_id: int | None, phone: str | None,
                 claim_number: str | None, text: str, now: datetime) -> Complaint | None:
    for earlier in uow.complaints.of_complainant(customer_id, phone):
        if now - earlier.received_at > REPEAT_WINDOW:
            continue
        earlier_claim = (earlier.claim.number if earlier.claim is not None
                         else parse_claim_number(earlier.subject or ""))
        earlier_text = " ".join(filter(None, (earlier.subject, earlier.facts, earlier.request)))
        if same_matter(claim_number, text, earlier_claim, earlier_text):
            return earlier.repeat_of or earlier  # always link to the first one
    return None


def record_complaint(new: NewComplaint, *, now: datetime | None = None,
                     actor: str = COMPLAINT_ACTOR, url: str | None = None) -> ComplaintView:
    """Record a complaint and give it its reference (CMP-<year>-<serial>). Raises
    ComplaintError when nobody can be contacted about it or it says nothing."""
    at = as_utc_naive(now)
    subject = (new.subject or "").strip()
    if not subject and not (new.facts or "").strip():
        raise ComplaintError("a complaint needs what it is about or what happened")
    if new.source is not None and new.source not in SOURCES:
        raise ComplaintError(f"a complaint's source is one of {', '.join(SOURCES)}")
    with unit_of_work(url) as uow:
        customer_id = new.customer_id
        if customer_id is None and new.policy_number:
            policy = uow.policies.by_number(new.policy_number.strip().upper())
            if policy is None and new.source is not None:
                raise ComplaintError(f"no policy {new.policy_number}")
            customer_id = policy.customer_id if policy is not None else None
        named = uow.claims.by_number(new.claim_number.strip().upper()) if new.claim_number \
            else None
        if new.claim_number and named is None:
            raise ComplaintError(f"no claim {new.claim_number}")
        if named is not None:
            if customer_id is None:
                customer_id = named.policy.customer_id
            elif named.policy.customer_id != customer_id:
                raise ComplaintError(f"claim {named.number} is not the complainant's")
        # The complainant's own name and phone as given: someone other than the policy holder
        # may complain about the policy (the holder is linked by `customer_id`).
        phone = parse_phone(new.complainant_phone) if new.complainant_phone else None
        if new.complainant_phone and phone is None:
            raise ComplaintError(f"{new.complainant_phone!r} is not a phone number (a mobile, "
                                 "a landline with its area code, or +country code)")
        if customer_id is None and not (new.complainant_name and phone):
            raise ComplaintError("an unverified complainant needs a name and a phone number")
        text = " ".join(filter(None, (subject, new.facts, new.request)))
        kind, claim_number = classify_about(subject)
        if named is not None:
            kind, claim_number = "claim", named.number
        if claim_number is None:
            claim_number = parse_claim_number(new.facts or "")
            kind = "claim" if claim_number else kind
        claim = uow.claims.by_number(claim_number) if claim_number else None
        # Only a verified customer's own claim is linked; any other number stays in the text.
        if claim is not None and (customer_id is None or claim.policy.customer_id != customer_id):
            claim = None
        repeat = _find_repeat(uow, customer_id, phone, claim_number, text, at)
        row = uow.complaints.add(Complaint(
            reference=f"tmp-{uuid.uuid4().hex[:24]}",
            customer_id=customer_id, claim_id=claim.id if claim is not None else None,
            subject=(subject or (new.facts or ""))[:255], request=new.request, facts=new.facts,
            channel=new.channel, received_at=at, status="received",
            complainant_name=(new.complainant_name or "").strip()[:100] or None,
            complainant_phone=phone, about_kind=kind, language=new.language,
            conversation_id=new.conversation_id, complexity="standard",
            repeat_of_id=repeat.id if repeat is not None else None, source=new.source,
        ))
        uow.flush()
        # The row id is unique and only grows: it makes the serial without a counter table.
        row.reference = format_reference(to_local(at).year, row.id)
        uow.audit.record(actor[:100], "complaint.received", "complaint", row.reference,
                         {"about": kind, "claim": claim_number, "channel": new.channel,
                          "source": new.source,
                          "repeat_of": repeat.reference if repeat is not None else None},
                         at=at)
        uow.flush()
        view = _view(row, at)
        # "We'll contact you within 48 hours": the complaint officer's call-back task.
        from bot.promises import promise_complaint_callback

        promise_complaint_callback(uow, row, view.acknowledge.due_at, actor=COMPLAINT_ACTOR,
                                   now=at)
        uow.commit()
        return view


def list_complaints(status: str | None = None, *, now: datetime | None = None,
                    url: str | None = None) -> List[ComplaintView]:
    """Complaints, oldest first, with their clocks as they stand at `now`."""
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        return [_view(row, at) for row in uow.complaints.list(status)]


def get_complaint(reference: str, *, now: datetime | None = None,
                  url: str | None = None) -> ComplaintView | None:
    with unit_of_work(url) as uow:
        row = uow.complaints.by_reference(reference)
        return _view(row, as_utc_naive(now)) if row is not None else None


def acknowledge(reference: str, actor: str, *, now: datetime | None = None,
                url: str | None = None) -> ComplaintView:
    """A person has taken the complaint on (meets the 48-hour clock); repeated calls keep the
    first time."""
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        row = uow.complaints.by_reference_for_update(reference)
        if row is None:
            raise ComplaintNotFound(reference)
        if row.acknowledged_at is None:
            row.acknowledged_at = at
            if row.status == "received":
                row.status = "acknowledged"
            uow.audit.record(actor, "complaint.acknowledged", "complaint", row.reference, at=at)
        _callback_kept(uow, row, actor, "acknowledged: a person has taken the complaint on", at)
        view = _view(row, at)
        uow.commit()
        return view


def _callback_kept(uow: UnitOfWork, row: Complaint, actor: str, why: str, at: datetime) -> None:
    """The complaint was taken on or decided: its call-back task is no longer work."""
    from bot.tasks import close_tasks

    close_tasks(uow, dedupe_prefix=f"complaint-callback:{row.reference}", actor=actor,
                outcome=why, now=at)


@dataclass(frozen=True)
class CustomerNotice:
    """A message the customer must be told through their channel."""

    conversation_id: str | None
    channel: str | None
    language: str
    text: str
    customer_id: int | None
    kind: str


def _notice(row: Complaint, kind: str, text: str) -> CustomerNotice:
    return CustomerNotice(row.conversation_id, row.channel, row.language or "zh", text,
                          row.customer_id, kind)


def set_complexity(reference: str, complexity: str, actor: str, *, now: datetime | None = None,
                   url: str | None = None) -> Tuple[ComplaintView, CustomerNotice | None]:
    """Mark a complaint complex (30 days) or extended (60 days, with notice to the customer).
    Returns the view and the notice to send, if any. The deadline never shortens."""
    if complexity not in DECISION_DAYS:
        raise ComplaintError(f"complexity must be one of {', '.join(COMPLEXITIES)}")
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        row = uow.complaints.by_reference_for_update(reference)
        if row is None:
            raise ComplaintNotFound(reference)
        if row.decided_at is not None:
            raise ComplaintError(f"complaint {row.reference} is already decided")
        if DECISION_DAYS[complexity] < DECISION_DAYS[row.complexity]:
            raise ComplaintError("a decision deadline is never shortened")
        notice = None
        if complexity != row.complexity:
            row.complexity = complexity
            uow.audit.record(actor, "complaint.complexity", "complaint", row.reference,
                             {"complexity": complexity}, at=at)
            lang = row.language or "zh"
            due = when_text(row.received_at + timedelta(days=DECISION_DAYS[complexity]), lang)
            if complexity == "extended":
                row.extended_at = at
                notice = _notice(row, "complaint_extended",
                                 say("complaint_extended", lang, reference=row.reference, due=due))
        view = _view(row, at)
        uow.commit()
        return view, notice


def record_outcome(reference: str, outcome: str, accepted: bool | None, actor: str, *,
                   now: datetime | None = None, url: str | None = None
                   ) -> Tuple[ComplaintView, CustomerNotice]:
    """Record the decision on a complaint and whether the customer accepted it (None: not yet
    known). Returns the view and the message that tells the customer."""
    text = (outcome or "").strip()
    if not text:
        raise ComplaintError("an outcome needs words")
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        row = uow.complaints.by_reference_for_update(reference)
        if row is None:
            raise ComplaintNotFound(reference)
        # One outcome: a decided complaint only learns whether the customer accepted it.
        if row.status == "closed" or (row.status == "decided" and (
                row.accepted is not None or text[:4000] != (row.outcome or ""))):
            raise ComplaintClosed(f"complaint {row.reference} is {row.status} with its outcome "
                                  "already given")
        row.outcome = text[:4000]
        if row.acknowledged_at is None:
            row.acknowledged_at = at
        if row.decided_at is None:
            row.decided_at = at
        row.decided_by = actor[:100]
        row.accepted = accepted
        row.accepted_at = at if accepted is not None else None
        row.status = "closed" if accepted else "decided"
        uow.audit.record(actor, "complaint.outcome", "complaint", row.reference,
                         {"accepted": accepted}, at=at)
        lang = row.language or "zh"
        if accepted is True:
            key = "complaint_outcome_accepted"
        elif accepted is False:
            key = "complaint_outcome_not_accepted"
        else:
            key = "complaint_outcome"
        notice = _notice(row, "complaint_outcome",
                         say(key, lang, reference=row.reference, outcome=row.outcome))
        _callback_kept(uow, row, actor, "decided: the outcome was given", at)
        view = _view(row, at)
        uow.commit()
        return view, notice


# The subject said back in the receipt: its start, enough to see whom or what it names.
MAX_SUBJECT_SAID_BACK = 24


def recorded_details(view: ComplaintView, lang: str) -> str:
    """What was written down, said back so a mistake can be seen: the name, the phone (masked)
    and what or whom it is about."""
    unknown = say("complaint_detail_unknown", lang)
    subject = " ".join((view.subject or "").split())
    if len(subject) > MAX_SUBJECT_SAID_BACK:
        subject = subject[:MAX_SUBJECT_SAID_BACK] + "…"
    return say("complaint_recorded_details", lang, name=view.complainant_name or unknown,
               phone=view.phone_masked or unknown, about=subject or unknown)


def receipt_text(view: ComplaintView, lang: str) -> str:
    """What the customer is told when the complaint is recorded: reference, deadlines, what was
    recorded, next."""
    lines = [say("complaint_recorded", lang, reference=view.reference,
                 ack_due=when_text(view.acknowledge.due_at, lang),
                 decision_due=when_text(view.decision.due_at, lang))]
    lines.append(recorded_details(view, lang))
    if view.repeated:
        lines.append(say("complaint_repeat", lang, first=view.repeat_of))
    lines.append(say("complaint_next", lang))
    return "\n".join(lines)
