"""Counts what happens in conversations from Rasa's events (the JSON the event broker publishes):
conversations, messages, claims reported, handoffs to a person, and failures.

Reads plain dicts, so it needs nothing from Rasa; scripts/analytics_consumer.py feeds it from
RabbitMQ. What counts as what:
- conversation: a sender id that wrote at least one message; session: a `session_started`;
- claim: a distinct claim number set in `last_claim_number` (the receipt of a report);
- handoff: a `pause` event (the bot hands the conversation to a person and goes quiet);
- failure: a message the assistant did not understand (`nlu_fallback`), or an action that
  refused to run (`action_execution_rejected`). Turns refused because a service was down are
  not stored, so they never reach the broker; the servers' logs count those.
An event delivered twice (a broker reconnect may resend) is counted once.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Mapping, Set

FALLBACK_INTENT = "nlu_fallback"
CLAIM_SLOT = "last_claim_number"


def _fingerprint(event: Mapping[str, Any]) -> str:
    raw = json.dumps(
        [event.get("sender_id"), event.get("event"), event.get("timestamp"),
         event.get("name"), event.get("text"), event.get("value")],
        sort_keys=True, default=str, ensure_ascii=False,
    )
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


@dataclass
class Tally:
    """Running counts; `add` one event at a time, `summary()` for a report."""

    events: int = 0
    duplicates: int = 0
    ignored: int = 0
    messages: int = 0
    sessions: int = 0
    handoffs: int = 0
    not_understood: int = 0
    rejected_actions: int = 0
    intents: Counter = field(default_factory=Counter)
    conversations: Set[str] = field(default_factory=set)
    claims: Set[str] = field(default_factory=set)
    _seen: Set[str] = field(default_factory=set, repr=False)

    def add(self, event: Any) -> None:
        if not isinstance(event, Mapping) or not isinstance(event.get("event"), str):
            self.ignored += 1
            return
        key = _fingerprint(event)
        if key in self._seen:
            self.duplicates += 1
            return
        self._seen.add(key)
        self.events += 1
        kind = event["event"]
        sender = str(event.get("sender_id") or "")
        if kind == "user":
            self.messages += 1
            if sender:
                self.conversations.add(sender)
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if isinstance(intent, str):
                self.intents[intent] += 1
                if intent == FALLBACK_INTENT:
                    self.not_understood += 1
        elif kind == "session_started":
            self.sessions += 1
        elif kind == "pause":
            self.handoffs += 1
        elif kind == "action_execution_rejected":
            self.rejected_actions += 1
        elif kind == "slot" and event.get("name") == CLAIM_SLOT:
            value = event.get("value")
            if isinstance(value, str) and value:
                self.claims.add(value)

    def add_all(self, events: Iterable[Any]) -> Tally:
        for event in events:
            self.add(event)
        return self

    @property
    def failures(self) -> int:
        return self.not_understood + self.rejected_actions

    def summary(self) -> Dict[str, Any]:
        return {
            "conversations": len(self.conversations),
            "sessions": self.sessions,
            "messages": self.messages,
            "claims": len(self.claims),
            "handoffs": self.handoffs,
            "failures": self.failures,
            "not_understood": self.not_understood,
            "rejected_actions": self.rejected_actions,
            "events": self.events,
            "duplicates_dropped": self.duplicates,
            "unreadable": self.ignored,
            "top_intents": dict(self.intents.most_common(10)),
        }


def parse_body(body: bytes) -> Any:
    """One broker message body as JSON; None when it is not JSON."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
