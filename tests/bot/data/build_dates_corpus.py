"""Writes tests/bot/data/dates_corpus.yml: how customers say when something happened, and dates of
birth, in Chinese (simplified and traditional) and English, with the expected reading.

The expected values are worked out here with plain calendar arithmetic from the phrase's meaning
(never by calling a parser), against fixed reference times. Every entry has a split: `dev` (about
a quarter, the part a parser may be tuned on) or `heldout` (the rest, only ever measured).

    python tests/bot/data/build_dates_corpus.py     # rewrites dates_corpus.yml (deterministic)

Precision of an incident time: exact (day and hour), part_of_day (day and 上午/evening...),
day (a day without an hour), unknown ("不记得了"), future (refused: it has not happened yet),
none (no date in the message: the bot asks). A date of birth: day, ask (both day/month
readings are real dates: asked back), none.
"""
from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import opencc
import yaml

OUT = Path(__file__).with_name("dates_corpus.yml")
# Reference times (Beijing wall clock): a Wednesday afternoon, a Monday morning at the start of a
# month, and a Wednesday late evening.
NOWS = {
    "wed_pm": datetime(2026, 11, 18, 15, 30),
    "mon_am": datetime(2026, 3, 2, 10, 10),
    "wed_late": datetime(2026, 11, 18, 23, 20),
}
DOB_TODAY = date(2026, 11, 18)
_T = opencc.OpenCC("s2t")
_TW = opencc.OpenCC("s2tw")

PART_START = {"early_morning": 0, "morning": 5, "noon": 11, "afternoon": 12, "evening": 17,
              "night": 21}


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def last_month(day: date, dom: int) -> date | None:
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    try:
        return date(year, month, dom)
    except ValueError:
        return None


def recent_weekday(today: date, weekday: int) -> date:
    back = (today.weekday() - weekday) % 7 or 7
    return today - timedelta(days=back)


ZH_WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]
EN_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
CN_NUMS = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二",
           "十三", "十四", "十五", "十六", "十七", "十八", "十九", "二十", "二十一", "二十二",
           "二十三", "二十四", "二十五", "二十六", "二十七", "二十八", "二十九", "三十", "三十一"]


def zh_days(now: datetime) -> list[tuple[str, date]]:
    """(phrase, day) for the ways a past day is named in Chinese."""
    today = now.date()
    days = [
        ("今天", today), ("今儿", today), ("昨天", today - timedelta(1)),
        ("昨儿个", today - timedelta(1)), ("昨日", today - timedelta(1)),
        ("前天", today - timedelta(2)), ("前儿个", today - timedelta(2)),
        ("大前天", today - timedelta(3)), ("两天前", today - timedelta(2)),
        ("2天前", today - timedelta(2)), ("三天前", today - timedelta(3)),
        ("5天前", today - timedelta(5)), ("一个星期前", today - timedelta(7)),
        ("四天以前", today - timedelta(4)),
    ]
    mon = monday(today)
    for index in (0, 2, 4, 5, 6):
        day = mon - timedelta(days=7 - index)
        days.append((f"上周{ZH_WEEKDAYS[index]}", day))
        days.append((f"上星期{ZH_WEEKDAYS[index]}", day))
    days.append(("上礼拜天", mon - timedelta(1)))
    for dom in (3, 10, 15, 20, 28):
        day = last_month(today, dom)
        if day:
            days.append((f"上个月{dom}号", day))
            days.append((f"上月{CN_NUMS[dom]}号", day))
    days.append(("月初", today.replace(day=1)) if today.day > 1 else ("", today))
    past_dom = [d for d in (1, 2, 5, 8, 12) if d < today.day]
    for dom in past_dom:
        days.append((f"{dom}号", today.replace(day=dom)))
        days.append((f"这个月{dom}号", today.replace(day=dom)))
    for back in (9, 20, 45):
        day = today - timedelta(days=back)
        days.append((f"{day.month}月{day.day}号", day))
        days.append((f"{day.month}月{day.day}日", day))
        days.append((f"{CN_NUMS[day.month]}月{CN_NUMS[day.day]}号", day))
        days.append((f"{day.year}年{day.month}月{day.day}日", day))
        days.append((f"{day:%Y-%m-%d}", day))
        days.append((f"{day.year}/{day.month}/{day.day}", day))
        days.append((f"{day.year}.{day.month}.{day.day}", day))
    for weekday in range(7):
        if weekday < today.weekday():
            days.append((f"周{ZH_WEEKDAYS[weekday]}", recent_weekday(today, weekday)))
            days.append((f"这周{ZH_WEEKDAYS[weekday]}", recent_weekday(today, weekday)))
    return [(text, day) for text, day in days if text]


