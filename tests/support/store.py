"""The demo data in a fresh store for one test: migrated, seeded, and the settings pointed at it."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from bot.seed import seed
from bot.settings import get_settings
from bot.store.db import dispose_engines
from bot.store.migrate import upgrade

SEED_TODAY = dt.date(2026, 11, 22)  # the demo data is seeded as of this day


def migrate_and_seed(url: str, today: dt.date | None = SEED_TODAY) -> str:
    """Migrates the database at `url` and adds the demo data (as of `today`; None: today)."""
    upgrade(url)
    seed(url, today=today)
    return url


@contextmanager
def seeded_store(env: pytest.MonkeyPatch, directory: Path, *, url: str | None = None,
                 var_dir: Path | None = None, seeded: bool = True,
                 **variables: str) -> Iterator[str]:
    """A store in `directory` (SQLite claims.db unless `url` is given) holding the demo data
    (`seeded=False`: migrated and empty); CLAIMS_DB_URL, CLAIMS_VAR_DIR (`var_dir`, default
    `directory`) and `variables` are set through `env` for the test. Yields the URL; engines and
    cached settings are dropped afterwards."""
    url = url or f"sqlite:///{directory / 'claims.db'}"
    env.setenv("CLAIMS_DB_URL", url)
    env.setenv("CLAIMS_VAR_DIR", str(var_dir or directory))
    for name, value in variables.items():
        env.setenv(name, value)
    get_settings.cache_clear()
    if seeded:
        migrate_and_seed(url)
    else:
        upgrade(url)
    yield url
    dispose_engines()
    get_settings.cache_clear()
