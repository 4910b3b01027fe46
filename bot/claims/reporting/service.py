"""Reporting a claim (报案): the draft collected in conversation, its checks, and the one
transaction that creates the claim with its checklist, first event, audit entry and risk flags."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any

from bot.back_office import open_review_task
from bot.claims.amounts import is_small_claim, validate_amount
from bot.claims.model import OPEN_STAGES, ClaimStage
from bot.claims.reporting.extract import (
    HOSPITALISATION,
    ReportFields,
    customer_account,
    incident_kinds,
    resolve_incident_type,
    tells_of_a_vehicle,
)
from bot.claims.reporting.urgent import is_past
from bot.claims.risk import RiskFacts, assess, is_fast_track, offers_person, rules, urgent_reasons
from bot.clock import as_utc_naive, from_local, local_today, to_local
from bot.dates import (
    AM_PM,
    DAY,
    EXACT,
    HOUR_UNKNOWN,
    PART_OF_DAY,
    UNKNOWN,
    incident_time_text,
    moment_text,
    part_start,
)
from bot.documents import Item, checklist, incident_types, normalise_incident_type, one_time_notice
from bot.parsing import parse_policy_number
from bot.promises import promise_on_report
from bot.replies import catalog, date_text, join, say, when_text
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import Claim, ClaimDocument, Policy

# A clock a few minutes ahead on the customer's phone is not an incident in the future.
FUTURE_TOLERANCE = timedelta(minutes=5)
DECISION_DAYS = 30  # law Art. 23: decision within 30 days of complete documents

REQUIRED_FIELDS = ("policy_number", "incident_type", "incident_time")
# What else to ask, per line, in asking order (contact phone: the one on file unless given).
_ASK: dict[str, tuple[str, ...]] = {
    "motor": ("place", "description", "injuries", "estimated_amount"),
    "home": ("place", "description", "estimated_amount"),
    "medical": ("hospital", "admission_date", "description", "estimated_amount"),
    "accident": ("place", "description", "injuries", "estimated_amount"),
    "critical_illness": ("hospital", "diagnosis", "description"),
    "life": ("place", "description"),
}
_DETAIL_LABELS = (
    ("plate", "车牌 Plate"),
    ("other_party", "对方 Other party"),
    ("police_report_no", "报警回执号 Police report no."),
    ("hospital", "医院 Hospital"),
    ("admission_date", "入院 Admitted"),
    ("discharge_date", "出院 Discharged"),
    ("diagnosis", "诊断 Diagnosis"),
    ("contact_phone", "联系电话 Contact phone"),
)


@dataclass(frozen=True)
class ReportDraft:
    """What the conversation has gathered so far. `incident_at` is naive UTC (or aware);
    `incident_date` stands in when the hour is not known. `declined` names the fields the
    customer could not answer ("不记得"), so they are never asked again."""

    policy_number: str | None = None
    line_of_business: str | None = None
    incident_type: str | None = None
    incident_at: datetime | None = None
    incident_date: date | None = None
    place: str | None = None
    description: str | None = None
    injuries: bool | None = None
    serious_injury: bool | None = None
    estimated_amount: Decimal | None = None
    contact_phone: str | None = None
    plate: str | None = None
    other_party: str | None = None
    police_report_no: str | None = None
    hospital: str | None = None
    admission_date: date | None = None
    discharge_date: date | None = None
    diagnosis: str | None = None
    channel: str | None = None
    language: str | None = None
    conversation_id: str | None = None
    declined: tuple[str, ...] = ()
    incident_part: str | None = None  # 上午/evening said for incident_date, without an hour
    police_called: bool | None = None
    # Claims the customer said are a different incident ("不是同一件事"): never asked again.
    distinct_from: tuple[str, ...] = ()
    pending_duplicate: str | None = None  # the claim asked about: "是同一件事吗？"
    # The two readings of an hour asked back ("上午10点还是晚上10点？"), local ISO datetimes:
    # the answer "上午" picks one of them.
    pending_times: tuple[str, ...] = ()
    # The day of a time the customer gave that was still to come ("今天上午十点" said at 01:47):
    # not kept as the incident time; the account's words naming that day are replaced by the
    # day the customer gives instead (answers.account_on_day).
    future_day: date | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly (dates ISO, amount a string): fits a Rasa slot."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, (datetime, date)):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ReportDraft:
        """The inverse of as_dict(); unknown keys are ignored."""
        data = data or {}
        values: dict[str, Any] = {}
        for spec in fields(cls):
            value = data.get(spec.name)
            if value is None:
                continue
            if spec.name == "incident_at" and isinstance(value, str):
                value = datetime.fromisoformat(value)
            elif spec.name in ("incident_date", "admission_date", "discharge_date",
                               "future_day") and isinstance(
                value, str
            ):
                value = date.fromisoformat(value)
            elif spec.name == "estimated_amount":
                value = Decimal(str(value))
            elif spec.name in ("declined", "distinct_from", "pending_times"):
                value = tuple(value)
            values[spec.name] = value
        return cls(**values)

    @property
    def has_time(self) -> bool:
        return self.incident_at is not None or self.incident_date is not None

    @property
    def incident_precision(self) -> str:
        """How precisely the incident time is known: exact, part_of_day, day or unknown."""
        if self.incident_at is not None:
            return EXACT
        if self.incident_date is not None:
            return PART_OF_DAY if self.incident_part else DAY
        return UNKNOWN


def merge_fields(draft: ReportDraft, extracted: ReportFields) -> ReportDraft:
    """The draft with what a message said filled into fields still empty (nothing asked twice,
    nothing already given overwritten). Ambiguous times are left for the ask-back, except
    that a known day with an unknown hour (前天晚上) fills incident_date."""
    when = extracted.when
    updates: dict[str, Any] = {}

    def fill(name: str, value: Any) -> None:
        if value is not None and getattr(draft, name) is None:
            updates[name] = value

    fill("policy_number", extracted.policy_number)
    fill("incident_type", extracted.incident_type)
    day_is_known = not when.ambiguous or when.reason == HOUR_UNKNOWN
    # A time still to come is never an incident time; the ask-back says so.
    if draft.incident_at is None and when.date is not None and day_is_known and not when.future:
        if when.time is not None and not when.ambiguous:
            updates["incident_at"] = when.at
        elif draft.incident_date is None:
            updates["incident_date"] = when.date
            if when.part_of_day is not None and when.reason == HOUR_UNKNOWN:
                updates["incident_part"] = when.part_of_day
    elif (draft.incident_at is None and draft.incident_date is None and when.reason == AM_PM
          and len({value.date() for value in when.alternatives}) == 1 and not when.future):
        # "上个月28号10点半…": the day is known; morning or evening is asked, not the day.
        updates["incident_date"] = when.alternatives[0].date()
        updates["pending_times"] = tuple(value.isoformat() for value in when.alternatives)
    fill("place", extracted.place)
    fill("description", customer_account(extracted.text))
    fill("police_called", extracted.police_called)
    fill("injuries", extracted.injuries)
    if "serious_injury" in extracted.urgent:
        fill("serious_injury", True)
    fill("estimated_amount", extracted.estimated_amount)
    fill("contact_phone", extracted.contact_phone)
    fill("plate", extracted.plate)
    fill("police_report_no", extracted.police_report_no)
    fill("hospital", extracted.hospital)
    # "住院了" / "I was admitted" on a medical claim: the day of the incident is the day of
    # admission, so it is not asked again.
    line = draft.line_of_business or _line_from_number(draft.policy_number) or extracted.line_hint
    if (HOSPITALISATION in extracted.kinds and line == "medical" and when.date is not None
            and day_is_known and not when.future):
        fill("admission_date", when.date)
    fill("language", extracted.language)
    return replace(draft, **updates)


def admission_from_incident(draft: ReportDraft) -> ReportDraft:
    """A hospital stay on a medical policy: the day it happened is the day of admission, so
    "哪天入院的？" is not asked after "事情是什么时候发生的？" was answered."""
    line = draft.line_of_business or _line_from_number(draft.policy_number)
    if (line != "medical" or draft.incident_type != HOSPITALISATION
            or draft.admission_date is not None or "admission_date" in draft.declined):
        return draft
    if draft.incident_at is not None:
        day = to_local(draft.incident_at).date()
    elif draft.incident_date is not None:
        day = draft.incident_date
    else:
        return draft
    return replace(draft, admission_date=day)


def accept_part_of_day(draft: ReportDraft, day: date, part: str) -> ReportDraft:
    """The draft with an approximate time ("上周六上午"): the day and the part of it, and the hour
    no longer asked."""
    return replace(draft, incident_date=day, incident_part=part,
                   declined=tuple(sorted({*draft.declined, "incident_hour"})))


def incident_day_text(draft: ReportDraft, lang: str | None) -> str:
    """A day without an hour as the summary shows it: "2026年11月14日 约 上午" / "…（时间不详）"."""
    if draft.incident_date is None:
        return "-"
    at = from_local(draft.incident_date, part_start(draft.incident_part))
    return incident_time_text(at, draft.incident_precision, lang)


def fit_to_line(draft: ReportDraft, line: str | None) -> ReportDraft:
    """The draft's incident type read within what the policy's line covers: "住院" on an
    accident policy is an accident injury, a line with one type needs no question, and a type
    the line does not have is read again from the customer's account (or asked)."""
    if not line:
        return draft
    types = incident_types(line)
    fitted = normalise_incident_type(line, draft.incident_type)
    if fitted is None and draft.description:
        fitted = resolve_incident_type(line, incident_kinds(draft.description))
    if fitted is None and draft.incident_type:
        fitted = _SAME_ON_LINE.get(line, {}).get(draft.incident_type)
    if fitted is None and len(types) == 1:
        fitted = types[0]
    if line in _SOMEONE_HURT_BY_DEFINITION and draft.injuries is None:
        # An accident policy pays for the insured's injury: "有人受伤吗？" is not asked.
        draft = replace(draft, injuries=True)
    return draft if fitted == draft.incident_type else replace(draft, incident_type=fitted)


