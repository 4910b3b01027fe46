"""Runs the Alembic migrations programmatically; the only way the schema is created."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.store.db import engine_for, resolve_url

STORE_DIR = Path(__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    """Alembic config for `url` (default: settings), independent of the working directory."""
    config = Config(str(STORE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(STORE_DIR / "migrations"))
    # ConfigParser would read '%' in a password as interpolation.
    config.set_main_option("sqlalchemy.url", resolve_url(url).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (default: the newest)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Take the database at `url` down to `revision` (default: empty)."""
    command.downgrade(alembic_config(url), revision)


def reset(url: str | None = None) -> None:
    """Drop every table the migrations made and build them again."""
    downgrade(url, "base")
    upgrade(url, "head")


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(url: str | None = None) -> str | None:
    """The revision the database at `url` is at, None if never migrated."""
    with engine_for(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
