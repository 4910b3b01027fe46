"""Identity check before any policy or claim detail: policy number plus date of birth or the
last four digits of the phone, with a lock after repeated failures."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from bot.clock import age_on, as_utc_naive, local_today
from bot.parsing import parse_date_of_birth, parse_phone_last4, parse_policy_number
from bot.settings import get_settings
from bot.store.db import unit_of_work
from bot.store.models import IdentityLock
from bot.store.repositories import canonical_number

ELDERLY_AGE = 60


class VerificationOutcome(str, Enum):
    VERIFIED = "verified"
    UNKNOWN_POLICY = "unknown_policy"
    MISMATCH = "mismatch"
    LOCKED = "locked"
    UNREADABLE = "unreadable"  # the answer is neither a date nor four digits

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Verification:
    """The result of one attempt. Customer fields are filled only when VERIFIED.

    `attempts_left` counts wrong answers still allowed before the lock (None when the policy is
    unknown); `locked_until` is naive UTC. The wrong answer that reaches the limit (settings:
    3) already returns LOCKED.
    """

    outcome: VerificationOutcome
    policy_number: str | None
    customer_id: int | None = None
    customer_name: str | None = None
    preferred_language: str | None = None
    is_elderly: bool = False
    attempts_left: int | None = None
    locked_until: datetime | None = None

    @property
    def verified(self) -> bool:
        return self.outcome is VerificationOutcome.VERIFIED


def _canonical(policy_number_text: str) -> str | None:
    return parse_policy_number(policy_number_text) or (
        canonical_number(policy_number_text) if policy_number_text.strip() else None
    )


def _active_lock_until(lock: IdentityLock | None, now: datetime) -> datetime | None:
    if lock is None or lock.locked_until is None or lock.locked_until <= now:
        return None
    return lock.locked_until


def policy_exists(number: str, *, url: str | None = None) -> bool:
    """Whether a policy with this number (any spelling parse_policy_number accepts) exists."""
    canonical = _canonical(number)
    if canonical is None:
        return False
    with unit_of_work(url) as uow:
        return uow.policies.by_number(canonical) is not None


def policy_line(number: str, *, url: str | None = None) -> str | None:
    """The line of business of a policy (motor, medical, ...), or None when there is none."""
    canonical = _canonical(number)
    if canonical is None:
        return None
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number(canonical)
        return policy.line_of_business if policy is not None else None


def lock_state(
    policy_number: str, now: datetime | None = None, *, url: str | None = None
) -> datetime | None:
    """When the policy's lock ends (naive UTC), or None if it is not locked at `now`.
    A lock that has run out reads as no lock."""
    canonical = _canonical(policy_number)
    if canonical is None:
        return None
    with unit_of_work(url) as uow:
        return _active_lock_until(uow.identity_locks.by_policy_number(canonical), as_utc_naive(now))


def verify(
    policy_number_text: str,
    answer_text: str,
    *,
    conversation_id: str,
    now: datetime | None = None,
    url: str | None = None,
) -> Verification:
    """Check `answer_text` (date of birth or last four phone digits) against the holder of the
    policy. Every attempt is audited with the policy number and outcome, never the answer."""
    settings = get_settings()
    now = as_utc_naive(now)
    actor = f"conversation:{conversation_id}"
    policy_number = parse_policy_number(policy_number_text)

    with unit_of_work(url) as uow:

        def finish(result: Verification, **detail: object) -> Verification:
            uow.audit.record(
                actor,
                "identity.verify",
                "policy",
                result.policy_number,
                {"outcome": result.outcome.value, **detail},
                at=now,
            )
            uow.commit()
            return result

        policy = uow.policies.by_number(policy_number) if policy_number else None
        if policy is None:
            return finish(Verification(VerificationOutcome.UNKNOWN_POLICY, policy_number))

        lock = uow.identity_locks.for_update(policy.number)
        locked_until = _active_lock_until(lock, now)
        if locked_until is not None:
            return finish(
                Verification(
                    VerificationOutcome.LOCKED, policy.number, attempts_left=0,
                    locked_until=locked_until,
                ),
                reason="locked",
            )
        if lock.locked_until is not None:  # it ran out: a fresh round of attempts
            lock.failures, lock.locked_until = 0, None

        customer = policy.customer
        today = local_today(now)
        born = parse_date_of_birth(answer_text, today=today)
        last4 = None if born else parse_phone_last4(answer_text)
        if born is None and last4 is None:
            # Not a wrong answer, just not an answer: it does not count against the customer.
            return finish(
                Verification(
                    VerificationOutcome.UNREADABLE, policy.number,
                    attempts_left=settings.identity_max_failures - lock.failures,
                )
            )

        method = "date_of_birth" if born else "phone_last4"
        if born == customer.date_of_birth or (last4 is not None and last4 == customer.phone_last4):
            lock.failures, lock.locked_until = 0, None
            return finish(
                Verification(
                    VerificationOutcome.VERIFIED,
                    policy.number,
                    customer_id=customer.id,
                    customer_name=customer.name,
                    preferred_language=customer.preferred_language,
                    is_elderly=age_on(customer.date_of_birth, today) >= ELDERLY_AGE,
                    attempts_left=settings.identity_max_failures,
                ),
                method=method,
            )

        lock.failures += 1
        attempts_left = max(settings.identity_max_failures - lock.failures, 0)
        if attempts_left == 0:
            lock.locked_until = now + timedelta(minutes=settings.identity_lock_minutes)
            return finish(
                Verification(
                    VerificationOutcome.LOCKED, policy.number, attempts_left=0,
                    locked_until=lock.locked_until,
                ),
                method=method,
                reason="too_many_failures",
            )
        return finish(
            Verification(VerificationOutcome.MISMATCH, policy.number, attempts_left=attempts_left),
            method=method,
        )
