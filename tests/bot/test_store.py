"""Store plumbing: migrations agree with the models, foreign keys, unit of work, helpers."""
from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, inspect
from sqlalchemy.exc import IntegrityError

from bot.clock import as_utc_naive, format_local, from_local, local_today, to_local, utc_now
from bot.privacy import hash_id_number, mask_id_number, mask_phone
from bot.store.db import engine_for, unit_of_work
from bot.store.migrate import current_revision, downgrade, head_revision, upgrade
from bot.store.models import Base, Claim, Customer, Policy

TABLES = {
    "customers", "policies", "claims", "claim_events", "claim_documents", "received_files",
    "complaints", "agents", "handoffs", "notifications", "audit_log", "identity_locks",
    "claim_number_counters", "satisfaction_scores", "agent_sessions", "disputes",
    "identity_counters", "identity_codes",
}


def _diff(url: str, metadata: MetaData) -> list:
    with engine_for(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_migrations_match_the_models(db_url: str) -> None:
    assert _diff(db_url, Base.metadata) == []


def test_the_comparison_would_see_a_difference(db_url: str) -> None:
    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["claims"].append_column(Column("extra", Integer))
    assert _diff(db_url, changed) != []


def test_migrations_create_every_table_and_downgrade_drops_them(db_url: str) -> None:
    assert current_revision(db_url) == head_revision() == "0016_wechat"
    assert TABLES.issubset(inspect(engine_for(db_url)).get_table_names())
    downgrade(db_url)
    assert TABLES.isdisjoint(inspect(engine_for(db_url)).get_table_names())
    upgrade(db_url)
    assert TABLES.issubset(inspect(engine_for(db_url)).get_table_names())


def test_sqlite_directory_is_created(tmp_path: Path) -> None:
    if os.environ.get("CLAIMS_TEST_PG_URL"):
        pytest.skip("SQLite only")
    target = tmp_path / "a" / "b" / "claims.db"
    upgrade(f"sqlite:///{target}")
    assert target.exists()


def test_foreign_keys_are_enforced(db_url: str) -> None:
    with unit_of_work(db_url) as uow:
        uow.policies.add(Policy(
            number="AUTO-2026-0099", customer_id=12345, line_of_business="motor",
            product_code="X", product_name_zh="车险", product_name_en="Motor",
            sum_insured=1, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
        ))
        with pytest.raises(IntegrityError):
            uow.commit()


def test_stage_must_be_a_known_stage(seeded_url: str) -> None:
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number("CLM-2026-000004")
        claim.stage = "paid"
        with pytest.raises(IntegrityError):
            uow.commit()


def _customer(name: str) -> Customer:
    return Customer(
        name=name, date_of_birth=date(1970, 1, 1), phone="13900000000", phone_last4="0000",
        id_number_masked="1101**********0000", id_number_hash=hash_id_number(name),
    )


def test_unit_of_work_rolls_back_on_error(db_url: str) -> None:
    with pytest.raises(RuntimeError), unit_of_work(db_url) as uow:
        uow.customers.add(_customer("甲"))
        uow.flush()
        raise RuntimeError("boom")
    with unit_of_work(db_url) as uow:
        uow.customers.add(_customer("乙"))  # left without commit
    with unit_of_work(db_url) as uow:
        assert uow.customers.count() == 0


def test_commit_persists_and_objects_stay_readable(db_url: str) -> None:
    with unit_of_work(db_url) as uow:
        customer = uow.customers.add(_customer("丙"))
        uow.commit()
    assert customer.name == "丙" and customer.preferred_language == "zh"
    with unit_of_work(db_url) as uow:
        assert uow.customers.by_id(customer.id).name == "丙"


def test_repository_lookups_normalise_numbers(seeded_url: str) -> None:
    with unit_of_work(seeded_url) as uow:
        assert uow.policies.by_number("  auto-2026-0001 ").number == "AUTO-2026-0001"
        assert uow.claims.by_number("clm-2026-000001").number == "CLM-2026-000001"
        zhang = uow.policies.by_number("AUTO-2026-0001").customer
        assert [p.number for p in uow.policies.of_customer(zhang.id)] == [
            "AUTO-2026-0001", "MED-2026-0001",
        ]
        assert [c.stage for c in uow.claims.list(stage="denied")] == ["denied"]
        assert len(uow.claims.list()) == 4


def test_amounts_are_exact_decimals(seeded_url: str) -> None:
    from decimal import Decimal

    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number("CLM-2026-000004")
        claim.estimated_amount = Decimal("1234567890.15")
        uow.commit()
    with unit_of_work(seeded_url) as uow:
        assert uow.claims.by_number("CLM-2026-000004").estimated_amount == Decimal(
            "1234567890.15"
        )


def test_json_columns_round_trip(seeded_url: str) -> None:
    with unit_of_work(seeded_url) as uow:
        claim = uow.session.get(Claim, 1)
        claim.flags = ["late_report", "amount_above_usual"]
        uow.audit.record("test", "check", "claim", claim.number, {"说明": "中文", "n": 1})
        uow.commit()
    with unit_of_work(seeded_url) as uow:
        assert uow.session.get(Claim, 1).flags == ["late_report", "amount_above_usual"]
        assert uow.audit.list(action="check")[0].detail == {"说明": "中文", "n": 1}


def test_clock_helpers() -> None:
    stored = datetime(2026, 11, 22, 17, 30)  # naive UTC
    assert to_local(stored).isoformat() == "2026-11-23T01:30:00+08:00"
    assert local_today(stored) == date(2026, 11, 23)
    assert format_local(stored) == "2026-11-23 01:30"
    assert from_local(date(2026, 11, 23), 1, 30) == stored
    aware = datetime(2026, 11, 23, 1, 30, tzinfo=to_local(stored).tzinfo)
    assert as_utc_naive(aware) == stored
    assert as_utc_naive(stored) == stored
    assert as_utc_naive(None).tzinfo is None
    assert abs(as_utc_naive(None) - datetime.now(timezone.utc).replace(tzinfo=None)).seconds < 5


def test_the_clock_shift_moves_now_to_the_hour_a_test_wants(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """CLAIMS_CLOCK_SHIFT moves utc_now (and so every server reading it); tests/support/clock.py
    gives the shift to a chosen local hour, whatever the hour the suite runs."""
    from bot.settings import get_settings
    from tests.support.clock import CLOCK_SHIFT_ENV, shift_to

    for hour in (0, 9, 22):
        monkeypatch.setenv(CLOCK_SHIFT_ENV, shift_to(hour))
        get_settings.cache_clear()
        assert 0 < get_settings().clock_shift_seconds <= 24 * 3600
        local = to_local(utc_now())
        assert (local.hour, local.minute) == (hour, 0)
    monkeypatch.delenv(CLOCK_SHIFT_ENV)
    get_settings.cache_clear()
    assert abs(utc_now() - datetime.now(timezone.utc).replace(tzinfo=None)).seconds < 5


def test_privacy_helpers() -> None:
    assert mask_id_number("110105198504121236") == "1101**********1236"
    assert mask_id_number("E98765432") == "E******32"
    assert hash_id_number("31010419480930284x") == hash_id_number("31010419480930284X")
    assert len(hash_id_number("x")) == 64
    assert mask_phone("13800000001") == "138****0001"
    assert mask_phone("+8613800000003") == "+86138****0003"
    assert mask_phone(None) == ""


def test_an_existing_sqlite_store_becomes_private(tmp_path) -> None:
    # A store created before files were private (an older install's 0644) is made 0600 when opened.
    import os
    import stat

    from sqlalchemy import text

    from bot.store.db import engine_for

    path = tmp_path / "old.db"
    path.write_bytes(b"")
    os.chmod(path, 0o644)
    with engine_for(f"sqlite:///{path}").connect() as connection:
        connection.execute(text("select 1"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
