"""Identity check before any policy or claim detail: policy number plus date of birth or the
last four digits of the phone, then for medical policies (or a locked policy) a one-time code
sent by SMS to the phone on file.

Built so that nobody can turn it against the customer or use it to learn about policies:

- Wrong answers are counted per conversation (the channel's sender id) and per client address
  where the channel knows it. Reaching the limit pauses the check there only, never for the
  policy holder elsewhere.
- A policy number locks only after many wrong answers from all conversations within a window,
  each lock longer than the last; even then the one-time code verifies the holder.
- An unknown policy number is treated like a real one with a wrong answer: the same question,
  the same mismatch, the same counting and locking (counters are kept per typed number), so
  the replies never say whether a policy exists.
- Beyond a global number of wrong answers per minute everyone is told to come back in a
  minute; right answers never fill it. One client address may have only so many answers
  checked (right or wrong) per window; beyond it that address waits, nobody else.
- A right answer resets the conversation's count of wrong answers, never the address's: wrong
  answers from one address cannot be laundered by a right one now and then.

Every attempt is audited with the policy number and outcome, never the answer or the code; of a
code only a salted HMAC is stored, with its expiry and tries.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Callable

from bot.clock import age_on, as_utc_naive, local_today
from bot.parsing import (
    normalise_digits,
    parse_date_of_birth,
    parse_phone_last4,
    parse_policy_number,
    read_date_of_birth,
    without_reference_numbers,
)
from bot.privacy import mask_phone
from bot.replies import say
from bot.settings import Settings, get_settings
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import IdentityCode, IdentityCounter, IdentityLock
from bot.store.repositories import canonical_number

logger = logging.getLogger(__name__)

ELDERLY_AGE = 60
# Lines whose details (diagnoses, hospital stays) need the one-time code on top of the answer.
STEP_UP_LINES = frozenset({"medical"})
CODE_DIGITS = 6
# Counters, policy lock history and spent codes are forgotten this long after they last mattered.
KEEP_FOR = timedelta(hours=24)
AUDIT_ACTION = "identity.verify"
BUSY_ACTION = "identity.busy"
# One row per wrong answer (not unreadable, not paused, not right): the global limit's count.
WRONG_ACTION = "identity.wrong_answer"
# The hash of a code that was never sent (a wrong answer while locked): no code matches it.
DECOY_HASH = "decoy"
CONVERSATION, ADDRESS = "conversation", "address"
# Answers checked from one client address in the current window (right ones included).
ADDRESS_CHECKS = "address_checks"

# (phone number as stored, message text): sends one SMS; raises when it could not.
SmsSender = Callable[[str, str], None]


class VerificationOutcome(str, Enum):
    VERIFIED = "verified"
    UNKNOWN_POLICY = "unknown_policy"  # only when no policy number could be read at all
    MISMATCH = "mismatch"  # wrong answer, or a policy number that does not exist
    PAUSED = "paused"  # this conversation or client address made too many wrong answers
    UNREADABLE = "unreadable"  # the answer is neither a date nor four digits
    DATE_ORDER = "date_order"  # 07/01/1990: both day/month readings are dates; asked, not counted
    CODE_SENT = "code_sent"  # a one-time code is needed (medical line, or the policy is locked)
    CODE_MISMATCH = "code_mismatch"
    CODE_FAILED = "code_failed"  # too many wrong codes: the code is spent
    CODE_EXPIRED = "code_expired"
    CODE_UNREADABLE = "code_unreadable"
    CODE_UNAVAILABLE = "code_unavailable"  # no SMS sending configured, or too many codes sent
    BUSY = "busy"  # the global limit on attempts per minute is reached

    def __str__(self) -> str:
        return self.value


# Outcomes after which the identity form should stop (the customer starts again later).
STOP_OUTCOMES = frozenset({
    VerificationOutcome.PAUSED, VerificationOutcome.CODE_FAILED, VerificationOutcome.CODE_EXPIRED,
    VerificationOutcome.CODE_UNAVAILABLE, VerificationOutcome.BUSY,
})


@dataclass(frozen=True)
class Verification:
    """The result of one attempt. Customer fields are filled only when VERIFIED.

    `attempts_left` counts wrong answers (or, after CODE_MISMATCH, wrong codes) still allowed in
    this conversation; `locked_until` (naive UTC) is when a PAUSED conversation may try again.
    `reason` says why a code is needed: "medical" or "locked".
    """

    outcome: VerificationOutcome
    policy_number: str | None
    customer_id: int | None = None
    customer_name: str | None = None
    preferred_language: str | None = None
    is_elderly: bool = False
    attempts_left: int | None = None
    locked_until: datetime | None = None
    reason: str | None = None
    alternatives: tuple[date, ...] = ()  # DATE_ORDER: the two readings to ask between
    # PAUSED: what is paused, this conversation or every check from its client address (the
    # customer is told which: "this conversation" is not true of an address-wide pause).
    paused_scope: str | None = None

    @property
    def verified(self) -> bool:
        return self.outcome is VerificationOutcome.VERIFIED

    @property
    def stops(self) -> bool:
        return self.outcome in STOP_OUTCOMES


def _canonical(policy_number_text: str) -> str | None:
    return parse_policy_number(policy_number_text) or (
        canonical_number(policy_number_text) if policy_number_text.strip() else None
    )


def _active_until(locked_until: datetime | None, now: datetime) -> datetime | None:
    return locked_until if locked_until is not None and locked_until > now else None


def address_key(client_address: str) -> str:
    """A client address is counted under its hash: the counters never hold an address."""
    return hashlib.sha256(client_address.strip().lower().encode("utf-8")).hexdigest()


def _hash_code(code: str, salt: str) -> str:
    return hmac.new(salt.encode("ascii"), code.encode("ascii"), hashlib.sha256).hexdigest()


def _read_code(text: str) -> str | None:
    """The one-time code in the message: exactly one group of six digits, alone or in a
    sentence ("验证码是 605117", "code: 297 891"); spaces or dashes inside it are allowed."""
    text = re.sub(r"(?<=\d)[\s\-‐‑–—]+(?=\d)", "", normalise_digits(text or ""))
    groups = re.findall(r"\d+", text)
    if len(groups) == 1 and len(groups[0]) == CODE_DIGITS:
        return groups[0]
    return None


def read_code(text: str) -> str | None:
    """The one-time code in a message, as the check reads it (None: no code in it)."""
    return _read_code(text)


def policy_exists(number: str, *, url: str | None = None) -> bool:
    """Whether a policy with this number (any spelling parse_policy_number accepts) exists.
    For the back office and tests: replies to customers must never depend on it."""
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


def needs_code(number: str, *, url: str | None = None) -> bool:
    """Whether showing this policy's details needs the one-time code (medical lines)."""
    return policy_line(number, url=url) in STEP_UP_LINES


