"""One call of the insurer's core system, made once: the operation runs in one unit of work, a
refusal (CoreRefused) changes nothing and is audited, and a call made with an Idempotency-Key is
answered from the store when it comes again.

Idempotency: the first successful answer (2xx) to a key is kept with a fingerprint of the
request (method, path, canonical JSON body) for `CLAIMS_CORE_IDEMPOTENCY_HOURS` (72). The same key
with the same request gets that answer again, marked `replayed`, and nothing runs twice. The same
key with another request is refused with 422 `idempotency_key_reused` (audited). Refusals are not
kept: a refused call retried with the same key is judged again, and may succeed once corrected.
The answer and the change it made commit in one transaction, so a kept answer always stands for a
change that was saved; two calls racing with one key meet at the key's unique index, and the
loser is answered as a retry. Expired answers are forgotten on the next call that keeps one.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Tuple

from sqlalchemy.exc import IntegrityError

from bot.clock import as_utc_naive
from bot.settings import get_settings
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import IdempotencyKey

REFUSED_ACTION = "core_api.refused"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,128}")  # visible ASCII, as the header carries it


class CoreRefused(Exception):
    """A core-system call the rules refuse: the HTTP status, a stable code, a sentence naming the
    problem, and details for the caller. Raised inside an operation, it rolls everything back."""

    def __init__(self, status: int, code: str, message: str, *,
                 audit_action: str | None = None, audit_detail: Dict[str, Any] | None = None,
                 **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        # How the refusal is audited: core_api.refused unless the rule has its own action.
        self.audit_action = audit_action or REFUSED_ACTION
        self.audit_detail = audit_detail or {}

    def body(self) -> Dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.details}


@dataclass(frozen=True)
class Outcome:
    status: int
    body: Dict[str, Any]
    replayed: bool = False


Operation = Callable[[UnitOfWork, datetime], Tuple[int, Dict[str, Any]]]


def fingerprint(method: str, path: str, body: Any) -> str:
    """sha256 of the request: method, path and the body as canonical JSON (key order and spacing
    do not matter). Any text hashes: a lone surrogate from a forged JSON body is escaped."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode(
        "utf-8", "surrogatepass")).hexdigest()


def valid_key(key: str) -> bool:
    return bool(KEY_PATTERN.fullmatch(key))


def _refuse(uow: UnitOfWork, actor: str, subject: Tuple[str, str | None], route: str,
            refusal: CoreRefused, at: datetime) -> Outcome:
    uow.audit.record(actor, refusal.audit_action, subject[0], (subject[1] or "")[:64] or None,
                     {"route": route[:255], "status": refusal.status, "error": refusal.code,
                      "message": refusal.message[:500], **refusal.audit_detail}, at=at)
    uow.commit()
    return Outcome(refusal.status, refusal.body())


def _replay(row: IdempotencyKey, fingerprint_: str) -> Outcome | None:
    if row.fingerprint != fingerprint_:
        return None
    return Outcome(row.status_code, dict(row.response), replayed=True)


def _reused(key: str, route: str) -> CoreRefused:
    return CoreRefused(
        422, "idempotency_key_reused",
        "This Idempotency-Key was already used with a different request; nothing was changed. "
        "Use a new key for a new request.", idempotency_key=key[:128], first_route=route)


def run_call(
    operation: Operation,
    *,
    route: str,
    request_fingerprint: str,
    key: str | None,
    actor: str,
    subject: Tuple[str, str | None],
    now: datetime | None = None,
    url: str | None = None,
) -> Outcome:
    """Run `operation(uow, at)` once for this request, and answer it.

    `route` names the call in the audit log and the kept answer ("POST /claims/X/deny"),
    `subject` is what it is about for the audit log (("claim", number)), `key` the caller's
    Idempotency-Key (None: none given)."""
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        if key is not None:
            row = uow.idempotency.by_key(key)
            if row is not None and row.expires_at <= at:
                uow.idempotency.remove(row)
                uow.flush()
                row = None
            if row is not None:
                replay = _replay(row, request_fingerprint)
                if replay is not None:
                    return replay
                return _refuse(uow, actor, subject, route, _reused(key, row.route), at)
        try:
            status, body = operation(uow, at)
        except CoreRefused as refusal:
            uow.rollback()
            # A call with this key that ran at the same time may have won: answer as its retry.
            row = uow.idempotency.by_key(key) if key is not None else None
            replay = _replay(row, request_fingerprint) if row is not None else None
            if replay is not None:
                return replay
            return _refuse(uow, actor, subject, route, refusal, at)
        if key is not None:
            hours = get_settings().core_idempotency_hours
            uow.idempotency.purge(at)
            uow.idempotency.add(IdempotencyKey(
                key=key, fingerprint=request_fingerprint, route=route[:255], status_code=status,
                response=body, created_at=at, expires_at=at + timedelta(hours=hours)))
        try:
            uow.commit()
        except IntegrityError:
            if key is None:
                raise
            uow.rollback()  # another call with this key won the race: answer as its retry
            row = uow.idempotency.by_key(key)
            if row is None:
                raise
            replay = _replay(row, request_fingerprint)
            if replay is not None:
                return replay
            return _refuse(uow, actor, subject, route, _reused(key, row.route), at)
        return Outcome(status, body)
