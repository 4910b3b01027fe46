"""The journeys' own servers: a store of their own (150 conversations report claims and complaints
that the other end-to-end tests must not see), the demo phone for one-time codes, and identity
limits loose enough for ~150 conversations from 127.0.0.1 within minutes (the limits have tests of
their own, tests/security/)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from rasa_server.launcher import Servers
from tests.support.e2e import E2ESetupError, seed_database, serve

LOOSE_LIMITS = {
    "CLAIMS_IDENTITY_ADDRESS_MAX_FAILURES": "0",
    "CLAIMS_IDENTITY_ADDRESS_CHECKS": "0",
    "CLAIMS_IDENTITY_ATTEMPTS_PER_MINUTE": "100000",
    "CLAIMS_IDENTITY_POLICY_MAX_FAILURES": "100000",
    "CLAIMS_IDENTITY_CODES_PER_HOUR": "100000",
}
# The servers read the real clock; with people answering all day, a journey's handoff goes the
# same way whatever the hour the suite runs (waiting out of hours has tests of its own,
# tests/bot/test_waiting.py and tests/e2e/test_waiting_for_a_person.py).
ALL_DAY = {"CLAIMS_AGENT_HOURS": "00:00-00:00"}


@pytest.fixture(scope="session")
def journey_servers(claims_model: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Both servers on free ports over a freshly seeded store; `.var_dir` holds the demo phone's
    outbox (var/demo-sms.jsonl), where the one-time codes go when no SMS provider is set."""
    base = tmp_path_factory.mktemp("journeys")
    db_url = f"sqlite:///{base / 'claims.db'}"
    var_dir = base / "var"
    try:
        seed_database(db_url, var_dir)
    except E2ESetupError as err:
        pytest.fail(str(err), pytrace=False)
    servers = Servers(
        claims_model,
        env={"CLAIMS_DB_URL": db_url, "CLAIMS_VAR_DIR": str(var_dir),
             "RASA_TELEMETRY_ENABLED": "false", **LOOSE_LIMITS, **ALL_DAY},
        log_dir=base / "logs",
    )
    servers.db_url = db_url
    servers.var_dir = var_dir
    yield from serve(servers)
