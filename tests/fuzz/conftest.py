"""Fixtures for the fuzz tests: a seeded claims store on SQLite and on PostgreSQL, and counts of
the rows that garbage must never create.

PostgreSQL runs on 127.0.0.1 on development and CI machines (CLAIMS_FUZZ_PG_URL points
elsewhere); each test gets a database of its own, dropped afterwards. When it cannot be reached
the PostgreSQL cases FAIL, never skip: PostgreSQL refuses text SQLite takes (NUL characters), so
a run without it would hide a class of bugs.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Dict, Iterator

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bot.settings import get_settings
from bot.store import models
from bot.store.db import dispose_engines, unit_of_work
from tests.support.store import seeded_store

PG_ADMIN_URL = os.environ.get(
    "CLAIMS_FUZZ_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
CORE_TOKEN = "fuzz-core-token-7d1c"
TODAY = dt.date(2026, 11, 22)

# What a request that is refused, or garbage that the bot only answers, must leave untouched.
GUARDED_TABLES = {
    "claims": models.Claim,
    "claim_events": models.ClaimEvent,
    "claim_documents": models.ClaimDocument,
    "received_files": models.ReceivedFile,
    "complaints": models.Complaint,
    "disputes": models.Dispute,
    "handoffs": models.Handoff,
    "notifications": models.Notification,
    "satisfaction_scores": models.SatisfactionScore,
    "agents": models.Agent,
}


def row_counts(url: str) -> Dict[str, int]:
    """Rows per guarded table, in one round trip (the fuzz tests ask before and after each
    request)."""
    counts = select(*(select(func.count()).select_from(model).scalar_subquery().label(name)
                      for name, model in GUARDED_TABLES.items()))
    with unit_of_work(url) as uow:
        return dict(uow.session.execute(counts).one()._mapping)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    problem = ""
    try:
        engine = create_engine(PG_ADMIN_URL, future=True)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any reason it cannot be reached
        problem = (f"PostgreSQL at {make_url(PG_ADMIN_URL).render_as_string(hide_password=True)}"
                   f" cannot be reached ({type(error).__name__}: {error}). Start it, or set "
                   "CLAIMS_FUZZ_PG_URL to a server where this user may create databases.")
    if problem:
        pytest.fail(problem, pytrace=False)
    return PG_ADMIN_URL


@pytest.fixture(scope="module")
def fresh_postgres(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty PostgreSQL database of its own; dropped after the module's tests."""
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"claims_fuzz_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_engines()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo data, migrated and seeded, on SQLite and on PostgreSQL, shared by a module's
    tests (each checks what it did, not what the store holds); the settings point at it (and
    at CORE_TOKEN for the core system's endpoint)."""
    directory = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    if request.param == "postgresql":
        url = request.getfixturevalue("fresh_postgres")
    else:
        url = f"sqlite:///{directory / 'claims.db'}"
    with pytest.MonkeyPatch.context() as env, seeded_store(
        env, directory, url=url, var_dir=directory / "var", CLAIMS_CORE_API_TOKEN=CORE_TOKEN
    ) as seeded:
        yield seeded
    get_settings.cache_clear()
