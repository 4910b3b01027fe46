"""What end-to-end tests need before the servers start: the model, a seeded temp database."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator, TypeVar

from rasa_server.launcher import ROOT, Launcher, ServerError, newest_model, venv_python

L = TypeVar("L", bound=Launcher)

# Only the channels a browser or a test client uses: a credentials file that also named the
# messenger channels would make Rasa call their APIs at start, and this machine may be offline.
E2E_CREDENTIALS = "rest:\n\nchannels.webchat.WebChatInput: {}\n"
# The core system's endpoint and the notice delivery loop (channels/core_api.py).
E2E_CREDENTIALS += "channels.core_api.CoreApiInput:\n  delivery_interval_seconds: 1\n"
# The agent console (channels/agent_console.py) and the agents seeded for it.
E2E_CREDENTIALS += "channels.agent_console.AgentConsoleInput: {}\n"
# Phone calls (channels/twilio_voice.py), against the local Twilio stand-in; the agents' line
# a handed-off call is put through to. The test machine's cores are shared by every server and
# test at once, so recognition gets longer than Twilio's 15 s would allow (the stand-in does not
# hang up): the time a turn takes is measured by benchmarks/phone_turn.py, not asserted here.
E2E_CREDENTIALS += "channels.twilio_voice.TwilioVoiceInput:\n  recognise_timeout_seconds: 60\n"
E2E_AGENTS_PHONE = "+862100000000"
# SMS and WhatsApp (channels/twilio.py), against the same stand-in, and our numbers there.
E2E_CREDENTIALS += "channels.twilio.TwilioMessagingInput: {}\n"
E2E_SMS_FROM = "+15005550006"
E2E_WHATSAPP_FROM = "+14155238886"
# Telegram (channels/telegram.py), against the local Bot API stand-in (tests/standins/telegram.py).
E2E_CREDENTIALS += "channels.telegram.TelegramInput: {}\n"
# WeChat (channels/wechat.py), against the local API stand-in (tests/standins/wechat.py), with
# a template for one notice kind only: the others, outside the 48-hour window, fall back to SMS.
E2E_CREDENTIALS += "channels.wechat.WeChatInput: {}\n"
E2E_WECHAT_TEMPLATES = ("templates:\n  review_done:\n    template_id: e2e-template-progress\n"
                        "    data: {keyword2: {zh: 审核完成, en: Review done}}\n")
E2E_AGENTS = (("e2e-agent", "王小明", "e2e-password-1"), ("e2e-agent2", "李娜", "e2e-password-2"))
# Complaints are a complaint officer's work in the console (bot/workspace.py's roles).
E2E_COMPLAINT_OFFICER = ("e2e-officer", "赵敏", "e2e-password-3")
# The bearer token the core system presents in end-to-end tests.
E2E_CORE_API_TOKEN = "e2e-core-token-9f3b2c7a"
E2E_RASA_API_TOKEN = "e2e-rasa-api-token-5d1e8b4f0a2c"  # the tests opt into Rasa's HTTP API
# The key of the end-to-end servers' web chat sessions: tests that need a conversation id of
# their own choosing (a prefix their checks look for) sign it (tests/support/webchat.py).
E2E_WEBCHAT_SESSION_KEY = "e2e-webchat-session-key-7c2a9e41d05b"


class E2ESetupError(RuntimeError):
    """Something an end-to-end test needs is missing; the message says how to get it."""


def find_model() -> Path:
    """CLAIMS_MODEL when set, else the newest models/*.tar.gz."""
    configured = os.environ.get("CLAIMS_MODEL")
    if configured:
        model = Path(configured)
        if not model.is_file():
            raise E2ESetupError(
                f"CLAIMS_MODEL={configured} does not exist. Train it first (make model) "
                "or point CLAIMS_MODEL at a trained model archive."
            )
        return model
    model = newest_model(ROOT / "models")
    if model is None:
        raise E2ESetupError(
            f"No trained model in {ROOT / 'models'}: end-to-end tests need one. "
            "Run `make model` (or `rasa train`), or set CLAIMS_MODEL=/path/to/model.tar.gz."
        )
    return model


def seed_database(db_url: str, var_dir: Path) -> None:
    """Migrates and seeds the demo data with the core's own command line."""
    env = {**os.environ, "CLAIMS_DB_URL": db_url, "CLAIMS_VAR_DIR": str(var_dir)}
    result = subprocess.run(
        [venv_python(), "-m", "bot", "seed"],
        cwd=str(ROOT),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise E2ESetupError(
            f"`python -m bot seed` failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    staff = [(*agent, "agent") for agent in E2E_AGENTS]
    staff.append((*E2E_COMPLAINT_OFFICER, "complaint_officer"))
    for username, display_name, password, role in staff:
        added = subprocess.run(
            [venv_python(), "-m", "bot", "agents", "add", username,
             "--display-name", display_name, "--role", role],
            cwd=str(ROOT),
            env={**env, "CLAIMS_AGENT_PASSWORD": password},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if added.returncode != 0:
            raise E2ESetupError(
                f"`python -m bot agents add {username}` failed ({added.returncode}):\n"
                f"{added.stdout[-2000:]}\n{added.stderr[-2000:]}"
            )


def serve(launcher: L, what: str = "The servers") -> Iterator[L]:
    """For a session fixture (`yield from serve(Servers(...))`, or a scaled Deployment): starts
    it, yields it, stops it. A start that fails fails the tests that need it, with the servers'
    own words, rather than erroring in setup."""
    import pytest

    problem = ""
    try:
        try:
            launcher.start()
            launcher.wait_until_ready()
        except ServerError as err:
            problem = f"{what} did not start: {err}"
        if not problem:
            yield launcher
    finally:
        launcher.stop()
    if problem:
        pytest.fail(problem, pytrace=False)


def servers_of_their_own(model: Path, folder: Path, **env: str) -> Iterator[Launcher]:
    """For a module fixture that needs servers apart from the session's (their own hour, their
    own settings): a freshly seeded store in `folder`, the web chat's channels, Rasa's API
    behind the test token, and `env` on top (`yield from servers_of_their_own(...)`)."""
    from rasa_server.launcher import Servers

    url = f"sqlite:///{folder / 'claims.db'}"
    seed_database(url, folder / "var")
    credentials = folder / "credentials.yml"
    credentials.write_text(E2E_CREDENTIALS, encoding="utf-8")
    servers = Servers(model, credentials=credentials, env={
        "CLAIMS_DB_URL": url, "CLAIMS_VAR_DIR": str(folder / "var"),
        "RASA_TELEMETRY_ENABLED": "false", "CLAIMS_RASA_API_TOKEN": E2E_RASA_API_TOKEN, **env,
    }, log_dir=folder / "logs")
    yield from serve(servers)


def servers_apart(folder_name: str):
    """A module-scoped `claims_servers` of the module's own (`claims_servers =
    servers_apart("my-e2e")`): a store apart, so the claims its tests report never reach the
    demo customers that other modules' tests count on (张伟 with one claim)."""
    import pytest

    @pytest.fixture(scope="module")
    def claims_servers(claims_model: Path,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
        yield from servers_of_their_own(claims_model, tmp_path_factory.mktemp(folder_name))

    return claims_servers


def run_coroutine(awaitable_factory, timeout: float | None = None):
    """Runs a coroutine to its end from a synchronous test, on a fresh event loop in a thread of
    its own: asyncio.run() refuses to start where a loop is already running in the main thread
    (Playwright's sync API leaves one there for the browser tests' session)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def bounded():
        return await asyncio.wait_for(awaitable_factory(), timeout)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, bounded()).result()
