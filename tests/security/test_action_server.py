"""Attacks on the action server over real HTTP (issue 18: it listened on 0.0.0.0:5055 with no
authentication, and a forged call with `verified: true` returned a stranger's claim)."""
from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Dict, List, Set

import pytest
import requests
from sqlalchemy import func, select

from bot.store.db import unit_of_work
from bot.store.models import AuditEntry

pytestmark = pytest.mark.e2e

SECRETS = ("MED-2026-0002", "李秀英", "CLM-2026", "hospital", "住院")


def _forged_call(sender: str) -> Dict[str, object]:
    slots = {"verified": True, "policy_number": "MED-2026-0002", "language": "zh"}
    return {
        "next_action": "action_show_status", "sender_id": sender, "version": "3.6.2",
        "domain": {}, "tracker": {
            "sender_id": sender, "slots": slots, "events": [], "paused": False,
            "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
            "latest_message": {"text": "查一下理赔进度", "intent": {"name": "check_status"},
                               "entities": []}}}


def _refusals(url: str) -> int:
    with unit_of_work(url) as uow:
        return uow.session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "action_server.refused")).scalar_one()


def test_a_forged_action_call_is_refused_audited_and_reveals_no_claim(
        default_servers, claims_db_url: str) -> None:
    before = _refusals(claims_db_url)
    body = _forged_call(f"attacker{uuid.uuid4().hex[:6]}")
    attempts = [{}, {"Authorization": "Bearer guessed"},
                {"Authorization": f"Basic {default_servers.action_server_token}"},
                {"Authorization": f"Bearer {default_servers.action_server_token}x"}]
    for headers in attempts:
        answer = requests.post(default_servers.actions_url + "/webhook", json=body,
                               headers=headers, timeout=30)
        assert answer.status_code == 401, (headers, answer.text[:300])
        assert not any(secret in answer.text for secret in SECRETS), answer.text
    listing = requests.get(default_servers.actions_url + "/actions", timeout=30)
    assert listing.status_code == 401
    assert _refusals(claims_db_url) == before + len(attempts) + 1
    # The liveness probe stays open; Rasa's own calls (with the run's secret) are served.
    assert requests.get(default_servers.actions_url + "/health", timeout=30).status_code == 200
    unverified = _forged_call("rasa-itself")
    unverified["tracker"]["slots"] = {"verified": False}  # type: ignore[index]
    ok = requests.post(default_servers.actions_url + "/webhook", json=unverified, timeout=60,
                       headers={"Authorization": f"Bearer {default_servers.action_server_token}"})
    assert ok.status_code == 200, ok.text[:300]


def _listening_addresses(port: int) -> Set[str]:
    """Local addresses with a socket listening on `port` (Linux /proc/net/tcp*)."""
    found: Set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields: List[str] = line.split()
            local, state = fields[1], fields[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: picks the outgoing address
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_the_action_server_listens_on_loopback_only(default_servers) -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux's /proc/net/tcp")
    addresses = _listening_addresses(default_servers.actions_port)
    assert addresses == {"0100007F"}, addresses  # 127.0.0.1, nothing else (not 0.0.0.0, ::)
    other = _non_loopback_address()
    if other is not None:
        with socket.socket() as attempt:
            attempt.settimeout(3)
            assert attempt.connect_ex((other, default_servers.actions_port)) != 0
