"""Issue 19, an outside tester's findings on the claim report: corrections in the customer's
own words, a car on a home policy, a past illness is not an emergency, 一萬二, "sunday not
saturday", a place that runs on into the account, and the duplicate rule for parts of the day."""
from __future__ import annotations

import datetime as dt
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.claims.reporting import ReportDraft, check_draft, missing_fields, submit_report
from bot.claims.reporting.answers import (
    absorb_first_message,
    apply_correction,
    interpret_answer,
    report_summary,
)
from bot.claims.reporting.extract import extract_report_fields
from bot.clock import from_local, to_local
from bot.store.db import unit_of_work
from tests.bot.conftest import NOW

SUNDAY_NOON = dt.datetime(2026, 12, 6, 4, 0)  # 12:00 in Shanghai, Sunday 6 Dec 2026
MONDAY_NOON = dt.datetime(2026, 12, 7, 4, 0)
MOTOR = ReportDraft(policy_number="AUTO-2026-0001", line_of_business="motor", language="zh")
MOTOR_EN = ReportDraft(policy_number="AUTO-2026-0001", line_of_business="motor", language="en")
HOME = ReportDraft(policy_number="HOME-2026-0001", line_of_business="home", language="zh")
MED = ReportDraft(policy_number="MED-2026-0001", line_of_business="medical", language="zh")
GARAGE = "前天晚上在小区地下车库停车的时候把柱子蹭了，右边车门凹进去一块"


@pytest.fixture
def garage() -> ReportDraft:
    draft = absorb_first_message(MOTOR, GARAGE, SUNDAY_NOON, "zh")
    assert draft.place == "小区地下车库"
    assert draft.estimated_amount is None  # "凹进去一块" is a dent, not 1 元
    return draft


# --- 1. corrections that name their field ------------------------------------------------


def test_a_place_given_to_the_amount_question_corrects_the_place(garage):
    answer = interpret_answer(garage, "estimated_amount", "地点是虹桥天地地下车库B2",
                              SUNDAY_NOON, "zh")
    assert answer.draft.place == "虹桥天地地下车库B2"
    assert answer.draft.estimated_amount is None  # B2 is a floor, not 2 元
    assert answer.corrected and "地点已改为：虹桥天地地下车库B2" in answer.message
    assert "损失多少钱" in answer.message  # the amount is asked again, not counted as failed
    assert "estimated_amount" in missing_fields(answer.draft)


def test_a_floor_code_answered_to_the_amount_question_is_never_money(garage):
    answer = interpret_answer(garage, "estimated_amount", "在B2", SUNDAY_NOON, "zh")
    assert answer.draft.estimated_amount is None


@pytest.mark.parametrize("text, place", [
    ("地点不对，是虹桥天地地下车库B2", "虹桥天地地下车库B2"),
    ("地址写错了，应该是虹桥天地地下车库3F", "虹桥天地地下车库3F"),
    ("不对，地点是虹桥天地B2", "虹桥天地B2"),
])
def test_field_is_wrong_then_its_value_sets_that_field(garage, text, place):
    at_summary = ReportDraft(**{**garage.__dict__, "estimated_amount": Decimal("2")})
    answer = apply_correction(at_summary, text, SUNDAY_NOON, "zh")
    assert answer.draft.place == place
    assert "地点：" + place in report_summary(answer.draft, "zh")


def test_amount_wrong_and_not_known_yet_makes_the_amount_unknown(garage):
    at_summary = ReportDraft(**{**garage.__dict__, "estimated_amount": Decimal("2")})
    answer = apply_correction(at_summary, "金额不对，还不知道多少钱", SUNDAY_NOON, "zh")
    assert answer.draft.estimated_amount is None and answer.draft.place == "小区地下车库"
    assert "estimated_amount" not in missing_fields(answer.draft)  # declined, not asked again
    assert "估计损失" not in report_summary(answer.draft, "zh")


def test_a_field_said_wrong_without_its_value_is_asked_back(garage):
    answer = apply_correction(garage, "地点不对", SUNDAY_NOON, "zh")
    assert answer.draft.place == "小区地下车库" and "正确的地点" in answer.message


