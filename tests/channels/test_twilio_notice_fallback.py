"""Notices that always arrive, through the Twilio stand-in (real HTTP, real signatures):
WhatsApp inside its 24-hour window, as an approved Content Template past it, by SMS to the
phone on file when the kind has no template; and the SMS receipt of a claim reported by phone,
in numbered parts that each fit three SMS segments."""
# ruff: noqa: F811 (the fixtures of test_twilio_messaging are imported and used by name)
from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.claims.lifecycle import advance_claim
from bot.claims.reporting import ReportDraft, submit_report
from bot.outbox import sms
from bot.outbox.delivery import deliver_pending
from bot.outbox.notices import list_notices
from bot.outbox.senders import SMS_FALLBACK, registered_senders
from bot.settings import get_settings
from bot.store.db import unit_of_work
from channels.twilio_rest import send_call_notice
from tests.channels.test_twilio_messaging import (  # noqa: F401 (fixtures)
    CUSTOMER,
    OUR_SMS,
    OUR_WHATSAPP,
    agent,
    phone,
    seeded_file,
    store,
    twilio,
)

ON_FILE = "+8613800000001"  # 张伟's phone on file (13800000001), holder of AUTO-2026-0001
WHATSAPP = "whatsapp:" + CUSTOMER
SID = "HX" + "0123456789abcdef" * 2


def _whatsapp_claim(url: str) -> str:
    with unit_of_work(url) as uow:
        customer_id = uow.policies.by_number("AUTO-2026-0001").customer_id
    draft = ReportDraft(policy_number="AUTO-2026-0001", incident_type="collision",
                        incident_at=datetime.utcnow() - timedelta(days=1), place="中山路",
                        estimated_amount=Decimal("3000"), language="zh", channel="twilio",
                        conversation_id="wa-" + CUSTOMER)
    number = submit_report(draft, verified_customer_id=customer_id, actor="test",
                           url=url).claim_number
    advance_claim(number, "documents_review", actor="core-system", url=url)
    advance_claim(number, "assessment", actor="core-system", url=url)
    return number


def test_the_sms_fallback_sender_is_registered_with_the_channel(phone) -> None:
    assert registered_senders()[SMS_FALLBACK] is send_call_notice


def test_whatsapp_within_24_hours_is_free_text(phone, store) -> None:
    phone.send("你好", sender=WHATSAPP, to=OUR_WHATSAPP)  # the customer writes: window opens
    number = _whatsapp_claim(store)
    report = deliver_pending(registered_senders(), now=datetime.utcnow() + timedelta(hours=23),
                             url=store)
    assert report.sent and not report.fell_back
    [sent] = [m for m in phone.sent_to(WHATSAPP) if number in m.get("Body", "")]
    assert sent["From"] == OUR_WHATSAPP
    [row] = [n for n in list_notices(claim_number=number, url=store)
             if n.kind == "documents_accepted"]
    assert row.status == "sent"


def test_whatsapp_past_24_hours_without_a_template_goes_by_sms_to_the_phone_on_file(
        phone, store) -> None:
    phone.send("你好", sender=WHATSAPP, to=OUR_WHATSAPP)
    number = _whatsapp_claim(store)
    later = datetime.utcnow() + timedelta(hours=25)
    before = len(phone.sent_to(WHATSAPP))
    report = deliver_pending(registered_senders(), now=later, url=store)
    assert report.sent == report.fell_back and report.sent
    assert len(phone.sent_to(WHATSAPP)) == before  # nothing more on WhatsApp
    [sent] = phone.sent_to(ON_FILE)
    assert number in sent["Body"] and sent["From"] == OUR_SMS
    with unit_of_work(store) as uow:
        claim = uow.claims.by_number(number)
        [row] = [n for n in uow.notifications.listing(claim_id=claim.id)
                 if n.kind == "documents_accepted"]
        assert (row.status, row.channel, row.delivered_channel) == ("sent", "twilio", "sms")
        assert "no approved template for 'documents_accepted'" in row.fallback_reason
    # Not twice: later rounds send nothing, on either road.
    deliver_pending(registered_senders(), now=later + timedelta(hours=2), url=store)
    assert len(phone.sent_to(ON_FILE)) == 1 and len(phone.sent_to(WHATSAPP)) == before


def test_whatsapp_past_24_hours_uses_the_kinds_approved_template(phone, store, tmp_path: Path,
                                                                 monkeypatch) -> None:
    templates = tmp_path / "templates.yml"
    templates.write_text(f"""
templates:
  documents_accepted:
    zh: {{content_sid: {SID}, variables: {{"1": claim_number, "2": summary}}}}
""", encoding="utf-8")
    monkeypatch.setenv("CLAIMS_WHATSAPP_TEMPLATES", str(templates))
    get_settings.cache_clear()
    phone.send("你好", sender=WHATSAPP, to=OUR_WHATSAPP)
    number = _whatsapp_claim(store)
    report = deliver_pending(registered_senders(), now=datetime.utcnow() + timedelta(hours=30),
                             url=store)
    assert report.sent and not report.fell_back
    [sent] = [m for m in phone.sent_to(WHATSAPP) if m.get("ContentSid")]
    assert sent["ContentSid"] == SID and sent["From"] == OUR_WHATSAPP
    assert "Body" not in sent  # a template goes without a Body, as Twilio requires
    variables = json.loads(sent["ContentVariables"])
    assert variables["1"] == number and "\n" not in variables["2"]
    assert phone.sent_to(ON_FILE) == []


def test_whatsapp_refusing_for_the_window_falls_back_to_sms(phone, store) -> None:
    phone.send("你好", sender=WHATSAPP, to=OUR_WHATSAPP)
    number = _whatsapp_claim(store)
    phone.twilio.fail_next(400, code=63016)  # Twilio's own answer outside the window
    report = deliver_pending(registered_senders(), url=store)
    assert report.sent == report.fell_back and report.sent
    [sent] = phone.sent_to(ON_FILE)
    assert number in sent["Body"]


def test_a_phone_report_gets_its_receipt_by_sms_in_parts(phone, store) -> None:
    with unit_of_work(store) as uow:
        customer_id = uow.policies.by_number("AUTO-2026-0001").customer_id
    draft = ReportDraft(policy_number="AUTO-2026-0001", incident_type="collision",
                        incident_at=datetime.utcnow() - timedelta(days=1), place="中山路",
                        estimated_amount=Decimal("3000"), language="zh",
                        channel="twilio_voice", conversation_id="call-CA0123")
    number = submit_report(draft, verified_customer_id=customer_id, actor="test",
                           url=store).claim_number
    report = deliver_pending(registered_senders(), url=store)
    assert report.sent and not report.failed
    bodies = [m["Body"] for m in phone.sent_to(ON_FILE)]
    assert bodies and number in bodies[0]
    assert all(sms.segments(body) <= sms.SEGMENTS_PER_PART for body in bodies)
    if len(bodies) > 1:
        assert [b.split(" ", 1)[0] for b in bodies] == [
            f"({i}/{len(bodies)})" for i in range(1, len(bodies) + 1)]
    text = "\n".join(b.split(" ", 1)[1] if len(bodies) > 1 else b for b in bodies)
    with unit_of_work(store) as uow:
        documents = [d.label_zh for d in uow.claims.by_number(number).documents
                     if d.mandatory and not d.fetched_by_insurer]
    assert all(label in text for label in documents) and "24 小时内赔付" in text
    print(f"\nSMS receipt: {len(bodies)} part(s), "
          f"{sum(sms.segments(b) for b in bodies)} segment(s)\n" + "\n---\n".join(bodies))
