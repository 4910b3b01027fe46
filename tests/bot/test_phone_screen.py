"""Replies fit a phone screen (issue 19): every reply key, rendered in both languages with sample
fields, takes at most six lines of a phone's chat bubble, and Chinese replies use full-width
punctuation; clause answers quote the sentence that answers; examples are clearly fictional."""
from __future__ import annotations

import math
import re
import string
import unicodedata
from datetime import date

import pytest

from bot.clauses.answer import explain
from bot.parsing import parse_claim_number, parse_date_of_birth, parse_policy_number
from bot.replies import catalog, say
from bot.seed import _CUSTOMERS, _policies

# A chat bubble on a phone holds about 22 Chinese characters or 44 Latin letters a line.
COLUMNS = 44
MAX_LINES = 6
# Sample fields as long as real ones: a claim number, a date with time, an amount.
SAMPLE = "CLM-2026-000042"
# Replies whose fields are whole lists or texts written elsewhere (a report's summary, a checklist,
# an agent's words): their own words are short, and the list they carry is as long as it must be.
# They are checked with a one-line field.
LIST_FIELDS = {"summary", "items", "lines", "text", "resolution", "claims", "documents", "list",
               "missing", "needed", "reason", "question", "answer", "heard"}


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def screen_lines(text: str) -> int:
    return sum(max(1, math.ceil(width(line) / COLUMNS)) for line in text.split("\n"))


NUMBER_FIELDS = {"minutes", "days", "hours", "ahead", "limit", "seconds", "attempts_left",
                 "count", "score", "percent"}


def sample(name: str, lang: str) -> str:
    if name in LIST_FIELDS:
        return "X"
    if name in NUMBER_FIELDS:
        return "10"
    if name in ("product", "line", "name", "agent", "customer_name"):
        return "车险" if lang == "zh" else "Motor insurance"
    if name.endswith(("due", "opens", "until", "at", "date")):
        if lang == "zh":
            return "2026年11月30日 10:00（北京时间）"
        return "30 Nov 2026 10:00 Beijing time"
    return SAMPLE


def rendered(key: str, lang: str) -> str:
    template = catalog()[key][lang]
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return say(key, lang, **{name: sample(name, lang) for name in fields})


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("key", sorted(catalog()))
def test_every_reply_fits_six_lines_of_a_phone_screen(key: str, lang: str) -> None:
    text = rendered(key, lang)
    assert screen_lines(text) <= MAX_LINES, (key, lang, screen_lines(text), text)


# Half-width , ? ! : ; ( ) beside a Chinese character (a time such as 10:00 is not beside one).
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,?!:;()]|[,?!:;()][\u4e00-\u9fff]")


@pytest.mark.parametrize("key", sorted(catalog()))
def test_chinese_replies_use_full_width_punctuation(key: str) -> None:
    text = rendered(key, "zh")
    assert not HALF_WIDTH.search(text), (key, HALF_WIDTH.findall(text))


def test_a_long_clause_is_quoted_by_the_sentence_that_answers() -> None:
    answer = explain("喝了点酒开车出事了赔不赔", "motor", "zh")
    assert "驾驶人饮酒" in answer.text and "回复“全文”" in answer.text
    assert "竞赛、测试期间" not in answer.text  # the other exclusions are left for "全文"
    assert "竞赛、测试期间" in answer.full_quote
    assert screen_lines(answer.text) <= 8  # the plain-words explanation plus one sentence
    english = explain("Am I covered if I was drink driving?", "motor", "en")
    assert 'Reply "full text" for the whole clause.' in english.text
    assert len(english.text) < len(english.text.split("\n")[0]) + len(english.full_quote)


def test_a_short_clause_is_quoted_whole() -> None:
    answer = explain("免赔额是多少", "motor", "zh")
    assert "原文：“" in answer.text and "全文" not in answer.text


# --- examples in prompts are fictional ---------------------------------------------------------

DEMO_VALUES = (
    [policy["number"] for policy in _policies(date(2026, 11, 22))]
    + [customer["date_of_birth"].isoformat() for customer in _CUSTOMERS]
    + [customer["phone"][-4:] for customer in _CUSTOMERS]
    + [customer["phone"] for customer in _CUSTOMERS]
)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_reply_shows_a_demo_customers_data(lang: str) -> None:
    for key, entry in catalog().items():
        for value in DEMO_VALUES:
            assert value not in entry[lang], (key, value)


def test_example_numbers_cannot_be_anyones() -> None:
    """"例如 AUTO-2026-XXXX": copying an example verifies nobody."""
    for key in ("ask_policy_number", "report_ask.policy_number", "ask_complaint_about"):
        for lang in ("zh", "en"):
            text = say(key, lang)
            assert parse_policy_number(text) is None and parse_claim_number(text) is None, key
    example_birth_date = re.search(r"\d{4}-\d{2}-\d{2}", say("ask_verification", "zh")).group()
    assert parse_date_of_birth(example_birth_date).isoformat() not in DEMO_VALUES
