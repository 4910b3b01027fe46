"""The web chat's server-issued sessions: a conversation id the server chose, bound to a token.

`POST /webhooks/webchat/session` hands the page a fresh sender id ("web-" + 32 hex from
`secrets`) and its token: HMAC-SHA256 over the id under CLAIMS_WEBCHAT_SESSION_KEY, base64url
without padding. Every web chat route that names a sender wants the token in the X-Chat-Session
header (never in a URL, so never in an access log) and refuses the request without it; an id
learnt from the audit log or the agents' console is therefore of no use on its own.

Nothing is stored: any replica that shares the key checks a token by recomputing it. The key is
CLAIMS_WEBCHAT_SESSION_KEY; a demo or development install makes one once into
<var>/webchat_session.key (0600), and a production start refuses to run without it
(bot/deployment.py). Changing the key ends every web chat session: pages get a new conversation.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Mapping, Tuple

from bot.privacy import configured_secret

SESSION_KEY_ENV = "CLAIMS_WEBCHAT_SESSION_KEY"
SESSION_KEY_FILE = "webchat_session.key"
SESSION_HEADER = "X-Chat-Session"
SENDER_PREFIX = "web-"
# What is signed besides the id: a token for something else under the same key is no token here.
_PURPOSE = b"claims webchat session v1\x00"


def session_key(env: Mapping[str, str] | None = None, var_dir: Path | None = None) -> bytes:
    """The key of web chat session tokens (see the module's docstring)."""
    return configured_secret(SESSION_KEY_ENV, SESSION_KEY_FILE, env=env, var_dir=var_dir)


def session_token(sender: str, key: bytes | None = None) -> str:
    """The token of conversation `sender`: base64url (no padding) of HMAC-SHA256."""
    digest = hmac.new(session_key() if key is None else key,
                      _PURPOSE + sender.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_session(key: bytes | None = None) -> Tuple[str, str]:
    """A fresh conversation id the server chose, and its token."""
    sender = SENDER_PREFIX + secrets.token_hex(16)
    return sender, session_token(sender, key)


def session_valid(sender: str, token: object, key: bytes | None = None) -> bool:
    """Whether `token` is the token of `sender` (compared in constant time)."""
    if not isinstance(sender, str) or not isinstance(token, str) or not token:
        return False
    try:
        given = token.encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(given, session_token(sender, key).encode("ascii"))
