"""Decisions the insurer's core system sends: approve (the amount and its make-up), pay (amount
and date), deny (the reason in both languages and the clause it rests on), and claims reported on
the hotline or at a branch (created here with the customer's contact, so they can ask about it
and get notices). Each function runs inside the caller's unit of work (bot.core_calls.run_call),
checks the request, changes the claim, moves its stage through the lifecycle (which queues the
customer's notice, rendered from what the decision carried) and returns (HTTP status, answer).
A request the rules refuse raises CoreRefused naming the problem; then nothing is changed.

Art. 24 (Insurance Law): a refusal is notified within three days of the decision. The refusal
notice is queued in the decision's own transaction and sent by the next delivery round.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Dict, List, Mapping, Tuple

from bot.back_office import open_review_task
from bot.claims.amounts import is_small_claim
from bot.claims.lifecycle import move_in
from bot.claims.model import ALLOWED_TRANSITIONS, ClaimStage, InvalidTransition
from bot.claims.reporting.urgent import is_past
from bot.claims.risk import RiskFacts, assess, rules, urgent_reasons
from bot.clauses import Clause, clause_by_id, clause_number_in, product_for
from bot.clock import as_utc_naive, from_local, local_today
from bot.core_calls import CoreRefused
from bot.documents import checklist, normalise_incident_type, one_time_notice
from bot.language import LANGUAGES, clean_text
from bot.outbox.notices import notice_kind, notice_language
from bot.parsing import parse_claim_number
from bot.privacy import mask_phone
from bot.replies import say
from bot.store.db import UnitOfWork
from bot.store.models import Claim, ClaimDocument, Notification

CORE_ACTOR = "core-system"
MAX_NOTE_CHARS = 1000
MAX_LINE_CHARS = 500
MAX_EXCLUDED = 20
HANDLER_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # Numeric(12, 2)

# Where a claim reported on another channel came from.
SOURCES = ("hotline", "branch")
# How such a customer is reached: the outbox channel and the conversation id the SMS/WhatsApp
# channel gives that number (channels/twilio_rest.py: "sms-+86...", "wa-+86...").
CONTACT_VIAS: Dict[str, Tuple[str, str]] = {"sms": ("twilio", "sms-"),
                                            "whatsapp": ("twilio", "wa-")}
E164 = re.compile(r"\+[1-9][0-9]{7,14}")
# A Chinese number must be a mobile (SMS and WhatsApp reach nothing else): +86 1[3-9]xxxxxxxxx.
CHINA_MOBILE = re.compile(r"\+861[3-9][0-9]{9}")
CREATED_NOTICE_KIND = "core_reported"

Answer = Tuple[int, Dict[str, Any]]


# --- reading a request --------------------------------------------------------------------------

def _bad(code: str, message: str, **details: Any) -> CoreRefused:
    return CoreRefused(400, code, message, **details)


def actor_of(body: Mapping[str, Any]) -> str:
    """'core-system', or 'core-system:<handler>' when the call names its handler."""
    handler = body.get("handler")
    if handler is None:
        return CORE_ACTOR
    if not isinstance(handler, str) or not HANDLER_PATTERN.fullmatch(handler):
        raise _bad("invalid_handler", "'handler' must be 1-64 letters, digits, '.', '_' or '-'.")
    return f"{CORE_ACTOR}:{handler}"


def plain_text(text: str) -> str:
    """Free text as the core API keeps it: clean_text, then every format character (Unicode
    category Cf: zero-width spaces and joiners, bidi overrides, the BOM) dropped, so a text
    made only of them is empty and none reaches a customer reordered."""
    return "".join(ch for ch in clean_text(text) if unicodedata.category(ch) != "Cf")


def note_of(body: Mapping[str, Any]) -> str | None:
    note = body.get("note")
    if note is None:
        return None
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise _bad("invalid_note", f"'note' must be a string of at most {MAX_NOTE_CHARS} "
                                   "characters.")
    return plain_text(note).strip() or None


def amount_of(value: Any, field: str, *, positive: bool = False) -> Decimal:
    """A money amount from a JSON number or a decimal string, in cents."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _bad("invalid_amount", f"'{field}' must be an amount such as \"7200.00\".",
                   field=field)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise _bad("invalid_amount", f"'{field}' must be an amount such as \"7200.00\".",
                   field=field) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT or (positive and amount <= 0):
        raise _bad("invalid_amount",
                   f"'{field}' must be {'above' if positive else 'at least'} 0 and at most "
                   f"{MAX_AMOUNT}.", field=field)
    if amount != amount.quantize(CENT):
        raise _bad("invalid_amount", f"'{field}' has more than two decimal places.", field=field)
    return amount.quantize(CENT)


