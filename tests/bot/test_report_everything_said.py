"""Issue 19, items 3, 4, 5, 9 and 13: everything the customer said is used (the opening
message, corrections in their own phrasing, questions about what was stored), the urgent path,
incident types within the policy's cover, duplicates judged by the incident, and amending a
submitted claim."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bot.claims.amounts import find_amount, parse_amount
from bot.claims.lifecycle import advance_claim, claim_view
from bot.claims.model import ClaimStage
from bot.claims.reporting import ReportDraft, fit_to_line, missing_fields
from bot.claims.reporting.amend import AmendRefused, amend_claim, parse_amend_request
from bot.claims.reporting.answers import (
    absorb_first_message,
    apply_correction,
    interpret_answer,
    is_confirmation,
    report_summary,
    same_incident_reply,
    stored_value_answer,
)
from bot.claims.reporting.extract import customer_account, extract_report_fields, reads_as_report
from bot.claims.reporting.service import DIFFERENT, MAYBE, SAME, same_incident
from bot.claims.reporting.urgent import urgency
from bot.store.db import unit_of_work
from bot.store.models import AuditEntry
from tests.bot.conftest import NOW

WHOLE_REPORT = ("刚才在北四环被后面一辆车追尾了…后保险杠撞坏了…人没事…对方全责…"
                "保单AUTO-2026-0001…赶紧帮我报个案")
MOTOR = ReportDraft(policy_number="AUTO-2026-0001", line_of_business="motor", language="zh")


def summary_ready(**changes) -> ReportDraft:
    base = dict(policy_number="AUTO-2026-0001", line_of_business="motor",
                incident_type="collision", incident_at=datetime(2026, 11, 21, 7, 0),
                place="home", description="被追尾了", injuries=False,
                estimated_amount=Decimal("2000"), language="en")
    return ReportDraft(**{**base, **changes})


# --- the opening message --------------------------------------------------------------------


def test_the_whole_report_in_one_message_is_a_report_with_its_facts():
    assert reads_as_report(WHOLE_REPORT)
    draft = absorb_first_message(ReportDraft(language="zh"), WHOLE_REPORT, NOW, "zh")
    assert draft.policy_number == "AUTO-2026-0001"
    assert draft.incident_type == "collision" and draft.place == "北四环"
    assert draft.injuries is False and draft.incident_at is not None
    assert draft.description.startswith("刚才在北四环被后面一辆车追尾了")
    assert "对方全责" in draft.description
    assert "报个案" not in draft.description and "AUTO" not in draft.description


@pytest.mark.parametrize("text", ["我要报案", "你好", "AUTO-2026-0001", "查一下进度",
                                  "what documents do I need?"])
def test_words_without_an_incident_are_not_a_report(text):
    assert not reads_as_report(text)


@pytest.mark.parametrize(("text", "account"), [
    ("报案啊!我被追尾了", "我被追尾了"),
    ("I want to report a claim. Someone hit my car at 14 Elm Road",
     "Someone hit my car at 14 Elm Road"),
    ("你好,我要报案", None),
])
def test_the_description_is_the_customers_account(text, account):
    assert customer_account(text) == account


@pytest.mark.parametrize(("text", "amount"), [
    ("损失十几万", Decimal("100000")),
    ("大概二十多万吧", Decimal("200000")),
    ("修车花了大概三千块", Decimal("3000")),
    ("around 10am a van hit me", None),
    ("11pm, as I already said", None),
    ("at 14 Elm Road", None),
    ("在北四环学院桥往东200米", None),
])
def test_amounts_are_read_only_from_money_words(text, amount):
    assert find_amount(text).amount == amount


def test_a_bare_answer_to_how_much_is_still_read_but_never_a_time_or_an_address():
    assert parse_amount("十几万").amount == Decimal("100000") and parse_amount("十几万").approximate
    assert parse_amount("2500").amount == Decimal("2500")
    assert parse_amount("11pm, as I already said").amount is None
    assert parse_amount("14 Elm Road").amount is None


def test_place_police_and_theft_versus_collision_come_from_the_first_message():
    fields = extract_report_fields("Someone hit my car outside 14 Elm Road, police came", NOW,
                                   "en")
    assert fields.place == "14 Elm Road" and fields.police_called is True
    assert fields.kinds == ("collision",)
    stolen = extract_report_fields("我的车昨晚在小区里被偷了,已经报警了", NOW, "zh")
    assert stolen.kinds == ("theft",) and stolen.police_called is True


# --- corrections ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "field", "value"), [
    ("also the address should be 14 Elm Road not just home", "place", "14 Elm Road"),
    ("actually make it 2500, sorry", "estimated_amount", Decimal("2500")),
    ("不对，地点是北四环学院桥东200米", "place", "北四环学院桥东200米"),
    ("改一下 是北四环学院桥往东200米", "place", "北四环学院桥往东200米"),
    ("地点是北四环学院桥东200米", "place", "北四环学院桥东200米"),
])
def test_corrections_in_the_customers_phrasing_store_only_the_value(text, field, value):
    answer = apply_correction(summary_ready(), text, NOW, "en")
    assert answer.changed == (field,)
    assert getattr(answer.draft, field) == value


def test_a_correction_is_never_a_yes_even_when_the_model_says_affirm():
    assert not is_confirmation("地点是北四环学院桥东200米", intent="affirm")
    assert is_confirmation("好的", intent="affirm") and is_confirmation("对", intent="nlu_fallback")


def test_a_correction_in_the_middle_of_the_questions_replaces_the_old_value():
    draft = summary_ready(description=None)
    answer = interpret_answer(draft, "description", "不对，地点是北四环学院桥东200米", NOW, "zh")
    assert answer.draft.place == "北四环学院桥东200米" and answer.draft.description is None
    place = interpret_answer(summary_ready(place=None), "place", "改一下 是北四环学院桥往东200米",
                             NOW, "zh")
    assert place.draft.place == "北四环学院桥往东200米"


def test_a_question_about_the_stored_value_gets_it():
    draft = apply_correction(summary_ready(), "actually make it 2500, sorry", NOW, "en").draft
    assert stored_value_answer(draft, "did that go in as 2500 or 2000?", "en") == (
        "What's recorded now: CNY 2,500.")
    asked = interpret_answer(draft, "injuries", "did that go in as 2500 or 2000?", NOW, "en")
    assert asked.draft == draft and "2,500" in (asked.message or "")
    assert "CNY 2,500" in report_summary(draft, "en")
    assert stored_value_answer(draft, "no, nobody was hurt", "en") is None


# --- the urgent path ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "numbers"), [
    ("救命 我老婆刚出车祸了 流了好多血 人昏过去了 怎么办", ("120", "122")),
    ("刚才出了车祸,我老婆伤得很重,现在在医院抢救,怎么办", ("120", "122")),
    ("剛才出了車禍，我老婆傷得很重，現在在醫院搶救", ("120", "122")),
    ("我家着火了 怎么办", ("119",)),
    ("My house is on fire!", ("119",)),
    ("my husband was just hit by a car, he is unconscious", ("120", "122")),
])
def test_an_emergency_now_gets_the_numbers_that_apply(text, numbers):
    found = urgency(text)
    assert found is not None and found.numbers == numbers


@pytest.mark.parametrize("text", [
    "刚才在北四环被后面一辆车追尾了，人没事",
    "上个月摔骨折了住院",
    "我父亲上个月去世了",
    "救护车费用能报吗",
    "火灾理赔需要消防的证明吗",
    "家里着火了 烧了不少东西",
    "刚才那位已经走了 换我查",
])
def test_a_past_event_or_a_question_is_not_an_emergency(text):
    assert urgency(text) is None


# --- incident types within the policy's cover -------------------------------------------------


def test_a_hospital_stay_on_an_accident_policy_is_an_accident_injury():
    draft = absorb_first_message(ReportDraft(language="zh"), "我在楼梯上摔倒了,住院了", NOW, "zh")
    fitted = fit_to_line(draft, "accident")
    assert fitted.incident_type == "injury"
    assert fit_to_line(ReportDraft(incident_type="hospitalisation"), "accident").incident_type == (
        "injury")


def test_one_type_on_the_line_is_not_asked_several_are():
    assert fit_to_line(ReportDraft(), "life").incident_type == "death"
    life = fit_to_line(ReportDraft(policy_number="LIFE-2025-0042", line_of_business="life"),
                       "life")
    assert "incident_type" not in missing_fields(life)
    assert "incident_type" in missing_fields(fit_to_line(MOTOR, "motor"))


@pytest.mark.parametrize(("text", "incident_type"), [
    ("我不小心把电视摔坏了", "property_damage"),
    ("the TV got knocked over and the screen cracked", "property_damage"),
    ("台风把窗户吹坏了", "natural_disaster"),
    ("楼上掉下来花盆把空调外机砸坏了", "falling_object"),
    ("厨房水管爆了", "water_damage"),
])
def test_every_loss_the_home_policy_covers_can_be_reported(text, incident_type):
    home = ReportDraft(policy_number="HOME-2025-0318", line_of_business="home", language="zh")
    assert absorb_first_message(home, text, NOW, "zh").incident_type == incident_type


# --- duplicates -----------------------------------------------------------------------------


def _claim(**fields):
    base = dict(incident_at=datetime(2026, 11, 21, 1, 0), incident_place="中山路",
                estimated_amount=Decimal("3000"))
    return SimpleNamespace(**{**base, **fields})


@pytest.mark.parametrize(("draft", "verdict"), [
    (summary_ready(incident_at=datetime(2026, 11, 21, 1, 30), place="中山路与人民路口",
                   estimated_amount=Decimal("3200")), SAME),
    (summary_ready(incident_at=datetime(2026, 11, 21, 8, 0), place="北四环",
                   estimated_amount=Decimal("9000")), DIFFERENT),
    (summary_ready(incident_at=datetime(2026, 11, 21, 1, 30), place="北四环",
                   estimated_amount=Decimal("9000")), DIFFERENT),
    (summary_ready(incident_at=datetime(2026, 11, 21, 2, 30), place=None,
                   estimated_amount=None), MAYBE),
    (summary_ready(incident_at=datetime(2026, 11, 21, 1, 0), place="北四环",
                   estimated_amount=Decimal("3000")), MAYBE),
    (summary_ready(incident_at=datetime(2026, 11, 22, 1, 0)), DIFFERENT),
    # another place two and a half hours later, with a like amount: another collision
    (summary_ready(incident_at=datetime(2026, 11, 21, 3, 30), place="家乐福停车场",
                   estimated_amount=Decimal("3500")), DIFFERENT),
])
def test_duplicates_are_judged_by_time_place_and_amount(draft, verdict):
    assert same_incident(draft, _claim()) == verdict


@pytest.mark.parametrize(("text", "same"), [
    ("不是", False), ("不是同一件事", False), ("no, a different accident", False),
    ("是", True), ("对，就是那件", True), ("yes, the same one", True), ("嗯嗯那个啥", None),
])
def test_the_answer_to_is_this_the_same_incident(text, same):
    assert same_incident_reply(text) is same


# --- amending a submitted claim -------------------------------------------------------------


@pytest.mark.parametrize(("text", "field", "value"), [
    ("地点改一下，是北四环学院桥往东200米", "place", "北四环学院桥往东200米"),
    ("经过写详细点：等红灯时被后车追尾，尾灯也坏了", "description",
     "等红灯时被后车追尾,尾灯也坏了"),
    ("经过写详细点", "description", None),
    ("change the place to 14 Elm Road", "place", "14 Elm Road"),
    ("金额改成2500", "estimated_amount", "2500"),
    ("时间改为下午四点", "incident_at", "下午四点"),
])
def test_amend_requests_name_the_field_and_the_new_value(text, field, value):
    request = parse_amend_request(text)
    assert request is not None and (request.field, request.value) == (field, value)


@pytest.mark.parametrize("text", ["我要报案", "查一下进度", "地址不对", "你好"])
def test_other_words_are_no_amend_request(text):
    request = parse_amend_request(text)
    assert request is None or request.value is None


def _owner(url: str, number: str) -> int:
    with unit_of_work(url) as uow:
        return uow.claims.by_number(number).policy.customer_id


def test_an_amendment_changes_the_claim_notes_it_for_the_handler_and_is_audited(seeded_url):
    customer = _owner(seeded_url, "CLM-2026-000004")
    done = amend_claim("CLM-2026-000004", parse_amend_request("地点改一下，是建国路东三环路口往北"),
                       customer_id=customer, actor="conversation:test", now=NOW, url=seeded_url)
    assert done.new == "建国路东三环路口往北"
    view = claim_view("CLM-2026-000004", url=seeded_url)
    assert view.incident_place == "建国路东三环路口往北"
    assert "建国路东三环路口往北" in (view.events[-1].note or "")
    assert view.stage == ClaimStage.DOCUMENTS_REVIEW  # no new report, no move
    with unit_of_work(seeded_url) as uow:
        entry = uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "claim.amend")).scalar_one()
        assert entry.subject_id == "CLM-2026-000004"
    amend_claim("CLM-2026-000004", parse_amend_request("经过写详细点：尾灯也坏了"),
                customer_id=customer, actor="conversation:test", now=NOW, url=seeded_url)
    assert "尾灯也坏了" in claim_view("CLM-2026-000004", url=seeded_url).description


def test_only_the_customers_own_undecided_claim_can_be_amended(seeded_url):
    customer = _owner(seeded_url, "CLM-2026-000004")
    request = parse_amend_request("金额改成2500")
    with pytest.raises(AmendRefused) as other:
        amend_claim("CLM-2026-000004", request, customer_id=customer + 999,
                    actor="conversation:test", now=NOW, url=seeded_url)
    assert other.value.reason == "not_found"
    advance_claim("CLM-2026-000004", ClaimStage.ASSESSMENT, actor="agent:test", now=NOW,
                  url=seeded_url)
    advance_claim("CLM-2026-000004", ClaimStage.DENIED, actor="agent:test", now=NOW,
                  note="test", url=seeded_url)
    with pytest.raises(AmendRefused) as decided:
        amend_claim("CLM-2026-000004", request, customer_id=customer,
                    actor="conversation:test", now=NOW, url=seeded_url)
    assert decided.value.reason == "decided"
