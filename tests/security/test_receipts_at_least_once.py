"""Attack on reliability: a turn that crashes half-way must not make the platform's retry be
dropped as a duplicate, and a retry must never be handled twice."""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.inbound import CLAIMED, DONE, IN_PROGRESS, claim_receipt, finish_receipt, release_receipt
from bot.store.migrate import upgrade

NOW = datetime(2026, 11, 22, 2, 0)


def test_a_crash_mid_turn_lets_the_retry_through_once(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'claims.db'}"
    upgrade(url)
    handled = []

    def deliver(update_id: str, at: datetime, crash: bool = False) -> str:
        state = claim_receipt("telegram", update_id, url=url, at=at)
        if state != CLAIMED:
            return state
        try:
            if crash:
                raise RuntimeError("the turn handler crashed")
            handled.append(update_id)
        except RuntimeError:
            release_receipt("telegram", update_id, url=url, at=at)
            return "crashed"
        finish_receipt("telegram", update_id, url=url, at=at)
        return "handled"

    assert deliver("42", NOW, crash=True) == "crashed"
    assert deliver("42", NOW + timedelta(seconds=5)) == "handled"  # the platform's retry
    assert deliver("42", NOW + timedelta(seconds=9)) == DONE
    assert handled == ["42"]


def test_a_retry_while_in_progress_waits_and_a_dead_handler_expires(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'claims.db'}"
    upgrade(url)
    assert claim_receipt("twilio", "SM1", url=url, at=NOW, lease_s=60) == CLAIMED
    assert claim_receipt("twilio", "SM1", url=url, at=NOW + timedelta(seconds=30)) == IN_PROGRESS
    # The process died: no release, no finish. After the lease the retry is taken.
    assert claim_receipt("twilio", "SM1", url=url, at=NOW + timedelta(seconds=61)) == CLAIMED
    finish_receipt("twilio", "SM1", url=url)
    assert claim_receipt("twilio", "SM1", url=url, at=NOW + timedelta(seconds=90)) == DONE
