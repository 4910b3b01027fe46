"""The one settings object, read from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass
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
    max_upload_bytes: int

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
            max_upload_bytes=int(env.get("CLAIMS_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