def code_verified(
    conversation_id: str, policy_number: str, *, since: datetime,
    url: str | None = None,
) -> bool:
    """Whether this conversation verified a one-time code for the policy at or after `since`
    (for the access check: a customer switching to their medical policy needs the code too)."""
    canonical = _canonical(policy_number)
    if canonical is None:
        return False
    with unit_of_work(url) as uow:
        return uow.identity_codes.verified_since(conversation_id, canonical, as_utc_naive(since))


def lock_state(
    policy_number: str, now: datetime | None = None, *, url: str | None = None
) -> datetime | None:
    """When the policy number's lock ends (naive UTC), or None if it is not locked at `now`.
    A lock that has run out reads as no lock."""
    canonical = _canonical(policy_number)
    if canonical is None:
        return None
    with unit_of_work(url) as uow:
        lock = uow.identity_locks.by_policy_number(canonical)
        return _active_until(lock.locked_until if lock else None, as_utc_naive(now))


def paused_until(
    conversation_id: str, client_address: str | None = None, now: datetime | None = None, *,
    url: str | None = None,
) -> datetime | None:
    """When this conversation (or its client address) may try again, or None if it may now."""
    now = as_utc_naive(now)
    with unit_of_work(url) as uow:
        return _paused_until(uow, conversation_id, client_address, now)


def _paused_until(
    uow: UnitOfWork, conversation_id: str, client_address: str | None, now: datetime
) -> datetime | None:
    found = _pause(uow, conversation_id, client_address, now)
    return found[0] if found else None


def _pause(
    uow: UnitOfWork, conversation_id: str, client_address: str | None, now: datetime
) -> tuple[datetime, str] | None:
    """The latest pause end over this conversation and its client address, with its scope
    (CONVERSATION or ADDRESS)."""
    keys = [(CONVERSATION, conversation_id)]
    if client_address:
        keys.append((ADDRESS, address_key(client_address)))
    ends = []
    for scope, key in keys:
        counter = uow.identity_counters.get_key(scope, key)
        end = _active_until(counter.locked_until, now) if counter is not None else None
        if end is not None:
            ends.append((end, scope))
    return max(ends) if ends else None


def pause_of(
    conversation_id: str, client_address: str | None = None, now: datetime | None = None, *,
    url: str | None = None,
) -> tuple[datetime, str] | None:
    """paused_until() with what is paused: (end, "conversation" or "address"), or None."""
    now = as_utc_naive(now)
    with unit_of_work(url) as uow:
        return _pause(uow, conversation_id, client_address, now)


def purge(now: datetime | None = None, *, url: str | None = None) -> int:
    """Forget counters, lock history and codes that stopped mattering KEEP_FOR ago; returns how
    many rows went. verify() runs it on every attempt; a retention job may run it too."""
    now = as_utc_naive(now)
    with unit_of_work(url) as uow:
        removed = _purge(uow, now)
        uow.commit()
        return removed


def _purge(uow: UnitOfWork, now: datetime) -> int:
    before = now - KEEP_FOR
    return (uow.identity_counters.purge(before) + uow.identity_codes.purge(before)
            + uow.identity_locks.purge(before))


# --- one attempt --------------------------------------------------------------------------------

