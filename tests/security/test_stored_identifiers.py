"""Attack (reading what is kept): a password typed into the agent console's username field, and a
customer's client address, must not be readable in the store."""
from __future__ import annotations

import json
from pathlib import Path

from bot.agents import add_agent, authenticate
from bot.privacy import EventRedactor
from bot.store.db import dispose_engines, unit_of_work
from tests.support.store import migrate_and_seed

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
