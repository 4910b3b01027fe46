"""Risk flags on a new claim: facts a person should look at (route to review) and urgent cases
(fast track). Rules and agent notes live in risk.yml. A flag never refuses a claim, never
accuses the customer, and only the offer of a person ever reaches the customer."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.clock import local_today
from bot.language import to_simplified
from bot.replies import money

RULES = Path(__file__).with_name("risk.yml")

REVIEW = "review"  # a person checks before any decision
FAST_TRACK = "fast_track"  # a person takes it first

AMOUNT_ABOVE_SUM_INSURED = "amount_above_sum_insured"
AMOUNT_ABOVE_USUAL = "amount_above_usual"
LATE_REPORT = "late_report"
RECENT_CLAIMS = "recent_claims"
EARLY_IN_POLICY = "early_in_policy"
WAITING_PERIOD = "waiting_period"
MANY_COMPLAINTS = "many_complaints"
URGENT = "urgent"

WAITING_PERIOD_LINES = ("medical", "critical_illness")
_URGENT_TYPES = {"death": "death", "fire": "fire"}
_REASON_WORDS = {
    "serious_injury": ("重伤", "serious injury"),
    "emergency": ("急诊", "hospital emergency"),
    "death": ("身故", "death"),
    "fire": ("火灾", "fire"),
}


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    with RULES.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@dataclass(frozen=True)
class Flag:
    """One fact for agents: `route` says whether it asks for review or a fast track."""

    code: str
    route: str
    note_zh: str
    note_en: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The form stored in claims.flags."""
        return {
            "code": self.code,
            "route": self.route,
            "note_zh": self.note_zh,
            "note_en": self.note_en,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class RiskFacts:
    """What the rules look at. Datetimes naive UTC; dates local."""

    line_of_business: str
    incident_type: str
    incident_at: datetime
    reported_at: datetime
    estimated_amount: Decimal | None
    sum_insured: Decimal
    policy_start: date
    waiting_period_days: int = 0
    recent_claims: tuple[str, ...] = ()  # numbers of other claims on the policy in the window
    past_complaints: int = 0
    urgent_reasons: tuple[str, ...] = ()


def urgent_reasons(
    incident_type: str | None, text: str | None = None, *, serious_injury: bool | None = None
) -> tuple[str, ...]:
    """Why a report is urgent: 'serious_injury', 'emergency', 'death', 'fire' (in that order)."""
    found: set[str] = set()
    if incident_type in _URGENT_TYPES:
        found.add(_URGENT_TYPES[incident_type])
    if serious_injury:
        found.add("serious_injury")
    words = to_simplified(text or "").lower()
    for reason, keywords in rules()["urgent_keywords"].items():
        if any(str(keyword).lower() in words for keyword in keywords):
            found.add(reason)
    return tuple(reason for reason in _REASON_WORDS if reason in found)


def usual_amount(line: str, incident_type: str) -> Decimal | None:
    amount = rules()["usual_amounts"].get(line, {}).get(incident_type)
    return None if amount is None else Decimal(str(amount))


def _flag(code: str, route: str, **detail: Any) -> Flag:
    """A flag with its agent notes; Decimal amounts and urgency reasons are put in words."""

    def fields(lang: str) -> dict[str, Any]:
        words = {}
        for key, value in detail.items():
            if isinstance(value, Decimal):
                value = money(value, lang)
            elif key == "reasons":
                index = 0 if lang == "zh" else 1
                value = ("、" if lang == "zh" else ", ").join(
                    _REASON_WORDS[reason][index] for reason in value
                )
            elif isinstance(value, (list, tuple)):
                value = ", ".join(str(item) for item in value)
            words[key] = value
        return words

    note = rules()["notes"][code]
    return Flag(
        code=code,
        route=route,
        note_zh=note["zh"].format(**fields("zh")),
        note_en=note["en"].format(**fields("en")),
        detail={
            key: str(value) if isinstance(value, Decimal) else
            list(value) if isinstance(value, tuple) else value
            for key, value in detail.items()
        },
    )


def assess(facts: RiskFacts) -> list[Flag]:
    """The flags a new claim raises, review ones first, then the fast track."""
    config = rules()
    flags: list[Flag] = []
    amount = facts.estimated_amount
    incident_day = local_today(facts.incident_at)
    days_in_force = (incident_day - facts.policy_start).days + 1

    if amount is not None and amount > facts.sum_insured:
        flags.append(_flag(AMOUNT_ABOVE_SUM_INSURED, REVIEW, amount=amount,
                           sum_insured=facts.sum_insured))
    usual = usual_amount(facts.line_of_business, facts.incident_type)
    factor = config["usual_amounts"]["factor"]
    if amount is not None and usual is not None and amount > usual * factor:
        flags.append(_flag(AMOUNT_ABOVE_USUAL, REVIEW, amount=amount, usual=usual))
    delay = (local_today(facts.reported_at) - incident_day).days
    if delay > config["late_report_days"]:
        flags.append(_flag(LATE_REPORT, REVIEW, days=delay))
    if facts.recent_claims:
        flags.append(_flag(RECENT_CLAIMS, REVIEW, days=config["recent_claims_days"],
                           claims=facts.recent_claims))
    in_waiting_period = (
        facts.line_of_business in WAITING_PERIOD_LINES
        and 0 < days_in_force <= facts.waiting_period_days
    )
    if in_waiting_period:
        flags.append(_flag(WAITING_PERIOD, REVIEW, waiting_days=facts.waiting_period_days,
                           days=days_in_force))
    elif 0 < days_in_force <= config["early_in_policy_days"]:
        flags.append(_flag(EARLY_IN_POLICY, REVIEW, days=days_in_force))
    if facts.past_complaints >= config["many_complaints"]:
        flags.append(_flag(MANY_COMPLAINTS, REVIEW, count=facts.past_complaints))
    if facts.urgent_reasons:
        flags.append(_flag(URGENT, FAST_TRACK, reasons=facts.urgent_reasons))
    return flags


def is_fast_track(flags: list[Flag] | list[dict[str, Any]]) -> bool:
    return any(_code_route(flag)[1] == FAST_TRACK for flag in flags)


def offers_person(flags: list[Flag] | list[dict[str, Any]]) -> bool:
    """Whether the customer is offered a person: urgent cases and the waiting period only."""
    return any(_code_route(flag)[0] in (URGENT, WAITING_PERIOD) for flag in flags)


def _code_route(flag: Flag | dict[str, Any]) -> tuple[str, str]:
    if isinstance(flag, Flag):
        return flag.code, flag.route
    return flag["code"], flag["route"]
