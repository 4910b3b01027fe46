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
    # Where the public reaches this server (https://claims.example.com): Twilio signs the URL it
    # called, which behind a proxy is not the one the server sees. Empty: the request's own URL.
    public_url: str = ""
    # Speech recognition (bot/speech): a faster-whisper model name or path; empty means the
    # packaged Whisper base. Device "cpu" or "cuda"; compute type "int8", "float16"...
    asr_model: str = ""
    asr_device: str = "cpu"
    asr_compute_type: str = "int8"
    asr_threads: int = 0  # 0: every core
    max_voice_seconds: int = 120  # a longer voice note or caller turn is refused
    # Telegram (channels/telegram.py): bot token, webhook secret, Bot API server.
    telegram_token: str = field(default="", repr=False)
    telegram_secret_token: str = field(default="", repr=False)
    telegram_api_server: str = "https://api.telegram.org"
    # Twilio (channels/twilio.py, channels/twilio_voice.py): account, API base, sending numbers,
    # and the agents' phone number that a call is transferred to on handoff.
    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    twilio_api_base: str = "https://api.twilio.com"
    twilio_sms_from: str = ""
    twilio_whatsapp_from: str = ""
    agents_phone: str = ""
    # Scale-out (channels/stores.py): where Rasa keeps conversation trackers (empty: SQLite in
    # var_dir), the Redis lock store several Rasa replicas share (empty: in-process locks, one
    # replica only), and RabbitMQ for Rasa's event broker (empty: no broker) and its queue.
    tracker_store_url: str = field(default="", repr=False)
    redis_url: str = field(default="", repr=False)
    rabbitmq_url: str = field(default="", repr=False)
    rabbitmq_queue: str = "claims_events"

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
            public_url=env.get("CLAIMS_PUBLIC_URL", "").strip().rstrip("/"),
            asr_model=env.get("CLAIMS_ASR_MODEL", "").strip(),
            asr_device=env.get("CLAIMS_ASR_DEVICE", "cpu").strip() or "cpu",
            asr_compute_type=env.get("CLAIMS_ASR_COMPUTE_TYPE", "int8").strip() or "int8",
            asr_threads=int(env.get("CLAIMS_ASR_THREADS", "0")),
            max_voice_seconds=int(env.get("CLAIMS_MAX_VOICE_SECONDS", "120")),
            telegram_token=env.get("TELEGRAM_TOKEN", "").strip(),
            telegram_secret_token=env.get("TELEGRAM_SECRET_TOKEN", "").strip(),
            telegram_api_server=env.get("TELEGRAM_API_SERVER", "https://api.telegram.org")
            .strip().rstrip("/"),
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", "").strip(),
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", "").strip(),
            twilio_api_base=env.get("TWILIO_API_BASE", "https://api.twilio.com").strip().rstrip("/"),
            twilio_sms_from=env.get("TWILIO_SMS_FROM", "").strip(),
            twilio_whatsapp_from=env.get("TWILIO_WHATSAPP_FROM", "").strip(),
            agents_phone=env.get("CLAIMS_AGENTS_PHONE", "").strip(),
            tracker_store_url=env.get("CLAIMS_TRACKER_STORE_URL", "").strip(),
            redis_url=env.get("CLAIMS_REDIS_URL", "").strip(),
            rabbitmq_url=env.get("CLAIMS_RABBITMQ_URL", "").strip(),
            rabbitmq_queue=env.get("CLAIMS_RABBITMQ_QUEUE", "claims_events").strip()
            or "claims_events",
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
