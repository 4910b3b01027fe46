"""Status and disputes answer the question asked (issue 19, outside tester): a paid claim's
amount and date, all the customer's claims after a dispute, and the next step of the dispute
ladder when a decision is disputed again or "what can I do now?" is asked."""
from __future__ import annotations

from actions.conversation import ActionCapabilities, ActionOutOfScope
from actions.disputes import ActionExplainDecision
from actions.status import ActionShowStatus
from bot.replies import say
from tests.support.actions import make_tracker, run_action

JOHN = {"language": "en", "verified": True, "customer_id": 3,
        "customer_name": "John Smith", "policy_number": "HOME-2026-0001"}


def _after_dispute(claim_number: str = "CLM-2026-000002", said: str | None = None,
                   action: str = "action_explain_decision") -> list:
    """The events a dispute explained leaves behind: what was said, the claim it was about in
    the slot."""
    return [{"event": "user", "text": "why was my claim refused",
             "parse_data": {"intent": {"name": "dispute_decision"}}},
            {"event": "action", "name": action},
            {"event": "bot", "text": said or "Your claim CLM-2026-000002 was not paid because: "
             "…\n" + say("dispute_next.negotiation", "en")},
            {"event": "slot", "name": "human_offered", "value": True},
            {"event": "slot", "name": "claim_number", "value": claim_number},
            {"event": "action", "name": "action_listen"}]


def test_a_question_about_a_paid_claim_gets_its_amount_and_date(claims_store, domain):
    texts, _ = run_action(ActionShowStatus(), make_tracker(
        "I had another claim that was paid, how much did I get?", "check_status",
        slots=JOHN), domain)
    assert "CLM-2026-000001" in texts[0] and "8,200" in texts[0]
    assert "What happened" not in texts[0]


def test_the_status_of_my_claims_after_a_dispute_lists_them_all(claims_store, domain):
    tracker = make_tracker("what's the status of my claims", "check_status",
                           slots={**JOHN, "claim_number": "CLM-2026-000002"},
                           events=_after_dispute())
    texts, _ = run_action(ActionShowStatus(), tracker, domain)
    assert "CLM-2026-000001" in texts[0] and "CLM-2026-000002" in texts[0]
    # The same when the explanation came right after the identity check.
    after_check = make_tracker("what's the status of my claims", "check_status",
                               slots={**JOHN, "claim_number": "CLM-2026-000002"},
                               events=_after_dispute(action="action_identity_done"))
    texts, _ = run_action(ActionShowStatus(), after_check, domain)
    assert "CLM-2026-000001" in texts[0] and "CLM-2026-000002" in texts[0]
    # Naming the disputed claim still shows that one.
    named = make_tracker("status of CLM-2026-000002", "check_status",
                         slots={**JOHN, "claim_number": "CLM-2026-000002"},
                         events=_after_dispute())
    texts, _ = run_action(ActionShowStatus(), named, domain)
    assert "CLM-2026-000002" in texts[0] and "CLM-2026-000001" not in texts[0]


def test_disputing_again_moves_to_the_next_step_not_the_same_text(claims_store, domain):
    first = make_tracker("why was my claim refused", "dispute_decision", sender_id="web-j1",
                         slots=JOHN)
    first_texts, _ = run_action(ActionExplainDecision(), first, domain)
    again = make_tracker("I don't accept this, the pipe burst was sudden", "dispute_decision",
                         sender_id="web-j1", slots={**JOHN, "claim_number": "CLM-2026-000002"},
                         events=_after_dispute(said=first_texts[0]))
    texts, events = run_action(ActionExplainDecision(), again, domain)
    assert texts != first_texts
    assert texts[0].startswith(say("dispute_again", "en", number="CLM-2026-000002"))
    assert "mediation" in texts[0] and "complain" in texts[0]
    assert "Clause 12" not in texts[0]  # the clause is not quoted a second time
    assert any(e.get("name") == "human_offered" and e.get("value") for e in events)
    # Another conversation, another day: the explanation is given again.
    other = make_tracker("why was my claim refused", "dispute_decision", sender_id="web-j2",
                         slots=JOHN)
    assert run_action(ActionExplainDecision(), other, domain)[0] == first_texts


def test_what_can_i_do_now_after_a_decision_gets_the_options(claims_store, domain):
    tracker = make_tracker("what can I do now", "ask_capabilities",
                           slots={**JOHN, "claim_number": "CLM-2026-000002"},
                           events=_after_dispute())
    texts, events = run_action(ActionCapabilities(), tracker, domain)
    assert texts[0].startswith(say("dispute_options_intro", "en", number="CLM-2026-000002"))
    assert any(e.get("name") == "human_offered" and e.get("value") for e in events)
    chinese = make_tracker("我现在能怎么办", "out_of_scope",
                           slots={**JOHN, "language": "zh", "claim_number": "CLM-2026-000002"},
                           events=_after_dispute())
    texts, _ = run_action(ActionOutOfScope(), chinese, domain)
    assert "调解" in texts[0] and "投诉" in texts[0]
    # Without a dispute just before, "what can I do" is what the assistant can do.
    texts, _ = run_action(ActionCapabilities(), make_tracker(
        "what can I do now", "ask_capabilities", slots=JOHN), domain)
    assert texts == [say("capabilities", "en")]
