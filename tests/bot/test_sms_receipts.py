"""Written receipts for phone reports (issue #15, part 3): SMS segments (GSM-7 160/153, UCS-2
70/67), a long receipt cut into numbered parts or replaced by a one-time web chat link, and the
link's token: single use, expiring, kept only as a hash."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from bot.claims.reporting import ReportDraft, submit_report
from bot.login_links import TOKEN_PATTERN, issue, link_url, redeem
from bot.outbox import sms
from bot.outbox.receipts import PHONE_RECEIPT_KIND, receipt_parts
from bot.store.db import unit_of_work
from bot.store.models import LoginLink, Notification
from tests.bot.test_reporting import YESTERDAY_3PM, customer_of

NOW = datetime(2026, 11, 22, 2, 0)


# --- segments ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, encoding, count", [
    ("", sms.GSM7, 0),
    ("a" * 160, sms.GSM7, 1),
    ("a" * 161, sms.GSM7, 2),
    ("a" * 306, sms.GSM7, 2),
    ("a" * 307, sms.GSM7, 3),
    ("€" * 80, sms.GSM7, 1),  # an extension character takes two septets
    ("€" * 81, sms.GSM7, 2),
    ("中" * 70, sms.UCS2, 1),
    ("中" * 71, sms.UCS2, 2),
    ("中" * 134, sms.UCS2, 2),
    ("中" * 135, sms.UCS2, 3),
    ("a" * 69 + "中", sms.UCS2, 1),  # one Chinese character makes the whole text UCS-2
    ("😀" * 35, sms.UCS2, 1),  # outside the BMP: two code units each
    ("😀" * 36, sms.UCS2, 2),
])
def test_segments_follow_the_encoding(text: str, encoding: str, count: int) -> None:
    assert sms.encoding(text) == encoding and sms.segments(text) == count


def test_a_concatenated_segment_never_splits_an_escape_pair() -> None:
    # 152 septets then a two-septet character: it starts the second segment, so 306 septets
    # take three segments, not the two that 306 / 153 would say.
    assert sms.segments("a" * 152 + "€" + "a" * 7) == 2
    assert sms.segments("a" * 152 + "€" + "a" * 152) == 3
    assert sms.segments("a" * 306) == 2


def test_a_long_text_is_cut_between_lines_into_numbered_parts() -> None:
    lines = [f"· 第{i}项：医院出具的费用清单原件" for i in range(1, 21)]
    parts = sms.split_parts("\n".join(lines), max_segments=2)
    assert len(parts) > 1
    assert all(sms.segments(part) <= 2 for part in parts)
    assert [part.split(" ", 1)[0] for part in parts] == [
        f"({i}/{len(parts)})" for i in range(1, len(parts) + 1)]
    # Nothing lost, nothing cut inside a line.
    body = "\n".join(part.split(" ", 1)[1] for part in parts)
    assert body.splitlines() == lines


def test_a_line_longer_than_a_part_is_cut_by_characters() -> None:
    parts = sms.split_parts("长" * 300, max_segments=1)
    assert all(sms.segments(part) == 1 for part in parts)
    assert "".join(part.split(" ", 1)[1] for part in parts) == "长" * 300


def test_a_short_text_is_one_unnumbered_part() -> None:
    assert sms.split_parts("案件号 CLM-2026-000005") == ["案件号 CLM-2026-000005"]


# --- the receipt of a phone report ---------------------------------------------------------

def _phone_report(url: str, *, amount: str = "3000", policy: str = "AUTO-2026-0001",
                  incident: str = "collision") -> str:
    draft = ReportDraft(policy_number=policy, incident_type=incident, incident_at=YESTERDAY_3PM,
                        place="中山路", description="被追尾了", injuries=False,
                        estimated_amount=Decimal(amount), channel="twilio_voice",
                        language="zh", conversation_id="call-CA123")
    return submit_report(draft, verified_customer_id=customer_of(url, policy), now=NOW,
                         actor="test", url=url).claim_number


def _receipt(url: str, number: str) -> Notification:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(number)
        [row] = [n for n in uow.notifications.listing(claim_id=claim.id)
                 if n.kind == PHONE_RECEIPT_KIND]
        uow.session.expunge(row)
        return row


def test_a_phone_report_queues_an_sms_receipt_with_number_documents_and_deadline(
        seeded_url: str, monkeypatch) -> None:
    monkeypatch.setenv("CLAIMS_SMS_RECEIPT_MAX_PARTS", "10")
    from bot.settings import get_settings

    get_settings.cache_clear()
    try:
        number = _phone_report(seeded_url)
    finally:
        get_settings.cache_clear()
    row = _receipt(seeded_url, number)
    assert (row.channel, row.status, row.conversation_id, row.created_at) == (
        "twilio_voice", "pending", "call-CA123", NOW)
    assert number in row.body and "24 小时内赔付" in row.body  # a small claim's deadline
    with unit_of_work(seeded_url) as uow:
        documents = [d.label_zh for d in uow.claims.by_number(number).documents
                     if d.mandatory and not d.fetched_by_insurer]
    assert documents and all(label in row.body for label in documents)
    assert "#k=" not in row.body
    with unit_of_work(seeded_url) as uow:
        assert uow.session.query(LoginLink).count() == 0


def test_a_receipt_over_the_part_limit_becomes_a_one_time_link(seeded_url: str,
                                                               monkeypatch) -> None:
    monkeypatch.setenv("CLAIMS_SMS_RECEIPT_MAX_PARTS", "1")
    monkeypatch.setenv("CLAIMS_PUBLIC_URL", "https://claims.example.com")
    from bot.settings import get_settings

    get_settings.cache_clear()
    try:
        number = _phone_report(seeded_url)
    finally:
        get_settings.cache_clear()
    body = _receipt(seeded_url, number).body
    assert number in body and "https://claims.example.com/webhooks/webchat/#k=" in body
    assert "72 小时内有效" in body
    token = body.split("#k=", 1)[1].split()[0]
    assert TOKEN_PATTERN.fullmatch(token)
    assert len(receipt_parts(body)) == 1
    with unit_of_work(seeded_url) as uow:
        [link] = uow.session.query(LoginLink).all()
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in link.token_hash and link.expires_at == NOW + timedelta(hours=72)


def test_without_a_public_address_a_long_receipt_still_goes_in_parts(seeded_url: str,
                                                                     monkeypatch) -> None:
    monkeypatch.setenv("CLAIMS_SMS_RECEIPT_MAX_PARTS", "1")
    monkeypatch.delenv("CLAIMS_PUBLIC_URL", raising=False)
    from bot.settings import get_settings

    get_settings.cache_clear()
    try:
        number = _phone_report(seeded_url)
    finally:
        get_settings.cache_clear()
    body = _receipt(seeded_url, number).body
    assert "#k=" not in body and len(receipt_parts(body)) > 1


def test_a_claim_reported_in_chat_gets_no_sms_receipt(seeded_url: str) -> None:
    draft = ReportDraft(policy_number="AUTO-2026-0001", incident_type="collision",
                        incident_at=YESTERDAY_3PM, place="中山路", injuries=False,
                        estimated_amount=Decimal("3000"), channel="telegram", language="zh",
                        conversation_id="tg-1")
    number = submit_report(draft, verified_customer_id=customer_of(seeded_url, "AUTO-2026-0001"),
                           now=NOW, actor="test", url=seeded_url).claim_number
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(number)
        assert [n.kind for n in uow.notifications.listing(claim_id=claim.id)] == []


# --- the one-time login link --------------------------------------------------------------------

def _link(url: str, hours: float = 72) -> str:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number("CLM-2026-000004")
        token = issue(uow, claim, now=NOW, lifetime=timedelta(hours=hours))
        uow.commit()
        return token


def test_a_link_logs_one_conversation_in_once(seeded_url: str) -> None:
    token = _link(seeded_url)
    login = redeem(token, "web-abc", now=NOW + timedelta(hours=1), url=seeded_url)
    assert login is not None and login.claim_number == "CLM-2026-000004"
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number("CLM-2026-000004")
        assert login.customer_id == claim.policy.customer_id
        assert login.policy_number == claim.policy.number
    # Spent: a second use (another tab, someone who saw the SMS) gets nothing.
    assert redeem(token, "web-def", now=NOW + timedelta(hours=1), url=seeded_url) is None
    assert redeem(token, "web-abc", now=NOW + timedelta(hours=1), url=seeded_url) is None


def test_a_link_expires(seeded_url: str) -> None:
    token = _link(seeded_url, hours=2)
    assert redeem(token, "web-abc", now=NOW + timedelta(hours=2), url=seeded_url) is None
    token = _link(seeded_url, hours=2)
    assert redeem(token, "web-abc", now=NOW + timedelta(hours=2) - timedelta(seconds=1),
                  url=seeded_url) is not None


def test_unknown_tokens_are_refused_and_audited(seeded_url: str) -> None:
    from bot.store.models import AuditEntry

    _link(seeded_url)
    assert redeem("A" * 22, "web-abc", now=NOW, url=seeded_url) is None
    assert redeem("", "web-abc", now=NOW, url=seeded_url) is None
    with unit_of_work(seeded_url) as uow:
        reasons = [e.detail["reason"] for e in uow.session.query(AuditEntry)
                   .filter(AuditEntry.action == "login_link.refused")]
    assert reasons == ["unknown", "unknown"]


def test_the_link_carries_the_token_in_the_fragment() -> None:
    assert link_url("tok_EN-123456789012", "https://c.example.com/") == (
        "https://c.example.com/webhooks/webchat/#k=tok_EN-123456789012")
