"""A production start without the deployment's own numbers or the action server secret refuses
to run (issue 18: CLAIMS_HOTLINE defaulted to 95500, a real insurer's line)."""
from __future__ import annotations

from pathlib import Path

import pytest

from actions.server import main as action_server_main
from bot.deployment import ProductionConfigError, production_problems, require_production_ready
from bot.settings import DEMO_HOTLINE, Settings, get_settings
from rasa_server.launcher import ServerError, Servers

READY = {"CLAIMS_ENV": "production", "CLAIMS_HOTLINE": "021-5555-0100",
         "CLAIMS_AGENTS_PHONE": "+862155550101", "CLAIMS_ACTION_SERVER_TOKEN": "k" * 43,
         "CLAIMS_ID_HASH_KEY": "h" * 43, "CLAIMS_WEBCHAT_SESSION_KEY": "w" * 43}


@pytest.mark.parametrize("missing, named", [
    ("CLAIMS_HOTLINE", "CLAIMS_HOTLINE"),
    ("CLAIMS_AGENTS_PHONE", "CLAIMS_AGENTS_PHONE"),
    ("CLAIMS_ACTION_SERVER_TOKEN", "CLAIMS_ACTION_SERVER_TOKEN"),
    ("CLAIMS_ID_HASH_KEY", "CLAIMS_ID_HASH_KEY"),
    ("CLAIMS_WEBCHAT_SESSION_KEY", "CLAIMS_WEBCHAT_SESSION_KEY"),
])
def test_production_names_what_is_missing(missing: str, named: str) -> None:
    env = {k: v for k, v in READY.items() if k != missing}
    problems = production_problems(Settings.from_env(env))
    assert len(problems) == 1 and named in problems[0]
    with pytest.raises(ProductionConfigError, match=named):
        require_production_ready(Settings.from_env(env))


def test_a_moved_clock_is_for_demos_and_tests_only() -> None:
    problems = production_problems(Settings.from_env({**READY, "CLAIMS_CLOCK_SHIFT": "3600"}))
    assert len(problems) == 1 and "CLAIMS_CLOCK_SHIFT" in problems[0]
    assert production_problems(Settings.from_env({**READY, "CLAIMS_CLOCK_SHIFT": "0"})) == []
    assert Settings.from_env({"CLAIMS_CLOCK_SHIFT": "3600"}).clock_shift_seconds == 3600


def test_the_demo_number_and_a_short_secret_are_not_production_values() -> None:
    env = {**READY, "CLAIMS_HOTLINE": DEMO_HOTLINE, "CLAIMS_ACTION_SERVER_TOKEN": "changeme"}
    assert len(production_problems(Settings.from_env(env))) == 2
    require_production_ready(Settings.from_env(READY))  # all there: runs
    require_production_ready(Settings.from_env({}))  # a demo start: runs with the demo line
    assert Settings.from_env({}).hotline == DEMO_HOTLINE != "95500"


def test_the_launcher_refuses_a_production_start_before_starting_anything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLAIMS_HOTLINE", "CLAIMS_AGENTS_PHONE", "CLAIMS_ACTION_SERVER_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"not a model")
    servers = Servers(model, env={"CLAIMS_ENV": "production"}, log_dir=tmp_path)
    with pytest.raises(ServerError, match="CLAIMS_HOTLINE") as refused:
        servers.start()
    assert "CLAIMS_AGENTS_PHONE" in str(refused.value)
    assert "CLAIMS_ACTION_SERVER_TOKEN" in str(refused.value)  # none made up in production
    assert servers.children == []
    servers.stop()


@pytest.mark.parametrize("env", [
    {"CLAIMS_ENV": "production", "CLAIMS_ACTION_SERVER_TOKEN": "k" * 43},  # no numbers
    {"CLAIMS_ENV": "", "CLAIMS_ACTION_SERVER_TOKEN": ""},  # no secret, even in a demo
])
def test_the_action_server_refuses_to_start(env: dict, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture) -> None:
    for name in ("CLAIMS_HOTLINE", "CLAIMS_AGENTS_PHONE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        assert action_server_main(["--port", "0"]) == 2
    finally:
        get_settings.cache_clear()
    assert "CLAIMS_" in capsys.readouterr().err
