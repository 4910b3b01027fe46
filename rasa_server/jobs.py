"""The Rasa server's periodic rounds: notice delivery (the outbox through the registered senders),
retention, the back-office round (lights, complaint clocks, review flags -> tasks) and the
missing-document chase, each in this server's event loop on one shared loop (`PeriodicJob`)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from functools import partial
from typing import Any, Callable, Mapping

from bot.outbox.delivery import DeliveryReport, deliver_pending
from bot.outbox.senders import Sender, registered_senders

logger = logging.getLogger(__name__)


class PeriodicJob:
    """A round of work every `interval_s` in this server's event loop (after `first_delay_s`);
    a failed round is logged and the next one comes as planned. Subclasses give `run_once`."""

    name = "job"
    first_delay_s = 0.0

    def __init__(self, interval_s: float) -> None:
        self.interval_s = float(interval_s)
        self._task: asyncio.Task | None = None

    async def run_once(self, now: datetime | None = None) -> Any:
        raise NotImplementedError

    async def _loop(self) -> None:
        await asyncio.sleep(self.first_delay_s)
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store may be briefly unavailable: try again next round
                logger.exception("%s: round failed", self.name)
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        if self.interval_s <= 0:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class NoticeDelivery(PeriodicJob):
    """Runs bot.outbox.delivery.deliver_pending in a worker thread, one round at a time per
    process."""

    name = "notices"

    def __init__(self, interval_s: float,
                 senders: Callable[[], Mapping[str, Sender]] = registered_senders) -> None:
        super().__init__(max(float(interval_s), 0.5))
        self._senders = senders
        self._round: asyncio.Lock | None = None

    async def run_once(self, now: datetime | None = None) -> DeliveryReport:
        if self._round is None:
            self._round = asyncio.Lock()
        async with self._round:
            senders = dict(self._senders())
            if not senders:
                return DeliveryReport()
            loop = asyncio.get_running_loop()
            report = await loop.run_in_executor(None, partial(deliver_pending, senders, now=now))
        if report.sent or report.retrying or report.failed:
            logger.info("notices: sent %s, retrying %s, failed %s",
                        report.sent, report.retrying, report.failed)
        if report.fell_back:  # the customer's channel could not carry them: SMS instead
            logger.info("notices: handed to SMS %s", report.fell_back)
        return report

    def trigger(self) -> None:
        """A delivery round now, without waiting for it."""
        task = asyncio.get_running_loop().create_task(self.run_once())
        task.add_done_callback(_log_failure)


class RetentionRounds(PeriodicJob):
    """Runs bot.retention.run_retention in a worker thread every `interval_s` (0: never); it
    only deletes what is past its period, so replicas doing the same round at once do no harm."""

    name = "retention"
    first_delay_s = 60.0

    async def run_once(self, now: datetime | None = None) -> Any:
        from bot.retention import RetentionError, run_retention

        try:
            report = await asyncio.get_running_loop().run_in_executor(
                None, partial(run_retention, now, actor="server:retention"))
        except RetentionError as error:
            logger.error("retention: %s", error)
            return error.report
        logger.info("retention: %s", ", ".join(f"{kind} {count}"
                                                 for kind, count in report.counts.items()))
        return report


class BackOfficeRounds(PeriodicJob):
    """Runs bot.back_office.run_back_office_round in a worker thread every `interval_s` (0: never):
    claim lights open supervision tasks and escalations, complaint clocks and review flags open
    tasks. Every trigger has a dedupe key, so replicas running the same round open nothing twice."""

    name = "back_office"

    def __init__(self, interval_s: float) -> None:
        super().__init__(interval_s)
        # The first round soon after the start, not a whole interval later.
        self.first_delay_s = min(self.interval_s, 30.0)

    async def run_once(self, now: datetime | None = None) -> Any:
        from bot.back_office import run_back_office_round

        report = await asyncio.get_running_loop().run_in_executor(
            None, partial(run_back_office_round, now, actor="server:back-office"))
        opened = (report.supervision_opened + report.escalated + report.reviews_opened
                  + report.complaint_clocks_opened)
        if opened or report.cancelled or report.failed:
            logger.info("back office: opened %s, cancelled %s, failed %s",
                        ", ".join(opened) or "nothing", report.cancelled,
                        ", ".join(report.failed) or "none")
        await self.alerts(now)
        return report

    async def alerts(self, now: datetime | None = None) -> Any:
        """s-seed-alerts: the alerts round after each back-office round (bot/alerts.py: spikes
        and KPIs below target open supervisor tasks and are e-mailed). Run here rather than
        inside bot.back_office, which the KPIs' own imports reach (no import cycle in bot/)."""
        from bot.alerts import run_alerts

        try:
            alerts = await asyncio.get_running_loop().run_in_executor(
                None, partial(run_alerts, now, actor="server:alerts"))
        except Exception:  # noqa: BLE001 - logged; the next round tries again
            logger.exception("back office: alerts failed")
            return None
        if alerts.opened or alerts.email_failed:
            logger.info("alerts: opened %s, e-mail failed %s", ", ".join(alerts.opened) or
                        "nothing", ", ".join(alerts.email_failed) or "none")
        return alerts


class DocumentChase(PeriodicJob):
    """Runs bot.documents.chase.chase_missing_documents in a worker thread every `interval_s`
    (0: never): reminders due go to the outbox (delivered by the notice round), chase tasks
    open, and a claim whose checklist is complete stops being chased. Each reminder has its own
    dedupe key, so replicas running the round at once queue it once."""

    name = "documents-chase"
    first_delay_s = 30.0

    async def run_once(self, now: datetime | None = None) -> Any:
        from bot.documents.chase import chase_missing_documents

        report = await asyncio.get_running_loop().run_in_executor(
            None, partial(chase_missing_documents, now))
        if report.reminded or report.tasks or report.complete:
            logger.info("documents-chase: reminded %s, tasks %s, complete %s",
                        len(report.reminded), len(report.tasks), len(report.complete))
        return report


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("notices: delivery round failed: %r", task.exception())
