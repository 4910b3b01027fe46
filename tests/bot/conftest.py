"""Fixtures for the core tests: every test gets its own freshly migrated database."""
from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import text

from bot.seed import seed
from bot.store.db import dispose_engines, engine_for
from bot.store.migrate import upgrade

# Set to a PostgreSQL URL (e.g. postgresql+psycopg2://postgres@127.0.0.1:5432/test) to run the
# whole suite there instead of on SQLite. The database's public schema is wiped per test.
PG_URL_ENV = "CLAIMS_TEST_PG_URL"

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 2, 0)  # naive UTC: 10:00 on TODAY in Shanghai


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database."""
    pg_url = os.environ.get(PG_URL_ENV)
    if pg_url:
        with engine_for(pg_url).begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        url = pg_url
    else:
        # The directory does not exist yet: the store must create it.
        url = f"sqlite:///{tmp_path / 'var' / 'claims.db'}"
    upgrade(url)
    yield url
    dispose_engines()


@pytest.fixture
def seeded_url(db_url: str) -> str:
    """A migrated database holding the demo data as of TODAY."""
    seed(db_url, today=TODAY)
    return db_url


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture
def now() -> datetime:
    return NOW
