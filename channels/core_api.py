"""The insurer's core system moves claims through their lifecycle and sends its decisions over
HTTP, and the Rasa server delivers the queued customer notices: a Rasa input channel whose
blueprint holds the endpoints and starts the periodic delivery and retention rounds
(rasa_server/jobs.py). This file is the HTTP adapter only: the rules are bot.claims.decisions,
bot.documents.status and bot.core_calls (one unit of work, refusals audited, idempotency keys).

    POST /webhooks/core/claims/<number>/stage       move a stage (not to denied: use deny)
    POST /webhooks/core/claims/<number>/approve     amount and its make-up
    POST /webhooks/core/claims/<number>/pay         amount and day paid
    POST /webhooks/core/claims/<number>/deny        reason (zh and en) and clause
    POST /webhooks/core/claims/<number>/documents   checklist items received/fetched/waived/rejected
    POST /webhooks/core/claims/<number>/contact     where the customer gets notices
    POST /webhooks/core/claims                      a claim reported on the hotline or at a branch
    GET  /webhooks/core/openapi.json                the OpenAPI 3 document (no token)
    Authorization: Bearer <CLAIMS_CORE_API_TOKEN>; optional Idempotency-Key: <key>

2xx with the result, or a JSON error {"error", "message", ...}: 401 (no bearer token), 403 (wrong
token), 404 (no such claim or policy, or no such route), 405 (wrong method), 409 (wrong stage for
this call), 400/413 (bad body, a key named twice included),
422 (a rule refuses it, or the key was used with another request), 503 (no token configured:
the endpoints are off). Nothing changes unless the answer is 2xx; refusals are audited. Tokens are
compared in constant time; no token is ever logged.

Delivery: every `CLAIMS_NOTICE_DELIVERY_SECONDS`, and at once after a move, the outbox
(bot.outbox.delivery.deliver_pending) is sent through the senders the channels registered with
bot.outbox.senders.register_sender (Telegram, SMS... in their own issues). Web chat and REST
messages
are not pushed: their clients collect them from GET /webhooks/webchat/messages (bot.handoff),
so the loop leaves them in the outbox (no fallback sender) for that poll to hand out once.

Retention: every `CLAIMS_RETENTION_INTERVAL_HOURS` (24; 0: off) the same server runs
bot.retention.run_retention (trackers, transcripts, uploads, receipts, notices past their periods),
the first round a minute after the start.

Back office: every `CLAIMS_BACK_OFFICE_MINUTES` (10; 0: off) the same server runs
bot.back_office.run_back_office_round: yellow lights open supervision tasks, red ones escalations,
complaint clocks and review flags open tasks.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
from functools import partial
from typing import Any, Awaitable, Callable, Dict, Mapping

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.audit import record as record_audit
from bot.claims import decisions
from bot.core_calls import CoreRefused, Outcome, fingerprint, run_call, valid_key
from bot.documents import status as document_status
from bot.outbox.senders import Sender, registered_senders
from bot.settings import get_settings
from channels.core_api_openapi import openapi_document
from channels.pages import FALLBACK_METHODS, method_not_allowed
from rasa_server.jobs import BackOfficeRounds, DocumentChase, NoticeDelivery, RetentionRounds

logger = logging.getLogger(__name__)

CORE_ACTOR = decisions.CORE_ACTOR
MAX_BODY_BYTES = 16 * 1024
IDEMPOTENCY_HEADER = "Idempotency-Key"
# The claim calls: path suffix -> the core operation (uow, at, number, body) -> (status, body).
CLAIM_CALLS: Dict[str, Callable[..., Any]] = {
    "stage": decisions.move_stage,
    "approve": decisions.approve,
    "pay": decisions.pay,
    "deny": decisions.deny,
    "documents": document_status.set_statuses,
    "contact": decisions.update_contact,
}


class DuplicateKey(ValueError):
    """A JSON object that names one key twice: which one the sender meant is not known."""


def _no_duplicates(pairs: list) -> Dict[str, Any]:
    seen: Dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen[key] = value
    return seen


def _error(status: int, code: str, message: str, **extra: Any) -> HTTPResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="claims-core"'} if status == 401 else None
    return response.json({"error": code, "message": message, **extra}, status=status,
                         headers=headers)


def token_matches(presented: str, expected: str) -> bool:
    """Constant-time comparison; an empty expected token matches nothing. A header's bytes that
    are not UTF-8 arrive as surrogates: they are compared too (and never match)."""
    if not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8"))


def _audit_refused_call(number: str, reason: str, remote: str | None) -> None:
    """A call refused at the door (no or wrong token, a body that is not JSON or too large, a
    bad Idempotency-Key) is recorded; never the token itself."""
    record_audit("core-api", "core_api.refused", "claim", number[:64],
                 {"reason": reason, "remote": remote})


class CoreApiInput(InputChannel):
    """Not a conversation channel: the core system's door into the store, and the notice loop."""

    @classmethod
    def name(cls) -> str:
        return "core"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(delivery_interval_s=credentials.get("delivery_interval_seconds"),
                   back_office_interval_s=credentials.get("back_office_interval_seconds"))

    def __init__(self, delivery_interval_s: float | None = None,
                 senders: Callable[[], Mapping[str, Sender]] = registered_senders,
                 back_office_interval_s: float | None = None) -> None:
        interval = delivery_interval_s or get_settings().notice_delivery_seconds
        self.delivery = NoticeDelivery(float(interval), senders)
        self.retention = RetentionRounds(get_settings().retention_interval_hours * 3600)
        # The back-office round (bot/back_office.py): CLAIMS_BACK_OFFICE_MINUTES, or
        # back_office_interval_seconds in credentials.yml (the end-to-end tests use seconds).
        self.back_office = BackOfficeRounds(
            float(back_office_interval_s) if back_office_interval_s is not None
            else get_settings().back_office_minutes * 60)
        self.chase = DocumentChase(get_settings().document_chase_interval_minutes * 60)

    @staticmethod
    async def _check_token(request: Request, number: str) -> HTTPResponse | None:
        """None when the bearer token is right; else the 401/403/503 answer (audited)."""
        header = request.headers.get("authorization") or ""
        scheme, _, presented = header.partition(" ")
        expected = get_settings().core_api_token
        if not expected:
            return _error(503, "not_configured",
                          "The core API is off: set CLAIMS_CORE_API_TOKEN to turn it on.")
        if scheme.lower() != "bearer" or not presented.strip():
            refusal = _error(401, "unauthorized", "A bearer token is required.")
            reason = "no_token"
        elif not token_matches(presented.strip(), expected):
            refusal = _error(403, "forbidden", "The token is not valid.")
            reason = "wrong_token"
        else:
            return None
        audit = partial(_audit_refused_call, number, reason, request.remote_addr or request.ip)
        await asyncio.get_running_loop().run_in_executor(None, audit)
        return refusal

    @staticmethod
    def _parse_body(request: Request) -> Dict[str, Any] | HTTPResponse:
        if len(request.body or b"") > MAX_BODY_BYTES:
            return _error(413, "body_too_large", f"Request body over {MAX_BODY_BYTES} bytes.")
        try:
            body = json.loads(request.body or b"", object_pairs_hook=_no_duplicates)
        except DuplicateKey as duplicate:
            return _error(400, "duplicate_key",
                          f"The body names the key {str(duplicate)[:64]!r} twice (duplicate "
                          "key); send each key once.")
        except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting too
            return _error(400, "invalid_json", "Body must be a JSON object.")
        if not isinstance(body, dict):
            return _error(400, "invalid_json", "Body must be a JSON object.")
        return body

    async def _call(self, request: Request, subject: str,
                    operation: Callable[..., Any]) -> HTTPResponse:
        """Token, body, Idempotency-Key, then the core operation in a worker thread."""
        refused = await self._check_token(request, subject)
        if refused is not None:
            return refused
        body = self._parse_body(request)
        key = request.headers.get(IDEMPOTENCY_HEADER.lower())
        if not isinstance(body, HTTPResponse) and key is not None and not valid_key(key):
            body = _error(400, "invalid_idempotency_key",
                          f"{IDEMPOTENCY_HEADER} must be 1-128 visible ASCII characters.")
        if isinstance(body, HTTPResponse):  # refused before it is read: audited all the same
            reason = json.loads(body.body)["error"]
            audit = partial(_audit_refused_call, subject, reason,
                            request.remote_addr or request.ip)
            await asyncio.get_running_loop().run_in_executor(None, audit)
            return body
        try:
            actor = decisions.actor_of(body)
        except CoreRefused:
            actor = CORE_ACTOR  # the operation refuses the same handler, and that is audited
        route = f"POST {request.path}"
        call = partial(run_call, partial(operation, body=body), route=route,
                       request_fingerprint=fingerprint("POST", request.path, body),
                       key=key, actor=actor, subject=("claim", subject))
        outcome: Outcome = await asyncio.get_running_loop().run_in_executor(None, call)
        if 200 <= outcome.status < 300 and not outcome.replayed:
            self.delivery.trigger()
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
        return response.json(outcome.body, status=outcome.status, headers=headers)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        core = Blueprint(f"core_api_{type(self).__name__}")
        delivery = self.delivery
        retention = self.retention
        back_office = self.back_office
        chase = self.chase

        @core.listener("after_server_start")
        async def start_delivery(app: Any, loop: Any) -> None:
            delivery.start()
            retention.start()
            back_office.start()
            chase.start()

        @core.listener("before_server_stop")
        async def stop_delivery(app: Any, loop: Any) -> None:
            await delivery.stop()
            await retention.stop()
            await back_office.stop()
            await chase.stop()

        @core.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @core.route("/openapi.json", methods=["GET"])
        async def openapi(request: Request) -> HTTPResponse:
            return response.json(openapi_document())

        @core.route("/claims", methods=["POST"])
        async def create_claim(request: Request) -> HTTPResponse:
            return await self._call(request, "new",
                                    lambda uow, at, body: decisions.create_claim(uow, at, body))

        def claim_route(suffix: str, operation: Callable[..., Any]) -> None:
            async def handle(request: Request, number: str) -> HTTPResponse:
                return await self._call(
                    request, number[:64],
                    lambda uow, at, body: operation(uow, at, number[:64], body))

            core.add_route(handle, f"/claims/<number>/{suffix}", methods=["POST"],
                           name=f"claim_{suffix}")

        for suffix, operation in CLAIM_CALLS.items():
            claim_route(suffix, operation)

        # Errors under /webhooks/core are JSON like the rest: Sanic 21.12 answers a wrong method
        # or an unknown path before any blueprint handler runs (and in HTML for a browser), so
        # the other methods of each path and every other path get routes of their own
        # ("fallback" in their names; the OpenAPI document leaves them out).
        paths = {"/health": "GET", "/openapi.json": "GET", "/claims": "POST",
                 **{f"/claims/<number>/{suffix}": "POST" for suffix in CLAIM_CALLS}}
        for index, (path, allowed) in enumerate(paths.items()):
            core.add_route(method_not_allowed(allowed), path,
                           methods=[m for m in FALLBACK_METHODS if m != allowed],
                           name=f"fallback_405_{index}")

        async def not_found(request: Request, rest: str) -> HTTPResponse:
            return _error(404, "not_found", f"No core API route {request.path[:120]!r}; see "
                                            "GET /webhooks/core/openapi.json.")

        core.add_route(not_found, "/<rest:path>", methods=list(FALLBACK_METHODS),
                       name="fallback_404")
        return core