# --- 2. a car on a home policy -------------------------------------------------------------


def test_a_car_is_never_filed_on_a_home_policy(seeded_url):
    draft = absorb_first_message(HOME, "我的车昨天被砸了，车窗碎了", NOW, "zh")
    draft = ReportDraft(**{**draft.__dict__, "incident_type": "falling_object",
                           "incident_at": NOW - timedelta(hours=14), "place": "小区楼下",
                           "estimated_amount": Decimal("2000")})
    with unit_of_work(seeded_url) as uow:
        holder = uow.policies.by_number("HOME-2026-0001").customer_id
    problems = check_draft(draft, NOW, verified_customer_id=holder, url=seeded_url)
    assert [problem.code for problem in problems] == ["vehicle_not_covered"]
    assert "不保车辆" in problems[0].text("zh") and "车险保单号" in problems[0].text("zh")


def test_a_home_incident_in_the_garage_is_still_a_home_incident(seeded_url):
    draft = absorb_first_message(HOME, "昨天晚上车库漏水了，东西都泡了", NOW, "zh")
    with unit_of_work(seeded_url) as uow:
        holder = uow.policies.by_number("HOME-2026-0001").customer_id
    codes = [p.code for p in check_draft(draft, NOW, verified_customer_id=holder,
                                         url=seeded_url)]
    assert "vehicle_not_covered" not in codes


# --- 3. a past illness, 一萬二, a hospital correction -------------------------------------

APPENDIX = "我上週五急性闌尾炎，去醫院急診做了手術，前天出院了，一共一萬二"


def test_the_amount_in_traditional_characters_is_read_from_the_first_message():
    draft = absorb_first_message(MED, APPENDIX, SUNDAY_NOON, "zh")
    assert draft.estimated_amount == Decimal("12000")
    assert "estimated_amount" not in missing_fields(draft)


@pytest.mark.parametrize("text, amount", [("一萬二", "12000"), ("一万二", "12000"),
                                          ("1.2万", "12000"), ("费用一万二", "12000"),
                                          ("一万五千八", "15800"), ("两万三千五百", "23500")])
def test_wan_amounts(text, amount):
    assert extract_report_fields(f"住院了，{text}", SUNDAY_NOON, "zh").estimated_amount == (
        Decimal(amount))


def test_a_treated_illness_is_not_fast_tracked(seeded_url):
    draft = absorb_first_message(MED, APPENDIX, NOW, "zh")
    draft = ReportDraft(**{**draft.__dict__, "incident_type": "hospitalisation",
                           "incident_at": None, "incident_date": dt.date(2026, 11, 13),
                           "hospital": "市一医院", "admission_date": dt.date(2026, 11, 13),
                           "channel": "telegram"})
    with unit_of_work(seeded_url) as uow:
        holder = uow.policies.by_number("MED-2026-0001").customer_id
    receipt = submit_report(draft, verified_customer_id=holder, now=NOW, actor="test",
                            url=seeded_url)
    assert not receipt.fast_track and not receipt.offer_person
    with unit_of_work(seeded_url) as uow:
        flags = uow.claims.by_number(receipt.claim_number).flags
    assert not any(flag["code"] == "urgent" for flag in flags)


def test_a_hospital_name_correction_changes_the_hospital():
    draft = ReportDraft(**{**MED.__dict__, "hospital": "市一医院",
                           "incident_type": "hospitalisation"})
    answer = apply_correction(draft, "醫院名字寫錯了，是市第一人民醫院", SUNDAY_NOON, "zh")
    assert answer.draft.hospital == "市第一人民医院"
    assert answer.draft.place is None and answer.draft.description is None


# --- 4. English: another day, the part of the day kept, 2.5k, "yes" ---------------------


@pytest.fixture
def saturday() -> ReportDraft:
    draft = absorb_first_message(MOTOR_EN, "my car got hit saturday morning at the Tesco car "
                                 "park, nobody hurt", MONDAY_NOON, "en")
    assert draft.incident_date == dt.date(2026, 12, 5) and draft.incident_part == "morning"
    return draft


