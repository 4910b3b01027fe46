"""F8: a message that gives the policy number (and maybe the date of birth) together with what
the customer wants is answered after the identity check, and the date beside the number is the
answer (no second question)."""
from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.identity import ActionIdentityDone, ValidateIdentityForm
from bot.replies import say
from tests.support.actions import make_tracker, run_action


def _validate_number(text: str, domain, sender: str = "f8", slots=None):  # noqa: ANN001
    tracker = make_tracker(text, intent="inform", sender_id=sender, slots=slots,
                           active_loop="identity_form")
    dispatcher = CollectingDispatcher()
    result = ValidateIdentityForm().validate_policy_number(text, dispatcher, tracker, domain)
    return result, [m["text"] for m in dispatcher.messages]


def test_policy_number_and_birth_date_in_one_message_verify_at_once(claims_store, domain):
    result, texts = _validate_number("你好 我想查下理赔 保单号AUTO-2026-0001 生日1985年4月12日",
                                     domain)
    assert texts == []
    assert result["verified"] is True and result["customer_name"] == "张伟"
    assert result["policy_number"] == "AUTO-2026-0001"
    assert result["verification_answer"] == "verified"  # never the date itself
    assert result["pending_request"] == "check_status"


def test_two_digit_year_and_english_date_beside_the_number(claims_store, domain):
    result, _ = _validate_number("查进度 auto-2026-0001 85/4/12", domain, sender="f8-short")
    assert result["verified"] is True and result["pending_request"] == "check_status"
    result, _ = _validate_number(
        "I'd like to check my claim. policy HOME-2026-0001, born 1 July 1990", domain,
        sender="f8-en", slots={"language": "en"})
    assert result["verified"] is True and result["customer_name"] == "John Smith"
    assert result["pending_request"] == "check_status"


def test_a_wrong_date_beside_the_number_fails_like_any_wrong_answer(claims_store, domain):
    result, texts = _validate_number("AUTO-2026-0001 1999-01-01", domain, sender="f8-wrong")
    assert texts == [say("verification_mismatch", "zh", attempts_left=2)]
    assert result["policy_number"] == "AUTO-2026-0001"
    assert result["verification_answer"] is None and not result.get("verified")
    unknown, unknown_texts = _validate_number("AUTO-2026-9999 1999-01-01", domain,
                                              sender="f8-unknown")
    assert unknown_texts == texts and unknown["verification_answer"] is None


def test_number_without_a_date_keeps_the_request_and_asks_nothing_yet(claims_store, domain):
    result, texts = _validate_number("查一下理赔进度，保单号AUTO-2026-0001", domain)
    assert result == {"policy_number": "AUTO-2026-0001", "pending_request": "check_status"}
    assert texts == []
    result, _ = _validate_number("AUTO-2026-0001这张保单免赔额是多少", domain)
    assert result["pending_request"] == "ask_clause"
    assert "免赔额" in result["clause_question"] and "AUTO" not in result["clause_question"]
    result, _ = _validate_number("AUTO-2026-0001 需要什么材料", domain)
    assert result["pending_request"] == "ask_documents"


def test_an_earlier_request_is_not_replaced(claims_store, domain):
    result, _ = _validate_number("AUTO-2026-0001 需要什么材料", domain,
                                 slots={"pending_request": "ask_clause"})
    assert "pending_request" not in result


def test_identity_done_answers_a_documents_request(claims_store, domain):
    tracker = make_tracker(
        "1985-04-12", intent="inform",
        slots={"verified": True, "customer_id": 1, "customer_name": "张伟",
               "policy_number": "AUTO-2026-0001", "pending_request": "ask_documents"},
    )
    texts, _ = run_action(ActionIdentityDone(), tracker, domain)
    assert texts[0] == say("identity_verified", "zh", name="张伟")
    assert texts[1] == say("documents_for_claim", "zh", claim_number="CLM-2026-000004")
    assert say("how_can_i_help", "zh") not in texts


def test_a_birth_date_read_two_ways_is_asked_back_then_verified(claims_store, domain):
    # "07/01/1990" from an American customer: 7 January or 1 July? Asked, no try spent.
    slots = {"language": "en", "policy_number": "HOME-2026-0001"}
    form = ValidateIdentityForm()
    tracker = make_tracker("07/01/1990", intent="inform", sender_id="dob-order", slots=slots,
                           active_loop="identity_form")
    dispatcher = CollectingDispatcher()
    result = form.validate_verification_answer("07/01/1990", dispatcher, tracker, domain)
    assert [m["text"] for m in dispatcher.messages] == [
        say("verification_date_order", "en", first="7 Jan 1990", second="1 Jul 1990")]
    assert result == {"verification_answer": None}
    tracker = make_tracker("1 Jul 90", intent="inform", sender_id="dob-order", slots=slots,
                           active_loop="identity_form")
    result = form.validate_verification_answer("1 Jul 90", CollectingDispatcher(), tracker,
                                               domain)
    assert result["verified"] is True and result["customer_name"] == "John Smith"


def test_a_birth_date_read_two_ways_beside_the_number_is_asked_back_at_once(claims_store, domain):
    # "HOME-2026-0001 07/01/1990": the order is asked, not the date of birth again (an outside
    # tester's finding); no try is spent.
    result, texts = _validate_number("HOME-2026-0001 07/01/1990", domain, sender="dob-beside",
                                     slots={"language": "en"})
    assert texts == [say("verification_date_order", "en", first="7 Jan 1990",
                         second="1 Jul 1990")]
    assert result["policy_number"] == "HOME-2026-0001"
    assert result["verification_answer"] is None and not result.get("verified")


def test_the_phones_last_four_beside_the_number_are_the_answer(claims_store, domain):
    result, texts = _validate_number("AUTO-2026-0001 0001", domain, sender="f8-four")
    assert result["verified"] is True and texts == []
    result, _ = _validate_number("AUTO-2026-0001 and my phone ends 0001", domain,
                                 sender="f8-four-en", slots={"language": "en"})
    assert result["verified"] is True
    result, _ = _validate_number("AUTO-2026-0001 13800000001", domain, sender="f8-mobile")
    assert result["verified"] is True
    # a year alone is not taken for the phone's digits: the date is asked as usual
    result, texts = _validate_number("AUTO-2026-0001 1985", domain, sender="f8-year")
    assert result == {"policy_number": "AUTO-2026-0001"} and texts == []


def test_the_last_four_beside_a_request_and_the_number(claims_store, domain):
    result, _ = _validate_number("查进度 AUTO-2026-0001 0001", domain, sender="f8-four-req")
    assert result["verified"] is True and result["pending_request"] == "check_status"
