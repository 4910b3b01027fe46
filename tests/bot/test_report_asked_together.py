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
    question_text,
)

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
    assert question_fields(missing_fields(CAR)) == (
        "incident_time", "place", "injuries", "estimated_amount")
    assert question_fields(missing_fields(CAR_PLACED)) == ("injuries", "estimated_amount")
    assert question_fields(["estimated_amount"]) == ("estimated_amount",)
    assert question_fields([]) == ()
    # only the fields still missing are asked: a place already told is not asked again
    told = ReportDraft(**{**CAR.as_dict(), "place": "中山路"})
    assert question_fields(missing_fields(told)) == (
        "incident_time", "injuries", "estimated_amount")
    assert question_fields(["incident_time", "place"]) == ("incident_time", "place")
    assert question_fields(["place", "estimated_amount"]) == ("place",)


@pytest.mark.parametrize("fields", [
    ("incident_time", "place"), ("incident_hour", "place"), ("injuries", "estimated_amount"),
    ("hospital", "admission_date"), ("description", "estimated_amount"),
])
def test_every_pair_has_its_question_in_both_languages(fields):
    for lang in ("zh", "en"):
        text = question_text(fields, lang)
        assert text and "report_ask" not in text


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
    assert question_fields(missing_fields(draft)) == (
        "hospital", "admission_date", "estimated_amount")
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
    assert fields == ("incident_time", "hospital", "estimated_amount")
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


# --- what is still needed, asked in one message (stop 25) -----------------------------------

CAR_TOLD = ReportDraft(**{**CAR.as_dict(), "description": "等红灯被追尾了"})


def test_what_is_still_needed_is_listed_in_one_short_question():
    fields = question_fields(missing_fields(CAR_TOLD))
    assert fields == ("incident_time", "place", "injuries", "estimated_amount")
    for lang in ("zh", "en"):
        text = question_text(fields, lang, "motor")
        assert len(text.splitlines()) <= 6  # fits a phone screen
        assert "report_ask" not in text
    zh = question_text(fields, "zh", "motor")
    assert "什么时候" in zh and "在哪里" in zh and "受伤" in zh and "多少钱" in zh
    # a hospital stay is asked in its own words: the day of the treatment, what it cost
    stay = question_text(("incident_time", "hospital", "estimated_amount"), "zh", "medical")
    assert "哪天看的病" in stay and "花了多少钱" in stay and "什么时候发生" not in stay


def test_two_days_or_a_place_and_a_hospital_are_never_asked_together():
    assert question_fields(["incident_time", "admission_date", "estimated_amount"]) == (
        "incident_time", "estimated_amount")
    assert question_fields(["incident_time", "hospital", "place"]) == (
        "incident_time", "hospital")
    # the account takes any words: only the amount goes with it
    assert question_fields(["description", "injuries", "estimated_amount"]) == (
        "description", "estimated_amount")


@pytest.mark.parametrize("text, lang, place, hurt, amount", [
    ("昨天下午三点，中山路，没人受伤，大概三千", "zh", "中山路", False, 3000),
    ("昨天下午3点 中山路 人没事 修理厂说大概三千块", "zh", "中山路", False, 3000),
    ("昨天下午三点在中山路被追尾 没人受伤 损失3000左右", "zh", "中山路", False, 3000),
    ("yesterday 3pm, Elm Road, nobody hurt, about 2500", "en", "Elm Road", False, 2500),
    ("昨天下午三点，人民路2栋301门口，司机擦破点皮，5000", "zh", "人民路2栋301门口", True, 5000),
])
def test_an_answer_to_every_part_fills_every_field(text, lang, place, hurt, amount):
    fields = question_fields(missing_fields(CAR_TOLD))
    answer = interpret_answer_to(CAR_TOLD, fields, text, NOW, lang)
    draft = answer.draft
    assert draft.incident_at == dt.datetime(2026, 12, 5, 7, 0)  # 15:00 Beijing time
    assert draft.place == place
    assert draft.injuries is hurt
    assert float(draft.estimated_amount) == amount
    assert answer.message is None and missing_fields(draft) == []


def test_dont_know_at_the_end_is_the_amount_declined_and_nothing_else():
    fields = question_fields(missing_fields(CAR_TOLD))
    answer = interpret_answer_to(CAR_TOLD, fields, "昨天下午三点，中山路，没人受伤，不知道",
                                 NOW, "zh")
    assert answer.draft.place == "中山路" and answer.draft.injuries is False
    assert answer.draft.estimated_amount is None
    assert "estimated_amount" in answer.draft.declined
    assert missing_fields(answer.draft) == []


