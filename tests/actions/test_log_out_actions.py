"""Log-out inside and outside the forms, "换个人查", goodbye while verified, and a policy number
named by a verified customer (actions/access.py, actions/conversation.py)."""
from __future__ import annotations

from actions.access import ActionLogOut, ActionPolicyNamed
from actions.conversation import ActionSayGoodbye
from bot.access import REFUSED
from bot.replies import say
from bot.store.db import unit_of_work
from tests.support.actions import make_tracker, run_action

ZHANG = {"verified": True, "customer_id": 1, "customer_name": "张伟",
         "policy_number": "AUTO-2026-0001"}
DRAFT = {"policy_number": "AUTO-2026-0001", "description": "被追尾了"}


def _sets(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def _deactivated(events):
    return any(e.get("event") == "active_loop" and e.get("name") is None for e in events)


def _form_events(form: str):
    """A form started in an earlier turn and stopped by the rule for this message."""
    return [{"event": "user", "text": "我要报案", "parse_data": {"intent": {"name": "x"}}},
            {"event": "active_loop", "name": form}]


def _stopped_by_rule(text, intent, form, slots, lang="zh"):
    """The tracker as action_log_out sees it after the rule's action_deactivate_loop."""
    tracker = make_tracker(text, intent, slots={**slots, "language": lang},
                           events=_form_events(form))
    tracker.events.append({"event": "active_loop", "name": None})
    return tracker


def test_log_out_in_a_report_says_the_report_was_not_submitted_and_drops_it(domain):
    tracker = _stopped_by_rule("退出登录", "log_out", "report_form",
                               {**ZHANG, "report_draft": DRAFT, "report_asking": "injuries"})
    texts, events = run_action(ActionLogOut(), tracker, domain)
    assert texts == [say("logged_out_report", "zh")]
    assert "报案没有提交" in texts[0] and "资料已清除" in texts[0]
    slots = _sets(events)
    assert slots["report_draft"] is None and slots["report_asking"] is None
    assert slots["verified"] is False and slots["customer_id"] is None
    assert slots["policy_number"] is None and slots["requested_slot"] is None
    assert _deactivated(events)


def test_log_out_while_a_form_still_runs_stops_it(domain):
    # Whatever predicted it, "logged out" never leaves a form running.
    tracker = make_tracker("log out", "log_out", slots={**ZHANG, "language": "en",
                                                        "report_draft": DRAFT},
                           active_loop="report_form")
    texts, events = run_action(ActionLogOut(), tracker, domain)
    assert texts == [say("logged_out_report", "en")]
    assert "not submitted" in texts[0]
    assert _deactivated(events)
    assert _sets(events)["report_draft"] is None


def test_log_out_in_a_complaint_drops_the_complaint(domain):
    tracker = _stopped_by_rule("退出", "log_out", "complaint_form",
                               {"complainant_name": "王芳", "complainant_phone": "[sealed]"})
    texts, events = run_action(ActionLogOut(), tracker, domain)
    assert texts == [say("logged_out_complaint", "zh")]
    slots = _sets(events)
    assert slots["complainant_name"] is None and slots["complainant_phone"] is None


def test_log_out_with_no_form_is_the_plain_log_out(domain):
    events_before = [
        {"event": "user", "text": "我要报案", "parse_data": {"intent": {"name": "x"}}},
        {"event": "active_loop", "name": "report_form"},
        {"event": "active_loop", "name": None},
    ]
    tracker = make_tracker("退出", "log_out", slots=ZHANG, events=events_before)
    texts, events = run_action(ActionLogOut(), tracker, domain)
    assert texts == [say("logged_out", "zh")]
    assert not _deactivated(events)
    assert _sets(events)["verified"] is False


def test_someone_else_logs_the_customer_out_first(domain):
    tracker = make_tracker("换个人查", "switch_customer", slots=ZHANG)
    texts, events = run_action(ActionLogOut(), tracker, domain)
    assert texts == [say("customer_switched", "zh")]
    assert _sets(events)["customer_id"] is None


def test_someone_else_in_the_middle_of_a_report(domain):
    tracker = _stopped_by_rule("someone else wants to check", "switch_customer", "report_form",
                               {**ZHANG, "report_draft": DRAFT}, lang="en")
    texts, events = run_action(ActionLogOut(), tracker, domain)
    assert texts == [say("customer_switched_report", "en")]
    assert _sets(events)["report_draft"] is None


def test_goodbye_while_verified_logs_out(domain):
    texts, events = run_action(ActionSayGoodbye(), make_tracker("再见", "goodbye", slots=ZHANG),
                               domain)
    assert texts == [say("goodbye_logged_out", "zh")]
    assert _sets(events)["verified"] is False


def test_goodbye_unverified_is_only_goodbye(domain):
    texts, events = run_action(ActionSayGoodbye(), make_tracker("再见", "goodbye"), domain)
    assert texts == [say("goodbye", "zh")] and events == []


def _policy_entity(number):
    return [{"entity": "policy_number", "value": number}]


def test_own_other_policy_becomes_the_one_in_use(claims_store, domain):
    tracker = make_tracker("换成我另一张保单 MED-2026-0001 看看", "inform",
                           slots={**ZHANG, "policy_number": "MED-2026-0001"},
                           entities=_policy_entity("MED-2026-0001"))
    texts, events = run_action(ActionPolicyNamed(), tracker, domain)
    assert texts == [say("policy_in_use", "zh", policy_number="MED-2026-0001",
                         line=say("line.medical", "zh"))]
    assert _sets(events)["policy_number"] == "MED-2026-0001"


def test_policy_read_from_the_text_without_an_entity(claims_store, domain):
    tracker = make_tracker("MED-2026-0001 呢", "inform", slots=ZHANG)
    texts, _ = run_action(ActionPolicyNamed(), tracker, domain)
    assert "MED-2026-0001" in texts[0] and texts[0] == say(
        "policy_in_use", "zh", policy_number="MED-2026-0001", line=say("line.medical", "zh"))


def test_another_persons_policy_gets_the_not_found_reply_and_is_audited(claims_store, domain):
    tracker = make_tracker("帮我老婆查一下 MED-2026-0002", "inform",
                           slots={**ZHANG, "policy_number": "MED-2026-0002"},
                           entities=_policy_entity("MED-2026-0002"))
    texts, events = run_action(ActionPolicyNamed(), tracker, domain)
    assert texts == [say("access_policy_not_found", "zh", policy_number="MED-2026-0002")]
    # The customer's own policy back in view, nothing of 李秀英's.
    assert _sets(events)["policy_number"] == "AUTO-2026-0001"
    with unit_of_work(claims_store) as uow:
        refused = [e.subject_id for e in uow.audit.list(REFUSED)]
    assert refused == ["MED-2026-0002"]


def test_unknown_policy_gets_the_same_words(claims_store, domain):
    tracker = make_tracker("AUTO-2026-0999 呢", "inform", slots=ZHANG,
                           entities=_policy_entity("AUTO-2026-0999"))
    texts, _ = run_action(ActionPolicyNamed(), tracker, domain)
    assert texts == [say("access_policy_not_found", "zh", policy_number="AUTO-2026-0999")]


def test_policy_named_unverified_shows_nothing(claims_store, domain):
    tracker = make_tracker("MED-2026-0001", "inform", entities=_policy_entity("MED-2026-0001"))
    texts, events = run_action(ActionPolicyNamed(), tracker, domain)
    assert texts == [say("how_can_i_help", "zh")] and events == []
