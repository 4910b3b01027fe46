"""Which wording answers a clause question: the customer's own policy once verified, the general
wording of a named line before verification, and never an invented answer."""
from __future__ import annotations

from datetime import date

import pytest

from bot.clauses.customer import answer_for_customer, general_answer, line_named_in
from bot.replies import say


@pytest.mark.parametrize("question,line", [
    ("车险的免赔额是什么意思", "motor"),
    ("車險的免賠額是什麼意思", "motor"),
    ("医疗险的等待期多长", "medical"),
    ("家财险保不保被盗", "home"),
    ("what does the deductible on car insurance mean", "motor"),
    ("does home insurance cover a stolen bike", "home"),
    ("免赔额是什么意思", None),
    ("猝死算不算意外", None),  # "意外" alone names what happened, not a policy
    ("车险和医疗险哪个免赔额高", None),  # two lines: not one to answer for
])
def test_line_named_in_the_question(question, line):
    assert line_named_in(question) == line


def test_general_answer_before_verification_quotes_the_line_wording():
    answer = general_answer("车险的免赔额是什么意思", "zh")
    assert answer is not None and answer.policy_number is None and answer.line == "motor"
    assert answer.answer.clause is not None and answer.answer.clause.id == "motor.12"
    assert answer.text.startswith(say("clause_general_intro", "zh", line="车险"))
    assert "第十二条" in answer.text
    assert "500" not in answer.text  # no policy's own amounts before verification


def test_no_general_answer_without_a_named_line():
    assert general_answer("免赔额是什么意思", "zh") is None


def test_situational_question_uses_the_own_policy_dates(seeded_url):
    # 张伟 verified with his motor policy asks about a hospital stay: his medical policy answers.
    result = answer_for_customer("我等待期内住院能赔吗", "AUTO-2026-0001", "zh",
                                 today=date(2026, 1, 10), url=seeded_url)
    assert result.policy_number == "MED-2026-0001"
    assert result.answer.clause is not None and result.answer.clause.id == "medical.4"
    assert say("clause_waiting_running", "zh", start="2026年1月1日", days=30,
               end="2026年1月30日", cover_from="2026年1月31日") in result.text
    assert "第四条" in result.text


def test_the_verified_policy_keeps_a_question_its_wording_answers(seeded_url):
    result = answer_for_customer("免赔额是多少", "AUTO-2026-0001", "zh", url=seeded_url)
    assert result.policy_number == "AUTO-2026-0001"
    assert say("clause_policy_deductible", "zh", amount="500 元") in result.text
    other = answer_for_customer("免赔额是多少", "MED-2026-0001", "zh", url=seeded_url)
    assert other.policy_number == "MED-2026-0001"


def test_denial_clause_answered_in_english(seeded_url):
    result = answer_for_customer("is my bike covered if it was stolen outside the building",
                                 "HOME-2026-0001", "en", url=seeded_url)
    assert result.answer.clause is not None and result.answer.clause.id == "home.12"
    assert "Clause 12" in result.text


def test_a_line_the_customer_does_not_hold_is_answered_generally_and_says_so(seeded_url):
    result = answer_for_customer("家财险保不保被盗", "AUTO-2026-0001", "zh", url=seeded_url)
    assert result.policy_number is None and result.line == "home"
    assert result.text.startswith(say("clause_line_not_held", "zh", line="家财险"))


@pytest.mark.parametrize("question,lang", [
    ("你们公司的股票今年涨了吗", "zh"),
    ("what's the weather like in Shanghai tomorrow", "en"),
])
def test_no_clause_answers_so_it_says_so_and_offers_a_person(seeded_url, question, lang):
    result = answer_for_customer(question, "MED-2026-0002", lang, url=seeded_url)
    assert result.answer.clause is None and result.answer.offers_person
    assert result.text == say("clause_no_answer", lang)
