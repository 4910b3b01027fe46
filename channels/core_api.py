"""The insurer's core system moves claims through their lifecycle over HTTP, and the Rasa server
delivers the queued customer notices: a Rasa input channel whose blueprint holds the endpoint and
starts the periodic delivery and retention rounds (rasa_server/jobs.py).

    POST /webhooks/core/claims/<number>/stage
    Authorization: Bearer <CLAIMS_CORE_API_TOKEN>
    {"stage": "assessment", "note": "documents complete", "handler": "chen.li"}

200 with the move, or a JSON error: 401 (no bearer token), 403 (wrong token), 404 (no such
claim), 409 (the lifecycle does not allow the move; bot.claims.lifecycle.advance_claim audits the
refused
attempt), 400/413 (bad body), 503 (no token configured: the endpoint is off). Nothing changes
unless the answer is 200. Tokens are compared in constant time; no token is ever logged.

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
import re
from functools import partial
from typing import Any, Awaitable, Callable, Dict, Mapping

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.audit import record as record_audit
from bot.claims.lifecycle import advance_claim
from bot.claims.model import ALLOWED_TRANSITIONS, ClaimNotFound, ClaimStage, InvalidTransition
from bot.language import clean_text
from bot.outbox.notices import notice_kind
from bot.outbox.senders import Sender, registered_senders
from bot.parsing import parse_claim_number
from bot.settings import get_settings
from rasa_server.jobs import BackOfficeRounds, DocumentChase, NoticeDelivery, RetentionRounds

logger = logging.getLogger(__name__)

CORE_ACTOR = "core-system"
MAX_BODY_BYTES = 16 * 1024
MAX_NOTE_CHARS = 1000
# A handler's user name as the core system sends it; becomes part of the audited actor.
HANDLER_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _error(status: int, code: str, message: str, **extra: Any) -> HTTPResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="claims-core"'} if status == 401 else None
    return response.json({"error": code, "message": message, **extra}, status=status,
                         headers=headers)


def _iso(moment: Any) -> str:
    return moment.isoformat(timespec="seconds") + "Z"  # the store keeps naive UTC


def token_matches(presented: str, expected: str) -> bool:
    """Constant-time comparison; an empty expected token matches nothing. A header's bytes that
    are not UTF-8 arrive as surrogates: they are compared too (and never match)."""
    if not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8"))


def _audit_refused_call(number: str, reason: str, remote: str | None) -> None:
    """A call without the right token is recorded (never the token itself)."""
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
            body = json.loads(request.body or b"")
        except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting too
            return _error(400, "invalid_json", "Body must be a JSON object.")
        if not isinstance(body, dict):
            return _error(400, "invalid_json", "Body must be a JSON object.")
        stages = [stage.value for stage in ClaimStage]
        if body.get("stage") not in stages:
            return _error(400, "invalid_stage", "'stage' must be one of the claim stages.",
                          stages=stages)
        note = body.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE_CHARS):
            return _error(400, "invalid_note",
                          f"'note' must be a string of at most {MAX_NOTE_CHARS} characters.")
        if note is not None:
            body["note"] = clean_text(note)  # a NUL or lone surrogate cannot be stored
        handler = body.get("handler")
        if handler is not None and (not isinstance(handler, str)
                                    or not HANDLER_PATTERN.fullmatch(handler)):
            return _error(400, "invalid_handler",
                          "'handler' must be 1-64 letters, digits, '.', '_' or '-'.")
        return body

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

        @core.route("/claims/<number>/stage", methods=["POST"])
        async def move_claim(request: Request, number: str) -> HTTPResponse:
            refused = await self._check_token(request, number)
            if refused is not None:
                return refused
            body = self._parse_body(request)
            if isinstance(body, HTTPResponse):
                return body
            canonical = parse_claim_number(number)
            if canonical is None:
                return _error(404, "claim_not_found", f"No claim {number[:40]!r}.")
            actor = CORE_ACTOR + (f":{body['handler']}" if body.get("handler") else "")
            move = partial(advance_claim, canonical, body["stage"], actor=actor,
                           note=body.get("note"))
            try:
                view = await asyncio.get_running_loop().run_in_executor(None, move)
            except ClaimNotFound:
                return _error(404, "claim_not_found", f"No claim {canonical}.")
            except InvalidTransition as error:
                return _error(
                    409, "invalid_transition", str(error), number=error.number,
                    from_stage=error.from_stage.value, to_stage=error.to_stage.value,
                    allowed=sorted(s.value for s in ALLOWED_TRANSITIONS[error.from_stage]),
                )
            last = view.events[-1]
            delivery.trigger()
            return response.json({
                "number": view.number,
                "from_stage": last.from_stage.value if last.from_stage else None,
                "stage": view.stage.value,
                "at": _iso(last.at),
                "actor": last.actor,
                "notice": notice_kind(last.from_stage, view.stage),
            })

        return core
