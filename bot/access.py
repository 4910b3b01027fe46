"""Who may see what: a conversation sees a policy or claim only when it belongs to the customer
its identity check verified (slot `customer_id`), and only while that check is fresh.

The verified customer is set by the identity check alone (actions/identity.py). A policy or
claim number typed later never changes whose data is shown: it is looked up among that
customer's own policies and claims, and anything else (another person's, or one that does not
exist) is refused the same way, with the attempt audited. The verified state ends after
`verified_idle_minutes` (CLAIMS_VERIFIED_IDLE_MINUTES, 15 by default) without a customer message,
measured on the timestamps of the conversation's own events, and when the customer logs out.

Events may be Rasa's event dicts (the action server) or its Event objects (the channels): this
module reads both without importing Rasa.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, List, Mapping, Sequence

from bot.claims.focus import claim_in_focus
from bot.clock import as_utc_naive
from bot.parsing import parse_claim_number, parse_policy_number
from bot.settings import get_settings
from bot.store.db import unit_of_work
from bot.store.repositories import canonical_number

# Slots that hold who the customer is or what of theirs is in view: cleared when the verified
# state ends (idle time, log-out), so the next person at the keyboard inherits nothing.
IDENTITY_SLOTS = ("verified", "customer_id", "customer_name", "policy_number", "claim_number",
                  "verification_answer", "last_claim_number", "elderly", "report_kept")

REFUSED = "access.refused"


@dataclass(frozen=True)
class Viewer:
    """Who is looking. `customer_id` is set only while the identity check is valid; `expired`
    says a check was passed but has run out (idle time). `policy_number` and `claim_number` are
    what the conversation names now, unchecked."""

    conversation_id: str
    customer_id: int | None = None
    expired: bool = False
    policy_number: str | None = None
    claim_number: str | None = None
    # When the identity check that verified this conversation began (naive UTC; None: the
    # events carry no times): a one-time code counts for medical details only from then on.
    verified_since: datetime | None = None
    # The claim the conversation is about now (bot.claims.focus), unchecked like claim_number.
    focus: str | None = None

    @property
    def verified(self) -> bool:
        return self.customer_id is not None

    @property
    def actor(self) -> str:
        return f"conversation:{self.conversation_id}"


# --- the events of a conversation -----------------------------------------------------------------

def _field(event: Any, key: str) -> Any:
    if isinstance(event, Mapping):
        return event.get(key)
    return getattr(event, key, None)


def _kind(event: Any) -> str | None:
    return _field(event, "event") if isinstance(event, Mapping) else getattr(event, "type_name",
                                                                              None)


def _slot_name(event: Any) -> str | None:
    return _field(event, "name") if isinstance(event, Mapping) else getattr(event, "key", None)


def _intent(event: Any) -> str:
    if isinstance(event, Mapping):
        return str(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")
    return str(getattr(event, "intent_name", None) or "")


def _is_customer_message(event: Any) -> bool:
    """A message the customer sent (not one the system injected, like EXTERNAL_handed_back)."""
    if _kind(event) != "user":
        return False
    text = str(_field(event, "text") or "")
    return not (_intent(event).startswith("EXTERNAL_") or text.startswith("EXTERNAL:"))


def _timestamp(event: Any) -> float | None:
    value = _field(event, "timestamp")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _epoch(moment: datetime) -> float:
    return as_utc_naive(moment).replace(tzinfo=timezone.utc).timestamp()


def activity_times(events: Iterable[Any]) -> List[float]:
    """When the verified state was last confirmed and every customer message since, in epoch
    seconds. Empty when the events carry no timestamps (nothing to measure)."""
    times: List[float] = []
    for event in events:
        stamp = _timestamp(event)
        if stamp is None:
            continue
        if _kind(event) == "slot" and _slot_name(event) == "verified":
            # A fresh check (or a reset) starts the count again.
            times = [stamp] if _field(event, "value") is True else []
        elif _is_customer_message(event):
            times.append(stamp)
    return times


def idle_expired(events: Sequence[Any], *, now: datetime | float | None = None,
                 idle: timedelta | None = None) -> bool:
    """Whether the verified state ran out: some pause between the check, the customer's
    messages since and `now` was longer than the idle time. `now` defaults to the latest
    customer message (an action answers that message)."""
    if idle is None:
        idle = timedelta(minutes=get_settings().verified_idle_minutes)
    times = activity_times(events)
    if not times:
        return False
    if now is None:
        end = max(times)
    else:
        end = float(now) if isinstance(now, (int, float)) else _epoch(now)
    times = sorted(times) + [end]
    limit = idle.total_seconds()
    return any(later - earlier > limit for earlier, later in zip(times, times[1:], strict=False))


def verification_start(events: Iterable[Any]) -> datetime | None:
    """When the current verified state's identity check began: the last time before the latest
    `verified=True` that the state was reset (log-out, idle time, a new session), as naive UTC;
    None when the events carry no times (then every code of this conversation counts)."""
    start: float | None = None
    seen_any = False
    for event in events:
        stamp = _timestamp(event)
        if stamp is None:
            continue
        seen_any = True
        kind = _kind(event)
        if kind in ("session_started", "restart") or (
                kind == "slot" and _slot_name(event) == "verified"
                and _field(event, "value") is not True):
            start = stamp
    if not seen_any:
        return None
    return datetime.fromtimestamp(start or 0.0, tz=timezone.utc).replace(tzinfo=None)


def viewer_of(conversation_id: str, slots: Mapping[str, Any], events: Sequence[Any], *,
              now: datetime | float | None = None, idle: timedelta | None = None) -> Viewer:
    """The viewer a conversation is, from its slots and events."""
    named_policy = parse_policy_number(str(slots.get("policy_number") or "")) or None
    named_claim = parse_claim_number(str(slots.get("claim_number") or "")) or None
    customer_id = slots.get("customer_id")
    verified = slots.get("verified") is True and customer_id not in (None, "")
    if not verified:
        return Viewer(conversation_id, None, False, named_policy, named_claim)
    try:
        customer = int(customer_id)
    except (TypeError, ValueError):
        return Viewer(conversation_id, None, False, named_policy, named_claim)
    if idle_expired(events, now=now, idle=idle):
        return Viewer(conversation_id, None, True, named_policy, named_claim)
    return Viewer(conversation_id, customer, False, named_policy, named_claim,
                  verification_start(events), claim_in_focus(events))


# --- what a viewer may see ------------------------------------------------------------------------

@dataclass(frozen=True)
class PolicyAccess:
    """The policy to show for a viewer: `policy_number` is the customer's own (the one named
    when it is theirs, else their first); `refused` is a number named that is not theirs or does
    not exist, to be answered exactly as a non-existent one."""

    policy_number: str | None
    refused: str | None = None


def _audit_refused(actor: str, subject_type: str, number: str, customer_id: int | None,
                   reason: str, url: str | None) -> None:
    with unit_of_work(url) as uow:
        uow.audit.record(actor, REFUSED, subject_type, number,
                         {"customer_id": customer_id, "reason": reason})
        uow.commit()


def policy_for(viewer: Viewer, number: str | None = None, *,
               url: str | None = None) -> PolicyAccess:
    """The policy the viewer may see, given the number named (default: the one in view)."""
    if not viewer.verified:
        return PolicyAccess(None)
    named = number if number is not None else viewer.policy_number
    named = (parse_policy_number(named) or canonical_number(named)) if named else None
    with unit_of_work(url) as uow:
        own = [policy.number for policy in uow.policies.of_customer(viewer.customer_id)]
        exists = named is not None and uow.policies.by_number(named) is not None
    if named is None or named in own:
        return PolicyAccess(named or (own[0] if own else None))
    _audit_refused(viewer.actor, "policy", named, viewer.customer_id,
                   "not_the_customers" if exists else "unknown", url)
    return PolicyAccess(own[0] if own else None, refused=named)


def claim_for(viewer: Viewer, number: str | None, *, url: str | None = None) -> str | None:
    """The claim number when the claim is the verified customer's own, else None (audited)."""
    if not viewer.verified or not number:
        return None
    wanted = parse_claim_number(number) or canonical_number(number)
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(wanted)
        if claim is not None and claim.policy.customer_id == viewer.customer_id:
            return claim.number
    _audit_refused(viewer.actor, "claim", wanted, viewer.customer_id,
                   "unknown" if claim is None else "not_the_customers", url)
    return None