ZH_PARTS = [("上午", "morning"), ("早上", "morning"), ("下午", "afternoon"), ("晚上", "evening"),
            ("中午", "noon"), ("傍晚", "evening"), ("凌晨", "early_morning"), ("夜里", "night")]
# (phrase, hour, minute): clock times with their part of the day said.
ZH_CLOCKS = [
    ("上午十点", 10, 0), ("上午10点半", 10, 30), ("早上7点20", 7, 20), ("早上七点多", 7, 0),
    ("下午三点", 15, 0), ("下午3点", 15, 0), ("下午两点左右", 14, 0), ("下午4点15分", 16, 15),
    ("晚上八点多", 20, 0), ("晚上8点", 20, 0), ("晚上十点半", 22, 30), ("中午12点", 12, 0),
    ("凌晨两点", 2, 0), ("凌晨3点多", 3, 0), ("15:30", 15, 30), ("9:05", 9, 5),
    ("下午5点左右", 17, 0), ("傍晚六点", 18, 0), ("14点", 14, 0), ("晚上7点40", 19, 40),
]
ZH_UNKNOWN = [
    "不记得了", "记不清了", "忘了", "具体哪天不记得了", "不清楚", "想不起来了", "我也说不准",
    "时间记不清楚了", "不知道哪天", "这个真忘了", "记不得了", "具体时间我不太清楚",
]
ZH_FUTURE = ["明天", "后天", "明天下午三点", "下周三", "下个月5号", "大后天上午", "明晚八点",
             "2027年1月5日", "明天早上"]
ZH_NONE = [
    "嗯嗯那个啥就是说吧", "我的车被撞了", "你好", "赔多少钱", "在中山路5号楼下",
    "保单号AUTO-2026-0101",
    "我有3个孩子", "损失大概3000块", "怎么报案", "人没事", "对方全责", "好的", "在医院",
    "十几万", "就是那个时候", "我想找人工", "车牌沪A12345", "在3号线地铁站", "要准备什么材料",
    "谢谢", "被追尾了", "手机号13800000000",
]
ZH_PREFIX = ["", "", "", "是", "大概", "应该是", "就", "我记得是"]
ZH_SUFFIX = ["", "", "", "的时候", "出的事", "发生的", "被撞的", "住的院", "。"]


def en_days(now: datetime) -> list[tuple[str, date]]:
    today = now.date()
    days = [
        ("today", today), ("earlier today", today), ("yesterday", today - timedelta(1)),
        ("the day before yesterday", today - timedelta(2)),
        ("a couple of days ago", today - timedelta(2)), ("2 days ago", today - timedelta(2)),
        ("two days ago", today - timedelta(2)), ("three days ago", today - timedelta(3)),
        ("5 days ago", today - timedelta(5)), ("a week ago", today - timedelta(7)),
        ("four days ago", today - timedelta(4)),
    ]
    for index in range(7):
        day = recent_weekday(today, index)
        days.append((f"last {EN_WEEKDAYS[index]}", day))
        if index != today.weekday():
            days.append((f"on {EN_WEEKDAYS[index]}", day))
            days.append((EN_WEEKDAYS[index], day))
    for dom, suffix in ((3, "rd"), (10, "th"), (15, "th"), (21, "st"), (28, "th")):
        day = last_month(today, dom)
        if day:
            days.append((f"the {dom}{suffix} of last month", day))
    for dom, suffix in ((1, "st"), (2, "nd"), (5, "th"), (12, "th")):
        if dom < today.day:
            days.append((f"on the {dom}{suffix}", today.replace(day=dom)))
            days.append((f"the {dom}{suffix} of this month", today.replace(day=dom)))
    for back in (9, 20, 45):
        day = today - timedelta(days=back)
        month = f"{day:%B}"
        days.append((f"{month} {day.day}", day))
        days.append((f"{day.day} {month}", day))
        days.append((f"{day:%b} {day.day}", day))
        days.append((f"{day.day} {day:%b} {day.year}", day))
        days.append((f"{month} {day.day}, {day.year}", day))
        days.append((f"{day:%Y-%m-%d}", day))
        suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(
            day.day, "th")
        days.append((f"the {day.day}{suffix} of {month}", day))
    return days


