"""When an incident happened, read from what customers write in Chinese or English and resolved
against `now` in the settings timezone. Ambiguous readings are flagged for an ask-back, never
guessed.

Reading rules (decided here, tested in tests/bot/test_dates.py):
- Weeks run Monday to Sunday (the Chinese and ISO calendar week). 上周五 is the Friday of the
  previous calendar week, 这周一/本周一 the Monday of this one (a day still to come is reported as
  `future`).
- A bare weekday (周三, "on Wednesday") is the most recent such day, because an incident lies in
  the past; on that very weekday it could be today or a week ago: ambiguous (WEEKDAY_IS_TODAY).
- English "last Tuesday" is the most recent Tuesday before today, as it is used in speech
  ("last Friday" said on a Sunday is two days ago); "this Tuesday" is the one of this week.
- A clock hour 1-12 without 上午/下午/am/pm/晚上 ("3点", "at 3") is ambiguous (AM_PM), unless the
  day is known and only one of the two readings lies in the past ("今天8点" said at 10:00 is 08:00).
  24-hour forms (15:30, 09:30 with a leading zero, 0-23 点 above 12) are taken as written.
- A part of the day without an hour (前天晚上, "this morning") gives the date and the part, with
  HOUR_UNKNOWN: the hour is asked, not invented.
- 晚上/夜里 1-5 点 on a named day ("昨晚两点") may be that night after midnight or the morning of
  the same date: ambiguous (AFTER_MIDNIGHT). 晚上12点 and "midnight" are 00:00 of the next day;
  凌晨 hours belong to the day named.
- A month and day without a year, and a day of the month alone (20号, "the 20th"), are the
  occurrence nearest to today (a past one on a tie); one up to a month ahead is taken and
  reported as `future` (a slip to correct, not a year-old incident), a later one means last year.
- 20/11 is day first when that is the only valid reading; 05/11 could be either: DAY_MONTH_ORDER.
- Two different days or times in one message: CONFLICT. Vague spans (上周, 前几天, "last week",
  周末): DAY_UNKNOWN. Impossible dates (2月30日): INVALID_DATE.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Iterator

from bot.clock import as_utc_naive, from_local, to_local
from bot.language import to_simplified
from bot.parsing import normalise_digits, parse_number_words
from bot.replies import date_text, say

# Parts of the day and the hour each starts at (used to tell whether "今晚" still lies ahead).
EARLY_MORNING = "early_morning"
MORNING = "morning"
NOON = "noon"
AFTERNOON = "afternoon"
EVENING = "evening"
NIGHT = "night"
PART_STARTS = {EARLY_MORNING: 0, MORNING: 5, NOON: 11, AFTERNOON: 12, EVENING: 17, NIGHT: 21}

# Why a reading needs an ask-back.
AM_PM = "am_pm"
HOUR_UNKNOWN = "hour_unknown"
WEEKDAY_IS_TODAY = "weekday_is_today"
AFTER_MIDNIGHT = "after_midnight"
DAY_MONTH_ORDER = "day_month_order"
DAY_UNKNOWN = "day_unknown"
CONFLICT = "conflict"
INVALID_DATE = "invalid_date"


@dataclass(frozen=True)
class ParsedDateTime:
    """What one message says about when something happened (local wall-clock date and time).

    `alternatives` holds the readings to offer in an ask-back (dates, or local datetimes).
    """

    date: date | None = None
    time: time | None = None
    part_of_day: str | None = None
    ambiguous: bool = False
    reason: str | None = None
    future: bool = False
    approximate: bool = False
    alternatives: tuple[date | datetime | time, ...] = ()
    found: bool = False

    @property
    def complete(self) -> bool:
        """Date and time both known and nothing to ask back."""
        return self.date is not None and self.time is not None and not self.ambiguous

    @property
    def needs(self) -> tuple[str, ...]:
        """What is still to ask: 'date' and/or 'time'."""
        return tuple(
            name
            for name, value in (("date", self.date), ("time", self.time))
            if value is None
        )

    @property
    def local(self) -> datetime | None:
        """The naive local datetime, when date and time are known."""
        if self.date is None or self.time is None:
            return None
        return datetime.combine(self.date, self.time)

    @property
    def at(self) -> datetime | None:
        """The naive UTC datetime the store keeps, when date and time are known."""
        if self.date is None or self.time is None:
            return None
        return from_local(self.date, self.time.hour, self.time.minute)


    @property
    def precision(self) -> str | None:
        """How much of the moment is known: EXACT (day and hour), PART_OF_DAY (day and 上午 /
        "evening"), DAY (a day without an hour); None when the day itself is still to ask."""
        if self.date is None or self.future:
            return None
        if self.time is not None and not self.ambiguous:
            return EXACT
        if self.reason not in (None, HOUR_UNKNOWN):
            return None
        return PART_OF_DAY if self.part_of_day is not None else DAY


Parsed = ParsedDateTime  # the name the issue uses

# How precisely an incident time is known: stored on the draft and the claim, shown to agents.
EXACT = "exact"
PART_OF_DAY = "part_of_day"
DAY = "day"
UNKNOWN = "unknown"
PRECISIONS = (EXACT, PART_OF_DAY, DAY, UNKNOWN)

_TIME_UNKNOWN_RE = re.compile(
    r"不记得|记不清|记不得|记不起|想不起|忘了|忘记了|不知道|不清楚|说不准|说不清|不太清楚|不确定"
    r"|\b(?:don'?t|do\s+not|can'?t|cannot|can\s+not)\s+(?:remember|recall|know)\b"
    r"|\bnot\s+(?:sure|certain)\b|\bunknown\b|\bno\s+(?:idea|clue)\b|\bi\s+forget\b"
    r"|\bforgot\b|\bunsure\b",
    re.IGNORECASE,
)


_PART_WORDS = {
    EARLY_MORNING: ("凌晨", "early morning"), MORNING: ("上午", "morning"),
    NOON: ("中午", "around noon"), AFTERNOON: ("下午", "afternoon"),
    EVENING: ("晚上", "evening"), NIGHT: ("夜里", "night"),
}
_PART_BY_START = {start: part for part, start in PART_STARTS.items()}


def part_start(part: str | None) -> int:
    """The hour a part of the day starts at (a part-of-day time is stored at that hour)."""
    return PART_STARTS.get(part or "", 0)


def incident_time_text(at: datetime | None, precision: str | None, lang: str | None) -> str:
    """An incident time as agents and customers read it, saying how precise it is:
    "2026年11月14日 15:00", "2026年11月14日 约 下午", "2026年11月14日（时间不详）", "时间不详";
    "14 Nov 2026 15:00", "14 Nov 2026, afternoon (approx.)", "14 Nov 2026 (time of day unknown)",
    "time unknown". `at` is naive UTC, as the store keeps it; no precision means exact."""
    zh = lang != "en"
    if at is None or precision == UNKNOWN:
        return "时间不详" if zh else "time unknown"
    local = to_local(as_utc_naive(at))
    day = date_text(local.date(), lang)
    if precision == DAY:
        return f"{day}（时间不详）" if zh else f"{day} (time of day unknown)"
    if precision == PART_OF_DAY:
        words = _PART_WORDS[_PART_BY_START.get(local.hour, MORNING)]
        return f"{day} 约 {words[0]}" if zh else f"{day}, {words[1]} (approx.)"
    return f"{day} {local:%H:%M}"


def says_time_unknown(text: str) -> bool:
    """"不记得了", "记不清", "not sure", "unknown": the customer cannot say when."""
    return bool(_TIME_UNKNOWN_RE.search(to_simplified(normalise_digits(text or ""))))


# --- vocabulary -----------------------------------------------------------------------------

_CN_NUM = "零〇一二两三四五六七八九十"
_NUM = rf"(?:\d{{1,2}}|[{_CN_NUM}]{{1,3}})"
_EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2,
}
_EN_NUM = r"(?:\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a couple of)"
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH_WORD = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
                "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_WEEKDAYS_EN = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5,
    "sat": 5, "sunday": 6, "sun": 6,
}

# Words naming a day relative to today, with the part of the day some of them carry.
_RELATIVE_DAYS: tuple[tuple[str, int, str | None], ...] = (
    ("大前天", -3, None), ("大前日", -3, None),
    ("前天", -2, None), ("前日", -2, None), ("前儿", -2, None), ("前晚", -2, EVENING),
    ("昨天", -1, None), ("昨日", -1, None), ("昨儿", -1, None), ("昨晚", -1, EVENING),
    ("昨夜", -1, NIGHT), ("昨早", -1, MORNING),
    ("大后天", 3, None), ("后天", 2, None), ("明天", 1, None), ("明早", 1, MORNING),
    ("明晚", 1, EVENING),
    ("今天", 0, None), ("今日", 0, None), ("今儿", 0, None), ("今早", 0, MORNING),
    ("今晨", 0, MORNING), ("今晚", 0, EVENING), ("今夜", 0, NIGHT),
    ("the day before yesterday", -2, None), ("day before yesterday", -2, None),
    ("tomorrow", 1, None), ("yesterday", -1, None), ("last night", -1, NIGHT),
    ("earlier today", 0, None),
    ("today", 0, None), ("tonight", 0, EVENING), ("this morning", 0, MORNING),
    ("this afternoon", 0, AFTERNOON), ("this evening", 0, EVENING),
)
_VAGUE_DAYS = (
    r"上上?个?(?:周|星期|礼拜)末?|上周末|这个?周末|周末|前几天|这几天|最近几天|那天|上个?月|"
    r"last\s+week(?:end)?|the\s+weekend|this\s+weekend|a\s+few\s+days\s+ago|the\s+other\s+day"
    r"|last\s+month|some\s+days\s+ago"
)
_PARTS_ZH = (
    ("凌晨", EARLY_MORNING), ("半夜", NIGHT), ("深夜", NIGHT), ("夜里", NIGHT), ("夜间", NIGHT),
    ("早上", MORNING), ("早晨", MORNING), ("清晨", MORNING), ("清早", MORNING), ("一早", MORNING),
    ("上午", MORNING), ("中午", NOON), ("午后", AFTERNOON), ("下午", AFTERNOON),
    ("傍晚", EVENING), ("晚上", EVENING), ("晚间", EVENING), ("夜晚", NIGHT),
)
_PARTS_EN = (
    (r"early\s+(?:in\s+the\s+)?morning", EARLY_MORNING), (r"morning", MORNING),
    (r"afternoon", AFTERNOON), (r"evening", EVENING), (r"night", NIGHT),
)

_YMD_RE = re.compile(
    r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?!\d)"
)
_CN_MONTH_DAY_RE = re.compile(rf"(?<![\d年])({_NUM})\s*月\s*({_NUM})\s*[日号]?")
_EN_MONTH_DAY_RE = re.compile(
    rf"\b{_MONTH_WORD}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}}))?", re.IGNORECASE
)
_EN_DAY_MONTH_RE = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_WORD}(?![a-z])(?:,?\s*(\d{{4}}))?",
    re.IGNORECASE,
)
_NUMERIC_DM_RE = re.compile(r"(?<![\d/.:\-])(\d{1,2})/(\d{1,2})(?![\d/])")
_CN_DAY_OF_MONTH_RE = re.compile(
    rf"(?<![\d月{_CN_NUM}])({_NUM})\s*号(?![线楼门院桥口车房床窗位馆码])"
)
# A day named by its month relative to this one: 上个月15号, 这个月3号, 下个月5号, 月初, 上个月底,
# "the 15th of last month", "the start of this month". 月初/中/底 are approximate days (the 1st,
# the 15th, the last day).
_CN_REL_MONTH_DAY_RE = re.compile(
    rf"(上上个?月|上一?个?月|这一?个?月|本月|下一?个?月|(?<![\d{_CN_NUM}个上下这本每正岁])月)\s*"
    rf"(?:(初|中旬|中|底|末)|(?:的)?\s*({_NUM})\s*[号日])"
)
_EN_REL_MONTH_DAY_RE = re.compile(
    r"\b(?:(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?|(?:the\s+)?(beginning|start|middle|end))"
    r"\s+of\s+(last|this|next|the\s+last|the\s+previous|previous)\s+month\b",
    re.IGNORECASE,
)
_EN_DAY_OF_MONTH_RE = re.compile(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE)
_DAYS_AGO_RE = re.compile(
    rf"({_NUM}|\d+)\s*(?:个)?\s*(天|日|周|星期|礼拜)\s*(?:之|以)?前"
    rf"|\b({_EN_NUM}|\d+)\s+(days?|weeks?)\s+ago\b",
    re.IGNORECASE,
)
# Numbers that are an address or money, never a day or an hour: "人民路88号3栋", "2号楼",
# "14 Elm Road", "flat 3", "2,500 quid", "3000元", "3k" (the text is lower-cased).
_NOT_A_TIME_RE = re.compile(
    r"[路街道巷弄村]\s*\d+\s*(?:号|弄)?(?:\s*\d+\s*(?:号楼|栋|幢|单元|室|楼|层|号))*"
    r"|\d+\s*(?:号楼|栋|幢|单元|室)"
    r"|\d+\s*号(?=\s*\d+\s*(?:栋|幢|号|单元|室|层|楼)|\s*[楼栋门院])"
    r"|\b\d+[a-z]?\s+(?:[a-z]+\s+){0,2}(?:road|rd|street|st|avenue|ave|lane|ln|close|drive|dr"
    r"|way|crescent|terrace|court|gardens|grove|row|square)\b"
    r"|\b(?:flat|apt|apartment|unit|block|building|house)\s*(?:no\.?\s*)?\d+\b"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?"
    r"|\d+(?:\.\d+)?\s*(?:k\b|千|万|元|块|yuan|quid|dollars?|pounds?|bucks|rmb|grand)")
# "半个月前" / "half a month ago": about 15 days ago, approximate.
_HALF_MONTH_AGO_RE = re.compile(r"半\s*个?\s*月\s*(?:之|以)?前|\bhalf\s+a\s+month\s+ago\b",
                                re.IGNORECASE)
_HOURS_AGO_RE = re.compile(
    rf"(半|{_NUM}|\d+)\s*(?:个)?\s*(小时|钟头|分钟)\s*(?:之|以)?前"
    rf"|\b(half\s+an|{_EN_NUM}|\d+)\s+(hours?|minutes?|mins?)\s+ago\b",
    re.IGNORECASE,
)
# "刚才" is the time, but "我刚才说了" / "刚刚告诉你了" is the customer repeating themselves.
_JUST_NOW_RE = re.compile(r"(?:刚才|刚刚)(?!说|讲|提|问|告诉|发|写|回)|\bjust\s+now\b",
                          re.IGNORECASE)
_WEEKDAY_ZH_RE = re.compile(
    r"(上上个?|上一?个?|这一?个?|本|下一?个?)?\s*(?:周|星期|礼拜)\s*([一二三四五六日天1-7])"
)
_WEEKDAY_EN_RE = re.compile(
    r"\b(last|this|past|previous|next|on)?\s*"
    r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\b\.?",
    re.IGNORECASE,
)
_CN_CLOCK_RE = re.compile(
    rf"({_NUM})\s*(?:点|时)(?!钟头)\s*钟?\s*"
    rf"(半|一刻|三刻|过?\s*{_NUM}\s*分?)?\s*(多|左右|前后)?"
)
_COLON_CLOCK_RE = re.compile(
    r"(?<![\d:.])(\d{1,2})\s*:\s*(\d{2})(?![\d:])(?:\s*([ap])\.?\s*m\b\.?)?", re.IGNORECASE
)
_EN_CLOCK_RE = re.compile(
    r"(?<![\d:.])(\d{1,2})(?:\.(\d{2}))?\s*(?:([ap])\.?\s*m\b\.?|(o'?clock))", re.IGNORECASE
)
_EN_AT_HOUR_RE = re.compile(
    r"\b(?:at|around|about)\s+(\d{1,2})(?![\d:.]|\s*(?:days?|hours?|weeks?|%|yuan|k\b|元|块))",
    re.IGNORECASE,
)
_EN_ISH_RE = re.compile(r"(?<![\d:.])(\d{1,2})\s*-?\s*ish\b", re.IGNORECASE)
_NOON_RE = re.compile(r"\b(noon|midday|midnight)\b", re.IGNORECASE)
_APPROX_RE = re.compile(r"左右|大概|大约|差不多|前后|\babout\b|\baround\b|\broughly\b|-ish\b",
                        re.IGNORECASE)
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_ONE_OCLOCK_CONTEXT = re.compile(r"[天晚早午夜晨]\s*$")
_NOT_A_CLOCK_BEFORE = re.compile(r"[差有快慢好多少些晚早]\s*$")


# --- mentions -------------------------------------------------------------------------------


@dataclass
class _DateMention:
    day: date | None
    reason: str | None = None
    part: str | None = None
    alternatives: tuple[date, ...] = ()
    clock: time | None = None  # "3 hours ago", "just now" carry a time too
    approximate: bool = False


@dataclass
class _ClockMention:
    start: int
    hour: int
    minute: int
    period: str | None  # "am", "pm", or None when not said
    twenty_four: bool  # written so that it can only be read one way
    approximate: bool = False
    next_day: bool = False  # "midnight"
    colon: bool = False  # written 9:05


@dataclass
class _Scan:
    text: str
    used: list[tuple[int, int]] = field(default_factory=list)

    def free(self, start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in self.used)

    def take(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        for match in pattern.finditer(self.text):
            if match.group(0).strip() and self.free(match.start(), match.end()):
                self.used.append((match.start(), match.end()))
                yield match


def _number(text: str) -> int | None:
    value = parse_number_words(text)
    return int(value) if value is not None and value == int(value) else None


def _en_number(text: str) -> int | None:
    text = " ".join(text.lower().split())
    return int(text) if text.isdigit() else _EN_NUMBERS.get(text)


_FUTURE_WINDOW_DAYS = 31


def _nearest(candidates: list[date], today: date) -> date | None:
    """The candidate nearest to today, a past one winning a tie; one ahead of today only within a
    month (so that a slip like 25号 said on the 22nd is reported as future, not read as a year
    ago), else the most recent past one."""
    plausible = [
        day for day in candidates if (day - today).days <= _FUTURE_WINDOW_DAYS
    ]
    if not plausible:
        return None
    return min(plausible, key=lambda day: (abs((day - today).days), day > today))


def _month_day(month: int, day: int, year: int | None, today: date) -> _DateMention:
    if year is not None:
        try:
            return _DateMention(date(year, month, day))
        except ValueError:
            return _DateMention(None, INVALID_DATE)
    candidates = []
    for candidate_year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(candidate_year, month, day))
        except ValueError:
            continue
    nearest = _nearest(candidates, today)
    return _DateMention(nearest, None if nearest else INVALID_DATE)


def _add_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


# A day of the month alone (1号, "the 1st") said on the 18th means the 1st just past, not the
# coming one: only a day up to a week ahead is read as a slip into the future.
_DAY_OF_MONTH_FUTURE_DAYS = 7


def _day_of_month(number: int, today: date) -> _DateMention:
    candidates = []
    for shift in (-1, 0, 1):
        year, month = _add_months(today, shift)
        try:
            candidates.append(date(year, month, number))
        except ValueError:
            continue
    candidates = [day for day in candidates
                  if (day - today).days <= _DAY_OF_MONTH_FUTURE_DAYS]
    nearest = _nearest(candidates, today)
    return _DateMention(nearest, None if nearest else INVALID_DATE)


_MONTH_SHIFTS = {"上上": -2, "上": -1, "这": 0, "本": 0, "下": 1, "last": -1, "the last": -1,
                 "the previous": -1, "previous": -1, "this": 0, "next": 1}
_MONTH_PARTS = {"初": 1, "beginning": 1, "start": 1, "中": 15, "中旬": 15, "middle": 15}


def _relative_month_day(shift: int, number: int | None, part: str | None,
                        today: date) -> _DateMention:
    """The day `number` (or 初/中/底) of the month `shift` months from this one."""
    year, month = _add_months(today, shift)
    approximate = number is None
    if number is None:
        if part in _MONTH_PARTS:
            number = _MONTH_PARTS[part]
        else:  # 底, 末, "end": the month's last day
            year, month = _add_months(date(year, month, 1), 1)
            last = date(year, month, 1) - timedelta(days=1)
            return _DateMention(last, approximate=True)
    try:
        return _DateMention(date(year, month, number), approximate=approximate)
    except ValueError:
        return _DateMention(None, INVALID_DATE)


def _weekday(prefix: str, weekday: int, today: date, english: bool) -> _DateMention:
    monday = today - timedelta(days=today.weekday())
    prefix = prefix.strip().lower()
    if prefix.startswith("上上"):
        return _DateMention(monday - timedelta(days=14 - weekday))
    if prefix.startswith("上"):
        return _DateMention(monday - timedelta(days=7 - weekday))
    if prefix.startswith(("这", "本", "this")):
        return _DateMention(monday + timedelta(days=weekday))
    if prefix.startswith(("下", "next")):
        return _DateMention(monday + timedelta(days=7 + weekday))
    back = (today.weekday() - weekday) % 7
    if english and prefix in ("last", "past", "previous"):
        return _DateMention(today - timedelta(days=back or 7))
    if back == 0:
        return _DateMention(
            None, WEEKDAY_IS_TODAY, alternatives=(today, today - timedelta(days=7))
        )
    return _DateMention(today - timedelta(days=back))


def _date_mentions(scan: _Scan, now_local: datetime) -> list[_DateMention]:
    today = now_local.date()
    found: list[_DateMention] = []
    for match in scan.take(_CN_REL_MONTH_DAY_RE):
        word, part, number_text = match.groups()
        prefix = word[:2] if word.startswith("上上") else word[:1]
        number = _number(number_text) if number_text else None
        found.append(_relative_month_day(_MONTH_SHIFTS.get(prefix, 0), number, part, today))
    for match in scan.take(_EN_REL_MONTH_DAY_RE):
        number_text, part, which = match.groups()
        shift = _MONTH_SHIFTS[" ".join(which.lower().split())]
        found.append(_relative_month_day(shift, int(number_text) if number_text else None,
                                         part.lower() if part else None, today))
    for match in scan.take(_YMD_RE):
        year, month, day = (int(group) for group in match.groups())
        found.append(_month_day(month, day, year, today))
    for match in scan.take(_CN_MONTH_DAY_RE):
        month, day = _number(match.group(1)), _number(match.group(2))
        if month is not None and day is not None:
            found.append(_month_day(month, day, None, today))
    for match in scan.take(_EN_MONTH_DAY_RE):
        month = _MONTHS[match.group(1).lower()[:3]]
        year = int(match.group(3)) if match.group(3) else None
        found.append(_month_day(month, int(match.group(2)), year, today))
    for match in scan.take(_EN_DAY_MONTH_RE):
        month = _MONTHS[match.group(2).lower()[:3]]
        year = int(match.group(3)) if match.group(3) else None
        found.append(_month_day(month, int(match.group(1)), year, today))
    for match in scan.take(_NUMERIC_DM_RE):
        first, second = int(match.group(1)), int(match.group(2))
        readings = [
            mention.day
            for mention in (_month_day(second, first, None, today),
                            _month_day(first, second, None, today))
            if mention.day is not None
        ]
        readings = list(dict.fromkeys(readings))
        if not readings:
            found.append(_DateMention(None, INVALID_DATE))
        elif len(readings) == 1:
            found.append(_DateMention(readings[0]))
        else:
            found.append(_DateMention(None, DAY_MONTH_ORDER, alternatives=tuple(readings)))
    for pattern in (_CN_DAY_OF_MONTH_RE, _EN_DAY_OF_MONTH_RE):
        for match in scan.take(pattern):
            number = _number(match.group(1))
            if number is not None:
                found.append(_day_of_month(number, today))
    for match in scan.take(_HOURS_AGO_RE):
        amount_text = match.group(1) or match.group(3)
        unit = (match.group(2) or match.group(4)).lower()
        if amount_text in ("半",) or amount_text.lower().startswith("half"):
            minutes = 30
        else:
            count = _number(amount_text) if match.group(1) else _en_number(amount_text)
            if count is None:
                continue
            minutes = count if unit.startswith(("分", "min")) else count * 60
        moment = now_local - timedelta(minutes=minutes)
        found.append(_DateMention(moment.date(), clock=moment.time().replace(second=0,
                                                                              microsecond=0),
                                  approximate=True))
    for _match in scan.take(_JUST_NOW_RE):
        found.append(_DateMention(today, clock=now_local.time().replace(second=0, microsecond=0),
                                  approximate=True))
    for _match in scan.take(_HALF_MONTH_AGO_RE):
        found.append(_DateMention(today - timedelta(days=15), approximate=True))
    for match in scan.take(_DAYS_AGO_RE):
        count = _number(match.group(1)) if match.group(1) else _en_number(match.group(3))
        unit = (match.group(2) or match.group(4)).lower()
        if count is None:
            continue
        days = count if unit in ("天", "日") or unit.startswith("day") else count * 7
        found.append(_DateMention(today - timedelta(days=days)))
    for match in scan.take(_WEEKDAY_ZH_RE):
        found.append(_weekday(match.group(1) or "", _WEEKDAYS_ZH[match.group(2)], today, False))
    for match in scan.take(_WEEKDAY_EN_RE):
        prefix, word = (match.group(1) or ""), match.group(2).lower()
        if len(word) <= 4 and word not in ("mon", "wed", "thu", "fri") and not prefix:
            continue  # "sat", "sun", "tue" alone are too often other words
        found.append(_weekday(prefix, _WEEKDAYS_EN[word], today, True))
    vague = re.compile(_VAGUE_DAYS, re.IGNORECASE)
    for _match in scan.take(vague):
        found.append(_DateMention(None, DAY_UNKNOWN))
    for word, offset, part in _RELATIVE_DAYS:
        pattern = re.compile(rf"(?<![a-z]){re.escape(word)}(?![a-z])", re.IGNORECASE)
        for _match in scan.take(pattern):
            found.append(_DateMention(today + timedelta(days=offset), part=part))
    return found


def _parts(scan: _Scan) -> list[tuple[int, str]]:
    found = []
    for word, part in _PARTS_ZH:
        for match in scan.take(re.compile(word)):
            found.append((match.start(), part))
    for word, part in _PARTS_EN:
        for match in scan.take(re.compile(rf"\b(?:in\s+the\s+|this\s+)?{word}\b", re.I)):
            found.append((match.start(), part))
    return sorted(found)


def _clocks(scan: _Scan) -> list[_ClockMention]:
    found: list[_ClockMention] = []
    text = scan.text
    for match in _COLON_CLOCK_RE.finditer(text):
        if not scan.free(match.start(), match.end()):
            continue
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            continue
        scan.used.append((match.start(), match.end()))
        period = {"a": "am", "p": "pm"}.get((match.group(3) or "").lower())
        leading_zero = match.group(1).startswith("0") and len(match.group(1)) == 2
        found.append(_ClockMention(match.start(), hour, minute, period,
                                   twenty_four=hour == 0 or hour > 12 or leading_zero,
                                   colon=True))
    for match in _EN_CLOCK_RE.finditer(text):
        if not scan.free(match.start(), match.end()):
            continue
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour > 23 or minute > 59:
            continue
        scan.used.append((match.start(), match.end()))
        period = {"a": "am", "p": "pm"}.get((match.group(3) or "").lower())
        found.append(_ClockMention(match.start(), hour, minute, period, twenty_four=hour > 12))
    for match in _CN_CLOCK_RE.finditer(text):
        if not scan.free(match.start(), match.end()):
            continue
        hour_text, minute_text, approx = match.groups()
        hour = _number(hour_text)
        if hour is None or hour > 24:
            continue
        before = text[max(0, match.start() - 4): match.start()]
        if hour_text == "一" and not minute_text and (
            _NOT_A_CLOCK_BEFORE.search(before) or not _ONE_OCLOCK_CONTEXT.search(before)
        ):
            continue  # "有一点", "快一点": "a little", not one o'clock
        minute = 0
        if minute_text:
            minute_text = minute_text.strip().lstrip("过").rstrip("分").strip()
            minute = {"半": 30, "一刻": 15, "三刻": 45}.get(minute_text)
            if minute is None:
                minute = _number(minute_text)
            if minute is None or minute > 59:
                continue
        scan.used.append((match.start(), match.end()))
        found.append(_ClockMention(match.start(), hour % 24, minute, None,
                                   twenty_four=hour == 0 or hour > 12, approximate=bool(approx)))
    for match in _NOON_RE.finditer(text):
        if scan.free(match.start(), match.end()):
            scan.used.append((match.start(), match.end()))
            midnight = match.group(1).lower() == "midnight"
            found.append(_ClockMention(match.start(), 0 if midnight else 12, 0, None,
                                       twenty_four=True, next_day=midnight))
    for match in _EN_ISH_RE.finditer(text):
        if scan.free(match.start(), match.end()):
            hour = int(match.group(1))
            if 0 <= hour <= 23:
                scan.used.append((match.start(), match.end()))
                found.append(_ClockMention(match.start(), hour, 0, None, twenty_four=hour > 12,
                                           approximate=True))
    for match in _EN_AT_HOUR_RE.finditer(text):
        if scan.free(match.start(), match.end()):
            hour = int(match.group(1))
            if 0 <= hour <= 23:
                scan.used.append((match.start(), match.end()))
                found.append(_ClockMention(match.start(), hour, 0, None, twenty_four=hour > 12))
    return sorted(found, key=lambda clock: clock.start)


# --- putting it together --------------------------------------------------------------------


def _with_part(hour: int, part: str) -> tuple[int, int, bool]:
    """(hour on a 24-hour clock, days to add, whether "after midnight" is in doubt)."""
    if part == EARLY_MORNING:
        return (0 if hour == 12 else hour), 0, False
    if part == MORNING:
        return hour, 0, False
    if part == NOON:
        return (hour + 12 if 1 <= hour <= 4 else hour), 0, False
    if part == AFTERNOON:
        return (hour + 12 if hour < 12 else hour), 0, False
    # evening and night
    if hour in (0, 12, 24):
        return 0, 1, False
    if hour <= 5:
        return hour, 1, True
    return (hour + 12 if hour < 12 else hour), 0, False


def _finish(
    day: date | None,
    clock: time | None,
    part: str | None,
    now_local: datetime,
    *,
    reason: str | None = None,
    alternatives: tuple = (),
    approximate: bool = False,
) -> ParsedDateTime:
    future = False
    if day is not None:
        moment = datetime.combine(day, clock) if clock else None
        if moment is not None:
            future = moment > now_local.replace(tzinfo=None)
        elif day != now_local.date():
            future = day > now_local.date()
        else:
            future = part is not None and PART_STARTS[part] > now_local.hour
    if reason is None and part is not None and clock is None and day is not None:
        reason = HOUR_UNKNOWN
    return ParsedDateTime(
        date=day, time=clock, part_of_day=part, ambiguous=reason is not None, reason=reason,
        future=future, approximate=approximate, alternatives=alternatives, found=True,
    )


def parse_incident_datetime(
    text: str,
    now: datetime,
    lang_hint: str | None = None,
    *,
    known_date: date | None = None,
) -> ParsedDateTime:
    """When `text` says the incident happened, read at `now` (naive UTC or aware).

    `known_date` is the day already established earlier in the conversation: an answer that
    gives only a time ("下午三点") is read on that day. `lang_hint` is accepted for symmetry with
    the other parsers; the reading itself follows the words used.
    """
    del lang_hint  # the rules above do not depend on the conversation's language
    now_local = to_local(as_utc_naive(now)).replace(tzinfo=None)
    normalised = to_simplified(normalise_digits(text or "")).lower()
    scan = _Scan(normalised)
    for match in _NOT_A_TIME_RE.finditer(normalised):
        scan.used.append((match.start(), match.end()))  # "14 Elm Road", "88号3栋", "2,500"

    dates = _date_mentions(scan, now_local)
    parts = _parts(scan)
    clocks = _clocks(scan)
    approximate = bool(_APPROX_RE.search(normalised)) or any(
        mention.approximate for mention in dates
    ) or any(clock.approximate for clock in clocks)
    if not dates and not parts and not clocks:
        if known_date is None:
            return ParsedDateTime()
        return ParsedDateTime(date=known_date, found=False)

    # The day.
    for mention in dates:
        if mention.reason is not None:
            return _finish(None, None, None, now_local, reason=mention.reason,
                           alternatives=mention.alternatives, approximate=approximate)
    days = list(dict.fromkeys(mention.day for mention in dates if mention.day is not None))
    if len(days) > 1:
        return _finish(None, None, None, now_local, reason=CONFLICT,
                       alternatives=tuple(days), approximate=approximate)
    day = days[0] if days else known_date

    # A time given by the relative phrase itself ("3 hours ago", "刚才").
    exact = [mention.clock for mention in dates if mention.clock is not None]
    if exact and not clocks:
        return _finish(day, exact[0], None, now_local, approximate=True)

    # The part of the day: the one said just before the clock time, else the only one said.
    said_parts = [part for _, part in parts] + [m.part for m in dates if m.part is not None]
    part: str | None = None
    if clocks:
        before = [p for start, p in parts if start < clocks[0].start]
        part = before[-1] if before else None
    if part is None:
        distinct = list(dict.fromkeys(said_parts))
        if len(distinct) > 1:
            return _finish(day, None, None, now_local, reason=CONFLICT, approximate=approximate)
        part = distinct[0] if distinct else None

    if not clocks:
        return _finish(day, None, part, now_local, approximate=approximate)

    readings = list(dict.fromkeys((c.hour, c.minute, c.period, c.next_day) for c in clocks))
    if len(readings) > 1:
        return _finish(day, None, part, now_local, reason=CONFLICT, approximate=approximate)
    clock = clocks[0]
    hour, minute = clock.hour, clock.minute
    shift = 1 if clock.next_day else 0

    if clock.period is not None:
        if clock.period == "pm" and hour < 12:
            hour += 12
        elif clock.period == "am" and hour == 12:
            hour = 0
        if clock.period == "am" and part in (EVENING, NIGHT) and hour < 6:
            shift = 1  # "last night at 2am" is the small hours after that night
    elif part is not None and not clock.twenty_four:
        hour, shift, doubtful = _with_part(hour, part)
        if doubtful and day is not None:
            alternatives = (
                datetime.combine(day, time(hour, minute)),
                datetime.combine(day + timedelta(days=1), time(hour, minute)),
            )
            return _finish(None, None, part, now_local, reason=AFTER_MIDNIGHT,
                           alternatives=alternatives, approximate=approximate)
    elif not clock.twenty_four and clock.colon and _CJK_RE.search(normalised):
        pass  # "上周日9:05": Chinese writers put a colon in 24-hour times only
    elif not clock.twenty_four:
        # An hour from 1 to 12 with nothing saying morning or afternoon.
        readings_24 = [hour % 12, hour % 12 + 12]
        if day is not None:
            moments = [datetime.combine(day, time(h, minute)) for h in readings_24]
            past = [moment for moment in moments if moment <= now_local]
            if len(past) == 1:
                return _finish(day, past[0].time(), part, now_local, approximate=approximate)
            return _finish(None, None, part, now_local, reason=AM_PM,
                           alternatives=tuple(moments), approximate=approximate)
        return _finish(None, None, part, now_local, reason=AM_PM,
                       alternatives=tuple(time(h, minute) for h in readings_24),
                       approximate=approximate)

    if hour == 24:
        hour, shift = 0, shift + 1
    if day is not None:
        day = day + timedelta(days=shift)
    return _finish(day, time(hour % 24, minute), part, now_local, approximate=approximate)


def day_named(parsed: ParsedDateTime) -> date | None:
    """The day a reading names, whatever is unclear about its hour: "12月2日 8点" (morning or
    evening?) still names 2 December. None when the day itself is unclear or still to come."""
    if parsed.future:
        return None
    if parsed.date is not None and parsed.reason in (None, HOUR_UNKNOWN, AM_PM):
        return parsed.date
    if parsed.reason == AM_PM:
        days = {value.date() for value in parsed.alternatives if isinstance(value, datetime)}
        if len(days) == 1 and len(parsed.alternatives) == 2:
            return days.pop()
    return None


# The answer to "上午10点还是晚上10点？": which half of the day.
_MORNING_WORDS = re.compile(
    r"上午|早上|早晨|清早|凌晨|\bam\b|\ba\.m\.|morning", re.IGNORECASE)
_AFTERNOON_WORDS = re.compile(
    r"下午|中午|傍晚|晚上|夜里|夜间|\bpm\b|\bp\.m\.|afternoon|evening|night", re.IGNORECASE)


def choose_reading(text: str, alternatives: tuple) -> datetime | None:
    """Of two readings offered in an ask-back (10:00 or 22:00 on one day), the one the answer
    picks with "上午" / "晚上" / "in the morning"; None when the answer picks neither."""
    readings = [value for value in alternatives if isinstance(value, datetime)]
    if len(readings) != 2:
        return None
    normalised = to_simplified(normalise_digits(text or "")).lower()
    morning = bool(_MORNING_WORDS.search(normalised))
    afternoon = bool(_AFTERNOON_WORDS.search(normalised))
    if morning == afternoon:
        return None
    picked = [reading for reading in readings if (reading.hour >= 12) == afternoon]
    return picked[0] if len(picked) == 1 else None


# --- asking back ----------------------------------------------------------------------------

_ZH_PERIODS = ((0, "凌晨"), (6, "上午"), (12, "中午"), (13, "下午"), (18, "晚上"))


def _clock_text(moment: time, lang: str | None) -> str:
    hour12 = moment.hour % 12 or 12
    if lang == "en":
        suffix = "am" if moment.hour < 12 else "pm"
        minutes = f":{moment.minute:02d}" if moment.minute else ""
        return f"{hour12}{minutes}{suffix}"
    period = [word for start, word in _ZH_PERIODS if moment.hour >= start][-1]
    minutes = f"{moment.minute}分" if moment.minute else ""
    return f"{period}{hour12}点{minutes}"


def moment_text(value: date | datetime | time, lang: str | None) -> str:
    """A reading in plain words: "11月21日 下午3点", "21 Nov 2026 3pm", "凌晨3点"."""
    if isinstance(value, datetime):
        return f"{date_text(value.date(), lang)} {_clock_text(value.time(), lang)}"
    if isinstance(value, date):
        return date_text(value, lang)
    return _clock_text(value, lang)


def clarify_question(parsed: ParsedDateTime, lang: str | None) -> str | None:
    """The ask-back for a reading that is unclear, in the future or incomplete; None when the
    date and time are both known and plausible."""
    if parsed.ambiguous and len(parsed.alternatives) == 2:
        first, second = (moment_text(value, lang) for value in parsed.alternatives)
        return say("when_ask_which", lang, first=first, second=second)
    if parsed.reason == INVALID_DATE:
        return say("when_invalid", lang)
    if parsed.reason == HOUR_UNKNOWN:
        return say("when_ask_hour", lang)
    if parsed.ambiguous:  # vague or conflicting days
        return say("when_ask_day", lang)
    if parsed.future:
        return say("when_future", lang)
    if parsed.date is None:
        return say("when_ask_day", lang) if parsed.found else say("when_ask", lang)
    if parsed.time is None:
        return say("when_ask_hour", lang)
    return None
