"""SMS and WhatsApp through the real Rasa and action servers, the store and the local Twilio
stand-in (real signatures, real Messages API calls): a claim reported by SMS with a photo stored
against it and its status notice delivered exactly once despite a failed first attempt; a blocked
number recorded as failed without a retry; a forged request rejected; a retried delivery handled
once."""
from __future__ import annotations

import random
import time
import uuid
from datetime import datetime
from typing import Callable, Dict, List, Sequence, Tuple

import pytest
import requests
from sqlalchemy import func, select, update

from bot.outbox.notices import list_notices
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import AuditEntry, InboundReceipt, Notification
from tests.e2e.test_report_conversations import forget_reported_claims  # noqa: F401 (autouse)
from tests.e2e.test_report_lines import CASES, CLAIM_NUMBER, _asked, _is_summary
from tests.e2e.test_status_clauses_notices import AUTH, _claim_in_conversation
from tests.standins.twilio import TwilioStandIn
from tests.support.e2e import E2E_SMS_FROM, E2E_WHATSAPP_FROM

pytestmark = pytest.mark.e2e

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"licence photo" * 200
WAIT_S = 90  # a first turn loads the model's pipeline; later ones take about a second


def _new_number() -> str:
    return "+86139" + "".join(random.choices("0123456789", k=8))


def _wait_for(what: Callable[[], object], seconds: float = WAIT_S, step: float = 0.2) -> object:
    """`what()` once it is truthy; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = what()
        if value or time.monotonic() > deadline:
            assert value, f"gave up waiting after {seconds} s"
            return value
        time.sleep(step)


class Texter:
    """A customer on SMS (or WhatsApp): Twilio's signed webhook in, the stand-in's records out."""

    def __init__(self, servers, twilio: TwilioStandIn, *, whatsapp: bool = False) -> None:
        self.url = f"{servers.rasa_url}/webhooks/twilio/webhook"
        self.twilio = twilio
        self.number = _new_number()
        self.address = f"whatsapp:{self.number}" if whatsapp else self.number
        self.ours = f"whatsapp:{E2E_WHATSAPP_FROM}" if whatsapp else E2E_SMS_FROM
        self.sender_id = ("wa-" if whatsapp else "sms-") + self.number
        self.transcript: List[Tuple[str, str]] = []

    def received(self) -> List[Dict[str, str]]:
        """Messages that reached this customer (not the attempts the stand-in failed)."""
        return [m for m in self.twilio.messages if m.get("To") == self.address
                and "_failed" not in m]

    def params(self, text: str, media: Sequence[Tuple[str, str]] = (),
               sid: str | None = None) -> Dict[str, str]:
        params = {"MessageSid": sid or "SM" + uuid.uuid4().hex,
                  "AccountSid": self.twilio.account_sid, "From": self.address, "To": self.ours,
                  "Body": text, "NumMedia": str(len(media))}
        for index, (url, content_type) in enumerate(media):
            params[f"MediaUrl{index}"] = url
            params[f"MediaContentType{index}"] = content_type
        return params

    def post(self, params: Dict[str, str]) -> requests.Response:
        response = self.twilio.signed_post(self.url, params)
        assert response.status_code == 200, response.text
        assert "<Response/>" in response.text  # nothing said in TwiML: replies use the API
        return response

    def says(self, text: str = "", media: Sequence[Tuple[str, str]] = (),
             sid: str | None = None) -> str:
        before = len(self.received())
        self.post(self.params(text, media, sid))
        _wait_for(lambda: len(self.received()) > before)
        time.sleep(0.3)  # the rest of a reply split in parts follows at once
        reply = "\n".join(m["Body"] for m in self.received()[before:])
        self.transcript.append((text or f"<{len(media)} file(s)>", reply))
        return reply

    def shown(self) -> str:
        return "\n".join(f"> {said}\n{reply}" for said, reply in self.transcript)


def _notice(db_url: str, number: str) -> Notification | None:
    """The claim's documents-accepted notice as the outbox holds it now."""
    with unit_of_work(db_url) as uow:
        claim = uow.claims.by_number(number)
        row = uow.session.execute(
            select(Notification).where(Notification.claim_id == claim.id,
                                       Notification.kind == "documents_accepted")
        ).scalar_one_or_none()
        if row is not None:
            uow.session.expunge(row)
        return row


