"""Delivery figures (issue #15, part 4): share delivered per channel and kind, median and P90
delivery time, proactive status notices against the 90% target; known answers."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from bot.cli import main
from bot.outbox.stats import delivery_stats, percentile, proactive_notice_kpi
from bot.store.db import unit_of_work
from bot.store.models import Notification

START = datetime(2026, 11, 1, 0, 0)
END = datetime(2026, 12, 1, 0, 0)


def _add(url: str, channel: str, kind: str, status: str, minutes: float | None,
         *, at: datetime = START + timedelta(days=1), fell_back: bool = False) -> None:
    with unit_of_work(url) as uow:
        count = uow.session.query(Notification).count()
        uow.notifications.add(Notification(
            channel=channel, conversation_id=f"c-{count}", kind=kind, body="x", language="zh",
            status=status, attempts=1, dedupe_key=f"k-{count}", created_at=at,
            sent_at=at + timedelta(minutes=minutes) if minutes is not None else None,
            fallback_reason="telegram: blocked" if fell_back else None))
        uow.commit()


@pytest.fixture
def outbox(db_url: str) -> str:
    # Telegram stage notices: 4 sent after 1, 2, 3 and 10 minutes (one by SMS), 1 failed.
    for minutes in (1, 2, 3):
        _add(db_url, "telegram", "documents_accepted", "sent", minutes)
    _add(db_url, "telegram", "documents_accepted", "sent", 10, fell_back=True)
    _add(db_url, "telegram", "documents_accepted", "failed", None)
    # Web chat: 4 review notices, 3 shown after 5, 5 and 60 minutes, 1 still pending.
    for minutes in (5, 5, 60):
        _add(db_url, "webchat", "review_done", "sent", minutes)
    _add(db_url, "webchat", "review_done", "pending", None)
    # Not a stage notice: an agent's message; and a notice outside the period.
    _add(db_url, "webchat", "agent_message", "sent", 1)
    _add(db_url, "telegram", "documents_accepted", "failed", None, at=END)
    return db_url


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile(list(range(1, 12)), 0.9) == 10  # rank ceil(9.9) = 10


def test_figures_per_channel_and_kind(outbox: str) -> None:
    stats = delivery_stats(START, END, url=outbox)
    rows = {(r.channel, r.kind): r for r in stats.rows}
    assert set(rows) == {("telegram", "documents_accepted"), ("webchat", "review_done"),
                         ("webchat", "agent_message")}
    tg = rows[("telegram", "documents_accepted")]
    assert (tg.queued, tg.delivered, tg.failed, tg.pending, tg.by_sms) == (5, 4, 1, 0, 1)
    assert tg.share == 0.8
    assert tg.median_seconds == 150.0  # (2 + 3) / 2 minutes
    assert tg.p90_seconds == 600.0  # rank ceil(3.6) = 4 of 1, 2, 3, 10 minutes
    web = rows[("webchat", "review_done")]
    assert (web.queued, web.delivered, web.pending, web.share) == (4, 3, 1, 0.75)
    assert (web.median_seconds, web.p90_seconds) == (300.0, 3600.0)


def test_proactive_notices_against_the_target(outbox: str) -> None:
    stats = delivery_stats(START, END, url=outbox)
    assert (stats.proactive.queued, stats.proactive.delivered) == (9, 7)
    assert stats.proactive.share == pytest.approx(7 / 9)
    assert stats.met is False and stats.target == 0.9
    assert (stats.total.queued, stats.total.delivered) == (10, 8)
    kpi = proactive_notice_kpi(START, END, url=outbox)
    assert (kpi.value, kpi.numerator, kpi.denominator, kpi.target, kpi.met) == (
        pytest.approx(7 / 9), 7.0, 9.0, 0.9, False)


def test_an_empty_period_has_no_figure_rather_than_zero(db_url: str) -> None:
    stats = delivery_stats(START, END, url=db_url)
    assert stats.proactive.share is None and stats.met is None and stats.rows == ()


def test_the_command_prints_the_table_and_json(outbox: str, capsys) -> None:
    assert main(["--db-url", outbox, "notices", "stats", "--from", "2026-11-01T08:00",
                 "--to", "2026-12-01T08:00"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"telegram +documents_accepted", out) and "80.0%" in out
    assert "77.8% (目标 target 90%): 未达标 / NOT met" in out
    assert "渠道 channel" in out and "送达率 share" in out
    assert main(["--db-url", outbox, "notices", "stats", "--from", "2026-11-01T08:00",
                 "--to", "2026-12-01T08:00", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["proactive"]["delivered"] == 7 and data["met"] is False


def test_to_as_a_date_includes_that_day_as_the_report_does(outbox: str, capsys) -> None:
    # The notices were queued 2 November 00:00 UTC = 08:00 in Shanghai: the day 2026-11-02.
    assert main(["--db-url", outbox, "notices", "stats", "--from", "2026-11-02", "--to",
                 "2026-11-02", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["queued"] == 10
    # Local times with the offset, the day's bounds (not naive UTC "2026-11-01T16:00:00").
    assert (data["start"], data["end"]) == ("2026-11-02T00:00:00+08:00",
                                            "2026-11-03T00:00:00+08:00")
    # UTC alongside, for machines.
    assert datetime.fromisoformat(data["start_utc"].rstrip("Z")) == \
        datetime.fromisoformat(data["start"]).astimezone(timezone.utc).replace(tzinfo=None)
    assert main(["--db-url", outbox, "notices", "stats", "--from", "2026-11-01", "--to",
                 "2026-11-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["queued"] == 0


@pytest.mark.parametrize("argv, named", [
    (["--from", "0001-01-01", "--to", "9999-12-31"], "--to"),
    (["--from", "2026-11-05", "--to", "2026-11-01"], "before it starts"),
    (["--to", "garbage"], "--to"),
    (["--now", "garbage"], "--now"),
    (["--days", "1e12"], "--days"),
])
def test_bad_periods_are_one_line_and_exit_2(db_url: str, capsys, argv, named) -> None:
    assert main(["--db-url", db_url, "notices", "stats", *argv]) == 2
    err = capsys.readouterr().err
    assert named in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
