"""Complaints, disputes and the human handoff against the real Rasa and action servers: the
customer through the REST channel, agents through the console's JSON API (bearer tokens)."""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from typing import Any, Dict, List

import pytest
import requests

from bot.replies import say
from bot.settings import get_settings
from rasa_server.launcher import ROOT
from tests.support.e2e import E2E_AGENTS, E2E_COMPLAINT_OFFICER
from tests.support.sms_code import LI_XIUYING_PHONE, code_sent_to
from tests.support.webchat import signed_headers

pytestmark = pytest.mark.e2e

QUEUED = re.compile("已为您转人工|已经排上队|put you through to a person|You're in the queue")
REFERENCE = re.compile(r"CMP-\d{4}-\d{6}")
LATENCY_FILE = ROOT / "results" / "handoff_to_queue.json"


class Customer:
    def __init__(self, servers, sender: str | None = None) -> None:
        self.servers = servers
        self.sender = sender or f"e2e-{uuid.uuid4().hex[:10]}"

    def says(self, message: str) -> str:
        res = requests.post(self.servers.rest_url,
                            json={"sender": self.sender, "message": message}, timeout=60)
        assert res.status_code == 200, res.text
        return "\n".join(m.get("text") or "" for m in res.json())

    def collects(self, wait_s: float = 10.0, expect: int = 1) -> List[str]:
        """Messages written outside a turn, as the web chat page collects them."""
        texts: List[str] = []
        deadline = time.monotonic() + wait_s
        url = f"{self.servers.rasa_url}/webhooks/webchat/messages?sender={self.sender}"
        while time.monotonic() < deadline and len(texts) < expect:
            res = requests.get(url, timeout=10, headers=signed_headers(self.sender))
            assert res.status_code == 200, res.text
            texts += [m["text"] for m in res.json()]
            if res.json():  # shown: acknowledged as the page does, or it comes back
                acked = requests.post(f"{url.split('?')[0]}/ack", timeout=10,
                                      headers=signed_headers(self.sender), json={
                    "sender": self.sender, "ids": [m["id"] for m in res.json()]})
                assert acked.status_code == 200, acked.text
            if len(texts) < expect:
                time.sleep(0.2)
        return texts


class Console:
    """An agent using the console API with a bearer token."""

    def __init__(self, servers, index: int = 0, *, officer: bool = False) -> None:
        username, self.name, password = E2E_COMPLAINT_OFFICER if officer else E2E_AGENTS[index]
        self.base = f"{servers.rasa_url}/webhooks/agent/api/"
        res = requests.post(self.base + "login", json={
            "username": username, "password": password, "want_token": True}, timeout=30)
        assert res.status_code == 200, res.text
        self.headers = {"Authorization": f"Bearer {res.json()['token']}"}

    def get(self, path: str) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, timeout=30)

    def post(self, path: str, body: Dict[str, Any] | None = None) -> requests.Response:
        return requests.post(self.base + path, json=body or {}, headers=self.headers, timeout=60)

    def entries_for(self, conversation_id: str) -> List[Dict[str, Any]]:
        queue = self.get("queue").json()["queue"]
        return [e for e in queue if e["conversation_id"] == conversation_id]

    def entry_for(self, conversation_id: str) -> Dict[str, Any]:
        [entry] = self.entries_for(conversation_id)
        return entry


