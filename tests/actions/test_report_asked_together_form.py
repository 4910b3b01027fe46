"""The report form with two questions in one message (issue 19): an answer to either part, or to
a question not yet asked, is progress and never a failed answer; a new report asked for at the
summary does not change the one waiting to be confirmed. From an outside tester's conversations."""
from __future__ import annotations

from datetime import datetime

from bot.claims.reporting import ReportDraft
from bot.replies import say
from tests.actions.test_bounded_asks import Conversation
from tests.actions.test_report_when_asked_once import fixed_clock  # noqa: F401 (autouse)

CAR = ReportDraft(policy_number="AUTO-2026-0999", line_of_business="motor",
                  incident_type="collision", language="en")


def test_answers_to_other_questions_are_kept_and_never_end_in_a_person(domain):
    chat = Conversation(domain, CAR, "incident_time", lang="en")
    chat.says("on Nanjing Road")
    chat.says("no one was injured")
    texts, _ = chat.says("about 3k")
    assert chat.draft.place == "Nanjing Road" and chat.draft.injuries is False
    assert float(chat.draft.estimated_amount) == 3000
    assert not chat.slots.get("ask_failures")
    assert say("asks.offer_person.report", "en") not in chat.shown
    texts, _ = chat.says("yesterday at 11pm")
    assert chat.draft.incident_at == datetime(2026, 12, 5, 15, 0)


def test_a_new_report_at_the_summary_leaves_the_waiting_one_as_it_was(domain):
    draft = ReportDraft(**{**CAR.as_dict(), "language": "zh", "place": "中山路",
                           "incident_at": datetime(2026, 12, 5, 7, 0), "injuries": False,
                           "estimated_amount": "3000", "description": "被追尾了"})
    chat = Conversation(domain, draft, "confirm")
    texts, result = chat.says("我还要报一个案，车窗被砸了", intent="report_claim")
    assert texts[0] == say("report_confirm_first", "zh")
    assert chat.draft.incident_type == "collision" and chat.draft.place == "中山路"
    assert not result.get("report_ready")
