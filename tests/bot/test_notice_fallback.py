"""Notices that always arrive (issue #15, part 2): the customer's channel first; a channel that
cannot deliver, or a web chat notice no page picked up in time, goes by SMS to the phone on
file, once, recorded on the notice. Every case runs on an injected clock."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.outbox.delivery import acknowledge_messages, collect_messages, deliver_pending
from bot.outbox.senders import (
    SMS_FALLBACK,
    ChannelCannotDeliver,
    Notice,
    PermanentDeliveryError,
)
from bot.outbox.templates import load_templates, summary, template_for
from bot.outbox.windows import WHATSAPP_WINDOW, record_inbound, window_open
from bot.store.db import unit_of_work
from bot.store.models import AuditEntry, Notification

COLLISION = "CLM-2026-000004"
MINUTE = timedelta(minutes=1)


def _queue(url: str, *, channel: str, conversation: str, at: datetime, kind: str = "test",
           customer: bool = True) -> int:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(COLLISION)
        row = uow.notifications.add(Notification(
            claim_id=claim.id, customer_id=claim.policy.customer_id if customer else None,
            channel=channel, conversation_id=conversation, kind=kind, body="材料已审核通过。",
            language="zh", status="pending", attempts=0,
            dedupe_key=f"{kind}:{channel}:{conversation}:{at.isoformat()}", created_at=at))
        uow.commit()
        return row.id


def _row(url: str, notification_id: int) -> SimpleNamespace:
    with unit_of_work(url) as uow:
        row = uow.session.get(Notification, notification_id)
        return SimpleNamespace(**{c.key: getattr(row, c.key) for c in Notification.__table__.c})


class Recorder:
    """A sender that records what it was given, and raises what it is told to."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.got: list[Notice] = []

    def __call__(self, notice: Notice) -> None:
        self.got.append(notice)
        if self.errors:
            raise self.errors.pop(0)


# --- a channel that cannot deliver ---------------------------------------------------------------

def test_a_blocked_telegram_user_gets_the_notice_by_sms_once(seeded_url: str,
                                                             now: datetime) -> None:
    nid = _queue(seeded_url, channel="telegram", conversation="tg-42", at=now)
    telegram = Recorder(ChannelCannotDeliver("telegram: Forbidden: bot was blocked by the user"))
    sms = Recorder()
    report = deliver_pending({"telegram": telegram, SMS_FALLBACK: sms}, now=now, url=seeded_url)
    assert report.sent == [nid] and report.fell_back == [nid]
    assert [n.id for n in telegram.got] == [nid] and [n.id for n in sms.got] == [nid]
    row = _row(seeded_url, nid)
    assert (row.status, row.delivered_channel, row.sent_at, row.fell_back_at) == (
        "sent", "sms", now, now)
    assert row.fallback_reason == ("ChannelCannotDeliver: telegram: Forbidden: bot was blocked "
                                   "by the user")
    # Never again, by either road.
    later = deliver_pending({"telegram": telegram, SMS_FALLBACK: sms}, now=now + timedelta(days=1),
                            url=seeded_url)
    assert later.sent == [] and len(telegram.got) == 1 and len(sms.got) == 1
    with unit_of_work(seeded_url) as uow:
        actions = [e.action for e in uow.session.query(AuditEntry)
                   .filter(AuditEntry.subject_type == "notification")]
    assert actions == ["notification.fell_back"]


def test_a_failed_sms_fallback_is_retried_by_sms_never_by_the_first_channel(
        seeded_url: str, now: datetime) -> None:
    nid = _queue(seeded_url, channel="whatsapp-like", conversation="wa-1", at=now)
    first = Recorder(ChannelCannotDeliver("whatsapp: outside the 24-hour window"))
    sms = Recorder(ConnectionError("twilio timed out"))
    senders = {"whatsapp-like": first, SMS_FALLBACK: sms}
    report = deliver_pending(senders, now=now, url=seeded_url)
    assert report.retrying == [nid] and report.fell_back == [nid]
    row = _row(seeded_url, nid)
    assert row.status == "pending" and row.fallback_reason.startswith("ChannelCannotDeliver")
    report = deliver_pending(senders, now=now + MINUTE, url=seeded_url)
    assert report.sent == [nid] and len(first.got) == 1 and len(sms.got) == 2
    assert sms.got[1].fallback_reason == row.fallback_reason
    assert _row(seeded_url, nid).delivered_channel == "sms"


