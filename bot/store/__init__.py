"""The claims store: models, repositories, unit of work and migrations (the only SQL in bot/)."""
from __future__ import annotations

from bot.store.db import UnitOfWork, engine_for, unit_of_work
from bot.store.migrate import upgrade

__all__ = ["UnitOfWork", "engine_for", "unit_of_work", "upgrade"]
