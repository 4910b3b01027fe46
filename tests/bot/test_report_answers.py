"""Answers to report questions, corrections at the summary, and the summary itself."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.claims.reporting import ReportDraft, missing_fields
from bot.claims.reporting.answers import (
    absorb_first_message,
    apply_correction,
    interpret_answer,
    report_summary,
)
from bot.replies import say

NOW = dt.datetime(2026, 11, 22, 4, 0)  # 12:00 in Shanghai
MOTOR = ReportDraft(policy_number="AUTO-2026-0001", line_of_business="motor", language="zh")
RICH = "昨天下午三点在中山路被追尾了,后保险杠坏了,大概三千块"


@pytest.fixture
def rich() -> ReportDraft:
    return absorb_first_message(MOTOR, RICH, NOW, "zh")


def test_one_rich_message_fills_time_place_type_and_amount(rich):
    assert rich.incident_type == "collision"
    assert rich.incident_at == dt.datetime(2026, 11, 21, 7, 0)  # 15:00 local
    assert rich.place == "中山路" and rich.estimated_amount == Decimal("3000")
    assert missing_fields(rich) == ["injuries"]


def test_a_bare_request_is_not_taken_as_the_description():
    draft = absorb_first_message(MOTOR, "我要报案", NOW, "zh")
    assert draft.description is None and draft.incident_type is None


def test_a_short_answer_is_not_the_description():
    draft = replace_fields(MOTOR, incident_type="collision")
    answer = interpret_answer(draft, "place", "中山路", NOW, "zh")
    assert answer.draft.place == "中山路" and answer.draft.description is None


def replace_fields(draft: ReportDraft, **values) -> ReportDraft:
    return ReportDraft.from_dict({**draft.as_dict(), **values})


@pytest.mark.parametrize(
    "text, intent, expected",
    [("没人受伤", None, False), ("有一个人受伤了", None, True), ("no", "deny", False),
     ("yes, my passenger", "affirm", True)],
)
def test_injuries(rich, text, intent, expected):
    assert interpret_answer(rich, "injuries", text, NOW, "zh", intent=intent).draft.injuries is (
        expected
    )


def test_future_time_is_asked_again():
    draft = replace_fields(MOTOR, incident_type="collision")
    answer = interpret_answer(draft, "incident_time", "明天下午三点", NOW, "zh")
    assert answer.draft.incident_at is None and answer.message == say("when_future", "zh")


def test_ambiguous_hour_is_asked_back_never_guessed():
    draft = replace_fields(MOTOR, incident_type="collision")
    answer = interpret_answer(draft, "incident_time", "昨天3点", NOW, "zh")
    assert answer.draft.incident_at is None and answer.message


def test_evening_without_hour_keeps_the_day_and_asks_the_hour():
    draft = replace_fields(MOTOR, incident_type="collision")
    answer = interpret_answer(draft, "incident_time", "前天晚上", NOW, "zh")
    assert answer.draft.incident_date == dt.date(2026, 11, 20)
    assert missing_fields(answer.draft)[0] == "incident_hour"


@pytest.mark.parametrize(
    "text, amount",
    [("三千五", "3500"), ("1.2万", "12000"), ("大概两千五百块", "2500"), ("5000元", "5000")],
)
def test_amounts(rich, text, amount):
    draft = replace_fields(rich, estimated_amount=None)
    answer = interpret_answer(draft, "estimated_amount", text, NOW, "zh")
    assert answer.draft.estimated_amount == Decimal(amount)


def test_unknown_amount_is_declined_not_asked_again(rich):
    draft = replace_fields(rich, estimated_amount=None, injuries=False)
    answer = interpret_answer(draft, "estimated_amount", "不知道", NOW, "zh")
    assert "estimated_amount" in answer.draft.declined
    assert missing_fields(answer.draft) == []


def test_negative_amount_is_refused(rich):
    draft = replace_fields(rich, estimated_amount=None)
    answer = interpret_answer(draft, "estimated_amount", "-500", NOW, "zh")
    assert answer.draft.estimated_amount is None
    assert answer.message == say("amount_negative", "zh")


@pytest.mark.parametrize(
    "text, field, value",
    [
        ("不对,时间是四点", "incident_at", dt.datetime(2026, 11, 21, 8, 0)),
        ("地点是人民路", "place", "人民路"),
        ("损失大概五千", "estimated_amount", Decimal("5000")),
        ("the place was Renmin Road", "place", "Renmin Road"),
    ],
)
def test_corrections_replace_only_what_they_name(rich, text, field, value):
    answer = apply_correction(rich, text, NOW, "zh")
    assert getattr(answer.draft, field) == value
    assert answer.changed == (field,)


@pytest.mark.parametrize("text, called", [
    ("报警了", True),
    ("交警来过了，开了事故认定书", True),
    ("没报警", False),
    ("we called the police", True),
])
def test_the_police_told_at_the_summary_is_kept_and_shown(rich, text, called):
    # Found by an outside tester: "报警了" at the summary was "没看懂", and the fact was lost.
    answer = apply_correction(rich, text, NOW, "zh")
    assert answer.draft.police_called is called and answer.changed == ("police_called",)
    shown = say("summary.police", "zh", value=say("summary.yes" if called else "summary.no",
                                                  "zh"))
    assert shown in report_summary(answer.draft, "zh")


def test_a_correction_into_the_future_is_refused(rich):
    answer = apply_correction(rich, "是明天", NOW, "zh")
    assert answer.draft == rich and answer.message == say("when_future", "zh")


def test_summary_in_both_languages(rich):
    zh = report_summary(replace_fields(rich, injuries=False), "zh")
    assert "中山路" in zh and "15:00" in zh and "3,000 元" in zh and "没有" in zh
    en = report_summary(replace_fields(rich, injuries=False, language="en"), "en")
    assert "Estimated loss: CNY 3,000" in en and "Anyone hurt: no" in en


def test_the_incident_type_is_kept_before_the_policy_is_known():
    draft = absorb_first_message(ReportDraft(language="zh"), RICH, NOW, "zh")
    assert draft.incident_type == "collision" and draft.place == "中山路"


@pytest.mark.parametrize("text", ["对", "對的", "没问题", "OK", "yes", "确认"])
def test_plain_yes_confirms_whatever_the_model_thought(text):
    from bot.claims.reporting.answers import is_confirmation

    assert is_confirmation(text, intent="nlu_fallback")


@pytest.mark.parametrize("text", ["不对", "时间是四点", "no"])
def test_anything_else_is_not_a_confirmation(text):
    from bot.claims.reporting.answers import is_confirmation

    assert not is_confirmation(text, intent="deny")