def both_languages(value: Any, field: str, *, code: str = "invalid_text") -> Dict[str, str]:
    """{"zh": ..., "en": ...}: a plain-language text in both languages, each 1-500 characters."""
    if not isinstance(value, Mapping):
        raise CoreRefused(422, code, f"'{field}' must give the text in both languages: "
                                     "{\"zh\": \"...\", \"en\": \"...\"}.", field=field)
    texts: Dict[str, str] = {}
    for lang in LANGUAGES:
        text = value.get(lang)
        text = plain_text(text).strip() if isinstance(text, str) else ""
        if not text or len(text) > MAX_LINE_CHARS:
            raise CoreRefused(422, code, f"'{field}.{lang}' is missing or empty, or longer than "
                                         f"{MAX_LINE_CHARS} characters: the customer is told in "
                                         "their language.", field=f"{field}.{lang}")
        texts[lang] = text
    return texts


def _part(body: Mapping[str, Any], field: str, *, value_field: str = "amount") -> Dict[str, Any]:
    raw = body.get(field)
    if not isinstance(raw, Mapping):
        raise CoreRefused(422, "breakdown_incomplete",
                          f"'{field}' is required: {{\"{value_field}\": ..., \"zh\": \"...\", "
                          "\"en\": \"...\"}, with a plain line in both languages.", field=field)
    return {value_field: raw.get(value_field), **both_languages(raw, field)}


