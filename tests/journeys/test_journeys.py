"""The simulated-customer journeys against the real servers (issue 19, item 17).

Needs the project's `claims_servers` fixture (tests/conftest.py: `.rasa_url`). The one-time SMS
code comes from a `claims_sms_code` fixture (a callable phone -> code) when the project provides one,
else from the demo SMS file (`var/demo-sms.jsonl` under the servers' var directory).

The servers' identity-check limits (per client address, per policy, SMS codes per hour) must be
loose enough for ~150 conversations from 127.0.0.1 within minutes; otherwise journeys end on a
"please wait" reply, which the report flags.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.journeys.report import render, summary
from tests.journeys.run import ROOT, SmsLog, StoreCheck, load_journeys, run_journeys

pytestmark = pytest.mark.e2e

REPORT = ROOT / "results" / "journeys-report.md"


def _first(obj, *names):
    for n in names:
        v = getattr(obj, n, None)
        if v:
            return v
    return None


@pytest.fixture
def journeys_sms_code(request, claims_servers):
    """The SMS code source: the lead's `claims_sms_code` fixture if it exists, else the demo SMS file."""
    try:
        return request.getfixturevalue("claims_sms_code")
    except pytest.FixtureLookupError:
        pass
    path = _first(claims_servers, "sms_log", "sms_log_path", "demo_sms_path")
    if not path:
        var = _first(claims_servers, "var_dir", "var", "var_path")
        env = getattr(claims_servers, "env", None) or {}
        var = var or env.get("CLAIMS_VAR_DIR") or os.environ.get("CLAIMS_VAR_DIR") or (ROOT / "var")
        path = Path(var) / "demo-sms.jsonl"
    return SmsLog(path)


@pytest.fixture
def journeys_store(claims_servers):
    env = getattr(claims_servers, "env", None) or {}
    db_url = _first(claims_servers, "db_url", "claims_db_url", "database_url") or env.get("CLAIMS_DB_URL")
    return StoreCheck(db_url)


def test_simulated_customers_complete_their_journeys(claims_servers, journeys_sms_code, journeys_store):
    journeys = load_journeys(only=os.environ.get("CLAIMS_JOURNEYS_ONLY") or None)
    assert len(journeys) >= 150 or os.environ.get("CLAIMS_JOURNEYS_ONLY")
    results = run_journeys(claims_servers.rasa_url, journeys, sms_code=journeys_sms_code,
                           check_store=journeys_store,
                           workers=int(os.environ.get("CLAIMS_JOURNEYS_WORKERS", "4")))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(render(results, base_url=claims_servers.rasa_url), encoding="utf-8")
    s = summary(results)
    failed = [f"{r['id']} ({r['status']}, {r['turns']} turns)" for r in results if r["status"] != "completed"]
    repeated = [f"{r['id']}: " + ", ".join(f"{k}×{v}" for k, v in r["repeats"].items())
                for r in results if r["repeats"]]
    assert s["completion"] >= 0.95, (
        f"completion {s['completion']:.1%} < 95% (report: {REPORT}); not completed:\n  " + "\n  ".join(failed))
    assert not repeated, "the same question asked three times:\n  " + "\n  ".join(repeated)
