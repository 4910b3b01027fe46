"""Reading the customer's answer to one report question, corrections, and the summary to confirm."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from bot.claims.amounts import parse_amount, says_money
from bot.claims.reporting.extract import (
    customer_account,
    discharge_parts,
    extract_report_fields,
    incident_kinds,
    resolve_incident_type,
    split_place,
    tells_discharge,
    without_codes,
    without_discharge,
)
from bot.claims.reporting.service import (
    DAY_IS_ENOUGH,
    ReportDraft,
    accept_part_of_day,
    admission_from_incident,
    incident_day_text,
    merge_fields,
    missing_fields,
    question_fields,
    question_text,
)
from bot.clock import from_local, to_local
from bot.dates import (
    AM_PM,
    HOUR_UNKNOWN,
    choose_reading,
    clarify_question,
    day_named,
    parse_incident_datetime,
    says_time_unknown,
)
from bot.documents import incident_types
from bot.language import normalise, to_simplified
from bot.parsing import parse_date_of_birth, parse_policy_number, without_reference_numbers
from bot.replies import clock_text, date_text, money, say

_DONT_KNOW = re.compile(
    r"(不记得|记不清|忘了|不知道|不清楚|说不准|没有|无|don'?t know|not sure|no idea|"
    r"can'?t remember|don'?t remember|none|n/?a)",
    re.IGNORECASE,
)
_YES = re.compile(r"^(是|是的|有|对|嗯|有人|有的|yes|yeah|yep|y|someone was)\b", re.IGNORECASE)
_NO = re.compile(r"(没有|没人|没|无|不|no\b|nobody|no one|nope)", re.IGNORECASE)
_PLACE_CORRECTION = re.compile(
    r"(?:地点|地址|位置|地方)(?:应该|应当)?(?:改成|改为|换成|写成|是|在|为|:|：)*\s*"
    r"(?P<place>[^,，。.!！?？;；]{2,60})"
    r"|(?:place|location|address)\s+(?:should\s+(?:be|say|read)|was|is|to|:)?\s*"
    r"(?:actually\s+)?(?P<place_en>.{2,60}?)(?=\s+(?:not|instead|rather)\b|[,.;!?]|$)",
    re.IGNORECASE,
)
# The words a correction starts with ("改一下 是…", "不对,…", "actually…"): never stored.
_CORRECTION_LEAD = re.compile(
    r"^(?:\s*(?:不对|不是|错了|说错了|改一下|改下|改改|更正(?:一下)?|纠正(?:一下)?|修改(?:一下)?|"
    r"应该是|其实是|是|在|哦|噢|嗯|抱歉|不好意思|actually|sorry|oops|no(?=[,，!！])|correction|"
    r"i mean|it'?s|it was)[\s,，:：!！.。]*)+",
    re.IGNORECASE,
)
_CORRECTION_CUE = re.compile(
    r"不对|错了|说错|改一下|改下|改成|改为|换成|更正|纠正|修改|应该是|应当是|其实是|"
    r"actually|should be|make it|change (?:it|that|the)|correction|i meant?\b|not just|instead",
    re.IGNORECASE,
)
# "应该是不知道吧", "应该是三千": a hedged answer to the question asked, not a correction.
_HEDGE = re.compile(r"^\s*(?:嗯|哦|呃)?[\s,，]*(?:应该是|应当是)")
# "make it 2500", "改成2500", "金额是2500": the amount, even without a money word.
_AMOUNT_CORRECTION = re.compile(
    r"make it|change (?:it|that|the amount|the loss) to|amount|loss|cost|estimate|"
    r"金额|损失|费用|多少钱|改成|改为|应该是",
    re.IGNORECASE,
)
# "did that go in as 2500 or 2000?", "地点记的是哪里？": a question about the stored value.
_STORED_QUESTION = re.compile(
    r"(?:did|has|have|was|is) (?:that|it|this)\s+(?:go(?:ne)?|been|put|get|got)?\s*"
    r"(?:in|down|recorded|stored|saved|entered)|what did you (?:put|record|write|store)"
    r"|(?:记|写|录|存)(?:的|成|了|下)(?:是)?(?:多少|哪|什么|几)|(?:记|写|录)成.*(?:还是|吗|么)"
    r"|记(?:的|了)(?:是)?\d|是.*还是.*[?？]|what.*(?:recorded|stored|have down)",
    re.IGNORECASE,
)
_FIELD_WORDS = {
    "place": re.compile(r"地点|地址|位置|哪里|哪儿|place|address|where|location", re.I),
    "incident_at": re.compile(r"时间|几点|哪天|日期|time|when|date|hour", re.I),
    "estimated_amount": re.compile(r"金额|损失|多少钱|钱|amount|loss|cost|\d", re.I),
    "description": re.compile(r"经过|描述|description|what happened", re.I),
}
# "时间应该是…" names the time: never read as a place, whatever its 号 or 楼.
_NAMES_THE_TIME = re.compile(r"时间|日期|几点|哪天|\b(?:time|date|day)\b", re.IGNORECASE)
_PLACE_LIKE = re.compile(
    r"[路街道桥环巷弄村镇区县市省号栋楼]|路口|高速|小区|停车场|\d+\s*米|往[东南西北]"
    r"|\b(?:road|rd|street|st|avenue|ave|lane|bridge|junction|car park|parking)\b",
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
    # The customer told what happened but no type could be read: the types are offered as
    # buttons at once rather than the open question again.
    choose_type: bool = False
    # Another field than the one asked was corrected ("地点是X" to the amount question): not a
    # failed answer; the message says what changed and asks the question again.
    corrected: bool = False


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
    answer = _interpret(draft, asking, text, now, lang, intent=intent)
    answer = _with_discharge(draft, answer, text, now, lang)
    filled = account_on_day(draft, admission_from_incident(answer.draft), now, lang)
    if filled is answer.draft:
        return answer
    return Answer(filled, answer.message, _changed(draft, filled))


def _discharge_day(text: str, now: datetime, lang: str) -> date | None:
    """The day of leaving hospital a message tells ("这个月3号出院"), or None."""
    clean = to_simplified(normalise(text))
    for part in discharge_parts(clean):
        day = day_named(parse_incident_datetime(part, now, lang))
        if day is not None and day <= to_local(now).date():
            return day
    return None


def _with_discharge(before: ReportDraft, answer: Answer, text: str, now: datetime,
                    lang: str) -> Answer:
    """The answer with the day of leaving hospital kept, where the message tells one."""
    day = _discharge_day(text, now, lang)
    if day is None or answer.draft.discharge_date == day:
        return answer
    updated = replace(answer.draft, discharge_date=day)
    return replace(answer, draft=updated, changed=_changed(before, updated))


def interpret_answer_to(
    draft: ReportDraft,
    fields: tuple[str, ...],
    text: str,
    now: datetime,
    lang: str,
    *,
    intent: str | None = None,
) -> Answer:
    """The draft after the customer answered a question asking for `fields` (question_fields:
    one field, or several asked together). The first is read as interpret_answer reads it; the
    others from the parts of the message that say them ("昨天下午三点，中山路，没人受伤，3000":
    the part that names a place and nothing else is the place). An answer to a later part
    alone is progress, not a failed answer: `changed` names what it filled."""
    parts = _parts_of(text)
    if len(fields) > 1 and fields[0] == "hospital" and _hospital_part(text, now, lang) is None \
            and any(_names_time(part, now, lang) or _amount_part([part], now, lang) is not None
                    for part in parts):
        # "3000" to "哪家医院、花了多少？": the amount, not a hospital called "3000".
        answer = Answer(draft)
    else:
        answer = interpret_answer(draft, fields[0], text, now, lang, intent=intent)
    if len(fields) < 2 or answer.corrected:
        return answer
    discharged = any(tells_discharge(part) for part in parts)
    if fields[0] in _TIME_FIELDS and (fields[0] in missing_fields(answer.draft) or discharged):
        # "two weeks ago around 11 in the morning, X Hospital, about 18,500 yuan": the amount's
        # figures read as a second time; "上个月28号住进…，这个月3号出院": the day of leaving is
        # not the day it happened. The parts that name the time, read alone.
        said = [part for part in parts if _names_time(part, now, lang)
                and _amount_part([part], now, lang) is None and not tells_discharge(part)
                and (not _HOSPITAL_WORD.search(part) or _ADMITTED.search(part))]
        if said and len(said) < len(parts):
            again = interpret_answer(draft, fields[0], "，".join(said), now, lang,
                                     intent=intent)
            if fields[0] not in missing_fields(again.draft):
                answer = again
    filled = answer.draft
    places = ([part for part in parts if _names_a_place_only(part, now, lang)]
              if "place" in fields[1:] else [])
    if places and draft.place is None:
        filled = replace(filled, place=None)  # read from its own part, below
    for other in fields[1:]:
        if getattr(filled, other) is not None or other in filled.declined:
            continue
        if other == "place":
            rest = places
            if len(rest) == 1 and not _HAPPENED.search(rest[0]):
                # "Tesco car park on Elm Road", "我家楼下2号楼门口": the part is the place, whole.
                filled = replace(filled, place=tidy_value(_PLACE_LEAD.sub("", rest[0])))
            elif rest:
                joined = ("，" if _SENTENCE_CJK.search(text) else ", ").join(rest)
                second = interpret_answer(filled, "place", joined, now, lang, intent=intent)
                if second.message is None:
                    filled = second.draft
        elif other == "hospital":
            # "上周三，市第一医院": the part that names no day and names a hospital; or the
            # hospital's name inside a part ("3号住进市三院的").
            named = _hospital_part(text, now, lang) or _hospital_named_in(text)
            if named:
                filled = replace(filled, hospital=hospital_name(named))
        elif other == "injuries":
            # "昨天，中山路，没人受伤": the part that says who was hurt.
            said = next((value for value in (injuries_answer(part) for part in parts
                                             if _HURT_WORDS.search(part)
                                             or _NOBODY_HURT.search(part))
                         if value is not None), None)
            bare = [part for part in parts if _BARE_HURT_ANSWER.fullmatch(part)]
            if said is None and len(bare) == 1:
                # "昨天下午4点，沪宁高速，没有，一千九": the one bare yes or no answers it.
                said = injuries_answer(bare[0])
            if said is not None:
                filled = replace(filled, injuries=said)
        elif other == "admission_date":
            days = [day_named(parse_incident_datetime(part, now, lang)) for part in parts
                    if not tells_discharge(part)
                    and (not _HOSPITAL_WORD.search(part) or _ADMITTED.search(part))]
            day = next((day for day in days if day is not None), None)
            if day is not None and day <= to_local(now).date():
                filled = replace(filled, admission_date=day)
        elif other == "estimated_amount":
            amount = _amount_part(parts, now, lang)
            if amount is not None:
                filled = replace(filled, estimated_amount=amount)
            elif any(_COST_CUE.search(part) and _UNSURE.search(part) for part in parts):
                # "钱还不知道", "not sure how much yet": the amount, declined.
                filled = _declined(filled, other)
            elif len(parts) > 1 and _DONT_KNOW.fullmatch(parts[-1]) and other == fields[-1]:
                # "昨天下午，中山路，没人受伤，不知道": the last part answers the last question.
                filled = _declined(filled, other)
    answer = _with_discharge(draft, answer, text, now, lang)
    if filled is not answer.draft and filled.discharge_date != answer.draft.discharge_date:
        filled = replace(filled, discharge_date=answer.draft.discharge_date)
    if filled is answer.draft:
        return answer
    return Answer(filled, answer.message, _changed(draft, filled), answer.choose_type)


def _amount_part(parts: list[str], now: datetime, lang: str) -> Decimal | None:
    """The amount from a part that is the amount and little else ("没人受伤，3000"; "包了一下"
    is not 1, and "下午3点" is a time)."""
    for part in parts:
        amount = parse_amount(without_codes(part))
        if amount.ok and (says_money(without_codes(part)) or not _names_time(part, now, lang)) \
                and (len(_AMOUNT_WORDS.sub("", part.replace(amount.text, "", 1))) <= 2
                     or _COST_CUE.search(part)):
            return amount.amount
    return None


_TIME_FIELDS = ("incident_time", "incident_hour")
# Words that say a part of a grouped answer is about the money ("钱的话五六千吧", "repair quote
# is 1,500"): its figure is the amount, whatever else the part says.
_COST_CUE = re.compile(r"钱|损失|花了|花费|费用|修理费|维修费|医药费|报价|估价|\b(?:cost|costs|"
                       r"quote|quoted|repair|loss|how much|amount|price|bill)\b", re.IGNORECASE)
_ADMITTED = re.compile(r"入院|住进|住進|住院|admitted|went in", re.IGNORECASE)
_PLACE_LEAD = re.compile(r"^(?:是在|就在|在|于|at|on|in)\s*", re.IGNORECASE)
# A hospital named inside a longer part: "3号住进市三院的", "去市六院缝了3针".
_HOSPITAL_NAMED_IN = re.compile(
    r"(?:住进|住進|进了|去了|去|在|到|送到|送去)?(?P<name>[^\s，,。、住进去在到送]{1,12}?"
    r"(?:医院|醫院|卫生院|衛生院|诊所|診所|保健院|(?<![学法入住出进進\d])院))")


def _hospital_named_in(text: str) -> str | None:
    match = _HOSPITAL_NAMED_IN.search(normalise(text)[:_MAX_FREE_TEXT])
    return match.group("name") if match and len(match.group("name")) >= 2 else None


# "在市六院住了一个礼拜", "就是市六院": the hospital's name without the words around it.
_HOSPITAL_LEAD = re.compile(r"^(?:就是|是在|是|在|去了?|到|送到|住进|住進)")
_AFTER_HOSPITAL = re.compile(r"(?<=院|所)(?:住|看|治|待|呆|做|了|进去|進去).*$")


def hospital_name(value: str) -> str:
    """The hospital as stored: "在市六院住了一个礼拜" is 市六院; "瑞金医院急诊" stays whole."""
    name = _AFTER_HOSPITAL.sub("", _HOSPITAL_LEAD.sub("", tidy_value(value)))
    return name if len(name) >= 2 else value


# What follows a value without being part of it: "第6人民医院吧 我记错了", "市三院啊".
_TRAILING = re.compile(r"(?:[\s,，]*(?:我?(?:记|說|说|写)错了|i think|i guess|probably))+$|"
                       r"[吧啊呀哦呢嘛啦哈]+$", re.IGNORECASE)


def tidy_value(value: str) -> str:
    """A free-text value without the particles and asides after it."""
    tidied = value.strip(" ,，。.!！")
    for _ in range(3):
        shorter = _TRAILING.sub("", tidied).strip(" ,，。.!！")
        if shorter == tidied or not shorter:
            break
        tidied = shorter
    return tidied or value
# What may stand beside the figure in a part that is the amount ("大概三千块左右", "about 2,500
# yuan"); "市六院骨科" is not 6.
_AMOUNT_WORDS = re.compile(
    r"大概|大约|差不多|估计|约|左右|上下|多|来|元|块钱|块|钱|人民币|花了|损失|要|是|共|一共|总共|的话|"
    r"吧|啊|呢|"
    r"\b(?:about|around|roughly|approx(?:imately)?|maybe|probably|yuan|rmb|cny|dollars?|"
    r"bucks|total|in total|cost|costs|it|was|is)\b|[\s.,~$¥£]", re.IGNORECASE)


# A part of a grouped answer that is a bare yes or no ("没有", "没人", "no"): in a list that asks
# whether anyone was hurt, that is its answer.
_BARE_HURT_ANSWER = re.compile(
    r"(?:都)?(?:没有?人?|无人?|没事|人没事|有人|有|是的?|no(?:pe)?|none|nobody|no ?one|yes|yeah)"
    r"(?:受[伤上]|伤)?[的了啊呀哦]?", re.IGNORECASE)


def _names_a_place_only(part: str, now: datetime, lang: str) -> bool:
    """Whether a part of a grouped answer can be the place: it names one, and it is not the
    time, the injuries, the amount or "不知道"."""
    return (bool(_NAMES_A_PLACE.search(part)) and not _names_time(part, now, lang)
            and not _DONT_KNOW.fullmatch(part) and not _HURT_WORDS.search(part)
            and not _NOBODY_HURT.search(part) and _amount_part([part], now, lang) is None
            and not _BARE_HURT_ANSWER.fullmatch(part)
            and not says_money(without_codes(part)))




# A part of an answer that can be a place ("家乐福停车场", "my flat"); "快点" or "thank you" is not.
_NAMES_A_PLACE = re.compile(
    r"[路街道巷弄区场店园门口院楼家库站桥村镇市县省层号室厂校馆里旁边堂厅房梯]|中心|小区|附近|公司|"
    r"单位|超市|商场|地铁|高速|隧道|\b(?:road|rd|street|st|avenue|ave|lane|home|house|flat|"
    r"apartment|park|station|office|school|garage|car ?park|parking|mall|shop|store|kitchen|"
    r"bedroom|bathroom|(?:living|dining) ?room|room|stairs|staircase|yard|garden|gym|canteen|"
    r"restaurant|hotel|toilet|balcony|floor|junction|highway|motorway|bridge|near|outside|"
    r"corner|building|market)\b",
    re.IGNORECASE,
)
_HOSPITAL_WORD = re.compile(r"医院|醫院|卫生院|衛生院|诊所|診所|中心|保健院|"
                            r"(?<![学法入住出进進])院|"
                            r"急诊|急診|hospital|clinic|medical cent", re.IGNORECASE)
# Parts end at commas and stops, but not at the thousands comma of "18,500".
_PARTS = re.compile(r"(?:[，;；。]|,(?!(?<=\d,)\d{3}(?!\d)))+")
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff\d])\s+(?=[\u4e00-\u9fff\d])")


def _parts_of(text: str) -> list[str]:
    """The message's parts: split at punctuation, and at spaces between Chinese words."""
    clean = _CJK_SPACE.sub("，", normalise(text)[:_MAX_FREE_TEXT])
    return [part.strip(" .!！?？") for part in _PARTS.split(clean) if part.strip(" .!！?？")]


