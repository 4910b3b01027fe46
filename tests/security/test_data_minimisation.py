"""The attack: someone who gets a copy of the var directory, the event stream, the agent console
or the logs looks for the answers that verified customers and the identifiers they typed
(issue 18, item 4). Before the fix the tracker store, the broker's stream and the handoff summary
held "1985-04-12" in clear, nothing was ever deleted, files were world-readable and the ID hash
was a bare sha256 anyone could recompute."""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
import stat
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests

from tests.support.store import migrate_and_seed
from tests.support.webchat import WebChat

DOB_FORMS = ("1985-04-12", "19850412", "1985年4月12日")
ZHANG_ID = "110105198504121236"  # bot/seed.py: 张伟, AUTO-2026-0001, born 1985-04-12


def _everything_in(path: Path, tables: tuple = ()) -> str:
    """Every text the SQLite file holds (or its `tables`), read as an attacker with the file
    would."""
    with sqlite3.connect(str(path)) as connection:
        tables = tables or tuple(row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type='table'"))
        parts: List[str] = []
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


def _no_dob(text: str) -> None:
    for form in DOB_FORMS:
        assert form not in text, f"{form!r} found"


# --- through the real servers ---------------------------------------------------------------------

def _console(servers: Any) -> Dict[str, Any]:
    from tests.support.e2e import E2E_AGENTS

    username, _name, password = E2E_AGENTS[0]
    base = f"{servers.rasa_url}/webhooks/agent/api/"
    res = requests.post(base + "login", json={"username": username, "password": password,
                                              "want_token": True}, timeout=30)
    assert res.status_code == 200, res.text
    return {"base": base, "headers": {"Authorization": f"Bearer {res.json()['token']}"}}


@pytest.mark.e2e
def test_the_answer_that_verified_a_customer_is_nowhere_in_what_is_kept(
        claims_servers: Any, claims_e2e_dir: Path) -> None:
    chat = WebChat(claims_servers)
    chat.says("查一下理赔进度")
    chat.says("AUTO-2026-0001")
    verified = chat.says("1985-04-12")
    assert "CLM-" in verified, verified  # 张伟 was verified and sees his claim
    # The next turn reads the tracker back from the store: still verified, nothing asked again.
    again = chat.says("查一下理赔进度")
    assert "CLM-" in again and "出生日期" not in again, again
    chat.says("我的手机号是13800000001")
    chat.says("转人工")

    # The tracker store's file, read directly.
    trackers_db = claims_e2e_dir / "var" / "trackers.db"
    stored = _everything_in(trackers_db)
    assert chat.sender in stored
    _no_dob(stored)
    assert "13800000001" not in stored and "138****0001" in stored

    # The agent: the queue's summary and the transcript show masked values only.
    console = _console(claims_servers)
    queue = requests.get(console["base"] + "queue", headers=console["headers"], timeout=30)
    entries = [e for e in queue.json()["queue"] if e["conversation_id"] == chat.sender]
    assert entries, "the handoff was not queued"
    shown = requests.get(console["base"] + f"handoffs/{entries[0]['id']}",
                         headers=console["headers"], timeout=30)
    assert shown.status_code == 200
    seen = json.dumps(entries[0], ensure_ascii=False) + shown.text
    _no_dob(json.loads(json.dumps(seen)))
    _no_dob(shown.content.decode("utf-8"))
    assert "13800000001" not in shown.content.decode("utf-8")
    assert "138****0001" in json.dumps(shown.json()["transcript"], ensure_ascii=False)
    assert "[出生日期（已隐去）]" in json.dumps(shown.json()["transcript"], ensure_ascii=False)

    # The claims database's handoff summaries, outbox and audit log (the customer record itself
    # holds the date of birth the check compares with), and the servers' logs.
    _no_dob(_everything_in(claims_e2e_dir / "claims.db",
                           ("handoffs", "notifications", "audit_log")))
    for log in claims_servers.log_dir.glob("*.log"):
        _no_dob(log.read_text(encoding="utf-8", errors="replace"))

    # Files under var/ and the logs: owner only.
    for path in [trackers_db, claims_e2e_dir / "claims.db",
                 *claims_servers.log_dir.glob("*.log")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((claims_e2e_dir / "var").stat().st_mode) == 0o700
    for path in (claims_e2e_dir / "var").rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) & ~expected == 0, path


# --- the store and the broker, in process ----------------------------------------------

@pytest.fixture
def var_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    from bot.settings import get_settings

    for name in ("CLAIMS_TRACKER_STORE_URL", "CLAIMS_REDIS_URL", "CLAIMS_RABBITMQ_URL",
                 "CLAIMS_ID_HASH_KEY", "CLAIMS_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLAIMS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CLAIMS_DB_URL", f"sqlite:///{tmp_path / 'var' / 'claims.db'}")
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()
    from bot.store.db import dispose_engines

    dispose_engines()


class RecordingBroker:
    def __init__(self) -> None:
        self.published: List[Dict[str, Any]] = []

    def publish(self, event: Dict[str, Any]) -> None:
        self.published.append(event)


def _domain() -> Any:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))


