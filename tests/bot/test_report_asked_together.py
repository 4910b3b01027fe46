"""Two report questions asked in one message (issue 19: fewer turns, nothing asked twice): which
fields go together, how an answer to both, to either part, or hedged is read, and the words a
customer uses for the place or the hospital next to other words."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.claims.amounts import parse_amount
from bot.claims.reporting.answers import interpret_answer, interpret_answer_to, named_correction
from bot.claims.reporting.extract import incident_kinds
from bot.claims.reporting.service import (
    ReportDraft,
    fit_to_line,
    missing_fields,
    question_fields,
    question_key,
)
from bot.replies import say

NOW = dt.datetime(2026, 12, 6, 4, 0)  # 12:00 Beijing time, injected
CAR = ReportDraft(policy_number="AUTO-2026-0999", line_of_business="motor",
                  incident_type="collision", language="zh")
CAR_PLACED = ReportDraft(**{**CAR.as_dict(), "incident_at": dt.datetime(2026, 12, 3, 12),
                            "place": "地下车库", "description": "被刮了一道"})
HOME = ReportDraft(policy_number="HOME-2026-0999", line_of_business="home",
                   incident_type="water_damage", language="en")
STAY = ReportDraft(policy_number="MED-2026-0999", line_of_business="medical",
                   incident_type="hospitalisation", language="zh")


def test_when_and_where_are_asked_together_then_hurt_and_loss():
    assert question_fields(missing_fields(CAR)) == ("incident_time", "place")
    assert question_fields(missing_fields(CAR_PLACED)) == ("injuries", "estimated_amount")
    assert question_fields(["estimated_amount"]) == ("estimated_amount",)
    assert question_fields([]) == ()
    # only the fields still missing are asked: a place already told is not asked again
    told = ReportDraft(**{**CAR.as_dict(), "place": "中山路"})
    assert question_fields(missing_fields(told)) == ("incident_time",)


@pytest.mark.parametrize("fields", [
    ("incident_time", "place"), ("incident_hour", "place"), ("injuries", "estimated_amount"),
    ("hospital", "admission_date"), ("description", "estimated_amount"),
])
def test_every_pair_has_its_question_in_both_languages(fields):
    for lang in ("zh", "en"):
        text = say(question_key(fields), lang)
        assert text and "report_ask_together" not in text


@pytest.mark.parametrize("text, local, place", [
    ("昨天下午三点，中山路", dt.datetime(2026, 12, 5, 15, 0), "中山路"),
    ("昨天下午三点 中山路", dt.datetime(2026, 12, 5, 15, 0), "中山路"),
    ("yesterday 3pm, my flat, kitchen", dt.datetime(2026, 12, 5, 15, 0), "my flat, kitchen"),
])
def test_an_answer_to_both_parts_fills_both(text, local, place):
    answer = interpret_answer_to(CAR, ("incident_time", "place"), text, NOW, "zh")
    assert answer.draft.incident_at == local - dt.timedelta(hours=8)
    assert answer.draft.place == place
    assert answer.message is None


def test_words_that_are_not_a_place_are_never_stored_as_one():
    # "快点" / "赶紧的" are urgency, not where it happened; the time still to come is refused
    answer = interpret_answer_to(CAR, ("incident_time", "place"),
                                 "2026年12月6日 13点10分 快点", NOW, "zh")
    assert answer.draft.place is None and answer.message
    answer = interpret_answer_to(CAR, ("incident_time", "place"),
                                 "今天 中午1点10分 赶紧的，家乐福停车场 赶紧的", NOW, "zh")
    assert answer.draft.place == "家乐福停车场"


def test_an_answer_to_the_second_part_alone_is_kept_and_the_first_asked_again():
    answer = interpret_answer_to(CAR, ("incident_time", "place"), "在中山路", NOW, "zh")
    assert answer.draft.place == "中山路" and not answer.draft.has_time
    assert "place" in answer.changed
    assert missing_fields(answer.draft)[0] == "incident_time"


@pytest.mark.parametrize("text, hurt, amount", [
    ("没人受伤，大概三千", False, 3000),
    ("no one hurt, about 2500", False, 2500),
    ("没人受伤", False, None),
])
def test_hurt_and_loss_in_one_answer(text, hurt, amount):
    answer = interpret_answer_to(CAR_PLACED, ("injuries", "estimated_amount"), text, NOW, "zh")
    assert answer.draft.injuries is hurt
    assert (answer.draft.estimated_amount is None if amount is None
            else float(answer.draft.estimated_amount) == amount)


def test_the_hospital_is_the_part_that_names_no_day():
    draft = ReportDraft(**{**STAY.as_dict(), "incident_date": dt.date(2026, 11, 10)})
    assert question_fields(missing_fields(draft)) == ("hospital", "admission_date")
    answer = interpret_answer_to(draft, ("hospital", "admission_date"), "市第一医院，11月10日入院",
                                 NOW, "zh")
    assert answer.draft.hospital == "市第一医院"
    assert answer.draft.admission_date == dt.date(2026, 11, 10)


@pytest.mark.parametrize("text, hospital", [
    ("这个嘛，我想想啊，瑞金医院急诊，反正就是这么回事", "瑞金医院急诊"),
    ("华山医院", "华山医院"),
])
def test_the_hospital_named_among_other_words(text, hospital):
    draft = ReportDraft(**{**STAY.as_dict(), "incident_date": dt.date(2026, 11, 10)})
    assert interpret_answer(draft, "hospital", text, NOW, "zh").draft.hospital == hospital


def test_a_hospital_stay_takes_the_day_without_asking_the_hour():
    answer = interpret_answer(STAY, "incident_time", "2026年11月17日", NOW, "zh")
    assert answer.draft.incident_date == dt.date(2026, 11, 17) and answer.message is None
    assert "incident_hour" not in missing_fields(answer.draft)
    # a car accident still asks roughly when
    car = interpret_answer(CAR, "incident_time", "2026年11月17日", NOW, "zh")
    assert car.message and "incident_hour" in missing_fields(car.draft)


@pytest.mark.parametrize("text", ["应该是不知道 还没去修吧我也记不太清", "应该是不知道吧"])
def test_a_hedged_dont_know_declines_the_amount_and_changes_nothing_else(text):
    answer = interpret_answer(CAR_PLACED, "estimated_amount", text, NOW, "zh")
    assert answer.draft.place == "地下车库"
    assert "estimated_amount" in answer.draft.declined


def test_a_hedged_amount_is_the_amount():
    answer = interpret_answer(CAR_PLACED, "estimated_amount", "应该是三千吧", NOW, "zh")
    assert float(answer.draft.estimated_amount) == 3000 and answer.draft.place == "地下车库"


@pytest.mark.parametrize("text", ["大概二十多天前 不记得了", "二十来天前", "20多天前"])
def test_a_rough_count_of_days_is_never_an_amount(text):
    assert parse_amount(text).amount is None


@pytest.mark.parametrize("text, amount", [("两千多元", 2000), ("二十多万", 200000)])
def test_a_rough_amount_is_still_an_amount(text, amount):
    assert float(parse_amount(text).amount) == amount


@pytest.mark.parametrize("text, value", [
    ("No, the place is my flat, kitchen", "my flat, kitchen"),
    ("the place is my flat, bedroom windows", "my flat, bedroom windows"),
    ("地点是中山路，被追尾了", "中山路"),
])
def test_a_named_place_keeps_the_parts_that_name_it(text, value):
    named = named_correction(text)
    assert named is not None and named.field == "place" and named.value == value


@pytest.mark.parametrize("text", ["切菜切到手指 缝了5针", "被狗咬伤了", "I needed stitches"])
def test_everyday_injuries_are_injuries(text):
    assert "injury" in incident_kinds(text)


def test_an_accident_policy_does_not_ask_whether_someone_was_hurt():
    draft = fit_to_line(ReportDraft(policy_number="ACC-2026-0999", line_of_business="accident",
                                    incident_type="injury"), "accident")
    assert draft.injuries is True and "injuries" not in missing_fields(draft)
    # a car accident still asks
    assert "injuries" in missing_fields(fit_to_line(CAR_PLACED, "motor"))


@pytest.mark.parametrize("text, day, hospital", [
    ("上周三，市第一医院", dt.date(2026, 11, 25), "市第一医院"),
    ("八天前 半夜十一点半送去的，瑞金医院急诊", dt.date(2026, 11, 28), "瑞金医院急诊"),
])
def test_a_hospital_stay_is_asked_the_day_and_the_hospital_together(text, day, hospital):
    fields = question_fields(missing_fields(STAY))
    assert fields == ("incident_time", "hospital")
    answer = interpret_answer_to(STAY, fields, text, NOW, "zh")
    assert answer.draft.hospital == hospital and answer.draft.admission_date == day


# --- what an outside tester found (stop 24) -------------------------------------------------


def test_a_time_corrected_inside_one_message_takes_the_last_one():
    answer = interpret_answer(CAR, "incident_time", "昨天，不对，前天", NOW, "zh")
    assert answer.draft.incident_date == dt.date(2026, 12, 4)
    answer = interpret_answer(CAR, "incident_time",
                              "yesterday, no wait, Saturday, around 9pm", NOW, "en")
    assert answer.draft.incident_at == dt.datetime(2026, 12, 5, 13, 0)  # 21:00 Beijing time


def test_the_part_of_the_day_corrected_at_the_summary_is_the_time_not_the_place():
    from bot.claims.reporting.answers import apply_correction
    draft = ReportDraft(**{**CAR.as_dict(), "incident_date": dt.date(2026, 11, 15),
                           "incident_part": "morning", "place": "幸福小区7号楼下"})
    answer = apply_correction(draft, "时间应该是15号晚上不是早上", NOW, "zh")
    assert answer.draft.incident_part == "evening" and answer.draft.place == "幸福小区7号楼下"


@pytest.mark.parametrize("text, place", [
    ("在哪里？在3号楼旁边的停车场，前天夜里两点左右", "3号楼旁边的停车场"),
    ("上个月15号在菜市场门口跟电动车碰了一下", "菜市场"),
    ("在学校门口倒车的时候蹭到了旁边一辆车", "学校"),
    ("我老伴从楼梯上摔下来了，头在流血", None),
    ("在人民广场停车场被撞", "人民广场停车场"),
])
def test_the_place_is_the_words_that_name_it(text, place):
    from bot.claims.reporting.extract import extract_report_fields
    assert extract_report_fields(text, NOW, "zh").place == place


def test_a_word_with_a_one_in_it_is_not_a_loss_of_one_yuan():
    answer = interpret_answer_to(CAR_PLACED, ("injuries", "estimated_amount"),
                                 "骑电动车的人膝盖擦破了皮，去诊所包了一下", NOW, "zh")
    assert answer.draft.injuries is True and answer.draft.estimated_amount is None


@pytest.mark.parametrize("text", ["around 11 in the morning", "about 9 in the morning"])
def test_an_hour_in_the_morning_is_not_an_amount(text):
    assert parse_amount(text).amount is None


def test_another_report_asked_for_at_the_summary_is_told_apart_from_a_correction():
    from bot.claims.reporting.answers import asks_for_another_report
    assert asks_for_another_report("我还要报一个案，车窗被砸了")
    assert asks_for_another_report("I need to report another one, someone keyed my car")
    assert not asks_for_another_report("不对，地点是中山路")


@pytest.mark.parametrize("text, amount", [("六七百", 600), ("大概三四千", 3000),
                                          ("两三千块", 2000)])
def test_two_neighbouring_figures_are_a_rough_amount(text, amount):
    parsed = parse_amount(text)
    assert float(parsed.amount) == amount and parsed.approximate
