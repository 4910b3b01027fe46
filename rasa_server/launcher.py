"""Starts, watches and stops the Rasa and action servers (one each, or replicas behind balancers).

Used by `make run`, `make run-scaled`, the benchmarks and the tests.

Imports nothing from Rasa: each server runs as a child process in its own process group, so
one Ctrl-C in the terminal reaches only the launcher, which then stops both in order.

What the children are started with (docs/security.md):
- Rasa's own HTTP API (/conversations, /model, /status...) is off unless an operator opts in
  with CLAIMS_RASA_API_TOKEN (then `--enable-api --auth-token`) and/or CLAIMS_RASA_JWT_SECRET
  (`--jwt-secret`); the channels and `/` (readiness) are all the product needs.
- CORS allows the web chat's own origin only: CLAIMS_CORS_ORIGINS (comma-separated), else the
  local web chat's http://localhost:<port> and http://127.0.0.1:<port>; never "*".
- The action server (actions/server.py) listens on 127.0.0.1 and answers only calls that carry
  CLAIMS_ACTION_SERVER_TOKEN, which Rasa sends from endpoints.yml; when none is configured a
  random one is made for this run and given to both children.
- Sanic reads at most SANIC_REQUEST_MAX_SIZE bytes of a request: the largest upload
  (CLAIMS_MAX_UPLOAD_BYTES, 20 MB) plus 1 MiB, instead of Sanic's 100 MB.
- CLAIMS_ENV=production without the insurer's own numbers or the secret refuses to start
  (bot/deployment.py).
"""
from __future__ import annotations

import collections
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import IO, Any, Callable, Deque, Dict, List, Mapping, Sequence, TypeVar, Union
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RASA_PORT = 5005
DEFAULT_ACTIONS_PORT = 5055
WEBCHAT_PATH = "/webhooks/webchat/"
REST_PATH = "/webhooks/rest/webhook"
WEBCHAT_WEBHOOK_PATH = "/webhooks/webchat/webhook"
ACTIONS_MODULE = "actions.server"  # rasa_sdk's app behind the shared secret, on loopback
ACTION_TOKEN_ENV = "CLAIMS_ACTION_SERVER_TOKEN"
RASA_API_TOKEN_ENV = "CLAIMS_RASA_API_TOKEN"
RASA_JWT_SECRET_ENV = "CLAIMS_RASA_JWT_SECRET"
RASA_JWT_METHOD_ENV = "CLAIMS_RASA_JWT_METHOD"
CORS_ORIGINS_ENV = "CLAIMS_CORS_ORIGINS"
REQUEST_MAX_SIZE_ENV = "SANIC_REQUEST_MAX_SIZE"
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # bot/settings.py's CLAIMS_MAX_UPLOAD_BYTES default
REQUEST_HEADROOM_BYTES = 1024 * 1024  # headers and a file name on top of the largest upload

PathLike = Union[str, "os.PathLike[str]"]
Self = TypeVar("Self", bound="Launcher")


class ServerError(RuntimeError):
    """The servers could not be started or kept running."""


class ServerDied(ServerError):
    """A child server exited on its own; carries the end of its log."""

    def __init__(self, name: str, returncode: int | None, log_tail: str) -> None:
        self.name = name
        self.returncode = returncode
        self.log_tail = log_tail
        super().__init__(
            f"{name} server exited with code {returncode}. Last lines of its log:\n{log_tail}"
        )