def test_an_answer_to_later_parts_alone_is_kept_and_the_time_asked_again():
    fields = question_fields(missing_fields(CAR_TOLD))
    answer = interpret_answer_to(CAR_TOLD, fields, "没人受伤，3000", NOW, "zh")
    assert answer.draft.injuries is False and float(answer.draft.estimated_amount) == 3000
    assert answer.draft.place is None  # "没人受伤" and "3000" are not a place
    assert missing_fields(answer.draft)[0] == "incident_time"
    assert {"injuries", "estimated_amount"} <= set(answer.changed)


def test_a_number_alone_is_not_a_hospital():
    draft = ReportDraft(**{**STAY.as_dict(), "incident_date": dt.date(2026, 11, 10),
                           "admission_date": dt.date(2026, 11, 10), "description": "住院"})
    fields = question_fields(missing_fields(draft))
    assert fields == ("hospital", "estimated_amount")
    answer = interpret_answer_to(draft, fields, "5000", NOW, "zh")
    assert answer.draft.hospital is None and float(answer.draft.estimated_amount) == 5000
    answer = interpret_answer_to(draft, fields, "市第一医院，5000", NOW, "zh")
    assert answer.draft.hospital == "市第一医院"


@pytest.mark.parametrize("text, lang, place, hurt, amount", [
    # a bare "没有" in the list's place for "anyone hurt?" answers it
    ("昨天 下午4点，沪宁高速无锡段，没有，一千九", "zh", "沪宁高速无锡段", False, 1900),
    ("昨天晚上 晚上十一点，人民路停车场，没人受上，两千八", "zh", "人民路停车场", False, 2800),
    # "万龙" is a name, not ten thousand; "3,100" is one figure, not 3 and 100
    ("昨天下午3点，万龙滑雪场，没人受伤，六千四", "zh", "万龙滑雪场", False, 6400),
    ("yesterday 3pm, my living room, no, about 3,100", "en", "my living room", False, 3100),
])
def test_the_parts_are_told_apart_in_the_words_customers_use(text, lang, place, hurt, amount):
    fields = question_fields(missing_fields(CAR_TOLD))
    draft = interpret_answer_to(CAR_TOLD, fields, text, NOW, lang).draft
    assert (draft.place, draft.injuries, float(draft.estimated_amount)) == (place, hurt, amount)


def test_a_hospital_name_with_a_numeral_is_not_the_amount():
    fields = question_fields(missing_fields(STAY))
    draft = interpret_answer_to(STAY, fields, "上周三晚上七点多，市六院骨科，四千三", NOW,
                                "zh").draft
    assert draft.hospital == "市六院骨科" and float(draft.estimated_amount) == 4300


def test_a_thousands_comma_is_not_read_as_a_second_time():
    stay = ReportDraft(**{**STAY.as_dict(), "language": "en"})
    fields = question_fields(missing_fields(stay))
    draft = interpret_answer_to(stay, fields, "two weeks ago around 11 in the morning, "
                                "United Family Hospital, about 18,500 yuan", NOW, "en").draft
    assert draft.admission_date == dt.date(2026, 11, 22)
    assert float(draft.estimated_amount) == 18500
    assert missing_fields(draft) == ["description"]  # STAY has no account yet


def test_a_stay_on_a_day_with_an_hour_either_way_takes_the_day_without_asking():
    # "10点" could be morning or evening; for a hospital stay the day is what is asked
    answer = interpret_answer_to(STAY, ("incident_time",), "11月28日 10点", NOW, "zh")
    assert answer.message is None
    assert answer.draft.admission_date == dt.date(2026, 11, 28)


# --- what a second outside tester found (stop 25) -------------------------------------------

EN_CAR = ReportDraft(**{**CAR_TOLD.as_dict(), "language": "en"})


