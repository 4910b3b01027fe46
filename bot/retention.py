"""Retention (PIPL Art. 19: personal information is kept no longer than its purpose needs): the job
that deletes or anonymises what has served its purpose. `python -m bot retention run` and the Rasa
server's daily round (rasa_server/jobs.py) call `run_retention`; the SQL, Rasa's events table
included, lives in bot/store/repositories.py.

- trackers (tracker store, table `events`): a conversation is deleted 90 days after its last
  message, unless a handoff of it is still open;
- transcripts (`handoffs.summary`, `resolution`): 180 days after the handoff closed the summary
  is cut to its reason and claim number and the resolution redacted;
- receipts (`inbound_receipts`): deleted after 7 days (platforms retry for a day at most);
- notices (`notifications`, sent or failed): after 180 days a claim's notice keeps its row (proof
  of notice) without the text, other messages (agents' words, greetings) are deleted;
- uploads (<var>/uploads): a file no claim refers to is deleted after 7 days; a claim document 5
  years after its policy (of one year or less) ended, 10 years after a longer one; its record
  (name, sha256) stays.

Claim records themselves (claims, their events, complaints, the audit log) are not touched: the
Insurance Law (Art. 87 of the 2015 text) has insurers keep claim files at least five years after
the contract ends (ten for cover longer than a year). Conversations with an open handoff are kept
until it closes. Every run (dry runs too) is audited with its counts.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List

from bot.clock import as_utc_naive
from bot.privacy import redact_text
from bot.settings import Settings, get_settings
from bot.store.db import unit_of_work
from bot.store.repositories import TrackerRetention

logger = logging.getLogger(__name__)

RETENTION_ACTOR = "retention"
KINDS = ("trackers", "transcripts", "uploads", "receipts", "notices")
TRACKER_TABLE = TrackerRetention.TABLE  # Rasa's SQLTrackerStore
REMOVED_NOTICE = "[已按保留期限删除 / removed after the retention period]"


@dataclass(frozen=True)
class RetentionPeriods:
    conversation_days: int = 90
    transcript_days: int = 180
    receipt_days: int = 7
    notice_days: int = 180
    orphan_upload_days: int = 7
    claim_file_years: tuple = (5, 10)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPeriods:
        return cls(settings.retention_conversation_days, settings.retention_transcript_days,
                   settings.retention_receipt_days, settings.retention_notice_days,
                   settings.retention_orphan_upload_days,
                   tuple(settings.retention_claim_file_years))


@dataclass
class RetentionReport:
    now: datetime
    dry_run: bool
    counts: Dict[str, int] = field(default_factory=lambda: {kind: 0 for kind in KINDS})

    def as_dict(self) -> Dict[str, object]:
        return {"now": self.now.isoformat(timespec="seconds") + "Z", "dry_run": self.dry_run,
                "counts": dict(self.counts)}


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=timezone.utc).timestamp()


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _open_handoff_conversations(db_url: str | None) -> set[str]:
    with unit_of_work(db_url) as uow:
        return uow.handoffs.open_conversation_ids()


def expire_trackers(cutoff: datetime, *, tracker_url: str, keep: set[str],
                    dry_run: bool = False) -> int:
    """Deletes every conversation whose last event is older than `cutoff`; returns how many."""
    return TrackerRetention(tracker_url).expire_conversations(_epoch(cutoff), keep,
                                                              dry_run=dry_run)


def anonymise_transcripts(cutoff: datetime, *, db_url: str | None, dry_run: bool) -> int:
    """Closed handoffs older than `cutoff` keep their reason and claim number, nothing else of the
    customer's words; the agreed resolution is redacted."""
    count = 0
    with unit_of_work(db_url) as uow:
        for row in uow.handoffs.closed_before(cutoff):
            summary = dict(row.summary or {})
            if summary.get("anonymised"):
                continue
            count += 1
            if not dry_run:
                row.summary = {"anonymised": True, "reason": summary.get("reason"),
                               "claim_number": summary.get("claim_number")}
                row.resolution = redact_text(row.resolution, row.language) \
                    if row.resolution else None
                # The console's words about it: the transfer's reason is redacted like the
                # resolution (internal notes stay with the claim they were written on).
                row.transfer_note = redact_text(row.transfer_note, row.language) \
                    if row.transfer_note else None
        if not dry_run:
            uow.commit()
    return count


def forget_receipts(cutoff: datetime, *, db_url: str | None, dry_run: bool) -> int:
    with unit_of_work(db_url) as uow:
        if dry_run:
            return uow.inbound_receipts.count_before(cutoff)
        count = uow.inbound_receipts.delete_before(cutoff)
        uow.commit()
        return count