def venv_python() -> str:
    """The project's virtualenv interpreter when there is one, else the one running now."""
    candidate = ROOT / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def newest_model(models_dir: PathLike = ROOT / "models") -> Path | None:
    models = sorted(Path(models_dir).glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def endpoints_for_actions_port(
    endpoints: PathLike | None, actions_port: int, out_dir: PathLike
) -> Path:
    """An endpoints file whose action server URL uses `actions_port`.

    The given file is returned untouched when it already points there; otherwise a copy with
    only the port changed (every other key and comment kept) is written to `out_dir`.
    """
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: keeps comments, order and the other endpoints as they are
    yaml.preserve_quotes = True
    source = Path(endpoints) if endpoints else None
    data = None
    if source is not None and source.exists():
        with source.open(encoding="utf-8") as fh:
            data = yaml.load(fh)
    if data is None:
        data = {}

    action_endpoint = data.get("action_endpoint") or {}
    url = str(action_endpoint.get("url") or f"http://localhost:{DEFAULT_ACTIONS_PORT}/webhook")
    parts = urlsplit(url)
    if "${" in url or not parts.hostname:
        raise ServerError(
            f"Cannot set the action server port in {source}: url {url!r} is not a plain URL."
        )
    if source is not None and source.exists() and parts.port == actions_port:
        return source

    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    new_url = urlunsplit(
        (parts.scheme or "http", f"{host}:{actions_port}", parts.path or "/webhook", "", "")
    )
    if not data.get("action_endpoint"):
        data["action_endpoint"] = {}
    data["action_endpoint"]["url"] = new_url

    target = Path(out_dir) / "endpoints.yml"
    with target.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return target


def rasa_api_args(env: Mapping[str, str]) -> List[str]:
    """Rasa's HTTP API flags: none (the API is off) unless a token or JWT secret is set."""
    token = (env.get(RASA_API_TOKEN_ENV) or "").strip()
    jwt_secret = (env.get(RASA_JWT_SECRET_ENV) or "").strip()
    if not token and not jwt_secret:
        return []
    args = ["--enable-api"]
    if token:
        args += ["--auth-token", token]
    if jwt_secret:
        args += ["--jwt-secret", jwt_secret,
                 "--jwt-method", (env.get(RASA_JWT_METHOD_ENV) or "HS256").strip() or "HS256"]
    return args


def cors_origins(env: Mapping[str, str], rasa_port: int) -> List[str]:
    """CLAIMS_CORS_ORIGINS (comma or space separated), else the local web chat's own origin.
    "*" is refused: with Rasa's credentialed CORS it lets any web page act as the customer."""
    configured = (env.get(CORS_ORIGINS_ENV) or "").replace(",", " ").split()
    if "*" in configured or "null" in configured:
        raise ServerError(f"{CORS_ORIGINS_ENV} may not contain '*' or 'null': name the web "
                          "chat's origin(s), e.g. https://claims.example.com")
    return configured or [f"http://localhost:{rasa_port}", f"http://127.0.0.1:{rasa_port}"]


def request_max_size(env: Mapping[str, str]) -> str:
    """SANIC_REQUEST_MAX_SIZE as given, else the largest legitimate upload plus headroom."""
    given = (env.get(REQUEST_MAX_SIZE_ENV) or "").strip()
    if given:
        return given
    try:
        largest = int(env.get("CLAIMS_MAX_UPLOAD_BYTES") or DEFAULT_MAX_UPLOAD_BYTES)
    except ValueError:
        largest = DEFAULT_MAX_UPLOAD_BYTES
    return str(largest + REQUEST_HEADROOM_BYTES)


def child_environment(base: Mapping[str, str]) -> Dict[str, str]:
    """`base` with what both servers of a run must share: the action server secret (made here
    when none is configured), Sanic's request size limit; a production start without what
    production needs is refused (bot/deployment.py)."""
    from bot.deployment import ProductionConfigError, require_production_ready
    from bot.settings import Settings

    env = dict(base)
    try:  # before a secret is made up: production must configure its own
        require_production_ready(Settings.from_env(env))
    except ProductionConfigError as error:
        raise ServerError(str(error)) from error
    if not (env.get(ACTION_TOKEN_ENV) or "").strip():
        env[ACTION_TOKEN_ENV] = secrets.token_urlsafe(32)
    env[REQUEST_MAX_SIZE_ENV] = request_max_size(env)
    return env


def _die_with_parent() -> None:
    """Runs in the child before exec: on Linux, end it if the launcher is killed outright.

    A launcher (or pytest) killed with SIGKILL runs no cleanup; without this its servers,
    alone in their own process groups, would keep the ports and the model in memory.
    (Linux ties this to the thread that started the child: start servers from a thread that
    lives as long as they should.)
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class ChildServer:
    """One server process: started in its own process group, its output kept in a log file."""

    def __init__(self, name: str, command: Sequence[str], log_path: Path, echo: bool) -> None:
        self.name = name
        self.command = list(command)
        self.log_path = log_path
        self.echo = echo
        self.process: subprocess.Popen | None = None
        self._tail: Deque[str] = collections.deque(maxlen=400)
        self._reader: threading.Thread | None = None
        self.closed = False

    def start(self, env: Mapping[str, str], cwd: Path) -> None:
        # Logs, databases and uploads of the launcher and of the servers (they inherit it) are
        # private: 0600 files in 0700 folders (bot/privacy.py).
        os.umask(0o077)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self.command,
            cwd=str(cwd),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: the terminal's Ctrl-C reaches us only
            preexec_fn=_die_with_parent,
        )
        self._reader = threading.Thread(
            target=self._pump, name=f"{self.name}-log", daemon=True
        )
        self._reader.start()

    def _pump(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        stream: IO[bytes] = self.process.stdout
        with self.log_path.open("ab") as log:
            for raw in iter(stream.readline, b""):
                log.write(raw)
                log.flush()
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                self._tail.append(line)
                if self.echo:
                    print(f"[{self.name}] {line}", flush=True)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def returncode(self) -> int | None:
        return self.process.poll() if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, lines: int = 40) -> str:
        if self._reader is not None and not self.alive():
            self._reader.join(timeout=2)  # let the last lines of a dead server arrive
        return "\n".join(list(self._tail)[-lines:])

    def signal_group(self, signum: int) -> None:
        # Once closed, the group id may belong to someone else: never signal it again.
        if self.process is None or self.closed:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def wait(self, timeout: float) -> bool:
        if self.process is None:
            return True
        try:
            self.process.wait(timeout=max(timeout, 0))
            return True
        except subprocess.TimeoutExpired:
            return False

    def close(self) -> None:
        self.closed = True
        if self._reader is not None:
            self._reader.join(timeout=2)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()


def _http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as res:
            return int(res.status)
    except urllib.error.HTTPError as err:
        return int(err.code)
    except (OSError, ValueError):
        return None


class Launcher:
    """What the single machine (`Servers`) and the scaled deployment (`Deployment`) share:
    the children's environment (action-server secret, Sanic limits, production checks), the
    rasa and action-server commands, start and stop of the children by name, readiness and
    the public addresses. A subclass names its children, their ports and their start order.

    Children are kept by name in `servers`; `start` launches them in `start_order()` and returns
    at once, `wait_until_ready` waits until each answers, `stop` ends them in `stop_order()`.
    """

    tmp_prefix = "claims-servers-"

    def __init__(
        self,
        model: PathLike,
        *,
        endpoints: PathLike | None = ROOT / "endpoints.yml",
        credentials: PathLike | None = ROOT / "credentials.yml",
        env: Mapping[str, str] | None = None,
        python: str | None = None,
        cwd: PathLike = ROOT,
        log_dir: PathLike | None = None,
        echo: bool = False,
        actions_package: str = "actions",
        startup_timeout: float = 300.0,
        stop_timeout: float = 10.0,
        interface: str = "127.0.0.1",
    ) -> None:
        self.model = Path(model)
        self.endpoints = Path(endpoints) if endpoints else None
        self.credentials = Path(credentials) if credentials else None
        self.env = dict(env or {})
        self.python = python or venv_python()
        self.cwd = Path(cwd)
        self.log_dir = Path(log_dir) if log_dir else None
        self.echo = echo
        self.actions_package = actions_package
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.interface = interface
        self.host = "127.0.0.1" if interface in ("", "0.0.0.0", "::") else interface
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._env: Dict[str, str] = {}
        self.endpoints_used: Path | None = None
        self.servers: Dict[str, ChildServer] = {}

    # -- what a subclass says ----------------------------------------------------------------
    @property
    def public_port(self) -> int:
        """Where customers' channels reach Rasa (the web chat's origin for CORS)."""
        raise NotImplementedError

    @property
    def actions_url(self) -> str:
        """Where Rasa reaches the action server(s)."""
        raise NotImplementedError

    def start_order(self) -> List[str]:
        raise NotImplementedError

    def stop_order(self) -> List[str]:
        raise NotImplementedError

    def _ports_to_check(self) -> List[tuple[str, int]]:
        """(how the busy-port message names it, port) of every port this run listens on."""
        raise NotImplementedError

    def _command(self, name: str) -> List[str]:
        raise NotImplementedError

    def _ready(self, name: str) -> bool:
        raise NotImplementedError

    def _child_env(self, env: Dict[str, str]) -> None:
        """Adds what this kind of run needs to the children's environment (default nothing)."""

    # -- secrets -----------------------------------------------------------------------------
    @property
    def action_server_token(self) -> str:
        """The secret Rasa presents to the action server in this run (set by `start`)."""
        return self._env.get(ACTION_TOKEN_ENV, "")

    @property
    def api_token(self) -> str:
        """Rasa's HTTP API token when the API was opted into (CLAIMS_RASA_API_TOKEN), else ""."""
        return (self._env.get(RASA_API_TOKEN_ENV) or "").strip()

    # -- addresses ---------------------------------------------------------------------------
    @property
    def rasa_url(self) -> str:
        """What customers' channels reach: the Rasa server, or the balancer in front of them."""
        return f"http://{self.host}:{self.public_port}"

    @property
    def webchat_url(self) -> str:
        return self.rasa_url + WEBCHAT_PATH

    @property
    def rest_url(self) -> str:
        return self.rasa_url + REST_PATH

    @property
    def webchat_webhook_url(self) -> str:
        return self.rasa_url + WEBCHAT_WEBHOOK_PATH

    @property
    def children(self) -> List[ChildServer]:
        return list(self.servers.values())

    # -- commands ----------------------------------------------------------------------------
    def _actions_command(self, port: int) -> List[str]:
        return [self.python, "-m", ACTIONS_MODULE, "--actions", self.actions_package,
                "--port", str(port), "--host", "127.0.0.1"]

    def _rasa_command(self, port: int) -> List[str]:
        assert self.endpoints_used is not None
        command = [
            self.python, "-m", "rasa", "run", *rasa_api_args(self._env),
            "--cors", *cors_origins(self._env, self.public_port),
            "--model", str(self.model), "--interface", self.interface,
            "--port", str(port), "--endpoints", str(self.endpoints_used),
        ]
        if self.credentials is not None:
            command += ["--credentials", str(self.credentials)]
        return command

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> Self:
        try:
            self.start()
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> Self:
        """Launches every child; returns at once (see `wait_until_ready`)."""
        if not self.model.exists():
            raise ServerError(f"Model not found: {self.model}")
        if self.credentials is not None and not self.credentials.exists():
            raise ServerError(f"Credentials file not found: {self.credentials}")
        for label, port in self._ports_to_check():
            if port_in_use(port):
                raise ServerError(f"Port {port}{label} is already in use (another server "
                                  f"running?). 端口 {port} 已被占用。")
        self._tmp = tempfile.TemporaryDirectory(prefix=self.tmp_prefix)
        if self.log_dir is None:
            self.log_dir = Path(self._tmp.name)
        self.endpoints_used = endpoints_for_actions_port(
            self.endpoints, self.actions_port, self._tmp.name
        )
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.update(self.env)
        env["PYTHONUNBUFFERED"] = "1"  # log lines must arrive as they happen, not at exit
        self._child_env(env)
        self._env = child_environment(env)
        for name in self.start_order():
            self.start_child(name)
        return self

    def start_child(self, name: str) -> ChildServer:
        """(Re)starts one child by name; its log continues in the same file."""
        assert self.log_dir is not None
        old = self.servers.get(name)
        if old is not None and old.alive():
            raise ServerError(f"{name} is still running.")
        if old is not None:
            old.close()
        child = ChildServer(name, self._command(name), self.log_dir / f"{name}.log", self.echo)
        child.start(self._env, self.cwd)
        self.servers[name] = child
        return child

    def dead_child(self) -> ChildServer | None:
        for child in self.children:
            if not child.closed and not child.alive():
                return child
        return None

    def check(self) -> None:
        """Raises ServerDied when a child that should be running has exited."""
        dead = self.dead_child()
        if dead is not None:
            raise ServerDied(dead.name, dead.returncode, dead.tail())

    def _also_wait_for(self, names: Sequence[str] | None, wanted: List[str]) -> List[str]:
        """Children that must be waited for as well when `wanted` are (default none)."""
        return []

    def wait_until_ready(self, names: Sequence[str] | None = None,
                         timeout: float | None = None) -> None:
        """Waits until the named children (default: all) answer; raises ServerDied when one
        of them exits, ServerError (with the logs of the late ones) after `timeout`."""
        wanted = list(names or self.servers)
        wanted += self._also_wait_for(names, wanted)
        deadline = time.monotonic() + (timeout or self.startup_timeout)
        ready = {name: False for name in wanted}
        while True:
            for name in wanted:
                child = self.servers[name]
                if not child.alive():
                    raise ServerDied(child.name, child.returncode, child.tail())
            for name in wanted:
                if not ready[name]:
                    ready[name] = self._ready(name)
            if all(ready.values()):
                return
            if time.monotonic() > deadline:
                waiting = [n for n, ok in ready.items() if not ok]
                tails = "\n".join(f"--- {n} ---\n{self.servers[n].tail()}" for n in waiting)
                raise ServerError(f"Timed out waiting for: {', '.join(waiting)}\n{tails}")
            time.sleep(0.5)

    def stop(self) -> None:
        """SIGTERM to every child in `stop_order()`, SIGKILL to what is left after
        `stop_timeout`."""
        children = [self.servers[n] for n in self.stop_order() if n in self.servers]
        for child in children:
            if child.alive():
                child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in children:
            if not child.wait(deadline - time.monotonic()):
                child.signal_group(signal.SIGKILL)
                child.wait(5)
            # Anything the server left behind in its group goes too.
            child.signal_group(signal.SIGKILL)
            child.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


