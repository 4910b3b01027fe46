"""What a message carrying a policy number also asks for (bot/request_words.py), and the
two-digit-year birth date ("85/4/12") read beside it."""
from __future__ import annotations

from datetime import date

import pytest

from bot.parsing import parse_date_of_birth, read_date_of_birth
from bot.request_words import request_in


@pytest.mark.parametrize("text,asked", [
    ("你好 我想查下理赔 保单号AUTO-2026-0001 生日1985年4月12日", "check_status"),
    ("查进度 auto-2026-0001 85/4/12", "check_status"),
    ("I'd like to check my claim. policy HOME-2026-0001, born 1 July 1990", "check_status"),
    ("check claim HOME-2026-0001", "check_status"),
    ("AUTO-2026-0001这张保单免赔额是多少", "ask_clause"),
    ("what is the deductible on HOME-2026-0001", "ask_clause"),
    ("理赔需要什么材料 AUTO-2026-0001", "ask_documents"),
    ("AUTO-2026-0001", None),
    ("我的保单号是 auto 2026 0001", None),
    ("AUTO-2026-0001 1985-04-12", None),
])
def test_request_beside_the_number(text, asked):
    assert request_in(text) == asked


@pytest.mark.parametrize("text,born", [
    ("85/4/12", date(1985, 4, 12)), ("85年4月12日", date(1985, 4, 12)),
    ("生日85.4.12", date(1985, 4, 12)), ("99-1-1", date(1999, 1, 1)),
    ("3.5.12", None), ("v1.85.4.12", None),
])
def test_two_digit_year_first_only_when_it_cannot_be_a_day(text, born):
    assert parse_date_of_birth(text, today=date(2026, 11, 22)) == born


def test_two_digit_year_last_with_both_orders_possible_is_asked_back():
    # "12/4/85" is 12 April or 4 December 1985: the identity check asks which.
    reading = read_date_of_birth("12/4/85", today=date(2026, 11, 22))
    assert reading.ambiguous
    assert set(reading.alternatives) == {date(1985, 4, 12), date(1985, 12, 4)}
