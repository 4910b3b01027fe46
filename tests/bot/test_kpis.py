"""Each KPI of bot/kpis computed on a hand-built store with known answers, and the edges of its
definition: exact boundaries, working days across holidays, exclusions, empty denominators."""
from __future__ import annotations

import csv
import io
import itertools
import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.kpis import KpiResult, Period, UnknownLine, compute
from bot.kpis.definitions import DOCS_FILE, definitions, render_markdown
from bot.store.db import unit_of_work
from bot.store.models import (
    Claim,
    ClaimDocument,
    ClaimEvent,
    Complaint,
    Customer,
    Dispute,
    Escalation,
    Handoff,
    Notification,
    Policy,
    SatisfactionScore,
)

MAY = Period(datetime(2026, 5, 1), datetime(2026, 6, 1))  # naive UTC, as the store keeps
NOW = datetime(2026, 6, 10)
_serial = itertools.count(1)


class Store:
    """Rows added straight through the models: one customer, a policy per line of business."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.policies: dict[str, int] = {}
        with unit_of_work(url) as uow:
            customer = Customer(name="张伟", date_of_birth=date(1950, 1, 1), phone="13800000000",
                                phone_last4="0000", id_number_masked="1101********0000",
                                id_number_hash="h" * 64)
            uow.session.add(customer)
            uow.session.flush()
            self.customer_id = customer.id
            uow.commit()

    def _policy(self, uow, line: str) -> int:
        if line not in self.policies:
            policy = Policy(number=f"P-{line}".upper(), customer_id=self.customer_id,
                            line_of_business=line, product_code=line, product_name_zh=line,
                            product_name_en=line, sum_insured=Decimal("100000"),
                            start_date=date(2025, 1, 1), end_date=date(2027, 1, 1))
            uow.session.add(policy)
            uow.session.flush()
            self.policies[line] = policy.id
        return self.policies[line]

    def claim(self, *, reported: datetime, line: str = "motor", channel: str = "telegram",
              stage: str = "reported", amount: str | None = None, events=(), documents=(),
              **fields) -> tuple[int, str]:
        """A claim with its stage events [(from, to, at)] and document items [dict]."""
        number = f"CLM-2026-{next(_serial):06d}"
        with unit_of_work(self.url) as uow:
            claim = Claim(number=number, policy_id=self._policy(uow, line), stage=stage,
                          incident_type="collision", channel=channel, reported_at=reported,
                          estimated_amount=Decimal(amount) if amount else None, **fields)
            uow.session.add(claim)
            uow.session.flush()
            for source, target, at in events:
                uow.session.add(ClaimEvent(claim_id=claim.id, from_stage=source, to_stage=target,
                                           at=at, actor="test"))
            for index, doc in enumerate(documents):
                uow.session.add(ClaimDocument(claim_id=claim.id, code=f"d{index}", label_zh="x",
                                              label_en="x", **doc))
            uow.commit()
            return claim.id, number

    def add(self, *rows) -> list[int]:
        with unit_of_work(self.url) as uow:
            for row in rows:
                uow.session.add(row)
            uow.flush()
            ids = [row.id for row in rows]
            uow.commit()
        return ids

    def event_id(self, claim_id: int, to_stage: str) -> int:
        with unit_of_work(self.url) as uow:
            return uow.session.query(ClaimEvent.id).filter_by(
                claim_id=claim_id, to_stage=to_stage).scalar()


def figures(url: str, period: Period = MAY, now: datetime = NOW, **filters) -> dict[str, KpiResult]:
    return {item.key: item for item in compute(period, url=url, now=now, **filters)}


@pytest.fixture
def store(db_url: str) -> Store:
    return Store(db_url)


def at(day: int, hour: int = 0, minute: int = 0, month: int = 5) -> datetime:
    return datetime(2026, month, day, hour, minute)


# --- time to pay -------------------------------------------------------------------------------

def test_small_claims_paid_within_24_hours_exactly_24_counts(store: Store) -> None:
    done = at(3, 2)
    store.claim(reported=at(2), amount="3000", documents_completed_at=done,
                paid_at=done + timedelta(hours=24))                          # exactly 24 h: met
    store.claim(reported=at(2), amount="5000", documents_completed_at=done,
                paid_at=done + timedelta(hours=24, minutes=1))               # a minute late
    # The customer's documents-later promise starts the clock earlier (先赔付、后补材料).
    store.claim(reported=at(2), amount="800", documents_promised_at=done,
                documents_completed_at=done + timedelta(hours=30),
                paid_at=done + timedelta(hours=25))                          # 25 h from promise
    # Excluded: no settlement start; paid outside the period; a standard-band claim.
    store.claim(reported=at(2), amount="100", paid_at=at(4))
    store.claim(reported=at(2), amount="100", documents_completed_at=at(30, month=4),
                paid_at=at(30, 3, month=4))
    store.claim(reported=at(2), amount="20000", documents_completed_at=done, paid_at=at(4))

    kpi = figures(store.url)["small_claims_paid_24h"]
    assert (kpi.numerator, kpi.denominator) == (1, 3)
    assert kpi.value == pytest.approx(1 / 3)
    assert kpi.target == 1.0 and kpi.met is False


def test_small_claims_p90_is_the_nearest_rank(store: Store) -> None:
    for hours in range(1, 11):  # 1..10 hours: nearest rank 9 of 10
        done = at(5, 1)
        store.claim(reported=at(5), amount="1000", documents_completed_at=done,
                    paid_at=done + timedelta(hours=hours))
    kpi = figures(store.url)["small_claims_pay_hours_p90"]
    assert kpi.value == pytest.approx(9.0, abs=1e-3)
    assert kpi.denominator == 10 and kpi.met is True


def test_large_claims_count_working_days_across_the_may_day_holiday(store: Store) -> None:
    # Documents complete Thursday 30 April, 10:00 in Shanghai. 1-5 May are holidays and Saturday
    # 9 May is worked: the 7th working day is Wednesday 13 May, 10:00 (02:00 UTC).
    done = at(30, 2, month=4)
    store.claim(reported=at(20, month=4), amount="80000", documents_completed_at=done,
                paid_at=at(12, 2))      # Tuesday 12 May: late on Mon-Fri counting, on time here
    store.claim(reported=at(20, month=4), amount="50000", documents_completed_at=done,
                paid_at=at(13, 2))      # exactly the due time: met
    store.claim(reported=at(20, month=4), amount="90000", documents_completed_at=done,
                paid_at=at(13, 2, 1))   # a minute late
    store.claim(reported=at(20, month=4), amount="90000", paid_at=at(13))  # no documents: out
    kpi = figures(store.url)["large_claims_paid_7wd"]
    assert (kpi.numerator, kpi.denominator) == (2, 3)


# --- handling time -----------------------------------------------------------------------------

def _walk(store: Store, start: datetime, **fields) -> tuple[int, str]:
    """reported 2 h -> documents_review 10 h -> assessment 24 h -> payment (still there)."""
    return store.claim(
        reported=start, stage="payment", events=[
            (None, "reported", start),
            ("reported", "documents_review", start + timedelta(hours=2)),
            ("documents_review", "assessment", start + timedelta(hours=12)),
            ("assessment", "payment", start + timedelta(hours=36)),
        ], **fields)


def test_handling_time_to_decision_and_per_stage(store: Store) -> None:
    _walk(store, at(3))
    _walk(store, at(10))
    # Decided outside the period (April): counts for neither.
    _walk(store, at(1, month=4))
    # A stay that ended in May but started in April counts in May: 30 April 20:00 -> 1 May 02:00.
    store.claim(reported=at(30, 20, month=4), events=[
        (None, "reported", at(30, 20, month=4)),
        ("reported", "documents_review", at(1, 2))], stage="documents_review")
    found = figures(store.url)
    assert found["handling_hours_avg"].value == pytest.approx(36.0)
    assert found["handling_hours_avg"].denominator == 2
    assert found["handling_hours_avg"].met is True  # ≤ 48 h
    assert found["stage_hours_avg.reported"].value == pytest.approx((2 + 2 + 6) / 3)
    assert found["stage_hours_avg.documents_review"].value == pytest.approx(10.0)
    assert found["stage_hours_avg.assessment"].value == pytest.approx(24.0)
    assert found["stage_hours_p90.reported"].value == pytest.approx(6.0)
    # The payment stays are still running: no data, not 0.
    assert found["stage_hours_avg.payment"].value is None
    assert found["stage_hours_p90.payment"].value is None
    assert found["stage_hours_avg.investigation"].denominator == 0


# --- closure, disputes, documents re-requested -------------------------------------------------

def _moved(*steps) -> list:
    """Stage events [(from, to, at)] through `steps` [(stage, at)], from nothing."""
    events, before = [], None
    for stage, moment in steps:
        events.append((before, stage, moment))
        before = stage
    return events


def test_closure_rate_is_closed_in_the_period_against_closed_plus_still_open(
        store: Store) -> None:
    # Closed in May: reported in April and closed in May; denied in May, closed in June (its
    # first final move counts, once).
    store.claim(reported=at(20, month=4), stage="closed",
                events=_moved(("reported", at(20, month=4)), ("closed", at(10))))
    store.claim(reported=at(3), stage="closed",
                events=_moved(("reported", at(3)), ("denied", at(20)),
                              ("closed", at(2, month=6))))
    # Still open at May's end: open now, and closed since (in June).
    store.claim(reported=at(3), stage="assessment",
                events=_moved(("reported", at(3)), ("assessment", at(4))))
    store.claim(reported=at(5), stage="closed",
                events=_moved(("reported", at(5)), ("closed", at(5, month=6))))
    # Neither: withdrawn in May, closed in April, reported after May.
    store.claim(reported=at(8), stage="withdrawn",
                events=_moved(("reported", at(8)), ("withdrawn", at(9))))
    store.claim(reported=at(1, month=4), stage="closed",
                events=_moved(("reported", at(1, month=4)), ("closed", at(15, month=4))))
    store.claim(reported=at(3, month=6), stage="assessment",
                events=_moved(("reported", at(3, month=6))))
    kpi = figures(store.url)["closure_rate"]
    # The old "reported in May and closed now" would give 2/3 here.
    assert (kpi.numerator, kpi.denominator, kpi.value) == (2, 4, 0.5)
    assert kpi.met is False
    # As of 15 May (--now then): only the April claim closed on the 10th is closed; the one
    # denied on the 20th is still open then, as are the other two.
    early = figures(store.url, now=at(15))["closure_rate"]
    assert (early.numerator, early.denominator) == (1, 4)


def test_dispute_rate_counts_decided_claims(store: Store) -> None:
    paid, _ = store.claim(reported=at(2), stage="payment",
                          events=[("assessment", "payment", at(4))])
    store.claim(reported=at(2), stage="denied", events=[("assessment", "denied", at(5))])
    store.claim(reported=at(2), stage="assessment")  # not decided: out
    store.add(Dispute(claim_id=paid, customer_id=store.customer_id, opened_at=at(6),
                      updated_at=at(6)))
    kpi = figures(store.url)["dispute_rate"]
    assert (kpi.numerator, kpi.denominator) == (1, 2)
    assert kpi.value == 0.5 and kpi.met is False


def test_documents_rerequested_share_uses_the_chase_rooms_test(store: Store) -> None:
    store.claim(reported=at(3), documents=[{"status": "received", "first_notice": True},
                                           {"status": "missing", "rerequested_at": at(5)}])
    store.claim(reported=at(3), documents=[{"status": "rejected", "first_notice": True}])
    store.claim(reported=at(3), documents=[{"status": "received", "first_notice": True},
                                           {"status": "missing", "first_notice": None}])
    store.claim(reported=at(3), documents=[{"status": "received", "first_notice": True}])
    store.claim(reported=at(3), documents=[{"status": "missing"}])  # first notice unknown: fine
    store.claim(reported=at(3), stage="withdrawn", documents=[{"status": "missing"}])
    store.claim(reported=at(3))  # no checklist: out
    kpi = figures(store.url)["documents_rerequested_share"]
    assert (kpi.numerator, kpi.denominator) == (3, 6)
    assert kpi.target == 0.10 and kpi.met is False
    # One definition: the documents room's own figure over the same claims agrees.
    from bot.documents.chase import rerequest_figures

    whole = rerequest_figures(url=store.url)
    assert (whole["rerequested"], whole["claims"]) == (3, 6)


# --- proactive notices -------------------------------------------------------------------------

def test_notice_delivery_rate_matches_each_key_move_to_its_notice(store: Store) -> None:
    statuses = ["sent", "pending", "failed", None]
    for status in statuses:
        claim_id, number = store.claim(reported=at(2), stage="assessment", events=[
            ("reported", "documents_review", at(3)),   # not a key node: notifies nobody
            ("documents_review", "assessment", at(4)),  # documents accepted: a key node
        ])
        if status:
            event = store.event_id(claim_id, "assessment")
            store.add(Notification(claim_id=claim_id, kind="documents_accepted", body="…",
                                   status=status, dedupe_key=f"stage:{number}:assessment:{event}",
                                   created_at=at(4)))
    kpi = figures(store.url)["notice_delivery_rate"]
    assert (kpi.numerator, kpi.denominator) == (1, 4)


# --- satisfaction ------------------------------------------------------------------------------

def test_satisfaction_mean_and_share_of_8_5_or_above(store: Store) -> None:
    for score, answered in [(10, at(3)), (9, at(4)), (8, at(5)), (6, at(6)), (1, at(6, month=4))]:
        claim_id, _ = store.claim(reported=at(1, month=4), stage="closed")
        store.add(SatisfactionScore(claim_id=claim_id, customer_id=store.customer_id,
                                    score=score, actor="test", answered_at=answered))
    found = figures(store.url)
    assert found["satisfaction_mean"].value == pytest.approx(8.25)
    assert found["satisfaction_mean"].met is False
    assert (found["satisfaction_share_8_5"].numerator,
            found["satisfaction_share_8_5"].denominator) == (2, 4)


# --- complaints --------------------------------------------------------------------------------

def _complaint(received: datetime, **fields) -> Complaint:
    return Complaint(reference=f"CMP-2026-{next(_serial):06d}", subject="理赔太慢",
                     channel="telegram", received_at=received, **fields)


def test_complaints_acknowledged_within_48_hours(store: Store) -> None:
    now = at(20)
    store.add(
        _complaint(at(3), acknowledged_at=at(5)),                          # exactly 48 h: met
        _complaint(at(3), acknowledged_at=at(5, 1)),                       # 49 h: missed
        _complaint(at(10), acknowledged_at=None),                          # never: missed
        _complaint(now - timedelta(hours=10), acknowledged_at=None),       # still running: out
    )
    kpi = figures(store.url, now=now)["complaint_ack_48h"]
    assert (kpi.numerator, kpi.denominator) == (1, 3)


def test_complaints_decided_within_15_30_and_60_days(store: Store) -> None:
    now = at(25, month=7)
    store.add(
        _complaint(at(1), decided_at=at(16)),                              # 15 days exactly
        _complaint(at(1), decided_at=at(17)),                              # 16 days: late
        _complaint(at(1), decided_at=at(2), source="regulator"),           # own clock: out
        _complaint(at(2), complexity="complex", decided_at=at(1, month=6)),  # 30 days
        _complaint(at(2), complexity="extended", decided_at=None),         # 60 not up yet: out
        _complaint(at(3), complexity="extended", decided_at=at(1, month=7)),  # 59 days
    )
    found = figures(store.url, now=now)
    assert (found["complaint_decided_15d"].numerator,
            found["complaint_decided_15d"].denominator) == (1, 2)
    assert (found["complaint_decided_30d"].numerator,
            found["complaint_decided_30d"].denominator) == (1, 1)
    assert (found["complaint_decided_60d"].numerator,
            found["complaint_decided_60d"].denominator) == (1, 1)


def test_first_contact_resolution_and_repeat_rate(store: Store) -> None:
    resolved, later_repeated, refused, unanswered = store.add(
        _complaint(at(2), decided_at=at(4), accepted=True),
        _complaint(at(2), decided_at=at(4), accepted=True),
        _complaint(at(2), decided_at=at(4), accepted=False),
        _complaint(at(2), decided_at=at(4), accepted=None),  # no answer yet: out
    )
    store.add(_complaint(at(8), repeat_of_id=later_repeated))
    found = figures(store.url)
    fcr = found["complaint_first_contact_resolution"]
    assert (fcr.numerator, fcr.denominator) == (1, 3)
    repeat = found["complaint_repeat_rate"]
    assert (repeat.numerator, repeat.denominator) == (1, 5)
    assert repeat.value == pytest.approx(0.2) and repeat.met is False


# --- handoffs, urgent cases, elderly customers -------------------------------------------------

def _handoff(created: datetime, waited_min: float | None, **fields) -> Handoff:
    taken = created + timedelta(minutes=waited_min) if waited_min is not None else None
    return Handoff(conversation_id=f"c{next(_serial)}", channel=fields.pop("channel", "webchat"),
                   reason=fields.pop("reason", "request"), created_at=created, taken_at=taken,
                   status="taken" if taken else "queued", **fields)


def test_handoff_waits_and_answer_rate(store: Store) -> None:
    store.add(*[_handoff(at(4), minutes) for minutes in range(1, 11)])
    store.add(_handoff(at(4), None))                                       # never answered
    store.add(_handoff(at(4), None, callback_at=at(5)))                    # call-back booked: out
    store.add(_handoff(at(4, month=4), 100))                               # April: out
    found = figures(store.url)
    assert found["handoff_wait_p50"].value == pytest.approx(5.0, abs=1e-3)
    assert found["handoff_wait_p90"].value == pytest.approx(9.0, abs=1e-3)
    answer = found["handoff_answer_rate"]
    assert (answer.numerator, answer.denominator) == (10, 11)


def test_urgent_cases_and_their_time_to_a_person(store: Store) -> None:
    store.add(_handoff(at(6), 2, reason="urgent", priority=50),
              _handoff(at(6), 4, reason="urgent", priority=50),
              _handoff(at(6), None, reason="urgent", priority=50),
              _handoff(at(6), 30, reason="request"))
    found = figures(store.url)
    assert found["urgent_cases"].value == 3
    assert found["urgent_minutes_to_person_avg"].value == pytest.approx(3.0, abs=1e-3)
    assert found["urgent_minutes_to_person_p90"].value == pytest.approx(4.0, abs=1e-3)


def test_elderly_customers_served_by_a_person(store: Store) -> None:
    store.add(_handoff(at(6), 1, reason="elderly", priority=120),
              _handoff(at(6), 3, reason="urgent", priority=150),    # elderly and urgent
              _handoff(at(6), None, reason="request", priority=120),
              _handoff(at(6), 1, reason="request", priority=20))    # not elderly
    found = figures(store.url)
    assert found["elderly_handoffs"].value == 3
    served = found["elderly_served_by_person"]
    assert (served.numerator, served.denominator) == (2, 3)
    assert served.target == 1.0 and served.met is False


# --- traffic lights and escalations ------------------------------------------------------------

def test_traffic_lights_of_open_claims_and_escalations(store: Store) -> None:
    now = at(20, 2)
    store.claim(reported=at(19), stage="documents_review", amount="1000",
                events=[(None, "reported", at(19)), ("reported", "documents_review", at(19))])
    store.claim(reported=at(17), stage="assessment", amount="1000",  # small, 30 h: yellow
                documents_completed_at=now - timedelta(hours=30),
                events=[(None, "reported", at(17)), ("reported", "documents_review", at(17))])
    red_id, _ = store.claim(reported=at(15), stage="assessment", amount="1000",  # 50 h: red
                            documents_completed_at=now - timedelta(hours=50),
                            events=[(None, "reported", at(15)),
                                    ("reported", "documents_review", at(15))])
    store.claim(reported=at(15), stage="closed", amount="1000")  # closed: no light
    store.add(Escalation(claim_id=red_id, clock="settlement", clock_due_at=at(19),
                         reason="late", regulator_report=True, created_at=at(20, 1),
                         created_by="test", dedupe_key="e1"))
    found = figures(store.url, now=now)
    assert [found[f"lights_{light}"].value for light in ("green", "yellow", "red")] == [1, 1, 1]
    assert found["escalations"].value == 1 and found["escalations_regulator"].value == 1


def test_lights_are_counted_at_the_periods_end_as_the_dashboards_last_day(
        store: Store) -> None:
    from bot.kpis.series import dashboard

    # Open all May, closed in June: last month's report still counts it at May's end.
    store.claim(reported=at(10), stage="closed", amount="1000",
                events=_moved(("reported", at(10)), ("documents_review", at(10)),
                              ("closed", at(5, month=6))))
    # Small claim, documents complete 50 hours before May's end, paid in June: red then.
    red_id, _ = store.claim(reported=at(20), stage="closed", amount="1000",
                            documents_completed_at=MAY.end - timedelta(hours=50),
                            events=_moved(("reported", at(20)), ("assessment", at(21)),
                                          ("closed", at(3, month=6))))
    store.claim(reported=at(2, month=6), stage="assessment", amount="1000")  # after May: out
    store.add(Escalation(claim_id=red_id, clock="settlement", clock_due_at=at(30),
                         reason="late", regulator_report=False, created_at=at(31, 2),
                         created_by="test", dedupe_key="e-may"),
              Escalation(claim_id=red_id, clock="settlement", clock_due_at=at(30),
                         reason="late", regulator_report=True, created_at=at(1, 2, month=6),
                         created_by="test", dedupe_key="e-june"))
    found = figures(store.url, now=NOW)
    counted = [found[f"lights_{light}"].value for light in ("green", "yellow", "red")]
    assert counted == [1, 0, 1]  # as of today (10 June) both are closed: [0, 0, 0] before
    board = dashboard(MAY, url=store.url)["charts"]["lights"]["series"]
    assert counted == [board[light][-1] for light in ("green", "yellow", "red")]
    assert found["escalations"].value == 1 and found["escalations_regulator"].value == 0


def test_now_before_the_periods_end_cuts_it_there(store: Store) -> None:
    from bot.kpis.compute import PeriodNotStarted

    store.add(_handoff(at(6), 5, priority=120),        # taken before now: answered
              _handoff(at(14), 60 * 30, priority=120),  # taken after now: still waiting then
              _handoff(at(20), 5, priority=120))        # after now: has not happened yet
    served = figures(store.url, now=at(15))["elderly_served_by_person"]
    assert (served.numerator, served.denominator) == (1, 1)
    assert figures(store.url)["elderly_served_by_person"].denominator == 3
    with pytest.raises(PeriodNotStarted):
        compute(MAY, url=store.url, now=at(1) - timedelta(days=5))


# --- filters, empty periods, bad input ---------------------------------------------------------

def test_line_and_channel_filters(store: Store) -> None:
    store.claim(reported=at(3), stage="closed", line="medical", channel="webchat",
                events=_moved(("reported", at(3)), ("closed", at(4))))
    store.claim(reported=at(3), stage="assessment", line="medical", channel="telegram")
    store.claim(reported=at(3), stage="assessment", line="motor", channel="webchat")
    assert figures(store.url, line="medical")["closure_rate"].value == 0.5
    assert figures(store.url, channel="webchat")["closure_rate"].value == 0.5
    both = figures(store.url, line="medical", channel="webchat")["closure_rate"]
    assert both.value == 1.0 and (both.line, both.channel) == ("medical", "webchat")
    # Handoffs belong to conversations, not policies: said, not shown as zero.
    per_line = figures(store.url, line="medical")["handoff_answer_rate"]
    assert per_line.value is None and per_line.note


def test_an_empty_period_is_no_data_never_zero(store: Store) -> None:
    store.claim(reported=at(3, month=4), stage="closed")
    found = figures(store.url)
    for key, item in found.items():
        if item.unit == "count":
            assert item.value == 0, key
        else:
            assert item.value is None and item.met is None, key


def test_unknown_line_and_backwards_period_are_refused(store: Store) -> None:
    with pytest.raises(UnknownLine):
        compute(MAY, line="pets", url=store.url)
    with pytest.raises(ValueError):
        Period.of_days(date(2026, 5, 2), date(2026, 5, 1))
    with pytest.raises(ValueError):
        Period(at(2), at(1))


def test_period_of_local_days_and_months() -> None:
    # Shanghai is UTC+8: 1 May local midnight is 30 April 16:00 UTC.
    assert Period.of_days(date(2026, 5, 1), date(2026, 5, 31)) == Period(
        datetime(2026, 4, 30, 16), datetime(2026, 5, 31, 16))
    assert Period.of_month(2026, 12) == Period(datetime(2026, 11, 30, 16),
                                               datetime(2026, 12, 31, 16))


def test_every_definition_is_computed_and_documented(db_url: str) -> None:
    computed = {item.key.split(".")[0] for item in compute(MAY, url=db_url, now=NOW)}
    assert computed == set(definitions())
    for item in definitions().values():
        assert item.numerator and item.denominator and item.excluded and item.source
    assert DOCS_FILE.read_text(encoding="utf-8") == render_markdown() + "\n", (
        "docs/kpis.md is stale: run `python -m bot report definitions --write`")


# --- the commands ------------------------------------------------------------------------------

def _run(capsys, *argv: str) -> tuple[int, str, str]:
    from bot.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _busy_may(store: Store) -> None:
    done = at(3, 2)
    store.claim(reported=at(2), stage="closed", amount="1000", documents_completed_at=done,
                paid_at=done + timedelta(hours=5), channel="webchat",
                events=_moved(("reported", at(2)), ("closed", at(4))))
    store.claim(reported=at(2), stage="assessment", amount="1000", line="medical")
    store.claim(reported=at(2, month=4), stage="closed", amount="1000",
                documents_completed_at=at(3, month=4), paid_at=at(3, 20, month=4),
                events=_moved(("reported", at(2, month=4)), ("closed", at(4, month=4))))


def test_report_kpis_json_csv_html_and_table(store: Store, capsys, tmp_path) -> None:
    _busy_may(store)
    base = ("--db-url", store.url, "report", "kpis", "--from", "2026-05-01", "--to",
            "2026-05-31", "--now", "2026-06-10T10:00")
    code, out, _ = _run(capsys, *base, "--json")
    data = json.loads(out)
    assert code == 0 and data["empty"] is False
    by_key = {item["key"]: item for item in data["kpis"]}
    # 1 May local midnight is 30 April 16:00 UTC: the April claim paid then stays in April.
    assert by_key["small_claims_paid_24h"]["value"] == 1.0
    assert by_key["closure_rate"]["value"] == 0.5 and by_key["closure_rate"]["met"] is False
    assert by_key["satisfaction_mean"]["value"] is None

    code, out, _ = _run(capsys, *base, "--csv", "--line", "medical")
    rows = list(csv.DictReader(io.StringIO(out)))
    closure = next(row for row in rows if row["key"] == "closure_rate")
    assert code == 0 and closure["value"] == "0" and closure["line"] == "medical"
    assert next(row for row in rows if row["key"] == "satisfaction_mean")["value"] == ""

    page = tmp_path / "kpis.html"
    code, out, _ = _run(capsys, *base, "--html", str(page), "--channel", "webchat")
    text = page.read_text(encoding="utf-8")
    assert code == 0 and "结案率 Closure rate" in text and "100.0%" in text
    assert "无数据 / no data" in text

    code, out, _ = _run(capsys, *base)
    assert code == 0 and "closure_rate" in out and "50.0%" in out and "无数据" in out


def test_report_kpis_bad_input_exits_2_with_a_message(store: Store, capsys) -> None:
    base = ("--db-url", store.url, "report", "kpis")
    code, _, err = _run(capsys, *base, "--from", "2026-05-31", "--to", "2026-05-01")
    assert code == 2 and "before it starts" in err
    code, _, err = _run(capsys, *base, "--from", "2026-05-01", "--to", "2026-05-31",
                        "--line", "pets")
    assert code == 2 and "unknown line of business 'pets'" in err
    code, _, err = _run(capsys, *base, "--from", "2026-13-01", "--to", "2026-05-31")
    assert code == 2 and "--from" in err
    code, out, err = _run(capsys, *base, "--from", "2026-05-01", "--to", "2026-05-31",
                          "--now", "2026-06-10")
    assert code == 2 and "no data" in err
    # Every figure says no data; no share is shown (targets are whole percents, "≥ 90%").
    assert "无数据 / no data" in out and not re.search(r"\d\.\d%", out)


@pytest.mark.parametrize("extra, named", [
    (("--from", "0001-01-01", "--to", "9999-12-31"), "out of range"),
    (("--from", "2026-05-01", "--to", "2026-05-31", "--now", "garbage"), "--now"),
    (("--from", "2026-05-01", "--to", "2026-05-31", "--html", "/nonexistent/dir/x.html"),
     "--html: cannot write /nonexistent/dir/x.html"),
    (("--from", "2026-05-01", "--to", "2026-05-31", "--channel", "carrier-pigeon"),
     "--channel: unknown channel 'carrier-pigeon'; known: core, rest, telegram"),
    (("--from", "2026-05-01", "--to", "2026-05-31", "--now", "2026-04-20"), "after now"),
])
def test_report_kpis_refusals_are_one_line_naming_the_option(store: Store, capsys, extra,
                                                             named) -> None:
    _busy_may(store)
    code, _, err = _run(capsys, "--db-url", store.url, "report", "kpis", *extra)
    assert code == 2 and named in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_report_kpis_help_and_channel_names(store: Store, capsys) -> None:
    code, text, _ = _run(capsys, "report", "kpis", "--help")
    assert code == 0
    assert "never 0%." in text and "%%" not in text and "twilio_voice" in text
    _busy_may(store)
    code, out, _ = _run(capsys, "--db-url", store.url, "report", "kpis", "--from", "2026-05-01",
                        "--to", "2026-05-31", "--now", "2026-06-10", "--channel", "webchat")
    assert code == 0 and "渠道 channel 网页聊天 web chat" in out
    assert "so far" not in out
    code, out, _ = _run(capsys, "--db-url", store.url, "report", "kpis", "--from", "2026-05-01",
                        "--to", "2026-05-31", "--now", "2026-05-20T10:00")
    assert code == 0 and "（截至 2026-05-20 10:00 / so far, to 2026-05-20 10:00）" in out


def test_report_monthly_names_lines_channels_and_kpis_and_says_so_far(store: Store,
                                                                     capsys, tmp_path) -> None:
    _busy_may(store)
    page = tmp_path / "m.html"
    code, _, err = _run(capsys, "--db-url", store.url, "report", "monthly", "--month",
                        "2026-05", "--html", str(page), "--now", "2026-05-20T10:00")
    text = page.read_text(encoding="utf-8")
    assert code == 0, err
    assert "<td>车险 motor</td>" in text and "<td>重疾险 critical illness</td>" in text
    assert "<td>网页聊天 web chat</td>" in text and "<td>webchat</td>" not in text
    assert "Closure rate</div></th>" in text and "closure_rate</div>" not in text
    assert "截至 2026-05-20 10:00" in text and "so far" in text
    code, out, _ = _run(capsys, "--db-url", store.url, "report", "monthly", "--month",
                        "2026-05", "--now", "2026-05-20T10:00")
    assert code == 0 and out.startswith("理赔服务月报 2026-05") and "so far" in out
    code, out, _ = _run(capsys, "--db-url", store.url, "report", "monthly", "--month",
                        "2026-05", "--now", "2026-06-10T10:00")
    assert code == 0 and "so far" not in out and "本月 this month" in out
    blocked = tmp_path / "a-file"  # a file where a folder should be (root may make /nonexistent)
    blocked.write_text("x")
    code, _, err = _run(capsys, "--db-url", store.url, "report", "monthly", "--month",
                        "2026-05", "--html", str(blocked / "x.html"), "--now", "2026-06-10")
    assert code == 2 and "--html: cannot write" in err


def test_report_monthly_html_pdf_with_charts_and_deltas(store: Store, capsys, tmp_path) -> None:
    from bot.kpis.report import chromium_path

    _busy_may(store)
    page, pdf = tmp_path / "m.html", tmp_path / "out" / "m.pdf"
    argv = ["--db-url", store.url, "report", "monthly", "--month", "2026-05", "--html",
            str(page), "--now", "2026-06-10T10:00"]
    if chromium_path():
        argv += ["--pdf", str(pdf)]
    code, out, err = _run(capsys, *argv)
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") >= 4
    assert "2026-05-01 – 2026-05-31" in text and "2026-04-01 – 2026-04-30" in text
    # Closure: 50% in May against 100% in April, worse by 50 points; per line and channel.
    assert "-50.0 pp" in text and "分险种 Per line of business" in text and "web chat" in text
    if chromium_path():
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000

    code, out, _ = _run(capsys, "--db-url", store.url, "report", "monthly", "--month",
                        "2026-05", "--now", "2026-06-10T10:00")
    assert code == 0 and "-50.0 pp" in out


def test_report_monthly_refusals(store: Store, capsys, tmp_path, monkeypatch) -> None:
    base = ("--db-url", store.url, "report", "monthly")
    code, _, err = _run(capsys, *base, "--month", "2026-13")
    assert code == 2 and "YYYY-MM" in err
    code, _, err = _run(capsys, *base, "--month", "2026-05", "--line", "pets")
    assert code == 2 and "unknown line" in err
    code, out, err = _run(capsys, *base, "--month", "2026-05", "--now", "2026-06-10")
    assert code == 2 and "no data" in err
    _busy_may(store)
    monkeypatch.setenv("CLAIMS_CHROMIUM", str(tmp_path / "no-such-chromium"))
    code, _, err = _run(capsys, *base, "--month", "2026-05", "--pdf", str(tmp_path / "m.pdf"),
                        "--now", "2026-06-10")
    assert code == 2 and "no Chromium to print the PDF" in err


def test_report_definitions_prints_the_docs(capsys) -> None:
    code, out, _ = _run(capsys, "report", "definitions")
    assert code == 0 and out == DOCS_FILE.read_text(encoding="utf-8")


def test_breakdowns_can_leave_out_the_lights_snapshot(store: Store) -> None:
    store.claim(reported=at(3), stage="assessment")
    keys = {item.key for item in compute(MAY, url=store.url, now=NOW, lights_snapshot=False)}
    assert "closure_rate" in keys and not {"lights_green", "escalations"} & keys