def test_a_handed_over_notice_waits_for_a_worker_that_has_sms(seeded_url: str,
                                                              now: datetime) -> None:
    _queue(seeded_url, channel="telegram", conversation="tg-42", at=now)
    sms = Recorder(ConnectionError("down"))
    telegram = Recorder(ChannelCannotDeliver("telegram: blocked"))
    deliver_pending({"telegram": telegram, SMS_FALLBACK: sms}, now=now, url=seeded_url)
    # A worker with Telegram only must not send it on Telegram again.
    assert deliver_pending({"telegram": telegram}, now=now + timedelta(hours=1),
                           url=seeded_url).sent == []
    assert len(telegram.got) == 1


def test_without_an_sms_fallback_the_notice_fails_saying_why(seeded_url: str,
                                                            now: datetime) -> None:
    nid = _queue(seeded_url, channel="telegram", conversation="tg-42", at=now)
    report = deliver_pending({"telegram": Recorder(ChannelCannotDeliver("telegram: blocked"))},
                             now=now, url=seeded_url)
    assert report.failed == [nid]
    row = _row(seeded_url, nid)
    assert row.status == "failed" and "no SMS fallback configured" in row.last_error
    assert row.fallback_reason is None


def test_a_permanent_error_of_sms_itself_fails_the_notice(seeded_url: str, now: datetime) -> None:
    nid = _queue(seeded_url, channel="telegram", conversation="tg-42", at=now)
    sms = Recorder(PermanentDeliveryError("no phone number on file for the caller"))
    report = deliver_pending({"telegram": Recorder(ChannelCannotDeliver("blocked")),
                              SMS_FALLBACK: sms}, now=now, url=seeded_url)
    assert report.failed == [nid]
    row = _row(seeded_url, nid)
    assert row.status == "failed" and row.fallback_reason is not None


def test_other_permanent_errors_do_not_fall_back(seeded_url: str, now: datetime) -> None:
    nid = _queue(seeded_url, channel="telegram", conversation="tg-42", at=now)
    sms = Recorder()
    report = deliver_pending({"telegram": Recorder(PermanentDeliveryError("invalid number")),
                              SMS_FALLBACK: sms}, now=now, url=seeded_url)
    assert report.failed == [nid] and sms.got == []


# --- the web chat page that never picked it up ----------------------------------------------

def test_a_web_chat_notice_not_picked_up_in_time_goes_by_sms(seeded_url: str, now: datetime,
                                                             monkeypatch) -> None:
    monkeypatch.setenv("CLAIMS_WEBCHAT_PICKUP_MINUTES", "30")
    from bot.settings import get_settings

    get_settings.cache_clear()
    try:
        nid = _queue(seeded_url, channel="webchat", conversation="web-1", at=now)
        sms = Recorder()
        senders = {"telegram": Recorder(), SMS_FALLBACK: sms}
        assert deliver_pending(senders, now=now + 29 * MINUTE, url=seeded_url).sent == []
        report = deliver_pending(senders, now=now + 30 * MINUTE, url=seeded_url)
        assert report.sent == [nid] == report.fell_back and [n.id for n in sms.got] == [nid]
        row = _row(seeded_url, nid)
        assert row.fallback_reason == "webchat: not picked up within 30 minutes"
        assert (row.delivered_channel, row.sent_at) == ("sms", now + 30 * MINUTE)
        # The page opened later neither shows it nor can acknowledge it.
        assert collect_messages("web-1", now=now + 31 * MINUTE, url=seeded_url) == []
        assert acknowledge_messages("web-1", [nid], now=now + 31 * MINUTE,
                                    url=seeded_url) == [nid]
        assert _row(seeded_url, nid).delivered_channel == "sms"
    finally:
        get_settings.cache_clear()


