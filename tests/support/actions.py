"""Builds rasa_sdk trackers the way the Rasa server sends them, and runs actions on them."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(
    text: str = "",
    intent: str = "greet",
    slots: Dict[str, Any] | None = None,
    events: List[Dict[str, Any]] | None = None,
    sender_id: str = "test-user",
    active_loop: str | None = None,
    entities: List[Dict[str, Any]] | None = None,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": entities or [],
    }
    user_event = {"event": "user", "text": text, "parse_data": latest}
    all_slots = {"language": "zh", "language_pinned": False, "verified": False}
    all_slots.update(slots or {})
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message=latest,
        events=(events if events is not None else []) + [user_event],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def run_action(action, tracker: Tracker, domain: Dict[str, Any]):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    texts = [message.get("text") for message in dispatcher.messages]
    return texts, events
