"""The handoff core: triggers, priority and queue order, the take race, working hours, the summary,
and the per-conversation outbox the web chat collects."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from bot import handoff
from bot.handoff import (
    AlreadyTaken,
    NotYours,
    Reason,
    asks_for_person,
    build_summary,
    declared_age,
    declares_elderly,
    hand_back,
    held_by,
    is_urgent,
    next_opening,
    open_queue,
    priority,
    request_handoff,
    take,
    wait_minutes,
)
from bot.outbox import delivery
from bot.outbox.delivery import acknowledge_messages, collect_messages
from bot.outbox.notices import queue_message
from bot.store.db import unit_of_work
from bot.store.models import Agent, Handoff

NOW = datetime(2026, 11, 22, 2, 0)  # naive UTC: 10:00 in Shanghai, inside working hours


@pytest.fixture
def agents(db_url):
    with unit_of_work(db_url) as uow:
        first = uow.agents.add(Agent(username="a1", display_name="王小明", password_hash="x"))
        second = uow.agents.add(Agent(username="a2", display_name="李娜", password_hash="x"))
        uow.commit()
        return first.id, second.id


# --- triggers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["我老公出车祸昏迷了", "家里着火了", "刚被救护车送去急诊",
                                  "my husband is in intensive care", "he was seriously injured"])
def test_urgent_words_are_recognised(text):
    assert is_urgent(text)


@pytest.mark.parametrize("text", ["查一下进度", "我的车被追尾了，保险杠坏了", "", None])
def test_ordinary_messages_are_not_urgent(text):
    assert not is_urgent(text)


@pytest.mark.parametrize("text, age", [
    ("我七十多岁了", 70), ("我今年68了", 68), ("我都八十了", 80), ("我70岁了", 70),
    ("I'm 72 years old", 72), ("I am 81", 81),
    ("我70岁的母亲住院了", None), ("我八十多岁的父亲", None), ("我1990年出生", None),
    ("I'm 12 minutes late", None), ("我100块的发票", None), ("I am 100 percent sure", None),
    ("我今年72岁，想查进度", 72),
])
def test_declared_age_is_only_the_writers_own(text, age):
    assert declared_age(text) == age


def test_declaring_elderly():
    assert declares_elderly("我七十多岁了") and declares_elderly("我是老年人")
    assert declares_elderly("I'm a pensioner")
    assert not declares_elderly("我今年45岁") and not declares_elderly("查进度")


def test_a_complaint_request_that_asks_for_a_person():
    assert asks_for_person("请经理打电话给我")
    assert asks_for_person("I want a real person to call me")
    assert not asks_for_person("尽快赔付") and not asks_for_person("an apology please")


# --- priority and order --------------------------------------------------------------------------

def test_elderly_customers_rank_first_then_urgent_then_disputes_then_requests():
    ranks = {
        "elderly request": priority(Reason.REQUEST, elderly=True),
        "elderly offer": priority(Reason.ELDERLY, elderly=False),
        "urgent": priority(Reason.URGENT, elderly=False),
        "dispute": priority(Reason.DISPUTE, elderly=False),
        "complaint": priority(Reason.COMPLAINT, elderly=False),
        "request": priority(Reason.REQUEST, elderly=False),
        "not understood": priority(Reason.NOT_UNDERSTOOD, elderly=False),
    }
    assert ranks["elderly request"] == ranks["elderly offer"] > ranks["urgent"]
    assert ranks["urgent"] > ranks["dispute"] == ranks["complaint"] > ranks["request"]
    assert ranks["request"] > ranks["not understood"]
    assert priority(Reason.URGENT, elderly=True) > ranks["elderly request"]


def test_queue_is_ordered_by_priority_then_waiting_time(db_url):
    request_handoff("c-request-old", reason=Reason.REQUEST, now=NOW, url=db_url)
    request_handoff("c-request-new", reason=Reason.REQUEST, now=NOW + timedelta(minutes=1),
                    url=db_url)
    request_handoff("c-urgent", reason=Reason.URGENT, now=NOW + timedelta(minutes=2), url=db_url)
    request_handoff("c-elderly", reason=Reason.REQUEST, elderly=True,
                    now=NOW + timedelta(minutes=3), url=db_url)
    request_handoff("c-fallback", reason=Reason.NOT_UNDERSTOOD, now=NOW - timedelta(hours=1),
                    url=db_url)
    order = [entry.conversation_id for entry in open_queue(url=db_url)]
    assert order == ["c-elderly", "c-urgent", "c-request-old", "c-request-new", "c-fallback"]


def test_position_and_wait_are_told(db_url, monkeypatch):
    first = request_handoff("c1", reason=Reason.REQUEST, now=NOW, url=db_url)
    second = request_handoff("c2", reason=Reason.REQUEST, now=NOW + timedelta(seconds=5),
                             url=db_url)
    elderly = request_handoff("c3", reason=Reason.REQUEST, elderly=True,
                              now=NOW + timedelta(seconds=9), url=db_url)
    assert (first.ahead, second.ahead, elderly.ahead) == (0, 1, 0)
    assert second.wait_minutes == wait_minutes(1) == 2 * wait_minutes(0)
    assert first.opens_at is None  # 10:00 in Shanghai


# --- one entry per conversation ------------------------------------------------------------------

def test_a_second_request_while_queued_makes_no_second_entry(db_url):
    first = request_handoff("c1", reason=Reason.REQUEST, now=NOW, url=db_url)
    again = request_handoff("c1", reason=Reason.REQUEST, now=NOW + timedelta(minutes=1),
                            url=db_url)
    assert first.created and not again.created and again.entry.id == first.entry.id
    with unit_of_work(db_url) as uow:
        assert len(uow.handoffs.list()) == 1


def test_a_more_urgent_second_request_raises_the_priority(db_url):
    request_handoff("c1", reason=Reason.NOT_UNDERSTOOD, now=NOW, url=db_url)
    again = request_handoff("c1", reason=Reason.URGENT, now=NOW, url=db_url)
    assert again.entry.priority == priority(Reason.URGENT, False)


def test_after_hand_back_a_new_request_queues_again(db_url, agents):
    first = request_handoff("c1", reason=Reason.REQUEST, now=NOW, url=db_url)
    take(first.entry.id, agents[0], actor="agent:a1", now=NOW, url=db_url)
    hand_back(first.entry.id, agents[0], "已加急", actor="agent:a1", now=NOW, url=db_url)
    again = request_handoff("c1", reason=Reason.REQUEST, now=NOW, url=db_url)
    assert again.created and again.entry.id != first.entry.id


# --- taking --------------------------------------------------------------------------------------

def test_two_agents_taking_at_once_one_wins_and_the_other_is_told(db_url, agents):
    entry = request_handoff("c1", reason=Reason.REQUEST, now=NOW, url=db_url).entry
    barrier = threading.Barrier(2)
    results: dict[int, object] = {}

    def attempt(agent_id: int) -> None:
        barrier.wait()
        try:
            results[agent_id] = take(entry.id, agent_id, actor=f"agent:{agent_id}", url=db_url)
        except AlreadyTaken as taken:
            results[agent_id] = taken

    threads = [threading.Thread(target=attempt, args=(agent_id,)) for agent_id in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [a for a, r in results.items() if not isinstance(r, AlreadyTaken)]
    losers = [r for r in results.values() if isinstance(r, AlreadyTaken)]
    assert len(winners) == 1 and len(losers) == 1
    winner_name = {agents[0]: "王小明", agents[1]: "李娜"}[winners[0]]
    assert losers[0].by == winner_name
    with unit_of_work(db_url) as uow:
        row = uow.session.get(Handoff, entry.id)
        assert row.status == "taken" and row.agent_id == winners[0]


def test_only_the_holder_may_write_or_hand_back(db_url, agents):
    entry = request_handoff("c1", reason=Reason.REQUEST, now=NOW, url=db_url).entry
    with pytest.raises(NotYours):
        held_by(entry.id, agents[0], url=db_url)  # queued: nobody holds it yet
    take(entry.id, agents[0], actor="a1", url=db_url)
    assert held_by(entry.id, agents[0], url=db_url).agent_name == "王小明"
    with pytest.raises(NotYours):
        held_by(entry.id, agents[1], url=db_url)
    with pytest.raises(NotYours):
        hand_back(entry.id, agents[1], "x", actor="a2", url=db_url)
    closed = hand_back(entry.id, agents[0], "  已为您加急  ", actor="a1", url=db_url)
    assert closed.status == "closed" and closed.resolution == "已为您加急"
    assert handoff.last_hand_back("c1", url=db_url).resolution == "已为您加急"


# --- working hours -------------------------------------------------------------------------------

def test_working_hours_say_when_people_start_again():
    spec = "08:00-20:00"
    assert next_opening(datetime(2026, 11, 22, 2, 0), spec) is None  # 10:00 local
    # 22:30 local on the 22nd -> 08:00 local on the 23rd = 00:00 UTC.
    assert next_opening(datetime(2026, 11, 22, 14, 30), spec) == datetime(2026, 11, 23, 0, 0)
    # 06:00 local on the 22nd -> 08:00 local the same day.
    assert next_opening(datetime(2026, 11, 21, 22, 0), spec) == datetime(2026, 11, 22, 0, 0)
    assert next_opening(datetime(2026, 11, 22, 12, 0), spec) == datetime(2026, 11, 23, 0, 0)
    assert next_opening(datetime(2026, 11, 22, 14, 30), "00:00-00:00") is None


def test_outside_working_hours_the_request_says_when(db_url):
    queued = request_handoff("c1", reason=Reason.REQUEST, now=datetime(2026, 11, 22, 14, 30),
                             url=db_url)
    assert queued.created and queued.opens_at == datetime(2026, 11, 23, 0, 0)


# --- summary -------------------------------------------------------------------------------------

def _user(text, intent, ts=1.0):
    return {"event": "user", "text": text, "timestamp": ts,
            "parse_data": {"intent": {"name": intent}}}


def _bot(text, ts=1.0, **metadata):
    return {"event": "bot", "text": text, "timestamp": ts, "metadata": metadata}


def test_summary_tells_who_what_and_the_last_messages():
    events = [
        _user("你好", "greet"), _bot("您好"),
        _user("查一下我的理赔进度", "check_status"), _bot("请告诉我保单号"),
        _user("AUTO-2026-0001", "inform"), _user("1985-04-12", "inform"),
        _user("为什么还没赔", "dispute_decision"),
        _user("EXTERNAL: EXTERNAL_handed_back", "EXTERNAL_handed_back"),
        _user("转人工", "request_human"),
    ]
    slots = {"customer_name": "张伟", "verified": True, "policy_number": "AUTO-2026-0001",
             "elderly": False, "claim_number": "CLM-2026-000004"}
    claims = [{"number": "CLM-2026-000004", "stage": "documents_review"}]
    summary = build_summary(events, slots, reason=Reason.DISPUTE, claims=claims)
    assert summary["reason"] == "dispute"
    assert summary["customer"] == {"name": "张伟", "verified": True,
                                   "policy_number": "AUTO-2026-0001", "elderly": False}
    assert summary["claim_number"] == "CLM-2026-000004" and summary["claims"] == claims
    assert [a["intent"] for a in summary["asked"]] == [
        "check_status", "dispute_decision", "request_human"]
    assert summary["first_request"] == "查一下我的理赔进度"
    texts = [m["text"] for m in summary["last_messages"]]
    assert "EXTERNAL: EXTERNAL_handed_back" not in texts and texts[-1] == "转人工"
    assert summary["last_messages"][1]["from"] == "bot"


def test_summary_of_an_unverified_customer_shows_no_policy_and_keeps_ten_messages():
    events = [_user(f"消息{i}", "nlu_fallback") for i in range(15)]
    summary = build_summary(events, {"policy_number": "AUTO-2026-0001", "verified": False},
                            reason="not_understood")
    assert summary["customer"]["policy_number"] is None
    assert len(summary["last_messages"]) == 10 and summary["last_messages"][-1]["text"] == "消息14"


def test_summary_marks_agent_lines():
    summary = build_summary([_bot("您好，我是王小明", agent="王小明")], {}, reason="request")
    assert summary["last_messages"] == [
        {"from": "agent", "text": "您好，我是王小明", "at": 1.0, "agent": "王小明"}]


# --- the outbox the web chat collects ------------------------------------------------------------

def _texts(messages):
    return [m.text for m in messages]


def test_messages_go_only_to_their_conversation_and_stay_until_acknowledged(db_url):
    queue_message("web-1", "webchat", "您好，我是王小明", kind="agent_message", url=db_url)
    queue_message("web-1", "webchat", "<b>第二条</b>", kind="agent_message", url=db_url)
    queue_message("web-2", "webchat", "别人的", kind="agent_message", url=db_url)
    queue_message("tg-1", "telegram", "推送渠道", kind="agent_message", url=db_url)
    first = collect_messages("web-1", now=NOW, url=db_url)
    assert _texts(first) == ["您好，我是王小明", "<b>第二条</b>"]
    # Leased: a second tab polling at once does not get them too.
    assert collect_messages("web-1", now=NOW + timedelta(seconds=5), url=db_url) == []
    # Never acknowledged (the answer was lost): handed out again, same ids, after the lease.
    again = collect_messages("web-1", now=NOW + delivery.POLL_LEASE, url=db_url)
    assert [m.id for m in again] == [m.id for m in first]
    assert _texts(collect_messages("web-2", now=NOW, url=db_url)) == ["别人的"]
    assert collect_messages("tg-1", now=NOW, url=db_url) == []  # Telegram's sender has those


def test_acknowledged_messages_are_delivered_and_never_come_back(db_url):
    ids = [queue_message("web-1", "webchat", f"m{i}", kind="agent_message", url=db_url)
           for i in range(3)]
    collect_messages("web-1", now=NOW, url=db_url)
    assert acknowledge_messages("web-1", ids[:2], now=NOW, url=db_url) == ids[:2]
    later = NOW + timedelta(hours=1)
    assert _texts(collect_messages("web-1", now=later, url=db_url)) == ["m2"]
    # Acknowledging again (the first acknowledgement's answer was lost) is harmless.
    assert acknowledge_messages("web-1", ids, now=later, url=db_url) == ids
    assert collect_messages("web-1", now=later + timedelta(hours=1), url=db_url) == []
    with unit_of_work(db_url) as uow:
        rows = [uow.notifications.get(i) for i in ids]
        assert [r.status for r in rows] == ["sent"] * 3
        assert rows[0].sent_at == NOW and rows[2].sent_at == later


def test_a_message_is_delivered_only_when_acknowledged_even_if_never_collected(db_url):
    message_id = queue_message("web-1", "webchat", "hello", kind="notice", url=db_url)
    with unit_of_work(db_url) as uow:
        assert uow.notifications.get(message_id).status == "pending"
    collect_messages("web-1", now=NOW, url=db_url)
    with unit_of_work(db_url) as uow:
        assert uow.notifications.get(message_id).status == "pending"


def test_acknowledging_another_conversations_ids_changes_nothing_and_is_audited(db_url):
    theirs = queue_message("web-victim", "webchat", "保单信息", kind="agent_message", url=db_url)
    pushed = queue_message("tg-1", "telegram", "推送", kind="agent_message", url=db_url)
    mine = queue_message("web-1", "webchat", "mine", kind="agent_message", url=db_url)
    done = acknowledge_messages("web-1", [theirs, pushed, mine, 999999], remote="203.0.113.9",
                                now=NOW, url=db_url)
    assert done == [mine]  # an unknown id and another's id get the same answer
    with unit_of_work(db_url) as uow:
        assert uow.notifications.get(theirs).status == "pending"
        assert uow.notifications.get(pushed).status == "pending"
        [entry] = uow.audit.list(delivery.ACK_REFUSED)
        assert entry.actor == "conversation:web-1" and entry.subject_id == "web-1"
        assert entry.detail["ids"] == sorted([theirs, pushed, 999999])
        assert entry.detail["remote"] == "203.0.113.9"
    assert _texts(collect_messages("web-victim", now=NOW, url=db_url)) == ["保单信息"]


def test_own_ids_are_not_audited(db_url):
    mine = queue_message("web-1", "webchat", "mine", kind="agent_message", url=db_url)
    acknowledge_messages("web-1", [mine], now=NOW, url=db_url)
    acknowledge_messages("web-1", [mine], now=NOW, url=db_url)
    with unit_of_work(db_url) as uow:
        assert uow.audit.list(delivery.ACK_REFUSED) == []


def test_concurrent_pollers_never_get_the_same_message(db_url):
    for i in range(20):
        queue_message("web-1", "webchat", f"m{i}", kind="agent_message", url=db_url)
    barrier = threading.Barrier(4)
    got: list[list[str]] = []
    lock = threading.Lock()

    def poll() -> None:
        barrier.wait()
        texts = _texts(collect_messages("web-1", now=NOW, url=db_url))
        with lock:
            got.append(texts)

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [text for texts in got for text in texts]
    assert sorted(everything) == sorted(f"m{i}" for i in range(20))


def test_a_message_leased_by_a_delivery_worker_is_not_handed_out(db_url):
    message_id = queue_message("web-1", "webchat", "hello", kind="notice", url=db_url)
    with unit_of_work(db_url) as uow:
        row = uow.notifications.get(message_id)
        row.next_attempt_at = NOW + timedelta(minutes=5)
        uow.commit()
    assert collect_messages("web-1", now=NOW, url=db_url) == []
    assert _texts(collect_messages("web-1", now=NOW + timedelta(minutes=6),
                                   url=db_url)) == ["hello"]
