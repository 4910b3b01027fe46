"""`make run-scaled` before it starts anything: services that cannot be reached are named, and
nothing is launched."""
from __future__ import annotations

from pathlib import Path

import pytest

from scripts import run_scaled
from scripts.run_scaled import (
    ServiceUnavailable,
    check_rabbitmq,
    check_redis,
    ensure_postgres_database,
    scale_env,
)

NOWHERE_PG = "postgresql+psycopg2://postgres:secret@127.0.0.1:1/claims"


def test_unreachable_services_are_named_without_their_passwords() -> None:
    with pytest.raises(ServiceUnavailable) as pg:
        ensure_postgres_database(NOWHERE_PG)
    assert "PostgreSQL at postgresql+psycopg2://127.0.0.1:1/claims" in str(pg.value)
    assert "secret" not in str(pg.value)
    with pytest.raises(ServiceUnavailable, match="Redis at redis://127.0.0.1:1/0"):
        check_redis("redis://:secret@127.0.0.1:1/0")
    with pytest.raises(ServiceUnavailable, match="RabbitMQ at amqp://127.0.0.1:1/"):
        check_rabbitmq("amqp://guest:guest@127.0.0.1:1/")


def test_sqlite_needs_no_database_to_be_created(tmp_path: Path) -> None:
    assert ensure_postgres_database(f"sqlite:///{tmp_path}/claims.db") is False


def test_nothing_starts_when_postgres_is_down(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"x")
    started = []
    monkeypatch.setattr(run_scaled, "Deployment", lambda *a, **k: started.append(a))
    code = run_scaled.main(["--model", str(model), "--db-url", NOWHERE_PG,
                            "--tracker-url", NOWHERE_PG])
    assert code == 1 and started == []
    assert "PostgreSQL at" in capsys.readouterr().err


def test_every_child_gets_the_shared_services(tmp_path: Path) -> None:
    env = scale_env("postgresql://a/claims", "postgresql://a/trackers", "redis://r/1", None,
                    tmp_path, queue="q1")
    assert env["CLAIMS_DB_URL"] == "postgresql://a/claims"
    assert env["CLAIMS_TRACKER_STORE_URL"] == "postgresql://a/trackers"
    assert env["CLAIMS_REDIS_URL"] == "redis://r/1"
    assert env["CLAIMS_RABBITMQ_URL"] == ""  # no broker
    assert env["CLAIMS_RABBITMQ_QUEUE"] == "q1"
    assert env["CLAIMS_VAR_DIR"] == str(tmp_path)
