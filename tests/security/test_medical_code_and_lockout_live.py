"""Attacks F2 and F3 of the independent test, through the web chat of the real servers (Twilio's
stand-in receives the SMS codes).

F2: a customer verified with one policy (张伟, AUTO-2026-0001 and his date of birth) sees none of
his medical policy's claims (MED-2026-0001) until the SMS code sent to the phone on file is given
in this conversation: not in the status list, not by naming the claim, not in the web chat's
document list; after the code, what was asked is answered.
F3: strangers' wrong answers lock the policy but send the holder no SMS (wrong answers while
locked get the same words as right ones); the holder with the right date of birth then gets a
code and gets in.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete

from bot.claims.reporting.service import ReportDraft, submit_report
from bot.clock import utc_now
from bot.replies import say
from bot.settings import get_settings
from bot.store.db import unit_of_work
from bot.store.models import Base, Claim
from tests.support.sms_code import code_sent_to
from tests.support.webchat import WebChat, lock_by_strangers

ZHANG_PHONE = "+8613800000001"
JOHN_PHONE = "+8613800000003"
HOSPITAL = "测试协和医院"


@pytest.fixture
def zhang_medical_claim(claims_db_url):  # noqa: ANN001
    """A medical claim on 张伟's MED-2026-0001, removed again afterwards (other tests count his
    claims)."""
    now = utc_now()
    with unit_of_work(claims_db_url) as uow:
        customer_id = uow.policies.by_number("MED-2026-0001").customer_id
    draft = ReportDraft(policy_number="MED-2026-0001", incident_type="hospitalisation",
                        incident_at=now - timedelta(days=2), hospital=HOSPITAL,
                        estimated_amount=Decimal("8765"), language="zh")
    number = submit_report(draft, verified_customer_id=customer_id, now=now,
                           actor="test:f2", url=claims_db_url).claim_number
    yield number
    with unit_of_work(claims_db_url) as uow:
        claim_id = uow.claims.by_number(number).id
        for table in reversed(Base.metadata.sorted_tables):
            if "claim_id" in table.c and table.name != Claim.__tablename__:
                uow.session.execute(delete(table).where(table.c.claim_id == claim_id))
        uow.session.execute(delete(Claim).where(Claim.id == claim_id))
        uow.commit()


def _no_medical_detail(text: str) -> None:
    for detail in (HOSPITAL, "8,765", "8765", "住院", "hospital"):
        assert detail not in text, f"{detail!r} shown before the SMS code: {text!r}"


@pytest.mark.e2e
def test_a_medical_claim_needs_the_code_when_verified_through_another_policy(
    claims_servers, twilio_standin, zhang_medical_claim, forget_attempts
):
    medical = zhang_medical_claim
    chat = WebChat(claims_servers)
    chat.says("查进度")
    chat.says("AUTO-2026-0001")
    listed = chat.says("1985-04-12")
    assert say("identity_verified", "zh", name="张伟") in listed
    # In the list the medical claim is only named, with no details.
    assert f"{medical}（" in listed and "需短信验证后查看" in listed
    _no_medical_detail(listed)
    assert "CLM-2026-000004" in listed  # his motor claim, in full
    # The web chat's document list never targets the medical claim before the code.
    assert chat.documents().get("claim_number") != medical
    # Naming the medical claim sends the code to the phone on file, and shows nothing yet.
    before = len(twilio_standin.messages)
    asked = chat.says(f"查一下 {medical}")
    assert "短信验证" in asked and "****0001" in asked
    _no_medical_detail(asked)
    assert chat.documents().get("claim_number") != medical
    code = code_sent_to(twilio_standin, ZHANG_PHONE, before)
    # After the code: the answer asked for, that medical claim's status.
    answered = chat.says(code)
    assert medical in answered and "短信验证" not in answered
    assert "住院" in answered or HOSPITAL in answered or "材料" in answered


@pytest.mark.e2e
def test_strangers_wrong_answers_lock_the_policy_but_send_the_holder_no_sms(
    claims_servers, claims_db_url, twilio_standin, forget_attempts
):
    before = len(twilio_standin.messages)
    lock_by_strangers(claims_servers, "check my claim status", "HOME-2026-0001")
    with unit_of_work(claims_db_url) as uow:
        lock = uow.identity_locks.by_policy_number("HOME-2026-0001")
        assert lock is not None and lock.locked_until is not None
    # While locked, a stranger's wrong answer gets the words a right one gets ...
    stranger = WebChat(claims_servers)
    stranger.says("check my claim status")
    stranger.says("HOME-2026-0001")
    wrong = stranger.says("1999-12-31")
    assert wrong == say("identity_code_sent_locked_help", "en",
                        minutes=get_settings().identity_code_minutes)
    # ... and no SMS reaches the holder's phone, so no code of theirs is burnt.
    assert [m for m in twilio_standin.messages[before:] if m.get("To") == JOHN_PHONE] == []
    # The holder with the right date of birth gets a code and gets in.
    holder = WebChat(claims_servers)
    holder.says("check my claim status")
    holder.says("HOME-2026-0001")
    sent = holder.says("1 July 1990")
    assert sent == wrong
    code = code_sent_to(twilio_standin, JOHN_PHONE, before)
    reply = holder.says(code)
    assert "John Smith" in reply and "CLM-2026-000001" in reply