@dataclass
class _Attempt:
    uow: UnitOfWork
    settings: Settings
    now: datetime
    conversation_id: str
    client_address: str | None
    # What the last pause fail() returned was for: CONVERSATION or ADDRESS.
    pause_scope: str | None = None

    def counters(self) -> list[tuple[IdentityCounter, int]]:
        """This conversation's counter and its client address's, each with its limit."""
        found = [(self.uow.identity_counters.for_update(CONVERSATION, self.conversation_id,
                                                        self.now),
                  self.settings.identity_max_failures)]
        if self.client_address and self.settings.identity_address_max_failures > 0:
            found.append((self.uow.identity_counters.for_update(
                ADDRESS, address_key(self.client_address), self.now),
                self.settings.identity_address_max_failures))
        window = timedelta(minutes=self.settings.identity_failure_window_minutes)
        for counter, _ in found:
            if counter.locked_until is not None and counter.locked_until <= self.now:
                counter.failures, counter.locked_until = 0, None  # a fresh round after a pause
            if counter.window_started_at + window <= self.now:
                counter.failures, counter.window_started_at = 0, self.now
        return found

    def count_wrong(self, number: str | None) -> None:
        """A wrong answer (or code) towards everyone's limit per minute."""
        self.uow.audit.record(f"conversation:{self.conversation_id}", WRONG_ACTION, "policy",
                              number, None, at=self.now)

    def address_rate_pause(self) -> datetime | None:
        """Count one checked answer from this client address; when the address already had its
        number of checks in this window, nothing is counted and the window's end is returned."""
        limit = self.settings.identity_address_checks
        if not self.client_address or limit <= 0:
            return None
        counter = self.uow.identity_counters.for_update(
            ADDRESS_CHECKS, address_key(self.client_address), self.now)
        window = timedelta(minutes=self.settings.identity_address_check_window_minutes)
        if counter.window_started_at + window <= self.now or counter.failures == 0:
            counter.failures, counter.window_started_at = 0, self.now
        if counter.failures >= limit:
            counter.locked_until = counter.window_started_at + window
            return counter.locked_until
        counter.failures += 1
        return None

    def attempts_left(self, counters: list[tuple[IdentityCounter, int]]) -> int:
        return max(min(limit - counter.failures for counter, limit in counters), 0)

    def fail(self, counters: list[tuple[IdentityCounter, int]]) -> datetime | None:
        """Count a wrong answer against the conversation and the address; when one reaches its
        limit it is paused, and the pause's end is returned."""
        paused = None
        for index, (counter, limit) in enumerate(counters):
            if counter.failures == 0:
                counter.window_started_at = self.now
            counter.failures += 1
            if counter.failures >= limit:
                counter.locked_until = self.now + timedelta(
                    minutes=self.settings.identity_lock_minutes)
                counter.failures = 0
                if paused is None or counter.locked_until >= paused:
                    # The first counter is the conversation's, the others its address's.
                    self.pause_scope = CONVERSATION if index == 0 else ADDRESS
                paused = max(paused or counter.locked_until, counter.locked_until)
        return paused

    def fail_policy(self, lock: IdentityLock) -> None:
        """Count a wrong answer against the policy number; at the limit it locks, each lock of
        a run longer than the one before."""
        settings = self.settings
        window = timedelta(minutes=settings.identity_failure_window_minutes)
        if lock.window_started_at is None or lock.window_started_at + window <= self.now:
            lock.failures, lock.window_started_at = 0, self.now
        lock.failures += 1
        if lock.failures >= settings.identity_policy_max_failures:
            durations = settings.identity_policy_lock_minutes
            minutes = durations[min(lock.lock_level, len(durations) - 1)]
            lock.locked_until = self.now + timedelta(minutes=minutes)
            lock.lock_level += 1
            lock.failures, lock.window_started_at = 0, None

    def policy_lock(self, number: str) -> IdentityLock:
        lock = self.uow.identity_locks.for_update(number)
        if lock.locked_until is not None and lock.locked_until + KEEP_FOR <= self.now:
            lock.lock_level = 0  # a day without a lock: the next one is the shortest again
        return lock