EN_PARTS = [("in the morning", "morning"), ("morning", "morning"),
            ("in the afternoon", "afternoon"), ("afternoon", "afternoon"),
            ("in the evening", "evening"), ("evening", "evening"), ("at night", "night")]
EN_CLOCKS = [
    ("at 10am", 10, 0), ("around 10am", 10, 0), ("at 11pm", 23, 0), ("11 pm", 23, 0),
    ("at 3:30pm", 15, 30), ("3.15pm", 15, 15), ("at 15:30", 15, 30), ("at noon", 12, 0),
    ("around noon", 12, 0), ("at 7am", 7, 0), ("about 8:45 am", 8, 45), ("9 am", 9, 0),
    ("at 2pm", 14, 0), ("around 6pm", 18, 0), ("at 8 o'clock in the evening", 20, 0),
    ("at 21:10", 21, 10), ("at 4 in the afternoon", 16, 0), ("about 7 in the morning", 7, 0),
]
EN_UNKNOWN = [
    "I don't remember", "not sure", "unknown", "I can't remember", "no idea when",
    "not sure of the date", "don't know", "I really can't remember the date",
    "can't recall", "no clue sorry", "I forget", "not sure when exactly",
]
EN_FUTURE = ["tomorrow", "tomorrow at 3pm", "next Monday", "tomorrow morning",
             "the day after tomorrow", "next week on Friday", "1 March 2027", "tomorrow night"]
EN_NONE = [
    "hello", "my car got hit", "3000 dollars", "14 Elm Road", "policy AUTO-2026-0101",
    "I have 2 kids", "what documents do I need", "someone hit me from behind", "ok",
    "it was at home", "the loss is unknown", "can I talk to a person", "thanks", "no one was hurt",
    "about 2500", "make it 2500", "the address is 22 Baker Street", "is this a bot?",
    "it was bad", "my phone is 07700 900123",
]
EN_PREFIX = ["", "", "", "it was ", "it happened ", "I think ", "", "this was ", "um "]
EN_SUFFIX = ["", "", "", ".", " I think", " roughly", "!"]


def _zh_text(rng: random.Random, core: str) -> str:
    text = f"{rng.choice(ZH_PREFIX)}{core}{rng.choice(ZH_SUFFIX)}"
    return text


def _en_text(rng: random.Random, core: str) -> str:
    text = f"{rng.choice(EN_PREFIX)}{core}{rng.choice(EN_SUFFIX)}".strip()
    return text[0].upper() + text[1:] if rng.random() < 0.3 else text


def _entry(lang: str, text: str, now_key: str, value: str | None, precision: str,
           known_date: str | None = None) -> dict:
    entry = {"lang": lang, "kind": "incident", "text": text, "now": now_key,
             "value": value, "precision": precision}
    if known_date:  # the day the conversation already established ("Roughly what time?")
        entry["known_date"] = known_date
    return entry


def _incident(lang: str, now_key: str, day: date, hm: tuple[int, int] | None,
              part: str | None) -> tuple[str | None, str]:
    now = NOWS[now_key]
    if hm is not None:
        moment = datetime.combine(day, datetime.min.time()).replace(hour=hm[0], minute=hm[1])
        if moment > now:
            return None, "future"
        return f"{moment:%Y-%m-%dT%H:%M}", "exact"
    if day > now.date():
        return None, "future"
    if part is not None:
        if day == now.date() and PART_START[part] > now.hour:
            return None, "future"
        return day.isoformat(), "part_of_day"
    return day.isoformat(), "day"