# --- medical details: the one-time code on top of the identity check -----------------------------

def needs_step_up(viewer: Viewer, policy_number: str | None, *, url: str | None = None) -> bool:
    """Whether showing this policy's details (or its claims') to this viewer still needs the
    one-time code: a medical line, and no code verified in this conversation since its
    identity check began. Whatever policy the customer logged in with."""
    from bot import identity

    if not policy_number or not identity.needs_code(policy_number, url=url):
        return False
    since = viewer.verified_since or datetime(1970, 1, 1)
    return not identity.code_verified(viewer.conversation_id, policy_number, since=since,
                                      url=url)


def hidden_policies(viewer: Viewer, *, url: str | None = None) -> frozenset:
    """The verified customer's policies whose details need the code before they are shown."""
    if not viewer.verified:
        return frozenset()
    with unit_of_work(url) as uow:
        own = [policy.number for policy in uow.policies.of_customer(viewer.customer_id)]
    return frozenset(number for number in own if needs_step_up(viewer, number, url=url))


def claim_policy_number(claim_number: str, *, url: str | None = None) -> str | None:
    """The policy a claim belongs to (for the one-time-code check), or None."""
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(parse_claim_number(claim_number) or claim_number)
        return claim.policy.number if claim is not None else None


def may_see_policy(viewer: Viewer, number: str, *, url: str | None = None) -> bool:
    """Whether this conversation may see this policy (audited when not)."""
    access = policy_for(viewer, number, url=url)
    return access.refused is None and access.policy_number is not None