def verify(
    policy_number_text: str,
    answer_text: str,
    *,
    conversation_id: str,
    client_address: str | None = None,
    send_sms: SmsSender | None = None,
    language: str | None = None,
    now: datetime | None = None,
    url: str | None = None,
    settings: Settings | None = None,
) -> Verification:
    """Check `answer_text` against the holder of the policy: the date of birth or last four
    phone digits, or, once a one-time code was sent to this conversation, that code.

    `send_sms` sends the code to the phone on file (None: SMS is not configured, so no code can
    be sent); `language` is the SMS's language. Every attempt is audited with the policy number
    and outcome, never the answer or the code.
    """
    settings = settings or get_settings()
    now = as_utc_naive(now)
    actor = f"conversation:{conversation_id}"
    policy_number = parse_policy_number(policy_number_text)
    outgoing: list[tuple[str, str, int]] = []  # (phone, message, code id): sent after commit

    with unit_of_work(url) as uow:

        def finish(result: Verification, **detail: object) -> Verification:
            uow.audit.record(
                actor, AUDIT_ACTION, "policy", result.policy_number,
                {"outcome": result.outcome.value, **detail}, at=now,
            )
            _purge(uow, now)
            uow.commit()
            return result

        def busy() -> Verification | None:
            """Before an answer is checked: this client address's checks per window (right
            answers too: a PAUSED reply for that address alone), then everyone's wrong answers
            in the last minute (WRONG_ACTION; right answers, unreadable ones and paused
            conversations never count towards it). A refusal is audited."""
            address_pause = attempt.address_rate_pause()
            if address_pause is not None:
                return finish(Verification(VerificationOutcome.PAUSED, policy_number,
                                           attempts_left=0, locked_until=address_pause,
                                           paused_scope=ADDRESS),
                              reason="address_rate")
            recent = uow.audit.count_since(WRONG_ACTION, now - timedelta(minutes=1))
            if recent < settings.identity_attempts_per_minute:
                return None
            uow.audit.record(actor, BUSY_ACTION, "policy", policy_number,
                             {"outcome": VerificationOutcome.BUSY.value}, at=now)
            uow.commit()
            return Verification(VerificationOutcome.BUSY, policy_number)

        if policy_number is None:
            return finish(Verification(VerificationOutcome.UNKNOWN_POLICY, None))

        attempt = _Attempt(uow, settings, now, conversation_id, client_address)
        # The same locking order on every path (policy, conversation, address): no deadlocks.
        lock = attempt.policy_lock(policy_number)
        counters = attempt.counters()
        # This conversation's and this address's limits come before everyone's.
        paused = _pause(uow, conversation_id, client_address, now)
        if paused is not None:
            return finish(Verification(VerificationOutcome.PAUSED, policy_number,
                                       attempts_left=0, locked_until=paused[0],
                                       paused_scope=paused[1]))

        code = uow.identity_codes.latest_open(conversation_id, policy_number)
        if code is not None:
            if code.expires_at > now and _read_code(answer_text) is not None:
                refused = busy()
                if refused is not None:
                    return refused
            return _check_code(attempt, code, lock, counters, answer_text, finish)

        policy = uow.policies.by_number(policy_number)
        today = local_today(now)
        # The digits of a policy or claim number are never an answer (the demo's phones end
        # like their policy numbers); a date given beside the policy number still is one.
        reading = read_date_of_birth(without_reference_numbers(answer_text), today=today)
        born = reading.date
        if reading.ambiguous:
            # "07/01/1990": 7 January or 1 July? Asked back; no answer yet, so nothing counts.
            return finish(Verification(VerificationOutcome.DATE_ORDER, policy_number,
                                       attempts_left=attempt.attempts_left(counters),
                                       alternatives=reading.alternatives))
        last4 = None if born else parse_phone_last4(answer_text)
        if born is None and last4 is None:
            # Not a wrong answer, just not an answer: it does not count against anyone.
            return finish(Verification(VerificationOutcome.UNREADABLE, policy_number,
                                       attempts_left=attempt.attempts_left(counters)))
        method = "date_of_birth" if born else "phone_last4"
        refused = busy()
        if refused is not None:
            return refused

        customer = policy.customer if policy is not None else None
        right = customer is not None and (
            born == customer.date_of_birth
            or (last4 is not None and last4 == customer.phone_last4)
        )
        if _active_until(lock.locked_until, now) is not None:
            # Locked by many wrong answers: the answer is still checked, and only a right one
            # sends a code to the phone on file. A wrong one gets the same words (a code that
            # was never sent, which no code matches) and counts against this conversation and
            # address, never the holder: strangers cannot spend the holder's codes.
            if not right:
                attempt.count_wrong(policy_number)
                pause = attempt.fail(counters)
                if pause is not None:
                    return finish(Verification(VerificationOutcome.PAUSED, policy_number,
                                               attempts_left=0, locked_until=pause,
                                               paused_scope=attempt.pause_scope),
                                  method=method, reason="too_many_failures")
                return finish(_decoy_code(attempt, policy_number, "locked"),
                              method=method, reason="policy_locked")
            result = _send_code(attempt, policy_number, policy, "locked", send_sms, language,
                                outgoing)
            verification = finish(result, method=method, reason="policy_locked")
            _deliver(outgoing, send_sms, url=url, now=now)
            return verification

        if not right:
            attempt.count_wrong(policy_number)
            attempt.fail_policy(lock)
            pause = attempt.fail(counters)
            if pause is not None:
                return finish(Verification(VerificationOutcome.PAUSED, policy_number,
                                           attempts_left=0, locked_until=pause,
                                           paused_scope=attempt.pause_scope),
                              method=method, reason="too_many_failures")
            return finish(Verification(VerificationOutcome.MISMATCH, policy_number,
                                       attempts_left=attempt.attempts_left(counters)),
                          method=method)

        if policy.line_of_business in STEP_UP_LINES:
            result = _send_code(attempt, policy_number, policy, "medical", send_sms, language,
                                outgoing)
            verification = finish(result, method=method, reason="step_up")
            _deliver(outgoing, send_sms, url=url, now=now)
            return verification

        lock.failures, lock.window_started_at, lock.lock_level = 0, None, 0
        _reset_conversation(counters)
        return finish(_verified(policy, today, settings), method=method)


def _reset_conversation(counters: list) -> None:
    """A right answer: the conversation starts counting again; the client address does not
    (its counter is the second, when there is one)."""
    counters[0][0].failures = 0


def _verified(policy, today, settings: Settings) -> Verification:  # noqa: ANN001
    customer = policy.customer
    return Verification(
        VerificationOutcome.VERIFIED,
        policy.number,
        customer_id=customer.id,
        customer_name=customer.name,
        preferred_language=customer.preferred_language,
        is_elderly=age_on(customer.date_of_birth, today) >= ELDERLY_AGE,
        attempts_left=settings.identity_max_failures,
    )


def _send_code(
    attempt: _Attempt, number: str, policy, reason: str,  # noqa: ANN001
    send_sms: SmsSender | None, language: str | None, outgoing: list,
) -> Verification:
    """Keep a new code for this conversation (its HMAC only) and queue its SMS. A code row is
    kept for an unknown number too, so what follows reads exactly as for a real one."""
    settings, uow, now = attempt.settings, attempt.uow, attempt.now
    if send_sms is None:
        return Verification(VerificationOutcome.CODE_UNAVAILABLE, number, reason=reason)
    hour_ago = now - timedelta(hours=1)
    if uow.identity_codes.sent_since(number, hour_ago) >= settings.identity_codes_per_hour:
        # Only someone who gave the right answer learns this, with when a code can go again.
        oldest = uow.identity_codes.oldest_sent_since(number, hour_ago)
        return Verification(VerificationOutcome.CODE_UNAVAILABLE, number, reason=reason,
                            locked_until=(oldest + timedelta(hours=1)) if oldest else None)
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    row = uow.identity_codes.add(IdentityCode(
        conversation_id=attempt.conversation_id, policy_number=number,
        code_hash=_hash_code(code, salt), salt=salt, created_at=now,
        expires_at=now + timedelta(minutes=settings.identity_code_minutes), tries=0,
    ))
    uow.flush()
    phone = policy.customer.phone if policy is not None else ""
    if phone:
        message = say("identity_code_sms", language, code=code,
                      minutes=settings.identity_code_minutes)
        outgoing.append((phone, message, row.id))
    # The code itself goes nowhere but the SMS: not into the result, the audit or the log.
    del code
    return Verification(VerificationOutcome.CODE_SENT, number, reason=reason,
                        attempts_left=settings.identity_code_max_tries)