def _names_time(part: str, now: datetime, lang: str) -> bool:
    parsed = parse_incident_datetime(part, now, lang)
    return parsed.date is not None or parsed.time is not None or parsed.part_of_day is not None \
        or parsed.reason is not None or says_time_unknown(part)


def _hospital_part(text: str, now: datetime, lang: str) -> str | None:
    """The part of a message that names a hospital and no day ("市第一医院，11月10日入院")."""
    return next((part for part in _parts_of(text) if _HOSPITAL_WORD.search(part)
                 and not _names_time(part, now, lang)), None)


def _interpret(
    draft: ReportDraft,
    asking: str,
    text: str,
    now: datetime,
    lang: str,
    *,
    intent: str | None = None,
) -> Answer:
    clean = _self_corrected(normalise(text)[:_MAX_FREE_TEXT], now, lang)
    stored = stored_value_answer(draft, clean, lang)
    if stored is not None:
        return Answer(draft, stored)
    named = named_correction(clean)
    if named is not None and (asking != "description" or _CORRECTION_CUE.search(clean)):
        return _named_answer(draft, asking, named, clean, now, lang, intent)
    if _CORRECTION_CUE.search(_HEDGE.sub("", clean, count=1)):
        # "不对,地点是…" in the middle of the questions: the named value replaces the old one.
        corrected = apply_correction(draft, clean, now, lang, at_summary=False)
        if corrected.changed or corrected.message:
            # A change made is not a failed answer, even when the asked question stays open.
            return replace(corrected, corrected=bool(corrected.changed))
    line = draft.line_of_business
    extracted = extract_report_fields(
        clean, now, lang, line_of_business=line, known_date=draft.incident_date
    )
    merged = merge_fields(draft, extracted)
    if asking != "description" and not extracted.kinds:
        # "中山路" answers where, not what happened: keep it out of the description.
        merged = replace(merged, description=draft.description)
    if asking in ("incident_time", "incident_hour"):
        return _answer_time(draft, merged, without_discharge(clean), now, lang)
    if asking == "injuries" and draft.injuries is None:
        # The answer in the customer's words ("肘部骨裂", "擦破点皮", "no one hurt but my wrist
        # is sore") is read here, not left to the account's reading of the whole message.
        merged = replace(merged, injuries=None)
    if getattr(merged, asking, None) is not None and asking not in ("description",):
        return Answer(merged, changed=_changed(draft, merged))
    if asking == "incident_type":
        kinds = incident_kinds(clean)
        incident_type = chosen_incident_type(line, clean) or resolve_incident_type(line, kinds)
        if incident_type is None and not kinds and extracted.when.future:
            # "it happened tomorrow at 9am": why the time is not kept, and the question again;
            # never taken for the account (found by an outside tester).
            return Answer(merged, say("report_type_time_in_future", lang),
                          _changed(draft, merged))
        if incident_type is None and not kinds and _changed(draft, merged):
            # "this morning at 2am", "in the car park of Walmart": the time or the place, kept;
            # what happened is still to tell, the types offered (not "I've noted what
            # happened", which it was not).
            return Answer(merged, say("report_type_after_other", lang), _changed(draft, merged),
                          choose_type=len(incident_types(line)) > 1)
        if incident_type is None and tells_what_happened(clean) and len(incident_types(line)) > 1:
            # "东西被弄坏了" says what happened but no type: kept as the account, the types
            # offered to pick from.
            kept = _with_account(merged, clean)
            return Answer(kept, say("report_type_choose", lang), _changed(draft, kept),
                          choose_type=True)
        if incident_type is None:
            return Answer(merged, say("report_ask.incident_type", lang), _changed(draft, merged))
        updated = replace(merged, incident_type=incident_type)
        return Answer(updated, changed=_changed(draft, updated))
    if asking == "injuries":
        value = injuries_answer(clean, intent)
        if value is None:
            return Answer(merged, say("report_ask.injuries", lang), _changed(draft, merged))
        updated = replace(merged, injuries=value)
        return Answer(updated, changed=_changed(draft, updated))
    if asking == "estimated_amount":
        return _answer_amount(draft, merged, clean, lang)
    if asking == "admission_date":
        # Only the day is asked: "12月2日 8点" names it, morning or evening.
        day = day_named(parse_incident_datetime(clean, now, lang))
        if day is None or day > to_local(now).date():
            return Answer(merged, say("report_ask.admission_date", lang), _changed(draft, merged))
        updated = replace(merged, admission_date=day)
        return Answer(updated, changed=_changed(draft, updated))
    if asking in _FREE_TEXT_FIELDS or asking == "description":
        if _DONT_KNOW.fullmatch(clean.strip(" .。!！")):
            updated = _declined(merged, asking)
        elif asking == "description" and merged.description != draft.description:
            updated = merged  # the message itself became the description
        else:
            # The customer's account keeps its words; a short answer loses "改一下 是…".
            value = (strip_correction_words(clean)
                     if asking != "description" or _CORRECTION_CUE.search(clean) else clean)
            place = _PLACE_CORRECTION.search(clean) if asking == "place" else None
            if place:
                value = strip_correction_words(place.group("place") or place.group("place_en"))
            if asking == "hospital":
                # "这个嘛，我想想啊，瑞金医院急诊，反正就是这么回事": the part naming it.
                value = _hospital_part(value, now, lang) or value
            if asking == "hospital":
                value = hospital_name(value)  # "市三院啊", "在市六院住了一个礼拜": 市三院, 市六院
            elif asking != "description":
                value = tidy_value(value)
            updated = replace(merged, **{asking: value})
            if asking == "place":
                # "家里厨房水管爆了": the place, and the rest is the account.
                value, rest = split_place(value)
                updated = _with_account(replace(merged, place=value), rest) if rest else replace(
                    merged, place=value)
        return Answer(updated, changed=_changed(draft, updated))
    return Answer(merged, changed=_changed(draft, merged))


