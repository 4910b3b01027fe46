"""Issue #19: the report form's "what happened" question, answered with an account that names no
type: the account is kept and the types offered as buttons at once; the third time the line's
most general type is recorded instead of offering a person."""
from __future__ import annotations

from datetime import datetime

import pytest

from bot.claims.reporting import ReportDraft
from bot.replies import say
from tests.actions.test_bounded_asks import Conversation, _titles

NOW = datetime(2026, 11, 20, 6, 0)  # a fixed clock (naive UTC)
HOME = ReportDraft(policy_number="HOME-2026-1234", line_of_business="home", language="zh")
MEDICAL = ReportDraft(policy_number="MED-2026-1234", line_of_business="medical", language="zh")


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("actions.report.utc_now", lambda: NOW)


def test_an_account_without_a_type_gets_the_buttons_at_once(domain):
    chat = Conversation(domain, HOME, "incident_type")
    first, _ = chat.says("家里的东西被人弄得乱七八糟")
    assert first == [say("report_type_choose", "zh")]
    assert say("incident.property_damage", "zh") in _titles(chat.buttons)
    assert chat.draft.description == "家里的东西被人弄得乱七八糟"
    assert say("report_ask.incident_type", "zh") not in chat.shown


def test_the_third_account_without_a_type_is_recorded_under_the_general_type(domain):
    chat = Conversation(domain, HOME, "incident_type")
    chat.says("家里的东西被人弄得乱七八糟")
    chat.says("就是东西都乱七八糟的")
    third, result = chat.says("就是乱七八糟，我不知道还要怎么说")
    assert third[0] == say("asks.recorded_general_type", "zh",
                           incident=say("incident.property_damage", "zh"))
    assert chat.draft.incident_type == "property_damage"
    assert "乱七八糟" in chat.draft.description
    assert not result.get("report_paused")
    assert chat.slots["report_asking"] != "incident_type"


def test_a_typo_of_a_button_is_taken_as_that_button(domain):
    chat = Conversation(domain, MEDICAL, "incident_type")
    chat.says("嗯")
    chat.says("那个")
    chat.says("就是注院，我不知道还要怎么说")
    assert chat.draft.incident_type == "hospitalisation"
