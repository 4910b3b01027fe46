"""Two Rasa replicas behind the balancer, on PostgreSQL, Redis and RabbitMQ: many customers at
once, and one customer's messages at both replicas at once, lose, reorder and duplicate nothing
(events, claims, notices); claim numbers stay unique."""
from __future__ import annotations

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List

import pytest
import redis
import requests

from rasa_server.launcher import Deployment
from rasa_server.locks import AtomicRedisLockStore
from tests.scale.helpers import (
    ScaleServices,
    as_stored,
    claims_of,
    drain_events,
    new_sender,
    report_messages,
    say,
    stored_events,
    user_texts,
    wait_for,
)
from tests.support.e2e import E2E_CORE_API_TOKEN
from tests.support.webchat import signed_headers

pytestmark = pytest.mark.scale

CLAIM_NUMBER = re.compile(r"CLM-\d{4}-\d{6}")
CUSTOMERS = 8


def _report(base_url: str, sender: str, day: int) -> Dict[str, object]:
    statuses, texts = [], []
    for message in report_messages(day):
        answer = say(base_url, sender, message)
        statuses.append(answer.status)
        texts.extend(answer.texts)
    numbers = sorted({n for text in texts for n in CLAIM_NUMBER.findall(text)})
    return {"sender": sender, "statuses": statuses, "numbers": numbers}


def test_many_customers_reporting_at_once(deployment: Deployment,
                                          scale_services: ScaleServices) -> None:
    drain_events(scale_services, idle_s=0.5)  # count only this test's events below
    senders = [new_sender("many") for _ in range(CUSTOMERS)]
    with ThreadPoolExecutor(max_workers=CUSTOMERS) as pool:
        results = list(pool.map(lambda s, day: _report(deployment.rasa_url, s, day), senders,
                                range(4, CUSTOMERS + 4)))

    for result in results:
        assert result["statuses"] == [200] * 5, result
        assert len(result["numbers"]) == 1, result  # one receipt, one claim number
    numbers = [r["numbers"][0] for r in results]
    assert len(set(numbers)) == CUSTOMERS  # unique under concurrent reporting

    for day, (sender, number) in enumerate(zip(senders, numbers, strict=True), start=4):
        assert claims_of(scale_services.claims_db, sender) == [number]  # stored once
        # every message stored once, in order
        assert user_texts(scale_services.trackers_db, sender) == as_stored(report_messages(day))

    # Both replicas took part.
    served = requests.get(deployment.rasa_url + "/-/balancer", timeout=5).json()["backends"]
    assert all(b["served"] > 0 for b in served), served

    # The broker carried exactly the stored events: none lost, none twice.
    published = [e for e in drain_events(scale_services) if e.get("sender_id") in senders]
    for sender in senders:
        stored = [(e["event"], e.get("timestamp")) for e in
                  stored_events(scale_services.trackers_db, sender)]
        sent = [(e["event"], e.get("timestamp")) for e in published
                if e["sender_id"] == sender]
        assert Counter(sent) == Counter(stored), sender


def test_one_customer_at_both_replicas_keeps_every_message_once_in_order(
    deployment: Deployment, scale_services: ScaleServices
) -> None:
    """Ten messages of one customer, alternately to replica 1 and replica 2, each sent once the
    one before has taken its place in the conversation's line (its Redis ticket; the test holds
    the first place so that all ten wait together): they are handled one at a time, in the
    order sent, each stored once."""
    sender = new_sender("both")
    messages = [f"你好 {i}" for i in range(10)]
    locks = AtomicRedisLockStore(scale_services.redis, key_prefix="claims")
    counter = locks.keys_for(sender)[0]
    red = redis.Redis.from_url(scale_services.redis)
    first = locks.issue_ticket(sender)  # the test's own ticket holds the line
    answers: Dict[int, int] = {}

    def send(i: int) -> None:
        answers[i] = say(deployment.replica_url(1 + i % 2), sender, messages[i]).status

    threads = []
    try:
        for i in range(len(messages)):
            thread = threading.Thread(target=send, args=(i,))
            thread.start()
            threads.append(thread)
            assert wait_for(lambda i=i: int(red.get(counter) or 0) == first + i + 1, 30), i
            locks.renew(sender, first)
        assert answers == {}  # all ten wait behind the test's ticket
    finally:
        locks.cleanup(sender, first)
    for thread in threads:
        thread.join(120)
    assert answers == {i: 200 for i in range(len(messages))}
    assert user_texts(scale_services.trackers_db, sender) == as_stored(messages)


def test_a_burst_at_both_replicas_loses_and_doubles_nothing(
    deployment: Deployment, scale_services: ScaleServices
) -> None:
    """Eight messages of one customer fired at the same instant at both replicas: the order
    among simultaneous messages is the order they reached Redis; none is lost or doubled."""
    sender = new_sender("burst")
    messages = [f"谢谢 {i}" for i in range(8)]
    start = threading.Barrier(len(messages))
    statuses: List[int] = []

    def send(i: int) -> None:
        start.wait()
        statuses.append(say(deployment.replica_url(1 + i % 2), sender, messages[i]).status)

    with ThreadPoolExecutor(max_workers=len(messages)) as pool:
        list(pool.map(send, range(len(messages))))
    assert statuses == [200] * len(messages)
    stored = user_texts(scale_services.trackers_db, sender)
    assert sorted(stored) == sorted(as_stored(messages)) and len(stored) == len(messages)
    # Every turn ran whole: each message is followed by the bot's turn before the next one.
    kinds = [e["event"] for e in stored_events(scale_services.trackers_db, sender)
             if e["event"] in ("user", "action")]
    assert kinds.count("user") == len(messages)
    assert "user" not in [b for a, b in zip(kinds, kinds[1:], strict=False) if a == "user"]


def test_notices_reach_the_customer_once_with_both_replicas_collecting(
    deployment: Deployment, scale_services: ScaleServices
) -> None:
    """A stage change queues one notice; the customer's page polls both replicas at once, again
    and again, acknowledging what it showed: the notice is handed out exactly once."""
    sender = new_sender("notice")
    result = _report(deployment.rasa_url, sender, day=12)
    [number] = result["numbers"]
    for stage, notice in (("documents_review", None), ("investigation", "investigation_started")):
        moved = requests.post(
            f"{deployment.rasa_url}/webhooks/core/claims/{number}/stage",
            headers={"Authorization": f"Bearer {E2E_CORE_API_TOKEN}"},
            json={"stage": stage, "note": "scale test"}, timeout=30,
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["notice"] == notice

    got: List[dict] = []
    lock = threading.Lock()

    def poll(replica: int) -> None:
        for _ in range(10):
            base = f"{deployment.replica_url(replica)}/webhooks/webchat/messages"
            res = requests.get(base, params={"sender": sender}, timeout=30,
                               headers=signed_headers(sender))
            assert res.status_code == 200, res.text
            with lock:
                got.extend(res.json())
            if res.json():  # shown, so acknowledged as the page does
                acked = requests.post(f"{base}/ack", timeout=30, headers=signed_headers(sender),
                                      json={"sender": sender,
                                            "ids": [m["id"] for m in res.json()]})
                assert acked.status_code == 200, acked.text

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(poll, [1, 2, 1, 2, 1, 2]))
    assert len(got) == 1, got
    assert number in got[0]["text"]