_SENTENCE_CJK = re.compile(r"[\u4e00-\u9fff]")
_HAPPENED = re.compile(r"被|把|了|坏|掉|出事")


# "昨天，不对，前天", "yesterday, no wait, Saturday": the customer corrects themself.
_SELF_CORRECTION = re.compile(
    r"[,，。.\s]*(?:不对不对|不对|不是不是|no wait|no,? wait|wait,? no|sorry,? i mean|i mean)"
    r"[,，。.!！\s]*", re.IGNORECASE)


def _self_corrected(text: str, now: datetime, lang: str) -> str:
    """The message from its last self-correction on, when what it corrects is a time ("昨天，不对，
    前天" -> "前天"); the message as it is otherwise ("不对，地点是…" corrects the draft)."""
    parts = _SELF_CORRECTION.split(text)
    if len(parts) < 2 or not parts[-1].strip() or not parts[0].strip():
        return text
    if not _names_time(parts[0], now, lang) or not _names_time(parts[-1], now, lang):
        return text
    return parts[-1].strip()


def tells_what_happened(text: str) -> bool:
    """Whether an answer to "what happened" is an account in a sentence ("东西被弄坏了", "my
    things got ruined"), not a place, a "don't know" or a word or two."""
    bare = text.strip(" .。!！?？")
    if not bare or _DONT_KNOW.fullmatch(bare) or bare.startswith("/"):
        return False
    if _PLACE_LIKE.search(bare) and len(bare) <= 12 and not _HAPPENED.search(bare):
        return False
    return len(_SENTENCE_CJK.findall(bare)) >= 5 or len(re.findall(r"[A-Za-z]+", bare)) >= 4


