"""Issue 19 through the web chat: the driver's whole report in one message starts the report
with its facts, a correction at the summary is not a "yes", and the description is amended
after the receipt without a second report."""
from __future__ import annotations

import re

import pytest

from bot.claims.lifecycle import claim_view
from bot.store.db import unit_of_work
from tests.e2e.test_report_conversations import forget_reported_claims  # noqa: F401
from tests.support.webchat import WebChat

pytestmark = pytest.mark.e2e

CLAIM_NUMBER = re.compile(r"CLM-\d{4}-\d{6}")
WHOLE_REPORT = ("刚才在北四环被后面一辆车追尾了…后保险杠撞坏了…人没事…对方全责…"
                "保单AUTO-2026-0001…赶紧帮我报个案")


def _claim_count(url: str) -> int:
    with unit_of_work(url) as uow:
        return len(uow.claims.list())


def test_whole_report_in_one_message_then_a_correction_then_an_amendment(claims_servers,
                                                                          claims_db_url):
    customer = WebChat(claims_servers)
    opening = customer.says(WHOLE_REPORT)
    assert "还有什么可以帮您" not in opening  # a report, not "inform"
    verified = customer.says("1985-04-12")  # the policy number came with the report
    assert "张伟" in verified and "损失" in verified  # place, injuries, account: not asked
    summary = customer.says("大概三千")
    assert "北四环" in summary and "对方全责" in summary and "报个案" not in summary
    corrected = customer.says("地点是北四环学院桥东200米")
    assert "北四环学院桥东200米" in corrected and not CLAIM_NUMBER.search(corrected)
    receipt = customer.says("对")
    number = CLAIM_NUMBER.search(receipt).group(0)
    view = claim_view(number, url=claims_db_url)
    assert view.incident_type == "collision" and view.incident_place == "北四环学院桥东200米"
    assert "对方全责" in view.description and "报个案" not in view.description
    assert str(view.estimated_amount) == "3000.00" and view.injuries is False

    before = _claim_count(claims_db_url)
    amended = customer.says("经过写详细点：等红灯时被后车追尾，尾灯也坏了")
    assert number in amended and "理赔档案" in amended
    assert _claim_count(claims_db_url) == before  # no new report
    assert "尾灯也坏了" in claim_view(number, url=claims_db_url).description
