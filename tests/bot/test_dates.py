"""When an incident happened: relative and colloquial Chinese and English, read at a fixed now
(Sunday 22 Nov 2026, 10:00 in Shanghai); ambiguous readings are flagged, never guessed."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from bot import dates as d
from bot.dates import clarify_question, moment_text, parse_incident_datetime
from bot.replies import say
from tests.bot.conftest import NOW, TODAY

assert TODAY.weekday() == 6  # the tables below assume a Sunday

ZH_CASES = [
    ("今天", date(2026, 11, 22), None, None),
    ("昨天", date(2026, 11, 21), None, None),
    ("前天", date(2026, 11, 20), None, None),
    ("大前天", date(2026, 11, 19), None, None),
    ("上周五", date(2026, 11, 13), None, None),
    ("上星期五", date(2026, 11, 13), None, None),
    ("上个礼拜三", date(2026, 11, 11), None, None),
    ("这周一", date(2026, 11, 16), None, None),
    ("本周三", date(2026, 11, 18), None, None),
    ("周三", date(2026, 11, 18), None, None),
    ("週五", date(2026, 11, 20), None, None),
    ("昨天下午三点", date(2026, 11, 21), time(15, 0), "afternoon"),
    ("昨天下午3点半", date(2026, 11, 21), time(15, 30), "afternoon"),
    ("昨天下午三点一刻", date(2026, 11, 21), time(15, 15), "afternoon"),
    ("前天上午十点二十分", date(2026, 11, 20), time(10, 20), "morning"),
    ("昨晚8点", date(2026, 11, 21), time(20, 0), "evening"),
    ("昨天晚上十二点", date(2026, 11, 22), time(0, 0), "evening"),
    ("昨天凌晨3点", date(2026, 11, 21), time(3, 0), "early_morning"),
    ("昨天中午1点", date(2026, 11, 21), time(13, 0), "noon"),
    ("下午3点半", None, time(15, 30), "afternoon"),
    ("15:30", None, time(15, 30), None),
    ("11月20日", date(2026, 11, 20), None, None),
    ("十一月二十号", date(2026, 11, 20), None, None),
    ("2026-11-20", date(2026, 11, 20), None, None),
    ("2026年11月20日 15:30", date(2026, 11, 20), time(15, 30), None),
    ("20号", date(2026, 11, 20), None, None),
    ("三天前", date(2026, 11, 19), None, None),
    ("两个星期前", date(2026, 11, 8), None, None),
    ("今天8点", date(2026, 11, 22), time(8, 0), None),  # 20:00 is still ahead
    ("今天早上7点", date(2026, 11, 22), time(7, 0), "morning"),
    ("3小时前", date(2026, 11, 22), time(7, 0), None),
    ("刚才", date(2026, 11, 22), time(10, 0), None),
    ("12月30日", date(2025, 12, 30), None, None),  # more than a month ahead: last year's
]

EN_CASES = [
    ("today", date(2026, 11, 22), None, None),
    ("yesterday at 5pm", date(2026, 11, 21), time(17, 0), None),
    ("yesterday at 5:30 p.m.", date(2026, 11, 21), time(17, 30), None),
    ("the day before yesterday", date(2026, 11, 20), None, None),
    ("last Tuesday", date(2026, 11, 17), None, None),
    ("last Friday", date(2026, 11, 20), None, None),
    ("this Monday", date(2026, 11, 16), None, None),
    ("on Wednesday", date(2026, 11, 18), None, None),
    ("2 days ago", date(2026, 11, 20), None, None),
    ("two days ago", date(2026, 11, 20), None, None),
    ("a week ago", date(2026, 11, 15), None, None),
    ("half a month ago", date(2026, 11, 7), None, None),
    ("半个月前", date(2026, 11, 7), None, None),
    ("Nov 20", date(2026, 11, 20), None, None),
    ("November 20th, 2026", date(2026, 11, 20), None, None),
    ("20 Nov", date(2026, 11, 20), None, None),
    ("on the 20th", date(2026, 11, 20), None, None),
    ("20/11", date(2026, 11, 20), None, None),
    ("yesterday evening at 8", date(2026, 11, 21), time(20, 0), "evening"),
    ("yesterday at noon", date(2026, 11, 21), time(12, 0), None),
    ("last night at 11pm", date(2026, 11, 21), time(23, 0), "night"),
    ("last night at 2am", date(2026, 11, 22), time(2, 0), "night"),
    ("today at 9:30", date(2026, 11, 22), time(9, 30), None),  # 21:30 is still ahead
    ("about 2 hours ago", date(2026, 11, 22), time(8, 0), None),
    ("just now", date(2026, 11, 22), time(10, 0), None),
]


@pytest.mark.parametrize(("text", "day", "clock", "part"), ZH_CASES + EN_CASES)
def test_clear_readings(text: str, day: date | None, clock: time | None, part: str | None) -> None:
    parsed = parse_incident_datetime(text, NOW)
    assert parsed.found
    assert not parsed.ambiguous, parsed
    assert not parsed.future
    assert (parsed.date, parsed.time, parsed.part_of_day) == (day, clock, part)


@pytest.mark.parametrize(
    ("text", "reason", "alternatives"),
    [
        ("3点", d.AM_PM, (time(3, 0), time(15, 0))),
        ("三點半", d.AM_PM, (time(3, 30), time(15, 30))),
        ("at 3", d.AM_PM, (time(3, 0), time(15, 0))),
        ("昨天3点", d.AM_PM, (datetime(2026, 11, 21, 3), datetime(2026, 11, 21, 15))),
        ("yesterday at 9:30", d.AM_PM,
         (datetime(2026, 11, 21, 9, 30), datetime(2026, 11, 21, 21, 30))),
        ("周日", d.WEEKDAY_IS_TODAY, (date(2026, 11, 22), date(2026, 11, 15))),
        ("on Sunday", d.WEEKDAY_IS_TODAY, (date(2026, 11, 22), date(2026, 11, 15))),
        ("昨晚两点", d.AFTER_MIDNIGHT, (datetime(2026, 11, 21, 2), datetime(2026, 11, 22, 2))),
        ("05/11", d.DAY_MONTH_ORDER, (date(2026, 11, 5), date(2026, 5, 11))),
        ("昨天 11月20日", d.CONFLICT, (date(2026, 11, 20), date(2026, 11, 21))),
        ("上周", d.DAY_UNKNOWN, ()),
        ("前几天", d.DAY_UNKNOWN, ()),
        ("last week", d.DAY_UNKNOWN, ()),
        ("周末", d.DAY_UNKNOWN, ()),
        ("2月30日", d.INVALID_DATE, ()),
    ],
)
def test_ambiguous_readings_are_flagged_with_the_readings_to_offer(
    text: str, reason: str, alternatives: tuple
) -> None:
    parsed = parse_incident_datetime(text, NOW)
    assert parsed.ambiguous and parsed.reason == reason
    assert parsed.time is None
    assert parsed.alternatives == alternatives


@pytest.mark.parametrize(
    ("text", "day", "part"),
    [
        ("前天晚上", date(2026, 11, 20), "evening"),
        ("昨天下午", date(2026, 11, 21), "afternoon"),
        ("this morning", date(2026, 11, 22), "morning"),
        ("last night", date(2026, 11, 21), "night"),
        ("昨晚", date(2026, 11, 21), "evening"),
    ],
)
def test_a_part_of_the_day_without_an_hour_gives_the_date_and_asks_the_hour(
    text: str, day: date, part: str
) -> None:
    parsed = parse_incident_datetime(text, NOW)
    assert (parsed.date, parsed.time, parsed.part_of_day) == (day, None, part)
    assert parsed.ambiguous and parsed.reason == d.HOUR_UNKNOWN
    assert parsed.needs == ("time",)


@pytest.mark.parametrize(
    ("text", "day"),
    [("明天", date(2026, 11, 23)), ("tomorrow", date(2026, 11, 23)), ("25号", date(2026, 11, 25)),
     ("下周一", date(2026, 11, 23)), ("今晚", date(2026, 11, 22)),
     ("this evening", date(2026, 11, 22)), ("今天下午3点", date(2026, 11, 22)),
     ("2026-12-01", date(2026, 12, 1)), ("next Friday", date(2026, 11, 27))],
)
def test_future_readings_are_reported_not_corrected(text: str, day: date) -> None:
    parsed = parse_incident_datetime(text, NOW)
    assert parsed.date == day
    assert parsed.future


def test_this_friday_is_this_weeks_friday_even_when_it_has_passed() -> None:
    parsed = parse_incident_datetime("这周五", NOW)
    assert parsed.date == date(2026, 11, 20) and not parsed.future
    wednesday_now = datetime(2026, 11, 18, 2, 0)
    ahead = parse_incident_datetime("这周五", wednesday_now)
    assert ahead.date == date(2026, 11, 20) and ahead.future


def test_weekday_is_read_in_the_settings_timezone() -> None:
    # 23:30 UTC on Saturday is 07:30 on Sunday in Shanghai.
    parsed = parse_incident_datetime("今天", datetime(2026, 11, 21, 23, 30))
    assert parsed.date == date(2026, 11, 22)
    aware = datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert parse_incident_datetime("昨天下午三点", aware) == parse_incident_datetime(
        "昨天下午三点", NOW
    )
    assert parse_incident_datetime("昨天下午三点", aware.astimezone(timezone.utc)).date == date(
        2026, 11, 21
    )


def test_the_store_gets_naive_utc() -> None:
    parsed = parse_incident_datetime("昨天下午三点", NOW)
    assert parsed.local == datetime(2026, 11, 21, 15, 0)
    assert parsed.at == datetime(2026, 11, 21, 7, 0)
    assert parsed.complete


def test_a_time_alone_is_read_on_the_day_already_known() -> None:
    parsed = parse_incident_datetime("下午三点", NOW, known_date=date(2026, 11, 20))
    assert (parsed.date, parsed.time) == (date(2026, 11, 20), time(15, 0))
    resolved = parse_incident_datetime("8点", NOW, known_date=TODAY)
    assert resolved.time == time(8, 0) and not resolved.ambiguous
    alone = parse_incident_datetime("下午三点", NOW)
    assert alone.date is None and alone.needs == ("date",)


@pytest.mark.parametrize("text", ["", "有一点擦伤", "我的车被撞了", "在1号线", "快一点好吗"])
def test_words_that_say_nothing_about_time(text: str) -> None:
    parsed = parse_incident_datetime(text, NOW)
    assert not parsed.found and parsed.date is None and parsed.time is None


def test_approximate_times_are_marked() -> None:
    assert parse_incident_datetime("昨天下午3点左右", NOW).approximate
    assert parse_incident_datetime("昨天下午3点多", NOW).approximate
    assert not parse_incident_datetime("昨天下午3点", NOW).approximate


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_ask_backs(lang: str) -> None:
    def ask(text: str) -> str | None:
        return clarify_question(parse_incident_datetime(text, NOW), lang)

    am_pm = ask("3点")
    assert am_pm is not None
    assert ("凌晨3点" in am_pm and "下午3点" in am_pm) if lang == "zh" else (
        "3am" in am_pm and "3pm" in am_pm
    )
    assert ask("前天晚上") == say("when_ask_hour", lang)
    assert ask("昨天") == say("when_ask_hour", lang)
    assert ask("上周") == say("when_ask_day", lang)
    assert ask("下午3点") == say("when_ask_day", lang)
    assert ask("2月30日") == say("when_invalid", lang)
    assert ask("25号") == say("when_future", lang)
    assert ask("随便") == say("when_ask", lang)
    assert ask("昨天下午三点") is None


def test_moment_text() -> None:
    assert moment_text(datetime(2026, 11, 21, 15, 30), "zh") == "2026年11月21日 下午3点30分"
    assert moment_text(datetime(2026, 11, 21, 15, 30), "en") == "21 Nov 2026 3:30pm"
    assert moment_text(time(0, 0), "en") == "12am"
    assert moment_text(time(12, 0), "zh") == "中午12点"


def test_i_just_said_is_not_the_time_it_happened() -> None:
    # "我刚才说了" repeats what was said; "刚才在中山路被撞了" is the time
    assert parse_incident_datetime("我刚才说了啊，倒车蹭到柱子", NOW).time is None
    assert parse_incident_datetime("刚刚告诉你了", NOW).time is None
    assert parse_incident_datetime("刚才在中山路被撞了", NOW).time is not None
