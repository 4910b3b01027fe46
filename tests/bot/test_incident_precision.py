"""How precisely an incident time is known: read from the customer's words, kept on the draft
and the claim, and shown with it ("约 下午", "时间不详"). Fixed clock: tests.bot.conftest.NOW."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.claims.reporting import ReportDraft, submit_report
from bot.claims.reporting.answers import interpret_answer, report_summary
from bot.claims.reporting.service import missing_fields
from bot.cli import main
from bot.dates import (
    DAY,
    EXACT,
    PART_OF_DAY,
    UNKNOWN,
    incident_time_text,
    parse_incident_datetime,
    says_time_unknown,
)
from bot.handoff import claims_for_summary
from bot.store.db import unit_of_work
from bot.store.models import Claim
from tests.bot.conftest import NOW

ACTOR = "conversation:test"


@pytest.mark.parametrize(("text", "precision"), [
    ("昨天下午三点", EXACT), ("last Saturday at 10am", EXACT), ("上周六上午", PART_OF_DAY),
    ("Saturday morning", PART_OF_DAY), ("大前天", DAY), ("上个月15号", DAY),
    ("the 15th of last month", DAY), ("明天", None), ("你好", None),
])
def test_each_reading_says_how_precise_it_is(text: str, precision: str | None) -> None:
    assert parse_incident_datetime(text, NOW).precision == precision


@pytest.mark.parametrize(
    "text", ["不记得了", "記不清了", "I don't remember", "not sure", "unknown"])
def test_not_knowing_when_is_recognised(text: str) -> None:
    assert says_time_unknown(text)
    assert not says_time_unknown("昨天下午")


def test_the_time_is_shown_with_its_precision() -> None:
    at = datetime(2026, 11, 14, 4, 0)  # 12:00 in Shanghai: the afternoon starts then
    assert incident_time_text(at, EXACT, "zh") == "2026年11月14日 12:00"
    assert incident_time_text(at, PART_OF_DAY, "zh") == "2026年11月14日 约 下午"
    assert incident_time_text(at, PART_OF_DAY, "en") == "14 Nov 2026, afternoon (approx.)"
    assert incident_time_text(at, DAY, "zh") == "2026年11月14日（时间不详）"
    assert incident_time_text(None, UNKNOWN, "zh") == "时间不详"
    assert incident_time_text(None, UNKNOWN, "en") == "time unknown"


def test_a_part_of_the_day_answering_the_hour_is_taken_not_asked_again() -> None:
    draft = ReportDraft(policy_number="AUTO-2026-0001", line_of_business="motor",
                        incident_type="collision", language="en")
    first = interpret_answer(draft, "incident_time", "last Saturday morning", NOW, "en")
    assert first.draft.incident_date == date(2026, 11, 21)
    assert first.draft.incident_precision == PART_OF_DAY
    assert missing_fields(first.draft)[0] == "incident_hour"  # the hour is asked once
    second = interpret_answer(first.draft, "incident_hour", "in the morning", NOW, "en")
    assert second.message is None
    assert "incident_hour" not in missing_fields(second.draft)
    assert second.draft.incident_precision == PART_OF_DAY
    assert "morning (approx.)" in report_summary(second.draft, "en")


def _stored(url: str, number: str) -> Claim:
    with unit_of_work(url) as uow:
        claim = uow.session.execute(select(Claim).where(Claim.number == number)).scalar_one()
        uow.session.expunge(claim)
        return claim


@pytest.mark.parametrize(("changes", "precision", "local_hour"), [
    ({"incident_at": datetime(2026, 11, 21, 7, 0)}, EXACT, 15),
    ({"incident_date": date(2026, 11, 21), "incident_part": "evening"}, PART_OF_DAY, 17),
    ({"incident_date": date(2026, 11, 21)}, DAY, 0),
])
def test_the_claim_stores_the_precision_and_agents_see_it(
    seeded_url: str, capsys: pytest.CaptureFixture[str], changes: dict, precision: str,
    local_hour: int,
) -> None:
    with unit_of_work(seeded_url) as uow:
        customer = uow.policies.by_number("AUTO-2026-0001").customer_id
    draft = ReportDraft(policy_number="AUTO-2026-0001", incident_type="collision",
                        place="中山路", description="被追尾了", injuries=False, language="zh",
                        **changes)
    receipt = submit_report(draft, verified_customer_id=customer, now=NOW, actor=ACTOR,
                            url=seeded_url)
    claim = _stored(seeded_url, receipt.claim_number)
    assert claim.incident_time_precision == precision
    assert (claim.incident_at.hour + 8) % 24 == local_hour

    assert main(["--db-url", seeded_url, "claims", "show", receipt.claim_number]) == 0
    shown = capsys.readouterr().out
    listed = {c["number"]: c for c in claims_for_summary("AUTO-2026-0001", url=seeded_url)}
    seen = listed[receipt.claim_number]["incident_time"]
    if precision == PART_OF_DAY:
        assert "约 晚上 / 21 Nov 2026, evening (approx.)" in shown
        assert seen == "2026年11月21日 约 晚上 / 21 Nov 2026, evening (approx.)"
    elif precision == DAY:
        assert "（时间不详）" in shown and "（时间不详）" in seen
    else:
        assert "2026-11-21 15:00" in shown and seen.startswith("2026年11月21日 15:00")


def test_a_corrected_day_keeps_the_part_of_the_day_unless_it_names_its_own() -> None:
    # Issue 19 (outside tester): "it was sunday not saturday" moves the day and keeps the part
    # of the day already given; a correction that names its own part takes that one.
    from bot.claims.reporting.answers import apply_correction

    draft = ReportDraft(policy_number="AUTO-2026-0001", line_of_business="motor",
                        incident_type="collision", incident_date=date(2026, 11, 20),
                        incident_part="evening", language="zh")
    corrected = apply_correction(draft, "不对，是昨天", NOW, "zh").draft
    assert corrected.incident_date == date(2026, 11, 21)
    assert corrected.incident_part == "evening"
    morning = apply_correction(draft, "不对，是昨天上午", NOW, "zh").draft
    assert morning.incident_date == date(2026, 11, 21) and morning.incident_part == "morning"
