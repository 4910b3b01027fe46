"""Alembic environment: migrates the claims store at the URL the caller chose."""
from __future__ import annotations

from alembic import context

from bot.store.db import engine_for, resolve_url
from bot.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    # Precedence: `-x url=...` on the command line, then the caller's config, then settings.
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or resolve_url()
    )


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds tables in later migrations.
        render_as_batch=True,
        **kwargs,
    )


def run_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    # The product's own engine: same SQLite pragmas and directory creation as at run time.
    with engine_for(_url()).connect() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