def _with_account(draft: ReportDraft, text: str) -> ReportDraft:
    """The draft with `text` kept as (part of) the customer's account of what happened."""
    account = customer_account(text) or text
    if not draft.description:
        return replace(draft, description=account)
    if account in draft.description:
        return draft
    return replace(draft, description=f"{draft.description}；{account}"[:_MAX_FREE_TEXT])


def chosen_incident_type(line: str | None, text: str) -> str | None:
    """The incident type whose name (one of the buttons offered) the answer gives: typed as
    shown, inside a sentence ("就是人员受伤，我不知道还要怎么说") or with one character wrong
    ("车辆碰装"); None when it names none or several."""
    if not line:
        return None
    said = normalise(text).strip().lower()
    found: set[str] = set()
    for incident_type in incident_types(line):
        for language in ("zh", "en"):
            label = normalise(say(f"incident.{incident_type}", language)).strip().lower()
            if label and (label in said or _one_off_inside(label, said)):
                found.add(incident_type)
    return found.pop() if len(found) == 1 else None


def _one_off_inside(label: str, said: str) -> bool:
    """Whether `said` holds the Chinese `label` with one character replaced (labels of 4+
    characters: shorter ones are other words with one character changed, 医院 for 住院)."""
    if len(label) < 4 or len(said) < len(label) or not _SENTENCE_CJK.search(label):
        return False
    for start in range(len(said) - len(label) + 1):
        window = said[start:start + len(label)]
        if sum(a != b for a, b in zip(window, label, strict=True)) == 1:
            return True
    return False


def absorb_first_message(draft: ReportDraft, text: str, now: datetime, lang: str) -> ReportDraft:
    """What the message that started the report already says ("昨天下午三点在中山路被追尾了")."""
    clean = normalise(text)[:_MAX_FREE_TEXT]
    extracted = extract_report_fields(clean, now, lang, line_of_business=draft.line_of_business)
    merged = merge_fields(draft, extracted)
    if extracted.when.future and extracted.when.date is not None and not merged.has_time:
        # "今天上午十点…" said at 01:47: not the incident time; the customer is told why
        # (told_time_in_future) and the account's "今天" follows the day given instead.
        merged = replace(merged, future_day=extracted.when.date)
    if not extracted.kinds:
        merged = replace(merged, description=draft.description)  # "我要报案" says nothing yet
    elif merged.incident_type is None and extracted.line_hint:
        # Before the policy is known, "被追尾" still means a collision: read it by the line
        # the words point to; the policy check later says if the policy does not cover it.
        merged = replace(
            merged, incident_type=resolve_incident_type(extracted.line_hint, extracted.kinds)
        )
    return merged


def absorb_told_meanwhile(draft: ReportDraft, text: str, now: datetime,
                           lang: str) -> ReportDraft:
    """What a later message of the report already says while the identity check asks its own
    question ("昨天下午三点在中山路被追尾了，后保险杠坏了" given for the policy number): read as
    the first message is (absorb_first_message), its account added to the one already kept.
    The policy number, a date of birth or a phone number are the check's: never read here."""
    clean = normalise(text)[:_MAX_FREE_TEXT]
    if parse_policy_number(text) or parse_date_of_birth(without_reference_numbers(text)) \
            or not incident_kinds(clean):
        # Only a message that tells what happened: "不记得了" or "1234" is the check's answer.
        return draft
    return _with_account(absorb_first_message(draft, text, now, lang), clean)


def time_in_future_line(before: ReportDraft, after: ReportDraft, now: datetime,
                        lang: str) -> str | None:
    """Why the time a message gave was not kept, when it is still to come ("今天上午十点"
    said at 01:47): it cannot be in the future, and it will be asked again. None when the
    message gave no such time."""
    if after.future_day is None or after.future_day == before.future_day or after.has_time:
        return None
    return say("report_time_in_future", lang,
               now=clock_text(to_local(now), lang, named=True))


def told_meanwhile(before: ReportDraft, after: ReportDraft) -> bool:
    """Whether absorb_told_meanwhile kept anything from the message."""
    return replace(after, language=before.language) != before


_CONFIRM = re.compile(
    r"^(对|对的|是|是的|好|好的|可以|确认|没问题|没错|提交|ok|okay|yes|yep|yeah|correct|confirm|"
    r"that'?s right|submit)[\s,.!。！,]*$",
    re.IGNORECASE,
)


def is_confirmation(text: str, intent: str | None = None) -> bool:
    """A plain yes to the summary ("对", "没问题", "yes"), whatever the model made of it."""
    clean = normalise(text)
    if _CONFIRM.match(clean):
        return True
    # "地点是北四环学院桥东200米" may look like a yes to the model: it is a correction.
    return intent == "affirm" and not names_a_change(clean)


def names_a_change(text: str) -> bool:
    """Whether a message names a field or a new value ("地点是…", "make it 2500", "不对…")."""
    clean = normalise(text)
    return bool(_CORRECTION_CUE.search(clean) or _PLACE_CORRECTION.search(clean)
                or any(pattern.search(clean) for pattern in _FIELD_WORDS.values()))


