"""Spoken numbers become digits before the NLU reads a transcript (bot/speech/numbers.py), in the
forms bot/parsing.py and bot/claims/amounts.py accept; words that only look like numbers stay
words."""
from datetime import date
from decimal import Decimal

import pytest

from bot.claims.amounts import find_amount, parse_amount
from bot.parsing import (
    parse_claim_number,
    parse_date_of_birth,
    parse_phone_last4,
    parse_policy_number,
)
from bot.speech.numbers import (
    chinese_numbers_to_digits,
    english_numbers_to_digits,
    spoken_to_digits,
)


@pytest.mark.parametrize("spoken, written", [
    ("幺三八零零一三八零零零", "13800138000"),
    ("我的电话是幺三八零零零零零零零幺", "我的电话是13800000001"),
    ("两千五", "2500"),
    ("两千五百元", "2500元"),
    ("一万二", "12000"),
    ("大概三千块", "大概3000块"),
    ("损失一万两千三百元", "损失12300元"),
    ("三万五", "35000"),
    ("一千零五十元", "1050元"),
    ("二十", "20"),
    ("十二", "12"),
    ("一九八五年四月十二日", "1985年4月12日"),
    ("二零二六年五月三号", "2026年5月3号"),
    ("尾号零零零一", "尾号0001"),
    ("我今年七十岁", "我今年70岁"),
    ("两块钱", "2块钱"),
    ("二十分钟", "20分钟"),
    ("2千5", "2500"),  # digits mixed in, as recognisers sometimes write
    ("百分之二十", "百分之20"),
    ("后四位是一二三四", "后四位是1234"),  # 一二 in a run of digits, not "一两"
    ("尾号三一二九", "尾号3129"),
])
def test_chinese_numbers_become_digits(spoken, written):
    assert chinese_numbers_to_digits(spoken) == written


@pytest.mark.parametrize("words", [
    "查一下", "一下子", "一个", "一次性告知", "一起", "万一出事", "千万别忘了", "第三者",
    "十分感谢", "五六千", "三五千", "一点", "统一", "唯一",
    "一二", "说一二句",
])
def test_chinese_words_that_only_look_like_numbers_stay(words):
    assert spoken_to_digits(words) == words


@pytest.mark.parametrize("spoken, written", [
    ("double five", "55"),
    ("triple seven", "777"),
    ("double oh seven", "007"),
    ("one three eight", "138"),
    ("one three eight oh oh one three eight oh oh oh", "13800138000"),
    ("one, three, eight, zero, zero", "13800"),
    ("five oh one", "501"),
    ("two thousand five hundred", "2500"),
    ("three hundred and twenty yuan", "320 yuan"),
    ("a thousand yuan", "1000 yuan"),
    ("twelve thousand", "12000"),
    ("twenty five", "25"),
    ("twenty-five", "25"),
    ("nineteen eighty five", "1985"),
    ("twenty twenty six", "2026"),
    ("one hundred thousand", "100000"),
    ("two million", "2000000"),
    ("about two thousand five hundred yuan and three cars", "about 2500 yuan and 3 cars"),
    ("triple 0", "000"),  # the recogniser wrote the digit itself
    ("Triple O", "000"),
    ("double 5", "55"),
])
def test_english_numbers_become_digits(spoken, written):
    assert english_numbers_to_digits(spoken) == written


@pytest.mark.parametrize("words", [
    "this one is mine", "no one called me", "Oh, I see", "Oh, one thing", "a car hit me",
    "and then", "first of all", "wait a second please", "someone", "often", "I won",
])
def test_english_words_that_only_look_like_numbers_stay(words):
    assert spoken_to_digits(words) == words


@pytest.mark.parametrize("heard, policy", [
    ("My policy number is auto two zero two six zero zero zero one", "AUTO-2026-0001"),
    ("policy A-U-T-O dash two zero two six dash zero zero zero one", "AUTO-2026-0001"),
    ("Auto 2 0 2 6 0 0 0 1", "AUTO-2026-0001"),
    ("My policy number is home, 2026, 0001.", "HOME-2026-0001"),
    ("M E D 2026 0002", "MED-2026-0002"),
    ("Policy number A.C.C. twenty twenty six, oh oh oh one", "ACC-2026-0001"),
    ("我的保单号是AUTO二零二六零零零一", "AUTO-2026-0001"),
    ("保单号AUTO杠二零二六杠零零零一", "AUTO-2026-0001"),
    ("保单号是 MED 2026 0002", "MED-2026-0002"),
])
def test_a_spoken_policy_number_comes_out_as_the_parser_reads_it(heard, policy):
    assert parse_policy_number(spoken_to_digits(heard)) == policy


def test_spoken_claim_number_phone_and_birth_date_parse():
    assert parse_claim_number(spoken_to_digits(
        "claim C L M two zero two six zero zero zero zero zero three")) == "CLM-2026-000003"
    assert parse_phone_last4(spoken_to_digits("尾号是零零零一")) == "0001"
    assert parse_phone_last4(spoken_to_digits(
        "my phone is one three eight double oh one three eight triple oh")) == "8000"
    assert parse_date_of_birth(spoken_to_digits("一九八五年四月十二日")) == date(1985, 4, 12)
    assert parse_date_of_birth(spoken_to_digits(
        "I was born on April twelfth, nineteen eighty-five")) == date(1985, 4, 12)
    assert parse_date_of_birth(spoken_to_digits(
        "the twenty-first of May nineteen ninety")) == date(1990, 5, 21)


def test_spoken_amounts_are_read_by_the_amount_parser():
    assert find_amount(spoken_to_digits("修理费大概两千五百元")).amount == Decimal("2500.00")
    assert parse_amount(spoken_to_digits("一万二")).amount == Decimal("12000.00")
    assert find_amount(spoken_to_digits(
        "the repair cost is about two thousand five hundred yuan")).amount == Decimal("2500.00")


def test_only_numbers_change():
    text = "昨天下午三点在中山路被追尾了，后保险杠坏了，大概三千块"
    assert spoken_to_digits(text) == "昨天下午三点在中山路被追尾了，后保险杠坏了，大概3000块"
    assert spoken_to_digits("") == ""
    assert spoken_to_digits("I want to report a claim.") == "I want to report a claim."
