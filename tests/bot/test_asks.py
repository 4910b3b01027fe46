"""Bounded asks (bot/asks.py): the count per question, what each failed answer gets, and the
words that stop, skip, take up again a report or take up an offer of a person."""
from __future__ import annotations

import pytest

from bot import asks
from bot.asks import Step, Turn
from bot.claims.reporting import ReportDraft, missing_fields


def test_each_failed_answer_gets_the_next_step_and_never_a_fourth():
    counts = None
    steps = []
    for _ in range(5):
        counts, step = asks.failed(counts, "report", "incident_time")
        steps.append(step)
    assert steps == [Step.REASK, Step.OTHER_WAY, Step.GIVE_UP, Step.GIVE_UP, Step.GIVE_UP]
    assert counts == {"report:incident_time": asks.MAX_FAILED}


def test_questions_and_forms_are_counted_apart():
    counts, _ = asks.failed(None, "report", "place")
    counts, _ = asks.failed(counts, "report", "place")
    counts, step = asks.failed(counts, "identity", "place")
    assert step is Step.REASK
    counts, step = asks.failed(counts, "report", "estimated_amount")
    assert step is Step.REASK
    assert asks.failures(counts, "report", "place") == 2


def test_an_answer_starts_its_question_again_and_a_finished_form_is_forgotten():
    counts, _ = asks.failed(None, "report", "place")
    counts, _ = asks.failed(counts, "complaint", "complainant_phone")
    assert asks.answered(counts, "report", "place") == {"complaint:complainant_phone": 1}
    assert asks.forget_form(counts, "report") == {"complaint:complainant_phone": 1}
    assert asks.forget_form(asks.answered(counts, "complaint", "complainant_phone"),
                            "report") is None


def test_a_slot_value_of_the_wrong_shape_is_not_trusted():
    counts, step = asks.failed({"report:place": "many", "other": None}, "report", "place")
    assert step is Step.REASK and counts == {"report:place": 1}


def test_what_may_stay_unknown_is_recorded_and_leaves_the_questions():
    draft = ReportDraft(policy_number="AUTO-2026-1234", line_of_business="motor",
                        incident_type="collision")
    assert "estimated_amount" in missing_fields(draft)
    recorded = asks.record_unknown(draft, "estimated_amount")
    assert recorded is not None and "estimated_amount" not in missing_fields(recorded)
    # What happened and which day cannot stay unknown: a person is offered instead.
    assert asks.record_unknown(draft, "incident_type") is None
    assert asks.record_unknown(draft, "incident_time") is None
    assert asks.record_unknown(draft, "confirm") is None


@pytest.mark.parametrize("text", ["算了", "算了吧", "不想说", "never mind", "Nevermind.",
                                  "forget it", "I'd rather not say", "算了！"])
def test_a_soft_stop_is_asked_back(text):
    assert asks.soft_stop(text) and not asks.cancels_report(text)


@pytest.mark.parametrize("text", ["算了不报了", "不报了，取消报案", "取消", "cancel",
                                  "stop the report", "I don't want to file a claim", "先不报了"])
def test_a_clear_cancel_says_so(text):
    assert asks.cancels_report(text) and not asks.soft_stop(text)


@pytest.mark.parametrize("text", ["跳过", "跳过这个问题", "下一个", "skip", "Skip this question"])
def test_skip(text):
    assert asks.wants_skip(text)


@pytest.mark.parametrize("text", ["继续报案", "刚才说到哪了", "我们说到哪了？", "繼續報案",
                                  "where were we", "Let's continue the report",
                                  "can we resume my claim", "接着刚才的报"])
def test_taking_a_report_up_again(text):
    assert asks.wants_resume(text)


@pytest.mark.parametrize("text", ["我要报案", "继续", "where is my claim", "新报一个案"])
def test_other_messages_do_not_take_a_report_up_again(text):
    assert not asks.wants_resume(text)


@pytest.mark.parametrize("text", ["好的", "是的，麻烦了", "对", "要", "嗯", "好的呀", "转人工",
                                  "yes", "Yes please", "OK", "sure, thanks!"])
def test_a_clear_yes(text):
    assert asks.clear_yes(text)


@pytest.mark.parametrize("text", ["嗯嗯那个啥就是说吧", "好的我想问下理赔",
                                  "yes but what about my car", "我要报案", ""])
def test_what_only_starts_like_a_yes_is_not_one(text):
    assert not asks.clear_yes(text)


@pytest.mark.parametrize("text", ["不用了", "不", "no thanks", "No."])
def test_a_clear_no(text):
    assert asks.clear_no(text)


def test_misunderstandings_in_a_row():
    turns = [
        Turn("check_status", "action_show_status"),
        Turn("nlu_fallback", "action_not_understood"),
        Turn("affirm", "action_how_can_i_help"),  # a yes that answered no question
    ]
    assert asks.misunderstood_in_a_row(turns) == 2
    # A yes that answered a question (an offer of a person) is understood.
    assert asks.misunderstood_in_a_row([*turns, Turn("affirm", "action_handoff")]) == 0
    assert asks.misunderstood_in_a_row([*turns, Turn("cancel", "action_how_can_i_help")]) == 0
    assert asks.misunderstood_in_a_row([]) == 0