def strip_correction_words(text: str) -> str:
    """The value without the words that introduce a correction ("改一下 是X" -> "X")."""
    stripped = _CORRECTION_LEAD.sub("", text or "").strip(" ,，。.!！")
    return stripped or (text or "").strip()


def stored_value_answer(draft: ReportDraft, text: str, lang: str) -> str | None:
    """The reply to a question about what the draft holds ("did that go in as 2500 or 2000?",
    "地点记的是哪里？"): the stored value, worded as the summary shows it; None when the
    message asks no such question."""
    clean = normalise(text)
    if not _STORED_QUESTION.search(clean):
        return None
    for name, pattern in _FIELD_WORDS.items():
        if not pattern.search(clean):
            continue
        if name == "estimated_amount":
            value = money(draft.estimated_amount, lang) if draft.estimated_amount else None
        elif name == "incident_at":
            value = _when_text(draft, lang)
            value = None if value == "-" else value
        else:
            value = getattr(draft, name)
        if value is None:
            return say("report_stored_none", lang)
        return say("report_stored_value", lang, value=value)
    return None


# Injuries in the customer's words, beyond "受伤" / "hurt".
_HURT_WORDS = re.compile(
    r"受伤|受了伤|伤了|伤到|撞伤|摔伤|擦伤|划伤|割伤|扭伤|挫伤|骨折|骨裂|擦破|破皮|破了皮|流血|出血|"
    r"摔青|淤青|青了|肿了|缝针|包扎|包了一下|疼|痛|住院|送医|救护车|"
    r"injur|\bhurt\b|sore|bruis|sprain|fractur|broke|\bcut\b|graze|scratch|swollen|stitches|"
    r"bleed|pain|aches?\b|ambulance|流了?(?:很多|好多|不少|一地|一身|一脸)?的?血|满(?:脸|身|头)(?:都)?是?血",
    re.IGNORECASE,
)
_NOBODY_HURT = re.compile(
    r"(?:没有?|无|未)人?(?:员)?(?:受伤|伤亡|事)|人(?:都|也)?没(?:有)?(?:事|受伤)|没受伤|都没事|"
    r"no(?:body| one|-one)\s+(?:was\s+|got\s+|is\s+)?(?:hurt|injured)|no injur|"
    r"not (?:hurt|injured)|(?:everyone|everybody) (?:is|was) (?:fine|ok|okay|alright)|"
    r"nobody hurt|unhurt",
    re.IGNORECASE,
)
# "没人受伤，就是手腕有点疼" / "no one hurt but my wrist is sore": what follows is an injury.
_BUT = re.compile(r"但是|但|不过|就是|只是|除了|\bbut\b|\bexcept\b|\bthough\b|\bapart from\b",
                  re.IGNORECASE)


def injuries_answer(text: str, intent: str | None = None) -> bool | None:
    """The answer to "有人受伤吗？": True, False, or None when it says neither."""
    clean = normalise(text or "")
    parts = _BUT.split(clean, maxsplit=1)
    if len(parts) == 2 and _HURT_WORDS.search(parts[1]) and not _NOBODY_HURT.search(parts[1]):
        return True
    if _NOBODY_HURT.search(clean):
        return False
    if _HURT_WORDS.search(clean):
        return True
    return _yes_no(clean, intent)


# "不知道" / "不清楚" / "not sure": no answer, never a "no" (issue 19: the summary said nobody
# was hurt though the customer never said so).
_UNSURE = re.compile(r"不知道|不清楚|不确定|不晓得|说不准|不好说|跳过|\bskip|\bnot sure\b|"
                     r"\bno idea\b|(?:don'?t|do not) know|\bunsure\b", re.IGNORECASE)


def _yes_no(text: str, intent: str | None) -> bool | None:
    if _UNSURE.search(text):
        return None
    if intent == "affirm" or _YES.search(text):
        return True
    if intent == "deny" or _NO.search(text):
        return False
    return None


def _answer_amount(before: ReportDraft, merged: ReportDraft, text: str, lang: str) -> Answer:
    if _DONT_KNOW.search(text):
        updated = _declined(merged, "estimated_amount")
        return Answer(updated, changed=_changed(before, updated))
    parsed = parse_amount(without_codes(text))  # "B2" / "3F" is a floor, never money
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
    parsed = parse_incident_datetime(text, now, lang, known_date=before.incident_date)
    if before.incident_date is not None and _DONT_KNOW.search(text) \
            and parsed.time is None and parsed.reason != AM_PM:
        # "记不清了" (and no hour): the day without it. "记不清了 8点多吧" names the hour.
        updated = _declined(merged, "incident_hour")
        return Answer(updated, changed=_changed(before, updated))
    if parsed.complete and not parsed.future and not parsed.ambiguous:
        updated = replace(merged, incident_at=parsed.at, pending_times=())
        return Answer(updated, changed=_changed(before, updated))
    offered = tuple(datetime.fromisoformat(value) for value in before.pending_times)
    chosen = choose_reading(text, offered)
    if chosen is not None:
        # "上午" to "上午10点还是晚上10点？": the reading it picks.
        updated = replace(merged, incident_at=from_local(chosen.date(), chosen.hour,
                                                         chosen.minute), pending_times=())
        return Answer(updated, changed=_changed(before, updated))
    if (before.incident_date is None and merged.incident_date is not None
            and merged.incident_at is None and says_time_unknown(text)):
        # "2026年11月16日 不记得几点了": the day, and the hour is not asked after all.
        if parsed.part_of_day is not None and parsed.date is not None:
            updated = accept_part_of_day(merged, parsed.date, parsed.part_of_day)
        else:
            updated = _declined(merged, "incident_hour")
        return Answer(updated, changed=_changed(before, updated))
    day = day_named(parsed)
    now_local = to_local(now).replace(tzinfo=None)
    within = _reading_in_part(parsed.alternatives, before.incident_part, now_local)
    if parsed.reason == AM_PM and within is not None:
        # "Saturday morning" then "around 10": 10am, the part of the day already given.
        updated = replace(merged, incident_at=from_local(within.date(), within.hour,
                                                         within.minute), pending_times=())
        return Answer(updated, changed=_changed(before, updated))
    if _CONFIRM.match(text) and before.incident_date is not None:
        # "yes" to "roughly what time?": not a "don't know"; the hour is asked for plainly.
        return Answer(merged, say("report_hour_after_yes", lang), _changed(before, merged))
    if (parsed.reason == AM_PM and day is not None and before.incident_date is None
            and merged.line_of_business in DAY_IS_ENOUGH and not parsed.future):
        # "11月28日 10点" for a hospital stay: the day is what is asked; "上午还是晚上？" is not.
        updated = replace(merged, incident_date=day, pending_times=())
        return Answer(updated, changed=_changed(before, updated))
    if (parsed.reason == AM_PM and day is not None and before.incident_date is None
            and any(value <= now_local for value in parsed.alternatives)):
        # "12月2日 8点": the day is known, only morning or evening is asked back.
        updated = replace(merged, incident_date=day, pending_times=tuple(
            value.isoformat() for value in parsed.alternatives))
        return Answer(updated, clarify_question(parsed, lang), _changed(before, updated))
    if parsed.date is not None and parsed.reason == HOUR_UNKNOWN and not parsed.future:
        if before.incident_date is not None and parsed.part_of_day is not None:
            # Asked the hour, told "上午" / "in the morning": an approximate answer, taken as one.
            updated = accept_part_of_day(merged, parsed.date, parsed.part_of_day)
            return Answer(updated, changed=_changed(before, updated))
        updated = replace(merged, incident_date=parsed.date)
        if merged.line_of_business in DAY_IS_ENOUGH:
            return Answer(updated, changed=_changed(before, updated))  # the day of the stay
        return Answer(updated, say("when_ask_hour", lang), _changed(before, updated))
    if (merged.line_of_business in DAY_IS_ENOUGH and parsed.date is not None
            and parsed.time is None and parsed.reason is None and not parsed.ambiguous
            and not parsed.future):
        # "2026年11月17日" for a hospital stay: the day is all that is asked.
        updated = replace(merged, incident_date=parsed.date)
        return Answer(updated, changed=_changed(before, updated))
    question = clarify_question(parsed, lang) or say("when_ask", lang)
    return Answer(merged, question, _changed(before, merged))