def may_see_claim(viewer: Viewer, number: str, *, url: str | None = None) -> bool:
    """Whether this conversation may see this claim (audited when not)."""
    return claim_for(viewer, number, url=url) is not None


def upload_target_for(conversation_id: str, viewer: Viewer | None, *, url: str | None = None):
    """The claim an upload from this conversation goes to (bot.documents.intake.UploadTarget),
    or None. `viewer` is None only where the conversation has no record at all (nothing was ever
    verified in it): then only a claim reported in this very conversation. Otherwise the
    conversation must be verified now, and the claim is the verified customer's claim the
    documents answer is about (bot.claims.status.claim_for_documents): the one in focus, which
    may need nothing more (`takes_documents` False), else the newest one waiting."""
    from bot.claims.lifecycle import claims_of_policy_holder
    from bot.claims.status import claim_for_documents
    from bot.documents.intake import upload_target, upload_target_of

    if viewer is None:
        return upload_target(conversation_id, url=url)
    if not viewer.verified:
        return None
    policy = policy_for(viewer, url=url).policy_number
    if not policy:
        return None
    # The claim "还缺什么材料？" is about (the claim in focus, else the newest waiting), so the
    # list shown and the upload go where the answer said.
    view = claim_for_documents(claims_of_policy_holder(policy, actor=viewer.actor, url=url),
                               viewer.focus)
    # A medical claim takes no upload (nor shows its missing documents) before the code.
    if view is None or view.policy_number in hidden_policies(viewer, url=url):
        return None
    return upload_target_of(view.number, url=url)


def slots_for_access(tracker: Any) -> dict:
    """The slots viewer_of reads, from any tracker that has get_slot (Rasa's or rasa_sdk's)."""
    return {name: tracker.get_slot(name)
            for name in ("verified", "customer_id", "policy_number", "claim_number")}
