"""The action server, reachable by Rasa alone: rasa_sdk's app behind a shared secret, on loopback.

    python -m actions.server --actions actions --port 5055 [--host 127.0.0.1]

`python -m rasa_sdk` listens on every address (SANIC_HOST, default 0.0.0.0) and runs any action
for anyone who can reach it, so a forged call with `verified: true` in its slots would read a
stranger's claim. Here:

- it binds to CLAIMS_ACTION_SERVER_HOST (default 127.0.0.1; a pod sets 0.0.0.0 and relies on
  its NetworkPolicy, deploy/helm/);
- every route but /health needs `Authorization: Bearer <CLAIMS_ACTION_SERVER_TOKEN>`, which
  Rasa sends from endpoints.yml's action_endpoint headers. The token is compared in constant
  time; anything else gets 401 with no body of interest and an entry in the claim store's
  audit log. Without a token configured the server refuses to start;
- an action that fails answers 500 without echoing the request (rasa_sdk's handler returns the
  whole request body, tracker and slots included).
"""
from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import os
import sys
from typing import Any, Dict, List

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
OPEN_PATHS = frozenset({"/health"})  # liveness probes carry no secret
AUDIT_ACTOR = "action-server"


def token_matches(header: str, expected: str) -> bool:
    """`Authorization: Bearer <expected>`, compared in constant time; an empty expected token
    matches nothing. Header bytes that are not UTF-8 arrive as surrogates and never match."""
    if not expected:
        return False
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer":
        presented = ""
    return hmac.compare_digest(presented.strip().encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8"))


def _audit_refused(path: str, reason: str, remote: str | None) -> None:
    """A call without the secret is recorded (never what was presented)."""
    from bot.store.db import unit_of_work

    with unit_of_work() as uow:
        uow.audit.record(AUDIT_ACTOR, "action_server.refused", "route", path[:64],
                         {"reason": reason, "remote": remote})
        uow.commit()


async def audit_refused(path: str, reason: str, remote: str | None) -> None:
    try:
        await asyncio.to_thread(_audit_refused, path, reason, remote)
    except Exception:  # a store that is down costs a log line; the call is refused anyway
        logger.exception("action server: could not audit a refused call to %s", path)


def create_app(token: str, actions_package: str = "actions",
               cors_origins: List[str] | None = None, auto_reload: bool = False) -> Sanic:
    """rasa_sdk's app with the secret checked before any route but /health runs."""
    if not token:
        raise ValueError("The action server needs a shared secret (CLAIMS_ACTION_SERVER_TOKEN).")
    from rasa_sdk.endpoint import create_app as create_sdk_app

    app = create_sdk_app(actions_package, cors_origins=cors_origins or "",
                         auto_reload=auto_reload)

    @app.middleware("request")
    async def only_rasa(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        header = request.headers.get("authorization") or ""
        if token_matches(header, token):
            return None
        reason = "wrong_token" if header else "no_token"
        await audit_refused(request.path, reason, request.remote_addr or request.ip)
        return response.json({"error": "unauthorized",
                              "message": "This server answers the Rasa server only."},
                             status=401, headers={"WWW-Authenticate": 'Bearer realm="actions"'})

    @app.middleware("request")
    async def customer_zone(request: Request) -> None:
        """Whether times name their zone for this conversation (bot.replies.names_zone): set
        for every action call, so nothing carries over from the previous one."""
        if request.path == "/webhook":
            from bot.replies import set_customer_abroad

            # Read once per call (Rasa deflates it), for the response's script too.
            request.ctx.claims_slots = slots = _slots_of(_action_call(request))
            set_customer_abroad(bool(slots.get("abroad")))

    @app.middleware("response")
    async def in_customer_script(request: Request, answer: HTTPResponse) -> HTTPResponse | None:
        """Every reply of every action, in the customer's script, at this one place."""
        if request.path != "/webhook" or answer.status != 200:
            return None
        return scripted(request, answer)

    @app.exception(Exception)
    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        status = getattr(exception, "status_code", 500) or 500
        if status >= 500:
            logger.error("action server: %s %s failed", request.method, request.path,
                         exc_info=exception)
        return response.json({"error": type(exception).__name__}, status=status)

    return app


def _action_call(request: Request) -> Dict[str, Any]:
    """The action call Rasa sent, as rasa_sdk reads it (Rasa deflates it); {} if unreadable."""
    import json
    import zlib

    try:
        if request.headers.get("Content-Encoding") == "deflate":
            call = json.loads(zlib.decompress(request.body))
        else:
            call = request.json
    except Exception:  # rasa_sdk answers a malformed call itself
        return {}
    return call if isinstance(call, dict) else {}


def _slots_of(call: Dict[str, Any]) -> Dict[str, Any]:
    slots = (call.get("tracker") or {}).get("slots") if isinstance(call.get("tracker"),
                                                                   dict) else None
    return slots if isinstance(slots, dict) else {}


def scripted(request: Request, answer: HTTPResponse) -> HTTPResponse | None:
    """The action's answer with its messages in the conversation's script (bot.replies), or
    None to send it as it is."""
    import json

    from bot.replies import in_customer_script, script_after

    try:
        result = json.loads(answer.body or b"{}")
    except ValueError:  # not JSON: nothing to convert
        return None
    if not isinstance(result, dict) or not result.get("responses"):
        return None
    slots = getattr(request.ctx, "claims_slots", None)
    if slots is None:
        slots = _slots_of(_action_call(request))
    script = script_after(slots, result.get("events") or [])
    if not script:
        return None
    result["responses"] = in_customer_script(result["responses"], script)
    return response.json(result, status=answer.status)


def parse_args(argv: List[str] | None = None) -> argparse.Namespace:
    from rasa_sdk.endpoint import create_argument_parser

    parser = create_argument_parser()
    parser.add_argument(
        "--host", default=os.environ.get("CLAIMS_ACTION_SERVER_HOST", "").strip() or DEFAULT_HOST,
        help="address to listen on (default CLAIMS_ACTION_SERVER_HOST, else 127.0.0.1)")
    return parser.parse_args(argv)


def main(argv: List[str] | None = None) -> int:
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.plugin import plugin_manager

    from bot.deployment import ProductionConfigError, require_production_ready
    from bot.settings import get_settings

    args = parse_args(argv)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file,
                                 args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()
    settings = get_settings()
    try:
        require_production_ready(settings)
    except ProductionConfigError as error:
        print(error, file=sys.stderr, flush=True)
        return 2
    if not settings.action_server_token:
        print("动作服务器没有共享密钥,拒绝启动 / The action server will not start without a "
              "shared secret: set CLAIMS_ACTION_SERVER_TOKEN (the same value for Rasa, which "
              "sends it from endpoints.yml). `make run` generates one per run.",
              file=sys.stderr, flush=True)
        return 2
    app = create_app(settings.action_server_token, args.actions or "actions",
                     cors_origins=args.cors, auto_reload=args.auto_reload)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    from rasa_sdk.endpoint import create_ssl_context

    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    logger.info("Action server listening on %s://%s:%s (Rasa only: shared secret required)",
                "https" if ssl_context else "http", args.host, args.port)
    app.run(args.host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
