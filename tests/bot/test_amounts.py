"""Amounts in digits and Chinese numerals, money cues in free text, and the amount limits."""
from __future__ import annotations

from decimal import Decimal

import pytest

from bot.claims.amounts import (
    FOREIGN,
    MAX_AMOUNT,
    NEGATIVE,
    NOT_FOUND,
    TOO_LARGE,
    UNCLEAR,
    ZERO,
    find_amount,
    is_small_claim,
    parse_amount,
    validate_amount,
)
from bot.parsing import parse_number_words
from bot.replies import catalog


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3,200", 3200), ("三千五", 3500), ("三千五百", 3500), ("两千五", 2500),
        ("一万二", 12000), ("1.2万", 12000), ("3万5000", 35000), ("3千5", 3500),
        ("十万", 100000), ("一百二十万", 1200000), ("一千零五", 1005), ("一千零五十", 1050),
        ("二十", 20), ("十二", 12), ("三十五", 35), ("两百五", 250), ("一九八五", 1985),
        ("伍仟", 5000), ("一亿五千万", 150000000), ("12,000.50", Decimal("12000.50")),
    ],
)
def test_number_words(text: str, value: int | Decimal) -> None:
    assert parse_number_words(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "abc", "三五千", "3元", "1,2"])
def test_not_numbers(text: str) -> None:
    assert parse_number_words(text) is None


@pytest.mark.parametrize(
    ("text", "amount", "approximate"),
    [
        ("三千五", "3500", False),
        ("三千五百元", "3500", False),
        ("两千五", "2500", False),
        ("1.2万", "12000", False),
        ("一万二", "12000", False),
        ("5k", "5000", False),
        ("5K", "5000", False),
        ("3.5k", "3500", False),
        ("2w", "20000", False),
        ("3,200", "3200", False),
        ("CNY 3200", "3200", False),
        ("¥1,500.50", "1500.50", False),
        ("about 3000 yuan", "3000", True),
        ("around 12 thousand", "12000", True),
        ("大概三千块", "3000", True),
        ("三千多块", "3000", True),
        ("5000元左右", "5000", True),
        ("the repair will cost 3200", "3200", False),
        ("３２００元", "3200", False),
    ],
)
def test_amount_answers(text: str, amount: str, approximate: bool) -> None:
    parsed = parse_amount(text)
    assert parsed.ok, parsed
    assert parsed.amount == Decimal(amount)
    assert parsed.approximate is approximate


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("-500", NEGATIVE),
        ("负500元", NEGATIVE),
        ("0", ZERO),
        ("200000000", TOO_LARGE),
        ("1.5亿", TOO_LARGE),
        ("3000-4000", UNCLEAR),
        ("3000 or 4000 yuan", UNCLEAR),
        ("不知道", NOT_FOUND),
        ("no idea", NOT_FOUND),
        # another currency is never stored as that many yuan; the customer is asked in yuan
        ("2500 dollars", FOREIGN),
        ("about 2,500 quid", FOREIGN),
        ("大概三千美元", FOREIGN),
        ("1000港币", FOREIGN),
    ],
)
def test_rejected_amounts_say_why(text: str, problem: str) -> None:
    parsed = parse_amount(text)
    assert not parsed.ok and parsed.amount is None
    assert parsed.problem == problem
    assert parsed.reply_key in catalog()


def test_the_limit_itself_is_accepted() -> None:
    assert parse_amount("1亿").amount == MAX_AMOUNT
    assert validate_amount(MAX_AMOUNT) is None
    assert validate_amount(MAX_AMOUNT + Decimal("0.01")) == TOO_LARGE


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("昨天下午三点在中山路被追尾了,后保险杠坏了,大概三千块", "3000"),
        ("I was rear-ended at 3pm; the repair is about 3000 yuan", "3000"),
        ("住院7天,花了一万二", "12000"),
        ("损失3万", "30000"),
        ("car plate 京A12345, damage about 5k", "5000"),
    ],
)
def test_amounts_in_free_text_need_a_money_cue(text: str, amount: str) -> None:
    assert find_amount(text).amount == Decimal(amount)


@pytest.mark.parametrize(
    "text",
    ["昨天下午3点在中山路被追尾", "京A12345 2026-11-20 15:30", "我住院7天", "一下子就撞上了",
     "千万别让我等太久", "my phone is 13800000001"],
)
def test_times_dates_plates_and_phrases_are_not_amounts(text: str) -> None:
    assert find_amount(text).problem == NOT_FOUND


def test_small_claims_are_up_to_five_thousand() -> None:
    assert is_small_claim(Decimal("5000"))
    assert is_small_claim(Decimal("0.01"))
    assert not is_small_claim(Decimal("5000.01"))
    assert not is_small_claim(None)
    assert not is_small_claim(Decimal("0"))


def test_an_amount_said_in_yuan_beside_another_currency_word_is_yuan() -> None:
    assert parse_amount("pound shop stuff, about 3000 yuan").amount == Decimal("3000.00")
    assert parse_amount("$3000").amount == Decimal("3000.00")  # a bare money sign