def test_around_ten_after_saturday_morning_is_ten_in_the_morning(saturday):
    answer = interpret_answer(saturday, "incident_hour", "around 10", MONDAY_NOON, "en")
    assert to_local(answer.draft.incident_at).hour == 10 and answer.message is None


def test_sunday_not_saturday_moves_the_day_and_keeps_the_hour(saturday):
    at_ten = interpret_answer(saturday, "incident_hour", "around 10", MONDAY_NOON, "en").draft
    answer = apply_correction(at_ten, "actually it was sunday not saturday", MONDAY_NOON, "en")
    assert answer.message is None
    assert answer.draft.incident_at == from_local(dt.date(2026, 12, 6), 10, 0)
    assert "6 Dec 2026" in report_summary(answer.draft, "en")


def test_sunday_not_saturday_before_the_hour_keeps_the_morning(saturday):
    answer = interpret_answer(saturday, "incident_hour", "actually it was sunday not saturday",
                              MONDAY_NOON, "en")
    assert answer.draft.incident_date == dt.date(2026, 12, 6)
    assert answer.draft.incident_part == "morning" and answer.corrected


def test_the_dent_probably_costs_like_2_5k(saturday):
    answer = interpret_answer(saturday, "estimated_amount",
                              "the dent probably costs like 2.5k to fix", MONDAY_NOON, "en")
    assert answer.draft.estimated_amount == Decimal("2500")


def test_yes_to_the_time_question_is_not_dont_know(saturday):
    answer = interpret_answer(saturday, "incident_hour", "yes", MONDAY_NOON, "en",
                              intent="affirm")
    assert "incident_hour" not in answer.draft.declined
    assert answer.draft.incident_part == "morning" and "what time" in answer.message


# --- 5. a place that runs on; duplicates by part of the day ------------------------------


def test_a_place_answer_that_tells_what_happened_keeps_only_the_place():
    draft = ReportDraft(**{**HOME.__dict__, "incident_type": "water_damage"})
    answer = interpret_answer(draft, "place", "地點：家裡廚房水管爆了", SUNDAY_NOON, "zh")
    assert answer.draft.place == "家里厨房"
    assert answer.draft.description == "水管爆了"


def test_two_reports_of_one_evening_on_the_same_policy_are_asked_about(seeded_url):
    with unit_of_work(seeded_url) as uow:
        holder = uow.policies.by_number("HOME-2026-0001").customer_id
    day = dt.date(2026, 11, 21)
    first = ReportDraft(policy_number="HOME-2026-0001", line_of_business="home",
                        incident_type="water_damage", incident_date=day, incident_part="evening",
                        declined=("incident_hour",), place="家里厨房",
                        description="水管爆了", estimated_amount=Decimal("3000"), language="zh")
    submit_report(first, verified_customer_id=holder, now=NOW, actor="test", url=seeded_url)
    second = ReportDraft(**{**first.__dict__, "incident_date": None,
                            "incident_at": from_local(day, 21, 30), "place": "厨房",
                            "incident_part": None})
    codes = [p.code for p in check_draft(second, NOW + timedelta(minutes=5),
                                         verified_customer_id=holder, url=seeded_url)]
    assert codes == ["maybe_duplicate"]


# --- the same words after the receipt: the submitted claim is amended ----------------------


@pytest.mark.parametrize("text, field, value", [
    ("地点不对，是虹桥天地地下车库B2", "place", "虹桥天地地下车库B2"),
    ("醫院名字寫錯了，是市第一人民醫院", "place", "市第一人民医院"),
    ("地點：家裡廚房水管爆了", "place", "家里厨房"),
    ("经过补充一下：我在医院住了三天", "description", "我在医院住了三天"),
])
def test_amend_requests_in_the_testers_words(text, field, value):
    from bot.claims.reporting.amend import parse_amend_request

    request = parse_amend_request(text)
    assert (request.field, request.value) == (field, value)