def _verification(store: Any, sender: str) -> Any:
    """A customer verifies over two turns, then gives a callback number to a complaint."""
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        SessionStarted,
        SlotSet,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(sender, store.domain.slots)
    for event in [SessionStarted(), ActionExecuted("action_listen"),
                  UserUttered("AUTO-2026-0001", {"name": "inform", "confidence": 1.0}),
                  SlotSet("policy_number", "AUTO-2026-0001"),
                  SlotSet("requested_slot", "verification_answer"),
                  BotUttered("请告诉我您的出生日期"), ActionExecuted("action_listen")]:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    for event in [UserUttered("1985-04-12", {"name": "inform", "confidence": 1.0},
                              [{"entity": "date", "value": "1985-04-12", "start": 0,
                                "end": 10}]),
                  SlotSet("verification_answer", "1985-04-12"),
                  SlotSet("verification_answer", "verified"), SlotSet("verified", True),
                  SlotSet("customer_id", 1), SlotSet("customer_name", "张伟"),
                  SlotSet("requested_slot", None),
                  BotUttered("张伟您好,您的理赔 CLM-2026-000101 正在审核"),
                  UserUttered("我要投诉", {"name": "complain", "confidence": 1.0}),
                  SlotSet("requested_slot", "complainant_phone"),
                  UserUttered("13800000001", {"name": "inform", "confidence": 1.0}),
                  SlotSet("complainant_phone", "13800000001"),
                  ActionExecuted("action_listen")]:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    return tracker


def test_the_store_and_the_broker_get_redacted_events_and_the_conversation_survives(
        var_env: Path) -> None:
    from rasa.shared.core.events import UserUttered

    from rasa_server.stores import ClaimsTrackerStore

    broker = RecordingBroker()
    store = ClaimsTrackerStore(domain=_domain(), event_broker=broker)  # type: ignore[arg-type]
    live = _verification(store, "dm-store")
    # The live turn keeps what the customer typed.
    assert "1985-04-12" in [e.text for e in live.events if isinstance(e, UserUttered)]

    stored = _everything_in(var_env / "trackers.db")
    published = json.dumps(broker.published, ensure_ascii=False)
    for text in (stored, published):
        _no_dob(text)
        assert "13800000001" not in text
    label = json.dumps("[出生日期（已隐去）]")[1:-1]  # as the stored JSON spells it
    assert label in stored and "[出生日期（已隐去）]" in published

    # A restart: a new store on the same file restores what the conversation needs.
    again = ClaimsTrackerStore(domain=_domain())
    tracker = asyncio.run(again.retrieve("dm-store"))
    assert tracker is not None
    assert tracker.get_slot("verified") is True and tracker.get_slot("customer_id") == 1
    assert tracker.get_slot("policy_number") == "AUTO-2026-0001"
    assert tracker.get_slot("verification_answer") == "verified"
    assert tracker.get_slot("complainant_phone") == "13800000001"  # sealed, opened again


def test_the_handoff_summary_agents_read_masks_the_answers() -> None:
    from bot.handoff import build_summary

    events = [
        {"event": "slot", "name": "requested_slot", "value": "verification_answer"},
        {"event": "user", "text": "1985-04-12", "parse_data": {"intent": {"name": "inform"}}},
        {"event": "slot", "name": "verification_answer", "value": "1985-04-12"},
        {"event": "slot", "name": "requested_slot", "value": None},
        {"event": "user", "text": "我要投诉,我电话13800000001,身份证110105198504121236",
         "parse_data": {"intent": {"name": "complain"}}},
    ]
    summary = json.dumps(build_summary(events, {"verified": True, "language": "zh"},
                                       reason="complaint"), ensure_ascii=False)
    _no_dob(summary)
    assert "13800000001" not in summary and "138****0001" in summary
    assert ZHANG_ID not in summary and "1101**********1236" in summary


# --- retention ---------------------------------------------------------------------------------