def _decoy_code(attempt: _Attempt, number: str, reason: str) -> Verification:
    """What a wrong answer to a locked policy gets: the reply of a sent code, and a code row
    that no code matches (so the next turns read as for a real code), with no SMS."""
    settings = attempt.settings
    attempt.uow.identity_codes.add(IdentityCode(
        conversation_id=attempt.conversation_id, policy_number=number,
        code_hash=DECOY_HASH, salt=secrets.token_hex(16), created_at=attempt.now,
        expires_at=attempt.now + timedelta(minutes=settings.identity_code_minutes), tries=0,
    ))
    return Verification(VerificationOutcome.CODE_SENT, number, reason=reason,
                        attempts_left=settings.identity_code_max_tries)


def _deliver(outgoing: list, send_sms: SmsSender | None, *, url: str | None,
             now: datetime) -> None:
    """Send queued codes after the commit; a code that could not go out is closed."""
    for phone, message, code_id in outgoing:
        try:
            if send_sms is None:
                raise RuntimeError("no SMS sender")
            send_sms(phone, message)
        except Exception as error:  # noqa: BLE001 - any failure means: no code arrived
            logger.warning("identity: the code SMS to %s could not be sent (%s)",
                           mask_phone(phone), type(error).__name__)
            with unit_of_work(url) as uow:
                row = uow.identity_codes.get(code_id)
                if row is not None and row.closed_at is None:
                    row.closed_at, row.outcome = now, "unsent"
                    uow.commit()


def _check_code(attempt: _Attempt, code: IdentityCode, lock: IdentityLock,
                counters: list, answer_text: str, finish) -> Verification:  # noqa: ANN001
    settings, uow, now = attempt.settings, attempt.uow, attempt.now
    number = code.policy_number
    if code.expires_at <= now:
        code.closed_at, code.outcome = now, "expired"
        return finish(Verification(VerificationOutcome.CODE_EXPIRED, number), method="sms_code")
    entered = _read_code(answer_text)
    if entered is None:
        return finish(Verification(VerificationOutcome.CODE_UNREADABLE, number,
                                   attempts_left=settings.identity_code_max_tries - code.tries),
                      method="sms_code")
    if hmac.compare_digest(_hash_code(entered, code.salt), code.code_hash):
        policy = uow.policies.by_number(number)
        if policy is not None:  # an unknown number's code was never sent: it cannot match
            code.closed_at, code.outcome = now, "verified"
            _reset_conversation(counters)
            if _active_until(lock.locked_until, now) is None:
                lock.failures, lock.window_started_at, lock.lock_level = 0, None, 0
            return finish(_verified(policy, local_today(now), settings), method="sms_code")
    code.tries += 1
    attempt.count_wrong(number)
    attempt.fail(counters)  # wrong codes count against the conversation as well
    tries_left = settings.identity_code_max_tries - code.tries
    if tries_left <= 0:
        code.closed_at, code.outcome = now, "failed"
        return finish(Verification(VerificationOutcome.CODE_FAILED, number), method="sms_code")
    return finish(Verification(VerificationOutcome.CODE_MISMATCH, number,
                               attempts_left=tries_left), method="sms_code")


def send_step_up_code(
    policy_number: str, *, conversation_id: str, customer_id: int,
    send_sms: SmsSender | None, language: str | None = None,
    now: datetime | None = None, url: str | None = None, settings: Settings | None = None,
) -> Verification:
    """For a verified customer about to see a medical policy's details: send the one-time code
    to the phone on file (the conversation then answers it through verify()). Only for the
    customer's own policy; the codes-per-hour limit applies. Audited like every attempt."""
    settings = settings or get_settings()
    now = as_utc_naive(now)
    number = parse_policy_number(policy_number)
    outgoing: list[tuple[str, str, int]] = []
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number(number) if number else None
        if policy is None or policy.customer_id != customer_id:
            return Verification(VerificationOutcome.UNKNOWN_POLICY, None)
        attempt = _Attempt(uow, settings, now, conversation_id, None)
        result = _send_code(attempt, policy.number, policy, "medical", send_sms, language,
                            outgoing)
        uow.audit.record(f"conversation:{conversation_id}", AUDIT_ACTION, "policy",
                         policy.number, {"outcome": result.outcome.value,
                                         "reason": "step_up_later"}, at=now)
        uow.commit()
    _deliver(outgoing, send_sms, url=url, now=now)
    return result


# --- a code that did not arrive ---------------------------------------------------------------
#
# "收不到短信", "还是没收到": the customer is never asked for the code over and over. The code is
# sent again (the codes-per-hour limit applies, so the reply can say when one can go again), and
# a holder whose answer was right may see what needs no code: a medical policy's code guards its
# medical details, not the holder's other claims. A decoy (a wrong answer to a locked policy) is
# "sent again" the same way, with no SMS: the replies never say whether the answer was right.

_CODE_MISSING = re.compile(
    r"(?:收|接)不到|没(?:有)?收到|没(?:有)?(?:短信|验证码)|(?:短信|验证码)[^，。,.]{0,4}(?:没|没有)"
    r"(?:来|到|收到|发过来)|还没(?:来|到)|没来|没到|重(?:新)?发|再发|"
    r"didn'?t (?:get|receive|come)|did not (?:get|receive|come)|haven'?t (?:got|received|had)"
    r"|not (?:received|arrived|come|getting)|no (?:sms|text|code|message)|never (?:came|arrived)"
    r"|resend|send (?:it |the code |another(?: one)? |a new one )?again|(?:sms|code|text)"
    r" (?:hasn'?t|has not|never|didn'?t) (?:come|arrived)",
    re.IGNORECASE,
)


