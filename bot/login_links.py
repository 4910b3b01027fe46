"""One-time web chat login links: a customer who reported a claim by phone gets, in the SMS
receipt, a short link that opens the web chat already verified for that claim.

The token is 128 random bits (URL-safe), sent once and never stored: the store keeps its
SHA-256 only, so a copy of the database logs nobody in. It works once (a conditional UPDATE
marks it used; two pages racing, one wins) and only until it expires (`login_link_hours`).
It travels in the link's fragment (#k=...), which browsers never send to a server or proxy and
link previewers never open: only the page's own POST redeems it. Redeeming grants what the
identity check would (customer, policy, claim) for that one web chat conversation, for the
usual verified idle time; it is no long-lived credential.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import as_utc_naive
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import Claim, LoginLink

TOKEN_BYTES = 16
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what token_urlsafe makes
AUDIT_ISSUED = "login_link.issued"
AUDIT_USED = "login_link.used"
AUDIT_REFUSED = "login_link.refused"
WEBCHAT_PATH = "/webhooks/webchat/"


@dataclass(frozen=True)
class Login:
    """What a redeemed link grants one web chat conversation."""

    customer_id: int
    customer_name: str
    policy_number: str
    claim_number: str
    language: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_lifetime() -> timedelta:
    from bot.settings import get_settings

    return timedelta(hours=get_settings().login_link_hours)


def issue(uow: UnitOfWork, claim: Claim, *, now: datetime | None = None,
          lifetime: timedelta | None = None) -> str:
    """A new token for `claim`'s customer, in `uow`'s transaction (the caller commits); the
    token itself is returned once and kept nowhere."""
    at = as_utc_naive(now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    uow.login_links.add(LoginLink(token_hash=_hash(token), claim_id=claim.id,
                                  customer_id=claim.policy.customer_id, created_at=at,
                                  expires_at=at + (lifetime or link_lifetime())))
    uow.audit.record("login_links", AUDIT_ISSUED, "claim", claim.number, {}, at=at)
    return token


def link_url(token: str, public_url: str | None = None) -> str:
    """The short link: the web chat page with the token in the fragment."""
    if public_url is None:
        from bot.settings import get_settings

        public_url = get_settings().public_url
    return f"{public_url.rstrip('/')}{WEBCHAT_PATH}#k={token}"


def redeem(token: str, conversation_id: str, *, now: datetime | None = None,
           url: str | None = None) -> Login | None:
    """Spend the token for `conversation_id`: the login it grants, or None when the token is
    unknown, used or expired (all three answered alike, and audited)."""
    at = as_utc_naive(now)
    token = (token or "").strip()
    with unit_of_work(url) as uow:
        link = uow.login_links.by_hash(_hash(token)) if token else None
        won = link is not None and uow.login_links.spend(link.id, conversation_id, at)
        if not won:
            reason = ("unknown" if link is None else "used" if link.used_at is not None
                      else "expired")
            uow.audit.record(f"conversation:{conversation_id}", AUDIT_REFUSED, "conversation",
                             conversation_id[:64], {"reason": reason}, at=at)
            uow.commit()
            return None
        claim = link.claim
        policy = claim.policy
        customer = policy.customer
        login = Login(customer_id=customer.id, customer_name=customer.name,
                      policy_number=policy.number, claim_number=claim.number,
                      language=claim.language or customer.preferred_language or "zh")
        uow.audit.record(f"conversation:{conversation_id}", AUDIT_USED, "claim", claim.number,
                         {"customer_id": customer.id}, at=at)
        uow.commit()
        return login
