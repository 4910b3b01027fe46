"""Twilio webhook authentication: every request must carry a valid X-Twilio-Signature."""
from __future__ import annotations

import logging
from typing import Dict
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
