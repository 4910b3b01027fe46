"""What the outside tester of issue 19 typed, through the real Rasa and action servers: a
refusal explained, "simpler please", the same dispute again, "what can I do now", the status of
all claims and a question about the paid one (John Smith, English); a complaint whose name,
phone and subject come in the customer's own order (王芳)."""
from __future__ import annotations

import uuid

import pytest
import requests

from bot.replies import say
from tests.support.webchat import signed_headers

pytestmark = pytest.mark.e2e


class Chat:
    def __init__(self, servers) -> None:
        self.url = servers.webchat_webhook_url
        self.sender = f"e2e-{uuid.uuid4().hex[:10]}"

    def says(self, message: str) -> str:
        response = requests.post(self.url, json={"sender": self.sender, "message": message},
                                 headers=signed_headers(self.sender), timeout=60)
        assert response.status_code == 200, response.text
        return "\n".join(m.get("text") or "" for m in response.json())


def test_john_disputes_asks_simpler_and_then_what_next(claims_servers):
    chat = Chat(claims_servers)
    chat.says("why was my claim refused?")
    chat.says("HOME-2026-0001")
    explained = chat.says("1990-07-01")
    assert "CLM-2026-000002" in explained and "Clause" in explained
    simpler = chat.says("simpler please")
    assert simpler.startswith("In short: Your claim CLM-2026-000002")
    assert "verified" not in simpler and "put you through" not in simpler
    status = chat.says("what's the status of my claims")
    assert "CLM-2026-000001" in status and "CLM-2026-000002" in status
    again = chat.says("I don't accept this, the pipe burst was sudden")
    assert again != explained and "mediation" in again and "Clause" not in again
    options = chat.says("what can I do now")
    assert "mediation" in options and "complain" in options
    paid = chat.says("I had another claim that was paid, how much did I get?")
    assert "CLM-2026-000001" in paid and "8,200" in paid and "What happened" not in paid


def test_wang_fang_complains_in_her_own_order(claims_servers):
    chat = Chat(claims_servers)
    assert "姓名" in chat.says("我要投诉你们的理赔员，上周三打电话态度太差了")
    # Whom it is about, given where the name was asked: the subject, and the name asked again.
    noted = chat.says("是理赔员小刘，上周三打电话的时候")
    assert "理赔员小刘" in noted and "姓名" in noted
    replies = [chat.says("我叫王芳，手机13800000004")]
    assert say("complaint_name_invalid", "zh") not in replies[0]
    for answer in ("他很不耐烦还挂我电话", "希望道歉"):
        if "CMP-" in replies[-1]:
            break
        replies.append(chat.says(answer))
    receipt = replies[-1]
    assert "CMP-" in receipt
    assert "王芳" in receipt and "138****0004" in receipt and "理赔员小刘" in receipt
    assert not any(say("ask_complainant_phone", "zh") in text for text in replies)
