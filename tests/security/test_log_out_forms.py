"""Attack (found by the independent testers, F9/F10): the customer says "log out" in the middle
of a report, is told they are logged out, and the report carries on for whoever comes next.
Through the real servers: log-out stops the form, says the report was not submitted, and the
next person is asked who they are; "换个人查" starts a new identity check."""
from __future__ import annotations

import pytest

from bot.replies import catalog, say
from tests.security.test_cross_customer import JOHN, ZHANG_POLICY
from tests.support.webchat import WebChat


@pytest.mark.e2e
@pytest.mark.parametrize("words,lang", [("退出登录", "zh"), ("actually log me out", "en")])
def test_log_out_in_the_middle_of_a_report_stops_it(claims_servers, words, lang):
    customer = WebChat(claims_servers)
    if lang == "zh":
        customer.says("我要报案")
        customer.says(ZHANG_POLICY)
        customer.says("1985-04-12")
    else:
        customer.says("I want to file a claim")
        customer.says(JOHN["policy"])
        customer.says(JOHN["born"])
    said = customer.says(words)
    assert said == say("logged_out_report", lang)
    # No form goes on: the next message is not taken as an answer to the report.
    asked = customer.says("查一下我的理赔进度" if lang == "zh" else "check my claim status")
    assert asked == say("ask_policy_number", lang)


@pytest.mark.e2e
def test_log_out_before_the_identity_check_drops_the_report(claims_servers):
    customer = WebChat(claims_servers)
    customer.says("我要报案，昨天被追尾了")
    assert customer.says("退出") == say("logged_out_report", "zh")
    customer.says("查一下我的理赔进度")
    customer.says(ZHANG_POLICY)
    after = customer.says("1985-04-12")
    # The old draft does not come back after the next verification.
    questions = [say(key, "zh") for key in catalog() if key.startswith("report_ask.")]
    assert "追尾" not in after and not any(q in after for q in questions)


@pytest.mark.e2e
def test_someone_else_starts_a_new_identity_check(claims_servers):
    customer = WebChat(claims_servers)
    customer.says("查一下我的理赔进度")
    customer.says(ZHANG_POLICY)
    customer.says("1985-04-12")
    said = customer.says("换个人查")
    # Said once, asking the new customer for the policy number.
    assert said == say("customer_switched", "zh")
    assert "请新的客户告诉我保单号" in said
    assert customer.says("AUTO-2026-0001") == say("ask_verification", "zh")
    assert customer.documents()["claim_number"] is None