def test_handoff_is_queued_at_once_the_agent_answers_and_hands_back(claims_servers):
    console = Console(claims_servers)
    customer = Customer(claims_servers)
    customer.says("查一下我的理赔进度")

    started = time.perf_counter()
    reply = customer.says("转人工")
    answered = time.perf_counter()
    while not console.entries_for(customer.sender):
        assert time.perf_counter() - started < 10, "the handoff never reached the queue"
        time.sleep(0.01)
    queued = time.perf_counter()
    latency = {"request_to_reply_ms": round((answered - started) * 1000, 1),
               "request_to_visible_in_queue_ms": round((queued - started) * 1000, 1)}
    LATENCY_FILE.parent.mkdir(parents=True, exist_ok=True)
    LATENCY_FILE.write_text(json.dumps(latency, indent=2) + "\n", encoding="utf-8")
    print(f"\nhandoff request -> entry in the agent queue: {latency}")
    assert QUEUED.search(reply)

    entry = console.entry_for(customer.sender)
    assert entry["reason"] == "request" and entry["channel"] == "rest"
    assert entry["summary"]["first_request"] == "查一下我的理赔进度"

    # Asking again while parked: acknowledged (bot/waiting.py), and the next message soon after
    # gets a short "got it" (never silence) and is kept for the person; no second entry.
    assert "已收到" in customer.says("转人工")
    assert customer.says("我的车被追尾了 <b>很急</b>") == say("waiting_ack_short", "zh")
    assert len(console.entries_for(customer.sender)) == 1

    assert console.post(f"handoffs/{entry['id']}/take").status_code == 200
    assert customer.collects() == [say("handoff_agent_joined", "zh", agent=console.name)]
    typed = "您好，<script>alert(1)</script>我来帮您看看"
    assert console.post(f"handoffs/{entry['id']}/messages", {"text": typed}).status_code == 200
    assert customer.collects() == [typed]
    detail = console.get(f"handoffs/{entry['id']}").json()
    customer_lines = [line["text"] for line in detail["transcript"] if line["from"] == "customer"]
    assert "我的车被追尾了 <b>很急</b>" in customer_lines
    assert [line["text"] for line in detail["transcript"] if line["from"] == "agent"][-1] == typed

    res = console.post(f"handoffs/{entry['id']}/handback", {"resolution": "已为您加急处理"})
    assert res.status_code == 200
    greeting = say("handed_back", "zh", agent=console.name, resolution="已为您加急处理")
    assert res.json()["bot_said"] == [greeting]
    assert customer.collects() == [greeting]
    assert console.entries_for(customer.sender) == []
    assert customer.says("你好") == say("greet", "zh")  # the bot answers again