def says_code_missing(text: str) -> bool:
    """Whether, asked for the one-time code, the customer says it has not arrived."""
    return bool(_CODE_MISSING.search(text or "")) and _read_code(text) is None


_OTHER_THAN_MEDICAL = re.compile(
    r"先(?:看|查|说|告诉)|别的|其他|其它|几笔|车险|车的|车子|家财|房子|意外|"
    r"\bother (?:claims?|polic)|\bjust (?:the|my)|\bonly (?:the|my)|\bcar\b|\bmotor\b|\bhome\b"
    r"|how many claims",
    re.IGNORECASE,
)


def wants_without_code(text: str) -> bool:
    """Whether, waiting for the code, the customer asks for what needs none ("先告诉我有几笔理
    赔", "我就想查车险的", "just the car one")."""
    from bot.request_words import request_in

    return bool(_OTHER_THAN_MEDICAL.search(text or "")) or request_in(text or "") == "check_status"


def code_pending(conversation_id: str, policy_number: str, now: datetime | None = None, *,
                 url: str | None = None) -> bool:
    """Whether this conversation is waiting for a one-time code for the policy (real or decoy:
    the answer is the same either way)."""
    canonical = _canonical(policy_number)
    if canonical is None:
        return False
    with unit_of_work(url) as uow:
        return uow.identity_codes.latest_open(conversation_id, canonical) is not None


def resend_code(
    policy_number: str, *, conversation_id: str, send_sms: SmsSender | None,
    language: str | None = None, now: datetime | None = None, url: str | None = None,
    settings: Settings | None = None,
) -> Verification:
    """"收不到短信": a new code for the conversation's pending one (which is closed once the new
    one is made). CODE_SENT (reason "medical" or "locked"), CODE_UNAVAILABLE with when a code
    can go again (the codes-per-hour limit) or without SMS, or CODE_EXPIRED when nothing is
    pending (the check starts again). Audited; nothing is counted against anyone."""
    settings = settings or get_settings()
    now = as_utc_naive(now)
    number = _canonical(policy_number)
    outgoing: list[tuple[str, str, int]] = []
    with unit_of_work(url) as uow:
        code = uow.identity_codes.latest_open(conversation_id, number) if number else None
        if code is None:
            return Verification(VerificationOutcome.CODE_EXPIRED, number)
        if code.expires_at <= now:
            code.closed_at, code.outcome = now, "expired"
            uow.commit()
            return Verification(VerificationOutcome.CODE_EXPIRED, number)
        attempt = _Attempt(uow, settings, now, conversation_id, None)
        lock = attempt.policy_lock(number)
        reason = "locked" if _active_until(lock.locked_until, now) is not None else "medical"
        if code.code_hash == DECOY_HASH:
            code.closed_at, code.outcome = now, "resent"
            result = _decoy_code(attempt, number, reason)
        else:
            result = _send_code(attempt, number, uow.policies.by_number(number), reason,
                                send_sms, language, outgoing)
            if result.outcome is VerificationOutcome.CODE_SENT:
                code.closed_at, code.outcome = now, "resent"
        uow.audit.record(f"conversation:{conversation_id}", AUDIT_ACTION, "policy", number,
                         {"outcome": result.outcome.value, "reason": "resend"}, at=now)
        uow.commit()
    _deliver(outgoing, send_sms, url=url, now=now)
    return result


def holder_without_code(
    policy_number: str, *, conversation_id: str, now: datetime | None = None,
    url: str | None = None, settings: Settings | None = None,
) -> Verification | None:
    """The holder of a medical policy who answered right and is waiting for the code, verified
    for what needs no code (their other lines' claims; medical details stay behind the code,
    bot/access.py). None where that cannot be told apart from a wrong answer: a decoy, a
    locked policy, no pending code. Audited."""
    settings = settings or get_settings()
    now = as_utc_naive(now)
    number = _canonical(policy_number)
    if number is None:
        return None
    with unit_of_work(url) as uow:
        code = uow.identity_codes.latest_open(conversation_id, number)
        policy = uow.policies.by_number(number)
        lock = uow.identity_locks.by_policy_number(number)
        # A real code on an unlocked medical policy is sent only after a right answer (a code
        # sent while locked expires long before the shortest lock ends).
        if code is None or code.code_hash == DECOY_HASH or code.expires_at <= now \
                or policy is None or policy.line_of_business not in STEP_UP_LINES \
                or _active_until(lock.locked_until if lock else None, now) is not None:
            return None
        uow.audit.record(f"conversation:{conversation_id}", AUDIT_ACTION, "policy", number,
                         {"outcome": VerificationOutcome.VERIFIED.value,
                          "method": "answer_without_code", "reason": "code_missing"}, at=now)
        result = _verified(policy, local_today(now), settings)
        uow.commit()
        return result


def masked_phone_on_file(policy_number: str, *, url: str | None = None) -> str:
    """The phone a policy's codes go to, masked ("138****0001"), for telling its verified
    holder where the code went."""
    canonical = _canonical(policy_number)
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number(canonical) if canonical else None
        return mask_phone(policy.customer.phone) if policy is not None else ""


# --- a way in without the policy number: the phone on file and the date of birth ----------------
#
# For a customer who does not have the policy number to hand ("保单号我不记得了 在抽屉里"). The
# pair is checked like any identity answer: a pair that matches nobody and a right phone with a
# wrong date get the same MISMATCH, counted against this conversation, its client address and
# everyone's wrong answers per minute, and against the phone number itself (a lock keyed by its
# hash, so many tries at one phone's date of birth lock that way in; the policy number still
# works). Medical details still need the one-time code once a policy is picked (bot/access.py).

