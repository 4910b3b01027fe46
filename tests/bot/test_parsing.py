"""Parsing of policy and claim numbers, birth dates and phone digits."""
from __future__ import annotations

from datetime import date

import pytest

from bot.parsing import (
    normalise_digits,
    parse_claim_number,
    parse_date_of_birth,
    parse_phone_last4,
    parse_policy_number,
)

TODAY = date(2026, 11, 22)


def test_normalise_digits_turns_full_width_into_ascii() -> None:
    assert normalise_digits("１９８５－０４－１２ ＡＵＴＯ") == "1985-04-12 AUTO"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AUTO-2026-0001", "AUTO-2026-0001"),
        ("auto 2026 0001", "AUTO-2026-0001"),
        ("AUTO20260001", "AUTO-2026-0001"),
        ("我的保单号是AUTO-2026-0001，谢谢", "AUTO-2026-0001"),
        ("ｍｅｄ－２０２６－０００２", "MED-2026-0002"),
        ("home_2026_0001", "HOME-2026-0001"),
        ("Acc 2026-0001", "ACC-2026-0001"),
        ("ci-2026-0003", "CI-2026-0003"),
        ("LIFE—2026—0004", "LIFE-2026-0004"),
        ("policy auto-2026-0001 and MED-2026-0001", "AUTO-2026-0001"),
    ],
)
def test_policy_numbers_in_many_spellings(text: str, expected: str) -> None:
    assert parse_policy_number(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "hello", "AUTO-26-0001", "AUTO-2026-00011", "XAUTO-2026-0001", "CAR-2026-0001",
     "2026-0001", "AUTO-2026-001"],
)
def test_policy_number_rejects(text: str) -> None:
    assert parse_policy_number(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CLM-2026-000123", "CLM-2026-000123"),
        ("clm 2026 000123", "CLM-2026-000123"),
        ("CLM2026000123", "CLM-2026-000123"),
        ("理赔号：ＣＬＭ－２０２６－０００１２３", "CLM-2026-000123"),
    ],
)
def test_claim_numbers(text: str, expected: str) -> None:
    assert parse_claim_number(text) == expected


@pytest.mark.parametrize("text", ["CLM-2026-00123", "CLM-2026-0001234", "AUTO-2026-0001", "x"])
def test_claim_number_rejects(text: str) -> None:
    assert parse_claim_number(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "1985-04-12",
        "1985/4/12",
        "1985.4.12",
        "1985年4月12日",
        "1985年4月12号",
        "我是1985 年 4 月 12 日出生的",
        "一九八五年四月十二日",
        "19850412",
        "１９８５－０４－１２",
        "12 April 1985",
        "12th of April, 1985",
        "12 Apr 1985",
        "April 12, 1985",
        "april 12th 1985",
        "12/04/1985",
        "12.04.1985",
        "八五年四月十二号",  # the two-digit year said in Chinese numerals
        "我是八五年四月十二出生的",
    ],
)
def test_date_of_birth_formats(text: str) -> None:
    assert parse_date_of_birth(text, today=TODAY) == date(1985, 4, 12)


def test_slashed_dates_are_read_day_first() -> None:
    assert parse_date_of_birth("04/12/1985", today=TODAY) == date(1985, 12, 4)


def test_chinese_numeral_dates_with_tens() -> None:
    assert parse_date_of_birth("一九四八年九月三十日", today=TODAY) == date(1948, 9, 30)
    assert parse_date_of_birth("二〇〇一年十月二十一号", today=TODAY) == date(2001, 10, 21)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "不知道",
        "1985-02-30",      # no such day
        "1985-13-01",      # no such month
        "31/02/1985",
        "2027-01-01",      # in the future
        "2026-11-23",      # tomorrow
        "1900-01-01",      # older than 120
        "0001",
        "13800000001",
        "12 Foo 1985",
    ],
)
def test_date_of_birth_rejects(text: str) -> None:
    assert parse_date_of_birth(text, today=TODAY) is None


def test_date_of_birth_today_is_accepted_and_defaults_to_local_today() -> None:
    assert parse_date_of_birth("2026-11-22", today=TODAY) == TODAY
    assert parse_date_of_birth("1985-04-12") == date(1985, 4, 12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0001", "0001"),
        ("尾号0001", "0001"),
        ("后四位是0001", "0001"),
        ("后4位：0001", "0001"),
        ("last 4 digits are 0001", "0001"),
        ("０００１", "0001"),
        ("尾号零零零一", "0001"),
        ("13800000001", "0001"),
        ("138 0000 0001", "0001"),
        ("+86 138-0000-0003", "0003"),
        ("+8613800000003", "0003"),
    ],
)
def test_phone_last4(text: str, expected: str) -> None:
    assert parse_phone_last4(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "12", "123", "12345", "0001 和 0002 都试试", "不记得"])
def test_phone_last4_rejects(text: str) -> None:
    assert parse_phone_last4(text) is None


@pytest.mark.parametrize("text", ["AUTO-2026-0001", "AUTO20260001", "auto 2026 0001",
                                  "i already gave you the policy number AUTO-2026-0001??",
                                  "CLM-2026-000001", "20260001", "12345678", "010-8888-0001"])
def test_phone_last4_is_never_the_tail_of_another_number(text: str) -> None:
    """F1: only four digits alone or a whole mobile number are a phone answer."""
    assert parse_phone_last4(text) is None
