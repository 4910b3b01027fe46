"""Fixtures shared by every test room. Importing this is cheap: nothing starts until asked for.

`claims_servers` (session) runs the action server and the Rasa server with the trained model
against a freshly seeded temporary database; end-to-end tests take it as an argument:

    @pytest.mark.e2e
    def test_something(claims_servers):
        requests.post(claims_servers.rest_url, json={"sender": "t1", "message": "你好"})
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from rasa_server.launcher import Servers
from tests.standins.telegram import SECRET as TELEGRAM_SECRET
from tests.standins.telegram import TelegramStandIn
from tests.standins.twilio import TwilioStandIn
from tests.standins.wechat import WeChatStandIn
from tests.support.e2e import (
    E2E_AGENTS_PHONE,
    E2E_CORE_API_TOKEN,
    E2E_CREDENTIALS,
    E2E_RASA_API_TOKEN,
    E2E_SMS_FROM,
    E2E_WEBCHAT_SESSION_KEY,
    E2E_WECHAT_TEMPLATES,
    E2E_WHATSAPP_FROM,
    E2ESetupError,
    find_model,
    seed_database,
    serve,
)
from tests.support.store import seeded_store


@pytest.fixture(scope="session", autouse=True)
def shifted_clock() -> Iterator[None]:
    """CLAIMS_TEST_CLOCK_SHIFT_DAYS=365 runs the tests a year from now (CI does, for the unit
    tests): a test that reads the wall clock instead of injecting one fails in review, not in a
    stranger's clone months later. The clock keeps ticking; only this process is moved."""
    days = os.environ.get("CLAIMS_TEST_CLOCK_SHIFT_DAYS", "").strip()
    if not days:
        yield
        return
    import time_machine

    moved = datetime.now(timezone.utc) + timedelta(days=float(days))
    with time_machine.travel(moved, tick=True):
        yield