def expire_notices(cutoff: datetime, *, db_url: str | None, dry_run: bool) -> int:
    """Sent or failed notices older than `cutoff`: a claim's keep their row (proof of notice)
    without the text; messages to a conversation (agents' words, greetings) go."""
    count = 0
    with unit_of_work(db_url) as uow:
        for row in uow.notifications.finished_before(cutoff):
            if row.claim_id is not None and row.body == REMOVED_NOTICE:
                continue
            count += 1
            if dry_run:
                continue
            if row.claim_id is not None:
                row.body, row.last_error = REMOVED_NOTICE, None
            else:
                uow.notifications.remove(row)
        if not dry_run:
            uow.commit()
    return count


def expire_uploads(now: datetime, periods: RetentionPeriods, *, db_url: str | None,
                   uploads_dir: Path, dry_run: bool) -> int:
    """Files under `uploads_dir`: claim documents once the claim file's period has run out,
    files no claim refers to after `orphan_upload_days` (by modification time)."""
    if not uploads_dir.is_dir():
        return 0
    short_years, long_years = (tuple(periods.claim_file_years) + (10, 10))[:2]
    today = now.date()
    attached: Dict[str, bool] = {}  # resolved path -> the claim file may go
    with unit_of_work(db_url) as uow:
        for stored_path, start, end in uow.received_files.claim_file_periods():
            years = short_years if (end - start).days <= 366 else long_years
            key = str(Path(stored_path).resolve())
            # A file two claims share goes only when both may.
            attached[key] = attached.get(key, True) and end <= _years_before(today, years)
    orphan_cutoff = _epoch(now - timedelta(days=periods.orphan_upload_days))
    count = 0
    for path in sorted(uploads_dir.rglob("*")):
        if not path.is_file():
            continue
        key = str(path.resolve())
        expired = attached[key] if key in attached else path.stat().st_mtime < orphan_cutoff
        if expired:
            count += 1
            if not dry_run:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
    if not dry_run:  # folders of claims with no file left
        for folder in sorted((p for p in uploads_dir.rglob("*") if p.is_dir()), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()
    return count


def run_retention(
    now: datetime | None = None,
    *,
    dry_run: bool = False,
    periods: RetentionPeriods | None = None,
    db_url: str | None = None,
    tracker_url: str | None = None,
    var_dir: Path | None = None,
    actor: str = RETENTION_ACTOR,
) -> RetentionReport:
    """One round over every kind; the counts say how many were (or, dry, would be) removed."""
    settings = get_settings()
    now = as_utc_naive(now)
    periods = periods or RetentionPeriods.from_settings(settings)
    tracker_url = tracker_url or settings.tracker_db_url
    var_dir = Path(var_dir or settings.var_dir)
    report = RetentionReport(now=now, dry_run=dry_run)
    errors: List[str] = []

    def step(kind: str, work, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        try:
            report.counts[kind] = int(work(*args, **kwargs))
        except Exception as error:  # one kind failing must not keep the others
            logger.exception("retention: %s failed", kind)
            errors.append(f"{kind}: {error.__class__.__name__}")

    step("trackers", expire_trackers, now - timedelta(days=periods.conversation_days),
         tracker_url=tracker_url, keep=_open_handoff_conversations(db_url), dry_run=dry_run)
    step("transcripts", anonymise_transcripts, now - timedelta(days=periods.transcript_days),
         db_url=db_url, dry_run=dry_run)
    step("uploads", expire_uploads, now, periods, db_url=db_url,
         uploads_dir=var_dir / "uploads", dry_run=dry_run)
    step("receipts", forget_receipts, now - timedelta(days=periods.receipt_days),
         db_url=db_url, dry_run=dry_run)
    step("notices", expire_notices, now - timedelta(days=periods.notice_days),
         db_url=db_url, dry_run=dry_run)
    if not dry_run:  # counters, lock history and one-time codes past their use (bot/identity)
        from bot.identity import purge

        step("identity", purge, now, url=db_url)
    with unit_of_work(db_url) as uow:
        uow.audit.record(actor, "retention.dry_run" if dry_run else "retention.run",
                         "retention", None,
                         {"counts": report.counts, "errors": errors,
                          "periods": {"conversation_days": periods.conversation_days,
                                      "transcript_days": periods.transcript_days,
                                      "receipt_days": periods.receipt_days,
                                      "notice_days": periods.notice_days,
                                      "orphan_upload_days": periods.orphan_upload_days,
                                      "claim_file_years": list(periods.claim_file_years)}},
                         at=now)
        uow.commit()
    if errors:
        raise RetentionError(report, errors)
    return report


class RetentionError(RuntimeError):
    """Some kinds could not be processed; the others were (`report`)."""

    def __init__(self, report: RetentionReport, errors: List[str]) -> None:
        super().__init__("retention incomplete: " + "; ".join(errors))
        self.report = report
        self.errors = errors

