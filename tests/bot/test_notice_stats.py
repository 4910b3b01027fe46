"""Delivery figures (issue #15, part 4): share delivered per channel and kind, median and P90
delivery time, proactive status notices against the 90% target; known answers."""
from __future__ import annotations

import json
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
    assert "telegram  documents_accepted" in out and "80.0%" in out
    assert "77.8% (target 90%): NOT met" in out
    assert main(["--db-url", outbox, "notices", "stats", "--from", "2026-11-01T08:00",
                 "--to", "2026-12-01T08:00", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["proactive"]["delivered"] == 7 and data["met"] is False
    # The period in local time with its offset, as the text's header says it; UTC alongside.
    header = out.splitlines()[0]
    start, end = (datetime.fromisoformat(data[key]) for key in ("start", "end"))
    assert start.utcoffset() is not None and end.utcoffset() is not None
    assert header == (f"notices queued {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}")
    assert datetime.fromisoformat(data["start_utc"].rstrip("Z")) == \
        start.astimezone(timezone.utc).replace(tzinfo=None)