_DISCHARGE_FILLER = re.compile(r"还有|另外|我是|是|的|了|and|also|i was|[\s,，。.!！]",
                               re.IGNORECASE)
_NOT_THIS_BUT = re.compile(
    r"^\s*(?:不对|不對|错了)?[\s,，]*不是(?P<old>[^,，。;；]+?)[\s,，]*(?:而|应该|應該)?是(?P<new>.+)$"
    r"|^\s*(?:no[\s,]+)?(?:it'?s\s+)?not\s+(?P<old_en>[^,;]+?)[\s,]+(?:but\s+|it'?s\s+)(?P<new_en>.+)$",
    re.IGNORECASE)


def _not_this_but_that(draft: ReportDraft, text: str, now: datetime, lang: str) -> str | None:
    """"不是五千 是六千二" / "不是中山路，是人民路" / "not 5000 but 6200": the field whose value
    is the first one, said the way a correction names it ("金额是六千二"); None when the first
    value is none of the draft's."""
    match = _NOT_THIS_BUT.match(text)
    if not match:
        return None
    old = (match.group("old") or match.group("old_en") or "").strip()
    new = (match.group("new") or match.group("new_en") or "").strip(" 。.!！")
    if not old or not new:
        return None
    words = {"estimated_amount": "金额是", "place": "地点是", "hospital": "医院是",
             "incident_time": "时间是"}
    amount = parse_amount(old)
    if amount.ok and draft.estimated_amount is not None \
            and Decimal(str(draft.estimated_amount)) == amount.amount:
        field = "estimated_amount"
    elif draft.place and (old in draft.place or draft.place in old):
        field = "place"
    elif draft.hospital and (old in draft.hospital or draft.hospital in old):
        field = "hospital"
    elif _names_time(old, now, lang):
        field = "incident_time"
    elif parse_amount(new).ok and draft.estimated_amount is not None \
            and not _NAMES_A_PLACE.search(new):
        field = "estimated_amount"  # "不是五千 是六千二" when the amount was another figure
    elif _NAMES_A_PLACE.search(new) and not _names_time(new, now, lang):
        field = "place"  # "不是中山路 是人民路" when the place was written another way
    else:
        return None
    return words[field] + new


def apply_correction(draft: ReportDraft, text: str, now: datetime, lang: str, *,
                     at_summary: bool = True) -> Answer:
    """A correction at the summary ("不对,时间是四点"): what the message says replaces the draft's
    value; a time alone moves the hour on the day already given. A day corrected is corrected
    in the account too (account_on_day)."""
    answer = _apply_correction(draft, text, now, lang, at_summary=at_summary)
    fixed = account_on_day(draft, answer.draft, now, lang)
    if fixed is answer.draft:
        return answer
    return replace(answer, draft=fixed, changed=_changed(draft, fixed))


# Words in the account that name a day: relative ones and a month and day in figures.
_DAY_WORDS_IN_ACCOUNT = re.compile(
    r"大前天|前天|昨天|昨日|今天|今日|明天|后天|\b(?:today|yesterday|tomorrow)\b"
    r"|(?:\d{4}年)?\d{1,2}月\d{1,2}[日号]"
    r"|\b\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4}\b",
    re.IGNORECASE)


def account_on_day(before: ReportDraft, after: ReportDraft, now: datetime,
                   lang: str) -> ReportDraft:
    """`after` with the account ("经过") naming the incident's day as it now stands: when the
    day changed from the one before (or from a time still to come, `future_day`), the words in
    the account that named the old day ("今天上午十点…" corrected to 昨天) name the new one
    (its date, which stays true whenever the claim is read). Other days the account names
    ("前天买的车") are left as they are."""
    if after.future_day is None and (before.incident_at, before.incident_date) == (
            after.incident_at, after.incident_date):
        return after  # the time did not move
    day = _day_of(after)
    old_days = {old for old in (_day_of(before), before.future_day) if old is not None}
    if day is None:
        return after
    if after.future_day is not None:
        after = replace(after, future_day=None)  # the real day is known now
    old_days.discard(day)
    if not after.description or not old_days:
        return after

    def named_day(match: re.Match) -> str:
        named = parse_incident_datetime(match.group(0), now, lang).date
        return date_text(day, lang) if named in old_days else match.group(0)

    account = _DAY_WORDS_IN_ACCOUNT.sub(named_day, after.description)
    return after if account == after.description else replace(after, description=account)


def _apply_correction(draft: ReportDraft, text: str, now: datetime, lang: str, *,
                      at_summary: bool) -> Answer:
    clean = normalise(text)
    if at_summary and _BARE_NO.match(clean):
        # "不对" alone: which field is asked, not "I didn't understand".
        return Answer(draft, say("report_what_to_correct", lang))
    left = _discharge_day(clean, now, lang)
    if left is not None:
        # "还有 我是这个月3号出院的": the day of leaving, not the day it happened.
        draft_before, draft = draft, replace(draft, discharge_date=left)
        rest = without_discharge(clean) if discharge_parts(clean) else clean
        if rest == clean or not re.search(r"\w{2,}", _DISCHARGE_FILLER.sub("", rest)):
            return Answer(draft, changed=_changed(draft_before, draft))
        clean = rest
    renamed = _not_this_but_that(draft, clean, now, lang)
    if renamed is not None:
        clean = renamed
    named = named_correction(clean)
    if named is not None:
        return _named_answer(draft, "confirm", named, clean, now, lang, None)
    blank = ReportDraft(line_of_business=draft.line_of_business, language=draft.language)
    extracted = extract_report_fields(
        drop_negated_day(clean), now, lang, line_of_business=draft.line_of_business,
        known_date=_day_of(draft),
    )
    fresh = merge_fields(blank, extracted)
    updates: dict[str, Any] = {}
    for name in ("incident_type", "place", "injuries", "estimated_amount", "plate",
                 "police_called", "police_report_no", "hospital", "contact_phone"):
        value = getattr(fresh, name)
        if value is not None:
            updates[name] = value
    place = _PLACE_CORRECTION.search(clean)
    if place:
        # The words after "地点是" / "the address should be" are the place, whatever else the
        # sentence says ("…14 Elm Road not just home").
        named = strip_correction_words((place.group("place") or place.group("place_en")).strip())
        if named:
            updates["place"] = named
    if "estimated_amount" not in updates and _AMOUNT_CORRECTION.search(clean):
        amount = parse_amount(without_codes(clean))
        if amount.ok:
            updates["estimated_amount"] = amount.amount  # "make it 2500": not a year, not a time
            updated = replace(draft, **updates)
            return Answer(updated, changed=_changed(draft, updated))
    if extracted.when.found:
        nearest = _nearest_reading(draft, extracted.when.alternatives)
        if fresh.incident_at is not None:
            updates["incident_at"] = fresh.incident_at
        elif nearest is not None:
            updates["incident_at"] = nearest
        elif fresh.incident_date is not None and (
                fresh.incident_date != _day_of(draft)
                or (fresh.incident_part and fresh.incident_part != draft.incident_part)):
            # "时间应该是15号晚上不是早上": another day, or another part of the same day.
            updates.update(_moved_day(draft, fresh.incident_date, fresh.incident_part))
    if extracted.when.future:
        return Answer(draft, say("when_future", lang))
    bare = strip_correction_words(clean)
    if not updates and _HOSPITAL_NAME.fullmatch(bare):
        # "华山医院" alone at the summary: the hospital (the place, where the line has one).
        field_name = ("hospital" if draft.line_of_business in _PLACE_IS_HOSPITAL
                      or draft.hospital else "place")
        updates[field_name] = bare
    if not updates and _PLACE_LIKE.search(clean) and not _NAMES_THE_TIME.search(clean):
        # "改一下 是北四环学院桥往东200米": no field named, but only a place reads this way.
        updates["place"] = strip_correction_words(clean)
    updated = replace(draft, **updates)
    return Answer(updated, changed=_changed(draft, updated))


