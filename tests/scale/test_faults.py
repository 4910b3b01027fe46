"""Faults the scaled deployment survives, each against the real services:

- a Rasa replica killed in the middle of a report, then started again: the conversation goes
  on from PostgreSQL where it was, on the other replica and on the restarted one;
- the action servers down: the customer is told, in their language, to send it again shortly
  (503 with Retry-After), and nothing of that turn is stored; with one of two down nobody notices;
- PostgreSQL restarted while customers are reporting (a TCP proxy in front of the system
  PostgreSQL drops every connection and refuses new ones for a few seconds, which is what a
  restart looks like from the servers): every customer finishes, nothing lost or doubled;
- Redis down: turns are refused with "try again shortly" and nothing is stored; back when it is;
- RabbitMQ down: customers notice nothing; the events reach the queue once it is back.

A push channel's delivery failing (outbox retries with backoff, permanent failures, concurrent
deliverers) is covered by tests/bot/test_notify.py, run against PostgreSQL by
tests/scale/test_postgres_core.py.
"""
from __future__ import annotations

import contextlib
import re
import threading
import time
from typing import List, Tuple

import pytest
import requests

from bot.replies import say as reply
from rasa_server.launcher import Deployment
from tests.scale.helpers import (
    Answer,
    ScaleServices,
    as_stored,
    claims_of,
    drain_events,
    new_sender,
    report_messages,
    say,
    say_until_handled,
    stored_events,
    user_texts,
    wait_for,
)

pytestmark = pytest.mark.scale

CLAIM_NUMBER = re.compile(r"CLM-\d{4}-\d{6}")
# Longer than the tracker store waits to read (5 s): turns started early in the outage are
# refused and sent again, later ones just wait for the database.
CUT_SECONDS = 7.0


def _numbers(answer: Answer) -> List[str]:
    return [n for text in answer.texts for n in CLAIM_NUMBER.findall(text)]


def test_a_replica_killed_mid_report_resumes_from_postgres(
    deployment: Deployment, scale_services: ScaleServices
) -> None:
    sender = new_sender("killed")
    messages = report_messages(13)
    for message in messages[:3]:
        assert say(deployment.replica_url(1), sender, message).status == 200

    # The fourth message is in flight on replica 1 when it dies.
    def in_flight() -> None:
        with contextlib.suppress(requests.RequestException):  # dies with the server
            say(deployment.replica_url(1), sender, messages[3], timeout=30)

    thread = threading.Thread(target=in_flight)
    thread.start()
    time.sleep(0.05)
    deployment.kill("rasa-1")
    thread.join(60)

    stored = user_texts(scale_services.trackers_db, sender)
    kept = as_stored(messages)
    assert stored in (kept[:3], kept[:4])  # the whole turn or nothing of it
    to_send = messages[len(stored):]

    # The customer carries on through the balancer: replica 2 reads the conversation from
    # PostgreSQL (waiting at most one ticket lifetime for the dead replica's lock).
    started = time.monotonic()
    answers = [say_until_handled(deployment.rasa_url, sender, m) for m in to_send]
    assert [a.status for a in answers] == [200] * len(to_send)
    assert time.monotonic() - started < 60
    [number] = _numbers(answers[-1])
    assert claims_of(scale_services.claims_db, sender) == [number]
    assert user_texts(scale_services.trackers_db, sender) == as_stored(messages)

    # Started again, replica 1 knows the conversation too.
    deployment.restart("rasa-1")
    status = say(deployment.replica_url(1), sender, "查一下理赔进度")
    assert status.status == 200
    assert user_texts(scale_services.trackers_db, sender) == [*as_stored(messages),
                                                               "查一下理赔进度"]