def test_amount_not_known_yet_after_the_receipt_makes_the_loss_unknown(seeded_url):
    from bot.claims.reporting.amend import amend_claim, parse_amend_request

    with unit_of_work(seeded_url) as uow:
        customer = uow.claims.by_number("CLM-2026-000004").policy.customer_id
    done = amend_claim("CLM-2026-000004", parse_amend_request("金额不对，还不知道多少钱"),
                       customer_id=customer, actor="conversation:test", now=NOW,
                       url=seeded_url)
    assert done.new == "不详"
    with unit_of_work(seeded_url) as uow:
        assert uow.claims.by_number("CLM-2026-000004").estimated_amount is None


@pytest.mark.parametrize("text", ["地方是不是要写详细地址？", "the place is fine"])
def test_a_question_or_an_ok_about_a_field_changes_nothing(garage, text):
    answer = interpret_answer(garage, "estimated_amount", text, SUNDAY_NOON, "zh")
    assert answer.draft.place == "小区地下车库"


def test_the_loss_is_unknown_in_english(saturday):
    answer = interpret_answer(saturday, "estimated_amount", "the loss is unknown", MONDAY_NOON,
                              "en")
    assert "estimated_amount" in answer.draft.declined
    assert "estimated_amount" not in missing_fields(answer.draft)


def test_a_labelled_place_in_the_first_message_keeps_only_the_place():
    draft = absorb_first_message(HOME, "時間：昨晚大概八九點\n地點：家裡廚房水管爆了",
                                 SUNDAY_NOON, "zh")
    assert draft.place == "家里厨房" and draft.incident_type == "water_damage"
    assert "水管爆了" in draft.description


@pytest.mark.parametrize("text, place", [("家裡廚房水管爆了", "家里厨房"),
                                         ("虹桥玻璃店门口", "虹桥玻璃店门口")])
def test_a_place_answer_keeps_the_place_words(text, place):
    draft = absorb_first_message(HOME, "昨晚八九点家里水管爆了", SUNDAY_NOON, "zh")
    assert interpret_answer(draft, "place", text, SUNDAY_NOON, "zh").draft.place == place


def test_a_correction_to_the_value_already_stored_says_so():
    draft = ReportDraft(**{**MED.__dict__, "hospital": "华山医院",
                           "incident_type": "hospitalisation"})
    answer = apply_correction(draft, "不对，地点是华山医院", SUNDAY_NOON, "zh")
    assert answer.draft == draft and "医院记的就是：华山医院" in answer.message


def test_a_hospital_name_alone_at_the_summary_is_the_hospital():
    draft = ReportDraft(**{**MED.__dict__, "hospital": "华山医阮",
                           "incident_type": "hospitalisation"})
    assert apply_correction(draft, "华山医院", SUNDAY_NOON, "zh").draft.hospital == "华山医院"


@pytest.mark.parametrize("text, incident_at, past", [
    (APPENDIX, None, True),
    ("前天晚上出的车祸，骨折了", dt.datetime(2026, 12, 4, 12, 0), True),
    ("上周出的车祸，我老婆现在还在ICU抢救", dt.datetime(2026, 11, 29, 12, 0), False),
    ("刚才厨房着火了", SUNDAY_NOON - timedelta(minutes=30), False),
])
def test_what_is_past_and_what_is_still_happening(text, incident_at, past):
    from bot.claims.reporting.urgent import is_past, urgency

    assert is_past(text, incident_at, SUNDAY_NOON) is past
    if past:
        assert urgency(text) is None


@pytest.mark.parametrize("text", ["不对", "错了", "no"])
def test_a_bare_no_at_the_summary_asks_which_field(garage, text):
    answer = apply_correction(garage, text, SUNDAY_NOON, "zh")
    assert answer.draft == garage and "哪里需要改" in answer.message


def test_no_to_the_injuries_question_is_still_no(garage):
    answer = interpret_answer(garage, "injuries", "不对", SUNDAY_NOON, "zh", intent="deny")
    assert answer.draft.injuries is False