PHONE_METHOD = "phone_date_of_birth"
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d(?:[\s-]?\d){8})(?!\d)")
_FORGOT_NUMBER = re.compile(
    r"(?:不记得|忘了|忘记|找不到|不知道|没带|记不住|记不清|想不起|不在身边|没有|查不到|看不到|"
    r"不会弄|不会查|不会找|不会填|不会输|弄不来|找不着)"
    r"[^，。,.!！?？]{0,8}(?:保单号|保单号码|单号|保单)"
    r"|(?:保单号|保单号码|保单)[^，。,.!！?？]{0,10}"
    r"(?:不记得|忘了|忘记|找不到|不知道|没带|记不住|记不清|想不起|不在身边|在抽屉|在家里)"
    r"|(?:don'?t|do not|can'?t|cannot|didn'?t|dont|cant)\s+(?:have|know|remember|find|recall|see)"
    r"\s+(?:my|the|a|our)?\s*policy\s*(?:number|no\b|#)"
    r"|(?:lost|forgot(?:ten)?|misplaced)\s+(?:my|the)\s+policy"
    r"|\bno policy (?:number|no\b)|policy number\W{0,3}\s*(?:i\s+)?(?:don'?t|do not|can'?t)"
    # "我没有保单号，可以用手机号吗", "I don't have the number with me", "can I use my phone
    # number instead?": the number is not to hand, or the phone is offered in its place.
    r"|(?:用|拿|报|发)(?:我的?|一下)?(?:手机号|手机|电话号码|电话)(?:码)?(?:可以|行|核实|验证|吗|代替)"
    r"|(?:手机号|手机号码|电话号码)(?:可以|行)(?:吗|不|么)"
    r"|(?:don'?t|do not|can'?t|cannot|didn'?t|dont|cant)\s+(?:have|know|remember|find|recall)"
    r"\s+(?:the|my|that|it|this)\s*(?:policy\s*)?(?:number|no\b|#)"
    r"|(?:use|give you|with|by|try)\s+(?:my\s+|a\s+)?(?:phone|mobile|cell)(?:\s*number)?"
    r"\s*(?:instead|\?|$)|(?:phone|mobile) number instead|without (?:the|a|my) (?:policy )?number"
    r"|(?:don'?t|do not|dont) (?:know|understand) (?:how|where) to (?:find|get|use|enter)"
    r"\s+(?:my|the|a|this)?\s*policy",
    re.IGNORECASE,
)
# "I don't have a policy, that's the point": someone asking before they buy. Checked first.
_NO_POLICY = re.compile(
    r"没有保单(?!号)|没买(?:过)?(?:保险|保单)?|还没(?:有)?买|不是(?:你们的?)?客户|没在你们(?:这)?买"
    r"|(?:don'?t|do not|dont)\s+have\s+(?:a|any)\s+polic(?:y|ies)(?!\s*(?:number|no\b))"
    r"|(?:haven'?t|have not|never)\s+(?:got|bought|had)\s+(?:a|any)?\s*(?:policy|insurance)"
    r"|not (?:a|your) customer|not insured with you|no policy(?!\s*(?:number|no\b))"
    r"|before (?:i|we) buy|thinking (?:of|about) buying",
    re.IGNORECASE,
)


def parse_mobile(text: str) -> str | None:
    """The mainland mobile number in `text` as its 11 digits ("138 0000 0001", "+86
    13800000001"), or None."""
    found = _MOBILE.search(normalise_digits(text or ""))
    return re.sub(r"\D", "", found.group(1)) if found else None