def test_two_agents_taking_the_same_conversation_at_once(claims_servers):
    first, second = Console(claims_servers, 0), Console(claims_servers, 1)
    customer = Customer(claims_servers)
    assert QUEUED.search(customer.says("转人工"))
    entry_id = first.entry_for(customer.sender)["id"]
    barrier = threading.Barrier(2)
    results: Dict[str, requests.Response] = {}

    def take(console: Console) -> None:
        barrier.wait()
        results[console.name] = console.post(f"handoffs/{entry_id}/take")

    threads = [threading.Thread(target=take, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [200, 409]
    winner = next(name for name, r in results.items() if r.status_code == 200)
    loser = next(r for r in results.values() if r.status_code == 409).json()
    assert loser["by"] == winner
    other = second if winner == first.name else first
    refused = other.post(f"handoffs/{entry_id}/messages", {"text": "我来"})
    assert refused.status_code == 403 and refused.json()["error"] == "not_yours"


def test_console_refuses_forged_sessions(claims_servers):
    base = f"{claims_servers.rasa_url}/webhooks/agent/api/"
    assert requests.get(base + "queue", timeout=10).status_code == 401
    assert requests.get(base + "queue", headers={"Authorization": "Bearer forged"},
                        timeout=10).status_code == 401
    assert requests.get(base + "queue", cookies={"claims_agent_session": "forged"},
                        timeout=10).status_code == 401
    wrong = requests.post(base + "login", json={"username": E2E_AGENTS[0][0],
                                                "password": "not it"}, timeout=30)
    assert wrong.status_code == 401


def test_two_misunderstandings_offer_a_person_and_a_yes_hands_over(claims_servers):
    customer = Customer(claims_servers)
    assert customer.says("/nlu_fallback").startswith(say("not_understood", "zh"))
    # Issue 19: the second offers a person; a clear yes hands over.
    assert customer.says("/nlu_fallback") == say("not_understood_offer", "zh")
    assert QUEUED.search(customer.says("好的"))
    assert Console(claims_servers).entry_for(customer.sender)["reason"] == "not_understood"


def _complain(customer: Customer, name: str = "王小明", phone: str = "13912345678",
              about: str = "理赔员", facts: str = "说好三天回电话，一周了都没人联系我") -> str:
    assert customer.says("我要投诉") == say("ask_complainant_name", "zh")
    assert customer.says(name) == say("ask_complainant_phone", "zh")
    assert customer.says(phone) == say("ask_complaint_about", "zh")
    assert customer.says(about) == say("ask_complaint_facts", "zh")
    assert customer.says(facts) == say("ask_complaint_request", "zh")
    return customer.says("尽快处理并道歉")


def test_a_complaint_is_registered_a_repeat_is_linked_and_the_outcome_told(claims_servers):
    first = Customer(claims_servers)
    receipt = _complain(first)
    reference = REFERENCE.search(receipt).group()
    assert "48 小时" in receipt and "15 天" in receipt and "60 天" in receipt
    assert receipt.endswith(say("complaint_next", "zh"))

    again = Customer(claims_servers)
    repeat = _complain(again, about="还是那个理赔员", facts="一周了都没人联系我，电话也不接")
    assert say("complaint_repeat", "zh", first=reference) in repeat

    refused = Console(claims_servers).get("complaints")  # a plain agent: not their work
    assert refused.status_code == 403 and refused.json()["error"] == "role_not_allowed"
    console = Console(claims_servers, officer=True)
    listed = {c["reference"]: c for c in console.get("complaints").json()["complaints"]}
    second_reference = REFERENCE.search(repeat).group()
    assert listed[second_reference]["repeat_of"] == reference
    assert listed[reference]["channel"] == "rest" and listed[reference]["about_kind"] == "staff"
    res = console.post(f"complaints/{reference}/outcome",
                       {"outcome": "已向您道歉，理赔员已调岗", "accepted": True})
    assert res.status_code == 200
    assert first.collects() == [say("complaint_outcome_accepted", "zh", reference=reference,
                                    outcome="已向您道歉，理赔员已调岗")]


def test_a_disputed_denial_is_explained_then_a_person_takes_it(claims_servers):
    customer = Customer(claims_servers)
    assert customer.says("为什么拒赔") == say("ask_policy_number", "zh")
    assert customer.says("HOME-2026-0001") == say("ask_verification", "zh")
    explained = customer.says("0003")
    assert "John Smith" in explained and "第十二条" in explained
    assert say("dispute_next.negotiation", "zh") in explained
    assert QUEUED.search(customer.says("好的"))
    entry = Console(claims_servers).entry_for(customer.sender)
    assert entry["reason"] == "dispute"
    assert entry["summary"]["customer"]["name"] == "John Smith"
    assert entry["summary"]["claim_number"] == "CLM-2026-000002"


def test_the_elderly_customer_is_offered_a_person_first_and_ranked_first(
        claims_servers, twilio_standin, forget_attempts):
    customer = Customer(claims_servers)
    customer.says("查一下我的理赔进度")
    customer.says("MED-2026-0002")
    before = len(twilio_standin.messages)
    # A medical policy: the SMS code to the phone on file comes after the date of birth.
    assert customer.says("1948-09-30") == say(
        "identity_code_sent_medical", "zh", minutes=get_settings().identity_code_minutes)
    code = code_sent_to(twilio_standin, LI_XIUYING_PHONE, before)
    lines = customer.says(code).split("\n")
    assert lines[0] == say("identity_verified", "zh", name="李秀英")
    assert lines[1] == say("elderly_offer", "zh")
    assert QUEUED.search(customer.says("好的"))
    console = Console(claims_servers)
    queue = console.get("queue").json()["queue"]
    queued = [e for e in queue if e["status"] == "queued"]
    mine = next(i for i, e in enumerate(queued) if e["conversation_id"] == customer.sender)
    assert queued[mine]["summary"]["customer"]["elderly"] is True
    # Only other elderly customers, who waited longer, may come before her.
    assert all(e["summary"]["customer"]["elderly"] for e in queued[:mine])
    assert queued[mine]["priority"] == max(e["priority"] for e in queued)
