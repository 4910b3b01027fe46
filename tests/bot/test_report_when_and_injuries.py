"""Issue 19 (items 1 and 2): the day and hour of an incident, the day of admission and injuries,
read from the answers customers gave in the journeys, so that no question is asked three times.
Every reading is made at an injected clock, never today's date."""
from __future__ import annotations

import datetime as dt

import pytest

from bot import asks
from bot.claims.reporting import ReportDraft, missing_fields
from bot.claims.reporting.answers import injuries_answer, interpret_answer
from bot.dates import choose_reading, day_named, parse_incident_datetime

NOW = dt.datetime(2026, 12, 6, 4, 0)  # 12:00 in Shanghai, naive UTC
HOSPITAL_STAY = ReportDraft(policy_number="MED-2026-0999", line_of_business="medical",
                            incident_type="hospitalisation", language="zh")
OUTPATIENT = ReportDraft(policy_number="MED-2026-0999", line_of_business="medical",
                         incident_type="outpatient", incident_at=dt.datetime(2026, 11, 20, 2, 0),
                         hospital="示例医院", language="zh")


@pytest.mark.parametrize("text, day", [
    ("2026年12月2日 8点30分", dt.date(2026, 12, 2)),  # morning or evening: the day is known
    ("嗯，2026年12月4日 8点。", dt.date(2026, 12, 4)),
    ("22 November 2026 11:00", dt.date(2026, 11, 22)),
    ("2026年11月24日 9點", dt.date(2026, 11, 24)),
    ("4天前 早上八点半", dt.date(2026, 12, 2)),
    ("4天前 早上八點半", dt.date(2026, 12, 2)),
    ("2026年12月2日", dt.date(2026, 12, 2)),
])
def test_the_day_a_reading_names_whatever_its_hour(text, day):
    assert day_named(parse_incident_datetime(text, NOW)) == day


@pytest.mark.parametrize("text", ["上周", "前几天", "大概二十多天前 不记得了"])
def test_a_vague_day_names_no_day(text):
    assert day_named(parse_incident_datetime(text, NOW)) is None


@pytest.mark.parametrize("text", [
    "2026年12月2日 8点30分", "22 November 2026 11:00", "嗯，2026年12月4日 8点。",
    "4天前 早上八点半",
])
def test_an_admission_day_with_an_hour_is_taken(text):
    answer = interpret_answer(OUTPATIENT, "admission_date", text, NOW, "zh")
    assert answer.draft.admission_date is not None and answer.message is None
    assert "admission_date" not in missing_fields(answer.draft)


def test_an_admission_day_still_to_come_is_asked_again():
    answer = interpret_answer(OUTPATIENT, "admission_date", "2026年12月9日 8点", NOW, "zh")
    assert answer.draft.admission_date is None and answer.message


@pytest.mark.parametrize("text, local", [
    ("12天前 早上9点", dt.datetime(2026, 11, 24, 9, 0)),
    ("4天前 早上八点半", dt.datetime(2026, 12, 2, 8, 30)),
    ("4天前 早上八點半", dt.datetime(2026, 12, 2, 8, 30)),
    ("admitted 4 days ago at 8:30 in the morning", dt.datetime(2026, 12, 2, 8, 30)),
])
def test_a_hospital_stay_is_admitted_on_the_day_it_happened(text, local):
    answer = interpret_answer(HOSPITAL_STAY, "incident_time", text, NOW, "zh")
    assert answer.draft.incident_at == local - dt.timedelta(hours=8)
    assert answer.draft.admission_date == local.date()
    assert "admission_date" not in missing_fields(answer.draft)


def test_an_outpatient_visit_still_asks_the_day_of_admission():
    draft = ReportDraft(**{**OUTPATIENT.as_dict(), "incident_at": None})
    answer = interpret_answer(draft, "incident_time", "12天前 早上9点", NOW, "zh")
    assert answer.draft.admission_date is None


COLLISION = ReportDraft(policy_number="AUTO-2026-0999", line_of_business="motor",
                        incident_type="collision", language="zh")


