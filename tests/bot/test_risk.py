"""Risk flags: facts for agents, routing to a person, never a refusal or an accusation."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from bot.claims.lifecycle import claim_view
from bot.claims.reporting import ReportDraft, receipt_text, submit_report
from bot.claims.risk import (
    FAST_TRACK,
    REVIEW,
    RiskFacts,
    assess,
    is_fast_track,
    offers_person,
    rules,
    urgent_reasons,
    usual_amount,
)
from bot.store.db import unit_of_work
from tests.bot.conftest import NOW
from tests.bot.test_reporting import add_policy, customer_of

ACCUSING = ("fraud", "suspicious", "suspect", "lie", "欺诈", "骗", "可疑", "嫌疑", "虚假")


def facts(**changes) -> RiskFacts:
    base = dict(
        line_of_business="motor", incident_type="collision",
        incident_at=datetime(2026, 11, 21, 7), reported_at=datetime(2026, 11, 22, 2),
        estimated_amount=Decimal("3000"), sum_insured=Decimal("300000"),
        policy_start=date(2026, 1, 1), waiting_period_days=0,
    )
    base.update(changes)
    return RiskFacts(**base)


def codes(found) -> list[str]:
    return [flag.code for flag in found]


def test_an_ordinary_claim_raises_nothing() -> None:
    assert assess(facts()) == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        (dict(estimated_amount=Decimal("400000")), "amount_above_sum_insured"),
        (dict(estimated_amount=Decimal("18001")), "amount_above_usual"),
        (dict(incident_at=datetime(2026, 10, 1, 2)), "late_report"),
        (dict(recent_claims=("CLM-2026-000004",)), "recent_claims"),
        (dict(policy_start=date(2026, 11, 1)), "early_in_policy"),
        (dict(line_of_business="medical", incident_type="hospitalisation",
              policy_start=date(2026, 11, 1), waiting_period_days=30), "waiting_period"),
        (dict(past_complaints=3), "many_complaints"),
        (dict(urgent_reasons=("serious_injury",)), "urgent"),
    ],
)
def test_each_rule(changes: dict, code: str) -> None:
    found = assess(facts(**changes))
    assert code in codes(found)
    flag = next(flag for flag in found if flag.code == code)
    assert flag.route == (FAST_TRACK if code == "urgent" else REVIEW)
    assert flag.note_zh and flag.note_en
    for word in ACCUSING:
        assert word not in flag.note_zh.lower() and word not in flag.note_en.lower()


def test_boundaries() -> None:
    assert "amount_above_usual" not in codes(assess(facts(estimated_amount=Decimal("18000"))))
    assert "late_report" not in codes(assess(facts(incident_at=datetime(2026, 10, 23, 2))))
    assert "late_report" in codes(assess(facts(incident_at=datetime(2026, 10, 22, 2))))
    # The waiting period replaces the "early in the policy" flag, it does not add to it.
    in_waiting = assess(facts(line_of_business="critical_illness", incident_type="diagnosis",
                              policy_start=date(2026, 11, 1), waiting_period_days=90))
    assert codes(in_waiting) == ["waiting_period"]
    motor_early = assess(facts(policy_start=date(2026, 11, 1), waiting_period_days=90))
    assert codes(motor_early) == ["early_in_policy"]  # motor has no waiting period
    assert usual_amount("life", "death") is None


def test_agent_notes_are_bilingual_and_put_amounts_in_words() -> None:
    found = assess(facts(estimated_amount=Decimal("400000"), sum_insured=Decimal("300000"),
                         incident_type="theft"))
    flag = next(flag for flag in found if flag.code == "amount_above_sum_insured")
    assert "400,000 元" in flag.note_zh and "CNY 300,000" in flag.note_en
    assert flag.as_json()["detail"] == {"amount": "400000", "sum_insured": "300000"}
    (urgent,) = assess(facts(urgent_reasons=("serious_injury", "emergency")))
    assert "重伤、急诊" in urgent.note_zh and "serious injury, hospital emergency" in urgent.note_en


@pytest.mark.parametrize(
    ("incident_type", "text", "serious", "expected"),
    [
        ("death", None, None, ("death",)),
        ("fire", None, None, ("fire",)),
        ("collision", "腿骨折了,送了急诊", None, ("serious_injury", "emergency")),
        ("collision", "he is unconscious, the ambulance came", None,
         ("serious_injury", "emergency")),
        ("injury", None, True, ("serious_injury",)),
        ("collision", "后保险杠坏了", None, ()),
        ("hospitalisation", "发烧了,住院三天", None, ()),
    ],
)
def test_urgent_reasons(incident_type, text, serious, expected) -> None:
    assert urgent_reasons(incident_type, text, serious_injury=serious) == expected


def test_only_urgent_and_waiting_period_cases_offer_a_person() -> None:
    assert is_fast_track(assess(facts(urgent_reasons=("fire",))))
    assert offers_person(assess(facts(urgent_reasons=("fire",))))
    waiting = assess(facts(line_of_business="medical", incident_type="hospitalisation",
                           policy_start=date(2026, 11, 1), waiting_period_days=30))
    assert offers_person(waiting) and not is_fast_track(waiting)
    assert not offers_person(assess(facts(estimated_amount=Decimal("400000"))))
    stored = [flag.as_json() for flag in waiting]
    assert offers_person(stored)


def test_the_rules_file_holds_the_numbers_of_the_domain() -> None:
    config = rules()
    assert (config["late_report_days"], config["recent_claims_days"],
            config["early_in_policy_days"]) == (30, 90, 30)


# --- at submission --------------------------------------------------------------------------


def test_fire_is_fast_tracked_and_the_customer_is_offered_a_person(seeded_url: str) -> None:
    draft = ReportDraft(policy_number="HOME-2026-0001", incident_type="fire",
                        incident_at=datetime(2026, 11, 22, 1), place="家里",
                        description="kitchen caught fire", estimated_amount=Decimal("20000"),
                        language="en")
    receipt = submit_report(draft, verified_customer_id=customer_of(seeded_url, "HOME-2026-0001"),
                            now=datetime(2026, 11, 22, 2), actor="conversation:t", url=seeded_url)
    assert receipt.fast_track and receipt.offer_person
    text = receipt_text(receipt, "en")
    assert "a person will contact you soon" in text
    with unit_of_work(seeded_url) as uow:
        flags = uow.claims.by_number(receipt.claim_number).flags
    # The seeded theft claim on the same policy two weeks ago is noted too.
    assert [flag["code"] for flag in flags] == ["recent_claims", "urgent"]
    assert flags[1]["route"] == FAST_TRACK and flags[1]["detail"] == {"reasons": ["fire"]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_waiting_period_routes_to_a_person_without_telling_why(
    seeded_url: str, lang: str
) -> None:
    add_policy(seeded_url, "MED-2026-0096", start_date=date(2026, 11, 1),
               end_date=date(2027, 10, 31), waiting_period_days=30)
    draft = ReportDraft(policy_number="MED-2026-0096", incident_type="hospitalisation",
                        incident_at=datetime(2026, 11, 20, 2), hospital="瑞金医院",
                        estimated_amount=Decimal("8000"), language=lang)
    receipt = submit_report(draft, verified_customer_id=customer_of(seeded_url, "MED-2026-0096"),
                            now=NOW, actor="conversation:t", url=seeded_url)
    assert receipt.offer_person and not receipt.fast_track
    text = receipt_text(receipt)
    assert ("专员跟进" if lang == "zh" else "follow up") in text
    for word in ("等待期", "waiting", "风险", "risk") + ACCUSING:
        assert word not in text.lower()
    view = claim_view(receipt.claim_number, url=seeded_url)
    assert view.stage == "reported"  # routed, not refused
    with unit_of_work(seeded_url) as uow:
        flags = uow.claims.by_number(receipt.claim_number).flags
    assert {flag["code"] for flag in flags} == {"waiting_period"}