@pytest.fixture
def claims_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated store in tmp_path holding the demo data (as of 2026-11-22), which the
    settings (CLAIMS_DB_URL, CLAIMS_VAR_DIR) point at for this test."""
    with seeded_store(monkeypatch, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def claims_model() -> Path:
    """The trained model: CLAIMS_MODEL or the newest models/*.tar.gz. Missing means FAIL."""
    problem = ""
    try:
        return find_model()
    except E2ESetupError as err:
        problem = str(err)
    pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def claims_e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("claims-e2e")


@pytest.fixture(scope="session")
def claims_db_url(claims_e2e_dir: Path) -> str:
    """A temporary SQLite database holding the demo data."""
    url = f"sqlite:///{claims_e2e_dir / 'claims.db'}"
    problem = ""
    try:
        seed_database(url, claims_e2e_dir / "var")
        return url
    except E2ESetupError as err:
        problem = str(err)
    pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def twilio_standin() -> Iterator[TwilioStandIn]:
    """The local stand-in for Twilio's API that the servers' Twilio channels talk to."""
    with TwilioStandIn() as standin:
        yield standin


@pytest.fixture
def forget_attempts(claims_db_url: str) -> Iterator[None]:
    """The identity check's counters, locks and one-time codes would outlast the test and refuse
    other tests' customers (codes sent per policy and hour are limited): forgotten after it."""
    yield
    from bot.store.db import unit_of_work
    from bot.store.models import IdentityCode, IdentityCounter, IdentityLock

    with unit_of_work(claims_db_url) as uow:
        for model in (IdentityLock, IdentityCounter, IdentityCode):
            uow.session.query(model).delete()
        uow.commit()


@pytest.fixture(scope="session")
def telegram_standin() -> Iterator[TelegramStandIn]:
    """The local stand-in for Telegram's Bot API that the servers' Telegram channel talks to."""
    with TelegramStandIn() as standin:
        yield standin


@pytest.fixture(scope="session")
def wechat_standin() -> Iterator[WeChatStandIn]:
    """The local stand-in for WeChat's Official Account API that the servers' WeChat channel
    talks to (and that signs the callbacks it posts)."""
    with WeChatStandIn() as standin:
        yield standin


@pytest.fixture(scope="session")
def claims_servers(
    claims_model: Path, claims_db_url: str, claims_e2e_dir: Path,
    twilio_standin: TwilioStandIn, telegram_standin: TelegramStandIn,
    wechat_standin: WeChatStandIn,
) -> Iterator[Servers]:
    """Both servers on free ports; `.rasa_url`, `.webchat_url`, `.rest_url`, `.log_dir`."""
    credentials = claims_e2e_dir / "credentials.yml"
    credentials.write_text(E2E_CREDENTIALS, encoding="utf-8")
    wechat_templates = claims_e2e_dir / "wechat-templates.yml"
    wechat_templates.write_text(E2E_WECHAT_TEMPLATES, encoding="utf-8")
    servers = Servers(
        claims_model,
        credentials=credentials,
        env={
            "CLAIMS_DB_URL": claims_db_url,
            "CLAIMS_VAR_DIR": str(claims_e2e_dir / "var"),
            "RASA_TELEMETRY_ENABLED": "false",
            "CLAIMS_CORE_API_TOKEN": E2E_CORE_API_TOKEN,
            "CLAIMS_WEBCHAT_SESSION_KEY": E2E_WEBCHAT_SESSION_KEY,
            # Rasa's HTTP API is off by default; the tests that read a tracker opt in with a
            # token and present it (`?token=`). tests/security/ also attacks the default.
            "CLAIMS_RASA_API_TOKEN": E2E_RASA_API_TOKEN,
            # Twilio's API is the local stand-in (tests/standins/twilio.py).
            "TWILIO_ACCOUNT_SID": twilio_standin.account_sid,
            "TWILIO_AUTH_TOKEN": twilio_standin.auth_token,
            "TWILIO_API_BASE": twilio_standin.base_url,
            "CLAIMS_AGENTS_PHONE": E2E_AGENTS_PHONE,
            # Our SMS and WhatsApp numbers for notices (channels/twilio.py).
            "TWILIO_SMS_FROM": E2E_SMS_FROM,
            "TWILIO_WHATSAPP_FROM": E2E_WHATSAPP_FROM,
            # Telegram's Bot API is the local stand-in (tests/standins/telegram.py).
            "TELEGRAM_TOKEN": telegram_standin.token,
            "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
            "TELEGRAM_API_SERVER": telegram_standin.base_url,
            # WeChat's API is the local stand-in (tests/standins/wechat.py).
            "WECHAT_APP_ID": wechat_standin.app_id,
            "WECHAT_APP_SECRET": wechat_standin.app_secret,
            "WECHAT_TOKEN": wechat_standin.token,
            "WECHAT_ENCODING_AES_KEY": wechat_standin.aes_key,
            "WECHAT_API_BASE": wechat_standin.base_url + "/cgi-bin/",
            "WECHAT_TEMPLATES_FILE": str(wechat_templates),
            # Every test conversation comes from 127.0.0.1: counting wrong identity answers
            # per client address would pause unrelated tests (it has unit tests of its own).
            "CLAIMS_IDENTITY_ADDRESS_MAX_FAILURES": "0",
            "CLAIMS_IDENTITY_ADDRESS_CHECKS": "0",
            # The suite checks hundreds of identity answers a minute against one store; the
            # global limit (60 a minute) has tests of its own with an injected clock.
            "CLAIMS_IDENTITY_ATTEMPTS_PER_MINUTE": "100000",
            # The back-office round (lights, complaint clocks, review flags -> tasks) every
            # 2.4 s instead of 10 minutes (tests/e2e/test_back_office.py waits for it).
            "CLAIMS_BACK_OFFICE_MINUTES": "0.04",
        },
        log_dir=claims_e2e_dir / "logs",
    )
    yield from serve(servers)