def _move(servers, number: str, stage: str) -> None:
    response = requests.post(f"{servers.rasa_url}/webhooks/core/claims/{number}/stage",
                             json={"stage": stage}, headers=AUTH, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["notice"] == "documents_accepted"


def _report_by_sms(texter: Texter) -> str:
    case = next(c for c in CASES if (c.line, c.lang) == ("motor", "zh"))
    answers = {"policy_number": case.policy, "verification": case.born, **case.answers}
    reply = texter.says(case.opening)
    while not _is_summary(reply, "zh"):
        asked = _asked(reply, "zh")
        assert asked in answers, f"unexpected reply for {asked!r}:\n{texter.shown()}"
        assert len(texter.transcript) <= 10, texter.shown()
        reply = texter.says(answers[asked])
    receipt = texter.says("对")
    match = CLAIM_NUMBER.search(receipt)
    assert match, texter.shown()
    return match.group(0)


def test_claim_by_sms_with_a_photo_and_its_notice_delivered_exactly_once(
        claims_servers, claims_db_url, twilio_standin):
    texter = Texter(claims_servers, twilio_standin)
    number = _report_by_sms(texter)
    with unit_of_work(claims_db_url) as uow:
        claim = uow.claims.by_number(number)
        assert (claim.channel, claim.conversation_id) == ("twilio", texter.sender_id)
        assert claim.stage == "reported"
    assert all(m["From"] == E2E_SMS_FROM for m in texter.received())

    # A photo of the driving licence, from Twilio's media URL (fetched with the account's auth).
    question = texter.says(media=[(twilio_standin.add_media(JPEG, "image/jpeg"), "image/jpeg")])
    assert question.startswith(say("sms_which_document", "zh", claim_number=number)), question
    listed = [line for line in question.splitlines() if line[:1].isdigit()]
    pick = next(line for line in listed if "驾驶证" in line)
    answer = texter.says(pick.split(".", 1)[0])
    assert answer.startswith(say("intake_received", "zh", document="驾驶证")), answer
    with unit_of_work(claims_db_url) as uow:
        claim = uow.claims.by_number(number)
        [stored] = claim.files
        assert stored.size_bytes == len(JPEG) and stored.document.code == "driving_licence"
        assert claim.stage == "documents_review"

    # The core system accepts the documents; Twilio fails the first attempt with a 500.
    twilio_standin.fail_next(500)
    _move(claims_servers, number, "assessment")
    failed = _wait_for(lambda: (row := _notice(claims_db_url, number)) is not None
                       and row.attempts == 1 and row.last_error and row)
    assert failed.status == "pending" and "500" in failed.last_error
    # The retry waits out its backoff (a minute); the test brings that moment forward.
    with unit_of_work(claims_db_url) as uow:
        uow.session.execute(update(Notification).where(Notification.id == failed.id)
                            .values(next_attempt_at=datetime.utcnow()))
        uow.commit()
    sent = _wait_for(lambda: (row := _notice(claims_db_url, number)) is not None
                     and row.status == "sent" and row)
    assert sent.attempts == 2
    time.sleep(2.5)  # two more rounds of the delivery loop (1 s here): nothing goes twice
    notices = [m for m in texter.received() if number in m["Body"] and "定损核赔" in m["Body"]]
    assert len(notices) == 1, texter.twilio.messages
    assert notices[0]["From"] == E2E_SMS_FROM
    failed_attempts = [m for m in twilio_standin.messages
                       if m.get("To") == texter.number and m.get("_failed")]
    assert len(failed_attempts) == 1


def test_a_blocked_number_is_recorded_as_failed_and_never_retried(
        claims_servers, claims_db_url, twilio_standin):
    texter = Texter(claims_servers, twilio_standin)
    number = _claim_in_conversation(claims_db_url, texter.sender_id, channel="twilio")
    twilio_standin.fail_next(400, code=21610)  # the customer replied STOP
    _move(claims_servers, number, "assessment")
    failed = _wait_for(lambda: (row := _notice(claims_db_url, number)) is not None
                       and row.status == "failed" and row)
    assert failed.attempts == 1 and "21610" in failed.last_error
    assert "permanent" in failed.last_error and texter.number[3:] not in failed.last_error
    time.sleep(2.5)  # two more rounds of the delivery loop: no retry
    assert _notice(claims_db_url, number).attempts == 1
    assert texter.received() == []
    with unit_of_work(claims_db_url) as uow:
        audited = uow.session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "notification.failed",
            AuditEntry.subject_id == str(failed.id))).scalar_one()
    assert audited == 1
    assert [n.status for n in list_notices(claim_number=number, url=claims_db_url)] == ["failed"]


def _receipts(db_url: str, sid: str) -> int:
    with unit_of_work(db_url) as uow:
        return uow.session.execute(select(func.count()).select_from(InboundReceipt).where(
            InboundReceipt.external_id == sid)).scalar_one()


def test_a_forged_request_is_rejected_and_nothing_is_stored_or_sent(
        claims_servers, claims_db_url, twilio_standin):
    texter = Texter(claims_servers, twilio_standin)
    params = texter.params("我要报案")
    unsigned = requests.post(texter.url, data=params, timeout=30)
    assert unsigned.status_code == 403
    forger = TwilioStandIn(auth_token="not-the-account-token-000000000")
    forged = requests.post(texter.url, data=params, timeout=30, headers={
        "X-Twilio-Signature": forger.signature(texter.url, params)})
    assert forged.status_code == 403
    tampered = requests.post(texter.url, data={**params, "Body": "转人工"}, timeout=30, headers={
        "X-Twilio-Signature": twilio_standin.signature(texter.url, params)})
    assert tampered.status_code == 403
    assert _receipts(claims_db_url, params["MessageSid"]) == 0
    # The same message, signed by Twilio, is then taken as new: the forgeries left no trace.
    texter.post(params)
    _wait_for(texter.received)
    assert _receipts(claims_db_url, params["MessageSid"]) == 1


def test_a_retried_delivery_is_handled_once_and_whatsapp_answers_on_whatsapp(
        claims_servers, claims_db_url, twilio_standin):
    texter = Texter(claims_servers, twilio_standin, whatsapp=True)
    sid = "SM" + uuid.uuid4().hex
    first = texter.says("你好", sid=sid)
    assert first and texter.received()[0]["From"] == f"whatsapp:{E2E_WHATSAPP_FROM}"
    texter.post(texter.params("你好", sid=sid))  # Twilio delivers the same message again
    # Messages of one customer are handled in order: once the next one is answered, a second
    # handling of the retry would have been answered before it.
    texter.says("谢谢")
    assert len(texter.received()) == 2, texter.shown()
    assert _receipts(claims_db_url, sid) == 1
