"""The one settings object, read from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    db_url: str
    timezone: str
    hotline: str
    identity_max_failures: int
    identity_lock_minutes: int
    max_message_chars: int
    # Human handoff and the agent console (bot/handoff.py, bot/agents.py).
    agent_hours: str  # "08:00-20:00": when people answer, local time
    agent_session_minutes: int
    handoff_minutes_per_customer: int
    max_upload_bytes: int
    # The insurer's core system (channels/core_api.py): its bearer token (empty: the endpoint is
    # off) and how often the Rasa server delivers queued notices.
    core_api_token: str = field(repr=False)
    notice_delivery_seconds: float

    @classmethod
    def from_env(cls, env: os._Environ[str] | dict[str, str] = os.environ) -> Settings:
        var_dir = Path(env.get("CLAIMS_VAR_DIR", str(ROOT / "var")))
        return cls(
            var_dir=var_dir,
            db_url=env.get("CLAIMS_DB_URL", f"sqlite:///{var_dir / 'claims.db'}"),
            timezone=env.get("CLAIMS_TIMEZONE", "Asia/Shanghai"),
            hotline=env.get("CLAIMS_HOTLINE", "95500"),
            identity_max_failures=int(env.get("CLAIMS_IDENTITY_MAX_FAILURES", "3")),
            identity_lock_minutes=int(env.get("CLAIMS_IDENTITY_LOCK_MINUTES", "15")),
            max_message_chars=int(env.get("CLAIMS_MAX_MESSAGE_CHARS", "2000")),
            agent_hours=env.get("CLAIMS_AGENT_HOURS", "08:00-20:00"),
            agent_session_minutes=int(env.get("CLAIMS_AGENT_SESSION_MINUTES", "480")),
            handoff_minutes_per_customer=int(env.get("CLAIMS_HANDOFF_MINUTES_PER_CUSTOMER", "4")),
            max_upload_bytes=int(env.get("CLAIMS_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
            core_api_token=env.get("CLAIMS_CORE_API_TOKEN", "").strip(),
            notice_delivery_seconds=float(env.get("CLAIMS_NOTICE_DELIVERY_SECONDS", "10")),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