class Servers(Launcher):
    """The action server and the Rasa server, started together and stopped together.

    >>> with Servers(model, env={"CLAIMS_DB_URL": url}) as servers:   # free ports
    ...     requests.post(servers.rest_url, json=...)

    Ports left as None (or 0) are picked free, which is what tests want; the launcher passes
    5005/5055. `env` is added to the current environment of both children.
    """

    def __init__(self, model: PathLike, *, rasa_port: int | None = None,
                 actions_port: int | None = None, **options: Any) -> None:
        super().__init__(model, **options)
        self.rasa_port = rasa_port or free_port()
        self.actions_port = actions_port or free_port()
        if self.rasa_port == self.actions_port:
            raise ServerError(f"Rasa and the action server cannot share port {self.rasa_port}.")

    @property
    def public_port(self) -> int:
        return self.rasa_port

    @property
    def actions_url(self) -> str:
        return f"http://{self.host}:{self.actions_port}"

    @property
    def actions(self) -> ChildServer | None:
        return self.servers.get("actions")

    @property
    def rasa(self) -> ChildServer | None:
        return self.servers.get("rasa")

    def start_order(self) -> List[str]:
        return ["actions", "rasa"]

    def stop_order(self) -> List[str]:
        return ["actions", "rasa"]

    def _ports_to_check(self) -> List[tuple[str, int]]:
        return [(" for the Rasa", self.rasa_port), (" for the action server", self.actions_port)]

    def _command(self, name: str) -> List[str]:
        if name == "actions":
            return self._actions_command(self.actions_port)
        if name == "rasa":
            return self._rasa_command(self.rasa_port)
        raise ServerError(f"No server named {name!r} in this run.")

    def _ready(self, name: str) -> bool:
        if name == "actions":
            return _http_status(self.actions_url + "/health") == 200
        # Rasa opens its port only once the model is loaded; `/` needs no API and no token.
        return _http_status(self.rasa_url + "/") == 200