def incident_entries(rng: random.Random) -> list[dict]:
    entries: list[dict] = []
    for now_key, now in NOWS.items():
        share = 1.0 if now_key != "wed_late" else 0.3
        zh = zh_days(now)
        en = en_days(now)
        for text, day in zh:
            if rng.random() < 0.55 * share:
                value, precision = _incident("zh", now_key, day, None, None)
                entries.append(_entry("zh", _zh_text(rng, text), now_key, value, precision))
            if rng.random() < 0.45 * share:
                word, part = rng.choice(ZH_PARTS)
                value, precision = _incident("zh", now_key, day, None, part)
                entries.append(_entry("zh", _zh_text(rng, text + word), now_key, value,
                                      precision))
            if rng.random() < 0.6 * share:
                word, hour, minute = rng.choice(ZH_CLOCKS)
                if text[-1].isdigit() and word[0].isdigit():
                    word = " " + word
                value, precision = _incident("zh", now_key, day, (hour, minute), None)
                entries.append(_entry("zh", _zh_text(rng, text + word), now_key, value,
                                      precision))
        for text, day in en:
            if rng.random() < 0.5 * share:
                value, precision = _incident("en", now_key, day, None, None)
                entries.append(_entry("en", _en_text(rng, text), now_key, value, precision))
            if rng.random() < 0.4 * share and not text[0].isdigit():
                word, part = rng.choice(EN_PARTS)
                short = word.removeprefix("in the ")
                joined = f"{text} {short}" if rng.random() < 0.5 else f"{text} {word}"
                value, precision = _incident("en", now_key, day, None, part)
                entries.append(_entry("en", _en_text(rng, joined), now_key, value, precision))
            if rng.random() < 0.55 * share:
                word, hour, minute = rng.choice(EN_CLOCKS)
                value, precision = _incident("en", now_key, day, (hour, minute), None)
                entries.append(_entry("en", _en_text(rng, f"{text} {word}"), now_key, value,
                                      precision))
    # Phrases that name a part of today or a time of today on their own.
    for now_key in ("wed_pm", "wed_late"):
        now = NOWS[now_key]
        today = now.date()
        for text, part in (("今早", "morning"), ("今天早上", "morning"), ("今晚", "evening"),
                           ("今天晚上", "evening"), ("今天中午", "noon")):
            value, precision = _incident("zh", now_key, today, None, part)
            entries.append(_entry("zh", _zh_text(rng, text), now_key, value, precision))
        for text, part in (("this morning", "morning"), ("tonight", "evening"),
                           ("this evening", "evening"), ("this afternoon", "afternoon")):
            value, precision = _incident("en", now_key, today, None, part)
            entries.append(_entry("en", _en_text(rng, text), now_key, value, precision))
        bare_hours = (("around 9ish", 9), ("about 9ish", 9), ("9ish", 9), ("around 10ish", 10),
                      ("at noon today", 12), ("noon", 12), ("10am", 10), ("11pm", 23),
                      ("around 11am", 11), ("at 1pm", 13))
        for text, hour in () if now_key == "wed_late" else bare_hours:
            value, precision = _incident("en", now_key, today, (hour, 0), None)
            entries.append(_entry("en", text, now_key, value, precision, today.isoformat()))
        for text, hour in (("上午九点左右", 9), ("今天上午10点", 10), ("中午12点", 12),
                           ("今天下午1点多", 13), ("晚上十一点", 23)):
            value, precision = _incident("zh", now_key, today, (hour, 0), None)
            entries.append(_entry("zh", text, now_key, value, precision, today.isoformat()))
        yesterday = today - timedelta(1)
        for text, part in (("last night", "night"), ("昨晚", "evening"), ("昨天夜里", "night")):
            lang = "zh" if text[0] > "z" else "en"
            value, precision = _incident(lang, now_key, yesterday, None, part)
            entries.append(_entry(lang, text, now_key, value, precision))
        for text, hm in (("last night around 11pm", (23, 0)), ("last night at 10pm", (22, 0)),
                         ("昨晚八点多", (20, 0)), ("昨晚10点", (22, 0))):
            lang = "zh" if text[0] > "z" else "en"
            value, precision = _incident(lang, now_key, yesterday, hm, None)
            entries.append(_entry(lang, text, now_key, value, precision))
    for now_key in NOWS:
        for text in ZH_UNKNOWN:
            entries.append(_entry("zh", text, now_key, None, "unknown"))
        for text in EN_UNKNOWN:
            entries.append(_entry("en", text, now_key, None, "unknown"))
        for text in ZH_FUTURE:
            entries.append(_entry("zh", text, now_key, None, "future"))
        for text in EN_FUTURE:
            entries.append(_entry("en", text, now_key, None, "future"))
    for text in ZH_NONE:
        entries.append(_entry("zh", text, "wed_pm", None, "none"))
    for text in EN_NONE:
        entries.append(_entry("en", text, "wed_pm", None, "none"))
    # The month-boundary ones the issue names, said at both reference times.
    for now_key in ("wed_pm", "mon_am"):
        today = NOWS[now_key].date()
        day = last_month(today, 15)
        for text in ("上个月15号", "上個月15號", "上个月十五号"):
            entries.append(_entry("zh", text, now_key, day.isoformat(), "day"))
        entries.append(_entry("en", "the 15th of last month", now_key, day.isoformat(), "day"))
        entries.append(_entry("en", "15th of last month", now_key, day.isoformat(), "day"))
    return entries