def test_a_notice_the_page_holds_or_showed_is_not_sent_by_sms(seeded_url: str,
                                                              now: datetime) -> None:
    shown = _queue(seeded_url, channel="webchat", conversation="web-1", at=now)
    held = _queue(seeded_url, channel="webchat", conversation="web-2", at=now)
    [message] = collect_messages("web-1", now=now + MINUTE, url=seeded_url)
    acknowledge_messages("web-1", [message.id], now=now + MINUTE, url=seeded_url)
    # web-2's page collected it just now and has its lease (15 s) to acknowledge it.
    pickup = now + timedelta(hours=2)
    collect_messages("web-2", now=pickup - timedelta(seconds=5), url=seeded_url)
    sms = Recorder()
    report = deliver_pending({SMS_FALLBACK: sms}, now=pickup, url=seeded_url)
    assert report.sent == [] and sms.got == []
    assert _row(seeded_url, shown).delivered_channel == "webchat"
    assert _row(seeded_url, held).fallback_reason is None


def test_a_message_to_an_unknown_visitor_waits_for_the_page(seeded_url: str,
                                                            now: datetime) -> None:
    nid = _queue(seeded_url, channel="webchat", conversation="web-9", at=now, customer=False)
    report = deliver_pending({SMS_FALLBACK: Recorder()}, now=now + timedelta(days=1),
                             url=seeded_url)
    assert report.sent == [] and _row(seeded_url, nid).status == "pending"


# --- WhatsApp's 24-hour window and its templates ------------------------------------------------

def test_the_window_is_open_24_hours_after_the_customers_last_message(db_url: str,
                                                                      now: datetime) -> None:
    assert not window_open("wa-+8613900000001", WHATSAPP_WINDOW, now=now, url=db_url)
    record_inbound("wa-+8613900000001", "twilio", at=now, url=db_url)
    record_inbound("wa-+8613900000001", "twilio", at=now - timedelta(hours=3), url=db_url)
    assert window_open("wa-+8613900000001", WHATSAPP_WINDOW, now=now + timedelta(hours=24),
                       url=db_url)
    assert not window_open("wa-+8613900000001", WHATSAPP_WINDOW,
                           now=now + timedelta(hours=24, seconds=1), url=db_url)


def _templates(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "templates.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_templates_are_read_per_kind_and_language(tmp_path: Path) -> None:
    path = _templates(tmp_path, """
templates:
  documents_accepted:
    zh: {content_sid: HX0123456789abcdef0123456789abcdef, variables: {"1": claim_number,
         "2": summary}}
""")
    template = template_for("documents_accepted", "zh", path=path)
    assert template is not None and template.content_sid == "HX" + "0123456789abcdef" * 2
    assert template_for("documents_accepted", "en", path=path) is None
    assert template_for("review_done", "zh", path=path) is None
    notice = Notice(id=1, claim_number="CLM-2026-000004", customer_id=1, channel="twilio",
                    conversation_id="wa-+8613900000001", language="zh",
                    kind="documents_accepted", body="您的案件材料已审核通过。\n下一步：定损。",
                    attempt=1)
    assert template.content_variables(notice) == (
        '{"1": "CLM-2026-000004", "2": "您的案件材料已审核通过。"}')
    assert summary("  a \t b\n" + "x") == "a b" and len(summary("长" * 400)) == 255


@pytest.mark.parametrize("entry, problem", [
    ("{content_sid: HX123, variables: {}}", "content_sid"),
    ('{content_sid: HX0123456789abcdef0123456789abcdef, variables: {"1": policy}}', "variable"),
])
def test_a_malformed_template_is_refused(tmp_path: Path, entry: str, problem: str) -> None:
    path = _templates(tmp_path, f"templates:\n  closed:\n    zh: {entry}\n")
    with pytest.raises(ValueError, match=problem):
        load_templates(path)


def test_the_packaged_template_file_loads() -> None:
    assert isinstance(load_templates(), dict)
