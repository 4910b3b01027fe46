"""The server harness behind `make run` and the end-to-end tests, driven with stand-in servers."""
from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from rasa_server.launcher import (
    ROOT,
    ServerDied,
    ServerError,
    Servers,
    endpoints_for_actions_port,
    free_port,
    newest_model,
)

# Stands in for the venv's python: "-m actions.server ..." and "-m rasa run ..." both become a tiny
# HTTP server on --port that answers the readiness checks, unless FAKE_MODE says otherwise.
FAKE_PYTHON = textwrap.dedent(
    """\
    #!{python}
    import http.server, json, os, signal, sys, time
    args = sys.argv[1:]
    name = "actions" if args[:2] == ["-m", "actions.server"] else "rasa"
    port = int(args[args.index("--port") + 1])
    with open(os.environ["FAKE_ARGS_DIR"] + "/" + name + ".args", "w") as fh:
        json.dump(args, fh)
    with open(os.environ["FAKE_ARGS_DIR"] + "/" + name + ".env", "w") as fh:
        json.dump({{k: v for k, v in os.environ.items() if k.startswith(("CLAIMS_", "SANIC_"))}},
                  fh)
    with open(os.environ["FAKE_ARGS_DIR"] + "/" + name + ".pid", "w") as fh:
        fh.write(str(os.getpid()))
    mode = os.environ.get("FAKE_MODE_" + name.upper(), "serve")
    print(name, "starting", flush=True)
    if mode == "die":
        print("boom: cannot import actions", flush=True)
        sys.exit(3)
    if mode == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path in ("/health", "/status", "/") else 404)
            self.end_headers()
            self.wfile.write(b"{{}}")

        def log_message(self, *a):
            pass

    http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """
)


