"""Status answers the question asked (issue 19, item 7): "paid yet?" names the paid claim with
its amount and date; a list of several claims says each one's next step and has buttons; a pick
from the list ("第二个", "尾号004那个", "the october one", "the car one") names one claim."""
from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from bot.claims.lifecycle import claim_view
from bot.claims.status import (
    asks_paid,
    choice_buttons,
    looks_like_pick,
    paid_answer,
    pick_claim,
    status_of_customer,
)
from bot.replies import date_text, money, say

WATER, THEFT, HOSPITAL, COLLISION = (f"CLM-2026-{i:06d}" for i in (1, 2, 3, 4))
LANGS = ("zh", "en")


@pytest.fixture
def views(seeded_url):
    """Three claims of different lines, listed newest first as the store lists them."""
    return [claim_view(number, url=seeded_url) for number in (COLLISION, THEFT, WATER)]


@pytest.mark.parametrize("text", ["has my claim been paid yet?", "赔了没有", "钱到账了吗",
                                  "When will I get the money?", "賠了沒有"])
def test_questions_about_payment_are_recognised(text):
    assert asks_paid(text) or asks_paid(text.replace("賠", "赔").replace("沒", "没"))


@pytest.mark.parametrize("text", ["查进度", "where is my claim?", "我要投诉"])
def test_other_questions_are_not_about_payment(text):
    assert not asks_paid(text)


@pytest.mark.parametrize("lang", LANGS)
def test_paid_answer_names_the_paid_claim_with_amount_and_date_then_the_others(views, lang):
    text = paid_answer(views, lang)
    water = views[2]
    first = text.splitlines()[0]
    assert WATER in first
    assert money(water.paid_amount, lang) in first and date_text(water.paid_at, lang) in first
    assert say("status_others", lang) in text
    # The claims not paid each say what the customer must do or what happens next.
    collision_line = next(line for line in text.splitlines() if COLLISION in line)
    labels = [d.label_en if lang == "en" else d.label_zh for d in views[0].missing_documents]
    assert all(label in collision_line for label in labels)
    theft_line = next(line for line in text.splitlines() if THEFT in line)
    assert say("status_step.denied", lang) in theft_line


def test_paid_answer_says_when_nothing_is_paid_yet(views):
    text = paid_answer(views[:2], "en")
    assert text.startswith(say("status_none_paid", "en"))
    assert COLLISION in text and THEFT in text


def test_a_medical_claim_before_the_code_is_only_named(seeded_url):
    hospital = claim_view(HOSPITAL, url=seeded_url)
    text = paid_answer([hospital], "zh", hidden=frozenset({hospital.policy_number}))
    assert HOSPITAL in text and money(hospital.estimated_amount, "zh") not in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_list_gives_each_claims_next_step_and_buttons(seeded_url, lang, now):
    reply = status_of_customer("HOME-2026-0001", lang, actor="t", url=seeded_url, now=now)
    water = claim_view(WATER, url=seeded_url)
    lines = reply.text.splitlines()
    assert any(WATER in line and money(water.paid_amount, lang) in line for line in lines)
    assert any(THEFT in line and say("status_step.denied", lang) in line for line in lines)
    assert [button["payload"] for button in reply.buttons] == [
        f'/inform{{"claim_number":"{THEFT}"}}', f'/inform{{"claim_number":"{WATER}"}}']


def test_one_claim_has_no_buttons(views):
    assert choice_buttons(views[:1], "zh") == []


def test_paid_question_through_the_store(seeded_url):
    reply = status_of_customer("HOME-2026-0001", "en", actor="t", url=seeded_url,
                               text="has my claim been paid yet?")
    assert reply.text.splitlines()[0].startswith(WATER)


@pytest.mark.parametrize("text, wanted", [
    ("第二个", THEFT), ("第2笔", THEFT), ("the second one", THEFT), ("最后一个", WATER),
    ("尾号004那个", COLLISION), ("ending 001", WATER), ("the car one", COLLISION),
    ("车险那个", COLLISION), ("the first one", COLLISION), (THEFT, THEFT),
])
def test_a_pick_from_the_list_names_one_claim(views, text, wanted):
    assert looks_like_pick(text) or text == THEFT
    picked = pick_claim(text, views)
    assert picked is not None and picked.number == wanted


def test_a_pick_by_month(views):
    # Each claim given its own month of the incident (naive UTC at noon: same day in Shanghai).
    months = [dataclasses.replace(view, incident_at=datetime(2026, month, 10, 4))
              for view, month in zip(views, (11, 10, 9), strict=True)]
    assert pick_claim("the october one", months).number == THEFT
    assert pick_claim("十月那个", months).number == THEFT
    assert pick_claim("9月的那笔", months).number == WATER
    assert pick_claim("the march one", months) is None


def test_an_unclear_or_out_of_range_pick_names_none(views):
    assert pick_claim("第五个", views) is None
    assert pick_claim("the home one", views) is None  # two home claims: ask again
    assert pick_claim("ending 999", views) is None


@pytest.mark.parametrize("text", ["我要投诉", "查理赔", "2", "我的车被追尾了", "yes",
                                  "I want to complain about the october one"])
def test_ordinary_messages_are_not_picks(text):
    assert not looks_like_pick(text)


def test_a_pick_through_the_store(seeded_url):
    reply = status_of_customer("HOME-2026-0001", "en", actor="t", url=seeded_url,
                               text="the second one")
    assert WATER in reply.text and THEFT not in reply.text and not reply.buttons
