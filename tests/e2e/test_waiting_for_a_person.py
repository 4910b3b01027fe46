"""Waiting for a person at night, through the web chat and the agent console (issue 19 item 12):
the handoff is queued, the customer's next message is acknowledged, a call-back is booked for
the next morning and an agent sees it, with the time and the number on file, in the console.

The servers' clock is set to 22:00 local (CLAIMS_CLOCK_SHIFT, tests/support/clock.py) and the
agents work 10:00-11:00, so the hour the suite runs at never matters: "明天上午10点" is always the
next morning (after midnight it would be asked back: bot/waiting.which_day)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import requests

from bot.replies import say
from rasa_server.launcher import Servers
from tests.support.clock import CLOCK_SHIFT_ENV, shift_to
from tests.support.e2e import E2E_AGENTS, servers_of_their_own
from tests.support.webchat import WebChat

pytestmark = pytest.mark.e2e


HOURS, CALLBACK_WORDS, CALLBACK_HOUR = "10:00-11:00", "明天上午10点", 10


@pytest.fixture(scope="module")
def night_servers(claims_model: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    yield from servers_of_their_own(claims_model, tmp_path_factory.mktemp("waiting-e2e"),
                                    CLAIMS_AGENT_HOURS=HOURS, **{CLOCK_SHIFT_ENV: shift_to(22)})


def _console(servers: Servers) -> tuple[str, dict]:
    username, _, password = E2E_AGENTS[0]
    base = f"{servers.rasa_url}/webhooks/agent/api/"
    res = requests.post(base + "login", json={"username": username, "password": password,
                                              "want_token": True}, timeout=30)
    assert res.status_code == 200, res.text
    return base, {"Authorization": f"Bearer {res.json()['token']}"}


def test_at_night_the_wait_is_answered_and_a_call_back_reaches_the_console(night_servers):
    chat = WebChat(night_servers)
    chat.says("查一下我的理赔进度")
    assert chat.says("AUTO-2026-0001") == say("ask_verification", "zh")
    assert "CLM-2026-000004" in chat.says("1985-04-12")

    queued = chat.says("转人工")
    assert "已经排上队" in queued  # out of the agents' hours

    acknowledged = chat.says("怎么没人理我啊")
    assert "已收到" in acknowledged and "北京时间" in acknowledged

    booked = chat.says(CALLBACK_WORDS)
    assert "已为您预约回电" in booked and f"{CALLBACK_HOUR}:00（北京时间）" in booked
    assert "0001" in booked  # the last four digits of the number on file (13800000001)

    base, headers = _console(night_servers)
    queue = requests.get(base + "queue", headers=headers, timeout=30).json()["queue"]
    [entry] = [e for e in queue if e["conversation_id"] == chat.sender]
    # The queue list masks the number; the handoff's detail (its reading audited) gives it.
    assert entry["status"] == "queued" and entry["callback_phone"] == "138****0001"
    assert entry["callback_local"].endswith(f"{CALLBACK_HOUR}:00")
    detail = requests.get(base + f"handoffs/{entry['id']}", headers=headers, timeout=30).json()
    assert detail["handoff"]["callback_phone"] == "13800000001"
    customer_lines = [line["text"] for line in detail["transcript"] if line["from"] == "customer"]
    assert "怎么没人理我啊" in customer_lines

    # Leaving the queue: the entry is closed and the bot answers again.
    assert chat.says("不用人工了 取消") == say("waiting_left", "zh")
    queue = requests.get(base + "queue", headers=headers, timeout=30).json()["queue"]
    assert [e for e in queue if e["conversation_id"] == chat.sender] == []
    assert chat.says("你好")


# --- what an outside tester found (issue 19, part h-person) --------------------------------------

def _queued_for(base: str, headers: dict, *senders: str) -> list:
    queue = requests.get(base + "queue", headers=headers, timeout=30).json()["queue"]
    return [e for e in queue if e["conversation_id"] in senders]


def test_turning_a_person_down_never_queues(night_servers):
    zh, en = WebChat(night_servers), WebChat(night_servers)
    assert zh.says("你好")
    assert zh.says("不用人工了") == say("person_refused", "zh")
    assert zh.says("不要转人工") == say("person_refused", "zh")
    assert en.says("hello")
    assert en.says("I don't want to talk to a person") == say("person_refused", "en")
    assert en.says("no need for an agent") == say("person_refused", "en")
    base, headers = _console(night_servers)
    assert _queued_for(base, headers, zh.sender, en.sender) == []
    assert zh.says("查进度")  # the bot carries on: not silence


def test_a_queued_customer_always_gets_an_answer_and_can_leave(night_servers):
    chat = WebChat(night_servers)
    assert "queue" in chat.says("I want to talk to a person")
    for text in ("how long do I have to wait", "status", "ok", "log out"):
        assert chat.says(text), text  # never silence
    assert chat.says("no need for an agent") == say("waiting_left", "en")
    base, headers = _console(night_servers)
    assert _queued_for(base, headers, chat.sender) == []


def test_the_elderly_customer_who_declines_a_person_gets_her_answer(night_servers):
    chat = WebChat(night_servers)
    offer = chat.says("我七十多岁了，眼睛不好…想问问住院的钱怎么报")
    assert offer == say("human_offer_question_kept", "zh")
    answer = chat.says("不用了，你跟我说就行")
    assert answer.startswith(say("human_declined_answer", "zh")) and "出院小结" in answer
    way_in = chat.says("我不会弄这个保单号")
    assert "手机号" in way_in and "保单号" in way_in  # the phone + birth date way in


def test_a_greeting_with_a_request_and_an_unasked_bad_rating(night_servers):
    chat = WebChat(night_servers)
    assert chat.says("你好，我想報案") != say("greet", "zh")
    other = WebChat(night_servers)
    assert other.says("你们服务太差了，1分") == say("unprompted_dissatisfied", "zh")
