"""Reading the customer's answer to one report question, corrections, and the summary to confirm."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

from bot.claims.amounts import parse_amount
from bot.claims.reporting.extract import (
    extract_report_fields,
    incident_kinds,
    resolve_incident_type,
)
from bot.claims.reporting.service import (
    ReportDraft,
    accept_part_of_day,
    incident_day_text,
    merge_fields,
)
from bot.clock import from_local, to_local
from bot.dates import HOUR_UNKNOWN, clarify_question, parse_incident_datetime
from bot.language import normalise
from bot.replies import clock_text, date_text, money, say

_DONT_KNOW = re.compile(
    r"(不记得|记不清|忘了|不知道|不清楚|说不准|没有|无|don'?t know|not sure|no idea|"
    r"can'?t remember|don'?t remember|none|n/?a)",
    re.IGNORECASE,
)
_YES = re.compile(r"^(是|是的|有|对|嗯|有人|有的|yes|yeah|yep|y|someone was)\b", re.IGNORECASE)
_NO = re.compile(r"(没有|没人|没|无|不|no\b|nobody|no one|nope)", re.IGNORECASE)
_PLACE_CORRECTION = re.compile(
    r"(?:地点|地址|位置|地方)(?:是|在|:|：)?\s*(?P<place>[^,，。.]{2,60})"
    r"|(?:place|location|address)\s+(?:was|is)?\s*(?P<place_en>[^,.]{2,60})",
    re.IGNORECASE,
)
_FREE_TEXT_FIELDS = ("place", "description", "hospital", "diagnosis", "other_party", "plate")
_MAX_FREE_TEXT = 300


@dataclass(frozen=True)
class Answer:
    """What an answer did to the draft, and what to tell the customer when it did nothing."""

    draft: ReportDraft
    message: str | None = None  # a clarifying question or the reason the answer was not used
    changed: tuple[str, ...] = field(default_factory=tuple)


def _changed(before: ReportDraft, after: ReportDraft) -> tuple[str, ...]:
    names = before.__dataclass_fields__
    return tuple(name for name in names if getattr(before, name) != getattr(after, name))


def _declined(draft: ReportDraft, name: str) -> ReportDraft:
    return replace(draft, declined=tuple(sorted({*draft.declined, name})))


def interpret_answer(
    draft: ReportDraft,
    asking: str,
    text: str,
    now: datetime,
    lang: str,
    *,
    intent: str | None = None,
) -> Answer:
    """The draft after the customer answered the question about `asking`.

    Whatever else the message says is taken too (merge_fields never overwrites), so a rich
    answer fills several fields at once and nothing is asked twice.
    """
    clean = normalise(text)[:_MAX_FREE_TEXT]
    line = draft.line_of_business
    extracted = extract_report_fields(
        clean, now, lang, line_of_business=line, known_date=draft.incident_date
    )
    merged = merge_fields(draft, extracted)
    if asking != "description" and not extracted.kinds:
        # "中山路" answers where, not what happened: keep it out of the description.
        merged = replace(merged, description=draft.description)
    if asking in ("incident_time", "incident_hour"):
        return _answer_time(draft, merged, clean, now, lang)
    if getattr(merged, asking, None) is not None and asking not in ("description",):
        return Answer(merged, changed=_changed(draft, merged))
    if asking == "incident_type":
        kinds = incident_kinds(clean)
        incident_type = resolve_incident_type(line, kinds)
        if incident_type is None:
            return Answer(merged, say("report_ask.incident_type", lang), _changed(draft, merged))
        updated = replace(merged, incident_type=incident_type)
        return Answer(updated, changed=_changed(draft, updated))
    if asking == "injuries":
        value = _yes_no(clean, intent)
        if value is None:
            return Answer(merged, say("report_ask.injuries", lang), _changed(draft, merged))
        updated = replace(merged, injuries=value)
        return Answer(updated, changed=_changed(draft, updated))
    if asking == "estimated_amount":
        return _answer_amount(draft, merged, clean, lang)
    if asking == "admission_date":
        parsed = parse_incident_datetime(clean, now, lang)
        if parsed.date is None or parsed.future:
            return Answer(merged, say("report_ask.admission_date", lang), _changed(draft, merged))
        updated = replace(merged, admission_date=parsed.date)
        return Answer(updated, changed=_changed(draft, updated))
    if asking in _FREE_TEXT_FIELDS or asking == "description":
        if _DONT_KNOW.fullmatch(clean.strip(" .。!！")):
            updated = _declined(merged, asking)
        elif asking == "description" and merged.description != draft.description:
            updated = merged  # the message itself became the description
        else:
            updated = replace(merged, **{asking: clean})
        return Answer(updated, changed=_changed(draft, updated))
    return Answer(merged, changed=_changed(draft, merged))


def absorb_first_message(draft: ReportDraft, text: str, now: datetime, lang: str) -> ReportDraft:
    """What the message that started the report already says ("昨天下午三点在中山路被追尾了")."""
    clean = normalise(text)[:_MAX_FREE_TEXT]
    extracted = extract_report_fields(clean, now, lang, line_of_business=draft.line_of_business)
    merged = merge_fields(draft, extracted)
    if not extracted.kinds:
        merged = replace(merged, description=draft.description)  # "我要报案" says nothing yet
    elif merged.incident_type is None and extracted.line_hint:
        # Before the policy is known, "被追尾" still means a collision: read it by the line
        # the words point to; the policy check later says if the policy does not cover it.
        merged = replace(
            merged, incident_type=resolve_incident_type(extracted.line_hint, extracted.kinds)
        )
    return merged


_CONFIRM = re.compile(
    r"^(对|对的|是|是的|好|好的|可以|确认|没问题|没错|提交|ok|okay|yes|yep|yeah|correct|confirm|"
    r"that'?s right|submit)[\s,.!。！,]*$",
    re.IGNORECASE,
)


def is_confirmation(text: str, intent: str | None = None) -> bool:
    """A plain yes to the summary ("对", "没问题", "yes"), whatever the model made of it."""
    return intent == "affirm" or bool(_CONFIRM.match(normalise(text)))


def _yes_no(text: str, intent: str | None) -> bool | None:
    if intent == "affirm" or _YES.search(text):
        return True
    if intent == "deny" or _NO.search(text):
        return False
    return None


def _answer_amount(before: ReportDraft, merged: ReportDraft, text: str, lang: str) -> Answer:
    if _DONT_KNOW.search(text):
        updated = _declined(merged, "estimated_amount")
        return Answer(updated, changed=_changed(before, updated))
    parsed = parse_amount(text)
    if not parsed.ok:
        return Answer(merged, say(parsed.reply_key or "amount_unclear", lang),
                      _changed(before, merged))
    updated = replace(merged, estimated_amount=parsed.amount)
    return Answer(updated, changed=_changed(before, updated))


def _answer_time(
    before: ReportDraft, merged: ReportDraft, text: str, now: datetime, lang: str
) -> Answer:
    if merged.incident_at is not None:
        return Answer(merged, changed=_changed(before, merged))
    if before.incident_date is not None and _DONT_KNOW.search(text):
        updated = _declined(merged, "incident_hour")
        return Answer(updated, changed=_changed(before, updated))
    parsed = parse_incident_datetime(text, now, lang, known_date=before.incident_date)
    if parsed.complete and not parsed.future and not parsed.ambiguous:
        updated = replace(merged, incident_at=parsed.at)
        return Answer(updated, changed=_changed(before, updated))
    if parsed.date is not None and parsed.reason == HOUR_UNKNOWN and not parsed.future:
        if before.incident_date is not None and parsed.part_of_day is not None:
            # Asked the hour, told "上午" / "in the morning": an approximate answer, taken as one.
            updated = accept_part_of_day(merged, parsed.date, parsed.part_of_day)
            return Answer(updated, changed=_changed(before, updated))
        updated = replace(merged, incident_date=parsed.date)
        return Answer(updated, say("when_ask_hour", lang), _changed(before, updated))
    question = clarify_question(parsed, lang) or say("when_ask", lang)
    return Answer(merged, question, _changed(before, merged))


def apply_correction(draft: ReportDraft, text: str, now: datetime, lang: str) -> Answer:
    """A correction at the summary ("不对,时间是四点"): what the message says replaces the draft's
    value; a time alone moves the hour on the day already given."""
    clean = normalise(text)
    blank = ReportDraft(line_of_business=draft.line_of_business, language=draft.language)
    extracted = extract_report_fields(
        clean, now, lang, line_of_business=draft.line_of_business,
        known_date=_day_of(draft),
    )
    fresh = merge_fields(blank, extracted)
    updates: dict[str, Any] = {}
    for name in ("incident_type", "place", "injuries", "estimated_amount", "plate",
                 "police_report_no", "hospital", "contact_phone"):
        value = getattr(fresh, name)
        if value is not None:
            updates[name] = value
    place = _PLACE_CORRECTION.search(clean)
    if place and "place" not in updates:
        updates["place"] = (place.group("place") or place.group("place_en")).strip()
    if extracted.when.found:
        nearest = _nearest_reading(draft, extracted.when.alternatives)
        if fresh.incident_at is not None:
            updates["incident_at"] = fresh.incident_at
        elif nearest is not None:
            updates["incident_at"] = nearest
        elif fresh.incident_date is not None and fresh.incident_date != _day_of(draft):
            updates.update(incident_at=None, incident_date=fresh.incident_date,
                           incident_part=fresh.incident_part)
    if extracted.when.future:
        return Answer(draft, say("when_future", lang))
    updated = replace(draft, **updates)
    return Answer(updated, changed=_changed(draft, updated))


def _nearest_reading(draft: ReportDraft, alternatives: tuple) -> datetime | None:
    """"时间是四点" after 15:00 means 16:00, not 04:00: the reading nearest the old one."""
    if draft.incident_at is None or len(alternatives) != 2:
        return None
    old = to_local(draft.incident_at).replace(tzinfo=None)
    readings = [
        value if isinstance(value, datetime)
        else datetime.combine(old.date(), value) if isinstance(value, time) else None
        for value in alternatives
    ]
    if any(reading is None for reading in readings):
        return None
    best = min(readings, key=lambda reading: abs((reading - old).total_seconds()))
    return from_local(best.date(), best.hour, best.minute)


def _day_of(draft: ReportDraft) -> date | None:
    if draft.incident_at is not None:
        return to_local(draft.incident_at).date()
    return draft.incident_date


def _when_text(draft: ReportDraft, lang: str) -> str:
    if draft.incident_at is not None:
        local = to_local(draft.incident_at)
        return f"{date_text(local, lang)} {clock_text(local, lang)}"  # the zone where abroad
    if draft.incident_date is not None:
        return incident_day_text(draft, lang)
    return "-"


def report_summary(draft: ReportDraft, lang: str) -> str:
    """The lines the customer confirms before anything is stored; unknown fields are left out."""
    yes_no = {True: say("summary.yes", lang), False: say("summary.no", lang)}
    rows: list[tuple[str, Any]] = [
        ("policy", draft.policy_number),
        ("incident", say(f"incident.{draft.incident_type}", lang) if draft.incident_type else None),
        ("when", _when_text(draft, lang)),
        ("place", draft.place),
        ("hospital", draft.hospital),
        ("admission", date_text(draft.admission_date, lang) if draft.admission_date else None),
        ("diagnosis", draft.diagnosis),
        ("plate", draft.plate),
        ("injuries", yes_no.get(draft.injuries) if draft.injuries is not None else None),
        ("amount", money(draft.estimated_amount, lang) if draft.estimated_amount else None),
        ("what", draft.description),
    ]
    lines = [say(f"summary.{label}", lang, value=value) for label, value in rows
             if value not in (None, "", "-")]
    return "\n".join(lines)
