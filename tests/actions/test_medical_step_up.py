"""Finding F2: the code step depends on the medical data shown, not on the policy used to log
in: a verified conversation with no SMS code verified in it sees nothing of a medical claim.
(The demo's medical claim is 李秀英's CLM-2026-000003 on MED-2026-0002.)"""
from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions.status import ActionShowStatus
from bot.access import Viewer, upload_target_for
from bot.claims.lifecycle import claims_of_policy_holder
from tests.support.actions import make_tracker

ZHANG = {"verified": True, "customer_id": 2, "customer_name": "李秀英",
         "policy_number": "MED-2026-0002"}


def _medical_claims() -> list[str]:
    return [view.number for view in claims_of_policy_holder("MED-2026-0002", actor="test")
            if view.line_of_business == "medical"]


def _run(tracker, domain):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionShowStatus().run(dispatcher, tracker, domain))
    return [m.get("text") or "" for m in dispatcher.messages], events


def test_a_medical_claim_named_without_the_code_asks_for_the_code(claims_store, domain):
    medical = _medical_claims()
    assert medical, "the demo data must hold a medical claim"
    tracker = make_tracker(f"查一下 {medical[0]}", "check_status",
                           slots={**ZHANG, "claim_number": medical[0]})
    texts, events = _run(tracker, domain)
    assert len(texts) == 1 and "短信验证" in texts[0]
    assert "****0002" in texts[0]
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["pending_request"] == "check_status"
    assert any(e.get("event") == "followup" and e.get("name") == "identity_form"
               for e in events)


def test_the_status_list_names_a_medical_claim_without_details(claims_store, domain):
    tracker = make_tracker("查进度", "check_status", slots=ZHANG)
    texts, _ = _run(tracker, domain)
    text = "\n".join(texts)
    # One claim only: no details at all, the code is asked for instead.
    assert "短信验证" in text
    assert "报案日期" not in text and "材料" not in text


def test_no_upload_goes_to_a_medical_claim_without_the_code(claims_store):
    viewer = Viewer("test-user", 2, policy_number="MED-2026-0002")
    target = upload_target_for("test-user", viewer)
    assert target is None or target.claim_number not in _medical_claims()


def _handoff_summary(tracker, domain):
    from actions.handoff import ActionHandoff
    from bot.handoff import open_queue

    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandoff().run(dispatcher, tracker, domain))
    [entry] = [e for e in open_queue() if e.conversation_id == tracker.sender_id]
    return entry.summary


def test_the_handoff_summary_shows_no_medical_claim_without_the_code(claims_store, domain):
    medical = _medical_claims()
    tracker = make_tracker("转人工", "request_human", sender_id="handoff-no-code",
                           slots={**ZHANG, "claim_number": medical[0],
                                  "last_claim_number": medical[0]})
    summary = _handoff_summary(tracker, domain)
    assert summary["customer"]["verified"] is True
    assert not any(claim["number"] in medical for claim in summary["claims"])
    assert summary["claim_number"] is None
    assert not any(number in str(summary) for number in medical)


def test_the_handoff_summary_shows_the_medical_claims_once_the_code_was_given(claims_store,
                                                                              domain):
    import re

    from bot import identity

    sent: list[str] = []
    result = identity.send_step_up_code(
        "MED-2026-0002", conversation_id="handoff-code", customer_id=2,
        send_sms=lambda phone, body: sent.append(body))
    assert result.outcome is identity.VerificationOutcome.CODE_SENT
    code = re.search(r"\b(\d{6})\b", sent[-1]).group(1)
    assert identity.verify("MED-2026-0002", code, conversation_id="handoff-code").verified
    medical = _medical_claims()
    tracker = make_tracker("转人工", "request_human", sender_id="handoff-code",
                           slots={**ZHANG, "claim_number": medical[0]})
    summary = _handoff_summary(tracker, domain)
    assert {claim["number"] for claim in summary["claims"]} >= set(medical)
    assert summary["claim_number"] == medical[0]
