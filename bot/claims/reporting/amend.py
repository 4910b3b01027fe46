"""Amending a submitted claim in the conversation ("地点改一下…", "经过写详细点：…", "change the
place to …"): the place, the account, the estimated loss or the time, and only while the claim
is not decided. The change is written on the claim with an event note (what changed, from
what, to what: handlers see it in the claim's events, `python -m bot claims show`) and audited.
It never starts a new report."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.claims.amounts import parse_amount
from bot.claims.model import ClaimStage
from bot.claims.reporting.answers import split_place
from bot.claims.reporting.extract import without_codes
from bot.clock import as_utc_naive, to_local
from bot.dates import parse_incident_datetime
from bot.language import to_simplified
from bot.parsing import normalise_digits, parse_claim_number
from bot.replies import money, when_text
from bot.store.db import unit_of_work

PLACE = "place"
DESCRIPTION = "description"
AMOUNT = "estimated_amount"
TIME = "incident_at"

# Not yet decided: a change can still matter to the decision.
AMENDABLE_STAGES = frozenset({ClaimStage.REPORTED.value, ClaimStage.DOCUMENTS_REVIEW.value,
                              ClaimStage.INVESTIGATION.value, ClaimStage.ASSESSMENT.value})

_FIELD_WORDS = (
    (PLACE, r"地点|地址|位置|地方|place|address|location"),
    (DESCRIPTION, r"经过|描述|情况说明|事故经过|description|account|what happened|details"),
    (AMOUNT, r"金额|损失|估损|费用|amount|estimate|loss|cost"),
    (TIME, r"时间|日期|几点|time|date"),
    # "医院名字写错了，是…": a hospital stay's place is its hospital (checked last, so that
    # "经过补充一下：我在医院…" stays the account).
    (PLACE, r"医院(?:的)?(?:名字|名称)?|hospital(?:'s)? name|hospital"),
)
# "金额不对，还不知道多少钱": the loss becomes unknown, not an unreadable amount.
_UNKNOWN_AMOUNT = re.compile(r"不知道|不清楚|不确定|说不准|还没(?:定|估)|unknown|don'?t know"
                             r"|not sure|no idea", re.IGNORECASE)
_CHANGE_ZH = r"(?:改|修改|更正|更新|纠正|补充|写详细|写得详细|写清楚|详细|加上|换成|不对|错了)"
_CHANGE_EN = (r"(?:change|update|correct|amend|fix|edit|add (?:more )?detail|more detail|"
              r"should (?:be|say|read)|was wrong|is wrong)")
_VALUE_AFTER = re.compile(
    r"(?:改为|改成|换成|更正为|应该是|应为|是|为|写成|[:：]|\bto\b"
    r"|\bshould (?:be|say|read)\b|\bis\b)"
    r"\s*(?P<value>.+)$",
    re.IGNORECASE,
)
_TRAILERS = re.compile(
    r"[\s,，。.!！]*(?:谢谢|谢了|thanks|thank you|please|麻烦了|吧)?[\s,，。.!！]*$", re.IGNORECASE
)
_LEAD = re.compile(r"^[\s,，:：]*(?:一下|一点|点(?=[\s,，:：])|下(?=[\s,，:：]))?[\s,，:：]*")
_NOT_JUST = re.compile(r"\s+(?:not|instead of|rather than)\b.*$|，?而不是.*$|，?不是.*$",
                       re.IGNORECASE)


@dataclass(frozen=True)
class AmendRequest:
    """Which field the customer wants changed, the new value in their words (None when the
    message names the field only: "经过写详细点"), and a claim number if one is named."""

    field: str
    value: str | None
    claim_number: str | None = None


def parse_amend_request(text: str) -> AmendRequest | None:
    """A request to change a field of a claim, or None when the message asks no such thing."""
    clean = to_simplified(normalise_digits(text or "")).strip()
    for name, words in _FIELD_WORDS:
        pattern = re.compile(
            rf"(?:{words})[^,，。.!！?？]{{0,6}}?{_CHANGE_ZH}|{_CHANGE_ZH}[^,，。.!！?？]{{0,6}}?"
            rf"(?:{words})|{_CHANGE_EN}\s+(?:the\s+|my\s+|its\s+)?(?:{words})|(?:{words})\s+"
            rf"{_CHANGE_EN}|(?:不对|错了|说错了)[,，\s]*(?:{words})|^(?:{words})\s*[:：](?=.{{2}})",
            re.IGNORECASE,
        )
        match = pattern.search(clean)
        if not match:
            continue
        rest = clean[match.end():]
        value_match = (_VALUE_AFTER.search(rest)
                       or _VALUE_AFTER.search(clean[match.start():]))
        value = value_match.group("value") if value_match else rest
        value = _LEAD.sub("", value)
        value = _TRAILERS.sub("", value).strip()
        if name == PLACE:
            value = _NOT_JUST.sub("", value).strip()
            value = split_place(value)[0]  # "家里厨房水管爆了": the place is 家里厨房
        claim = parse_claim_number(clean)
        return AmendRequest(name, value if len(value) >= 2 else None, claim)
    return None


class AmendRefused(Exception):
    """The claim cannot be amended: `reason` is 'not_found' (or not the customer's), 'decided'
    or 'unreadable' (the new value could not be read)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Amendment:
    claim_number: str
    field: str
    old: str | None
    new: str


def _shown(field: str, value, lang: str) -> str | None:
    if value is None or value == "":
        return None
    if field == AMOUNT:
        return money(Decimal(str(value)), lang)
    if field == TIME:
        return when_text(as_utc_naive(value), lang)
    return str(value)


def amend_claim(
    claim_number: str,
    request: AmendRequest,
    *,
    customer_id: int,
    actor: str,
    now: datetime,
    lang: str = "zh",
    url: str | None = None,
) -> Amendment:
    """Change one field of the customer's own, undecided claim; the event note and the audit
    entry record the old and the new value. Raises AmendRefused."""
    if request.value is None:
        raise AmendRefused("unreadable")
    now = as_utc_naive(now)
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(parse_claim_number(claim_number) or claim_number)
        if claim is None or claim.policy.customer_id != customer_id:
            raise AmendRefused("not_found")
        if claim.stage not in AMENDABLE_STAGES:
            raise AmendRefused("decided")
        if request.field == PLACE:
            old, new = claim.incident_place, request.value
            claim.incident_place = new
        elif request.field == DESCRIPTION:
            old = claim.description
            addition = f"补充 Added {to_local(now):%Y-%m-%d %H:%M}: {request.value}"
            new = f"{old}\n{addition}" if old else request.value
            claim.description = new
            new = request.value
        elif request.field == AMOUNT and _UNKNOWN_AMOUNT.search(request.value):
            old, new = claim.estimated_amount, None
            claim.estimated_amount = None
        elif request.field == AMOUNT:
            parsed = parse_amount(without_codes(request.value))
            if not parsed.ok:
                raise AmendRefused("unreadable")
            old, new = claim.estimated_amount, parsed.amount
            claim.estimated_amount = new
        else:
            local = to_local(as_utc_naive(claim.incident_at))
            parsed = parse_incident_datetime(request.value, now, lang, known_date=local.date())
            if not parsed.complete or parsed.future or parsed.ambiguous:
                raise AmendRefused("unreadable")
            old, new = claim.incident_at, parsed.at
            claim.incident_at = new
        old_text, new_text = _shown(request.field, old, lang), _shown(request.field, new, lang)
        new_text = new_text or ("不详" if lang == "zh" else "unknown")
        note = f"客户修改 Customer amended {request.field}: {old_text or '-'} -> {new_text}"
        uow.claims.add_event(claim, from_stage=claim.stage, to_stage=claim.stage, actor=actor,
                             at=now, note=note)
        uow.audit.record(actor, "claim.amend", "claim", claim.number,
                         {"field": request.field, "old": old_text, "new": new_text}, at=now)
        uow.commit()
        return Amendment(claim.number, request.field, old_text, new_text)