@pytest.mark.parametrize("draft, text, lang, when, place", [
    # a house number or an amount is never the hour
    (CAR_TOLD, "嗯 那个 大概三千块吧 没人受伤 在人民路88号3栋门口 昨天下午3点左右", "zh",
     dt.datetime(2026, 12, 5, 7, 0), "人民路88号3栋门口"),
    (CAR_TOLD, "前天晚上8点 在人民路88号3栋，没人受伤，三千", "zh",
     dt.datetime(2026, 12, 4, 12, 0), "人民路88号3栋"),
    (EN_CAR, "yesterday morning around 9ish, at my flat 14 Elm Road, nobody hurt, about 2,500",
     "en", dt.datetime(2026, 12, 5, 1, 0), "my flat 14 Elm Road"),
    # the place part is kept whole, not cut to its last words
    (EN_CAR, "yesterday 3pm, Tesco car park on Elm Road, nobody hurt, about 2,500 yuan", "en",
     dt.datetime(2026, 12, 5, 7, 0), "Tesco car park on Elm Road"),
    (CAR_TOLD, "昨天下午3点 我家楼下2号楼门口 没事 三千", "zh",
     dt.datetime(2026, 12, 5, 7, 0), "我家楼下2号楼门口"),
])
def test_numbers_of_an_address_or_an_amount_are_never_the_time(draft, text, lang, when, place):
    fields = question_fields(missing_fields(draft))
    answer = interpret_answer_to(draft, fields, text, NOW, lang)
    assert answer.draft.incident_at == when
    assert answer.draft.place == place
    assert answer.draft.estimated_amount is not None and answer.draft.estimated_amount >= 2500


@pytest.mark.parametrize("text, amount, declined", [
    ("昨天下午3点，中山路，没事，钱的话五六千吧", 5000, False),
    ("yesterday 3pm, Elm Road, nobody hurt, repair quote is 1,500", 1500, False),
    ("昨天下午3点，中山路，没人受伤，钱还不知道", None, True),
    ("yesterday 3pm, Elm Road, nobody hurt, not sure how much yet", None, True),
])
def test_the_amount_is_read_from_the_part_about_money(text, amount, declined):
    fields = question_fields(missing_fields(CAR_TOLD))
    draft = interpret_answer_to(CAR_TOLD, fields, text, NOW, "zh").draft
    assert (draft.estimated_amount is None if amount is None
            else float(draft.estimated_amount) == amount)
    assert ("estimated_amount" in draft.declined) is declined
    assert missing_fields(draft) == []


def test_a_stay_is_dated_by_the_day_in_not_the_day_out():
    fields = question_fields(missing_fields(STAY))
    draft = interpret_answer_to(
        STAY, fields, "上個月28號住進第一人民醫院 到這個月3號出院 花了兩萬左右", NOW, "zh").draft
    assert draft.incident_date == dt.date(2026, 11, 28)
    assert draft.admission_date == dt.date(2026, 11, 28)
    assert draft.hospital == "第一人民医院" and float(draft.estimated_amount) == 20000


def test_a_hospital_named_inside_a_dated_part_and_words_after_a_name_are_not_kept():
    fields = question_fields(missing_fields(STAY))
    draft = interpret_answer_to(STAY, fields, "3号住进市三院的，花了五千", NOW, "zh").draft
    assert draft.hospital == "市三院" and draft.incident_date == dt.date(2026, 12, 3)
    named = interpret_answer(STAY, "hospital", "市三院啊", NOW, "zh").draft
    assert named.hospital == "市三院"
    named = interpret_answer(STAY, "hospital", "第6人民医院吧 我记错了", NOW, "zh").draft
    assert named.hospital == "第6人民医院"


@pytest.mark.parametrize("text, field, value", [
    ("不是五千 是六千二", "estimated_amount", 6200),
    ("not 5000 but 6200", "estimated_amount", 6200),
    ("不是中山路 是人民路", "place", "人民路"),
])
def test_not_this_but_that_corrects_the_field_whose_value_it_names(text, field, value):
    from bot.claims.reporting.answers import apply_correction
    draft = ReportDraft(**{**CAR_PLACED.as_dict(), "place": "中山路", "injuries": False,
                           "estimated_amount": 5000})
    fixed = apply_correction(draft, text, NOW, "zh").draft
    stored = getattr(fixed, field)
    assert (float(stored) if field == "estimated_amount" else stored) == value


def test_a_corrected_hospital_takes_the_place_that_named_the_old_one_with_it():
    from bot.claims.reporting.answers import apply_correction
    draft = ReportDraft(**{**STAY.as_dict(), "place": "市六院", "hospital": "市六院",
                           "incident_date": dt.date(2026, 12, 1), "description": "住院"})
    fixed = apply_correction(draft, "医院说错了 是第一人民医院", NOW, "zh").draft
    assert fixed.hospital == fixed.place == "第一人民医院"