def test_action_servers_down_the_customer_is_asked_to_try_again(
    deployment: Deployment, scale_services: ScaleServices
) -> None:
    sender = new_sender("noactions")
    messages = report_messages(14)
    for message in messages[:2]:
        assert say(deployment.rasa_url, sender, message).status == 200
    try:
        # One action server of two down: the balancer sends every action to the other.
        deployment.kill("actions-1")
        assert say(deployment.rasa_url, sender, messages[2]).status == 200
        stored = stored_events(scale_services.trackers_db, sender)

        deployment.kill("actions-2")
        answer = say(deployment.rasa_url, sender, messages[3])
        assert answer.status == 503
        assert answer.retry_after is not None
        assert answer.texts == [reply("try_again_shortly", "zh")]
        assert stored_events(scale_services.trackers_db, sender) == stored  # nothing half-stored
        assert claims_of(scale_services.claims_db, sender) == []

        english = new_sender("noactions-en")
        answer = say(deployment.rasa_url, english, "Which documents do I need for my claim?")
        assert (answer.status, answer.texts) == (503, [reply("try_again_shortly", "en")])
        assert stored_events(scale_services.trackers_db, english) == []
    finally:
        down = [n for n in ("actions-1", "actions-2") if not deployment.servers[n].alive()]
        for name in down:
            deployment.start_child(name)
        deployment.wait_until_ready(down)

    # Back up: the same message goes through and the report completes once.
    answers = [say(deployment.rasa_url, sender, m) for m in messages[3:]]
    assert [a.status for a in answers] == [200, 200]
    [number] = _numbers(answers[-1])
    assert claims_of(scale_services.claims_db, sender) == [number]
    assert user_texts(scale_services.trackers_db, sender) == as_stored(messages)


def test_postgres_restart_during_traffic_loses_and_doubles_nothing(
    deployment: Deployment, scale_services: ScaleServices
) -> None:
    proxy = scale_services.pg_proxy
    customers = [(new_sender("pgrestart"), report_messages(15 + i)) for i in range(4)]
    logs: List[List[Tuple[str, int]]] = [[] for _ in customers]
    finals: List[Answer] = [Answer(0, []) for _ in customers]

    def customer(i: int) -> None:
        sender, messages = customers[i]
        for message in messages:
            finals[i] = say_until_handled(deployment.rasa_url, sender, message, log=logs[i])
            time.sleep(0.2)

    threads = [threading.Thread(target=customer, args=(i,)) for i in range(len(customers))]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    cut_before = proxy.cut_connections
    proxy.cut()  # every connection of every server to PostgreSQL drops
    time.sleep(CUT_SECONDS)
    proxy.restore()
    for thread in threads:
        thread.join(180)

    assert proxy.cut_connections > cut_before  # the cut did hit live connections
    for i, (sender, messages) in enumerate(customers):
        assert [status for _, status in logs[i]][-1] == 200, logs[i]
        [number] = _numbers(finals[i])
        assert claims_of(scale_services.claims_db, sender) == [number], logs[i]
        # A refused turn (503) stored nothing, its resend is stored once: each message once.
        assert user_texts(scale_services.trackers_db, sender) == as_stored(messages), logs[i]
    refused = sum(1 for log in logs for _, status in log if status != 200)
    print(f"\nPostgreSQL cut for {CUT_SECONDS} s: {refused} turns refused and sent again, "
          f"{proxy.cut_connections - cut_before} connections dropped")


def test_redis_down_refuses_turns_clearly_and_recovers(
    deployment: Deployment, scale_services: ScaleServices
) -> None:
    proxy = scale_services.redis_proxy
    sender = new_sender("noredis")
    assert say(deployment.rasa_url, sender, "你好").status == 200
    stored = stored_events(scale_services.trackers_db, sender)
    proxy.cut()
    try:
        answer = say(deployment.rasa_url, sender, "查一下理赔进度")
        assert answer.status == 503
        assert answer.texts == [reply("try_again_shortly", "zh")]
        assert stored_events(scale_services.trackers_db, sender) == stored
    finally:
        proxy.restore()
    answer = say_until_handled(deployment.rasa_url, sender, "查一下理赔进度", patience_s=30)
    assert answer.status == 200
    assert user_texts(scale_services.trackers_db, sender) == ["你好", "查一下理赔进度"]


def test_rabbitmq_down_customers_notice_nothing_and_no_event_is_lost(
    deployment: Deployment, scale_services: ScaleServices
) -> None:
    drain_events(scale_services, idle_s=0.5)
    proxy = scale_services.rabbitmq_proxy
    sender = new_sender("norabbit")
    proxy.cut()
    try:
        for message in ("你好", "谢谢"):
            assert say(deployment.rasa_url, sender, message).status == 200
    finally:
        proxy.restore()
    stored = [(e["event"], e.get("timestamp"))
              for e in stored_events(scale_services.trackers_db, sender)]
    published: List[tuple] = []

    def all_arrived() -> bool:  # the replicas reconnect and send what they kept
        published.extend((e["event"], e.get("timestamp")) for e in
                         drain_events(scale_services, idle_s=0.5)
                         if e.get("sender_id") == sender)
        return len(published) >= len(stored)

    assert wait_for(all_arrived, timeout=60, every=1.0)
    assert sorted(published, key=str) == sorted(stored, key=str)
