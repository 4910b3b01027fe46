"""Written receipts for claims reported in a phone call: the caller heard the receipt, and gets
it in writing by SMS too (the claim number, the one-time list of documents, the deadline).

The receipt goes in numbered SMS parts (bot.outbox.sms: 70 Chinese characters to a single SMS,
67 to each segment of a long one). When it would take more than `sms_receipt_max_parts` parts,
it goes as one short SMS with a one-time link that opens the web chat logged in for the claim
(bot.login_links), where the whole list is shown and documents can be uploaded. Without a
public address (CLAIMS_PUBLIC_URL) there is no link to give: the parts go, however many.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, List

from bot.clock import as_utc_naive
from bot.documents.checklist import item_line, notice_sections
from bot.replies import say
from bot.store.db import UnitOfWork
from bot.store.models import Claim, Notification

if TYPE_CHECKING:
    from bot.claims.reporting.service import Receipt

PHONE_CHANNEL = "twilio_voice"  # claims reported in a call (channels/twilio_voice.py)
PHONE_RECEIPT_KIND = "phone_receipt"


def receipt_sms_text(receipt: Receipt, lang: str) -> str:
    """The receipt written for SMS: no hints, one line a document."""
    needed, optional, _fetched = notice_sections(receipt.missing)
    lines = [say("sms_receipt.heading", lang, claim_number=receipt.claim_number,
                 incident=say(f"incident.{receipt.incident_type}", lang))]
    if needed:
        lines.append(say("sms_receipt.documents", lang))
        lines.extend(item_line(item, lang, with_hint=False) for item in needed)
    if optional:
        lines.append(say("notice_optional_heading", lang))
        lines.extend(item_line(item, lang, with_hint=False) for item in optional)
    lines.append(say(f"deadline.{receipt.deadline.code}", lang,
                     days=receipt.deadline.decision_days))
    lines.append(say("report_contact", lang))
    return "\n".join(lines)


def receipt_parts(text: str) -> List[str]:
    """The SMS parts a receipt text is sent in (the sender cuts it the same way)."""
    from bot.outbox.sms import split_parts

    return split_parts(text)


def render_phone_receipt(uow: UnitOfWork, claim: Claim, receipt: Receipt, *,
                         now: datetime | None = None, max_parts: int | None = None,
                         public_url: str | None = None) -> str:
    """The body of the SMS receipt: the written receipt, or, when it is longer than
    `max_parts` SMS parts and the server has a public address, the short text with a one-time
    link (issued in `uow`'s transaction)."""
    from bot.login_links import issue, link_lifetime, link_url
    from bot.settings import get_settings

    settings = get_settings()
    max_parts = settings.sms_receipt_max_parts if max_parts is None else max_parts
    public_url = settings.public_url if public_url is None else public_url
    lang = receipt.language
    text = receipt_sms_text(receipt, lang)
    if len(receipt_parts(text)) <= max_parts or not public_url:
        return text
    lifetime = link_lifetime()
    token = issue(uow, claim, now=now, lifetime=lifetime)
    return "\n".join([
        say("sms_receipt.link", lang, claim_number=receipt.claim_number,
            link=link_url(token, public_url), hours=f"{lifetime.total_seconds() / 3600:g}"),
        say(f"deadline.{receipt.deadline.code}", lang, days=receipt.deadline.decision_days),
    ])


def queue_phone_receipt(uow: UnitOfWork, claim: Claim, receipt: Receipt, *,
                        now: datetime | None = None) -> Notification | None:
    """Queue the SMS receipt of a claim reported in a call, in the report's transaction; None
    for a claim reported on another channel. It goes by SMS to the phone on file (the sender
    of the phone channel, channels/twilio_rest.py)."""
    if claim.channel != PHONE_CHANNEL:
        return None
    at = as_utc_naive(now)
    return uow.notifications.add(Notification(
        claim_id=claim.id, customer_id=claim.policy.customer_id,
        conversation_id=claim.conversation_id, channel=PHONE_CHANNEL, kind=PHONE_RECEIPT_KIND,
        body=render_phone_receipt(uow, claim, receipt, now=at), language=receipt.language,
        status="pending", attempts=0, dedupe_key=f"{PHONE_RECEIPT_KIND}:{claim.number}",
        created_at=at))