def _ratio(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _bad("invalid_ratio", "'ratio.value' must be a number above 0 and at most 1.")
    try:
        ratio = Decimal(str(value).strip())
    except InvalidOperation:
        raise _bad("invalid_ratio", "'ratio.value' must be a number above 0 and at most 1.") \
            from None
    if not ratio.is_finite() or not Decimal(0) < ratio <= Decimal(1):
        raise _bad("invalid_ratio", "'ratio.value' must be a number above 0 and at most 1.")
    return ratio


def _claim(uow: UnitOfWork, number: str) -> Claim:
    canonical = parse_claim_number(number)
    claim = uow.claims.by_number_for_update(canonical) if canonical else None
    if claim is None:
        raise CoreRefused(404, "claim_not_found", f"No claim {number[:40]!r}.")
    return claim


def _wrong_stage(claim: Claim, action: str, allowed: List[str]) -> CoreRefused:
    return CoreRefused(409, "wrong_stage",
                       f"Claim {claim.number} is in stage {claim.stage!r}; {action} is only "
                       f"possible in: {', '.join(allowed)}. Nothing was changed.",
                       number=claim.number, stage=claim.stage, allowed_stages=allowed)


def _move(uow: UnitOfWork, claim: Claim, stage: ClaimStage, *, actor: str, note: str | None,
          at: datetime) -> str | None:
    from_stage = claim.stage
    try:
        move_in(uow, claim, stage, actor=actor, note=note, at=at)
    except InvalidTransition:  # checked before; a guard only
        raise _wrong_stage(claim, f"moving to {stage.value}", []) from None
    return notice_kind(from_stage, stage)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def _record(claim: Claim, key: str, value: Dict[str, Any]) -> None:
    """Keep the decision on the claim (a new dict, so the JSON column sees the change)."""
    decision = dict(claim.decision or {})
    decision[key] = value
    claim.decision = decision


# --- a stage move -------------------------------------------------------------------------------

def move_stage(uow: UnitOfWork, at: datetime, number: str, body: Mapping[str, Any]) -> Answer:
    """Move claim `number` to the stage the body names, as the lifecycle allows (the notice of
    the move is queued with it). A denial needs its reason and clause: it goes through deny().

    body: {"stage", "note", "handler"}."""
    stages = [stage.value for stage in ClaimStage]
    if body.get("stage") not in stages:
        raise _bad("invalid_stage", "'stage' must be one of the claim stages.", stages=stages)
    note, actor = note_of(body), actor_of(body)
    to_stage = ClaimStage(body["stage"])
    claim = _claim(uow, number)
    from_stage = ClaimStage(claim.stage)
    if to_stage not in ALLOWED_TRANSITIONS[from_stage]:
        error = InvalidTransition(claim.number, from_stage, to_stage)
        raise CoreRefused(
            409, "invalid_transition", str(error), number=claim.number,
            from_stage=from_stage.value, to_stage=to_stage.value,
            allowed=sorted(s.value for s in ALLOWED_TRANSITIONS[from_stage]),
            audit_action="claim.advance_refused",
            audit_detail={"from": from_stage.value, "to": to_stage.value, "note": note})
    if to_stage is ClaimStage.DENIED:
        raise CoreRefused(422, "denial_needs_reason_and_clause",
                          "A claim is denied through POST /webhooks/core/claims/<number>/deny "
                          "with the reason in both languages and the clause it rests on; "
                          "nothing was changed.", number=claim.number)
    if from_stage is ClaimStage.PAYMENT and to_stage is ClaimStage.CLOSED:
        # Closing from payment tells the customer the claim was paid: only a recorded payment
        # (its amount and day) may say so.
        raise CoreRefused(422, "closing_needs_payment",
                          "A claim in payment is closed through POST "
                          "/webhooks/core/claims/<number>/pay with the amount and the day paid; "
                          "nothing was changed.", number=claim.number)
    event = move_in(uow, claim, to_stage, actor=actor, note=note, at=at)
    return 200, {"number": claim.number, "from_stage": from_stage.value,
                 "stage": claim.stage, "at": _iso(event.at), "actor": event.actor,
                 "notice": notice_kind(from_stage, to_stage)}


# --- approve ------------------------------------------------------------------------------------

def computed_amount(loss: Decimal, excluded: Decimal, deductible: Decimal,
                    ratio: Decimal) -> Decimal:
    """(loss assessed - excluded items - deductible) x ratio, never below 0, in cents."""
    base = max(loss - excluded - deductible, Decimal(0))
    return (base * ratio).quantize(CENT, rounding=ROUND_HALF_UP)


def approve(uow: UnitOfWork, at: datetime, number: str, body: Mapping[str, Any]) -> Answer:
    """Approve claim `number` (stage assessment) with the amount and its make-up; the claim
    moves to payment and the customer's notice explains what the amount is made of.

    body: {"amount", "loss_assessed": {"amount", "zh", "en"}, "deductible": {"amount", "zh",
    "en"}, "ratio": {"value", "zh", "en"}, "excluded": [{"amount", "zh", "en"}...], "note",
    "handler"}. The amount must be (loss - excluded - deductible) x ratio, to the cent, and no
    more than the sum insured."""
    actor, note = actor_of(body), note_of(body)
    amount = amount_of(body.get("amount"), "amount", positive=True)
    loss = _part(body, "loss_assessed")
    loss["amount"] = amount_of(loss["amount"], "loss_assessed.amount")
    deductible = _part(body, "deductible")
    deductible["amount"] = amount_of(deductible["amount"], "deductible.amount")
    ratio = _part(body, "ratio", value_field="value")
    ratio["value"] = _ratio(ratio["value"])
    raw_excluded = body.get("excluded", [])
    if not isinstance(raw_excluded, list) or len(raw_excluded) > MAX_EXCLUDED:
        raise CoreRefused(422, "breakdown_incomplete",
                          f"'excluded' must be a list (at most {MAX_EXCLUDED}) of "
                          "{\"amount\", \"zh\", \"en\"}; [] when nothing is excluded.",
                          field="excluded")
    excluded = []
    for index, raw in enumerate(raw_excluded):
        item = _part({"item": raw}, "item")
        item["amount"] = amount_of(item["amount"], f"excluded[{index}].amount")
        excluded.append(item)
    expected = computed_amount(loss["amount"], sum((i["amount"] for i in excluded), Decimal(0)),
                               deductible["amount"], ratio["value"])
    if amount != expected:
        raise CoreRefused(
            422, "breakdown_mismatch",
            f"The amount {amount} does not follow from its make-up: (loss assessed - excluded "
            f"items - deductible) x ratio = {expected}. The customer is told how the amount is "
            "made up, so the two must agree.", amount=str(amount), computed=str(expected))

    claim = _claim(uow, number)
    if claim.stage != ClaimStage.ASSESSMENT.value:
        raise _wrong_stage(claim, "approval", [ClaimStage.ASSESSMENT.value])
    if amount > claim.policy.sum_insured:
        raise CoreRefused(422, "over_sum_insured",
                          f"The amount {amount} is above the policy's sum insured "
                          f"{claim.policy.sum_insured}.", sum_insured=str(claim.policy.sum_insured))
    waived = body.get("deductible_waived_reason")
    if waived is not None:
        if not isinstance(waived, str) or len(waived) > MAX_LINE_CHARS:
            raise _bad("invalid_deductible_waived_reason",
                       f"'deductible_waived_reason' must be a string of at most "
                       f"{MAX_LINE_CHARS} characters.")
        waived = plain_text(waived).strip() or None
    policy_deductible = claim.policy.deductible or Decimal(0)
    if deductible["amount"] < policy_deductible and waived is None:
        raise CoreRefused(422, "deductible_below_policy",
                          f"The deductible {deductible['amount']} is below policy "
                          f"{claim.policy.number}'s deductible {policy_deductible}; give "
                          "'deductible_waived_reason' if it is waived on purpose. Nothing was "
                          "changed.", policy_deductible=str(policy_deductible))

    def plain(part: Dict[str, Any]) -> Dict[str, Any]:
        return {key: str(value) if isinstance(value, Decimal) else value
                for key, value in part.items()}

    approved = {"amount": str(amount), "loss_assessed": plain(loss),
                "deductible": plain(deductible), "ratio": plain(ratio),
                "excluded": [plain(item) for item in excluded], "at": _iso(at), "by": actor}
    if waived is not None and deductible["amount"] < policy_deductible:
        approved["deductible_waived_reason"] = waived
    claim.approved_amount = amount
    _record(claim, "approved", approved)
    uow.audit.record(actor, "claim.approve", "claim", claim.number,
                     {"amount": str(amount), "note": note,
                      "deductible_waived_reason": approved.get("deductible_waived_reason")},
                     at=at)
    notice = _move(uow, claim, ClaimStage.PAYMENT, actor=actor, note=note, at=at)
    return 200, {"number": claim.number, "stage": claim.stage, "approved_amount": str(amount),
                 "decision": approved, "notice": notice}


# --- pay ----------------------------------------------------------------------------------------

def _paid_on(value: Any, at: datetime) -> date:
    if not isinstance(value, str):
        raise _bad("invalid_date", "'paid_on' must be the payment date, YYYY-MM-DD.")
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise _bad("invalid_date", "'paid_on' must be the payment date, YYYY-MM-DD.") from None
    if day > local_today(at):
        raise CoreRefused(422, "paid_on_in_future",
                          f"'paid_on' {day.isoformat()} is after today: record a payment once "
                          "it is made.")
    return day


def pay(uow: UnitOfWork, at: datetime, number: str, body: Mapping[str, Any]) -> Answer:
    """Record the payment of an approved claim (stage payment): the amount paid (the approved
    amount) and the day; the claim closes and the customer's notice repeats the make-up.

    body: {"amount", "paid_on": "YYYY-MM-DD", "note", "handler"}."""
    actor, note = actor_of(body), note_of(body)
    amount = amount_of(body.get("amount"), "amount", positive=True)
    day = _paid_on(body.get("paid_on"), at)
    claim = _claim(uow, number)
    if claim.stage != ClaimStage.PAYMENT.value:
        raise _wrong_stage(claim, "payment", [ClaimStage.PAYMENT.value])
    if claim.approved_amount is not None and amount != claim.approved_amount:
        raise CoreRefused(422, "amount_mismatch",
                          f"The amount paid {amount} is not the approved amount "
                          f"{claim.approved_amount}; approve the claim again first.",
                          approved_amount=str(claim.approved_amount))
    if day < claim.reported_at.date() - timedelta(days=1):
        raise CoreRefused(422, "paid_on_before_report",
                          f"'paid_on' {day.isoformat()} is before the claim was reported.")
    claim.paid_amount = amount
    claim.paid_at = from_local(day, 12)  # the day is what counts; noon keeps it that local day
    paid = {"amount": str(amount), "paid_on": day.isoformat(), "at": _iso(at), "by": actor}
    _record(claim, "paid", paid)
    uow.audit.record(actor, "claim.pay", "claim", claim.number,
                     {"amount": str(amount), "paid_on": day.isoformat(), "note": note}, at=at)
    notice = _move(uow, claim, ClaimStage.CLOSED, actor=actor, note=note, at=at)
    return 200, {"number": claim.number, "stage": claim.stage, "paid_amount": str(amount),
                 "paid_on": day.isoformat(), "notice": notice}


# --- deny ---------------------------------------------------------------------------------------

def clause_for(claim: Claim, wanted: Any) -> Clause:
    """The clause of the claim's product that `wanted` names: its id ("home.12") or a reference
    ("Clause 12", "第十二条"). Refused when missing or not a clause of that product."""
    if not isinstance(wanted, str) or not wanted.strip():
        raise CoreRefused(422, "denial_clause_required",
                          "A denial must name the clause it rests on ('clause': e.g. "
                          "\"home.12\"); nothing was changed.")
    product = product_for(claim.policy.product_code) or product_for(
        claim.policy.line_of_business)
    known = [c.id for c in sorted(product.clauses, key=lambda c: c.number)] \
        if product is not None else []
    clause = clause_by_id(wanted.strip())
    if clause is None and product is not None:
        number = clause_number_in(wanted)
        clause = product.clause(number) if number is not None else None
    if clause is None or product is None or clause.product != product.key:
        raise CoreRefused(422, "unknown_clause",
                          f"{wanted.strip()[:40]!r} is not a clause of policy "
                          f"{claim.policy.number}'s product ({claim.policy.product_code}).",
                          clause=wanted.strip()[:40], clauses=known)
    return clause


def deny(uow: UnitOfWork, at: datetime, number: str, body: Mapping[str, Any]) -> Answer:
    """Refuse claim `number`: the reason in both languages and the clause of the policy's
    product it rests on are required. The claim moves to denied and the refusal notice (reason,
    clause text, appeal route) is queued at once, well within Art. 24's three days.

    body: {"reason": {"zh", "en"}, "clause": "home.12", "note", "handler"}."""
    actor, note = actor_of(body), note_of(body)
    if body.get("reason") is None:
        raise CoreRefused(422, "denial_reason_required",
                          "A denial must give its reason in both languages ('reason': "
                          "{\"zh\": \"...\", \"en\": \"...\"}); nothing was changed.")
    reason = both_languages(body.get("reason"), "reason", code="denial_reason_required")
    claim = _claim(uow, number)
    clause = clause_for(claim, body.get("clause"))
    stage = ClaimStage(claim.stage)
    if ClaimStage.DENIED not in ALLOWED_TRANSITIONS[stage]:
        allowed = sorted(s.value for s, moves in ALLOWED_TRANSITIONS.items()
                         if ClaimStage.DENIED in moves)
        raise _wrong_stage(claim, "a denial", allowed)
    claim.denial_reason_zh = reason["zh"]
    claim.denial_reason_en = reason["en"]
    claim.denial_clause = f"{clause.reference('zh')} / {clause.reference('en')}"
    denied = {"reason": reason, "clause": clause.id, "at": _iso(at), "by": actor}
    _record(claim, "denied", denied)
    uow.audit.record(actor, "claim.deny", "claim", claim.number,
                     {"clause": clause.id, "note": note}, at=at)
    notice = _move(uow, claim, ClaimStage.DENIED, actor=actor, note=note, at=at)
    return 200, {"number": claim.number, "stage": claim.stage, "clause": clause.id,
                 "clause_reference": claim.denial_clause, "notice": notice,
                 "notice_queued_at": _iso(at), "notice_due_by": _iso(at + timedelta(days=3))}


# --- claims reported on the hotline or at a branch ---------------------------------------------

def valid_phone(phone: str) -> str | None:
    """The number in E.164, or None: a number without '+' is Chinese (0086/86 and a leading 0
    dropped) and, like every +86 number, must be a mobile; another country's needs 8-15
    digits."""
    digits = re.sub(r"[\s().-]", "", phone)
    if not re.fullmatch(r"\+?[0-9]+", digits):
        return None
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        national = digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
        digits = "+86" + national.lstrip("0")
    if digits.startswith("+86"):
        return digits if CHINA_MOBILE.fullmatch(digits) else None
    return digits if E164.fullmatch(digits) else None


def contact_of(body: Mapping[str, Any], phone_on_file: str) -> Tuple[str, str, str, str]:
    """(outbox channel, conversation id, phone, via) for the contact the call gives; the phone on
    the customer's record when it gives none."""
    contact = body.get("contact") or {}
    if not isinstance(contact, Mapping):
        raise _bad("invalid_contact", "'contact' must be {\"phone\": \"+86...\", \"via\": "
                                      "\"sms\" | \"whatsapp\"}.")
    via = contact.get("via", "sms")
    if via not in CONTACT_VIAS:
        raise _bad("invalid_contact", "'contact.via' must be one of: "
                                      + ", ".join(CONTACT_VIAS) + ".")
    phone = contact.get("phone") or phone_on_file
    if not isinstance(phone, str):
        raise _bad("invalid_contact", "'contact.phone' must be a phone number.")
    digits = valid_phone(phone)
    if digits is None:
        raise CoreRefused(422, "invalid_contact",
                          "'contact.phone' must be a Chinese mobile (13800000001, "
                          "+8613800000001) or another country's number in E.164 (+4479...).")
    channel, prefix = CONTACT_VIAS[via]
    return channel, prefix + digits, digits, via


def _language(body: Mapping[str, Any], default: str) -> str:
    lang = body.get("language", default)
    if lang not in LANGUAGES:
        raise _bad("invalid_language", "'language' must be one of: " + ", ".join(LANGUAGES) + ".")
    return lang


def _incident_at(value: Any, at: datetime) -> Tuple[datetime | None, str | None]:
    if value is None:
        return None, None
    if not isinstance(value, str):
        raise _bad("invalid_incident_at", "'incident_at' must be ISO 8601, e.g. "
                                          "2026-12-01T14:30:00+08:00 or 2026-12-01.")
    try:
        if len(value.strip()) == 10:
            moment, precision = from_local(date.fromisoformat(value.strip())), "day"
        else:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            # Without an offset the time is the insurer's local time (CLAIMS_TIMEZONE).
            moment = as_utc_naive(parsed) if parsed.tzinfo is not None else from_local(
                parsed.date(), parsed.hour, parsed.minute)
            precision = "exact"
    except ValueError:
        raise _bad("invalid_incident_at", "'incident_at' must be ISO 8601, e.g. "
                                          "2026-12-01T14:30:00+08:00 or 2026-12-01.") from None
    if moment > at + timedelta(minutes=5):
        raise CoreRefused(422, "incident_in_future", "'incident_at' is in the future.")
    return moment, precision


def _text(body: Mapping[str, Any], field: str, limit: int) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _bad(f"invalid_{field}", f"'{field}' must be a string of at most {limit} "
                                       "characters.")
    return plain_text(value).strip() or None


def _risk_flags(uow: UnitOfWork, policy: Any, incident_type: str,
                incident_at: datetime | None, estimated: Decimal | None,
                description: str | None, at: datetime) -> List[Any]:
    """The risk flags a chat report raises (bot.claims.risk, as the reporting service computes
    them): amounts, a late report, recent claims on the policy, early in the policy or its
    waiting period, many complaints, urgent words. Without an incident time the report time
    stands in."""
    config = rules()
    recent_since = at - timedelta(days=config["recent_claims_days"])
    complaints_since = at - timedelta(days=config["many_complaints_days"])
    complaints = [c for c in uow.complaints.of_customer(policy.customer_id)
                  if c.received_at >= complaints_since]
    return assess(RiskFacts(
        line_of_business=policy.line_of_business, incident_type=incident_type,
        incident_at=incident_at or at, reported_at=at, estimated_amount=estimated,
        sum_insured=policy.sum_insured, policy_start=policy.start_date,
        waiting_period_days=policy.waiting_period_days,
        recent_claims=tuple(c.number for c in policy.claims if c.reported_at >= recent_since),
        past_complaints=len(complaints),
        # Something over (a treated illness, an accident days ago) is never urgent.
        urgent_reasons=() if is_past(description, incident_at, at)
        else urgent_reasons(incident_type, description)))


def create_claim(uow: UnitOfWork, at: datetime, body: Mapping[str, Any]) -> Answer:
    """A claim reported on the hotline or at a branch, for an existing policy, with the
    customer's contact (SMS or WhatsApp; the phone on file by default): it gets a number, its
    checklist and the 'reported' event, and the customer is sent the claim number and the
    one-time list of documents. The status journey finds it by policy, so the customer can ask
    about it in chat after the identity check.

    body: {"policy_number", "incident_type", "source": "hotline" | "branch", "incident_at",
    "place", "description", "estimated_amount", "contact": {"phone", "via"}, "language",
    "note", "handler"}."""
    actor, note = actor_of(body), note_of(body)
    source = body.get("source")
    if source not in SOURCES:
        raise _bad("invalid_source", "'source' must be one of: " + ", ".join(SOURCES) + ".")
    policy_number = body.get("policy_number")
    if not isinstance(policy_number, str) or not policy_number.strip():
        raise _bad("invalid_policy_number", "'policy_number' is required.")
    policy = uow.policies.by_number(policy_number.strip().upper()[:32])
    if policy is None:
        raise CoreRefused(404, "policy_not_found", f"No policy {policy_number.strip()[:40]!r}.")
    incident_type = normalise_incident_type(policy.line_of_business,
                                            str(body.get("incident_type") or ""))
    if incident_type is None:
        from bot.documents import incident_types

        raise CoreRefused(422, "unknown_incident_type",
                          f"A {policy.line_of_business} policy has no incident type "
                          f"{str(body.get('incident_type'))[:40]!r}.",
                          incident_types=list(incident_types(policy.line_of_business)))
    incident_at, precision = _incident_at(body.get("incident_at"), at)
    if incident_at is not None:
        day = local_today(incident_at)
        if not policy.start_date <= day <= policy.end_date:
            raise CoreRefused(
                422, "incident_outside_cover",
                f"'incident_at' {day.isoformat()} is outside policy {policy.number}'s cover "
                f"({policy.start_date.isoformat()} to {policy.end_date.isoformat()}).",
                cover_start=policy.start_date.isoformat(),
                cover_end=policy.end_date.isoformat())
    injuries = body.get("injuries", False)
    if not isinstance(injuries, bool):
        raise CoreRefused(422, "invalid_injuries", "'injuries' must be true or false (a JSON "
                                                   "boolean).")
    estimated = body.get("estimated_amount")
    estimated = None if estimated is None else amount_of(estimated, "estimated_amount")
    customer = policy.customer
    lang = _language(body, customer.preferred_language or "zh")
    channel, conversation_id, phone, via = contact_of(body, customer.phone)
    place = _text(body, "place", 255)
    description = _text(body, "description", 4000)

    uow.policies.lock(policy.number)
    items = checklist(policy.line_of_business, incident_type)
    flags = _risk_flags(uow, policy, incident_type, incident_at, estimated, description, at)
    claim = Claim(
        number=uow.claims.next_claim_number(local_today(at).year), policy=policy,
        stage=ClaimStage.REPORTED.value, incident_type=incident_type, incident_at=incident_at,
        incident_time_precision=precision, incident_place=place, description=description,
        injuries=injuries, estimated_amount=estimated,
        channel=channel, language=lang, conversation_id=conversation_id,
        flags=[flag.as_json() for flag in flags],
        reported_at=at,
        decision={"reported": {"source": source, "at": _iso(at), "by": actor}},
    )
    uow.claims.add(claim)
    for item in items:
        claim.documents.append(ClaimDocument(
            code=item.code, label_zh=item.name_zh, label_en=item.name_en,
            mandatory=item.mandatory, fetched_by_insurer=item.fetched_by_insurer,
            status="missing"))
    uow.claims.add_event(claim, from_stage=None, to_stage=ClaimStage.REPORTED.value,
                         actor=actor, at=at, note=note or f"reported via {source}")
    uow.audit.record(actor, "claim.report", "claim", claim.number,
                     {"policy_number": policy.number, "incident_type": incident_type,
                      "channel": source, "contact": mask_phone(phone),
                      "flags": [flag.code for flag in flags]}, at=at)
    uow.flush()
    # Review flags become one review task for a supervisor, as for a claim reported in chat.
    open_review_task(uow, claim, actor=actor, now=at)
    body_text = "\n".join([
        say("notice.core_reported", lang, number=claim.number,
            product=policy.product_name_en if lang == "en" else policy.product_name_zh,
            source=say(f"notice.core_source.{source}", lang)),
        one_time_notice(items, lang, small_claim=is_small_claim(estimated)),
        say("notice.core_reported_next", lang),
    ])
    uow.notifications.add(Notification(
        claim_id=claim.id, customer_id=policy.customer_id, conversation_id=conversation_id,
        channel=channel, kind=CREATED_NOTICE_KIND, body=body_text, language=lang,
        status="pending", attempts=0, dedupe_key=f"{CREATED_NOTICE_KIND}:{claim.number}",
        created_at=at))
    uow.flush()
    return 201, {"number": claim.number, "policy_number": policy.number,
                 "stage": claim.stage, "incident_type": incident_type, "source": source,
                 "contact": {"via": via, "phone": mask_phone(phone)},
                 "checklist": [item.code for item in items], "notice": CREATED_NOTICE_KIND}


def update_contact(uow: UnitOfWork, at: datetime, number: str,
                   body: Mapping[str, Any]) -> Answer:
    """Point a claim's notices at the contact the hotline or branch took (SMS or WhatsApp to
    a phone; the phone on file by default) and, optionally, the customer's language.

    body: {"contact": {"phone", "via"}, "language", "note", "handler"}."""
    actor, note = actor_of(body), note_of(body)
    if "contact" not in body and "language" not in body:
        raise _bad("nothing_to_change", "Give 'contact', 'language' or both.")
    claim = _claim(uow, number)
    lang = _language(body, notice_language(claim))
    via, phone = None, None
    if "contact" in body:
        claim.channel, claim.conversation_id, phone, via = contact_of(
            body, claim.policy.customer.phone)
    claim.language = lang
    uow.audit.record(actor, "claim.contact_updated", "claim", claim.number,
                     {"contact": mask_phone(phone) if phone else None, "channel": claim.channel,
                      "language": lang, "note": note}, at=at)
    uow.flush()
    return 200, {"number": claim.number, "channel": claim.channel, "language": lang,
                 "contact": {"via": via, "phone": mask_phone(phone)} if phone else None}