@pytest.fixture
def fake_python(tmp_path: Path) -> Path:
    path = tmp_path / "fake-python"
    path.write_text(FAKE_PYTHON.format(python=sys.executable), encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "model.tar.gz"
    path.write_bytes(b"not really a model")
    return path


def make_servers(fake_python: Path, model: Path, tmp_path: Path, **env: str) -> Servers:
    args_dir = tmp_path / "args"
    args_dir.mkdir(exist_ok=True)
    return Servers(
        model,
        python=str(fake_python),
        env={"FAKE_ARGS_DIR": str(args_dir), **env},
        log_dir=tmp_path / "logs",
        startup_timeout=20,
        stop_timeout=2,
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie no longer runs; only the reaping parent could clear it.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def read_yaml(path: Path):
    return YAML().load(path.read_text(encoding="utf-8"))


def test_starts_both_on_free_ports_and_stops_them(
    fake_python: Path, model: Path, tmp_path: Path
) -> None:
    servers = make_servers(fake_python, model, tmp_path)
    with servers:
        pids = [c.pid for c in servers.children]
        assert servers.rasa_url == f"http://127.0.0.1:{servers.rasa_port}"
        assert servers.webchat_url.endswith(f":{servers.rasa_port}/webhooks/webchat/")
        rasa_args = (tmp_path / "args" / "rasa.args").read_text()
        actions_args = (tmp_path / "args" / "actions.args").read_text()
        assert str(model) in rasa_args
        assert f'"--port", "{servers.actions_port}"' in actions_args
        endpoints = read_yaml(servers.endpoints_used)
        assert endpoints["action_endpoint"]["url"].endswith(f":{servers.actions_port}/webhook")
    assert all(not alive(pid) for pid in pids)
    assert (tmp_path / "logs" / "rasa.log").read_text().startswith("rasa starting")


def test_a_server_that_dies_at_start_is_reported_with_its_log(
    fake_python: Path, model: Path, tmp_path: Path
) -> None:
    servers = make_servers(fake_python, model, tmp_path, FAKE_MODE_ACTIONS="die")
    with pytest.raises(ServerDied) as died, servers:
        pass
    assert died.value.name == "actions"
    assert died.value.returncode == 3
    assert "boom: cannot import actions" in died.value.log_tail
    assert servers.rasa is not None and not servers.rasa.alive()


def test_a_server_that_dies_later_is_noticed(
    fake_python: Path, model: Path, tmp_path: Path
) -> None:
    with make_servers(fake_python, model, tmp_path) as servers:
        servers.check()
        assert servers.rasa is not None
        servers.rasa.signal_group(signal.SIGKILL)
        servers.rasa.wait(5)
        with pytest.raises(ServerDied) as died:
            servers.check()
        assert died.value.name == "rasa"


def test_a_server_that_ignores_sigterm_is_killed(
    fake_python: Path, model: Path, tmp_path: Path
) -> None:
    servers = make_servers(fake_python, model, tmp_path, FAKE_MODE_RASA="stubborn")
    with servers:
        pid = servers.rasa.pid if servers.rasa else None
    assert pid is not None and not alive(pid)


def test_a_busy_port_is_refused_before_anything_starts(
    fake_python: Path, model: Path, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        servers = Servers(model, rasa_port=port, python=str(fake_python))
        with pytest.raises(ServerError, match=str(port)):
            servers.start()
        assert servers.children == []


def test_missing_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ServerError, match="Model not found"):
        Servers(tmp_path / "none.tar.gz").start()


def test_endpoints_already_on_the_port_are_used_as_they_are(tmp_path: Path) -> None:
    source = tmp_path / "endpoints.yml"
    source.write_text('action_endpoint:\n  url: "http://localhost:5055/webhook"\n')
    assert endpoints_for_actions_port(source, 5055, tmp_path / "out") == source


def test_endpoints_on_another_port_are_copied_with_only_the_port_changed(
    tmp_path: Path,
) -> None:
    source = tmp_path / "endpoints.yml"
    source.write_text(
        "# where the actions live\n"
        "action_endpoint:\n"
        '  url: "http://localhost:5055/webhook"\n'
        "tracker_store:\n"
        "  type: SQL\n"
        "  url: ${DB_HOST}\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    written = endpoints_for_actions_port(source, 6123, out)
    assert written.parent == out
    text = written.read_text()
    assert "# where the actions live" in text
    data = read_yaml(written)
    assert data["action_endpoint"]["url"] == "http://localhost:6123/webhook"
    # Compared as text: once rasa is imported, ruamel tags ${...} values as env variables.
    assert "tracker_store:\n  type: SQL\n  url: ${DB_HOST}\n" in text
    assert "5055" in source.read_text()  # the original is never touched


def test_missing_endpoints_file_gets_a_minimal_one(tmp_path: Path) -> None:
    written = endpoints_for_actions_port(tmp_path / "nope.yml", 7001, tmp_path)
    assert read_yaml(written)["action_endpoint"]["url"] == "http://localhost:7001/webhook"


def test_endpoint_url_from_a_variable_is_not_guessed_at(tmp_path: Path) -> None:
    source = tmp_path / "endpoints.yml"
    source.write_text('action_endpoint:\n  url: "${ACTION_SERVER_URL}"\n')
    with pytest.raises(ServerError):
        endpoints_for_actions_port(source, 6000, tmp_path)


def test_newest_model_is_the_latest_written(tmp_path: Path) -> None:
    assert newest_model(tmp_path) is None
    old, new = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    new.write_bytes(b"")
    old.write_bytes(b"")
    # Older than the file written last, by that file's own time (not this process's clock).
    then = new.stat().st_mtime - 100
    os.utime(old, (then, then))
    assert newest_model(tmp_path) == new


def test_launcher_without_a_model_says_so_in_both_languages(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "run_servers.py"), "--model", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "找不到模型" in result.stderr and "No model found" in result.stderr


def start_launcher(fake_python: Path, model: Path, tmp_path: Path, **env: str):
    args_dir = tmp_path / "args"
    args_dir.mkdir(exist_ok=True)
    return subprocess.Popen(
        [
            sys.executable, str(ROOT / "scripts" / "run_servers.py"),
            "--model", str(model),
            "--python", str(fake_python),
            "--rasa-port", str(free_port()),
            "--actions-port", str(free_port()),
            "--log-dir", str(tmp_path / "logs"),
            "--startup-timeout", "20",
        ],
        env={**os.environ, "FAKE_ARGS_DIR": str(args_dir), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_until(proc: subprocess.Popen, marker: str, timeout: float = 30) -> str:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"{marker!r} never came; output:\n{''.join(seen)}")


def test_launcher_prints_where_to_chat_and_stops_both_on_sigterm(
    fake_python: Path, model: Path, tmp_path: Path
) -> None:
    proc = start_launcher(fake_python, model, tmp_path)
    try:
        out = read_until(proc, "Ctrl-C")
        assert "/webhooks/webchat/" in out and "/webhooks/webchat/webhook" in out
        assert "网页聊天" in out and "Web chat" in out
        pids = [int((tmp_path / "args" / f"{n}.pid").read_text()) for n in ("rasa", "actions")]
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest
    assert "Stopped" in rest
    assert all(not alive(pid) for pid in pids)


def test_launcher_exits_non_zero_with_the_log_of_a_server_that_died(
    fake_python: Path, model: Path, tmp_path: Path
) -> None:
    proc = start_launcher(fake_python, model, tmp_path, FAKE_MODE_ACTIONS="die")
    try:
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "boom: cannot import actions" in out
    rasa_pid_file = tmp_path / "args" / "rasa.pid"
    if rasa_pid_file.exists():  # it may have been stopped before it got that far
        assert not alive(int(rasa_pid_file.read_text()))


def test_servers_end_when_their_launcher_is_killed_outright(
    fake_python: Path, model: Path, tmp_path: Path
) -> None:
    proc = start_launcher(fake_python, model, tmp_path)
    try:
        read_until(proc, "Ctrl-C")
        pids = [int((tmp_path / "args" / f"{n}.pid").read_text()) for n in ("rasa", "actions")]
        proc.kill()  # SIGKILL: no handler, no cleanup of its own
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)


# --- what the children are started with (issue 18: the API closed, the action server Rasa's) ---

def _args(tmp_path: Path, name: str) -> list:
    return json.loads((tmp_path / "args" / f"{name}.args").read_text())


def _env(tmp_path: Path, name: str) -> dict:
    return json.loads((tmp_path / "args" / f"{name}.env").read_text())


def _cors(args: list) -> list:
    start = args.index("--cors") + 1
    return list(itertools.takewhile(lambda a: not a.startswith("--"), args[start:]))


def test_by_default_rasa_has_no_http_api_and_cors_names_the_web_chat_only(
    fake_python: Path, model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CLAIMS_RASA_API_TOKEN", "CLAIMS_RASA_JWT_SECRET", "CLAIMS_CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    with make_servers(fake_python, model, tmp_path) as servers:
        rasa, actions = _args(tmp_path, "rasa"), _args(tmp_path, "actions")
        assert "--enable-api" not in rasa and "--auth-token" not in rasa
        assert _cors(rasa) == [f"http://localhost:{servers.rasa_port}",
                               f"http://127.0.0.1:{servers.rasa_port}"]
        assert "*" not in rasa
        assert actions[:2] == ["-m", "actions.server"]
        assert actions[actions.index("--host") + 1] == "127.0.0.1"
        assert servers.api_token == ""


def test_an_operator_opts_into_the_api_with_a_token_or_a_jwt_secret(
    fake_python: Path, model: Path, tmp_path: Path
) -> None:
    servers = make_servers(fake_python, model, tmp_path, CLAIMS_RASA_API_TOKEN="api-secret",
                           CLAIMS_RASA_JWT_SECRET="jwt-secret",
                           CLAIMS_CORS_ORIGINS="https://claims.example.com, https://a.example")
    with servers:
        rasa = _args(tmp_path, "rasa")
        assert "--enable-api" in rasa
        assert rasa[rasa.index("--auth-token") + 1] == "api-secret"
        assert rasa[rasa.index("--jwt-secret") + 1] == "jwt-secret"
        assert rasa[rasa.index("--jwt-method") + 1] == "HS256"
        assert _cors(rasa) == ["https://claims.example.com", "https://a.example"]
        assert servers.api_token == "api-secret"


def test_cors_for_every_origin_is_refused(fake_python: Path, model: Path, tmp_path: Path) -> None:
    servers = make_servers(fake_python, model, tmp_path, CLAIMS_CORS_ORIGINS="*")
    with pytest.raises(ServerError, match="CLAIMS_CORS_ORIGINS"), servers:
        pass


def test_both_children_share_a_secret_made_for_the_run_and_a_request_size_limit(
    fake_python: Path, model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CLAIMS_ACTION_SERVER_TOKEN", "SANIC_REQUEST_MAX_SIZE",
                 "CLAIMS_MAX_UPLOAD_BYTES"):
        monkeypatch.delenv(name, raising=False)
    tokens = []
    for run in ("one", "two"):
        run_dir = tmp_path / run
        run_dir.mkdir()
        with make_servers(fake_python, model, run_dir) as servers:
            rasa, actions = _env(run_dir, "rasa"), _env(run_dir, "actions")
            token = rasa["CLAIMS_ACTION_SERVER_TOKEN"]
            assert len(token) >= 32 and actions["CLAIMS_ACTION_SERVER_TOKEN"] == token
            assert servers.action_server_token == token
            assert rasa["SANIC_REQUEST_MAX_SIZE"] == str(21 * 1024 * 1024)
            tokens.append(token)
    assert tokens[0] != tokens[1]  # random per run


def test_a_configured_secret_and_size_limit_are_used_as_they_are(
    fake_python: Path, model: Path, tmp_path: Path
) -> None:
    servers = make_servers(fake_python, model, tmp_path, CLAIMS_ACTION_SERVER_TOKEN="s" * 40,
                           CLAIMS_MAX_UPLOAD_BYTES=str(5 * 1024 * 1024))
    with servers:
        assert _env(tmp_path, "actions")["CLAIMS_ACTION_SERVER_TOKEN"] == "s" * 40
        assert _env(tmp_path, "rasa")["SANIC_REQUEST_MAX_SIZE"] == str(6 * 1024 * 1024)
