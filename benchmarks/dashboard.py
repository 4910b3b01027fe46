"""The supervisors' dashboard queries (bot/kpis/series.py) on a year of generated history:
100,000 claims (with their stage events), complaints, satisfaction scores, handoffs and notices,
in a fresh SQLite store under var/bench-dashboard/ (or --url, e.g. PostgreSQL).

    .venv/bin/python benchmarks/dashboard.py [--claims 100000] [--repeat 3] [--url URL]

Prints, and writes to results/bench-dashboard.md: how long the whole dashboard takes for the
year, for the last 30 days, for one line of business, and one click-through, median of --repeat
runs. The history is random but seeded (the same every run); its dates end at a fixed day, so
nothing depends on today's date.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any, Callable, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import cpu_name  # noqa: E402
from bot.kpis.series import claims_behind, dashboard, period_of_days  # noqa: E402
from bot.store.db import engine_for  # noqa: E402
from bot.store.migrate import upgrade  # noqa: E402
from bot.store.models import (  # noqa: E402
    LINES_OF_BUSINESS,
    Claim,
    ClaimEvent,
    Complaint,
    Customer,
    Handoff,
    Notification,
    Policy,
    SatisfactionScore,
)

LAST_DAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 15, 0)  # naive UTC: 23:00 local on LAST_DAY
CHANNELS = ("webchat", "telegram", "sms", "whatsapp", "voice")
BATCH = 5000


def _chunks(rows: List[Dict[str, Any]]) -> List[List[Dict[str, Any]]]:
    return [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]


def generate(url: str, claims: int, seed: int = 17) -> Dict[str, int]:
    """A year of history ending on LAST_DAY, written with bulk inserts."""
    rng = random.Random(seed)
    engine = engine_for(url)
    start = NOW - timedelta(days=365)
    counts = dict.fromkeys(("claims", "events", "complaints", "scores", "handoffs",
                            "notices"), 0)
    with engine.begin() as connection:
        connection.execute(Customer.__table__.insert(), [{
            "id": 1, "name": "基准客户", "date_of_birth": date(1980, 1, 1),
            "phone": "13800000000", "phone_last4": "0000", "id_number_masked": "1101****0000",
            "id_number_hash": "b" * 64, "preferred_language": "zh", "created_at": start}])
        connection.execute(Policy.__table__.insert(), [{
            "id": i + 1, "number": f"BENCH-{line.upper()}", "customer_id": 1,
            "line_of_business": line, "product_code": "B", "product_name_zh": "基准",
            "product_name_en": "Bench", "sum_insured": 1_000_000, "deductible": 0,
            "waiting_period_days": 0, "start_date": date(2025, 1, 1),
            "end_date": date(2027, 12, 31), "status": "active"}
            for i, line in enumerate(LINES_OF_BUSINESS)])
        claim_rows: List[Dict[str, Any]] = []
        event_rows: List[Dict[str, Any]] = []
        score_rows: List[Dict[str, Any]] = []
        notice_rows: List[Dict[str, Any]] = []
        for n in range(1, claims + 1):
            reported = start + timedelta(seconds=rng.uniform(0, 365 * 86400))
            amount = rng.choice((800, 2500, 4800, 12000, 30000, 80000))
            at = reported
            stage = "reported"
            events = [(None, "reported", at)]
            complete = paid = None
            path = ["documents_review", "assessment", "payment", "closed"]
            if rng.random() < 0.08:
                path = ["documents_review", "denied", "closed"]
            elif rng.random() < 0.05:
                path = ["documents_review", "withdrawn"]
            for step in path:
                at = at + timedelta(hours=rng.expovariate(1 / (30 if step != "reported" else 1)))
                if at >= NOW:
                    break
                events.append((stage, step, at))
                if step == "documents_review":
                    complete = at + timedelta(hours=rng.uniform(1, 72))
                    if complete >= NOW:
                        complete = None
                if step == "closed" and stage == "payment":
                    paid = at
                stage = step
            claim_rows.append({
                "id": n, "number": f"CLM-B-{n:07d}", "policy_id": rng.randrange(6) + 1,
                "stage": stage, "incident_type": "bench", "reported_at": reported,
                "estimated_amount": amount, "approved_amount": None, "paid_at": paid,
                "documents_completed_at": complete if stage != "reported" else None,
                "channel": rng.choice(CHANNELS), "flags": [], "injuries": False,
                "document_reminders": 0})
            for from_stage, to_stage, moment in events:
                event_rows.append({"claim_id": n, "from_stage": from_stage,
                                   "to_stage": to_stage, "at": moment, "actor": "bench"})
                if to_stage != "reported":
                    sent = rng.random() < 0.93
                    notice_rows.append({
                        "claim_id": n, "customer_id": 1, "channel": claim_rows[-1]["channel"],
                        "kind": to_stage, "body": "…", "status": "sent" if sent else "failed",
                        "attempts": 1, "dedupe_key": f"{n}:{to_stage}", "created_at": moment,
                        "sent_at": moment + timedelta(seconds=5) if sent else None})
            if stage == "closed" and rng.random() < 0.4:
                score_rows.append({"claim_id": n, "customer_id": 1,
                                   "score": rng.choice((6, 7, 8, 9, 9, 10, 10)),
                                   "actor": "customer", "answered_at": at + timedelta(hours=2)})
        for rows, table, key in ((claim_rows, Claim.__table__, "claims"),
                                 (event_rows, ClaimEvent.__table__, "events"),
                                 (score_rows, SatisfactionScore.__table__, "scores"),
                                 (notice_rows, Notification.__table__, "notices")):
            for chunk in _chunks(rows):
                connection.execute(table.insert(), chunk)
            counts[key] = len(rows)
        complaint_rows = []
        for n in range(claims // 20):
            received = start + timedelta(seconds=rng.uniform(0, 365 * 86400))
            acked = received + timedelta(hours=rng.expovariate(1 / 20))
            decided = received + timedelta(days=rng.expovariate(1 / 12))
            complaint_rows.append({
                "reference": f"TS-B-{n:07d}", "claim_id": rng.randrange(claims) + 1,
                "subject": "基准", "received_at": received, "status": "received",
                "about_kind": "claim", "complexity": "standard", "channel": "webchat",
                "acknowledged_at": acked if acked < NOW else None,
                "decided_at": decided if decided < NOW else None})
        handoff_rows = []
        for _ in range(claims // 4):
            created = start + timedelta(seconds=rng.uniform(0, 365 * 86400))
            taken = created + timedelta(minutes=rng.expovariate(1 / 4))
            handoff_rows.append({
                "conversation_id": f"bench-{rng.randrange(10**9)}", "channel":
                rng.choice(CHANNELS), "reason": "request", "priority": 0, "summary": {},
                "status": "taken", "created_at": created,
                "taken_at": taken if rng.random() < 0.95 else None})
        for rows, table, key in ((complaint_rows, Complaint.__table__, "complaints"),
                                 (handoff_rows, Handoff.__table__, "handoffs")):
            for chunk in _chunks(rows):
                connection.execute(table.insert(), chunk)
            counts[key] = len(rows)
    return counts


def timed(function: Callable[[], Any], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        runs.append(time.perf_counter() - began)
    return median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--url", default=None, help="a store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    url = args.url
    if url is None:
        folder = ROOT / "var" / "bench-dashboard"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"claims-{args.claims}.db"
        target.unlink(missing_ok=True)
        url = f"sqlite:///{target}"
    upgrade(url)
    began = time.perf_counter()
    counts = generate(url, args.claims)
    built = time.perf_counter() - began
    year = period_of_days(LAST_DAY - timedelta(days=364), LAST_DAY, NOW)
    month = period_of_days(LAST_DAY - timedelta(days=29), LAST_DAY, NOW)
    cases = [
        ("dashboard, 365 days, all lines", lambda: dashboard(year, url=url)),
        ("dashboard, 30 days, all lines", lambda: dashboard(month, url=url)),
        ("dashboard, 30 days, motor", lambda: dashboard(month, line="motor", url=url)),
        ("click-through: red claims on the last day (30 days)",
         lambda: claims_behind(month, "lights", "red", LAST_DAY, url=url)),
        ("click-through: complaints acknowledged late (30 days)",
         lambda: claims_behind(month, "complaints", "ack_late", LAST_DAY, url=url)),
    ]
    lines = [
        "# Dashboard queries (benchmarks/dashboard.py)", "",
        f"CPU: {cpu_name()}; store: {url.split(':')[0]}; generated in {built:.1f} s: "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items()) + ".", "",
        f"| query | median of {args.repeat} (s) |", "|---|---:|",
    ]
    for name, function in cases:
        seconds = timed(function, args.repeat)
        lines.append(f"| {name} | {seconds:.2f} |")
        print(f"{name}: {seconds:.2f} s", flush=True)
    report = "\n".join(lines) + "\n"
    out = ROOT / "results" / "bench-dashboard.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
