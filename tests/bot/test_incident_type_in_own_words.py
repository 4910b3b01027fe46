"""Issue #19: the "what happened" question answered in the customer's own words (typos,
traditional characters, a sentence with no type in it) is read, not asked again and again."""
from __future__ import annotations

from datetime import datetime

import pytest

from bot import asks
from bot.claims.reporting import ReportDraft
from bot.claims.reporting.answers import (
    chosen_incident_type,
    interpret_answer,
    tells_what_happened,
)
from bot.claims.reporting.extract import asks_to_report_incident, general_incident_type
from bot.documents import checklist, incident_types
from bot.replies import say

NOW = datetime(2026, 11, 20, 6, 0)  # a fixed clock (naive UTC)
MEDICAL = ReportDraft(policy_number="MED-2026-1234", line_of_business="medical", language="zh")
MOTOR = ReportDraft(policy_number="AUTO-2026-1234", line_of_business="motor", language="zh")
HOME = ReportDraft(policy_number="HOME-2026-1234", line_of_business="home", language="zh")


def _type(draft: ReportDraft, text: str) -> str | None:
    return interpret_answer(draft, "incident_type", text, NOW, "zh").draft.incident_type


@pytest.mark.parametrize(("text", "expected"), [
    ("胃疼去做了胃镜检查", "outpatient"),
    ("去医院看病", "outpatient"),
    ("做检查", "outpatient"),
    ("急诊", "outpatient"),
    ("門診", "outpatient"),
    ("住院", "hospitalisation"),
    ("注院", "hospitalisation"),
    ("往院", "hospitalisation"),
    ("住了几天院", "hospitalisation"),
    ("就是注院，我不知道还要怎么说", "hospitalisation"),
    ("摔了一跤髋关节疼，注院检查", "hospitalisation"),
])
def test_medical_visits_and_stays_in_own_words(text, expected):
    assert _type(MEDICAL, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("颱風天停在路邊被倒下的樹砸到車頂", "falling_object"),
    ("车被树砸了", "falling_object"),
    ("车被水淹了", "flood"),
    ("冰雹砸的", "natural_disaster"),
    ("東西被砸壞了", "falling_object"),
])
def test_motor_natural_disasters_and_falling_objects_can_be_reported(text, expected):
    assert _type(MOTOR, text) == expected


def test_the_motor_types_have_their_own_checklists():
    assert {"natural_disaster", "falling_object"} <= set(incident_types("motor"))
    for kind in ("natural_disaster", "falling_object"):
        codes = {item.code for item in checklist("motor", kind)}
        assert {"vehicle_licence", "scene_photos", "repair_invoice"} <= codes


@pytest.mark.parametrize(("line", "text", "expected"), [
    ("medical", "就是住院，我不只道还要怎么说", "hospitalisation"),
    ("motor", "就是車輛碰撞", "collision"),
    ("motor", "车辆碰装", "collision"),  # one character wrong
    ("motor", "it was the " + say("incident.glass", "en"), "glass"),
    ("home", "wire", None),  # English words are not read with a letter wrong
    ("medical", "去医院", None),  # 医院 is not 住院 with a typo
    ("motor", "随便", None),
])
def test_a_typed_answer_close_to_a_button_is_that_button(line, text, expected):
    assert chosen_incident_type(line, text) == expected


def test_a_sentence_without_a_type_is_kept_and_the_types_offered_at_once():
    answer = interpret_answer(HOME, "incident_type", "家里的东西被人弄得乱七八糟", NOW, "zh")
    assert answer.choose_type is True
    assert answer.draft.incident_type is None
    assert answer.draft.description == "家里的东西被人弄得乱七八糟"
    assert answer.message == say("report_type_choose", "zh")


def test_a_word_or_a_place_is_not_taken_for_an_account():
    assert not tells_what_happened("中山路")
    assert not tells_what_happened("不知道")
    assert not tells_what_happened("嗯嗯")
    assert tells_what_happened("东西被弄坏了")
    assert tells_what_happened("my things got ruined yesterday")
    answer = interpret_answer(HOME, "incident_type", "嗯嗯", NOW, "zh")
    assert answer.choose_type is False and answer.draft.description is None


def test_the_third_failure_records_the_most_general_type_with_the_account():
    with_account = ReportDraft(**{**HOME.as_dict(), "description": "东西乱七八糟"})
    recorded = asks.record_unknown(with_account, "incident_type")
    assert recorded is not None and recorded.incident_type == "property_damage"
    assert recorded.description == "东西乱七八糟"
    assert asks.record_unknown(HOME, "incident_type") is None  # nothing told: a person
    assert general_incident_type("medical") is None
    assert asks.record_unknown(
        ReportDraft(**{**MEDICAL.as_dict(), "description": "不舒服"}), "incident_type") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("我要报销医阮的费用 胃镜检查", True),
    ("我要報銷門診的費用", True),
    ("我要报案 车被树砸了", True),
    ("胃镜检查能报销吗", False),  # a question stays a question
    ("我要报销", False),  # no incident named
])
def test_an_opening_request_to_report_is_read_as_one(text, expected):
    assert asks_to_report_incident(text) is expected


def test_an_outpatient_visit_is_not_asked_the_day_of_admission():
    from bot.claims.reporting.service import missing_fields
    visit = ReportDraft(**{**MEDICAL.as_dict(), "incident_type": "outpatient"})
    stay = ReportDraft(**{**MEDICAL.as_dict(), "incident_type": "hospitalisation"})
    assert "admission_date" not in missing_fields(visit)
    assert "admission_date" in missing_fields(stay)


def test_the_day_of_admission_with_an_hour_that_may_be_am_or_pm_is_taken():
    stay = ReportDraft(**{**MEDICAL.as_dict(), "incident_type": "hospitalisation"})
    answer = interpret_answer(stay, "admission_date", "2026年11月14日 9点", NOW, "zh")
    assert answer.draft.admission_date == datetime(2026, 11, 14).date()
    assert answer.message is None