@pytest.mark.parametrize("text, pick, local", [
    ("2026年11月27日 10點", "上午", dt.datetime(2026, 11, 27, 10, 0)),
    ("2026年12月2日 8点30分", "晚上", dt.datetime(2026, 12, 2, 20, 30)),
    ("22 November 2026 11:00", "in the morning", dt.datetime(2026, 11, 22, 11, 0)),
])
def test_morning_or_evening_is_asked_for_the_day_given_and_the_answer_picks_one(text, pick, local):
    first = interpret_answer(COLLISION, "incident_time", text, NOW, "zh")
    assert first.draft.incident_date == local.date() and first.message  # "上午…还是晚上…？"
    assert missing_fields(first.draft)[0] == "incident_hour"
    second = interpret_answer(first.draft, "incident_hour", pick, NOW, "zh")
    assert second.draft.incident_at == local - dt.timedelta(hours=8)
    assert second.draft.pending_times == ()


@pytest.mark.parametrize("text, day", [
    ("2026年11月27日 10點", dt.date(2026, 11, 27)),
    ("22 November 2026 11:00", dt.date(2026, 11, 22)),
])
def test_a_hospital_stay_keeps_the_day_of_an_hour_that_reads_both_ways(text, day):
    first = interpret_answer(HOSPITAL_STAY, "incident_time", text, NOW, "zh")
    assert first.message is None and first.draft.admission_date == day
    assert "incident_hour" not in missing_fields(first.draft)


def test_the_offered_readings_survive_the_slot():
    first = interpret_answer(COLLISION, "incident_time", "2026年11月27日 10点", NOW, "zh")
    again = ReportDraft.from_dict(first.draft.as_dict())
    assert again.pending_times == first.draft.pending_times
    assert again.pending_times  # the two readings offered


@pytest.mark.parametrize("text, expected", [
    ("上午", dt.datetime(2026, 11, 27, 10)),
    ("早上", dt.datetime(2026, 11, 27, 10)),
    ("晚上吧", dt.datetime(2026, 11, 27, 22)),
    ("pm", dt.datetime(2026, 11, 27, 22)),
    ("嗯", None),
])
def test_choose_reading(text, expected):
    offered = (dt.datetime(2026, 11, 27, 10), dt.datetime(2026, 11, 27, 22))
    assert choose_reading(text, offered) == expected


@pytest.mark.parametrize("text, hurt", [
    ("肘部骨裂", True),
    ("擦破点皮", True),
    ("骑电动车的人膝盖擦破了皮，去诊所包了一下", True),
    ("no one hurt but my wrist is sore", True),
    ("没人受伤，就是手腕有点疼", True),
    ("住院治療", True),
    ("有人受伤", True),
    ("没人受伤", False),
    ("没有", False),
    ("nobody was hurt", False),
    ("no", False),
    ("这个嘛", None),
])
def test_injuries_in_the_customers_words(text, hurt):
    assert injuries_answer(text) is hurt


def test_an_injury_answer_overrides_the_denial_read_in_the_same_message():
    draft = ReportDraft(policy_number="AUTO-2026-0999", line_of_business="motor",
                        incident_type="collision", incident_at=dt.datetime(2026, 12, 5, 1),
                        place="示例路", description="被追尾")
    answer = interpret_answer(draft, "injuries", "no one hurt but my wrist is sore", NOW, "en")
    assert answer.draft.injuries is True and "injuries" not in missing_fields(answer.draft)


def test_when_and_the_hour_for_that_day_are_one_count():
    counts, step = asks.failed(None, "report", "incident_time")
    assert step is asks.Step.REASK
    counts = asks.answered(counts, "report", "incident_time", "incident_hour")  # a day given
    counts, step = asks.failed(counts, "report", "incident_hour")
    assert step is asks.Step.OTHER_WAY
    counts, step = asks.failed(counts, "report", "admission_date")
    assert step is asks.Step.GIVE_UP


def test_the_count_starts_again_once_another_question_follows():
    counts, _ = asks.failed(None, "report", "incident_hour")
    assert asks.answered(counts, "report", "incident_hour", "hospital") == {}
    assert not asks.same_question("report", "incident_time", "place")
    assert not asks.same_question("report", None, "incident_hour")


@pytest.mark.parametrize("text, part", [
    ("好像2026年11月16日 不记得几点了", None),
    ("16 November 2026, I don't remember the time", None),
    ("2026年11月16日上午 具体几点记不清", "morning"),
])
def test_a_day_said_with_the_hour_unknown_does_not_ask_the_hour(text, part):
    answer = interpret_answer(HOSPITAL_STAY, "incident_time", text, NOW, "zh")
    assert answer.draft.incident_date == dt.date(2026, 11, 16) and answer.message is None
    assert answer.draft.incident_part == part
    assert "incident_hour" not in missing_fields(answer.draft)
    assert answer.draft.admission_date == dt.date(2026, 11, 16)