# Lines whose every claim is someone's bodily injury.
_SOMEONE_HURT_BY_DEFINITION = ("accident",)


# What a type read before the policy was known means on the policy's line.
_SAME_ON_LINE = {
    "accident": {"hospitalisation": "injury", "outpatient": "injury", "collision": "injury"},
    "motor": {"accident": "collision"},
    "home": {"glass": "property_damage", "collision": "property_damage"},
}


# Lines where the day is what matters (the day of the stay, of the diagnosis): the hour of a
# known day is not asked (only "上午还是晚上？" for an hour the customer gave that reads both
# ways).
DAY_IS_ENOUGH = ("medical", "critical_illness")


def missing_fields(draft: ReportDraft, line: str | None = None) -> list[str]:
    """The fields still to ask, in asking order: the required ones, then what the line needs.
    `incident_time` stands for the date (and hour); `incident_hour` for the hour of a known
    date. Fields the customer declined are left out."""
    line = line or draft.line_of_business or _line_from_number(draft.policy_number)
    wanted = list(REQUIRED_FIELDS)
    if draft.incident_at is None and draft.incident_date is not None \
            and (line not in DAY_IS_ENOUGH or draft.pending_times):
        wanted.append("incident_hour")
    wanted.extend(_ASK.get(line or "", ("description",)))
    missing = []
    for name in wanted:
        if name in draft.declined:
            continue
        if name == "admission_date" and draft.incident_type == "outpatient":
            continue  # a visit without a stay has no day of admission
        if name == "incident_time":
            if not draft.has_time:
                missing.append(name)
        elif name == "incident_hour" or getattr(draft, name) is None:
            missing.append(name)
    return missing


