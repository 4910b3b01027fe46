"""The `python -m bot` command line, driven through main(argv)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.store.db import unit_of_work
from bot.store.migrate import head_revision

TODAY = "2026-11-22"


def _run(url: str, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--db-url", url, *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def cli_url(db_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert _run(db_url, capsys, "seed", "--today", TODAY)[0] == 0
    return db_url


def test_migrate(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(db_url, capsys, "migrate")
    assert code == 0 and f"at revision {head_revision()}" in out


def test_seed_then_if_empty_does_nothing(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(cli_url, capsys, "seed", "--if-empty", "--today", TODAY)
    assert code == 0 and "nothing seeded" in out
    code, out, _ = _run(cli_url, capsys, "seed", "--today", TODAY)
    assert code == 0 and "nothing changed" in out


def test_seed_on_a_new_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'fresh' / 'claims.db'}"
    code, out, _ = _run(url, capsys, "seed", "--if-empty", "--today", TODAY)
    assert code == 0 and "4 customers" in out


def test_claims_list_json(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(cli_url, capsys, "claims", "list", "--json")
    assert code == 0
    claims = json.loads(out)
    assert [c["number"] for c in claims] == [f"CLM-2026-{i:06d}" for i in (4, 3, 2, 1)]
    first = claims[0]
    assert first["stage"] == "documents_review" and first["customer_name"] == "张伟"
    assert first["estimated_amount"] == "3200.00"
    assert first["reported_at"].startswith("2026-11-19T") and first["reported_at"].endswith(
        "+08:00"
    )


def test_claims_list_by_stage(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(cli_url, capsys, "claims", "list", "--stage", "denied", "--json")
    assert code == 0 and [c["number"] for c in json.loads(out)] == ["CLM-2026-000002"]
    code, out, _ = _run(cli_url, capsys, "claims", "list", "--stage", "withdrawn")
    assert code == 0 and "no claims" in out


def test_claims_list_table(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(cli_url, capsys, "claims", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["number", "stage", "policy"]
    assert "CLM-2026-000004" in lines[2] and "张伟" in lines[2] and "3,200.00" in lines[2]


def test_claims_show_json(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(cli_url, capsys, "claims", "show", "clm-2026-000004", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["number"] == "CLM-2026-000004"
    assert data["customer"] == {"name": "张伟", "phone_masked": "138****0001"}
    assert data["policy"]["number"] == "AUTO-2026-0001"
    assert data["policy"]["sum_insured"] == "300000.00"
    assert data["policy"]["start_date"] == "2026-01-01"
    missing = [d["code"] for d in data["documents"] if d["status"] == "missing"]
    assert missing == ["driving_licence", "repair_invoice", "liability_record"]
    assert [e["to_stage"] for e in data["events"]] == ["reported", "documents_review"]
    assert "13800000001" not in out


def test_claims_show_text(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(cli_url, capsys, "claims", "show", "CLM-2026-000002")
    assert code == 0
    assert "John Smith" in out and "+86138****0003" in out
    assert "第十二条 / Clause 12" in out and "Events" in out and "Documents" in out


def test_claims_show_unknown(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(cli_url, capsys, "claims", "show", "CLM-2026-999999")
    assert code == 2 and "not found" in err and out == ""


def test_claims_advance(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        cli_url, capsys, "claims", "advance", "CLM-2026-000004", "assessment",
        "--note", "材料齐全", "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert (data["from_stage"], data["stage"], data["actor"], data["note"]) == (
        "documents_review", "assessment", "core-system", "材料齐全",
    )
    code, out, _ = _run(
        cli_url, capsys, "claims", "advance", "CLM-2026-000004", "payment", "--actor", "handler:li"
    )
    assert code == 0 and "assessment -> payment" in out and "handler:li" in out


def test_invalid_advance_exits_2_and_changes_nothing(
    cli_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(cli_url, capsys, "claims", "advance", "CLM-2026-000004", "closed")
    assert code == 2 and out == ""
    assert "cannot move from documents_review to closed" in err
    with unit_of_work(cli_url) as uow:
        claim = uow.claims.by_number("CLM-2026-000004")
        assert claim.stage == "documents_review" and len(claim.events) == 2


def test_advance_unknown_claim_exits_2(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(cli_url, capsys, "claims", "advance", "CLM-2026-999999", "assessment")
    assert code == 2 and "not found" in err


def test_usage_errors_exit_2(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(cli_url, capsys, "claims", "advance", "CLM-2026-000004", "paid")[0] == 2
    assert _run(cli_url, capsys)[0] == 2


def test_seed_reset_rebuilds_the_demo(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(cli_url, capsys, "claims", "advance", "CLM-2026-000004", "withdrawn")[0] == 0
    code, out, _ = _run(cli_url, capsys, "seed", "--reset", "--today", TODAY)
    assert code == 0 and "4 claims" in out
    with unit_of_work(cli_url) as uow:
        assert uow.claims.by_number("CLM-2026-000004").stage == "documents_review"
        assert uow.audit.list(action="claim.advance") == []


def test_python_dash_m_bot(cli_url: str, tmp_path: Path) -> None:
    # Run from another directory: the migrations must be found from anywhere.
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--db-url", cli_url, "claims", "list", "--json"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[2]), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 4


def test_a_store_never_set_up_gets_what_to_run_not_a_traceback(tmp_path, capsys):
    """A newcomer runs `python -m bot tasks list` before `make run`: one line saying what to
    run, exit code 2."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    for argv in (["tasks", "list"], ["claims", "list"], ["documents", "rerequests", "--json"]):
        assert main(["--db-url", url, *argv]) == 2, argv
        err = capsys.readouterr().err
        assert "bot migrate" in err and "Traceback" not in err
