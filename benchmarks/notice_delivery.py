"""Notice delivery on a simulated morning: every road of the delivery policy once, through the
real senders and the local Twilio and Telegram stand-ins (real HTTP), on an injected clock; then
the delivery figures (`python -m bot notices stats`) of the notices it queued.

    .venv/bin/python benchmarks/notice_delivery.py [--json]

The morning (from 10:00 Shanghai time, one delivery round a minute for 40 minutes):
  Telegram        two customers; one has blocked the bot (403) -> SMS to the phone on file
  WhatsApp        wrote an hour ago -> free text; wrote 30 h ago and the kind has an approved
                  template -> the template; wrote 30 h ago, no template -> SMS
  web chat        one page collects its notice at 10:02; one is never opened -> SMS at 10:30
  phone report    the claim reported in a call -> the SMS receipt
Nothing here is timed against a target: it shows where each notice went and how long it took.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from tests.standins.telegram import TelegramStandIn  # noqa: E402
from tests.standins.twilio import TwilioStandIn  # noqa: E402

T0 = datetime(2026, 11, 22, 2, 0)  # naive UTC: 10:00 in Shanghai
SID = "HX" + "0123456789abcdef" * 2
BLOCKED_CHAT = 1002


_reported: list[str] = []  # the morning's claims: each a different accident


def _report(url: str, channel: str, conversation: str, *, at: datetime) -> str:
    from bot.claims.reporting import ReportDraft, submit_report
    from bot.store.db import unit_of_work

    with unit_of_work(url) as uow:
        policy = uow.policies.by_number("AUTO-2026-0001")
        customer_id = policy.customer_id
        known = tuple(claim.number for claim in policy.claims)
    draft = ReportDraft(policy_number="AUTO-2026-0001", incident_type="collision",
                        incident_at=at - timedelta(days=1 + len(_reported)), place="中山路",
                        estimated_amount=Decimal("3000"), language="zh", channel=channel,
                        conversation_id=conversation, distinct_from=known)
    _reported.append(submit_report(draft, verified_customer_id=customer_id, now=at,
                                   actor="bench", url=url).claim_number)
    return _reported[-1]


def _notice(url: str, channel: str, conversation: str, target: str, *, at: datetime) -> str:
    from bot.claims.lifecycle import advance_claim

    number = _report(url, channel, conversation, at=at)
    advance_claim(number, "documents_review", actor="bench", now=at, url=url)
    advance_claim(number, target, actor="bench", now=at, url=url)
    return number


def run(directory: Path, twilio: TwilioStandIn, telegram: TelegramStandIn) -> dict:
    url = f"sqlite:///{directory / 'claims.db'}"
    templates = directory / "templates.yml"
    templates.write_text("templates:\n  documents_accepted:\n    zh: {content_sid: " + SID +
                         ', variables: {"1": claim_number, "2": summary}}\n', encoding="utf-8")
    os.environ.update({
        "CLAIMS_DB_URL": url, "CLAIMS_VAR_DIR": str(directory),
        "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_API_BASE": twilio.base_url, "TWILIO_SMS_FROM": "+15005550006",
        "TWILIO_WHATSAPP_FROM": "+14155238886", "CLAIMS_WHATSAPP_TEMPLATES": str(templates),
        "CLAIMS_WEBCHAT_PICKUP_MINUTES": "30",
    })
    from bot.outbox.delivery import acknowledge_messages, collect_messages, deliver_pending
    from bot.outbox.senders import SMS_FALLBACK
    from bot.outbox.stats import delivery_stats
    from bot.outbox.windows import record_inbound
    from bot.seed import seed
    from bot.settings import get_settings
    from bot.store.migrate import upgrade
    from channels.telegram_output import TelegramNoticeSender
    from channels.twilio_rest import send_call_notice, send_notice

    get_settings.cache_clear()
    upgrade(url)
    seed(url, today=T0.date())
    telegram.block(BLOCKED_CHAT)
    wa_recent, wa_old, wa_old2 = ("wa-+861390000000" + str(i) for i in (1, 2, 3))
    record_inbound(wa_recent, "twilio", at=T0 - timedelta(hours=1), url=url)
    record_inbound(wa_old, "twilio", at=T0 - timedelta(hours=30), url=url)
    record_inbound(wa_old2, "twilio", at=T0 - timedelta(hours=30), url=url)
    _notice(url, "telegram", "tg-1001", "assessment", at=T0)
    _notice(url, "telegram", f"tg-{BLOCKED_CHAT}", "assessment", at=T0)
    _notice(url, "twilio", wa_recent, "assessment", at=T0)
    _notice(url, "twilio", wa_old, "assessment", at=T0)  # has a template
    _notice(url, "twilio", wa_old2, "investigation", at=T0)  # no template for this kind
    _notice(url, "webchat", "web-opened", "assessment", at=T0)
    _notice(url, "webchat", "web-never", "assessment", at=T0)
    _report(url, "twilio_voice", "call-CA1", at=T0)

    senders = {"telegram": TelegramNoticeSender(telegram.token, telegram.base_url),
               "twilio": send_notice, "twilio_voice": send_call_notice,
               SMS_FALLBACK: send_call_notice}
    for minute in range(41):
        at = T0 + timedelta(minutes=minute)
        if minute == 2:  # the page of web-opened polls and shows its notice
            shown = collect_messages("web-opened", now=at, url=url)
            acknowledge_messages("web-opened", [m.id for m in shown], now=at, url=url)
        deliver_pending(senders, now=at, url=url)
    stats = delivery_stats(T0, T0 + timedelta(hours=1), url=url)
    get_settings.cache_clear()
    return {"stats": stats, "twilio_messages": len(twilio.messages),
            "telegram_messages": len(telegram.calls_to("sendMessage"))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, TwilioStandIn() as twilio, \
            TelegramStandIn() as telegram:
        result = run(Path(tmp), twilio, telegram)
        from bot.store.db import dispose_engines

        dispose_engines()
    stats = result["stats"]
    if args.json:
        print(json.dumps(stats.as_dict(), ensure_ascii=False, indent=2))
        return 0
    print("| channel | kind | queued | delivered | by SMS | failed | pending | share | median "
          "| P90 |\n|---|---|---|---|---|---|---|---|---|---|")
    for row in (*stats.rows, stats.total, stats.proactive):
        share = "-" if row.share is None else f"{row.share:.0%}"
        median = "-" if row.median_seconds is None else f"{row.median_seconds / 60:.0f} min"
        p90 = "-" if row.p90_seconds is None else f"{row.p90_seconds / 60:.0f} min"
        print(f"| {row.channel} | {row.kind} | {row.queued} | {row.delivered} | {row.by_sms} "
              f"| {row.failed} | {row.pending} | {share} | {median} | {p90} |")
    print(f"\nproactive status notices delivered: {stats.proactive.share:.0%} "
          f"(target {stats.target:.0%}, {'met' if stats.met else 'NOT met'}); "
          f"Twilio API calls {result['twilio_messages']}, Telegram sendMessage calls "
          f"{result['telegram_messages']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
