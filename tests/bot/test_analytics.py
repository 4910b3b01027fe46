"""Counting conversation events (bot/analytics.py) as the RabbitMQ consumer receives them."""
from __future__ import annotations

import json

from bot.analytics import Tally, parse_body


def user(sender: str, intent: str, ts: float) -> dict:
    return {"sender_id": sender, "event": "user", "timestamp": ts, "text": intent,
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def test_counts_conversations_claims_handoffs_and_failures() -> None:
    events = [
        {"sender_id": "a", "event": "session_started", "timestamp": 1.0},
        user("a", "report_claim", 1.1),
        {"sender_id": "a", "event": "slot", "timestamp": 1.2, "name": "last_claim_number",
         "value": "CLM-2026-000007"},
        user("b", "nlu_fallback", 2.0),
        user("b", "request_human", 2.1),
        {"sender_id": "b", "event": "pause", "timestamp": 2.2},
        {"sender_id": "c", "event": "action_execution_rejected", "timestamp": 3.0,
         "name": "report_form"},
        {"sender_id": "a", "event": "slot", "timestamp": 4.0, "name": "last_claim_number",
         "value": None},
    ]
    summary = Tally().add_all(events).summary()
    assert summary["conversations"] == 2  # c never wrote a message
    assert summary["messages"] == 3
    assert summary["sessions"] == 1
    assert summary["claims"] == 1
    assert summary["handoffs"] == 1
    assert summary["not_understood"] == 1
    assert summary["rejected_actions"] == 1
    assert summary["failures"] == 2
    assert summary["top_intents"]["report_claim"] == 1


def test_an_event_delivered_twice_counts_once() -> None:
    event = user("a", "greet", 1.0)
    tally = Tally().add_all([event, dict(event), user("a", "greet", 2.0)])
    assert tally.messages == 2
    assert tally.duplicates == 1


def test_the_same_claim_number_twice_is_one_claim() -> None:
    slot = {"sender_id": "a", "event": "slot", "name": "last_claim_number",
            "value": "CLM-2026-000001"}
    tally = Tally().add_all([{**slot, "timestamp": 1.0}, {**slot, "timestamp": 5.0}])
    assert len(tally.claims) == 1


def test_unreadable_bodies_are_counted_not_fatal() -> None:
    tally = Tally()
    for body in (b"\xff\xfe", b"not json", b"[1, 2]", json.dumps({"event": 3}).encode()):
        tally.add(parse_body(body))
    assert tally.ignored == 4
    assert tally.events == 0