def test_not_remembering_exactly_but_naming_an_hour_keeps_the_hour():
    morning = ReportDraft(**{**CAR_PLACED.as_dict(), "incident_at": None,
                             "incident_date": dt.date(2026, 12, 5), "incident_part": "morning"})
    answer = interpret_answer(morning, "incident_hour", "记不清了 8点多吧", NOW, "zh")
    assert answer.draft.incident_at == dt.datetime(2026, 12, 5, 0, 0)  # 08:00 Beijing time
    answer = interpret_answer(morning, "incident_hour", "记不清了", NOW, "zh")
    assert "incident_hour" in answer.draft.declined


@pytest.mark.parametrize("text, hospital", [
    ("在市六院住了一个礼拜 11月28号进去的 12月3号出来 自费大概2,500", "市六院"),
    ("上個月28號住進第一人民醫院 到這個月3號出院 花了1.2萬", "第一人民医院"),
])
def test_the_day_out_is_kept_as_the_discharge_and_never_asked_about(text, hospital):
    # no "28号还是3号？": the day in is the day it happened, the day out is the discharge
    stay = ReportDraft(**{**STAY.as_dict(), "description": "住院"})
    answer = interpret_answer_to(stay, question_fields(missing_fields(stay)), text,
                                 dt.datetime(2026, 12, 7, 4, 0), "zh")
    assert answer.message is None
    assert answer.draft.incident_date == answer.draft.admission_date == dt.date(2026, 11, 28)
    assert answer.draft.discharge_date == dt.date(2026, 12, 3)
    assert answer.draft.hospital == hospital


def test_a_day_out_told_at_the_summary_is_the_discharge_not_a_new_day():
    from bot.claims.reporting.answers import apply_correction
    stay = ReportDraft(**{**STAY.as_dict(), "incident_date": dt.date(2026, 11, 28),
                          "admission_date": dt.date(2026, 11, 28), "hospital": "第一人民医院",
                          "description": "住院"})
    fixed = apply_correction(stay, "還有 我是這個月3號出院的", dt.datetime(2026, 12, 7, 4, 0),
                             "zh").draft
    assert fixed.incident_date == dt.date(2026, 11, 28)
    assert fixed.discharge_date == dt.date(2026, 12, 3)


def test_not_this_but_that_when_the_first_value_is_written_another_way():
    from bot.claims.reporting.answers import apply_correction
    draft = ReportDraft(**{**CAR_PLACED.as_dict(), "place": "Nanjing Road 1288号",
                           "injuries": False, "estimated_amount": 18000})
    fixed = apply_correction(draft, "不是中山路 是人民路", NOW, "zh").draft
    assert fixed.place == "人民路"  # never "中山路 是人民路"
    fixed = apply_correction(draft, "不是五千 是六千二", NOW, "zh").draft
    assert float(fixed.estimated_amount) == 6200


@pytest.mark.parametrize("text, hospital", [
    ("就是市六院", "市六院"), ("在市六院住了一个礼拜", "市六院"), ("瑞金医院急诊", "瑞金医院急诊"),
])
def test_the_hospital_is_stored_without_the_words_around_it(text, hospital):
    assert interpret_answer(STAY, "hospital", text, NOW, "zh").draft.hospital == hospital


def test_an_opening_with_an_hour_read_both_ways_keeps_the_day_and_asks_only_which():
    from bot.claims.reporting.answers import absorb_first_message
    from bot.claims.reporting.service import next_question
    opened = absorb_first_message(ReportDraft(language="zh"),
                                  "上个月28号10点半在人民路88号被追尾了 没人受伤 修车3k左右",
                                  dt.datetime(2026, 12, 7, 4, 0), "zh")
    draft = fit_to_line(ReportDraft.from_dict({**opened.as_dict(),
                                               "policy_number": "AUTO-2026-0001",
                                               "line_of_business": "motor"}), "motor")
    assert draft.incident_date == dt.date(2026, 11, 28)
    assert missing_fields(draft) == ["incident_hour"]
    question = next_question(draft, "zh")
    assert "上午10点30分" in question and "晚上10点30分" in question
    answer = interpret_answer_to(draft, ("incident_hour",), "晚上", NOW, "zh")
    assert answer.draft.incident_at == dt.datetime(2026, 11, 28, 14, 30)  # 22:30 Beijing
