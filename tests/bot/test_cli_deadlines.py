"""`python -m bot deadlines` and `python -m bot notices list|deliver`, and the notice that
`claims advance` now queues."""
from __future__ import annotations

import json

import pytest

import bot.outbox.senders as senders
from bot.cli import main
from bot.outbox.senders import Notice, PermanentDeliveryError

TODAY = "2026-11-22"
COLLISION, HOSPITAL = "CLM-2026-000004", "CLM-2026-000003"


def _run(url: str, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--db-url", url, *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def cli_url(db_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert _run(db_url, capsys, "seed", "--today", TODAY)[0] == 0
    return db_url


def test_deadlines_json(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(cli_url, capsys, "deadlines", "--json", "--now", "2026-11-22T10:00")
    assert code == 0
    items = json.loads(out)
    assert [(i["number"], i["light"]) for i in items] == [
        (HOSPITAL, "green"), (COLLISION, "green"),
    ]
    binding = items[0]["binding"]
    assert (binding["name"], binding["band"], binding["status"]) == ("settlement", "standard", "ok")
    assert binding["due_at"] == "2026-11-26T16:00:00+08:00"
    assert binding["label_en"].startswith("Settle within 7 working days")
    assert binding["label_zh"].startswith("材料齐全后 7 个工作日内办结")
    assert items[1]["binding"] is None
    assert {c["name"] for c in items[0]["clocks"]} == {
        "acknowledge", "settlement", "decision", "advance_payment",
    }


def test_deadlines_table_red_first(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    # The clock is the seeded demo day's, never the wall clock: the advance happens on the
    # 22nd, and three days later the small collision claim is past its 24-hour settlement.
    assert _run(cli_url, capsys, "claims", "advance", COLLISION, "assessment",
                "--now", "2026-11-22T10:00")[0] == 0
    code, out, _ = _run(cli_url, capsys, "deadlines", "--now", "2026-11-25T10:00", "--lang", "en")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["light", "claim", "stage", "binding", "due", "status", "deadline"]
    assert lines[2].startswith("RED") and COLLISION in lines[2] and "Small claim" in lines[2]
    assert lines[3].startswith("GREEN") and HOSPITAL in lines[3]


def test_deadlines_bad_now(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(cli_url, capsys, "deadlines", "--now", "next tuesday")
    assert code == 2 and "--now" in err


def test_claims_advance_queues_the_notice(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(cli_url, capsys, "claims", "advance", COLLISION, "assessment", "--json")
    assert code == 0 and json.loads(out)["notice"] == "documents_accepted"
    code, out, _ = _run(cli_url, capsys, "claims", "advance", COLLISION, "investigation")
    assert code == 2  # refused: assessment cannot go back
    code, out, _ = _run(cli_url, capsys, "notices", "list", "--json")
    [notice] = json.loads(out)
    assert (notice["claim_number"], notice["kind"], notice["status"], notice["language"]) == (
        COLLISION, "documents_accepted", "pending", "zh",
    )
    code, out, _ = _run(cli_url, capsys, "claims", "advance", COLLISION, "payment")
    assert "notice queued: review_done" in out


def test_notices_deliver_prints_unregistered_channels(
    cli_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(cli_url, capsys, "claims", "advance", COLLISION, "assessment")
    code, out, _ = _run(cli_url, capsys, "notices", "deliver")
    assert code == 0
    assert "documents_accepted -> telegram" in out and "材料已审核通过" in out
    assert out.rstrip().endswith("sent 1, retrying 0, failed 0")
    code, out, _ = _run(cli_url, capsys, "notices", "list", "--status", "sent")
    assert code == 0 and "documents_accepted" in out and "sent" in out


def test_notices_deliver_uses_registered_senders(
    cli_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    delivered: list[Notice] = []

    def blocked(notice: Notice) -> None:
        raise PermanentDeliveryError("user blocked the bot")

    monkeypatch.setattr(senders, "_registry", {"telegram": delivered.append})
    _run(cli_url, capsys, "claims", "advance", COLLISION, "assessment")
    code, out, _ = _run(cli_url, capsys, "notices", "deliver", "--only-registered")
    assert code == 0 and "sent 1" in out and len(delivered) == 1
    monkeypatch.setattr(senders, "_registry", {"telegram": blocked})
    _run(cli_url, capsys, "claims", "advance", HOSPITAL, "denied")
    code, out, _ = _run(cli_url, capsys, "notices", "deliver")
    assert "failed 1" in out
    code, out, _ = _run(cli_url, capsys, "notices", "list", "--status", "failed")
    assert "denied" in out and "permanent: PermanentDeliveryError" in out


def test_notices_deliver_with_nothing_registered(
    cli_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(senders, "_registry", {})
    _run(cli_url, capsys, "claims", "advance", COLLISION, "assessment")
    code, _, err = _run(cli_url, capsys, "notices", "deliver", "--only-registered")
    assert code == 0 and "no senders registered" in err
    code, out, _ = _run(cli_url, capsys, "notices", "list")
    assert "pending" in out


def test_notices_list_empty(cli_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(cli_url, capsys, "notices", "list")
    assert code == 0 and out.strip() == "no notices"