# Questions asked in one message, first field first: a customer who answers several saves
# turns; one who answers any part is asked only for the rest (actions/report.py). The first
# field is read as its own question reads it (interpret_answer); the others from the parts of
# the message that say them ("昨天下午三点，中山路，没人受伤，大概3000": a time, a place, who
# was hurt, an amount), so only fields whose answers are told apart reliably go together, and
# at most one of them names a day.
_GROUP_FIRSTS = ("incident_time", "incident_hour", "hospital", "injuries")
_GROUPED_AFTER = ("place", "hospital", "admission_date", "injuries", "estimated_amount")
_NAMES_A_DAY = ("incident_time", "incident_hour", "admission_date")
# The account ("经过") takes any words, so only the amount goes with it.
_WITH_ACCOUNT = ("description", "estimated_amount")
MAX_ASKED_TOGETHER = 4


def question_fields(missing: list[str]) -> tuple[str, ...]:
    """The fields the next question asks for: the first missing one, and those still missing
    that can be asked with it (up to MAX_ASKED_TOGETHER)."""
    if not missing:
        return ()
    first = missing[0]
    if first == _WITH_ACCOUNT[0]:
        return _WITH_ACCOUNT if _WITH_ACCOUNT[1] in missing[1:] else (first,)
    if first not in _GROUP_FIRSTS:
        return (first,)
    fields = [first]
    for name in missing[1:]:
        if len(fields) == MAX_ASKED_TOGETHER:
            break
        if name not in _GROUPED_AFTER:
            continue
        if name in _NAMES_A_DAY and any(other in _NAMES_A_DAY for other in fields):
            continue  # two days in one answer cannot be told apart
        if {name, *fields} >= {"place", "hospital"}:
            continue
        fields.append(name)
    return tuple(fields)


