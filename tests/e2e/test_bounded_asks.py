"""Bounded asks and misunderstandings against the real servers and model (issue 19)."""
from __future__ import annotations

import pytest

from bot.claims.reporting.service import question_text
from bot.replies import say
from tests.e2e.test_conversations import Customer

pytestmark = pytest.mark.e2e


def test_a_mumble_three_times_is_never_answered_ok_and_a_person_is_offered(claims_servers):
    customer = Customer(claims_servers)
    replies = [customer.says("嗯嗯那个啥就是说吧") for _ in range(3)]
    assert all(say("how_can_i_help", "zh") not in reply for reply in replies), replies
    assert say("not_understood_offer", "zh") in replies[1], replies
    assert say("offer_unclear", "zh") in replies[2], replies  # not queued on a mumble


def test_a_report_stopped_with_suan_le_is_taken_up_again_where_it_stopped(claims_servers):
    customer = Customer(claims_servers)
    customer.says("我要报案")
    customer.says("ACC-2026-0001")
    assert customer.says("1992-02-14").endswith(say("report_ask.incident_type", "zh"))
    when_and_loss = question_text(("incident_time", "estimated_amount"), "zh", "accident")
    assert customer.says("在楼梯上摔倒了") == when_and_loss
    # a question the report needs is not offered as one to skip
    assert customer.says("算了") == say("report_stop_or_rough", "zh")
    assert customer.says("先不报了") == say("report_cancelled_kept", "zh")
    assert customer.says("刚才说到哪了") == "\n".join(
        [say("report_resumed", "zh"), when_and_loss])
