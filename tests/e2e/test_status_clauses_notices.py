"""Status per stage, clause answers, and proactive notices through the real Rasa and action
servers: the core system's endpoint moves a claim, the web-chat customer collects the notice
exactly once (even after a failed collection), answers its satisfaction question, and a forged
token changes nothing."""
from __future__ import annotations

import re
import sqlite3
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests

from bot.claims.lifecycle import claim_view
from bot.claims.model import ClaimStage
from bot.clauses import clause_by_reference, product_for
from bot.clock import local_today
from bot.outbox.notices import list_notices
from bot.replies import say
from bot.settings import get_settings
from bot.store.db import unit_of_work
from bot.store.models import Claim, SatisfactionScore
from tests.support.e2e import E2E_CORE_API_TOKEN
from tests.support.sms_code import LI_XIUYING_PHONE, ZHANG_WEI_PHONE, code_sent_to
from tests.support.webchat import signed_headers

pytestmark = pytest.mark.e2e

CJK = re.compile(r"[\u4e00-\u9fff]")
AUTH = {"Authorization": f"Bearer {E2E_CORE_API_TOKEN}"}


class Chat:
    """One conversation on a channel ("rest" or "webchat"); `says` returns the bot's texts."""

    def __init__(self, servers, channel: str = "rest", sender: str | None = None) -> None:
        self.servers = servers
        self.url = servers.rest_url if channel == "rest" else servers.webchat_webhook_url
        self.sender = sender or f"e2e-{uuid.uuid4().hex[:10]}"

    def says(self, message: str) -> str:
        response = requests.post(self.url, json={"sender": self.sender, "message": message},
                                 headers=signed_headers(self.sender), timeout=60)
        assert response.status_code == 200, response.text
        return "\n".join(m.get("text") or "" for m in response.json())

    def verify(self, opening: str, policy: str, answer: str) -> str:
        self.says(opening)
        self.says(policy)
        return self.says(answer)

    def verify_medical(self, opening: str, policy: str, answer: str, twilio, phone: str,
                       lang: str = "zh") -> str:
        """`verify` for a medical policy: the date of birth, then the SMS code sent to the phone
        on file (read from Twilio's stand-in); the reply to the code."""
        before = len(twilio.messages)
        assert self.verify(opening, policy, answer) == say(
            "identity_code_sent_medical", lang,
            minutes=get_settings().identity_code_minutes)
        return self.says(code_sent_to(twilio, phone, before))

    def poll(self) -> requests.Response:
        return requests.get(self.servers.webchat_url + "messages",
                            params={"sender": self.sender}, timeout=60,
                            headers=signed_headers(self.sender))

    def ack(self, messages: list) -> None:
        """Acknowledges collected messages, as the web chat page does once it shows them."""
        response = requests.post(self.servers.webchat_url + "messages/ack", timeout=60,
                                 headers=signed_headers(self.sender),
                                 json={"sender": self.sender, "ids": [m["id"] for m in messages]})
        assert response.status_code == 200, response.text


def _core(servers, number: str, body: dict, headers: dict | None = None) -> requests.Response:
    return requests.post(f"{servers.rasa_url}/webhooks/core/claims/{number}/stage",
                         json=body, headers=AUTH if headers is None else headers, timeout=60)


def _claim_in_conversation(db_url: str, conversation_id: str, channel: str = "webchat") -> str:
    """A claim of 王芳 (who has none in the demo data) reported in this conversation and now in
    document review, so these tests move nothing other tests look at."""
    at = datetime.utcnow() - timedelta(hours=2)
    with unit_of_work(db_url) as uow:
        policy = uow.policies.by_number("ACC-2026-0001")
        number = uow.claims.next_claim_number(at.year)
        claim = Claim(number=number, policy=policy, stage="documents_review",
                      incident_type="injury", flags=[], injuries=True, reported_at=at,
                      estimated_amount=Decimal("2600"), channel=channel, language="zh",
                      conversation_id=conversation_id)
        uow.claims.add(claim)
        uow.claims.add_event(claim, from_stage=None, to_stage="reported", actor="bot", at=at)
        uow.claims.add_event(claim, from_stage="reported", to_stage="documents_review",
                             actor="core-system", at=at + timedelta(minutes=10))
        uow.commit()
        return number


# --- status per stage ---------------------------------------------------------------------------

def test_documents_review_in_chinese_names_everything_missing_and_the_promise(claims_servers):
    reply = Chat(claims_servers).verify("查一下我的理赔进度", "AUTO-2026-0001", "1985-04-12")
    assert "CLM-2026-000004" in reply and say("stage.documents_review", "zh") in reply
    assert "驾驶证" in reply and "维修发票" in reply
    assert say("status_promise_small", "zh", hours=24) in reply