_DAY_WORDS = (r"(?:(?:on\s+)?(?:the\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
              r"|yesterday|today|morning|afternoon|evening|night)(?:\s+(?:morning|afternoon"
              r"|evening|night))?)")
# "sunday not saturday", "不是周六，是周日": the day denied is not the day meant.
_NEGATED_DAY = re.compile(
    rf"\b(?:not|rather than|instead of)\s+{_DAY_WORDS}\b"
    r"|(?:而)?不是(?:在)?(?:(?:上|这|本)?(?:周|星期|礼拜)[一二三四五六日天]|大?前天|昨天|今天"
    r"|上午|下午|中午|晚上|早上|凌晨|\d{1,2}[号日])",
    re.IGNORECASE,
)


def drop_negated_day(text: str) -> str:
    """`text` without the day it denies ("actually it was sunday not saturday" -> "…sunday")."""
    return _NEGATED_DAY.sub(" ", text or "")


def _moved_day(draft: ReportDraft, day: date, part: str | None) -> dict[str, Any]:
    """A correction that names only another day: the hour or part of the day already given
    stays ("it was sunday not saturday" keeps 10:00, or the morning)."""
    if draft.incident_at is not None and part is None:
        local = to_local(draft.incident_at)
        return {"incident_at": from_local(day, local.hour, local.minute), "incident_date": day,
                "pending_times": ()}
    return {"incident_at": None, "incident_date": day,
            "incident_part": part or draft.incident_part, "pending_times": ()}


_PART_HOURS = {"early_morning": range(0, 6), "morning": range(5, 12), "noon": range(11, 14),
               "afternoon": range(12, 19), "evening": range(17, 24), "night": range(20, 24)}


def _reading_in_part(alternatives: tuple, part: str | None,
                     now_local: datetime) -> datetime | None:
    """Of "10am or 10pm", the one reading inside the part of the day already said."""
    hours = _PART_HOURS.get(part or "")
    if hours is None:
        return None
    fitting = [value for value in alternatives
               if isinstance(value, datetime) and value.hour in hours and value <= now_local]
    return fitting[0] if len(fitting) == 1 else None


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
        ("police", yes_no.get(draft.police_called) if draft.police_called is not None else None),
        ("amount", money(draft.estimated_amount, lang) if draft.estimated_amount else None),
        ("what", draft.description),
    ]
    lines = [say(f"summary.{label}", lang, value=value) for label, value in rows
             if value not in (None, "", "-")]
    return "\n".join(lines)


_NOT_SAME = re.compile(
    r"^(?:不是|不|没有|不对|no\b|nope|not the same|different|another)|不是同一|另一件|两回事|不同的"
    r"|a different|another (?:one|accident|incident)|not the same",
    re.IGNORECASE,
)
_SAME = re.compile(r"同一件|就是那|是那件|same (?:one|incident|thing)|that one", re.IGNORECASE)


# "No, this is a different incident": an answer to "是同一件事吗？", never "someone else" (the model
# may read "different"/"another" as switching customers).
_ANOTHER_INCIDENT = re.compile(
    r"(?:different|another|separate|not the same)\s+(?:incident|accident|claim|thing|event|case)"
    r"|不是同一(?:件|个|次|回)|另一(?:件|次|起)(?:事|事故)?|另外一(?:件|次|起)|两回事",
    re.IGNORECASE,
)


_ANOTHER_REPORT = re.compile(
    r"还要报|再报一|还有一个案|另外(?:还有)?一个案|又(?:出了)?一(?:件|个)事|再报个|"
    r"\b(?:another|one more|a second|a new)\s+(?:claim|one|incident|report)\b",
    re.IGNORECASE)


def asks_for_another_report(text: str) -> bool:
    """Whether a message at a report's summary starts another report ("我还要报一个案，车窗被砸了",
    "I need to report another one") rather than correcting this one."""
    return bool(_ANOTHER_REPORT.search(normalise(text or "")))


def says_another_incident(text: str) -> bool:
    return bool(_ANOTHER_INCIDENT.search(normalise(text or "")))


def same_incident_reply(text: str, intent: str | None = None) -> bool | None:
    """The answer to "是同一件事吗？": True (the same), False (another incident), None (neither)."""
    clean = normalise(text)
    if intent == "deny" or _NOT_SAME.search(clean):
        return False
    if _SAME.search(clean) or is_confirmation(clean, intent):
        return True
    return None


# --- a correction that names its field ("地点不对，是X", "金额不对，还不知道多少钱") ------------

_FIELD_NAMES: tuple[tuple[str, str], ...] = (
    ("hospital", r"医院(?:的)?(?:名字|名称)?|hospital(?:'s)?(?: name)?"),
    ("place", r"地点|地址|位置|地方|事发地(?:点)?|\bplace\b|\baddress\b|\blocation\b"),
    ("estimated_amount", r"金额|损失|费用|钱数|估损|\bamount\b|\bloss\b|\bcost\b|\bestimate\b"),
    ("description", r"经过|描述|\bdescription\b"),
)
_FIELD_ALT = "|".join(f"(?P<{name}>{pattern})" for name, pattern in _FIELD_NAMES)
_WRONG_WORDS = (r"不对|错了|写错了|记错了|说错了|搞错了|弄错了|有误|不准确|不是这个|不是这里"
                r"|is wrong|was wrong|isn'?t right|is not right|is incorrect")
_THEN_VALUE = (r"(?:应该是|应当是|其实是|实际是|正确的是|改成|改为|换成|写成|是|在|为|:|："
               r"|should be|is actually|was actually|it'?s|it was|to)?")
# "地点不对，是X" / "医院名字写错了，是X" / "金额不对，还不知道多少钱": the field, then what it is.
_NAMED_WRONG = re.compile(
    rf"(?:{_FIELD_ALT})\s*(?:也|都|好像|可能)?\s*(?:{_WRONG_WORDS})[\s,，。.:：!！;；]*"
    rf"{_THEN_VALUE}\s*(?P<value>.*)$",
    re.IGNORECASE,
)
# "地点是X" / "不对，地点改成X" / "金额应该是3000": the field named, then its value.
_NAMED_IS = re.compile(
    rf"^(?:[^,，。.;；!！?？]{{0,12}}?[,，\s]*)?(?:the\s+)?(?:{_FIELD_ALT})\s*"
    r"(?:(?:应该|应当|其实|实际|正确的)?(?:改成|改为|换成|写成|是|在|为|:|：)"
    r"|\s+(?:should\s+(?:be|say|read)|is|was|to)\b)\s*(?:actually\s+)?(?P<value>.+)$",
    re.IGNORECASE,
)