def dob_entries() -> list[dict]:
    """Dates of birth as people type them; the year of a 2-digit year is the century that makes a
    date in the past; 民国 years are +1911."""
    entries: list[dict] = []
    born = [date(1985, 4, 12), date(1990, 7, 1), date(1962, 11, 3), date(2001, 2, 28),
            date(1978, 12, 25), date(1955, 6, 9), date(1999, 9, 30), date(2004, 1, 17)]

    def add(lang: str, text: str, value: date | None, precision: str = "day") -> None:
        entries.append({"lang": lang, "kind": "dob", "text": text, "now": "dob",
                        "value": value.isoformat() if value else None, "precision": precision})

    for day in born:
        yy = day.year % 100
        roc = day.year - 1911
        cn_year = "".join("〇一二三四五六七八九"[int(ch)] for ch in str(day.year))
        add("zh", f"{day:%Y-%m-%d}", day)
        add("zh", f"{day.year}年{day.month}月{day.day}日", day)
        add("zh", f"{day.year}年{day.month}月{day.day}号", day)
        add("zh", f"{yy:02d}年{day.month}月{day.day}", day)
        add("zh", f"{yy:02d}年{day.month}月{day.day}日", day)
        if yy > 31:  # "04/1/17" could be 4 Jan 2017: only a year over 31 reads year first
            add("zh", f"{yy:02d}/{day.month}/{day.day}", day)
        add("zh", f"民國{roc}年{day.month}月{day.day}日", day)
        add("zh", f"民国{roc}年{day.month}月{day.day}号", day)
        add("zh", f"{cn_year}年{CN_NUMS[day.month]}月{CN_NUMS[day.day]}日", day)
        add("zh", f"{day.year}.{day.month}.{day.day}", day)
        add("zh", f"{day:%Y%m%d}", day)
        add("zh", f"生日是{day.year}年{day.month}月{day.day}号", day)
        add("zh", f"我是{day.year}年{day.month}月{day.day}出生的", day)
        add("zh", f"出生日期 {day.year}/{day.month:02d}/{day.day:02d}", day)
        suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(
            day.day, "th")
        add("en", f"{day:%Y-%m-%d}", day)
        add("en", f"{day.day} {day:%b} {yy:02d}", day)
        add("en", f"{day.day} {day:%B} {day.year}", day)
        add("en", f"{day:%B} {day.day}{suffix} {day.year}", day)
        add("en", f"{day:%B} {day.day}, {day.year}", day)
        add("en", f"{day.year}.{day.month}.{day.day}", day)
        add("en", f"{day.day}{suffix} of {day:%B} {day.year}", day)
        add("en", f"born on {day.day} {day:%b} {day.year}", day)
        add("en", f"my dob is {day:%d %b %Y}", day)
        add("en", f"{day:%b} {day.day} {yy:02d}", day)
        if day.day > 12:  # only one reading is a real date
            add("en", f"{day.month:02d}/{day.day:02d}/{day.year}", day)
            add("en", f"{day.day:02d}/{day.month:02d}/{day.year}", day)
            if yy > 31:  # "17/1/04" could be 2017-01-04
                add("en", f"{day.day}/{day.month}/{yy:02d}", day)
            add("zh", f"{day.day}/{day.month}/{day.year}", day)
        else:  # both readings are dates: asked back
            add("en", f"{day.month:02d}/{day.day:02d}/{day.year}", None, "ask")
            add("en", f"{day.day}/{day.month}/{day.year}", None, "ask")
            add("zh", f"{day.day:02d}/{day.month:02d}/{day.year}", None, "ask")
    for text in ("民國74年", "民国74年", "85年", "1985"):  # a year alone is no date of birth
        add("zh", text, None, "none")
    for text in ("不记得了", "记不清", "忘了", "这个不方便说", "你好", "AUTO-2026-0101",
                 "2030年1月1日", "1800年1月1日", "1985年2月30日"):
        add("zh", text, None, "none")
    for text in ("unknown", "not sure", "I don't know", "hello", "31/02/1990", "1 Jan 2031",
                 "the 12th", "April 1985"):
        add("en", text, None, "none")
    return entries


