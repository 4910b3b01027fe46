"""Side questions always get an answer (issue 19, item 11): which documents, what happens next,
where the money goes, how to argue with a decision, the policy summary, withdrawing a claim and
a complaint's progress, all from the domain and without a policy number."""
from __future__ import annotations

import pytest

from bot import side_questions as sq
from bot.documents import checklist
from bot.replies import say

LANGS = ("zh", "en")


@pytest.mark.parametrize("text, kind", [
    ("can u just tell me the general list?", sq.DOCUMENTS),
    ("what documents do I need for a house fire?", sq.DOCUMENTS),
    ("What paperwork do I need if my car got stolen?", sq.DOCUMENTS),
    ("车险理赔要什么材料", sq.DOCUMENTS),
    ("請問住院理賠需要準備哪些文件？", sq.DOCUMENTS),
    ("what happens next? will someone come round to look?", sq.NEXT_STEPS),
    ("会有人上门来看吗", sq.NEXT_STEPS),
    ("which account did it go into?", sq.PAYMENT),
    ("赔款打到哪个账户", sq.PAYMENT),
    ("it was locked inside my front garden", sq.DISPUTE),
    ("check my policy details", sq.POLICY),
    ("撤案", sq.WITHDRAW),
    ("我不想理赔了，撤销报案", sq.WITHDRAW),
    ("查投诉进度", sq.COMPLAINT_STATUS),
    ("any update on my complaint?", sq.COMPLAINT_STATUS),
])
def test_the_kind_of_side_question(text, kind):
    assert sq.side_question(text) == kind


@pytest.mark.parametrize("text", ["AUTO-2026-0001", "1985-04-12", "13800000001", "是的",
                                  "yesterday at 9pm", "查理赔", "喝了点酒开车出事了赔不赔"])
def test_answers_and_other_requests_are_not_side_questions(text):
    assert sq.side_question(text) is None


@pytest.mark.parametrize("lang", LANGS)
def test_a_kind_of_loss_gets_its_whole_list_of_what_to_send(lang):
    text = sq.documents_answer("What paperwork do I need if my car got stolen?", lang)
    for item in checklist("motor", "theft"):
        if item.customer_must_send:
            assert item.name(lang) in text
    fire = sq.documents_answer("what documents do I need for a house fire?", lang)
    assert all(item.name(lang) in fire for item in checklist("home", "fire")
               if item.customer_must_send)


def test_a_line_alone_gets_what_every_claim_of_it_needs_and_the_kinds():
    text = sq.documents_answer("车险理赔要什么材料", "zh")
    assert text.startswith(say("side_documents_line", "zh", line="车险"))
    assert "理赔申请书" in text and "行驶证" in text
    assert "被盗" in text and "车辆碰撞" in text  # the kinds to choose from
    assert "公安报案回执" not in text  # only for a theft


def test_nothing_named_gets_what_every_claim_needs():
    text = sq.documents_answer("can u just tell me the general list?", "en")
    assert text.startswith(say("side_documents_general", "en"))
    assert "Claim application form" in text and "Bank card for the payment" in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_common_questions_get_real_answers(lang):
    assert sq.answer(sq.NEXT_STEPS, "", lang) == say("side_next_steps", lang)
    assert say("side_payment_where", lang) in sq.answer(sq.PAYMENT, "", lang)
    assert sq.answer(sq.DISPUTE, "", lang) == say("side_dispute", lang)


def test_a_paid_claim_is_named_in_the_payment_answer(seeded_url):
    from bot.claims.lifecycle import claim_view

    water = claim_view("CLM-2026-000001", url=seeded_url)
    text = sq.payment_answer("en", [water])
    assert text.splitlines()[0] == say("side_payment_paid", "en", number=water.number,
                                       amount="CNY 8,200", date="1 Nov 2026")


def test_the_policy_summary(seeded_url):
    text = sq.policy_summary("AUTO-2026-0001", "en", url=seeded_url)
    assert "AUTO-2026-0001" in text and "Comprehensive motor insurance" in text
    assert "CNY 500" in text and "CNY 300,000" in text
    assert sq.policy_summary("AUTO-2026-9999", "en", url=seeded_url) is None


def test_complaint_status_lists_only_the_customers_own(seeded_url, now):
    from bot.complaints import NewComplaint, record_complaint

    fields = dict(subject="the claim is slow", facts="slow", request="faster",
                  channel="webchat", language="zh")
    mine = record_complaint(NewComplaint(customer_id=1, **fields), now=now, url=seeded_url)
    theirs = record_complaint(NewComplaint(customer_id=2, **fields), now=now, url=seeded_url)
    text = sq.complaint_status_lines(1, "zh", now=now, url=seeded_url)
    assert mine.reference in text and theirs.reference not in text
    assert sq.complaint_status_lines(3, "en", now=now, url=seeded_url) == say(
        "complaint_status_none", "en")
