"""Issue 19: the urgent path's action, the confirmation that keeps the draft (duplicates asked
about, problems told), a correction that the model took for a yes, and amending a claim."""
from __future__ import annotations

from datetime import timedelta

from rasa_sdk.executor import CollectingDispatcher

from actions.report import ActionAmendClaim, ActionUrgentIncident, ValidateReportForm
from bot.claims.lifecycle import claim_view
from bot.claims.reporting import ReportDraft
from bot.replies import say
from tests.support.actions import make_tracker, run_action

ZHANG = {"verified": True, "customer_id": 1, "customer_name": "张伟",
         "policy_number": "AUTO-2026-0001"}
EMERGENCY = "救命 我老婆刚出车祸了 流了好多血 人昏过去了 怎么办"


def _names(events):
    return {event.get("name"): event.get("value") for event in events
            if event.get("event") == "slot"}


def test_an_emergency_gets_safety_first_then_a_person_then_the_report(claims_store, domain):
    texts, events = run_action(ActionUrgentIncident(), make_tracker(EMERGENCY, "report_urgent"),
                               domain)
    assert texts[:4] == [say("urgent.first", "zh"), say("urgent.call_120", "zh"),
                         say("urgent.call_122", "zh"), texts[3]]
    assert "120" in texts[1] and "122" in texts[2]
    assert texts[-1] == say("urgent.then_report", "zh")  # identity only after the advice
    assert _names(events)["urgent_handled"] is True
    # Queued for a person on the fast track, but not paused: the report goes on meanwhile.
    assert all(event.get("event") != "pause" for event in events)


def _confirm(draft: ReportDraft, text: str, intent: str = "affirm", **slots):
    tracker = make_tracker(text, intent, slots={**ZHANG, "report_asking": "confirm",
                                                "report_draft": draft.as_dict(), **slots},
                           active_loop="report_form")
    dispatcher = CollectingDispatcher()
    result = ValidateReportForm().validate_report_answer(text, dispatcher, tracker, {})
    return result, [message.get("text") for message in dispatcher.messages]


def _collision_like_000004(**changes) -> ReportDraft:
    seeded = claim_view("CLM-2026-000004")
    base = dict(policy_number="AUTO-2026-0001", line_of_business="motor",
                incident_type="collision", incident_at=seeded.incident_at, place="中山路",
                description="被追尾了", injuries=False, language="zh")
    return ReportDraft(**{**base, **changes})


def test_a_possible_duplicate_is_asked_about_and_no_submits_it_as_new(claims_store):
    result, texts = _confirm(_collision_like_000004(), "对")
    assert result["report_answer"] is None and "是同一件事吗" in texts[0]
    kept = ReportDraft.from_dict(result["report_draft"])
    assert kept.pending_duplicate == "CLM-2026-000004" and kept.place == "中山路"
    result, _ = _confirm(kept, "不是", intent="deny")
    assert result["report_ready"] is True
    assert ReportDraft.from_dict(result["report_draft"]).distinct_from == ("CLM-2026-000004",)


def test_the_same_incident_ends_the_report_with_the_claim_number(claims_store):
    kept = _collision_like_000004(pending_duplicate="CLM-2026-000004")
    result, texts = _confirm(kept, "是的")
    assert result["report_cancelled"] is True
    assert texts == [say("report_same_incident", "zh", claim_number="CLM-2026-000004")]


def test_a_problem_at_the_confirmation_keeps_the_draft_and_says_what_to_change(claims_store):
    future = _collision_like_000004(incident_at=claim_view("CLM-2026-000004").incident_at
                                    + timedelta(days=400))
    result, texts = _confirm(future, "对")
    assert result["report_answer"] is None and result.get("report_ready") is None
    assert texts[-1] == say("report_fix_then_confirm", "zh")
    assert ReportDraft.from_dict(result["report_draft"]).place == "中山路"


def test_a_correction_the_model_took_for_yes_is_a_correction(claims_store):
    draft = _collision_like_000004(place="北四环")
    result, _ = _confirm(draft, "地点是北四环学院桥东200米", intent="affirm")
    assert result.get("report_ready") is None
    assert ReportDraft.from_dict(result["report_draft"]).place == "北四环学院桥东200米"


def test_a_submitted_claim_is_amended_not_reported_again(claims_store, domain):
    tracker = make_tracker("地点改一下，是建国路东三环路口往北", "amend_claim",
                           slots={**ZHANG, "last_claim_number": "CLM-2026-000004"})
    texts, _ = run_action(ActionAmendClaim(), tracker, domain)
    assert texts == [say("report_amended", "zh", claim_number="CLM-2026-000004",
                         field=say("amend_field.place", "zh"), value="建国路东三环路口往北")]
    assert claim_view("CLM-2026-000004").incident_place == "建国路东三环路口往北"


def test_an_amendment_needs_the_identity_check_and_a_claim(claims_store, domain):
    texts, _ = run_action(ActionAmendClaim(), make_tracker("change the place to 14 Elm Road",
                                                           "amend_claim"), domain)
    assert texts == [say("amend_needs_identity", "zh")]
    texts, _ = run_action(ActionAmendClaim(), make_tracker("经过写详细点", "amend_claim",
                                                           slots=ZHANG), domain)
    assert texts == [say("amend_which", "zh")]


def test_after_the_urgent_advice_the_turn_ends_with_the_identity_question(domain):
    from actions.identity import ActionAskPolicyNumber

    tracker = make_tracker(EMERGENCY, "report_urgent", active_loop="report_form")
    # The advice and the fast-track handoff were said in this turn, before the form asks.
    tracker.events.append({"event": "bot", "text": say("urgent.then_report", "zh")})
    texts, _ = run_action(ActionAskPolicyNumber(), tracker, domain)
    assert texts == [say("ask_policy_number", "zh")]


def test_an_emergency_at_night_is_told_to_call_now_not_to_wait_for_the_morning(
        claims_store, domain):
    import datetime as dt

    import time_machine

    night = dt.datetime(2026, 11, 22, 15, 0, tzinfo=dt.timezone.utc)  # 23:00 in Beijing
    with time_machine.travel(night, tick=False):
        texts, events = run_action(
            ActionUrgentIncident(), make_tracker(EMERGENCY, "report_urgent",
                                                 sender_id="web-urgent-night"), domain)
    queued = texts[3]
    assert "现在就拨打" in queued and say("handoff_after_hours", "zh", hours="x",
                                          opens="y")[:10] not in queued
    assert "08:00" in queued  # when the person starts, but not as the only way
    assert all(len(text.splitlines()) <= 6 for text in texts)
    assert all(event.get("event") != "pause" for event in events)


def test_an_emergency_by_day_gets_the_ordinary_queue_reply(claims_store, domain):
    import datetime as dt

    import time_machine

    day = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.timezone.utc)  # 11:00 in Beijing
    with time_machine.travel(day, tick=False):
        texts, _ = run_action(ActionUrgentIncident(), make_tracker(
            EMERGENCY, "report_urgent", sender_id="web-urgent-day"), domain)
    assert "现在就拨打" not in texts[3]