# Written freely, one by one, the way customers answer "when did it happen?" (said on Wednesday
# 18 Nov 2026 at 15:30, `wed_pm`), with the reading a person would give. Never tuned on: all
# held out. (text, value, precision)
FREEFORM_ZH = [
    ("上周六上午在小区门口被刮了", "2026-11-14", "part_of_day"),
    ("前天晚上八点多吧", "2026-11-16T20:00", "exact"),
    ("昨儿个下午", "2026-11-17", "part_of_day"),
    ("两天前下午出的车祸", "2026-11-16", "part_of_day"),
    ("就是大前天", "2026-11-15", "day"),
    ("上個月15號住院的", "2026-10-15", "day"),
    ("月初的时候摔了一跤", "2026-11-01", "day"),
    ("昨天早上七点半左右", "2026-11-17T07:30", "exact"),
    ("今天中午12点多", "2026-11-18T12:00", "exact"),
    ("星期一晚上", "2026-11-16", "part_of_day"),
    ("礼拜天下午三点", "2026-11-15T15:00", "exact"),
    ("11月10号晚上", "2026-11-10", "part_of_day"),
    ("十一月十号", "2026-11-10", "day"),
    ("上星期五夜里十一点", "2026-11-13T23:00", "exact"),
    ("前几天", None, "none"),
    ("具体哪天我真记不清了", None, "unknown"),
    ("时间不记得了", None, "unknown"),
    ("明天上午", None, "future"),
    ("下礼拜一", None, "future"),
    ("昨天凌晨两点左右", "2026-11-17T02:00", "exact"),
    ("2026年11月3日下午", "2026-11-03", "part_of_day"),
    ("今早", "2026-11-18", "part_of_day"),
    ("今天下午两点", "2026-11-18T14:00", "exact"),
    ("上周三下午四点钟", "2026-11-11T16:00", "exact"),
    ("昨天傍晚六点左右", "2026-11-17T18:00", "exact"),
    ("前天下午三点一刻", "2026-11-16T15:15", "exact"),
    ("三天前的晚上", "2026-11-15", "part_of_day"),
    ("这周一早上", "2026-11-16", "part_of_day"),
    ("本月5号", "2026-11-05", "day"),
    ("上个月底", "2026-10-31", "day"),
    ("10月20号上午10点", "2026-10-20T10:00", "exact"),
    ("前天中午", "2026-11-16", "part_of_day"),
    ("昨晚十点多", "2026-11-17T22:00", "exact"),
    ("大前天晚上九点", "2026-11-15T21:00", "exact"),
    ("昨天晚上大概九點", "2026-11-17T21:00", "exact"),
    ("上禮拜六下午", "2026-11-14", "part_of_day"),
    ("前天早上八點半", "2026-11-16T08:30", "exact"),
    ("不記得是哪天了", None, "unknown"),
    ("就在上周六上午十点左右，在停车场", "2026-11-14T10:00", "exact"),
    ("嗯 好像是上周日吧", "2026-11-15", "day"),
]
FREEFORM_EN = [
    ("Saturday morning", "2026-11-14", "part_of_day"),
    ("last Saturday morning", "2026-11-14", "part_of_day"),
    ("it was yesterday around 6pm", "2026-11-17T18:00", "exact"),
    ("a couple of days ago in the evening", "2026-11-16", "part_of_day"),
    ("Monday night", "2026-11-16", "part_of_day"),
    ("on Sunday at about 3 in the afternoon", "2026-11-15T15:00", "exact"),
    ("the 15th of last month", "2026-10-15", "day"),
    ("Nov 10th", "2026-11-10", "day"),
    ("10th November around 8pm", "2026-11-10T20:00", "exact"),
    ("this morning at 9:15", "2026-11-18T09:15", "exact"),
    ("earlier today, around noon", "2026-11-18T12:00", "exact"),
    ("yesterday evening", "2026-11-17", "part_of_day"),
    ("the day before yesterday at 7am", "2026-11-16T07:00", "exact"),
    ("last Friday at 11pm", "2026-11-13T23:00", "exact"),
    ("3 days ago", "2026-11-15", "day"),
    ("I honestly can't remember", None, "unknown"),
    ("tomorrow morning", None, "future"),
    ("next Tuesday", None, "future"),
    ("last Thursday afternoon around 2", "2026-11-12T14:00", "exact"),
    ("Tuesday at 10am", "2026-11-17T10:00", "exact"),
    ("on the 2nd", "2026-11-02", "day"),
    ("November 2nd, 2026", "2026-11-02", "day"),
    ("Friday afternoon", "2026-11-13", "part_of_day"),
    ("last night around 11pm", "2026-11-17T23:00", "exact"),
    ("this afternoon at 1:30pm", "2026-11-18T13:30", "exact"),
    ("sunday evening about 7ish", "2026-11-15T19:00", "exact"),
    ("a week ago", "2026-11-11", "day"),
    ("yesterday at noon", "2026-11-17T12:00", "exact"),
    ("2026-11-12 at 14:30", "2026-11-12T14:30", "exact"),
    ("I don't know the exact date", None, "unknown"),
    ("the start of this month", "2026-11-01", "day"),
    ("yesterday morning at 8ish", "2026-11-17T08:00", "exact"),
    ("some time last week", None, "none"),
    ("um it was monday, in the afternoon", "2026-11-16", "part_of_day"),
]
FREEFORM_DOB = [
    ("zh", "我生日是1990年7月1号", "1990-07-01", "day"),
    ("zh", "民国七十四年四月十二日", "1985-04-12", "day"),
    ("zh", "八五年四月十二日", "1985-04-12", "day"),
    ("zh", "出生日期1978/12/25", "1978-12-25", "day"),
    ("zh", "我是99年9月30号生的", "1999-09-30", "day"),
    ("en", "July 1st 1990", "1990-07-01", "day"),
    ("en", "1st July 1990", "1990-07-01", "day"),
    ("en", "01-07-1990", None, "ask"),
    ("en", "7/1/1990", None, "ask"),
    ("en", "1990/07/01", "1990-07-01", "day"),
    ("en", "dob 12.04.1985", None, "ask"),
    ("en", "31/12/1980", "1980-12-31", "day"),
    ("en", "12/31/1980", "1980-12-31", "day"),
    ("en", "Dec 31 80", "1980-12-31", "day"),
    ("en", "born 3rd of March, 1971", "1971-03-03", "day"),
]


