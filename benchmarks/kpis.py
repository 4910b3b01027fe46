"""Times the KPI report and the dashboard-style per-day series on a year of claims.

Generates 100,000 claims over a year (events, documents, notices, scores, disputes, complaints,
handoffs and escalations in plausible proportions) into a SQLite file (and, with --pg-url, a
PostgreSQL database), first at the schema before the KPI indexes (0013_console), then after
migration 0014_kpi_indexes, and times the same queries both ways:

    .venv/bin/python benchmarks/kpis.py                       # SQLite under var/bench/
    .venv/bin/python benchmarks/kpis.py --claims 20000 --repeat 3
    .venv/bin/python benchmarks/kpis.py --reuse        # the same file again, indexes off and on
    .venv/bin/python benchmarks/kpis.py --pg-url postgresql+psycopg2://postgres@127.0.0.1:5432/kpis

Figures are printed (and written as JSON with --json); nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, List

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Date, cast, func, select, text  # noqa: E402

from benchmarks.common import cpu_name  # noqa: E402
from bot.kpis import Period, compute  # noqa: E402
from bot.kpis.report import monthly_html, monthly_report  # noqa: E402
from bot.store.db import dispose_engines, engine_for  # noqa: E402
from bot.store.migrate import downgrade, upgrade  # noqa: E402
from bot.store.models import (  # noqa: E402
    LINES_OF_BUSINESS,
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

BEFORE, AFTER = "0013_console", "0014_kpi_indexes"
START = datetime(2025, 12, 1)  # a year: December 2025 to November 2026, naive UTC
DAYS = 365
NOW = START + timedelta(days=DAYS)
CHANNELS = ("telegram", "webchat", "twilio", "twilio_voice")
BATCH = 5000


# --- the year of data --------------------------------------------------------------------------

def _amount(rng: random.Random) -> float:
    roll = rng.random()
    if roll < 0.6:
        return round(rng.uniform(200, 5000), 2)       # small
    if roll < 0.9:
        return round(rng.uniform(5001, 49999), 2)     # standard
    return round(rng.uniform(50000, 400000), 2)       # large


class Loader:
    """Buffers rows per table and inserts them in executemany batches."""

    def __init__(self, conn: Any) -> None:
        self.conn, self.rows, self.counts = conn, {}, {}

    def add(self, table: Any, row: Dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)
        if len(self.rows[table]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        # Every table, in the order first seen (parents before children: foreign keys hold).
        for name in list(self.rows):
            batch = self.rows.get(name)
            if batch:
                self.conn.execute(name.insert(), batch)
                self.counts[name.name] = self.counts.get(name.name, 0) + len(batch)
                self.rows[name] = []


def generate(url: str, claims: int, seed: int = 17) -> Dict[str, int]:
    """A year of claims and everything the KPIs count, ids assigned here (bulk inserts)."""
    rng = random.Random(seed)
    customers = max(1, claims * 2 // 5)
    t = {model.__name__: model.__table__ for model in (
        Customer, Policy, Claim, ClaimEvent, ClaimDocument, Notification, SatisfactionScore,
        Dispute, Complaint, Handoff, Escalation)}
    with engine_for(url).begin() as conn:
        load = Loader(conn)
        for cid in range(1, customers + 1):
            load.add(t["Customer"], dict(
                id=cid, name=f"客户{cid}", date_of_birth=date(1940 + cid % 60, 1 + cid % 12, 1),
                phone=f"138{cid:08d}", phone_last4=f"{cid % 10000:04d}",
                id_number_masked="1101********0000", id_number_hash=f"{cid:064d}",
                preferred_language="zh" if cid % 5 else "en", created_at=START))
            load.add(t["Policy"], dict(
                id=cid, number=f"POL-{cid:08d}", customer_id=cid,
                line_of_business=LINES_OF_BUSINESS[cid % len(LINES_OF_BUSINESS)],
                product_code="P", product_name_zh="产品", product_name_en="Product",
                sum_insured=500000, deductible=0, waiting_period_days=0,
                start_date=date(2025, 1, 1), end_date=date(2027, 12, 31), status="active"))
        event_id = doc_id = notice_id = complaint_id = handoff_id = 0
        for number in range(1, claims + 1):
            reported = START + timedelta(seconds=rng.randrange(DAYS * 86400))
            policy = rng.randrange(1, customers + 1)
            channel = CHANNELS[rng.randrange(len(CHANNELS))]
            amount = _amount(rng)
            events: List[tuple] = [(None, "reported", reported)]
            at = reported + timedelta(minutes=rng.uniform(1, 30))
            events.append(("reported", "documents_review", at))
            complete = at + timedelta(hours=rng.expovariate(1 / 30))
            stage, paid_at = "documents_review", None
            if complete < NOW:
                if rng.random() < 0.2:
                    at = complete + timedelta(hours=rng.uniform(1, 12))
                    events.append(("documents_review", "investigation", at))
                    at += timedelta(hours=rng.expovariate(1 / 72))
                    events.append(("investigation", "assessment", at))
                else:
                    at = complete
                    events.append(("documents_review", "assessment", at))
                stage = "assessment"
                decided = at + timedelta(hours=rng.expovariate(1 / (8 if amount <= 5000 else 60)))
                roll = rng.random()
                if decided < NOW and roll < 0.03:
                    events.append(("assessment", "withdrawn", decided))
                    stage = "withdrawn"
                elif decided < NOW and roll < 0.10:
                    events.append(("assessment", "denied", decided))
                    closed = decided + timedelta(days=rng.uniform(1, 5))
                    stage = "denied"
                    if closed < NOW:
                        events.append(("denied", "closed", closed))
                        stage = "closed"
                elif decided < NOW:
                    events.append(("assessment", "payment", decided))
                    stage = "payment"
                    paid = decided + timedelta(hours=rng.expovariate(1 / 6))
                    if paid < NOW:
                        paid_at = paid
                        events.append(("payment", "closed", paid))
                        stage = "closed"
            load.add(t["Claim"], dict(
                id=number, number=f"CLM-{number:08d}", policy_id=policy, stage=stage,
                incident_type="collision", incident_at=reported - timedelta(hours=5),
                injuries=rng.random() < 0.05, estimated_amount=amount,
                approved_amount=amount if paid_at else None, paid_amount=amount if paid_at
                else None, paid_at=paid_at, channel=channel, language="zh", flags=[],
                reported_at=reported, documents_completed_at=complete if complete < NOW else None,
                document_reminders=0))
            for source, target, moment in events:
                event_id += 1
                load.add(t["ClaimEvent"], dict(id=event_id, claim_id=number, from_stage=source,
                                               to_stage=target, at=moment, actor="bench"))
                if (source, target) in (("documents_review", "assessment"),
                                        ("documents_review", "investigation"),
                                        ("assessment", "payment"), ("payment", "closed"),
                                        ("assessment", "denied"), ("denied", "closed"),
                                        ("assessment", "withdrawn")):
                    notice_id += 1
                    sent = rng.random() < 0.93
                    load.add(t["Notification"], dict(
                        id=notice_id, claim_id=number, customer_id=policy, channel=channel,
                        kind="stage", body="…", status="sent" if sent else "failed",
                        attempts=1, created_at=moment,
                        sent_at=moment + timedelta(seconds=30) if sent else None,
                        dedupe_key=f"stage:CLM-{number:08d}:{target}:{event_id}", language="zh"))
            rerequested = rng.random() < 0.08
            for index in range(3):
                doc_id += 1
                load.add(t["ClaimDocument"], dict(
                    id=doc_id, claim_id=number, code=f"doc{index}", label_zh="材料",
                    label_en="document", mandatory=True, fetched_by_insurer=False,
                    status="received" if complete < NOW else "missing", first_notice=True,
                    received_at=complete if complete < NOW else None,
                    rerequested_at=complete if rerequested and index == 0 else None))
            if stage == "closed" and rng.random() < 0.4:
                load.add(t["SatisfactionScore"], dict(
                    id=number, claim_id=number, customer_id=policy, actor="bench",
                    score=min(10, max(1, round(rng.gauss(8.7, 1.4)))),
                    answered_at=events[-1][2] + timedelta(hours=rng.uniform(1, 48))))
            if stage in ("closed", "payment", "denied") and rng.random() < 0.08:
                load.add(t["Dispute"], dict(id=number, claim_id=number, customer_id=policy,
                                            step="explained", opened_at=events[-1][2],
                                            updated_at=events[-1][2]))
            if rng.random() < 0.02:
                complaint_id += 1
                received = reported + timedelta(days=rng.uniform(0, 20))
                acknowledged = received + timedelta(hours=rng.expovariate(1 / 12))
                decided = received + timedelta(days=rng.expovariate(1 / 7))
                load.add(t["Complaint"], dict(
                    id=complaint_id, reference=f"CMP-{complaint_id:08d}", customer_id=policy,
                    claim_id=number, subject="理赔太慢", channel=channel, received_at=received,
                    status="decided" if decided < NOW else "received",
                    acknowledged_at=acknowledged if acknowledged < NOW else None,
                    decided_at=decided if decided < NOW else None,
                    accepted=(rng.random() < 0.88) if decided < NOW else None,
                    complexity="complex" if rng.random() < 0.15 else "standard",
                    repeat_of_id=complaint_id - 1 if complaint_id > 1 and rng.random() < 0.05
                    else None, about_kind="claim", language="zh"))
            if rng.random() < 0.15:
                handoff_id += 1
                created = reported + timedelta(minutes=rng.uniform(0, 60))
                taken = created + timedelta(minutes=rng.expovariate(1 / 4))
                answered = rng.random() < 0.95 and taken < NOW
                reason = ("urgent" if rng.random() < 0.05 else "request")
                elderly = rng.random() < 0.1
                load.add(t["Handoff"], dict(
                    id=handoff_id, conversation_id=f"conv-{number}", channel=channel,
                    reason=reason, priority=(50 if reason == "urgent" else 20)
                    + (100 if elderly else 0), language="zh", summary={},
                    status="closed" if answered else "queued", created_at=created,
                    taken_at=taken if answered else None,
                    closed_at=taken + timedelta(minutes=10) if answered else None))
            if rng.random() < 0.03:
                load.add(t["Escalation"], dict(
                    id=number, claim_id=number, light="red", clock="settlement",
                    clock_due_at=reported + timedelta(days=2), sent_to_role="supervisor",
                    reason="late", regulator_report=rng.random() < 0.5,
                    created_at=reported + timedelta(days=3), created_by="bench",
                    dedupe_key=f"esc:{number}"))
        load.flush()
    return load.counts


# --- what is timed -----------------------------------------------------------------------------

def dashboard_queries(url: str) -> Dict[str, Callable[[], Any]]:
    """The dashboard's per-day series over its default window (90 days), as aggregate queries
    (the shapes the dashboard draws: claims by stage, settlement hours, complaints, satisfaction,
    handoff waits, notice delivery per channel)."""
    start, end = NOW - timedelta(days=90), NOW
    engine = engine_for(url)
    sqlite = engine.dialect.name == "sqlite"

    def day(column: Any) -> Any:
        return func.date(column) if sqlite else cast(column, Date)

    def hours(later: Any, earlier: Any) -> Any:
        if sqlite:
            return (func.julianday(later) - func.julianday(earlier)) * 24.0
        return func.extract("epoch", later - earlier) / 3600.0

    def run(query: Any) -> int:
        with engine.connect() as conn:
            return len(conn.execute(query).all())

    reported = day(Claim.reported_at)
    paid = day(Claim.paid_at)
    received = day(Complaint.received_at)
    answered = day(SatisfactionScore.answered_at)
    created = day(Handoff.created_at)
    noticed = day(Notification.created_at)
    return {
        "claims_by_day_stage": lambda: run(
            select(reported, Claim.stage, func.count()).where(
                Claim.reported_at >= start, Claim.reported_at < end).group_by(
                reported, Claim.stage)),
        "settlement_hours_by_day": lambda: run(
            select(paid, func.avg(hours(Claim.paid_at, Claim.documents_completed_at)),
                   func.count()).where(Claim.paid_at >= start, Claim.paid_at < end)
            .group_by(paid)),
        "complaints_by_day": lambda: run(
            select(received, func.count(), func.count(Complaint.acknowledged_at)).where(
                Complaint.received_at >= start, Complaint.received_at < end).group_by(received)),
        "satisfaction_by_day": lambda: run(
            select(answered, func.avg(SatisfactionScore.score)).where(
                SatisfactionScore.answered_at >= start, SatisfactionScore.answered_at < end)
            .group_by(answered)),
        "handoff_wait_by_day": lambda: run(
            select(created, func.avg(hours(Handoff.taken_at, Handoff.created_at))).where(
                Handoff.created_at >= start, Handoff.created_at < end).group_by(created)),
        "notices_by_day_channel": lambda: run(
            select(noticed, Notification.channel, Notification.status, func.count()).where(
                Notification.created_at >= start, Notification.created_at < end)
            .group_by(noticed, Notification.channel, Notification.status)),
    }


def report_tasks(url: str) -> Dict[str, Callable[[], Any]]:
    month = Period(datetime(2026, 10, 31, 16), datetime(2026, 11, 30, 16))  # November, local
    year = Period(START, NOW)
    return {
        "report_kpis_month": lambda: compute(month, url=url, now=NOW),
        "report_kpis_month_one_line": lambda: compute(month, line="motor", url=url, now=NOW),
        "report_kpis_month_one_channel": lambda: compute(month, channel="webchat", url=url,
                                                          now=NOW),
        "report_kpis_year": lambda: compute(year, url=url, now=NOW),
        "report_monthly_html": lambda: monthly_html(monthly_report(2026, 11, url=url, now=NOW)),
    }


def time_all(url: str, repeat: int) -> Dict[str, Dict[str, float]]:
    figures: Dict[str, Dict[str, float]] = {}
    for name, task in {**report_tasks(url), **dashboard_queries(url)}.items():
        task()  # warm: the engine, the page cache
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            task()
            times.append(time.perf_counter() - began)
        figures[name] = {"median_s": statistics.median(times), "min_s": min(times)}
    return figures


def bench(url: str, claims: int, repeat: int, reuse: bool = False) -> Dict[str, Any]:
    began = time.perf_counter()
    if reuse:  # the data of an earlier run: only the KPI indexes go and come back
        downgrade(url, BEFORE)
        with engine_for(url).connect() as conn:
            counts = {name: conn.execute(select(func.count()).select_from(table)).scalar()
                      for name, table in ((m.__tablename__, m.__table__) for m in (
                          Claim, ClaimEvent, Notification, Complaint, Handoff))}
    else:
        upgrade(url, BEFORE)
        counts = generate(url, claims)
    loaded = time.perf_counter() - began
    if engine_for(url).dialect.name == "postgresql":
        with engine_for(url).begin() as conn:
            conn.execute(text("ANALYZE"))
    before = time_all(url, repeat)
    began = time.perf_counter()
    upgrade(url, AFTER)
    with engine_for(url).begin() as conn:
        conn.execute(text("ANALYZE"))
    indexed = time.perf_counter() - began
    after = time_all(url, repeat)
    return {"url": url.split("@")[-1], "rows": counts, "load_s": round(loaded, 1),
            "index_s": round(indexed, 1), "before": before, "after": after}


def print_figures(result: Dict[str, Any]) -> None:
    print(f"\n{result['url']}: loaded in {result['load_s']} s; indexes built in "
          f"{result['index_s']} s")
    print("rows: " + ", ".join(f"{name} {count:,}" for name, count in result["rows"].items()))
    print(f"{'query':34} {'before (s)':>11} {'after (s)':>10} {'speed-up':>9}")
    for name, before in result["before"].items():
        after = result["after"][name]
        ratio = before["median_s"] / after["median_s"] if after["median_s"] else float("inf")
        print(f"{name:34} {before['median_s']:11.3f} {after['median_s']:10.3f} {ratio:8.1f}x")


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (median)")
    parser.add_argument("--sqlite", default=str(ROOT / "var" / "bench" / "kpis.db"),
                        help="SQLite file to (re)create")
    parser.add_argument("--pg-url", help="also a PostgreSQL database (its schema is wiped)")
    parser.add_argument("--json", help="write the figures to this JSON file")
    parser.add_argument("--reuse", action="store_true",
                        help="time the data of an earlier run again (no new data)")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-only", action="store_true", help="skip SQLite")
    args = parser.parse_args(argv)

    print(f"KPI benchmark: {args.claims:,} claims over {DAYS} days; CPU {cpu_name()}; "
          f"median of {args.repeat} runs")
    results = []
    sqlite_file = Path(args.sqlite)
    sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    reuse = args.reuse and sqlite_file.exists()
    if not reuse:
        sqlite_file.unlink(missing_ok=True)
    if not args.pg_only:
        results.append(bench(f"sqlite:///{sqlite_file}", args.claims, args.repeat, reuse))
        print_figures(results[-1])
    if args.pg_url and not args.sqlite_only:
        if not args.reuse:
            with engine_for(args.pg_url).begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        results.append(bench(args.pg_url, args.claims, args.repeat, args.reuse))
        print_figures(results[-1])
    dispose_engines()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
