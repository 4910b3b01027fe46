"""The one settings object, read from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The demo's service line: clearly not a real one (replies add "演示号码 / demo number"). A
# production start refuses it (bot/deployment.py): every deployment names its insurer's own line.
DEMO_HOTLINE = "400-000-0000"


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    db_url: str
    timezone: str
    hotline: str
    # Seconds added to the machine's clock (bot/clock.utc_now), for demos and tests of what depends
    # on the hour; a production start refuses it (bot/deployment.py).
    clock_shift_seconds: float
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
    # Scale-out (rasa_server/stores.py): where Rasa keeps conversation trackers (empty: SQLite in
    # var_dir), the Redis lock store several Rasa replicas share (empty: in-process locks, one
    # replica only), and RabbitMQ for Rasa's event broker (empty: no broker) and its queue.
    tracker_store_url: str = field(default="", repr=False)
    redis_url: str = field(default="", repr=False)
    rabbitmq_url: str = field(default="", repr=False)
    rabbitmq_queue: str = "claims_events"
    # Agent console login throttle (bot/agents.py): failures per normalised username and per
    # client address within the window, kept in the claims store (or Redis when set).
    login_max_failures: int = 5
    login_address_max_failures: int = 20
    # Failures for one username from every address together: high, so that strangers cannot
    # lock an agent out, yet a guessing campaign spread over many addresses still stops.
    login_user_max_failures: int = 50
    login_window_minutes: int = 15
    # Bounded pools (bot/workers.py): threads and queued jobs for password hashing and speech
    # recognition; one more gets "busy, try again".
    login_workers: int = 2
    login_queue: int = 8
    speech_workers: int = 1
    speech_queue: int = 4
    # A verified identity ends after this many minutes without a customer message (bot/access.py):
    # a shared computer's next user must not inherit it.
    verified_idle_minutes: float = 15.0
    # The identity check (bot/identity.py). identity_max_failures / identity_lock_minutes above
    # pause one conversation; one client address is paused after this many wrong answers (0:
    # not counted); a policy locks only after identity_policy_max_failures wrong answers from
    # all conversations within the window, for each of the lock durations in turn (minutes),
    # and even then a one-time SMS code to the phone on file verifies the holder.
    identity_address_max_failures: int = 10
    identity_failure_window_minutes: int = 60
    identity_policy_max_failures: int = 10
    identity_policy_lock_minutes: tuple = (15, 60, 1440)
    identity_attempts_per_minute: int = 60  # wrong answers, everyone together; beyond: "busy"
    # Answers checked (right or wrong) from one client address per window (0: not limited);
    # beyond it that address waits, nobody else does.
    identity_address_checks: int = 20
    identity_address_check_window_minutes: int = 10
    identity_code_minutes: int = 5
    identity_code_max_tries: int = 3
    identity_codes_per_hour: int = 3  # codes sent per policy number
    # The deployment (bot/deployment.py): "production" refuses to start without the insurer's own
    # numbers and secrets. The shared secret Rasa presents to the action server (actions/server.py).
    environment: str = "development"
    action_server_token: str = field(default="", repr=False)
    # Whether CLAIMS_ID_HASH_KEY is set (the key itself is read by bot/privacy.py alone).
    id_hash_key_configured: bool = False
    # Whether CLAIMS_WEBCHAT_SESSION_KEY is set (the key is read by bot/webchat_session.py alone).
    webchat_session_key_configured: bool = False
    # Retention (bot/retention.py, docs/security.md): days after which conversations (trackers),
    # agents' transcripts (handoff summaries), webhook receipts and notice texts are deleted or
    # anonymised, orphaned uploads removed; claim files stay for years after the policy ends
    # (Insurance Law). How often the server runs the job (0: never; `python -m bot retention run`).
    retention_conversation_days: int = 90
    retention_transcript_days: int = 180
    retention_receipt_days: int = 7
    retention_notice_days: int = 180
    retention_orphan_upload_days: int = 7
    retention_claim_file_years: tuple = (5, 10)  # after a policy of <= 1 year / a longer one
    retention_interval_hours: float = 24.0
    # w-lights (issue #14): how often the server runs the back-office round (bot/back_office.py:
    # lights open supervision tasks and escalations, complaint clocks and review flags open
    # tasks), in minutes; 0: never (`python -m bot back-office run` by hand).
    back_office_minutes: float = 10.0
    # Promises kept (bot/documents/chase.py): days after the first documents notice on which a
    # reminder names what is still missing, and how often the server's chase round runs
    # (0: never; `python -m bot documents chase`).
    document_reminder_days: tuple = (3, 7, 14)
    document_chase_interval_minutes: float = 60.0
    # How long the core API keeps the answer to a call made with an Idempotency-Key (hours).
    core_idempotency_hours: float = 72.0
    # WeChat Official Account (channels/wechat.py): app id and secret (API calls), the token
    # and EncodingAESKey registered as the server configuration (callbacks), the API's base.
    wechat_app_id: str = ""
    wechat_app_secret: str = field(default="", repr=False)
    wechat_token: str = field(default="", repr=False)
    wechat_encoding_aes_key: str = field(default="", repr=False)
    wechat_api_base: str = "https://api.weixin.qq.com/cgi-bin/"
    # n-notices (issue #15): notices that always arrive (bot/outbox/delivery.py). A web chat
    # notice no page picked up within this many minutes goes by SMS to the phone on file; the
    # WhatsApp approved templates (Twilio Content SIDs per notice kind and language) are read
    # from this YAML file (empty: bot/outbox/whatsapp_templates.yml); the one-time web chat
    # login link of an SMS receipt lasts this many hours; an SMS receipt longer than this many
    # SMS parts is sent as that link instead.
    webchat_pickup_minutes: float = 30.0
    whatsapp_templates_file: str = ""
    login_link_hours: float = 72.0
    sms_receipt_max_parts: int = 3
    # s-seed-alerts (issue #17, item 4; bot/alerts.py): where alerts go by e-mail (comma-separated
    # addresses; empty: tasks only), the SMTP server that sends them, and the spike rule: the
    # last `alert_window_days` against the `alert_baseline_days` before them, a spike being at
    # least `alert_ratio` times the expected count and at least the minimum count. KPIs are
    # checked over the last `alert_kpi_days`, only when they count at least `alert_kpi_min_cases`.
    alert_address: str = ""
    alert_from: str = "claims-alerts@localhost"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    alert_window_days: int = 3
    alert_baseline_days: int = 28
    alert_ratio: float = 2.0
    alert_min_complaints: int = 5
    alert_min_reports: int = 15
    alert_kpi_days: int = 30
    alert_kpi_min_cases: int = 20

    @property
    def tracker_db_url(self) -> str:
        """Where Rasa keeps conversations: CLAIMS_TRACKER_STORE_URL, else SQLite in var_dir."""
        return self.tracker_store_url or f"sqlite:///{Path(self.var_dir) / 'trackers.db'}"

    @classmethod
    def from_env(cls, env: os._Environ[str] | dict[str, str] = os.environ) -> Settings:
        var_dir = Path(env.get("CLAIMS_VAR_DIR", str(ROOT / "var")))
        return cls(
            var_dir=var_dir,
            db_url=env.get("CLAIMS_DB_URL", f"sqlite:///{var_dir / 'claims.db'}"),
            timezone=env.get("CLAIMS_TIMEZONE", "Asia/Shanghai"),
            hotline=env.get("CLAIMS_HOTLINE", "").strip() or DEMO_HOTLINE,
            clock_shift_seconds=float(env.get("CLAIMS_CLOCK_SHIFT", "").strip() or 0),
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
            login_max_failures=int(env.get("CLAIMS_LOGIN_MAX_FAILURES", "5")),
            login_address_max_failures=int(env.get("CLAIMS_LOGIN_ADDRESS_MAX_FAILURES", "20")),
            login_user_max_failures=int(env.get("CLAIMS_LOGIN_USER_MAX_FAILURES", "50")),
            login_window_minutes=int(env.get("CLAIMS_LOGIN_WINDOW_MINUTES", "15")),
            login_workers=int(env.get("CLAIMS_LOGIN_WORKERS", "2")),
            login_queue=int(env.get("CLAIMS_LOGIN_QUEUE", "8")),
            speech_workers=int(env.get("CLAIMS_SPEECH_WORKERS", "1")),
            speech_queue=int(env.get("CLAIMS_SPEECH_QUEUE", "4")),
            verified_idle_minutes=float(env.get("CLAIMS_VERIFIED_IDLE_MINUTES", "15")),
            identity_address_max_failures=int(
                env.get("CLAIMS_IDENTITY_ADDRESS_MAX_FAILURES", "10")),
            identity_failure_window_minutes=int(
                env.get("CLAIMS_IDENTITY_FAILURE_WINDOW_MINUTES", "60")),
            identity_policy_max_failures=int(env.get("CLAIMS_IDENTITY_POLICY_MAX_FAILURES", "10")),
            identity_policy_lock_minutes=tuple(
                int(part) for part in
                env.get("CLAIMS_IDENTITY_POLICY_LOCK_MINUTES", "15,60,1440").split(",")
                if part.strip()
            ) or (15,),
            identity_attempts_per_minute=int(env.get("CLAIMS_IDENTITY_ATTEMPTS_PER_MINUTE", "60")),
            identity_address_checks=int(env.get("CLAIMS_IDENTITY_ADDRESS_CHECKS", "20")),
            identity_address_check_window_minutes=int(
                env.get("CLAIMS_IDENTITY_ADDRESS_CHECK_WINDOW_MINUTES", "10")),
            identity_code_minutes=int(env.get("CLAIMS_IDENTITY_CODE_MINUTES", "5")),
            identity_code_max_tries=int(env.get("CLAIMS_IDENTITY_CODE_MAX_TRIES", "3")),
            identity_codes_per_hour=int(env.get("CLAIMS_IDENTITY_CODES_PER_HOUR", "3")),
            environment=env.get("CLAIMS_ENV", "").strip().lower() or "development",
            action_server_token=env.get("CLAIMS_ACTION_SERVER_TOKEN", "").strip(),
            id_hash_key_configured=bool(env.get("CLAIMS_ID_HASH_KEY", "").strip()),
            webchat_session_key_configured=bool(
                env.get("CLAIMS_WEBCHAT_SESSION_KEY", "").strip()),
            retention_conversation_days=int(env.get("CLAIMS_RETENTION_CONVERSATION_DAYS", "90")),
            retention_transcript_days=int(env.get("CLAIMS_RETENTION_TRANSCRIPT_DAYS", "180")),
            retention_receipt_days=int(env.get("CLAIMS_RETENTION_RECEIPT_DAYS", "7")),
            retention_notice_days=int(env.get("CLAIMS_RETENTION_NOTICE_DAYS", "180")),
            retention_orphan_upload_days=int(env.get("CLAIMS_RETENTION_ORPHAN_UPLOAD_DAYS", "7")),
            retention_claim_file_years=tuple(
                int(part) for part in
                env.get("CLAIMS_RETENTION_CLAIM_FILE_YEARS", "5,10").split(",") if part.strip()
            )[:2] or (5, 10),
            retention_interval_hours=float(env.get("CLAIMS_RETENTION_INTERVAL_HOURS", "24")),
            back_office_minutes=float(env.get("CLAIMS_BACK_OFFICE_MINUTES", "10")),
            document_reminder_days=tuple(sorted(
                int(part) for part in env.get("CLAIMS_DOCUMENT_REMINDER_DAYS", "3,7,14").split(",")
                if part.strip() and int(part) > 0)),
            document_chase_interval_minutes=float(
                env.get("CLAIMS_DOCUMENT_CHASE_MINUTES", "60")),
            core_idempotency_hours=float(env.get("CLAIMS_CORE_IDEMPOTENCY_HOURS", "72")),
            wechat_app_id=env.get("WECHAT_APP_ID", "").strip(),
            wechat_app_secret=env.get("WECHAT_APP_SECRET", "").strip(),
            wechat_token=env.get("WECHAT_TOKEN", "").strip(),
            wechat_encoding_aes_key=env.get("WECHAT_ENCODING_AES_KEY", "").strip(),
            wechat_api_base=env.get("WECHAT_API_BASE", "").strip()
            or "https://api.weixin.qq.com/cgi-bin/",
            webchat_pickup_minutes=float(env.get("CLAIMS_WEBCHAT_PICKUP_MINUTES", "30")),
            whatsapp_templates_file=env.get("CLAIMS_WHATSAPP_TEMPLATES", "").strip(),
            login_link_hours=float(env.get("CLAIMS_LOGIN_LINK_HOURS", "72")),
            sms_receipt_max_parts=int(env.get("CLAIMS_SMS_RECEIPT_MAX_PARTS", "3")),
            alert_address=env.get("CLAIMS_ALERT_ADDRESS", "").strip(),
            alert_from=env.get("CLAIMS_ALERT_FROM", "").strip() or "claims-alerts@localhost",
            smtp_host=env.get("CLAIMS_SMTP_HOST", "").strip() or "localhost",
            smtp_port=int(env.get("CLAIMS_SMTP_PORT", "25")),
            smtp_user=env.get("CLAIMS_SMTP_USER", "").strip(),
            smtp_password=env.get("CLAIMS_SMTP_PASSWORD", ""),
            smtp_starttls=env.get("CLAIMS_SMTP_STARTTLS", "").strip().lower() in ("1", "true",
                                                                                 "yes"),
            alert_window_days=int(env.get("CLAIMS_ALERT_WINDOW_DAYS", "3")),
            alert_baseline_days=int(env.get("CLAIMS_ALERT_BASELINE_DAYS", "28")),
            alert_ratio=float(env.get("CLAIMS_ALERT_RATIO", "2")),
            alert_min_complaints=int(env.get("CLAIMS_ALERT_MIN_COMPLAINTS", "5")),
            alert_min_reports=int(env.get("CLAIMS_ALERT_MIN_REPORTS", "15")),
            alert_kpi_days=int(env.get("CLAIMS_ALERT_KPI_DAYS", "30")),
            alert_kpi_min_cases=int(env.get("CLAIMS_ALERT_KPI_MIN_CASES", "20")),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