def test_retention_deletes_old_conversations_receipts_and_uploads(var_env: Path) -> None:
    from bot.handoff import request_handoff
    from bot.inbound import first_receipt
    from bot.retention import run_retention
    from rasa_server.stores import ClaimsTrackerStore

    db_url = migrate_and_seed(f"sqlite:///{var_env / 'claims.db'}", today=None)
    store = ClaimsTrackerStore(domain=_domain())
    _verification(store, "dm-old")
    _verification(store, "dm-in-handoff")
    request_handoff("dm-in-handoff", reason="request", url=db_url)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    first_receipt("telegram", "update-1", at=now, url=db_url)
    orphan = var_env / "uploads" / "CLM-0000-000000" / "left-behind.jpg"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"\xff\xd8 photo")
    old = time.time() - 8 * 86400
    os.utime(orphan, (old, old))

    def stored_senders() -> set[str]:
        with sqlite3.connect(str(var_env / "trackers.db")) as connection:
            return {row[0] for row in connection.execute("SELECT sender_id FROM events")}

    # 89 days on nothing of the conversations has expired; a dry run changes nothing.
    early = run_retention(now + timedelta(days=89), db_url=db_url)
    assert early.counts["trackers"] == 0 and early.counts["receipts"] == 1
    assert early.counts["uploads"] == 1 and not orphan.exists()
    dry = run_retention(now + timedelta(days=91), dry_run=True, db_url=db_url)
    assert dry.counts["trackers"] == 1 and stored_senders() == {"dm-old", "dm-in-handoff"}

    done = run_retention(now + timedelta(days=91), db_url=db_url)
    assert done.counts["trackers"] == 1
    assert stored_senders() == {"dm-in-handoff"}  # an open handoff keeps its conversation
    with sqlite3.connect(str(var_env / "claims.db")) as connection:
        runs = [row[0] for row in connection.execute(
            "SELECT action FROM audit_log WHERE action LIKE 'retention.%' ORDER BY id")]
    assert runs == ["retention.run", "retention.dry_run", "retention.run"]


def test_retention_from_the_command_line_counts_per_kind(var_env: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    from bot.cli import main
    from bot.store.migrate import upgrade

    upgrade(f"sqlite:///{var_env / 'claims.db'}")
    assert main(["retention", "run", "--dry-run", "--json", "--now", "2031-01-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] is True
    assert set(out["counts"]) == {"trackers", "transcripts", "uploads", "receipts", "notices"}


# --- the ID hash -------------------------------------------------------------------------------

def test_a_stolen_id_hash_cannot_be_matched_without_the_key(var_env: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    from bot.privacy import hash_id_number, id_hash_key

    monkeypatch.setenv("CLAIMS_ID_HASH_KEY", "the-insurer's-key")
    stored = hash_id_number(ZHANG_ID)
    # The attacker recomputes hashes of candidate IDs: a bare sha256 no longer matches ...
    assert hashlib.sha256(ZHANG_ID.encode()).hexdigest() != stored
    # ... nor an HMAC under any other key.
    assert hash_id_number(ZHANG_ID, key=b"a guess") != stored
    monkeypatch.delenv("CLAIMS_ID_HASH_KEY")
    assert hash_id_number(ZHANG_ID) != stored  # the development key in var/ is another
    assert stat.S_IMODE((var_env / "id_hash.key").stat().st_mode) == 0o600
    assert id_hash_key() == (var_env / "id_hash.key").read_text().strip().encode()


@pytest.mark.e2e
def test_a_complaint_callback_number_is_sealed_in_the_store_yet_reaches_the_complaint(
        claims_servers: Any, claims_e2e_dir: Path) -> None:
    from bot.replies import say

    chat = WebChat(claims_servers)
    assert chat.says("我要投诉") == say("ask_complainant_name", "zh")
    assert chat.says("王小明") == say("ask_complainant_phone", "zh")
    # The form asks three more questions: each turn reads the tracker back from the store.
    assert chat.says("13912345678") == say("ask_complaint_about", "zh")
    assert chat.says("理赔员") == say("ask_complaint_facts", "zh")
    assert chat.says("说好三天回电话,一周了都没人联系我") == say("ask_complaint_request", "zh")
    assert "CMP-" in chat.says("尽快处理并道歉")
    assert "13912345678" not in _everything_in(claims_e2e_dir / "var" / "trackers.db")
    with sqlite3.connect(str(claims_e2e_dir / "claims.db")) as connection:
        phones = [row[0] for row in connection.execute(
            "SELECT complainant_phone FROM complaints WHERE conversation_id = ?",
            (chat.sender,))]
    assert phones == ["13912345678"]  # the insurer can call back
