"""Twilio webhook authentication: every request must carry a valid X-Twilio-Signature."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any, Dict, Mapping
from urllib.parse import parse_qs

from sanic.request import Request
from twilio.request_validator import RequestValidator

logger = logging.getLogger(__name__)


def signed_url(request: Request, public_url: str = "") -> str:
    """The URL Twilio signed: the configured public base plus the path and query, or (with no
    public base) the URL this server saw."""
    if not public_url:
        return request.url
    query = f"?{request.query_string}" if request.query_string else ""
    return f"{public_url.rstrip('/')}{request.path}{query}"


def form_params(request: Request) -> Dict[str, str]:
    """The POSTed form fields, one value each (Twilio never repeats a field). Blank fields are
    kept: Twilio signs them too, and a photo sent without words has an empty Body (Sanic's
    request.form drops blank fields, which would fail every such signature)."""
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        try:
            parsed = parse_qs((request.body or b"").decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return {}
        return {key: values[0] for key, values in parsed.items() if values}
    if content_type != "multipart/form-data" or "boundary=" not in (request.content_type or ""):
        return {}  # not a form (Sanic would log a traceback for each such forged request)
    return {key: values[0] for key, values in (request.form or {}).items() if values}


def is_signed(request: Request, auth_token: str, public_url: str = "") -> bool:
    """True when the request carries Twilio's signature over its URL and form fields, made with
    `auth_token`. With no token configured nothing is accepted: an open webhook is a forged one
    waiting to happen."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not auth_token or not signature:
        return False
    valid = RequestValidator(auth_token).validate(
        signed_url(request, public_url), form_params(request), signature
    )
    if not valid:
        logger.warning("twilio: rejected a request with a bad signature on %s", request.path)
    return bool(valid)


# --- a Media Stream tied to its call -------------------------------------------------------------
#
# Twilio signs a stream's WebSocket handshake over the stream URL alone, the same for every call
# (and a <Stream> URL may carry no query), so that signature says "Twilio" but not "which call".
# The TwiML that connects a call to the stream (answered only to a Twilio-signed webhook) hands
# Twilio a token among the <Parameter>s: an HMAC, keyed with the auth token, over the CallSid and
# the other parameters. Twilio echoes the parameters in the stream's `start` message; the stream
# is taken only when the token matches that start's CallSid and parameters.

STREAM_SIGNED = ("lang", "consent", "misses", "from", "issued")
STREAM_TOKEN_TTL_S = 600  # a stream starts seconds after its TwiML; a stale token is refused


def stream_token(auth_token: str, call_sid: str, params: Mapping[str, str]) -> str:
    """The token for `call_sid` and the values of STREAM_SIGNED in `params`."""
    message = json.dumps(["twilio_voice_stream", call_sid,
                          [str(params.get(name, "")) for name in STREAM_SIGNED]],
                         ensure_ascii=False, separators=(",", ":"))
    return hmac.new(auth_token.encode("utf-8"), message.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def stream_parameters(auth_token: str, call_sid: str, params: Mapping[str, str],
                      now: float | None = None) -> Dict[str, str]:
    """The <Parameter>s of a call's <Stream>: `params`, the time issued, and their token."""
    signed = {name: str(params.get(name, "")) for name in STREAM_SIGNED}
    signed["issued"] = str(int(time.time() if now is None else now))
    return {**signed, "token": stream_token(auth_token, call_sid, signed)}


def stream_token_valid(auth_token: str, call_sid: str, params: Mapping[str, Any],
                       now: float | None = None) -> bool:
    """Whether a stream's `start` (its CallSid and customParameters) carries the token we
    handed Twilio for that very call and those very parameters, issued recently."""
    if not auth_token or not isinstance(params, Mapping):
        return False
    token = params.get("token")
    if not isinstance(token, str) or not all(isinstance(params.get(name), str)
                                             for name in STREAM_SIGNED):
        return False
    expected = stream_token(auth_token, call_sid, params)
    if not hmac.compare_digest(token.encode("utf-8"), expected.encode("utf-8")):
        return False
    issued = params["issued"]
    now = time.time() if now is None else now
    return issued.isdecimal() and -60 <= now - int(issued) <= STREAM_TOKEN_TTL_S


def short_sid(sid: str | None) -> str:
    """A Twilio SID as logs show it: its last 6 characters (enough to follow one call)."""
    sid = str(sid or "")
    return "…" + sid[-6:] if len(sid) > 6 else sid


def health(settings: Any) -> Any:
    """The Twilio channels' health check: ok only when an account is configured; without one
    their webhooks answer 503, and so does this (the README's setup check)."""
    from sanic import response

    if settings.twilio_auth_token and settings.twilio_account_sid:
        return response.json({"status": "ok"})
    return response.json({"status": "not_configured",
                          "message": "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."}, status=503)
