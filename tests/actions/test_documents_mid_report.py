""""要什么材料？" asked in the middle of a report answers for the claim being reported, never for
another claim of the customer's (issue 19, outside tester)."""
from __future__ import annotations

from actions.documents import ActionAnswerDocuments
from bot.replies import say
from tests.support.actions import make_tracker, run_action

VERIFIED = {"verified": True, "customer_id": 1, "customer_name": "张伟"}


def test_mid_medical_report_the_medical_list_not_the_open_motor_claims(claims_store, domain):
    # 张伟 has an open motor claim missing his driving licence; he is reporting a hospital stay.
    tracker = make_tracker("要什麼材料？", "ask_documents", active_loop="report_form", slots={
        **VERIFIED, "policy_number": "MED-2026-0001",
        "report_draft": {"line_of_business": "medical", "description": "上周住院了"}})
    texts, _ = run_action(ActionAnswerDocuments(), tracker, domain)
    answer = "\n".join(texts)
    assert "CLM-" not in answer and "驾驶证" not in answer and "行驶证" not in answer
    assert answer.startswith(say("documents_for_report_intro", "zh"))
    assert "出院" in answer or "病历" in answer


def test_mid_report_with_only_the_line_known_the_lines_list(claims_store, domain):
    tracker = make_tracker("要什么材料", "ask_documents", active_loop="report_form", slots={
        **VERIFIED, "policy_number": "MED-2026-0001",
        "report_draft": {"line_of_business": "medical"}})
    texts, _ = run_action(ActionAnswerDocuments(), tracker, domain)
    assert "CLM-" not in texts[0] and "驾驶证" not in texts[0]
    assert texts[0].startswith(say("side_documents_line", "zh", line=say("line.medical", "zh")))


def test_a_kind_of_loss_before_any_claim_says_usually_not_this_claim(claims_store, domain):
    tracker = make_tracker("家里着火了要什么材料", "ask_documents")
    texts, _ = run_action(ActionAnswerDocuments(), tracker, domain)
    assert texts[0].startswith(say("documents_before_claim_intro", "zh"))
    assert "办理这笔理赔" not in texts[0]