def _more_of_the_place(rest: str) -> bool:
    """Whether the part that follows a comma in "地点是…" still names the place ("kitchen",
    "3号楼") rather than telling something else ("被追尾了")."""
    part = re.split(r"[,，。;；!！?？]", rest, maxsplit=1)[0].strip()
    return bool(part) and len(part) <= 30 and bool(_NAMES_A_PLACE.search(part)) \
        and not incident_kinds(part) and not _CORRECTION_CUE.search(part)


_VALUE_END = re.compile(r"[,，。;；!！?？]|\s+(?:not|instead|rather)\b|不是", re.IGNORECASE)


_ASKS_BACK = re.compile(r"[?？]\s*$|吗\s*$|是不是|要不要|可不可以|能不能", re.IGNORECASE)
_NOT_A_VALUE = re.compile(r"fine|ok|okay|right|correct|good|对的|对|没问题|没错|正确|可以",
                          re.IGNORECASE)
_UNKNOWN_VALUE = re.compile(r"unknown|不详|未知|待定|还没(?:定|估)", re.IGNORECASE)


@dataclass(frozen=True)
class NamedCorrection:
    """A message that names the field it corrects; `value` is None when it names none yet;
    `before` is what the message says ahead of the field's name ("没人受伤，损失是3000")."""

    field: str
    value: str | None
    before: str = ""


_PLACE_IS_HOSPITAL = ("medical", "critical_illness")
_BARE_NO = re.compile(r"^\s*(?:不对|不是|错了|有错|写错了|不正确|有问题|no|nope|wrong|that'?s wrong"
                      r"|not right|incorrect)[\s,，.。!！]*$", re.IGNORECASE)
_HOSPITAL_NAME = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]{1,20}(?:医院|卫生院|诊所|医疗中心)"
                            r"|(?:[A-Z][\w'.-]*\s+){1,5}(?:Hospital|Clinic)")


def _named_answer(draft: ReportDraft, asking: str, named: NamedCorrection, text: str,
                  now: datetime, lang: str, intent: str | None) -> Answer:
    """An answer that names a field: that field is set, whatever question was asked; the
    words before it still answer the question; otherwise the question is asked again."""
    if named.field == "place" and draft.line_of_business in _PLACE_IS_HOSPITAL:
        named = replace(named, field="hospital")  # a hospital stay's place is the hospital
    fixed = _apply_named(draft, named, lang)
    if "hospital" in fixed.changed and draft.place and fixed.draft.hospital and (
            draft.place == draft.hospital or _HOSPITAL_WORD.search(draft.place)):
        # "医院说错了，是第一人民医院": the place that named the old hospital follows it.
        synced = replace(fixed.draft, place=fixed.draft.hospital)
        fixed = replace(fixed, draft=synced, changed=_changed(draft, synced))
    asked = {"incident_hour": "incident_time"}.get(asking, asking)
    if not fixed.changed and not fixed.message and getattr(draft, named.field) is not None:
        # "地点是华山医院" when it already is: said so, not "I didn't understand".
        value = getattr(draft, named.field)
        shown = money(value, lang) if named.field == "estimated_amount" else value
        label = say(f"correct_field.{named.field}", lang)
        if asking in ("confirm", "") or named.field == asked:
            return Answer(draft, say("report_field_already", lang, field=label, value=shown),
                          corrected=True)
        question = _question_for(draft, asking, lang)
        return Answer(draft, say("report_field_already_then", lang, field=label, value=shown,
                                 question=question), corrected=True)
    if named.field == asked or not asking or asking == "confirm":
        return fixed
    before = named.before.strip(" ,，。.;；!！")
    if len(before) >= 2 and not _CORRECTION_LEAD.fullmatch(before):
        inner = _interpret(fixed.draft, asking, before, now, lang, intent=intent)
        return replace(inner, changed=_changed(draft, inner.draft))
    question = _question_for(fixed.draft, asking, lang)
    if fixed.message:
        return Answer(fixed.draft, fixed.message, fixed.changed, corrected=True)
    label = say(f"correct_field.{named.field}", lang)
    value = getattr(fixed.draft, named.field)
    if value is None:
        message = say("report_corrected_unknown_then", lang, field=label, question=question)
    else:
        shown = money(value, lang) if named.field == "estimated_amount" else value
        message = say("report_corrected_then", lang, field=label, value=shown, question=question)
    return Answer(fixed.draft, message, fixed.changed, corrected=True)


def _question_for(draft: ReportDraft, asking: str, lang: str) -> str:
    """The question about `asking` as the form asks it: with what is asked together with it
    ("好的，地点已改为：X。" then the same list again, not only its first line)."""
    fields = question_fields(missing_fields(draft))
    if fields and fields[0] == asking:
        return question_text(fields, lang, draft.line_of_business)
    return say(f"report_ask.{asking}", lang)


def named_correction(text: str) -> NamedCorrection | None:
    """"地点不对，是虹桥天地B2" -> place; "金额不对，还不知道多少钱" -> the amount, unknown;
    "医院名字写错了，是市第一人民医院" -> hospital; "地点是X" answered to any question -> place.
    None when the message names no field this way."""
    clean = to_simplified(normalise(text or "")).strip()
    if _ASKS_BACK.search(clean):
        return None  # "地方是不是要写详细地址？" asks, it does not correct
    match = _NAMED_WRONG.search(clean) or _NAMED_IS.search(clean)
    if not match:
        return None
    name = next(key for key, _ in _FIELD_NAMES if match.group(key))
    before = clean[:match.start(name)]
    value = match.group("value") or ""
    if name in ("place", "hospital", "description"):
        if name != "description":
            cut = _VALUE_END.search(value)
            while name == "place" and cut and cut.start() > 0 and cut.group() in ",，" \
                    and _more_of_the_place(value[cut.end():]):
                # "the place is my flat, kitchen": the part after the comma names the place too.
                cut = _VALUE_END.search(value, cut.end())
            if cut and cut.start() > 0:
                after = value[cut.end():]
                # "地点是中山路，被追尾了": the words after the place still say something.
                if not re.match(r"\s*(?:不是|not\b|instead|rather)", value[cut.start():], re.I):
                    before = f"{before}，{after}" if before else after
                value = value[:cut.start()]
        value = strip_correction_words(value.strip(" ,，。.!！:：")) if value.strip(
            " ,，。.!！:：") else ""
    value = value.strip()
    if _NOT_A_VALUE.fullmatch(value.strip(" .。!！")):
        return None  # "the place is fine": nothing to change
    return NamedCorrection(name, value or None, before)


def _apply_named(draft: ReportDraft, named: NamedCorrection, lang: str) -> Answer:
    """The draft with the named field set to what the message says it is; asked back when it
    says only that the field is wrong."""
    label = say(f"correct_field.{named.field}", lang)
    if named.value is None:
        return Answer(draft, say("report_correct_which_value", lang, field=label))
    if named.field == "estimated_amount":
        if _DONT_KNOW.search(named.value) or _UNKNOWN_VALUE.search(named.value):
            updated = replace(_declined(draft, "estimated_amount"), estimated_amount=None)
            return Answer(updated, changed=_changed(draft, updated))
        parsed = parse_amount(without_codes(named.value))
        if not parsed.ok:
            return Answer(draft, say(parsed.reply_key or "amount_unclear", lang))
        updated = replace(draft, estimated_amount=parsed.amount)
        return Answer(updated, changed=_changed(draft, updated))
    if named.field == "place":
        place, rest = split_place(named.value)
        updated = replace(draft, place=place)
        if rest and not draft.description:
            updated = replace(updated, description=rest)
        return Answer(updated, changed=_changed(draft, updated))
    value = named.value[:_MAX_FREE_TEXT]
    if named.field == "hospital":
        value = hospital_name(value)  # "医院说错了 就是市六院": 市六院
    updated = replace(draft, **{named.field: value})
    return Answer(updated, changed=_changed(draft, updated))
