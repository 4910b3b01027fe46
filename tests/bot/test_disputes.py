"""Disputes: the decision explained from what is stored, and the ladder recorded."""
from __future__ import annotations

from bot.claims.disputes import (
    LADDER,
    dispute_goes_to_person,
    explain_decision,
    next_step,
    requested_step,
)
from bot.replies import say
from bot.store.db import unit_of_work


def _step(url, claim_number):
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(claim_number)
        row = uow.disputes.for_claim(claim.id, claim.policy.customer_id)
        return row.step if row else None


def test_the_ladder():
    assert LADDER == ("explained", "negotiation", "mediation", "arbitration", "litigation")
    assert next_step("explained") == "negotiation" and next_step("litigation") is None
    assert requested_step("金额谈不拢 我要走调解") == "mediation"
    assert requested_step("我要申請仲裁") == "arbitration"
    assert requested_step("拒赔了我要打官司") == "litigation"
    assert requested_step("I will take you to court") == "litigation"
    assert requested_step("为什么拒赔") is None


def test_a_denial_is_explained_with_the_reason_and_the_clause_text(seeded_url):
    explained = explain_decision("HOME-2026-0001", lang="en", text="why was it denied",
                                 conversation_id="c1", url=seeded_url)
    assert explained.claim_number == "CLM-2026-000002" and explained.stage == "denied"
    assert "outside your home" in explained.text and "Clause 12" in explained.text
    assert say("dispute_next.negotiation", "en") in explained.text
    assert explained.step == "explained" and explained.next_step == "negotiation"
    assert _step(seeded_url, "CLM-2026-000002") == "explained"
    zh = explain_decision("HOME-2026-0001", lang="zh", url=seeded_url).text
    assert "第十二条" in zh and "简单说" in zh


def test_a_rung_the_customer_names_is_where_they_stand_and_never_goes_down(seeded_url):
    explained = explain_decision("HOME-2026-0001", lang="zh", text="我要申请调解",
                                 url=seeded_url)
    assert explained.step == "mediation" and say("dispute_step.mediation", "zh") in \
        explained.text
    again = explain_decision("HOME-2026-0001", lang="zh", text="为什么拒赔", url=seeded_url)
    assert again.step == "mediation" and again.next_step == "arbitration"


def test_handing_a_dispute_to_a_person_is_the_negotiation_rung(seeded_url):
    explain_decision("HOME-2026-0001", lang="zh", url=seeded_url)
    assert dispute_goes_to_person("HOME-2026-0001", "CLM-2026-000002",
                                  url=seeded_url) == "negotiation"
    assert _step(seeded_url, "CLM-2026-000002") == "negotiation"
    assert dispute_goes_to_person("ACC-2026-0001", None, url=seeded_url) is None


def test_an_undecided_claim_and_a_stranger_claim(seeded_url):
    undecided = explain_decision("AUTO-2026-0001", lang="zh", url=seeded_url)
    assert undecided.claim_number == "CLM-2026-000004"
    assert "还没有最终结果" in undecided.text
    stranger = explain_decision("AUTO-2026-0001", lang="zh", claim_number="CLM-2026-000002",
                                url=seeded_url)
    assert stranger.claim_number is None and "CLM-2026-000002" in stranger.text
    none = explain_decision("ACC-2026-0001", lang="en", url=seeded_url)
    assert none.claim_number is None and say("dispute_no_claim", "en") in none.text


def test_a_paid_claim_states_the_amount_and_the_policy_limits(seeded_url):
    paid = explain_decision("HOME-2026-0001", lang="zh", claim_number="CLM-2026-000001",
                            url=seeded_url)
    assert "8,200 元" in paid.text and "500,000 元" in paid.text and "1,000 元" in paid.text
