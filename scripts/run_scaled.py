"""`make run-scaled`: two Rasa replicas and two action servers behind local load balancers, with
trackers and claims in PostgreSQL, conversation locks in Redis and events to RabbitMQ, on this
machine; Ctrl-C stops them all.

Every address has a default for the local services and can be set by the usual variable or flag:
CLAIMS_DB_URL, CLAIMS_TRACKER_STORE_URL, CLAIMS_REDIS_URL, CLAIMS_RABBITMQ_URL ("none": no
broker). Missing PostgreSQL databases are created, the claim store is migrated and, when empty,
seeded with the demo data. A replica or action server that dies is started again (three times at
most), as Kubernetes would.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, List
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a file, this script sees only scripts/ on its path
    sys.path.insert(0, str(ROOT))

from rasa_server.launcher import (  # noqa: E402
    DEFAULT_ACTIONS_PORT,
    DEFAULT_RASA_PORT,
    Deployment,
    ServerDied,
    ServerError,
    model_or_complain,
    run_until_stopped,
    venv_python,
)

DEFAULT_DB_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/claims"
DEFAULT_TRACKER_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/claims_trackers"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/1"
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
MAX_RESTARTS = 3


class ServiceUnavailable(RuntimeError):
    """PostgreSQL, Redis or RabbitMQ cannot be reached; the message says which and where."""


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}{parts.path}"


def ensure_postgres_database(url: str) -> bool:
    """Creates the database of `url` when it does not exist; True when it was created."""
    import sqlalchemy as sa

    target = sa.engine.make_url(url)
    if target.get_backend_name() != "postgresql":
        return False
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": target.database}).first()
            if exists:
                return False
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
            return True
    except sa.exc.OperationalError as err:
        raise ServiceUnavailable(
            f"PostgreSQL at {_where(str(url))} cannot be reached: {err.orig}".strip()
        ) from err
    finally:
        admin.dispose()


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as err:
        raise ServiceUnavailable(f"Redis at {_where(url)} cannot be reached: {err}") from err


def check_rabbitmq(url: str) -> None:
    """A TCP connection to the AMQP port (Rasa's broker logs in itself at start)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), 3):
            pass
    except OSError as err:
        raise ServiceUnavailable(f"RabbitMQ at {_where(url)} cannot be reached: {err}") from err


def prepare_claim_store(db_url: str, var_dir: Path) -> None:
    """Migrates the claim store and seeds the demo data when it is empty."""
    env = {**os.environ, "CLAIMS_DB_URL": db_url, "CLAIMS_VAR_DIR": str(var_dir)}
    result = subprocess.run([venv_python(), "-m", "bot", "seed", "--if-empty"], cwd=str(ROOT),
                            env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise ServerError(f"`python -m bot seed --if-empty` failed:\n{result.stdout[-2000:]}"
                          f"\n{result.stderr[-2000:]}")


def scale_env(db_url: str, tracker_url: str, redis_url: str, rabbitmq_url: str | None,
              var_dir: Path, queue: str | None = None) -> Dict[str, str]:
    """The environment that makes every child use the shared services."""
    env = {
        "CLAIMS_DB_URL": db_url,
        "CLAIMS_TRACKER_STORE_URL": tracker_url,
        "CLAIMS_REDIS_URL": redis_url,
        "CLAIMS_RABBITMQ_URL": rabbitmq_url or "",
        "CLAIMS_VAR_DIR": str(var_dir),
        "RASA_TELEMETRY_ENABLED": "false",
    }
    if queue:
        env["CLAIMS_RABBITMQ_QUEUE"] = queue
    return env


def parse_args(argv: List[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="model archive (default: the newest models/*.tar.gz)")
    parser.add_argument("--port", type=int, default=DEFAULT_RASA_PORT,
                        help="where the Rasa balancer listens (default 5005)")
    parser.add_argument("--actions-port", type=int, default=DEFAULT_ACTIONS_PORT,
                        help="where the action server balancer listens (default 5055)")
    parser.add_argument("--replicas", type=int, default=2, help="Rasa servers (default 2)")
    parser.add_argument("--action-servers", type=int, default=2, help="default 2")
    parser.add_argument("--db-url", default=env.get("CLAIMS_DB_URL") or DEFAULT_DB_URL)
    parser.add_argument("--tracker-url",
                        default=env.get("CLAIMS_TRACKER_STORE_URL") or DEFAULT_TRACKER_URL)
    parser.add_argument("--redis-url", default=env.get("CLAIMS_REDIS_URL") or DEFAULT_REDIS_URL)
    parser.add_argument("--rabbitmq-url",
                        default=env.get("CLAIMS_RABBITMQ_URL") or DEFAULT_RABBITMQ_URL,
                        help='"none" runs without an event broker')
    parser.add_argument("--endpoints", default=str(ROOT / "endpoints.yml"))
    parser.add_argument("--credentials", default=str(ROOT / "credentials.yml"))
    parser.add_argument("--var-dir", default=env.get("CLAIMS_VAR_DIR") or str(ROOT / "var"))
    parser.add_argument("--log-dir", default=str(ROOT / "var" / "log" / "scaled"))
    parser.add_argument("--quiet", action="store_true", help="keep the logs in --log-dir only")
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    return parser.parse_args(argv)


def banner(deployment: Deployment) -> str:
    base = f"http://localhost:{deployment.port}"
    replicas = ", ".join(deployment.replica_url(i + 1)
                         for i in range(len(deployment.rasa_ports)))
    actions = ", ".join(deployment.action_server_url(i + 1)
                        for i in range(len(deployment.action_ports)))
    return "\n".join([
        "",
        "=" * 72,
        "理赔助手(多副本)已启动 / The claims assistant is running, scaled out",
        f"  网页聊天 / Web chat:        {base}/webhooks/webchat/",
        f"  REST 接口 / REST endpoint:  {base}/webhooks/rest/webhook",
        f"  负载均衡 / Balancer status: {base}/-/balancer",
        f"  Rasa 副本 / replicas:       {replicas}",
        f"  动作服务器 / Action servers: {actions} (via {deployment.actions_url})",
        f"  日志 / Logs:                {deployment.log_dir}/",
        "按 Ctrl-C 停止 / Press Ctrl-C to stop",
        "=" * 72,
        "",
    ])


def main(argv: List[str] | None = None) -> int:
    args = parse_args(argv)
    model = model_or_complain(args.model, ROOT / "models")
    if model is None:
        return 2
    rabbitmq = None if args.rabbitmq_url.lower() == "none" else args.rabbitmq_url
    try:
        for url in (args.db_url, args.tracker_url):
            if ensure_postgres_database(url):
                print(f"Created database {_where(url)}", flush=True)
        check_redis(args.redis_url)
        if rabbitmq:
            check_rabbitmq(rabbitmq)
        prepare_claim_store(args.db_url, Path(args.var_dir))
    except (ServiceUnavailable, ServerError) as err:
        print(f"启动失败 / Could not start: {err}", file=sys.stderr)
        return 1

    deployment = Deployment(
        model,
        rasa_replicas=args.replicas,
        action_replicas=args.action_servers,
        port=args.port,
        actions_port=args.actions_port,
        endpoints=args.endpoints,
        credentials=args.credentials,
        env=scale_env(args.db_url, args.tracker_url, args.redis_url, rabbitmq,
                      Path(args.var_dir)),
        log_dir=args.log_dir,
        echo=not args.quiet,
        startup_timeout=args.startup_timeout,
    )
    restarts: Dict[str, int] = {}

    def tick() -> None:
        """A replica or action server that died is started again, as Kubernetes would."""
        dead = deployment.dead_child()
        if dead is None:
            return
        count = restarts.get(dead.name, 0)
        if dead.name.startswith("lb-") or count >= MAX_RESTARTS:
            raise ServerDied(dead.name, dead.returncode, dead.tail())
        print(f"\n{dead.name} stopped (exit code {dead.returncode}); starting it again",
              file=sys.stderr, flush=True)
        restarts[dead.name] = count + 1
        deployment.start_child(dead.name)

    return run_until_stopped(deployment, banner, tick)


if __name__ == "__main__":
    sys.exit(main())
