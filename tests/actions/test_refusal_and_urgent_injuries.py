"""Issue 19, outside tester: "为什么拒赔？我看不懂" about a refused claim gets the decision
explained (reason, clause, the way to appeal, a person offered), not the last line in fewer
words; and an injury said in an urgent opening ("流了很多血") is an injury: not asked again,
never a "no"."""
from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionNotUnderstood
from actions.disputes import ActionExplainDecision
from actions.report import ActionAskReportAnswer, ValidateReportForm
from bot.claims.reporting import ReportDraft
from bot.claims.reporting.answers import injuries_answer, report_summary
from bot.plain import asks_simpler
from bot.replies import say
from tests.support.actions import make_tracker, run_action

ZHANG = {"verified": True, "customer_id": 1, "customer_name": "张伟",
         "policy_number": "AUTO-2026-0001"}
URGENT_OPENING = "救命 我老婆刚出车祸了 在高架上 流了很多血"


def _slots(events):
    return {event.get("name"): event.get("value") for event in events
            if event.get("event") == "slot"}



def test_blood_in_the_urgent_opening_is_an_injury_not_asked_again(claims_store, domain):
    tracker = make_tracker(URGENT_OPENING, "report_urgent", active_loop="report_form",
                           slots={**ZHANG, "urgent_handled": True})
    events = asyncio.run(ValidateReportForm().run(CollectingDispatcher(), tracker, domain))
    draft = ReportDraft.from_dict(_slots(events)["report_draft"])
    assert draft.injuries is True
    assert say("summary.injuries", "zh", value=say("summary.yes", "zh")) in \
        report_summary(draft, "zh")
    asked = make_tracker(URGENT_OPENING, "report_urgent", active_loop="report_form",
                         slots={**ZHANG, "urgent_handled": True,
                                "report_draft": draft.as_dict()})
    texts, _ = run_action(ActionAskReportAnswer(), asked, domain)
    assert say("report_ask.injuries", "zh") not in texts


def test_not_knowing_whether_anyone_was_hurt_is_no_answer_not_a_no():
    for text in ("不知道", "不清楚", "跳过", "not sure", "I don't know"):
        assert injuries_answer(text) is None, text
    assert injuries_answer("没有") is False
    assert injuries_answer("流了好多血") is True
    unanswered = ReportDraft(policy_number="AUTO-2026-0001", incident_type="collision",
                             language="zh")
    assert say("summary.no", "zh") not in report_summary(unanswered, "zh")


JOHN = {"verified": True, "customer_id": 3, "customer_name": "John Smith",
        "policy_number": "HOME-2026-0001"}
SHORT_LINE = "简单说：未予赔付。"


def _after_status(lang: str, said: str) -> list:
    """The status answer about the refused claim, the last thing the bot said."""
    return [{"event": "user", "text": "查一下理赔进度",
             "parse_data": {"intent": {"name": "check_status"}}},
            {"event": "action", "name": "action_show_status"},
            {"event": "bot", "text": said},
            {"event": "action", "name": "action_listen"}]


def _explained(text: str, lang: str, domain, sender: str) -> list:
    tracker = make_tracker(text, "dispute_decision", sender_id=sender,
                           slots={**JOHN, "language": lang})
    return run_action(ActionExplainDecision(), tracker, domain)[0]


def test_why_was_it_refused_gets_the_explanation_not_a_shorter_line(claims_store, domain):
    said = "您的理赔 CLM-2026-000002 未予赔付。\n" + SHORT_LINE + "如有疑问可以说“转人工”。"
    for text, lang in (("为什么拒赔？我看不懂", "zh"), ("為什麼不賠？看不懂", "zh"),
                       ("why was it refused? I don't get it", "en"),
                       ("I don't understand the refusal", "en")):
        tracker = make_tracker(text, "nlu_fallback", sender_id=f"why-{lang}-{len(text)}",
                               slots={**JOHN, "language": lang},
                               events=_after_status(lang, said))
        texts, events = run_action(ActionNotUnderstood(), tracker, domain)
        # The same explanation the dispute path gives: the reason, the clause, the way on.
        assert texts == _explained("我不同意你们拒赔" if lang == "zh" else "I disagree",
                                   lang, domain, f"dispute-{lang}-{len(text)}"), text
        assert "CLM-2026-000002" in texts[0] and not texts[0].startswith("简单说")
        assert say("dispute_next.negotiation", lang) in texts[0]
        assert any(e.get("name") == "human_offered" and e.get("value") for e in events)
    assert asks_simpler("为什么拒赔？我看不懂") is False
    assert asks_simpler("看不懂") is True  # the wording alone is still about the wording
