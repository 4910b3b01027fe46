"""Issue 19 through the web chat and the real servers: what a report still needs is asked in one
list and answered in one message; a date of birth sent before the policy number is kept for it."""
from __future__ import annotations

import re

import pytest

from bot.claims.lifecycle import claim_view
from bot.replies import say
from tests.support.webchat import WebChat

pytestmark = pytest.mark.e2e

CLAIM_NUMBER = re.compile(r"CLM-\d{4}-\d{6}")


def test_the_list_is_answered_in_one_message_and_a_correction_by_not_this_but_that(
        claims_servers, claims_db_url):
    customer = WebChat(claims_servers)
    customer.says("我要报案，车被追尾了，后保险杠坏了")
    listed = customer.says("AUTO-2026-0001，1985-04-12")
    assert "还需要这几项" in listed and "在哪里" in listed and "多少钱" in listed
    summary = customer.says("前天晚上8点 在人民路88号3栋门口 没人受伤 钱的话五六千吧")
    assert "地点：人民路88号3栋门口" in summary and "5,000" in summary, summary
    assert "有人受伤：没有" in summary and "20:00" in summary, summary
    fixed = customer.says("不是五千 是六千二")
    assert "6,200" in fixed, fixed
    receipt = customer.says("对")
    view = claim_view(CLAIM_NUMBER.search(receipt).group(0), url=claims_db_url)
    assert view.incident_place == "人民路88号3栋门口" and float(view.estimated_amount) == 6200


def test_a_date_of_birth_sent_first_is_kept_for_the_policy_number(claims_servers):
    customer = WebChat(claims_servers)
    asked = customer.says("查一下我的理赔进度")
    assert say("ask_policy_number", "zh") in asked
    assert say("policy_number_after_birth_date", "zh") in customer.says("我生日是85年4月12号")
    shown = customer.says("AUTO-2026-0001")
    assert say("identity_verified", "zh", name="张伟") in shown, shown
