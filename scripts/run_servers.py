"""Runs the action server and the Rasa server together until Ctrl-C (what `make run` calls)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a file, this script sees only scripts/ on its path
    sys.path.insert(0, str(ROOT))

from bot import demo_sms  # noqa: E402
from rasa_server.launcher import (  # noqa: E402
    DEFAULT_ACTIONS_PORT,
    DEFAULT_RASA_PORT,
    Servers,
    model_or_complain,
    run_until_stopped,
)


def parse_args(argv: List[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Start the action server and the Rasa server (web chat included)."
    )
    parser.add_argument("--model", help="model archive (default: the newest models/*.tar.gz)")
    parser.add_argument("--rasa-port", type=int, default=DEFAULT_RASA_PORT)
    parser.add_argument("--actions-port", type=int, default=DEFAULT_ACTIONS_PORT)
    parser.add_argument("--endpoints", default=str(ROOT / "endpoints.yml"))
    parser.add_argument("--credentials", default=str(ROOT / "credentials.yml"))
    parser.add_argument(
        "--interface",
        default="127.0.0.1",
        help="where Rasa listens (default 127.0.0.1; 0.0.0.0 opens the channels to the network). "
        "Rasa's own HTTP API stays off unless CLAIMS_RASA_API_TOKEN (or CLAIMS_RASA_JWT_SECRET) "
        "is set; the action server always listens on 127.0.0.1 and needs the shared secret",
    )
    parser.add_argument("--log-dir", default=str(ROOT / "var" / "log"))
    parser.add_argument(
        "--quiet", action="store_true", help="keep the servers' logs in --log-dir only"
    )
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    parser.add_argument(
        "--python", help="interpreter that runs both servers (default: .venv/bin/python)"
    )
    return parser.parse_args(argv)


def banner(servers: Servers) -> str:
    host = "localhost" if servers.host == "127.0.0.1" else servers.host
    base = f"http://{host}:{servers.rasa_port}"
    log_dir = servers.log_dir
    return "\n".join(
        [
            "",
            "=" * 72,
            "理赔助手已启动 / The claims assistant is running",
            f"  网页聊天 / Web chat:          {base}/webhooks/webchat/",
            f"  REST 接口 / REST endpoint:    {base}/webhooks/webchat/webhook",
            '                                (POST {"sender": "...", "message": "..."}, header',
            "                                X-Chat-Session from POST .../webchat/session)",
            f"  动作服务器 / Action server:   http://localhost:{servers.actions_port}/health",
            f"  日志 / Logs:                  {log_dir}/rasa.log, {log_dir}/actions.log",
            "按 Ctrl-C 停止 / Press Ctrl-C to stop",
            "=" * 72,
            "",
        ]
    )


def main(argv: List[str] | None = None) -> int:
    args = parse_args(argv)
    model = model_or_complain(args.model, ROOT / "models")
    if model is None:
        return 2
    servers = Servers(
        model,
        rasa_port=args.rasa_port,
        actions_port=args.actions_port,
        endpoints=args.endpoints,
        credentials=args.credentials,
        interface=args.interface,
        log_dir=args.log_dir,
        echo=not args.quiet,
        startup_timeout=args.startup_timeout,
        python=args.python,
    )
    # The demo's phone: SMS that would go to a customer without Twilio configured.
    outbox = demo_sms.outbox_path()
    offset = 0

    def tick() -> None:
        nonlocal offset
        servers.check()
        lines, offset = demo_sms.read_new(outbox, offset)
        for line in lines:
            print(line, flush=True)

    def show_banner(started: Servers) -> str:
        nonlocal offset
        _, offset = demo_sms.read_new(outbox, 0)  # what was there before this run stays unread
        return banner(started)

    return run_until_stopped(servers, show_banner, tick)


if __name__ == "__main__":
    sys.exit(main())
