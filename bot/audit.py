"""One audit entry in its own unit of work, for callers outside the core's transactions (a
channel recording a refused call, a phone call's events)."""
from __future__ import annotations

from typing import Any, Dict

from bot.store.db import unit_of_work


def record(actor: str, action: str, subject_type: str, subject_id: str,
           detail: Dict[str, Any] | None = None) -> None:
    """Writes and commits one audit entry."""
    with unit_of_work() as uow:
        uow.audit.record(actor, action, subject_type, subject_id, detail)
        uow.commit()