def question_text(fields: tuple[str, ...], lang: str | None, line: str | None = None) -> str:
    """The question asking for `fields`: the field's own question, a pair's worded question
    (report_ask_together.<a>+<b>), or a short list of what is still needed with one example
    (report_ask_group, in the line's words where it has its own: "哪天看的病")."""
    if len(fields) == 1:
        return say(f"report_ask.{fields[0]}", lang)
    key = "report_ask_together." + "+".join(fields)
    if key in catalog():
        return say(key, lang)

    def piece(kind: str, name: str) -> str:
        own = f"report_ask_group.{kind}.{name}.{line}"
        return say(own if own in catalog() else f"report_ask_group.{kind}.{name}", lang)

    items = "\n".join(piece("item", name) for name in fields)
    example = say("list_comma", lang).join(piece("example", name) for name in fields)
    return say("report_ask_group", lang, items=items, example=example)


def next_question(draft: ReportDraft, lang: str | None) -> str:
    """The report's next question as the customer sees it: question_text for what is still
    missing, opened by "是上午10点半，还是晚上10点半？" when an hour told earlier reads both
    ways."""
    fields = question_fields(missing_fields(draft))
    line = line_of(draft)
    if fields and fields[0] == "incident_hour" and len(draft.pending_times) == 2:
        first, second = (moment_text(datetime.fromisoformat(value), lang)
                         for value in draft.pending_times)
        which = say("when_ask_which", lang, first=first, second=second)
        return which if len(fields) == 1 else which + "\n" + question_text(fields[1:], lang, line)
    return question_text(fields, lang, line)


_PREFIX_LINES = {"AUTO": "motor", "MED": "medical", "HOME": "home", "ACC": "accident",
                 "CI": "critical_illness", "LIFE": "life"}


def line_of(draft: ReportDraft) -> str | None:
    """The draft's line of business, or the one its policy number names."""
    return draft.line_of_business or _line_from_number(draft.policy_number)


def _line_from_number(policy_number: str | None) -> str | None:
    canonical = parse_policy_number(policy_number or "")
    return _PREFIX_LINES.get(canonical.split("-")[0]) if canonical else None


# --- problems -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why a draft cannot be submitted as it is, and the reply that says what to do instead."""

    code: str
    reply_key: str
    fields: dict[str, Any] = field(default_factory=dict)  # raw values, worded by text()

    def text(self, lang: str | None) -> str:
        return say(self.reply_key, lang,
                   **{key: _field_text(key, value, lang) for key, value in self.fields.items()})


def _field_text(key: str, value: Any, lang: str | None) -> Any:
    if key == "when" and isinstance(value, datetime):
        return when_text(value, lang)
    if isinstance(value, date):
        return date_text(value, lang)
    if key == "line":
        return say(f"line.{value}", lang)
    if key == "types":
        return join([say(f"incident.{kind}", lang) for kind in value], lang)
    return value


