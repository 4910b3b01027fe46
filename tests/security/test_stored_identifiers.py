"""Attack (reading what is kept): a password typed into the agent console's username field, and a
customer's client address, must not be readable in the store."""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.agents import add_agent, authenticate
from bot.privacy import EventRedactor
from bot.store.db import dispose_engines, unit_of_work
from tests.support.store import migrate_and_seed
from tests.support.webchat import new_session, session_headers

PASSWORD = "a long enough passphrase 42"


def test_a_password_typed_as_the_username_is_not_kept_in_the_audit_log(tmp_path: Path) -> None:
    url = migrate_and_seed(f"sqlite:///{tmp_path / 'claims.db'}", today=None)
    try:
        add_agent("alice", PASSWORD, url=url)
        assert authenticate("Tr0ub4dor&3-secret", "x", url=url) is None  # the password, misplaced
        assert authenticate("alice", "wrong", url=url) is None
        with unit_of_work(url) as uow:
            failed = [e.subject_id for e in uow.audit.list(action="agent.login_failed")]
        assert "alice" in failed  # an existing agent's name is kept: who was attacked
        assert not any("Tr0ub4dor" in (s or "") or "tr0ub4dor" in (s or "") for s in failed)
        assert any((s or "").startswith("sha256:") for s in failed)
    finally:
        dispose_engines()


def test_no_client_address_is_kept_anywhere_in_a_stored_event() -> None:
    address = "203.0.113.77"
    nested = {"client_address": address, "webchat": {"client_address": address,
                                                      "page": "https://example.test/"}}
    events = [
        {"event": "user", "text": "你好", "metadata": dict(nested),
         "parse_data": {"text": "你好", "intent": {"name": "greet"},
                        "metadata": {**nested, "inner": [{"client_address": address}]}}},
        {"event": "slot", "name": "session_started_metadata", "value": dict(nested)},
        {"event": "session_started", "metadata": dict(nested)},
    ]
    stored = json.dumps(EventRedactor(seal_slots=False).redact(events), ensure_ascii=False)
    assert address not in stored
    assert "https://example.test/" in stored  # other metadata is kept


@pytest.mark.e2e
def test_a_birth_date_spelled_oddly_beside_the_policy_number_is_not_kept(
    claims_servers: Any, claims_e2e_dir: Path, claims_db_url: str
) -> None:
    """R4 through the real servers: the odd spellings verify as 张伟, and neither the tracker
    store nor the handoff summary agents read keeps them."""
    base = f"{claims_servers.rasa_url}/webhooks/webchat/webhook"
    spellings = ["查进度 AUTO-2026-0001 ①⑨⑧⑤-④-①②", "AUTO-2026-0001 1985\ufe6304\ufe6312",
                 "AUTO-2026-0001.1985.4.12"]
    senders = []
    for text in spellings:
        sender, token = new_session(claims_servers.rasa_url)
        senders.append(sender)
        for message in (text, "转人工"):
            res = requests.post(base, timeout=60, json={"sender": sender, "message": message},
                                headers=session_headers(token))
            assert res.status_code == 200, res.text
            if message == text:
                assert "张伟" in json.dumps(res.json(), ensure_ascii=False)  # it verified
    with sqlite3.connect(str(claims_e2e_dir / "var" / "trackers.db")) as connection:
        stored = json.dumps([row for row in connection.execute(
            "SELECT data FROM events WHERE sender_id IN (?, ?, ?)", senders)],
            ensure_ascii=False)
    with unit_of_work(claims_db_url) as uow:
        from bot.store.models import Handoff

        summaries = json.dumps([row.summary for row in uow.session.query(Handoff).filter(
            Handoff.conversation_id.in_(senders))], ensure_ascii=False)
    assert "AUTO-2026-0001" in stored  # the conversation is kept, the answer is not
    for kept in (stored, summaries):
        for clear in ("①⑨⑧⑤", "\ufe63", "\\ufe63", "12.4.1985"):
            assert clear not in kept, clear
        # The year on its own, never as digits inside a longer number (an event's timestamp).
        assert not re.search(r"(?<!\d)1985(?!\d)", kept), kept