# --- several replicas behind load balancers (make run-scaled, tests/scale) -------------------

BALANCER_STATUS_PATH = "/-/balancer"
BALANCER_MODULE = "scripts.balancer"


class Deployment(Launcher):
    """Several Rasa replicas and action servers, each group behind its own load balancer
    (scripts/balancer.py), started together and stopped together.

    >>> with Deployment(model, env=scale_env) as d:     # free ports unless given
    ...     requests.post(d.rest_url, json=...)          # through the Rasa balancer
    ...     requests.post(d.replica_url(1) + REST_PATH, json=...)   # one replica directly

    Children are named rasa-1.., actions-1.., lb-rasa, lb-actions; `kill(name)` and
    `restart(name)` act on one (fault tests). The Rasa replicas reach the action servers
    through lb-actions, as a Kubernetes Service would.
    """

    tmp_prefix = "claims-deployment-"

    def __init__(self, model: PathLike, *, rasa_replicas: int = 2, action_replicas: int = 2,
                 port: int | None = None, actions_port: int | None = None,
                 health_interval: float = 0.5, **options: Any) -> None:
        if rasa_replicas < 1 or action_replicas < 1:
            raise ServerError("A deployment needs at least one Rasa server and one action server.")
        super().__init__(model, **options)
        self.port = port or free_port()
        self.actions_port = actions_port or free_port()
        self.rasa_ports = [free_port() for _ in range(rasa_replicas)]
        self.action_ports = [free_port() for _ in range(action_replicas)]
        self.health_interval = health_interval

    @property
    def public_port(self) -> int:
        """The Rasa balancer: what customers' channels reach."""
        return self.port

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    def replica_url(self, number: int) -> str:
        """Rasa replica `number` (1-based) directly, bypassing the balancer."""
        return f"http://{self.host}:{self.rasa_ports[number - 1]}"

    def action_server_url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.action_ports[number - 1]}"

    @property
    def rasa_names(self) -> List[str]:
        return [f"rasa-{i}" for i in range(1, len(self.rasa_ports) + 1)]

    @property
    def action_names(self) -> List[str]:
        return [f"actions-{i}" for i in range(1, len(self.action_ports) + 1)]

    def start_order(self) -> List[str]:
        return ["lb-actions", *self.action_names, *self.rasa_names, "lb-rasa"]

    def stop_order(self) -> List[str]:
        """Rasa first, the balancers last."""
        return [*self.rasa_names, *self.action_names, "lb-rasa", "lb-actions"]

    def _ports_to_check(self) -> List[tuple[str, int]]:
        return [("", p) for p in [self.port, self.actions_port, *self.rasa_ports,
                                  *self.action_ports]]

    def _child_env(self, env: Dict[str, str]) -> None:
        # Rasa keeps connections to the action server for 15 s, Sanic closes idle ones after 5:
        # a turn starting at that moment meets a reset. Servers keep them longer than clients.
        env.setdefault("SANIC_KEEP_ALIVE_TIMEOUT", "75")
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(self.cwd), env.get("PYTHONPATH", "")) if p
        )

    def _command(self, name: str) -> List[str]:
        kind, _, number = name.partition("-")
        if kind == "actions":
            return self._actions_command(self.action_ports[int(number) - 1])
        if kind == "rasa":
            return self._rasa_command(self.rasa_ports[int(number) - 1])
        if name == "lb-rasa":
            backends = [f"http://{self.host}:{p}" for p in self.rasa_ports]
            port, health, host = self.port, "/", self.interface
        elif name == "lb-actions":
            backends = [f"http://127.0.0.1:{p}" for p in self.action_ports]
            port, health, host = self.actions_port, "/health", "127.0.0.1"
        else:
            raise ServerError(f"No server named {name!r} in this deployment.")
        command = [self.python, "-m", BALANCER_MODULE, "--host", host, "--port", str(port),
                   "--health-path", health, "--interval", str(self.health_interval)]
        for backend in backends:
            command += ["--backend", backend]
        return command

    def kill(self, name: str, signum: int = signal.SIGKILL, timeout: float = 10.0) -> None:
        """Ends one child at once (SIGKILL: as a crash would) and waits for it to be gone."""
        child = self.servers[name]
        child.signal_group(signum)
        if not child.wait(timeout):
            child.signal_group(signal.SIGKILL)
            child.wait(5)
        child.close()

    def restart(self, name: str, timeout: float | None = None) -> None:
        """Starts a killed child again and waits until it answers."""
        self.start_child(name)
        self.wait_until_ready([name], timeout)

    def _also_wait_for(self, names: Sequence[str] | None, wanted: List[str]) -> List[str]:
        # the balancers only see a backend once it is up: wait for them too
        if names is None or any(n.startswith(("rasa", "actions")) for n in wanted):
            return [n for n in ("lb-rasa", "lb-actions") if n in self.servers
                    and n not in wanted]
        return []

    def _ready(self, name: str) -> bool:
        kind, _, number = name.partition("-")
        if kind == "rasa":  # `/` answers once the model is loaded, API or not
            return _http_status(self.replica_url(int(number)) + "/") == 200
        if kind == "actions":
            return _http_status(self.action_server_url(int(number)) + "/health") == 200
        base = self.rasa_url if name == "lb-rasa" else self.actions_url
        try:
            with urllib.request.urlopen(base + BALANCER_STATUS_PATH, timeout=2) as res:
                backends = json.load(res)["backends"]
        except (OSError, ValueError, KeyError):
            return False
        return bool(backends) and all(b.get("healthy") for b in backends)


