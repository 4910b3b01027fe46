"""Issue 19, an outside tester's findings, in the report form: "地点是X" answered to the amount
question corrects the place without counting a failed answer, and a car reported on a home
policy is told plainly at the identity check, not filed as 高空坠物."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.report import ActionSubmitReport, ValidateReportForm
from bot.claims.reporting import ReportDraft
from bot.claims.reporting.answers import absorb_first_message
from bot.replies import say
from tests.actions.test_bounded_asks import Conversation
from tests.support.actions import make_tracker, run_action

NOW = datetime(2026, 12, 6, 4, 0)  # 12:00 in Shanghai
MOTOR = ReportDraft(policy_number="AUTO-2026-0001", line_of_business="motor", language="zh")


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("actions.report.utc_now", lambda: NOW)


def test_a_place_answered_to_the_amount_question_corrects_the_place(domain):
    draft = absorb_first_message(MOTOR, "前天晚上在小区地下车库停车的时候把柱子蹭了", NOW, "zh")
    draft = ReportDraft(**{**draft.__dict__, "injuries": False,
                           "declined": ("incident_hour",)})
    chat = Conversation(domain, draft, "estimated_amount")
    shown, result = chat.says("地点是虹桥天地地下车库B2")
    assert chat.draft.place == "虹桥天地地下车库B2" and chat.draft.estimated_amount is None
    assert len(shown) == 1 and "地点已改为：虹桥天地地下车库B2" in shown[0]
    assert say("report_ask.estimated_amount", "zh") in shown[0]  # asked once, in that reply
    assert "ask_failures" not in result  # a correction is not a failed answer
    chat.says("两千")
    assert str(chat.draft.estimated_amount) == "2000.00"
    summary, _ = chat.says("地点不对，是虹桥天地地下车库B2层")
    assert chat.draft.place == "虹桥天地地下车库B2层"
    assert chat.slots["report_asking"] == "confirm" and "地点：虹桥天地地下车库B2层" in summary[-1]
    chat.says("金额不对，还不知道多少钱")
    assert chat.draft.estimated_amount is None and "estimated_amount" in chat.draft.declined


def test_a_car_on_a_home_policy_is_told_at_the_identity_check_not_filed(claims_store, domain):
    draft = absorb_first_message(ReportDraft(language="zh"), "我的车昨天被砸了，车窗碎了",
                                 NOW, "zh")
    slots: Dict[str, Any] = {"policy_number": "HOME-2026-0001", "language": "zh",
                             "report_draft": draft.as_dict(),
                             "requested_slot": "verification_answer"}
    tracker = make_tracker("1990-07-01", intent="inform", slots=slots, active_loop="report_form")
    dispatcher = CollectingDispatcher()
    result = ValidateReportForm().validate_verification_answer("1990-07-01", dispatcher,
                                                               tracker, domain)
    texts = [message["text"] for message in dispatcher.messages]
    assert result["verified"] is True and result["report_paused"] == "other_policy"
    assert texts[-1] == say("report_vehicle_not_home", "zh")
    assert "高空坠物" not in "".join(texts)
    after = make_tracker("1990-07-01", intent="inform", slots={**slots, **result})
    shown, events = run_action(ActionSubmitReport(), after, domain)
    assert not any("已为您报案" in text or "报案号" in text for text in shown)
    kept = {e["name"]: e["value"] for e in events if e["event"] == "slot"}["report_kept"]
    assert kept and "车" in kept["draft"]["description"]  # kept for "继续报案" on the car policy
