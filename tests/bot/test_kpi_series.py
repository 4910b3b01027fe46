"""The dashboard's per-day series (bot/kpis/series.py) on a hand-built store with known answers.

The period is the local (Asia/Shanghai) days 2026-11-02 .. 2026-11-04; each day is measured at
its end, local midnight (16:00 UTC). Times below are naive UTC, as the store keeps them."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Dict

import pytest

from bot.kpis import Period
from bot.kpis.series import SeriesError, claims_behind, dashboard, period_of_days
from bot.store.db import unit_of_work
from bot.store.models import (
    Claim,
    ClaimEvent,
    Complaint,
    Customer,
    Handoff,
    Notification,
    Policy,
    SatisfactionScore,
)

FIRST, LAST = date(2026, 11, 2), date(2026, 11, 4)
NOW = datetime(2026, 11, 20, 0, 0)


def t(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute)


def _policy(uow: Any, customer: Customer, number: str, line: str) -> Policy:
    policy = Policy(customer=customer, number=number, line_of_business=line, product_code="P",
                    product_name_zh="产品", product_name_en="Product", sum_insured=Decimal(100000),
                    deductible=0, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                    status="active")
    uow.session.add(policy)
    return policy


def _claim(uow: Any, policy: Policy, number: str, *, stage: str, reported: datetime,
           events: list, amount: int, channel: str, complete: datetime | None = None,
           paid: datetime | None = None) -> Claim:
    claim = Claim(number=number, policy=policy, stage=stage, incident_type="collision",
                  reported_at=reported, estimated_amount=Decimal(amount), channel=channel,
                  documents_completed_at=complete, paid_at=paid, flags=[], injuries=False)
    uow.session.add(claim)
    uow.session.flush()
    for from_stage, to_stage, at in events:
        uow.session.add(ClaimEvent(claim_id=claim.id, from_stage=from_stage, to_stage=to_stage,
                                   at=at, actor="core"))
    return claim


@pytest.fixture
def store(db_url: str) -> str:
    with unit_of_work(db_url) as uow:
        customer = Customer(name="张伟", date_of_birth=date(1980, 1, 1), phone="13800000001",
                            phone_last4="0001", id_number_masked="1101**********0011",
                            id_number_hash="h" * 64, preferred_language="zh")
        uow.session.add(customer)
        motor = _policy(uow, customer, "AUTO-1", "motor")
        medical = _policy(uow, customer, "MED-1", "medical")
        # A: small, paid 25 hours after complete documents (late), closed on 11-03.
        a = _claim(uow, motor, "CLM-A", stage="closed", reported=t(2, 1), amount=3000,
                   channel="webchat", complete=t(2, 2), paid=t(3, 3), events=[
                       (None, "reported", t(2, 1)), ("reported", "documents_review", t(2, 1, 10)),
                       ("documents_review", "assessment", t(3, 1)),
                       ("assessment", "payment", t(3, 2)), ("payment", "closed", t(3, 4))])
        # B: large estimate, never picked up: the 15-minute clock is overdue (red) at once.
        b = _claim(uow, medical, "CLM-B", stage="reported", reported=t(1, 17), amount=80000,
                   channel="telegram", events=[(None, "reported", t(1, 17))])
        # C: small, documents complete before the period; past 24 h on 11-02, past 48 h on 11-03.
        c = _claim(uow, motor, "CLM-C", stage="documents_review", reported=t(20, 1, month=10),
                   amount=2000, channel="webchat", complete=t(1, 10), events=[
                       (None, "reported", t(20, 1, month=10)),
                       ("reported", "documents_review", t(20, 1, 5, month=10))])
        # D: closed before the period: in no series.
        _claim(uow, motor, "CLM-D", stage="closed", reported=t(1, 1, month=10), amount=1000,
               channel="webchat", complete=t(2, 1, month=10), paid=t(2, 5, month=10), events=[
                   (None, "reported", t(1, 1, month=10)),
                   ("reported", "documents_review", t(1, 1, 5, month=10)),
                   ("documents_review", "assessment", t(2, 2, month=10)),
                   ("assessment", "payment", t(2, 3, month=10)),
                   ("payment", "closed", t(25, 1, month=10))])
        # E: withdrawn on 11-03.
        _claim(uow, motor, "CLM-E", stage="withdrawn", reported=t(2, 3), amount=4000,
               channel="webchat", events=[
                   (None, "reported", t(2, 3)), ("reported", "documents_review", t(2, 3, 5)),
                   ("documents_review", "withdrawn", t(3, 5))])
        uow.session.flush()
        # Complaints: X acknowledged in 23 h and decided in a day; Z acknowledged after 51 h;
        # Y received on 11-03, not acknowledged yet and not yet 48 h old at the period's end.
        for ref, received, acked, decided, claim in (
                ("CP-X", t(2, 2), t(3, 1), t(3, 2), a), ("CP-Z", t(2, 3), t(4, 6), None, c),
                ("CP-Y", t(3, 2), None, None, None)):
            uow.session.add(Complaint(reference=ref, subject="理赔太慢", received_at=received,
                                      acknowledged_at=acked, decided_at=decided,
                                      claim_id=claim.id if claim else None, channel="webchat"))
        for claim, score, at in ((a, 9, t(3, 5)), (c, 6, t(3, 6))):
            uow.session.add(SatisfactionScore(claim_id=claim.id, customer_id=customer.id,
                                              score=score, actor="customer", answered_at=at))
        for conversation, created, taken, summary in (
                ("h1", t(2, 2), t(2, 2, 10), {"claim_number": "CLM-A"}),
                ("h2", t(2, 3), t(2, 4), {}), ("h3", t(2, 5), None, {})):
            uow.session.add(Handoff(conversation_id=conversation, channel="webchat",
                                    reason="request", summary=summary, created_at=created,
                                    taken_at=taken, status="taken" if taken else "queued"))
        for claim, channel, status in ((a, "webchat", "sent"), (b, "telegram", "failed"),
                                       (c, "telegram", "sent")):
            uow.session.add(Notification(
                claim_id=claim.id, channel=channel, kind="documents_accepted", body="…",
                status=status, dedupe_key=f"{claim.number}:{channel}", created_at=t(2, 4),
                sent_at=t(2, 4, 1) if status == "sent" else None))
        uow.commit()
    return db_url


def _board(url: str, **filters: Any) -> Dict[str, Any]:
    return dashboard(period_of_days(FIRST, LAST, NOW), url=url, **filters)


def test_days_are_local_and_measured_at_their_end(store: str) -> None:
    board = _board(store)
    assert board["days"] == ["2026-11-02", "2026-11-03", "2026-11-04"]
    assert board["measured_at"][0] == "2026-11-02T16:00:00"


def test_stages_count_open_claims_at_day_end_and_final_stages_on_the_day_entered(
        store: str) -> None:
    stages = _board(store)["charts"]["stages"]["series"]
    assert stages["reported"] == [1, 1, 1]
    assert stages["documents_review"] == [3, 1, 1]
    assert stages["assessment"] == [0, 0, 0] and stages["payment"] == [0, 0, 0]
    assert stages["closed"] == [0, 1, 0]
    assert stages["withdrawn"] == [0, 1, 0]


def test_lights_follow_each_claims_clocks_over_time(store: str) -> None:
    lights = _board(store)["charts"]["lights"]["series"]
    assert lights["green"] == [2, 0, 0]
    assert lights["yellow"] == [1, 0, 0]
    assert lights["red"] == [1, 2, 2]


def test_a_line_filter_keeps_only_that_lines_claims(store: str) -> None:
    charts = _board(store, line="motor")["charts"]
    assert charts["stages"]["series"]["reported"] == [0, 0, 0]
    assert charts["lights"]["series"]["red"] == [0, 1, 1]
    assert charts["notices"]["channels"]["telegram"]["total"] == [1, 0, 0]
    assert charts["complaints"]["received"] == [2, 0, 0]  # Y has no claim, so no line


def test_settlement_against_the_24_hour_target(store: str) -> None:
    settlement = _board(store)["charts"]["settlement"]
    small = settlement["bands"]["small"]
    assert small["count"] == [0, 1, 0]
    assert small["on_time_share"] == [None, 0.0, None]  # late, shown as 0%; no data as None
    assert small["median_hours"] == [None, 25.0, None]
    assert settlement["bands"]["working_days"]["count"] == [0, 0, 0]
    assert settlement["targets"]["small"]["hours"] == 24


def test_complaints_by_clock(store: str) -> None:
    complaints = _board(store)["charts"]["complaints"]
    series = complaints["series"]
    assert complaints["received"] == [2, 1, 0]
    assert series["ack_on_time"] == [1, 0, 0]
    assert series["ack_late"] == [1, 0, 0]
    assert series["ack_waiting"] == [0, 1, 0]
    assert series["decided_15"] == [1, 0, 0]
    assert series["undecided"] == [1, 1, 0]
    # Only a complaint still waiting on 11-03: no share to show, not 0%.
    assert complaints["ack_on_time_share"] == [0.5, None, None]
    assert complaints["decided_on_time_share"] == [1.0, None, None]


def test_satisfaction_handoff_waits_and_notice_delivery(store: str) -> None:
    charts = _board(store)["charts"]
    assert charts["satisfaction"]["mean"] == [None, 7.5, None]
    assert charts["satisfaction"]["satisfied_share"] == [None, 0.5, None]
    handoffs = charts["handoffs"]
    assert handoffs["queued"] == [3, 0, 0] and handoffs["answered"] == [2, 0, 0]
    assert handoffs["answer_rate"] == [0.667, None, None]
    assert handoffs["p50_minutes"] == [10.0, None, None]
    assert handoffs["p90_minutes"] == [60.0, None, None]
    notices = charts["notices"]["channels"]
    assert notices["webchat"]["delivery_rate"] == [1.0, None, None]
    assert notices["telegram"]["delivery_rate"] == [0.5, None, None]


@pytest.mark.parametrize("chart, key, day, claims", [
    ("lights", "red", date(2026, 11, 3), ["CLM-B", "CLM-C"]),
    ("lights", "yellow", date(2026, 11, 2), ["CLM-C"]),
    ("stages", "documents_review", date(2026, 11, 2), ["CLM-A", "CLM-C", "CLM-E"]),
    ("stages", "closed", date(2026, 11, 3), ["CLM-A"]),
    ("settlement", "small", date(2026, 11, 3), ["CLM-A"]),
    ("satisfaction", "below", date(2026, 11, 3), ["CLM-C"]),
    ("handoffs", "queued", date(2026, 11, 2), ["CLM-A"]),
    ("notices", "telegram:undelivered", date(2026, 11, 2), ["CLM-B"]),
])
def test_the_claims_behind_a_point(store: str, chart: str, key: str, day: date,
                                   claims: list) -> None:
    behind = claims_behind(period_of_days(FIRST, LAST, NOW), chart, key, day, url=store)
    assert behind["claims"] == claims and behind["total"] == len(claims)


def test_the_complaints_behind_a_point_name_their_references(store: str) -> None:
    behind = claims_behind(period_of_days(FIRST, LAST, NOW), "complaints", "ack_late",
                           date(2026, 11, 2), url=store)
    assert behind["complaints"] == ["CP-Z"] and behind["claims"] == ["CLM-C"]


def test_the_last_day_is_measured_now_not_at_its_midnight(store: str) -> None:
    # Measured on 11-03 at 11:00 local (03:00 UTC): C is past 24 h, not yet past 48 h.
    period = period_of_days(FIRST, date(2026, 11, 3), t(3, 3))
    assert period.end == t(3, 3)
    lights = dashboard(period, url=store)["charts"]["lights"]["series"]
    assert lights["yellow"] == [1, 1]  # C: past 24 h, not yet 48 h at 03:00 UTC
    assert lights["red"] == [1, 1]


def test_bad_input_gets_a_clear_error(store: str) -> None:
    with pytest.raises(SeriesError) as reversed_period:
        period_of_days(LAST, FIRST, NOW)
    assert reversed_period.value.code == "period_reversed"
    with pytest.raises(SeriesError) as unknown:
        _board(store, line="pets")
    assert unknown.value.code == "unknown_line"
    with pytest.raises(SeriesError) as too_long:
        period_of_days(date(2024, 1, 1), date(2026, 1, 1), NOW)
    assert too_long.value.code == "period_too_long"
    with pytest.raises(SeriesError) as future:
        period_of_days(date(2026, 12, 1), date(2026, 12, 2), NOW)
    assert future.value.code == "period_in_future"
    with pytest.raises(SeriesError):
        claims_behind(period_of_days(FIRST, LAST, NOW), "stages", "reported", date(2026, 12, 1),
                      url=store)
    with pytest.raises(SeriesError):
        claims_behind(period_of_days(FIRST, LAST, NOW), "pie", "x", FIRST, url=store)


def test_an_empty_period_has_no_data_never_zero_percent(store: str) -> None:
    board = dashboard(Period(datetime(2025, 3, 1), datetime(2025, 3, 3)), url=store)
    assert board["empty"] is True
    charts = board["charts"]
    assert all(chart["empty"] for chart in charts.values())
    assert charts["settlement"]["bands"]["small"]["on_time_share"] == [None, None, None]
    assert charts["satisfaction"]["mean"] == [None, None, None]
    assert charts["handoffs"]["p50_minutes"] == [None, None, None]
    assert charts["complaints"]["ack_on_time_share"] == [None, None, None]
    assert charts["notices"]["channels"] == {}


def test_a_claim_denied_before_the_period_counts_only_where_it_is_closed(store: str) -> None:
    with unit_of_work(store) as uow:
        motor = uow.policies.by_number("AUTO-1")
        _claim(uow, motor, "CLM-F", stage="closed", reported=t(20, 1, month=10), amount=1000,
               channel="webchat", events=[
                   (None, "reported", t(20, 1, month=10)),
                   ("reported", "denied", t(28, 1, month=10)), ("denied", "closed", t(3, 9))])
        uow.commit()
    charts = _board(store)["charts"]
    assert charts["stages"]["series"]["closed"] == [0, 2, 0]
    assert charts["stages"]["series"]["denied"] == [0, 0, 0]
    assert charts["lights"]["series"] == {"green": [2, 0, 0], "yellow": [1, 0, 0],
                                          "red": [1, 2, 2]}
    assert charts["settlement"]["bands"]["small"]["count"] == [0, 1, 0]
