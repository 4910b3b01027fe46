# ruff: noqa: E501  (bilingual keyword lists, customer phrases and Markdown lines read better whole)
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


def _values(obj) -> list:
    """Every plain value the servers object carries (attributes, and the values of dict attributes)."""
    out = []
    attrs = getattr(obj, "__dict__", {}) or {}
    if not attrs and hasattr(obj, "_asdict"):
        attrs = obj._asdict()
    for k, v in list(attrs.items()):
        if isinstance(v, dict):
            out.extend((f"{k}.{k2}", v2) for k2, v2 in v.items())
        else:
            out.append((k, v))
    return out


def servers_db_url(servers) -> str | None:
    """The claim store the servers use: a db_url-like attribute, CLAIMS_DB_URL in their env, or var/claims.db."""
    url = _first(servers, "db_url", "claims_db_url", "database_url")
    if url:
        return str(url)
    for k, v in _values(servers):
        if k.endswith("CLAIMS_DB_URL") and v:
            return str(v)
    for _k, v in _values(servers):
        if (
            isinstance(v, (str, Path))
            and str(v).startswith(("sqlite:", "postgresql"))
            and "tracker" not in str(v)
        ):
            return str(v)
    for d in servers_dirs(servers):
        if (d / "claims.db").exists():
            return f"sqlite:///{d / 'claims.db'}"
    return None


def servers_dirs(servers) -> list[Path]:
    dirs = []
    for _k, v in _values(servers):
        if isinstance(v, (str, Path)) and not str(v).startswith(("http", "sqlite", "postgres")):
            p = Path(str(v))
            try:
                if p.is_dir():
                    dirs += [p, p / "var"]
                elif p.is_file():
                    dirs += [p.parent]
            except OSError:
                pass
    return dirs


def servers_sms_paths(servers) -> list[Path]:
    paths = []
    direct = _first(servers, "sms_log", "sms_log_path", "demo_sms_path")
    if direct:
        paths.append(Path(direct))
    for k, v in _values(servers):
        if k.endswith("CLAIMS_VAR_DIR") and v:
            paths.append(Path(v) / "demo-sms.jsonl")
    paths += [d / "demo-sms.jsonl" for d in servers_dirs(servers)]
    if os.environ.get("CLAIMS_VAR_DIR"):
        paths.append(Path(os.environ["CLAIMS_VAR_DIR"]) / "demo-sms.jsonl")
    paths.append(ROOT / "var" / "demo-sms.jsonl")
    return paths


@pytest.fixture
def journeys_sms_code(request, claims_servers):
    """The SMS code source: the lead's `claims_sms_code` fixture if it exists, else the demo SMS file."""
    try:
        return request.getfixturevalue("claims_sms_code")
    except pytest.FixtureLookupError:
        pass
    return SmsLog(servers_sms_paths(claims_servers))


@pytest.fixture
def journeys_store(claims_servers):
    return StoreCheck(servers_db_url(claims_servers))


def test_simulated_customers_complete_their_journeys(
    claims_servers, journeys_sms_code, journeys_store
):
    journeys = load_journeys(only=os.environ.get("CLAIMS_JOURNEYS_ONLY") or None)
    assert len(journeys) >= 150 or os.environ.get("CLAIMS_JOURNEYS_ONLY")
    results = run_journeys(
        claims_servers.rasa_url,
        journeys,
        sms_code=journeys_sms_code,
        check_store=journeys_store,
        workers=int(os.environ.get("CLAIMS_JOURNEYS_WORKERS", "4")),
    )
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(render(results, base_url=claims_servers.rasa_url), encoding="utf-8")
    s = summary(results)
    failed = [
        f"{r['id']} ({r['status']}, {r['turns']} turns)"
        for r in results
        if r["status"] != "completed"
    ]
    repeated = [
        f"{r['id']}: " + ", ".join(f"{k}×{v}" for k, v in r["repeats"].items())
        for r in results
        if r["repeats"]
    ]
    assert s["completion"] >= 0.95, (
        f"completion {s['completion']:.1%} < 95% (report: {REPORT}); not completed:\n  "
        + "\n  ".join(failed)
    )
    assert not repeated, "the same question asked three times:\n  " + "\n  ".join(repeated)