def test_assessment_in_chinese_and_english_with_deadline_and_on_time(
        claims_servers, twilio_standin, forget_attempts):
    zh = Chat(claims_servers).verify_medical("我的理赔到哪一步了", "MED-2026-0002", "1948-09-30",
                                             twilio_standin, LI_XIUYING_PHONE)
    assert say("status_doing.assessment", "zh") in zh
    assert "时限：" in zh and "截止" in zh
    assert any(say(f"status_progress.{p}", "zh") in zh for p in ("ok", "yellow", "red"))
    en = Chat(claims_servers).verify_medical("where is my claim", "MED-2026-0002", "1948-09-30",
                                             twilio_standin, LI_XIUYING_PHONE, "en")
    assert say("status_doing.assessment", "en") in en and "Time limit: settle within" in en
    assert not CJK.search(en.replace("李秀英", ""))


def test_paid_and_denied_claims_picked_from_the_list_in_english(claims_servers):
    chat = Chat(claims_servers)
    listing = chat.verify("where is my claim?", "HOME-2026-0001", "0003")
    assert say("status_pick", "en", example="CLM-2026-000002") in listing
    denied = chat.says("CLM-2026-000002")
    clause = clause_by_reference("home", "Clause 12")
    assert "Not paid. Reason:" in denied and clause.text("en") in denied
    assert say("status_appeal", "en") in denied and '"agent"' in denied
    paid = chat.says("CLM-2026-000001")
    assert "Paid CNY 8,200" in paid and "Clause 12" not in paid
    assert not CJK.search(denied + paid)


def test_denied_claim_in_chinese_quotes_the_clause(claims_servers):
    chat = Chat(claims_servers)
    chat.verify("查进度", "HOME-2026-0001", "0003")
    denied = chat.says("CLM-2026-000002")
    clause = clause_by_reference("home", "第十二条")
    assert "第十二条" in denied and clause.text("zh") in denied and "转人工" in denied


def test_a_claim_picked_by_its_button_is_answered_in_the_conversation_s_language(claims_servers):
    """An outside tester's find: the status list's button sends '/inform{"claim_number": …}',
    which the web chat reads without its "/" as 'inform{"claim_number": …}': English words to the
    language detection, so a Chinese conversation was answered in English from then on."""
    chat = Chat(claims_servers, channel="webchat")
    chat.verify("我想查一下我的理赔进度", "AUTO-2026-0001", "1985-04-12")
    picked = chat.says('/inform{"claim_number":"CLM-2026-000004"}')
    assert "CLM-2026-000004" in picked and say("stage.documents_review", "zh") in picked, picked
    assert "documents being checked" not in picked
    assert CJK.search(chat.says("还缺什么材料？"))


def test_someone_elses_claim_number_reveals_nothing(claims_servers):
    chat = Chat(claims_servers)
    chat.verify("where is my claim", "HOME-2026-0001", "0003")
    assert chat.says("CLM-2026-000004") == say("status_unknown_claim", "en",
                                               claim_number="CLM-2026-000004")


# --- clause questions ---------------------------------------------------------------------------

def test_general_clause_question_before_verification_quotes_the_line_clause(claims_servers):
    reply = Chat(claims_servers).says("车险的免赔额是什么意思")
    clause = product_for("motor").clause(12)
    assert reply.startswith(say("clause_general_intro", "zh", line="车险"))
    assert "第十二条" in reply and clause.text("zh") in reply


def test_own_policy_question_is_answered_after_the_identity_check(
        claims_servers, twilio_standin, forget_attempts):
    chat = Chat(claims_servers)
    assert chat.says("我等待期内住院能赔吗") == say("ask_policy_number", "zh")
    assert chat.says("AUTO-2026-0001") == say("ask_verification", "zh")
    before = len(twilio_standin.messages)
    # The answer uses his medical policy's data: the SMS code to the phone on file first.
    verified = chat.says("1985-04-12")
    assert verified == "\n".join([
        say("identity_verified", "zh", name="张伟"),
        say("step_up_code_sent", "zh", phone="138****0001",
            minutes=get_settings().identity_code_minutes)])
    reply = verified + "\n" + chat.says(code_sent_to(twilio_standin, ZHANG_WEI_PHONE, before))
    waiting = product_for("medical").clause(4)
    # The clause is quoted by the sentence that answers; "全文" gives the whole of it.
    assert "张伟" in reply and "第四条" in reply and "全文" in reply
    assert "MED-2026-0001" in reply  # his medical policy's dates, not the motor one
    assert waiting.text("zh") in chat.says("全文")


def test_clause_question_in_english_once_verified(claims_servers):
    chat = Chat(claims_servers)
    chat.verify("where is my claim", "HOME-2026-0001", "0003")
    reply = chat.says("is my bike covered if it was stolen outside the building")
    assert "Clause 12" in reply and "full text" in reply
    assert product_for("home").clause(12).text("en") in chat.says("full text")