# --- the launchers' shared main loop (scripts/run_servers.py, scripts/run_scaled.py) ---------

class Stop(Exception):
    """SIGTERM arrived: leave the watch loop and stop the servers."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop()


def model_or_complain(given: str | None, models_dir: PathLike = ROOT / "models") -> Path | None:
    """The model archive given, else the newest one; None (said on stderr in both languages)
    when there is none."""
    model = Path(given) if given else newest_model(models_dir)
    if model is None or not model.exists():
        print("找不到模型,请先训练(make model)/ No model found: train one first (make model)"
              + (f": {given}" if given else ""), file=sys.stderr)
        return None
    return model


def run_until_stopped(launcher: Launcher, banner: Callable[[Any], str],
                      tick: Callable[[], None]) -> int:
    """Starts `launcher`'s children, prints `banner(launcher)` once they answer, then calls
    `tick` every second (it raises ServerDied to end the run) until Ctrl-C or SIGTERM; stops
    every child whatever happened. 0 after a requested stop, 1 when a child died or the start
    failed."""
    signal.signal(signal.SIGTERM, _raise_stop)
    # Ctrl-C must stop the servers even when started from a shell that ignores SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print(f"正在启动,模型 / Starting with model: {launcher.model}", flush=True)
    code = 0
    try:
        launcher.start()
        launcher.wait_until_ready()
        print(banner(launcher), flush=True)
        while True:
            tick()
            time.sleep(1.0)
    except (KeyboardInterrupt, Stop):
        print("\n正在停止 / Stopping…", flush=True)
    except ServerDied as died:
        print(f"\n{died.name} 服务器意外退出 / The {died.name} server stopped "
              f"(exit code {died.returncode}). Its last log lines:\n{died.log_tail}",
              file=sys.stderr, flush=True)
        code = 1
    except ServerError as err:
        print(f"\n启动失败 / Could not start: {err}", file=sys.stderr, flush=True)
        code = 1
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave a server behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        launcher.stop()
    if code == 0:
        print("已停止 / Stopped.", flush=True)
    return code