def _national(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def has_no_policy(text: str) -> bool:
    """Whether the customer says they hold no policy at all (a question before buying)."""
    return bool(_NO_POLICY.search(text or ""))


def wants_phone_route(text: str) -> bool:
    """Whether, asked for the policy number, the customer says they do not have it to hand
    or gives a phone number instead."""
    if has_no_policy(text):
        return False
    return bool(_FORGOT_NUMBER.search(text or "")) or (
        parse_policy_number(text or "") is None and parse_mobile(text) is not None)


@dataclass(frozen=True)
class PhoneVerification:
    """The result of one phone + date-of-birth attempt: `verification` as for a policy number
    (outcome VERIFIED, MISMATCH, UNREADABLE, PAUSED or BUSY), and when verified the customer's
    policies, (number, line of business) in number order, to pick from."""

    verification: Verification
    policies: tuple = ()

    @property
    def outcome(self) -> VerificationOutcome:
        return self.verification.outcome


def _phone_key(national: str) -> str:
    """The lock key of a phone number: a hash, never the number (the column holds 32)."""
    return "PHONE:" + hashlib.sha256(national.encode("ascii")).hexdigest()[:24]


def verify_by_phone(
    phone_text: str,
    answer_text: str,
    *,
    conversation_id: str,
    client_address: str | None = None,
    now: datetime | None = None,
    url: str | None = None,
    settings: Settings | None = None,
) -> PhoneVerification:
    """Check the phone number and date of birth against the customers on file. The reply to a
    pair that matches nobody is the reply to a wrong date for a real phone: MISMATCH with the
    same count. Audited without the phone or the date."""
    settings = settings or get_settings()
    now = as_utc_naive(now)
    actor = f"conversation:{conversation_id}"
    national = _national(parse_mobile(phone_text) or "")
    today = local_today(now)
    born = parse_date_of_birth(without_reference_numbers(answer_text or ""), today=today)

    with unit_of_work(url) as uow:

        def finish(result: Verification, customer_id: int | None = None,
                   policies: tuple = ()) -> PhoneVerification:
            uow.audit.record(actor, AUDIT_ACTION, "customer", customer_id,
                             {"outcome": result.outcome.value, "method": PHONE_METHOD}, at=now)
            _purge(uow, now)
            uow.commit()
            return PhoneVerification(result, policies)

        attempt = _Attempt(uow, settings, now, conversation_id, client_address)
        readable = born is not None and len(national) == 11
        # The same locking order as verify(): the phone's lock, then conversation and address.
        lock = attempt.policy_lock(_phone_key(national)) if readable else None
        counters = attempt.counters()
        paused = _pause(uow, conversation_id, client_address, now)
        if paused is not None:
            return finish(Verification(VerificationOutcome.PAUSED, None, attempts_left=0,
                                       locked_until=paused[0], paused_scope=paused[1]))
        if lock is None:
            # Not an answer: it does not count against anyone.
            return finish(Verification(VerificationOutcome.UNREADABLE, None,
                                       attempts_left=attempt.attempts_left(counters)))
        address_pause = attempt.address_rate_pause()
        if address_pause is not None:
            return finish(Verification(VerificationOutcome.PAUSED, None, attempts_left=0,
                                       locked_until=address_pause, paused_scope=ADDRESS))
        recent = uow.audit.count_since(WRONG_ACTION, now - timedelta(minutes=1))
        if recent >= settings.identity_attempts_per_minute:
            uow.audit.record(actor, BUSY_ACTION, "customer", None,
                             {"outcome": VerificationOutcome.BUSY.value}, at=now)
            uow.commit()
            return PhoneVerification(Verification(VerificationOutcome.BUSY, None))

        matches = [customer for customer in uow.customers.by_phone_last4(national[-4:])
                   if _national(customer.phone) == national and customer.date_of_birth == born]
        customer = matches[0] if len(matches) == 1 else None
        policies = uow.policies.of_customer(customer.id) if customer is not None else []
        locked = _active_until(lock.locked_until, now) is not None
        if customer is None or not policies or locked:
            # Nobody, a customer with no policy, or a phone locked by many wrong tries: all
            # the same wrong answer, counted the same way.
            attempt.count_wrong(None)
            if not locked:
                attempt.fail_policy(lock)
            pause = attempt.fail(counters)
            if pause is not None:
                return finish(Verification(VerificationOutcome.PAUSED, None, attempts_left=0,
                                           locked_until=pause,
                                           paused_scope=attempt.pause_scope))
            return finish(Verification(VerificationOutcome.MISMATCH, None,
                                       attempts_left=attempt.attempts_left(counters)))
        lock.failures, lock.window_started_at, lock.lock_level = 0, None, 0
        _reset_conversation(counters)
        first = policies[0]
        verified = _verified(first, today, settings)
        number = first.number if len(policies) == 1 else None
        return finish(
            Verification(verified.outcome, number, customer_id=verified.customer_id,
                         customer_name=verified.customer_name,
                         preferred_language=verified.preferred_language,
                         is_elderly=verified.is_elderly, attempts_left=verified.attempts_left),
            customer.id, tuple((policy.number, policy.line_of_business) for policy in policies))


def customer_policies(customer_id: int, *, url: str | None = None) -> list[tuple[str, str]]:
    """The customer's policies as (number, line of business), in number order: the list a
    customer verified by phone picks from."""
    with unit_of_work(url) as uow:
        return [(policy.number, policy.line_of_business)
                for policy in uow.policies.of_customer(customer_id)]


_PLACE_WORDS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "first": 1, "1st": 1,
                "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "fifth": 5}
_POLICY_LINE_WORDS = {
    "motor": r"车|\bcar\b|\bmotor\b|\bauto\b|\bvehicle\b",
    "medical": r"医疗|住院|\bmedical\b|\bhospital\b|\bhealth\b",
    "home": r"家财|房|家庭|\bhome\b|\bhouse\b",
    "accident": r"意外|\baccident\b",
    "critical_illness": r"重疾|大病|\bcritical\b",
    "life": r"寿险|\blife\b",
}


def pick_policy(text: str, policies: list[tuple[str, str]]) -> str | None:
    """The policy number of `policies` the customer's words pick: the number itself, its place
    ("第二个", "the second one", "2"), the end of its number ("尾号0001") or its line ("车险",
    "the car one"). None when nothing, or more than one, fits."""
    text = normalise_digits(text or "")
    named = parse_policy_number(text)
    if named:
        return named if named in [number for number, _ in policies] else None
    tail = re.search(r"(\d{2,4})\s*(?:那|的|$)", text.strip())
    if tail and len(text.strip()) <= 12:
        fits = [number for number, _ in policies if number.endswith(tail.group(1))]
        if len(fits) == 1:
            return fits[0]
    lowered = text.lower()
    place = None
    found = re.search(r"第\s*(\d|[一二两三四五])|^\s*(\d)\s*[.。]?\s*$", lowered)
    if found:
        word = found.group(1) or found.group(2)
        place = int(word) if word.isdigit() else _PLACE_WORDS[word]
    else:
        for word, number in _PLACE_WORDS.items():
            if not "\u4e00" <= word[0] <= "\u9fff" and re.search(rf"\b{word}\b", lowered):
                place = number
                break
    if place is not None:
        return policies[place - 1][0] if 1 <= place <= len(policies) else None
    for line, pattern in _POLICY_LINE_WORDS.items():
        if re.search(pattern, lowered):
            fits = [number for number, kind in policies if kind == line]
            return fits[0] if len(fits) == 1 else None
    return None
