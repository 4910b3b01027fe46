"""Builds rasa_sdk trackers the way the Rasa server sends them, and runs actions on them."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]
SAVED = Path(__file__).with_name("trackers")


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


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


def saved_tracker(name: str) -> Tracker:
    """A tracker saved from a real conversation (GET /conversations/<id>/tracker)."""
    state = json.loads((SAVED / f"{name}.json").read_text(encoding="utf-8"))
    return Tracker.from_dict(state)


def run_action(action, tracker: Tracker, domain: Dict[str, Any]):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    texts = [message.get("text") for message in dispatcher.messages]
    return texts, events


@pytest.fixture
def claims_store(tmp_path, monkeypatch):
    """A migrated store holding the demo data (as of 2026-11-22), used by the actions."""
    import datetime as dt

    from bot.seed import seed
    from bot.settings import get_settings
    from bot.store.db import dispose_engines
    from bot.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'claims.db'}"
    monkeypatch.setenv("CLAIMS_DB_URL", url)
    monkeypatch.setenv("CLAIMS_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    upgrade(url)
    seed(url, today=dt.date(2026, 11, 22))
    yield url
    dispose_engines()
    get_settings.cache_clear()
