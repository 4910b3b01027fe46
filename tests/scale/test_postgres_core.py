"""The core's own concurrency and failure tests against the real PostgreSQL: the outbox (a push
channel's delivery failing is retried with backoff, a permanent failure is not, concurrent
deliverers never send twice) and claim numbers (unique across threads). tests/bot runs them on
SQLite; CLAIMS_TEST_PG_URL points them here."""
from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from rasa_server.launcher import ROOT, venv_python
from scripts.run_scaled import ServiceUnavailable, ensure_postgres_database
from tests.scale.helpers import PG_SERVER, drop_database

pytestmark = pytest.mark.scale

NOTIFY = "tests/bot/test_notify.py::"
NUMBERS = "tests/bot/test_claim_numbers.py::"
# The ones about concurrency and failure: retries, leases, concurrent deliverers, transactions.
CORE_TESTS = [
    NOTIFY + "test_a_sender_that_fails_once_then_succeeds_delivers_exactly_once",
    NOTIFY + "test_permanent_failure_is_recorded_and_not_retried",
    NOTIFY + "test_gives_up_after_max_attempts",
    NOTIFY + "test_a_leased_message_waits_for_the_lease",
    NOTIFY + "test_concurrent_deliverers_never_double_send",
    NOTIFY + "test_the_notice_and_the_stage_change_commit_together",
    NOTIFY + "test_queueing_the_same_event_twice_keeps_one_row",
    NUMBERS + "test_a_rolled_back_number_is_given_again",
    NUMBERS + "test_unique_across_threads",
]


def test_outbox_and_claim_numbers_hold_on_postgres() -> None:
    name = f"core_scale_{uuid.uuid4().hex[:8]}"
    try:
        ensure_postgres_database(f"{PG_SERVER}/{name}")
    except ServiceUnavailable as err:
        pytest.fail(str(err), pytrace=False)
    try:
        result = subprocess.run(
            [venv_python(), "-m", "pytest", "-q", "-p", "no:cacheprovider", *CORE_TESTS],
            cwd=str(ROOT), env={**os.environ, "CLAIMS_TEST_PG_URL": f"{PG_SERVER}/{name}"},
            capture_output=True, text=True, timeout=600,
        )
    finally:
        drop_database(PG_SERVER, name)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"{len(CORE_TESTS)} passed" in result.stdout, result.stdout[-2000:]
