"""Issue 19 (items 1 and 2) in the report form: a day given with an hour that could be morning or
evening asks only which, once (a hospital stay keeps the day and asks neither); a hospital stay
is not asked its day of admission again; and the count of failed "when?" answers goes on from
the day to the hour."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.claims.reporting import ReportDraft
from bot.replies import say
from tests.actions.test_bounded_asks import Conversation

NOW = datetime(2026, 12, 6, 4, 0)  # a fixed clock (naive UTC): 12:00 in Shanghai
STAY = ReportDraft(policy_number="MED-2026-0999", line_of_business="medical",
                   incident_type="hospitalisation", language="zh")


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("actions.report.utc_now", lambda: NOW)


def test_a_stays_hour_that_reads_both_ways_is_not_asked_the_day_is_kept(domain):
    # For a hospital stay the day is what is asked: "10點" could be 10:00 or 22:00, and
    # "上午还是晚上？" would be a question the claim does not need.
    chat = Conversation(domain, STAY, "incident_time")
    shown, _ = chat.says("2026年11月27日 10點")
    assert len(shown) == 1 and "晚上10点" not in shown[0]
    assert "哪家医院" in shown[0]  # on to what is still needed
    assert chat.draft.incident_date == date(2026, 11, 27)
    assert chat.draft.admission_date == date(2026, 11, 27)
    assert chat.slots["report_asking"] == "hospital"
    chat.says("示例医院")
    assert chat.draft.hospital == "示例医院"
    assert chat.slots["report_asking"] == "description"  # not "哪天入院的？"
    assert say("report_ask.admission_date", "zh") not in chat.shown


CAR = ReportDraft(policy_number="AUTO-2026-0999", line_of_business="motor",
                  incident_type="collision", place="中山路", language="zh")


def test_a_failed_when_is_still_counted_at_the_hour(domain):
    chat = Conversation(domain, CAR, "incident_time")
    chat.says("那个时候")  # not read: asked again
    chat.says("2026年11月27日")  # the day: the hour is asked
    assert chat.slots["report_asking"] == "incident_hour"
    second, _ = chat.says("嗯嗯")
    assert second == [say("asks.other_way.incident_hour", "zh")]
    third, _ = chat.says("这个嘛")
    assert third[0] == say("asks.recorded_day_only", "zh")
    assert chat.draft.incident_date == date(2026, 11, 27)
    assert chat.slots["report_asking"] == "description"


def test_a_hospital_stay_is_asked_its_day_not_its_hour(domain):
    chat = Conversation(domain, STAY, "incident_time")
    shown, _ = chat.says("2026年11月27日")
    assert chat.draft.incident_date == date(2026, 11, 27)
    assert chat.slots["report_asking"] == "hospital"
    assert say("report_ask.incident_hour", "zh") not in chat.shown