def freeform_entries() -> list[dict]:
    entries = [_entry("zh", text, "wed_pm", value, precision) | {"source": "freeform"}
               for text, value, precision in FREEFORM_ZH]
    entries += [_entry("en", text, "wed_pm", value, precision) | {"source": "freeform"}
                for text, value, precision in FREEFORM_EN]
    entries += [{"lang": lang, "kind": "dob", "text": text, "now": "dob", "value": value,
                 "precision": precision, "source": "freeform"}
                for lang, text, value, precision in FREEFORM_DOB]
    return entries


def split_of(entry: dict) -> str:
    digest = hashlib.sha256(f"{entry['lang']}|{entry['now']}|{entry['text']}".encode()).digest()
    return "dev" if digest[0] < 64 else "heldout"


def main() -> None:
    rng = random.Random(19)
    entries = incident_entries(rng) + dob_entries()
    # A third of the Chinese entries are written in traditional characters (Taiwan or HK forms).
    for entry in entries:
        if entry["lang"] == "zh" and rng.random() < 0.33:
            entry["text"] = (_TW if rng.random() < 0.5 else _T).convert(entry["text"])
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for entry in freeform_entries() + entries:  # a freeform text wins over a generated twin
        key = (entry["lang"], entry["now"], entry["text"])
        if key not in seen:
            seen.add(key)
            entry["split"] = "heldout" if entry.get("source") == "freeform" else split_of(entry)
            unique.append(entry)
    document = {
        "reference_times": {key: f"{value:%Y-%m-%dT%H:%M}+08:00" for key, value in NOWS.items()}
        | {"dob": f"{DOB_TODAY:%Y-%m-%d}T12:00+08:00"},
        "entries": unique,
    }
    header = "# Generated by build_dates_corpus.py (expected values from calendar arithmetic).\n"
    OUT.write_text(header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False,
                                           width=100), encoding="utf-8")
    counts: dict[str, int] = {}
    for entry in unique:
        counts[f"{entry['lang']}/{entry['kind']}/{entry['split']}"] = counts.get(
            f"{entry['lang']}/{entry['kind']}/{entry['split']}", 0) + 1
    print(counts)


if __name__ == "__main__":
    main()