# --- proactive notices --------------------------------------------------------------------------

def _poll_until(chat: Chat, want: int, seconds: float = 15) -> list:
    got: list = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(got) < want:
        response = chat.poll()
        assert response.status_code == 200, response.text
        got.extend(response.json())
        if response.json():  # shown: acknowledged as the page does, or it comes back
            chat.ack(response.json())
        if len(got) < want:
            time.sleep(0.5)
    return got


def test_core_move_reaches_the_web_chat_exactly_once_even_after_a_failed_collection(
        claims_servers, claims_db_url):
    chat = Chat(claims_servers, channel="webchat", sender=f"web-{uuid.uuid4().hex[:12]}")
    number = _claim_in_conversation(claims_db_url, chat.sender)
    response = _core(claims_servers, number, {"stage": "assessment", "note": "docs complete"})
    assert response.status_code == 200, response.text
    assert response.json()["notice"] == "documents_accepted"
    time.sleep(2)  # the delivery loop runs (1 s in these tests) and must leave it for the poll

    # The first collection fails: the store is unreachable for a moment (table renamed away).
    database = claims_db_url.removeprefix("sqlite:///")

    def rename(old: str, new: str) -> None:
        connection = sqlite3.connect(database, timeout=30)
        try:
            connection.execute(f"ALTER TABLE {old} RENAME TO {new}")
            connection.commit()
        finally:
            connection.close()

    rename("notifications", "notifications_away")
    try:
        failed = chat.poll()
    finally:
        rename("notifications_away", "notifications")
    assert failed.status_code == 503

    messages = _poll_until(chat, 1)
    assert [m["kind"] for m in messages] == ["documents_accepted"]
    assert number in messages[0]["text"] and "定损核赔" in messages[0]["text"]
    time.sleep(1.5)
    assert chat.poll().json() == []  # never twice
    notices = list_notices(claim_number=number, url=claims_db_url)
    assert [(n.kind, n.status) for n in notices] == [("documents_accepted", "sent")]


def test_closing_notice_asks_for_a_score_which_is_kept(claims_servers, claims_db_url):
    chat = Chat(claims_servers, channel="webchat", sender=f"web-{uuid.uuid4().hex[:12]}")
    number = _claim_in_conversation(claims_db_url, chat.sender)
    for stage in ("assessment", "payment"):
        assert _core(claims_servers, number, {"stage": stage}).status_code == 200
    # Closing from payment goes through /pay: only a recorded payment says it was paid.
    paid = requests.post(f"{claims_servers.rasa_url}/webhooks/core/claims/{number}/pay",
                         json={"amount": "2600", "paid_on": local_today().isoformat()},
                         headers=AUTH, timeout=60)
    assert paid.status_code == 200, paid.text
    kinds = [m["kind"] for m in _poll_until(chat, 3)]
    assert kinds == ["documents_accepted", "review_done", "paid_closed"]
    assert chat.says("9") == say("satisfaction_thanks", "zh", score=9)
    with unit_of_work(claims_db_url) as uow:
        scores = [row.score for row in uow.session.query(SatisfactionScore)
                  .join(Claim, SatisfactionScore.claim_id == Claim.id)
                  .filter(Claim.number == number)]
    assert scores == [9]


def test_digits_in_the_identity_form_are_not_taken_for_a_score(claims_servers):
    chat = Chat(claims_servers)
    chat.says("查进度")
    chat.says("ACC-2026-0001")
    assert chat.says("9") == say("verification_unreadable", "zh")
    assert "王芳" in chat.says("0004")


def test_forged_or_missing_token_is_rejected_and_nothing_changes(claims_servers, claims_db_url):
    before = claim_view("CLM-2026-000003", url=claims_db_url)
    notices = list_notices(url=claims_db_url)
    forged = _core(claims_servers, "CLM-2026-000003", {"stage": "payment"},
                   headers={"Authorization": "Bearer " + E2E_CORE_API_TOKEN[:-1] + "0"})
    assert forged.status_code == 403 and forged.json()["error"] == "forbidden"
    missing = _core(claims_servers, "CLM-2026-000003", {"stage": "payment"}, headers={})
    assert missing.status_code == 401
    assert claim_view("CLM-2026-000003", url=claims_db_url) == before
    assert list_notices(url=claims_db_url) == notices


def test_a_move_that_skips_the_lifecycle_is_409_and_audited(claims_servers, claims_db_url):
    response = _core(claims_servers, "CLM-2026-000001", {"stage": "reported"})
    assert response.status_code == 409
    assert response.json()["error"] == "invalid_transition"
    assert claim_view("CLM-2026-000001", url=claims_db_url).stage is ClaimStage.CLOSED
    with unit_of_work(claims_db_url) as uow:
        refused = [e.subject_id for e in uow.audit.list(action="claim.advance_refused")]
    assert "CLM-2026-000001" in refused