class ReportRejected(Exception):
    """submit_report() found problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(", ".join(problem.code for problem in problems))
        self.problems = problems


def _incident_day(draft: ReportDraft) -> date | None:
    if draft.incident_at is not None:
        return local_today(as_utc_naive(draft.incident_at))
    return draft.incident_date


def _problems(
    uow: UnitOfWork,
    draft: ReportDraft,
    now: datetime,
    verified_customer_id: int | None,
) -> tuple[list[Problem], Policy | None]:
    problems: list[Problem] = []
    for name in REQUIRED_FIELDS:
        if name == "incident_time" and not draft.has_time or (
            name != "incident_time" and not getattr(draft, name)
        ):
            problems.append(Problem(f"missing_{name}", f"report_ask.{name}"))
    if draft.estimated_amount is not None:
        amount_problem = validate_amount(Decimal(str(draft.estimated_amount)))
        if amount_problem:
            problems.append(Problem(f"amount_{amount_problem}", f"amount_{amount_problem}"))

    day = _incident_day(draft)
    if day is not None:
        future = (
            as_utc_naive(draft.incident_at) > now + FUTURE_TOLERANCE
            if draft.incident_at is not None
            else day > local_today(now)
        )
        if future:
            problems.append(Problem("incident_in_future", "report_incident_future"))

    if not draft.policy_number:
        return problems, None
    number = parse_policy_number(draft.policy_number) or draft.policy_number
    policy = uow.policies.by_number(number)
    if policy is None:
        problems.append(Problem("policy_unknown", "policy_unknown", {"policy_number": number}))
        return problems, None
    if verified_customer_id is not None and policy.customer_id != verified_customer_id:
        # Said the same way as an unknown policy: whose policy it is stays private.
        problems.append(
            Problem("policy_not_holder", "report_policy_not_yours", {"policy_number": number})
        )
        return problems, None

    line = policy.line_of_business
    if vehicle_outside_line(draft, line):
        problems.append(Problem("vehicle_not_covered", "report_vehicle_not_home"))
        return problems, policy
    if draft.line_of_business and draft.line_of_business != line:
        problems.append(Problem("line_mismatch", "report_line_mismatch", {"line": line}))
    if draft.incident_type and normalise_incident_type(line, draft.incident_type) is None:
        problems.append(Problem("incident_type_not_covered", "report_type_not_covered",
                                {"line": line, "types": incident_types(line)}))
    if policy.status != "active":
        problems.append(Problem("policy_not_active", "report_policy_not_active",
                                {"policy_number": policy.number}))
    if day is not None:
        period = {"start": policy.start_date, "end": policy.end_date}
        if day < policy.start_date:
            problems.append(Problem("incident_before_start", "report_incident_before_start",
                                    period))
        elif day > policy.end_date:
            problems.append(Problem("policy_not_in_force", "report_policy_not_in_force", period))
        incident_type = normalise_incident_type(line, draft.incident_type)
        for claim in policy.claims:
            if (claim.stage not in OPEN_STAGES or claim.incident_type != incident_type
                    or claim.number in draft.distinct_from):
                continue
            verdict = same_incident(draft, claim)
            if verdict == SAME:
                problems.append(Problem("already_reported", "report_already_reported",
                                        {"claim_number": claim.number}))
                break
            if verdict == MAYBE:
                problems.append(Problem(
                    "maybe_duplicate", "report_maybe_duplicate",
                    {"claim_number": claim.number, "when": claim.incident_at,
                     "place": claim.incident_place or "-"}))
                break
    return problems, policy


# Lines that never cover a vehicle's own damage: the home product covers the address only.
_NO_VEHICLES = ("home",)


def vehicle_outside_line(draft: ReportDraft, line: str | None = None) -> bool:
    """A car's damage told on a policy that does not cover vehicles (a home policy): never
    filed as a home incident (高空坠物, 财产损失); the customer is told to use the motor policy."""
    line = line or draft.line_of_business or _line_from_number(draft.policy_number)
    return line in _NO_VEHICLES and tells_of_a_vehicle(
        " ".join(part for part in (draft.description, draft.place) if part))


SAME = "same"
MAYBE = "maybe"
DIFFERENT = "different"
_CLOSE = timedelta(hours=1)
_NEAR = timedelta(hours=3)


def _similar_places(one: str, other: str) -> bool:
    a, b = (re.sub(r"[\s,，.。·\-]", "", text).lower() for text in (one, other))
    if not a or not b:
        return True
    return a in b or b in a or SequenceMatcher(None, a, b).ratio() >= 0.5


def same_incident(draft: ReportDraft, claim: Claim) -> str:
    """Whether the draft tells of the same incident as an open claim of the same kind on the
    same policy: SAME (overlapping time, and place and amount agree where both are known),
    DIFFERENT (another time, or another place and another amount), or MAYBE (ask the customer
    "是同一件事吗？"). A second collision on the same day elsewhere is a new claim."""
    day = _incident_day(draft)
    if claim.incident_at is None or day is None:
        return MAYBE if day is None else DIFFERENT
    claim_at = as_utc_naive(claim.incident_at)
    claim_local = to_local(claim_at)
    # A part of the day is stored at the hour it starts (晚上 -> 17:00): not an hour to compare.
    claim_has_hour = (claim_local.hour, claim_local.minute) != (0, 0) and (
        getattr(claim, "incident_time_precision", None) in (None, EXACT))
    if draft.incident_at is not None and claim_has_hour:
        gap = abs(as_utc_naive(draft.incident_at) - claim_at)
        if gap > _NEAR:
            return DIFFERENT
        close = gap <= _CLOSE
    else:
        if local_today(claim_at) != day:
            return DIFFERENT
        close = False
    place = (None if not (draft.place and claim.incident_place)
             else _similar_places(draft.place, claim.incident_place))
    amount = None
    if draft.estimated_amount and claim.estimated_amount:
        mine, theirs = Decimal(str(draft.estimated_amount)), Decimal(str(claim.estimated_amount))
        amount = abs(mine - theirs) <= Decimal("0.3") * max(mine, theirs)
    if place is False and (amount is False or (draft.incident_at is not None and claim_has_hour
                                                and not close)):
        # Another place, and another amount or an hour that is not the same one: another
        # incident (a collision at 12:30 in a car park is not the one at 15:00 on 中山路).
        return DIFFERENT
    if close and place is not False and amount is not False:
        return SAME
    return MAYBE


def check_draft(
    draft: ReportDraft,
    now: datetime | None = None,
    *,
    verified_customer_id: int | None = None,
    url: str | None = None,
) -> list[Problem]:
    """Everything that stops this draft from being submitted; [] when it can go in.

    Checks: required fields; the amount (negative, zero, absurd); incident not in the future;
    the policy exists, belongs to the verified customer, is active and was in force on the
    incident date (not before its start); the line covers the incident type; the same incident
    is not already reported. Problem.text(lang) says what to do instead. The holder check needs
    `verified_customer_id`; submit_report() always passes it.
    """
    with unit_of_work(url) as uow:
        problems, _ = _problems(uow, draft, as_utc_naive(now), verified_customer_id)
        return problems


# --- submission -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineRule:
    """The promise that applies: small claims paid within 24 h of complete documents, others
    settled within 7 working days; by law a decision within 30 days in any case. The concrete
    dates run from documents_completed_at (the deadlines module computes them)."""

    code: str  # "small_24h" or "standard_7_working_days"
    payment_hours: int | None
    working_days: int | None
    decision_days: int = DECISION_DAYS

    @classmethod
    def for_amount(cls, amount: Decimal | None) -> DeadlineRule:
        if is_small_claim(amount):
            return cls("small_24h", payment_hours=24, working_days=None)
        return cls("standard_7_working_days", payment_hours=None, working_days=7)


@dataclass(frozen=True)
class Receipt:
    """What the customer is told at once after a report."""

    claim_number: str
    policy_number: str
    line_of_business: str
    incident_type: str
    reported_at: datetime  # naive UTC
    missing: tuple[Item, ...]
    small_claim: bool
    deadline: DeadlineRule
    fast_track: bool
    offer_person: bool
    language: str


def _incident_at(draft: ReportDraft) -> datetime:
    """Naive UTC; a part of the day is kept at the hour it starts (its precision says so)."""
    if draft.incident_at is not None:
        return as_utc_naive(draft.incident_at)
    assert draft.incident_date is not None
    return from_local(draft.incident_date, part_start(draft.incident_part))


def _description(draft: ReportDraft) -> str | None:
    lines = [draft.description.strip()] if draft.description else []
    if draft.incident_at is None and draft.incident_date is not None \
            and draft.incident_part is None:
        lines.append("时间不详 Time of day not known")
    if draft.police_called is not None:
        lines.append("已报警 Police called: " + ("是 yes" if draft.police_called else "否 no"))
    for name, label in _DETAIL_LABELS:
        value = getattr(draft, name)
        if value:
            lines.append(f"{label}: {value.isoformat() if isinstance(value, date) else value}")
    return "\n".join(lines) or None


def submit_report(
    draft: ReportDraft,
    *,
    verified_customer_id: int,
    now: datetime | None = None,
    actor: str,
    url: str | None = None,
) -> Receipt:
    """Create the claim in one transaction: number, checklist rows, the 'reported' event, the
    audit entry and the risk flags. Raises ReportRejected (nothing written) when check_draft
    finds problems; any other error also leaves nothing behind."""
    now = as_utc_naive(now)
    lang = draft.language if draft.language in ("zh", "en") else "zh"
    with unit_of_work(url) as uow:
        if draft.policy_number:
            uow.policies.lock(parse_policy_number(draft.policy_number) or draft.policy_number)
        problems, policy = _problems(uow, draft, now, verified_customer_id)
        if problems:
            raise ReportRejected(problems)
        assert policy is not None
        line = policy.line_of_business
        incident_type = normalise_incident_type(line, draft.incident_type)
        assert incident_type is not None
        items = checklist(line, incident_type)
        incident_at = _incident_at(draft)
        amount = None if draft.estimated_amount is None else Decimal(str(draft.estimated_amount))

        config = rules()
        recent_since = now - timedelta(days=config["recent_claims_days"])
        recent = tuple(c.number for c in policy.claims if c.reported_at >= recent_since)
        complaints_since = now - timedelta(days=config["many_complaints_days"])
        complaints = [
            c for c in uow.complaints.of_customer(policy.customer_id)
            if c.received_at >= complaints_since
        ]

        claim = Claim(
            number=uow.claims.next_claim_number(local_today(now).year),
            policy=policy,
            stage=ClaimStage.REPORTED.value,
            incident_type=incident_type,
            incident_at=incident_at,
            incident_time_precision=draft.incident_precision,
            incident_place=draft.place or draft.hospital,
            description=_description(draft),
            injuries=bool(draft.injuries),
            estimated_amount=amount,
            channel=draft.channel,
            language=lang,
            conversation_id=draft.conversation_id,
            flags=[],
            reported_at=now,
        )
        uow.claims.add(claim)
        for item in items:
            claim.documents.append(ClaimDocument(
                code=item.code, label_zh=item.name_zh, label_en=item.name_en,
                mandatory=item.mandatory, fetched_by_insurer=item.fetched_by_insurer,
                status="missing", first_notice=True,  # the receipt's one-time notice names it
            ))
        uow.claims.add_event(claim, from_stage=None, to_stage=ClaimStage.REPORTED.value,
                             actor=actor, at=now)
        flags = assess(RiskFacts(
            line_of_business=line,
            incident_type=incident_type,
            incident_at=incident_at,
            reported_at=now,
            estimated_amount=amount,
            sum_insured=policy.sum_insured,
            policy_start=policy.start_date,
            waiting_period_days=policy.waiting_period_days,
            recent_claims=recent,
            past_complaints=len(complaints),
            # Something over (a treated illness, an accident days ago) is never urgent.
            urgent_reasons=() if is_past(draft.description, incident_at, now) else urgent_reasons(
                incident_type, draft.description, serious_injury=draft.serious_injury),
        ))
        claim.flags = [flag.as_json() for flag in flags]
        uow.audit.record(
            actor,
            "claim.report",
            "claim",
            claim.number,
            {
                "policy_number": policy.number,
                "incident_type": incident_type,
                "channel": draft.channel,
                "flags": [flag.code for flag in flags],
            },
            at=now,
        )
        uow.flush()
        # Review flags become one review task for a supervisor, saved with the claim.
        open_review_task(uow, claim, actor=actor, now=now)
        # The receipt's "a person will contact you" is kept by a task (bot/promises.py).
        promise_on_report(uow, claim, fast_track=is_fast_track(flags),
                          waiting_period=offers_person(flags),
                          actor=actor, now=now)
        receipt = Receipt(
            claim_number=claim.number,
            policy_number=policy.number,
            line_of_business=line,
            incident_type=incident_type,
            reported_at=now,
            missing=tuple(items),
            small_claim=is_small_claim(amount),
            deadline=DeadlineRule.for_amount(amount),
            fast_track=is_fast_track(flags),
            offer_person=offers_person(flags),
            language=lang,
        )
        # A claim reported in a call also gets its receipt in writing, by SMS (issue #15).
        from bot.outbox.receipts import queue_phone_receipt

        queue_phone_receipt(uow, claim, receipt, now=now)
        uow.commit()
    return receipt


def receipt_text(receipt: Receipt, lang: str | None = None) -> str:
    """The receipt in plain words: claim number, the documents (one-time notice), the deadline,
    and how to reach a person."""
    lang = lang or receipt.language
    parts = [
        say("report_receipt", lang, claim_number=receipt.claim_number,
            incident=say(f"incident.{receipt.incident_type}", lang)),
        one_time_notice(receipt.missing, lang, small_claim=receipt.small_claim),
        say(f"deadline.{receipt.deadline.code}", lang, days=receipt.deadline.decision_days),
    ]
    if receipt.fast_track:
        parts.append(say("report_fast_track", lang))
    elif receipt.offer_person:
        parts.append(say("report_person_follows", lang))
    parts.append(say("report_contact", lang))
    return "\n\n".join(parts)
