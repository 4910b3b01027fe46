"""Deadline clocks: every rule of DOMAIN.md's table on fixed clocks, the Chinese working-day
calendar (National Day 2026, adjusted working weekends), lights and the limitation period."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import chinese_calendar
import pytest

from bot.claims.deadlines import (
    ClockStatus,
    Light,
    add_working_days,
    calendar_covers,
    claim_deadlines,
    deadline_clocks,
    is_working_day,
    limitation_ends,
    limitation_years,
    settlement_band,
    within_limitation,
)
from bot.claims.lifecycle import advance_claim, deadlines_of, open_claims_by_light
from bot.claims.model import ClaimEventView, ClaimStage, ClaimView
from bot.clock import from_local, to_local
from bot.outbox.delivery import deliver_pending

S = ClaimStage
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
REPORTED = from_local(date(2026, 9, 28), 9, 0)  # Monday 09:00 Shanghai
COMPLETE = from_local(date(2026, 9, 30), 10, 0)  # Wednesday before National Day, 10:00


def _event(from_stage: ClaimStage | None, to_stage: ClaimStage, at: datetime) -> ClaimEventView:
    return ClaimEventView(from_stage, to_stage, at, "test", None)


def _view(stage: ClaimStage = S.DOCUMENTS_REVIEW, *, events: tuple = (), **fields) -> ClaimView:
    base = ClaimView(
        number="CLM-2026-000099", policy_number="AUTO-2026-0001", line_of_business="motor",
        customer_id=1, stage=stage, incident_type="collision", incident_at=None,
        incident_place=None, description=None, injuries=False, estimated_amount=None,
        approved_amount=None, paid_amount=None, paid_at=None, denial_reason_zh=None,
        denial_reason_en=None, denial_clause=None, reported_at=REPORTED,
        documents_completed_at=None, language="zh", conversation_id=None,
        missing_documents=(),
        events=(_event(None, S.REPORTED, REPORTED),
                _event(S.REPORTED, S.DOCUMENTS_REVIEW, REPORTED + timedelta(minutes=10)),
                *events),
    )
    return replace(base, **fields)


def _clock(view: ClaimView, name: str, now: datetime, **kwargs):
    return next(c for c in deadline_clocks(view, now, **kwargs) if c.name == name)


def _local(moment: datetime) -> tuple:
    local = to_local(moment)
    return (local.date(), local.hour, local.minute)


# --- working days ------------------------------------------------------------------------------

def test_the_package_knows_2026s_schedule() -> None:
    # The State Council's 2026 schedule, as the package ships it: National Day Oct 1-7 off,
    # Sunday Sep 20 and Saturday Oct 10 worked.
    assert all(chinese_calendar.is_holiday(date(2026, 10, day)) for day in range(1, 8))
    assert chinese_calendar.is_workday(date(2026, 9, 20))
    assert chinese_calendar.is_workday(date(2026, 10, 10))


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 9, 30), True),  # Wednesday
    (date(2026, 10, 1), False),  # National Day
    (date(2026, 10, 5), False),  # Monday inside the holiday
    (date(2026, 10, 7), False),
    (date(2026, 10, 8), True),
    (date(2026, 10, 10), True),  # adjusted working Saturday
    (date(2026, 10, 11), False),  # ordinary Sunday
    (date(2026, 9, 20), True),  # adjusted working Sunday
    (date(2026, 9, 25), False),  # Mid-Autumn Festival, a Friday
    (date(2026, 11, 21), False),  # ordinary Saturday
])
def test_is_working_day_follows_the_chinese_calendar(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_seven_working_days_across_national_day() -> None:
    # Oct 8 (1), 9 (2), Sat 10 (3), 12 (4), 13 (5), 14 (6), 15 (7); Mon-Fri alone would say Oct 9.
    assert _local(add_working_days(COMPLETE, 7)) == (date(2026, 10, 15), 10, 0)
    # ... 16 (8), 19 (9), 20, 21, 22, 23 (13), 26 (14)
    assert _local(add_working_days(COMPLETE, 14)) == (date(2026, 10, 26), 10, 0)


def test_one_working_day_after_a_friday_can_be_an_adjusted_sunday() -> None:
    friday = from_local(date(2026, 9, 18), 15, 30)
    assert _local(add_working_days(friday, 1)) == (date(2026, 9, 20), 15, 30)


def test_a_holiday_friday_is_skipped() -> None:
    thursday = from_local(date(2026, 9, 24), 9, 0)  # Fri 25 Mid-Autumn, Sat 26, Sun 27
    assert _local(add_working_days(thursday, 1)) == (date(2026, 9, 28), 9, 0)


def test_starting_on_a_holiday_counts_from_the_next_working_day() -> None:
    holiday = from_local(date(2026, 10, 3), 11, 0)
    assert _local(add_working_days(holiday, 1)) == (date(2026, 10, 8), 11, 0)


def test_beyond_the_calendar_weekdays_are_working_days() -> None:
    assert not calendar_covers(date(2027, 1, 4)) and calendar_covers(date(2026, 12, 31))
    assert is_working_day(date(2027, 1, 1))  # New Year's Day: the fallback cannot know it
    assert not is_working_day(date(2027, 1, 2))  # Saturday
    friday = from_local(date(2026, 12, 31), 9, 0)
    assert _local(add_working_days(friday, 2)) == (date(2027, 1, 4), 9, 0)


# --- settlement bands --------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "band"), [
    (Decimal("5000"), "small"), (Decimal("5000.01"), "standard"), (Decimal("49999.99"), "standard"),
    (Decimal("50000"), "large"), (None, "standard"), (1, "small"),
])
def test_settlement_bands(amount, band: str) -> None:
    assert settlement_band(amount) == band


def test_small_claim_pay_within_24_hours_yellow_then_red() -> None:
    view = _view(S.ASSESSMENT, estimated_amount=Decimal("3200"), documents_completed_at=COMPLETE)
    clock = _clock(view, "settlement", COMPLETE + HOUR)
    assert (clock.band, clock.status) == ("small", ClockStatus.OK)
    assert clock.due_at == COMPLETE + 24 * HOUR and clock.red_at == COMPLETE + 48 * HOUR
    assert _clock(view, "settlement", COMPLETE + 24 * HOUR).status is ClockStatus.OK
    assert _clock(view, "settlement", COMPLETE + 25 * HOUR).status is ClockStatus.YELLOW
    assert claim_deadlines(view, COMPLETE + 25 * HOUR).light is Light.YELLOW
    assert _clock(view, "settlement", COMPLETE + 49 * HOUR).status is ClockStatus.RED
    assert claim_deadlines(view, COMPLETE + 49 * HOUR).light is Light.RED


def test_large_claim_counts_working_days_across_national_day() -> None:
    view = _view(S.ASSESSMENT, estimated_amount=Decimal("80000"), documents_completed_at=COMPLETE)
    clock = _clock(view, "settlement", COMPLETE)
    assert clock.band == "large"
    assert _local(clock.due_at) == (date(2026, 10, 15), 10, 0)
    assert _local(clock.red_at) == (date(2026, 10, 26), 10, 0)
    # Oct 9 would be past 7 weekdays, but the holiday does not count: still on time.
    assert _clock(view, "settlement", from_local(date(2026, 10, 9), 18, 0)).status is ClockStatus.OK
    assert _clock(view, "settlement", from_local(date(2026, 10, 16), 9, 0)).status \
        is ClockStatus.YELLOW
    assert _clock(view, "settlement", from_local(date(2026, 10, 27), 9, 0)).status \
        is ClockStatus.RED


def test_middle_band_uses_the_working_day_promise() -> None:
    # The approved amount decides over the estimate.
    view = _view(S.ASSESSMENT, estimated_amount=Decimal("3000"), approved_amount=Decimal("12600"),
                 documents_completed_at=COMPLETE)
    clock = _clock(view, "settlement", COMPLETE)
    assert clock.band == "standard"
    assert _local(clock.due_at) == (date(2026, 10, 15), 10, 0)


def test_settlement_is_met_by_payment_or_denial() -> None:
    paid_at = COMPLETE + 20 * HOUR
    paid = _view(S.CLOSED, estimated_amount=Decimal("3200"), documents_completed_at=COMPLETE,
                 paid_at=paid_at)
    clock = _clock(paid, "settlement", COMPLETE + 30 * DAY)
    assert (clock.status, clock.met_at, clock.late) == (ClockStatus.MET, paid_at, False)
    late = replace(paid, paid_at=COMPLETE + 30 * HOUR)
    assert _clock(late, "settlement", COMPLETE + 30 * DAY).late
    denied_at = COMPLETE + 2 * DAY
    denied = _view(S.DENIED, documents_completed_at=COMPLETE,
                   events=(_event(S.DOCUMENTS_REVIEW, S.DENIED, denied_at),))
    assert _clock(denied, "settlement", COMPLETE + 9 * DAY).met_at == denied_at


# --- acknowledgement ---------------------------------------------------------------------------

def test_acknowledge_within_15_minutes() -> None:
    waiting = _view(S.REPORTED, events=())
    waiting = replace(waiting, events=(_event(None, S.REPORTED, REPORTED),))
    assert _clock(waiting, "acknowledge", REPORTED + timedelta(minutes=5)).status \
        is ClockStatus.OK
    assert _clock(waiting, "acknowledge", REPORTED + timedelta(minutes=11)).status \
        is ClockStatus.YELLOW
    assert _clock(waiting, "acknowledge", REPORTED + timedelta(minutes=16)).status \
        is ClockStatus.OVERDUE
    assert claim_deadlines(waiting, REPORTED + timedelta(minutes=16)).light is Light.RED
    on_time = _view()  # picked up after 10 minutes
    clock = _clock(on_time, "acknowledge", REPORTED + DAY)
    assert clock.status is ClockStatus.MET and not clock.late
    late = replace(on_time, events=(
        _event(None, S.REPORTED, REPORTED),
        _event(S.REPORTED, S.DOCUMENTS_REVIEW, REPORTED + timedelta(minutes=20)),
    ))
    assert _clock(late, "acknowledge", REPORTED + DAY).late


# --- legal clocks ------------------------------------------------------------------------------

def test_decision_within_30_days_of_complete_documents() -> None:
    view = _view(S.ASSESSMENT, documents_completed_at=COMPLETE)
    assert _clock(view, "decision", COMPLETE + 10 * DAY).status is ClockStatus.OK
    assert _clock(view, "decision", COMPLETE + 26 * DAY).status is ClockStatus.YELLOW
    assert _clock(view, "decision", COMPLETE + 31 * DAY).status is ClockStatus.OVERDUE
    assert _clock(view, "decision", COMPLETE).due_at == COMPLETE + 30 * DAY
    decided = replace(view, stage=S.PAYMENT, events=view.events + (
        _event(S.ASSESSMENT, S.PAYMENT, COMPLETE + 10 * DAY),))
    assert _clock(decided, "decision", COMPLETE + 40 * DAY).status is ClockStatus.MET


def test_payment_within_10_days_of_agreeing_the_amount() -> None:
    agreed = COMPLETE + 3 * DAY
    view = _view(S.PAYMENT, documents_completed_at=COMPLETE,
                 events=(_event(S.DOCUMENTS_REVIEW, S.ASSESSMENT, COMPLETE),
                         _event(S.ASSESSMENT, S.PAYMENT, agreed)))
    assert _clock(view, "payment", agreed).due_at == agreed + 10 * DAY
    assert _clock(view, "payment", agreed + 5 * DAY).status is ClockStatus.OK
    assert _clock(view, "payment", agreed + 9 * DAY).status is ClockStatus.YELLOW
    assert _clock(view, "payment", agreed + 11 * DAY).status is ClockStatus.OVERDUE
    paid = replace(view, stage=S.CLOSED, events=view.events + (
        _event(S.PAYMENT, S.CLOSED, agreed + 2 * DAY),))
    assert _clock(paid, "payment", agreed + 20 * DAY).met_at == agreed + 2 * DAY


def test_refusal_notice_within_3_days_of_the_decision() -> None:
    denied_at = COMPLETE + 5 * DAY
    view = _view(S.DENIED, documents_completed_at=COMPLETE,
                 events=(_event(S.DOCUMENTS_REVIEW, S.ASSESSMENT, COMPLETE),
                         _event(S.ASSESSMENT, S.DENIED, denied_at)))
    assert _clock(view, "refusal_notice", denied_at + DAY).status is ClockStatus.OK
    assert _clock(view, "refusal_notice", denied_at + 60 * HOUR).status is ClockStatus.YELLOW
    assert _clock(view, "refusal_notice", denied_at + 4 * DAY).status is ClockStatus.OVERDUE
    sent = _clock(view, "refusal_notice", denied_at + 4 * DAY,
                  refusal_notice_sent_at=denied_at + HOUR)
    assert sent.status is ClockStatus.MET and not sent.late


def test_advance_payment_60_days_after_documents_while_no_amount_is_fixed() -> None:
    view = _view(S.ASSESSMENT, documents_completed_at=COMPLETE)
    assert _clock(view, "advance_payment", COMPLETE).due_at == COMPLETE + 60 * DAY
    assert _clock(view, "advance_payment", COMPLETE + 54 * DAY).status is ClockStatus.YELLOW
    assert _clock(view, "advance_payment", COMPLETE + 61 * DAY).status is ClockStatus.OVERDUE
    decided = replace(view, stage=S.PAYMENT, events=view.events + (
        _event(S.ASSESSMENT, S.PAYMENT, COMPLETE + 5 * DAY),))
    names = [clock.name for clock in deadline_clocks(decided, COMPLETE + 61 * DAY)]
    assert "advance_payment" not in names


def test_which_rules_apply_at_each_stage() -> None:
    reported = replace(_view(S.REPORTED), events=(_event(None, S.REPORTED, REPORTED),))
    assert [c.name for c in deadline_clocks(reported, REPORTED)] == ["acknowledge"]
    in_review = _view(S.ASSESSMENT, documents_completed_at=COMPLETE)
    assert [c.name for c in deadline_clocks(in_review, COMPLETE)] == [
        "acknowledge", "settlement", "decision", "advance_payment",
    ]


def test_withdrawing_stops_running_clocks() -> None:
    view = _view(S.WITHDRAWN, documents_completed_at=COMPLETE,
                 events=(_event(S.DOCUMENTS_REVIEW, S.WITHDRAWN, COMPLETE + DAY),))
    deadlines = claim_deadlines(view, COMPLETE + 90 * DAY)
    assert [c.name for c in deadlines.clocks] == ["acknowledge"]
    assert deadlines.light is Light.GREEN and deadlines.binding is None


def test_binding_is_the_worst_running_clock_then_the_earliest() -> None:
    view = _view(S.ASSESSMENT, estimated_amount=Decimal("3200"), documents_completed_at=COMPLETE)
    assert claim_deadlines(view, COMPLETE + HOUR).binding.name == "settlement"
    late = claim_deadlines(view, COMPLETE + 32 * DAY)  # settlement red, decision overdue
    assert late.light is Light.RED and late.binding.name == "settlement"


def test_labels_in_both_languages() -> None:
    view = _view(S.ASSESSMENT, estimated_amount=Decimal("80000"), documents_completed_at=COMPLETE)
    clock = _clock(view, "settlement", COMPLETE)
    assert clock.label("zh") == (
        "大额理赔：材料齐全后 7 个工作日内办结（截止 2026年10月15日 10:00）。状态：按时进行中"
    )
    assert clock.label("en") == (
        "Large claim: settle within 7 working days of complete documents "
        "(by 15 Oct 2026 10:00 Beijing time). Status: on time"
    )
    for clock in deadline_clocks(view, COMPLETE + 90 * DAY):
        assert "{" not in clock.label("zh") and "{" not in clock.label("en")
    assert Light.RED.label("zh") == "红灯" and Light.RED.label("en") == "red"


# --- limitation period -------------------------------------------------------------------------

def test_limitation_period_two_years_non_life_five_years_life() -> None:
    assert limitation_years("home") == 2 and limitation_years("medical") == 2
    assert limitation_years("critical_illness") == 2 and limitation_years("life") == 5
    assert within_limitation(date(2024, 3, 1), date(2026, 3, 1), "motor")
    assert not within_limitation(date(2024, 3, 1), date(2026, 3, 2), "motor")
    assert within_limitation(date(2021, 3, 1), date(2026, 3, 1), "life")
    assert not within_limitation(date(2021, 3, 1), date(2026, 3, 2), "life")
    assert within_limitation(datetime(2025, 6, 1, 8), datetime(2026, 11, 22, 2), "accident")
    assert limitation_ends(date(2024, 2, 29), "home") == date(2026, 2, 28)


# --- from the store ----------------------------------------------------------------------------

HOSPITAL, COLLISION, THEFT = "CLM-2026-000003", "CLM-2026-000004", "CLM-2026-000002"


def test_seeded_claims(seeded_url: str, now: datetime) -> None:
    hospital = deadlines_of(HOSPITAL, now, url=seeded_url)
    # Documents complete Tue 17 Nov 16:00; 7 working days -> Thu 26 Nov 16:00.
    assert hospital.light is Light.GREEN and hospital.binding.name == "settlement"
    assert _local(hospital.binding.due_at) == (date(2026, 11, 26), 16, 0)
    collision = deadlines_of(COLLISION, now, url=seeded_url)
    assert collision.light is Light.GREEN and collision.binding is None  # waiting for documents
    assert deadlines_of("CLM-2026-999999", now, url=seeded_url) is None


def test_open_claims_red_first(seeded_url: str, now: datetime) -> None:
    advance_claim(COLLISION, "assessment", actor="test", now=now, url=seeded_url)
    items = open_claims_by_light(now + 3 * DAY, url=seeded_url)
    assert [(item.number, item.light) for item in items] == [
        (COLLISION, Light.RED), (HOSPITAL, Light.GREEN),
    ]


def test_sent_denial_notice_stops_the_refusal_clock(seeded_url: str, now: datetime) -> None:
    advance_claim(HOSPITAL, "denied", actor="handler:li", now=now, url=seeded_url)
    running = deadlines_of(HOSPITAL, now + DAY, url=seeded_url).clock("refusal_notice")
    assert running.status is ClockStatus.OK
    deliver_pending({"*": lambda notice: None}, now=now + HOUR, url=seeded_url)
    met = deadlines_of(HOSPITAL, now + 5 * DAY, url=seeded_url).clock("refusal_notice")
    assert met.status is ClockStatus.MET and met.met_at == now + HOUR
