"""Repositories: every query the product makes, so no SQL lives outside bot/store."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Dict, Generic, Iterable, TypeVar

import sqlalchemy as sa
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import utc_now
from bot.store.models import (
    Agent,
    AgentSession,
    AuditEntry,
    ChannelContact,
    Claim,
    ClaimEvent,
    ClaimNumberCounter,
    Complaint,
    Customer,
    Dispute,
    Escalation,
    Handoff,
    IdempotencyKey,
    IdentityCode,
    IdentityCounter,
    IdentityLock,
    InboundReceipt,
    LoginFailure,
    LoginLink,
    Notification,
    Policy,
    ReceivedFile,
    SatisfactionScore,
    Task,
    WeChatToken,
)

ModelT = TypeVar("ModelT")


def canonical_number(number: str) -> str:
    """Policy and claim numbers are stored upper case without surrounding blanks."""
    return number.strip().upper()


def format_claim_number(year: int, serial: int) -> str:
    return f"CLM-{year:04d}-{serial:06d}"


def _lock_rows(session: Session, model: Any, *criteria: Any) -> None:
    """Take a write lock on the matching rows until commit, on every database.

    A no-op UPDATE locks the rows on PostgreSQL like SELECT ... FOR UPDATE does, and on SQLite
    (which has no FOR UPDATE) it takes the database write lock: either way a second transaction
    doing the same waits here and then reads what the first one committed.
    """
    first_column = next(iter(model.__table__.primary_key.columns)).name
    session.execute(
        update(model)
        .where(*criteria)
        .values({first_column: getattr(model, first_column)})
        .execution_options(synchronize_session=False)
    )


class _Repository(Generic[ModelT]):
    model: type[ModelT]

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item: ModelT) -> ModelT:
        self.session.add(item)
        return item

    def get(self, id_: int) -> ModelT | None:
        return self.session.get(self.model, id_)


class CustomerRepository(_Repository[Customer]):
    model = Customer

    def by_id(self, customer_id: int) -> Customer | None:
        return self.get(customer_id)

    def by_id_number_hash(self, id_number_hash: str) -> Customer | None:
        query = select(Customer).where(Customer.id_number_hash == id_number_hash)
        return self.session.execute(query).scalar_one_or_none()

    def count(self) -> int:
        return self.session.execute(select(func.count(Customer.id))).scalar_one()

    def by_phone_last4(self, last4: str) -> list[Customer]:
        """The customers whose phone on file ends in these four digits (the caller compares
        the whole number)."""
        query = select(Customer).where(Customer.phone_last4 == last4).order_by(Customer.id)
        return list(self.session.execute(query).scalars())


class PolicyRepository(_Repository[Policy]):
    model = Policy

    def by_number(self, number: str) -> Policy | None:
        query = select(Policy).where(Policy.number == canonical_number(number))
        return self.session.execute(query).scalar_one_or_none()

    def lock(self, number: str) -> None:
        """Hold the policy until commit: reports on one policy are checked and stored one after
        the other, so the same incident reported twice at once becomes one claim."""
        _lock_rows(self.session, Policy, Policy.number == canonical_number(number))

    def of_customer(self, customer_id: int) -> list[Policy]:
        query = select(Policy).where(Policy.customer_id == customer_id).order_by(Policy.number)
        return list(self.session.execute(query).scalars())


class ClaimRepository(_Repository[Claim]):
    model = Claim

    def by_number(self, number: str) -> Claim | None:
        query = select(Claim).where(Claim.number == canonical_number(number))
        return self.session.execute(query).scalar_one_or_none()

    def by_number_for_update(self, number: str) -> Claim | None:
        """The claim, locked until commit: concurrent stage changes run one after the other."""
        criterion = Claim.number == canonical_number(number)
        _lock_rows(self.session, Claim, criterion)
        query = (
            select(Claim)
            .where(criterion)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self.session.execute(query).scalar_one_or_none()

    def of_customer(self, customer_id: int) -> list[Claim]:
        """All claims on the customer's policies, newest report first."""
        query = (
            select(Claim)
            .join(Policy, Claim.policy_id == Policy.id)
            .where(Policy.customer_id == customer_id)
            .order_by(Claim.reported_at.desc(), Claim.id.desc())
        )
        return list(self.session.execute(query).scalars())

    def of_policy(self, policy_id: int) -> list[Claim]:
        query = (
            select(Claim)
            .where(Claim.policy_id == policy_id)
            .order_by(Claim.reported_at.desc(), Claim.id.desc())
        )
        return list(self.session.execute(query).scalars())

    def of_conversation(self, conversation_id: str) -> list[Claim]:
        """Claims reported in one conversation, newest report first."""
        query = (
            select(Claim)
            .where(Claim.conversation_id == conversation_id)
            .order_by(Claim.reported_at.desc(), Claim.id.desc())
        )
        return list(self.session.execute(query).scalars())

    def list(self, stage: str | None = None) -> list[Claim]:
        """Claims, newest report first, optionally only those in `stage`."""
        query = select(Claim).order_by(Claim.reported_at.desc(), Claim.id.desc())
        if stage is not None:
            query = query.where(Claim.stage == str(stage))
        return list(self.session.execute(query).scalars())

    def add_event(
        self,
        claim: Claim,
        *,
        from_stage: str | None,
        to_stage: str,
        actor: str,
        at: datetime | None = None,
        note: str | None = None,
    ) -> ClaimEvent:
        event = ClaimEvent(
            claim=claim,
            from_stage=from_stage,
            to_stage=to_stage,
            actor=actor,
            at=at or utc_now(),
            note=note,
        )
        self.session.add(event)
        return event

    def next_claim_number(self, year: int) -> str:
        """The next claim number of `year`, e.g. 'CLM-2026-000124', reserved in this transaction.

        The counter row is bumped with a single UPDATE before it is read: the UPDATE takes the
        row lock (PostgreSQL) or the database write lock (SQLite) until commit, so two
        transactions can never read the same value. A rollback gives the number back.
        """
        bump = (
            update(ClaimNumberCounter)
            .where(ClaimNumberCounter.year == year)
            .values(last=ClaimNumberCounter.last + 1)
            .execution_options(synchronize_session=False)
        )
        if self.session.execute(bump).rowcount == 0:
            try:
                # A savepoint, so losing the race to create the year's row keeps our transaction.
                with self.session.begin_nested():
                    self.session.add(ClaimNumberCounter(year=year, last=1))
            except IntegrityError:
                self.session.execute(bump)
        last = self.session.execute(
            select(ClaimNumberCounter.last)
            .where(ClaimNumberCounter.year == year)
        ).scalar_one()
        return format_claim_number(year, last)

    def reported_between(self, since: datetime, until: datetime
                         ) -> list[tuple[datetime, str, str | None, str | None]]:
        """(reported_at, line of business, incident place, description) of the claims reported
        in [since, until): what the alerts count (bot/alerts.py)."""
        return [tuple(row) for row in self.session.execute(
            select(Claim.reported_at, Policy.line_of_business, Claim.incident_place,
                   Claim.description)
            .join(Policy, Claim.policy_id == Policy.id)
            .where(Claim.reported_at >= since, Claim.reported_at < until))]

    def reserve_claim_serial(self, year: int, serial: int) -> None:
        """Make sure the counter of `year` is at least `serial` (imported or seeded numbers)."""
        counter = self.session.get(
            ClaimNumberCounter, year, populate_existing=True, with_for_update=True
        )
        if counter is None:
            self.session.add(ClaimNumberCounter(year=year, last=serial))
        elif counter.last < serial:
            counter.last = serial


class AuditRepository(_Repository[AuditEntry]):
    model = AuditEntry

    def record(
        self,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str | int | None,
        detail: dict[str, Any] | None = None,
        *,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Append one audit entry: who did what to which subject. Never pass secrets in detail."""
        entry = AuditEntry(
            at=at or utc_now(),
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=None if subject_id is None else str(subject_id),
            detail=detail,
        )
        self.session.add(entry)
        return entry

    def for_subject(self, subject_type: str, subject_id: str | int) -> list[AuditEntry]:
        query = (
            select(AuditEntry)
            .where(AuditEntry.subject_type == subject_type)
            .where(AuditEntry.subject_id == str(subject_id))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        return list(self.session.execute(query).scalars())

    def count_since(self, action: str, since: datetime) -> int:
        """How many `action` entries were recorded at or after `since` (a rate limit's count)."""
        query = select(func.count(AuditEntry.id)).where(
            AuditEntry.action == action, AuditEntry.at >= since
        )
        return self.session.execute(query).scalar_one()

    def list(self, action: str | None = None) -> list[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list(self.session.execute(query).scalars())


class IdentityLockRepository(_Repository[IdentityLock]):
    model = IdentityLock

    def by_policy_number(self, policy_number: str) -> IdentityLock | None:
        query = select(IdentityLock).where(
            IdentityLock.policy_number == canonical_number(policy_number)
        )
        return self.session.execute(query).scalar_one_or_none()

    def for_update(self, policy_number: str) -> IdentityLock:
        """The policy's failure counter, created if absent and locked until commit, so attempts
        on one policy run one after the other and every wrong answer counts."""
        number = canonical_number(policy_number)
        criterion = IdentityLock.policy_number == number
        _lock_rows(self.session, IdentityLock, criterion)
        query = (
            select(IdentityLock)
            .where(criterion)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        lock = self.session.execute(query).scalar_one_or_none()
        if lock is not None:
            return lock
        try:
            with self.session.begin_nested():
                lock = IdentityLock(policy_number=number, failures=0, locked_until=None)
                self.session.add(lock)
            return lock
        except IntegrityError:
            return self.session.execute(query).scalar_one()

    def purge(self, before: datetime) -> int:
        """Forget policy counters with no failure window, lock or lock history after `before`
        (a policy whose lock ended long ago starts again at the shortest lock)."""
        result = self.session.execute(
            delete(IdentityLock)
            .where(or_(IdentityLock.window_started_at.is_(None),
                       IdentityLock.window_started_at < before))
            .where(or_(IdentityLock.locked_until.is_(None), IdentityLock.locked_until < before))
        )
        return result.rowcount or 0


class IdentityCounterRepository(_Repository[IdentityCounter]):
    model = IdentityCounter

    def get_key(self, scope: str, key: str) -> IdentityCounter | None:
        query = select(IdentityCounter).where(
            IdentityCounter.scope == scope, IdentityCounter.key == key
        )
        return self.session.execute(query).scalar_one_or_none()

    def for_update(self, scope: str, key: str, now: datetime) -> IdentityCounter:
        """The counter, created if absent and locked until commit (as IdentityLocks do)."""
        criterion = and_(IdentityCounter.scope == scope, IdentityCounter.key == key)
        _lock_rows(self.session, IdentityCounter, criterion)
        query = (
            select(IdentityCounter)
            .where(criterion)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        counter = self.session.execute(query).scalar_one_or_none()
        if counter is not None:
            return counter
        try:
            with self.session.begin_nested():
                counter = IdentityCounter(scope=scope, key=key, failures=0,
                                          window_started_at=now, locked_until=None)
                self.session.add(counter)
            return counter
        except IntegrityError:
            return self.session.execute(query).scalar_one()

    def purge(self, before: datetime) -> int:
        """Forget counters whose window started and whose pause ended before `before`."""
        result = self.session.execute(
            delete(IdentityCounter)
            .where(IdentityCounter.window_started_at < before)
            .where(or_(IdentityCounter.locked_until.is_(None),
                       IdentityCounter.locked_until < before))
        )
        return result.rowcount or 0


class IdentityCodeRepository(_Repository[IdentityCode]):
    model = IdentityCode

    def latest_open(self, conversation_id: str, policy_number: str) -> IdentityCode | None:
        """The conversation's newest unspent code for the policy, locked until commit."""
        criterion = and_(
            IdentityCode.conversation_id == conversation_id,
            IdentityCode.policy_number == canonical_number(policy_number),
            IdentityCode.closed_at.is_(None),
        )
        _lock_rows(self.session, IdentityCode, criterion)
        query = (
            select(IdentityCode)
            .where(criterion)
            .order_by(IdentityCode.created_at.desc(), IdentityCode.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        return self.session.execute(query).scalar_one_or_none()

    def sent_since(self, policy_number: str, since: datetime) -> int:
        """Codes made for sending since `since` (decoys, never sent, do not count)."""
        query = select(func.count(IdentityCode.id)).where(
            IdentityCode.policy_number == canonical_number(policy_number),
            IdentityCode.created_at >= since,
            IdentityCode.code_hash != "decoy",
        )
        return self.session.execute(query).scalar_one()

    def oldest_sent_since(self, policy_number: str, since: datetime) -> datetime | None:
        query = select(func.min(IdentityCode.created_at)).where(
            IdentityCode.policy_number == canonical_number(policy_number),
            IdentityCode.created_at >= since,
            IdentityCode.code_hash != "decoy",
        )
        return self.session.execute(query).scalar_one()

    def close_open(self, policy_number: str, now: datetime, outcome: str) -> None:
        """Spend every open code of the policy (a new one replaces them)."""
        self.session.execute(
            update(IdentityCode)
            .where(IdentityCode.policy_number == canonical_number(policy_number))
            .where(IdentityCode.closed_at.is_(None))
            .values(closed_at=now, outcome=outcome)
            .execution_options(synchronize_session=False)
        )

    def verified_since(self, conversation_id: str, policy_number: str, since: datetime) -> bool:
        query = select(func.count(IdentityCode.id)).where(
            IdentityCode.conversation_id == conversation_id,
            IdentityCode.policy_number == canonical_number(policy_number),
            IdentityCode.outcome == "verified",
            IdentityCode.closed_at >= since,
        )
        return self.session.execute(query).scalar_one() > 0

    def purge(self, before: datetime) -> int:
        result = self.session.execute(
            delete(IdentityCode).where(IdentityCode.created_at < before)
        )
        return result.rowcount or 0


class ComplaintRepository(_Repository[Complaint]):
    model = Complaint

    def by_reference(self, reference: str) -> Complaint | None:
        query = select(Complaint).where(Complaint.reference == canonical_number(reference))
        return self.session.execute(query).scalar_one_or_none()

    def of_customer(self, customer_id: int) -> list[Complaint]:
        query = (
            select(Complaint)
            .where(Complaint.customer_id == customer_id)
            .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        )
        return list(self.session.execute(query).scalars())

    def of_complainant(self, customer_id: int | None, phone: str | None) -> list[Complaint]:
        """Earlier complaints of the same person, oldest first: the verified customer's, or
        those left with the same phone number."""
        criteria = []
        if customer_id is not None:
            criteria.append(Complaint.customer_id == customer_id)
        if phone:
            criteria.append(Complaint.complainant_phone == phone)
        if not criteria:
            return []
        query = (
            select(Complaint)
            .where(or_(*criteria))
            .order_by(Complaint.received_at, Complaint.id)
        )
        return list(self.session.execute(query).scalars())

    def list(self, status: str | None = None) -> list[Complaint]:
        """Complaints, oldest first (the order their clocks run out in)."""
        query = select(Complaint).order_by(Complaint.received_at, Complaint.id)
        if status is not None:
            query = query.where(Complaint.status == status)
        return list(self.session.execute(query).scalars())

    def received_between(self, since: datetime, until: datetime) -> list[tuple]:
        """(received_at, line of business, incident place, subject, facts, request) of the
        complaints received in [since, until), the line and place of the claim each is about
        (None when it names none): what the alerts count (bot/alerts.py)."""
        return [tuple(row) for row in self.session.execute(
            select(Complaint.received_at, Policy.line_of_business, Claim.incident_place,
                   Complaint.subject, Complaint.facts, Complaint.request)
            .outerjoin(Claim, Complaint.claim_id == Claim.id)
            .outerjoin(Policy, Claim.policy_id == Policy.id)
            .where(Complaint.received_at >= since, Complaint.received_at < until))]

    def by_reference_for_update(self, reference: str) -> Complaint | None:
        criterion = Complaint.reference == canonical_number(reference)
        _lock_rows(self.session, Complaint, criterion)
        query = select(Complaint).where(criterion).execution_options(populate_existing=True)
        return self.session.execute(query).scalar_one_or_none()


class AgentRepository(_Repository[Agent]):
    model = Agent

    def by_username(self, username: str) -> Agent | None:
        query = select(Agent).where(Agent.username == username)
        return self.session.execute(query).scalar_one_or_none()

    def list(self) -> list[Agent]:
        return list(self.session.execute(select(Agent).order_by(Agent.username)).scalars())


class AgentSessionRepository(_Repository[AgentSession]):
    model = AgentSession

    def by_token_hash(self, token_hash: str) -> AgentSession | None:
        query = select(AgentSession).where(AgentSession.token_hash == token_hash)
        return self.session.execute(query).scalar_one_or_none()

    def revoke_all(self, agent_id: int, at: datetime) -> int:
        """Ends every live session of one agent (cookies and bearer tokens alike); how many."""
        result = self.session.execute(
            update(AgentSession)
            .where(AgentSession.agent_id == agent_id, AgentSession.revoked_at.is_(None))
            .values(revoked_at=at))
        return int(result.rowcount or 0)


class HandoffRepository(_Repository[Handoff]):
    model = Handoff

    def open_for_conversation(self, conversation_id: str) -> Handoff | None:
        """The queued or taken handoff of a conversation, if any (at most one is open)."""
        query = (
            select(Handoff)
            .where(Handoff.conversation_id == conversation_id)
            .where(Handoff.status.in_(("queued", "taken")))
            .order_by(Handoff.created_at.desc(), Handoff.id.desc())
        )
        return self.session.execute(query).scalars().first()

    def list(self, status: str | None = None) -> list[Handoff]:
        """Highest priority first, then oldest first: the order agents take them in."""
        query = select(Handoff).order_by(
            Handoff.priority.desc(), Handoff.created_at, Handoff.id
        )
        if status is not None:
            query = query.where(Handoff.status == status)
        return list(self.session.execute(query).scalars())

    def open(self) -> list[Handoff]:
        """Queued and taken handoffs, in the order agents take them in."""
        query = (
            select(Handoff)
            .where(Handoff.status.in_(("queued", "taken")))
            .order_by(Handoff.priority.desc(), Handoff.created_at, Handoff.id)
        )
        return list(self.session.execute(query).scalars())

    def queued_ahead_of(self, handoff: Handoff) -> int:
        """How many queued handoffs an agent will take before this one."""
        ahead = or_(
            Handoff.priority > handoff.priority,
            and_(Handoff.priority == handoff.priority, Handoff.created_at < handoff.created_at),
            and_(Handoff.priority == handoff.priority, Handoff.created_at == handoff.created_at,
                 Handoff.id < handoff.id),
        )
        query = (
            select(func.count(Handoff.id))
            .where(Handoff.status == "queued")
            .where(Handoff.id != handoff.id)
            .where(ahead)
        )
        return self.session.execute(query).scalar_one()

    def take(self, handoff_id: int, agent_id: int, at: datetime) -> bool:
        """Give a queued handoff to an agent in one conditional UPDATE: of two agents taking
        it at once exactly one gets True."""
        result = self.session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id)
            .where(Handoff.status == "queued")
            .values(status="taken", agent_id=agent_id, taken_at=at)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def close(self, handoff_id: int, agent_id: int, at: datetime, resolution: str | None) -> bool:
        """Close a handoff the agent holds; False when it is not theirs (or not open)."""
        result = self.session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id)
            .where(Handoff.status == "taken")
            .where(Handoff.agent_id == agent_id)
            .values(status="closed", closed_at=at, resolution=resolution)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def withdraw(self, handoff_id: int, at: datetime, resolution: str) -> bool:
        """Close a handoff no agent has taken yet (the customer left the queue); False when an
        agent took it first or it is no longer open."""
        result = self.session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id)
            .where(Handoff.status == "queued")
            .values(status="closed", closed_at=at, resolution=resolution)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def last_closed_for_conversation(self, conversation_id: str) -> Handoff | None:
        query = (
            select(Handoff)
            .where(Handoff.conversation_id == conversation_id)
            .where(Handoff.status == "closed")
            .order_by(Handoff.closed_at.desc(), Handoff.id.desc())
        )
        return self.session.execute(query).scalars().first()

    def open_conversation_ids(self) -> set[str]:
        """The conversations with a queued or taken handoff (retention keeps their trackers)."""
        rows = self.session.execute(select(Handoff.conversation_id)
                                    .where(Handoff.status.in_(("queued", "taken"))))
        return {row[0] for row in rows}

    def closed_before(self, cutoff: datetime) -> list[Handoff]:
        """Handoffs closed before `cutoff` (retention anonymises their transcripts)."""
        return list(self.session.scalars(select(Handoff).where(
            Handoff.status == "closed", Handoff.closed_at < cutoff)).all())


class DisputeRepository(_Repository[Dispute]):
    model = Dispute

    def for_claim(self, claim_id: int, customer_id: int) -> Dispute | None:
        query = (
            select(Dispute)
            .where(Dispute.claim_id == claim_id)
            .where(Dispute.customer_id == customer_id)
            .order_by(Dispute.opened_at.desc(), Dispute.id.desc())
        )
        return self.session.execute(query).scalars().first()

    def of_customer(self, customer_id: int) -> list[Dispute]:
        query = (
            select(Dispute)
            .where(Dispute.customer_id == customer_id)
            .order_by(Dispute.updated_at.desc(), Dispute.id.desc())
        )
        return list(self.session.execute(query).scalars())


class NotificationRepository(_Repository[Notification]):
    model = Notification

    def by_dedupe_key(self, dedupe_key: str) -> Notification | None:
        query = select(Notification).where(Notification.dedupe_key == dedupe_key)
        return self.session.execute(query).scalar_one_or_none()

    def pending(self, limit: int = 100) -> list[Notification]:
        query = (
            select(Notification)
            .where(Notification.status == "pending")
            .order_by(Notification.created_at, Notification.id)
            .limit(limit)
        )
        return list(self.session.execute(query).scalars())

    def pending_for_conversation(
        self, conversation_id: str, channels: tuple[str, ...], now: datetime, limit: int = 50
    ) -> list[Notification]:
        """Messages waiting for one conversation on channels that collect them (web chat)."""
        query = (
            select(Notification)
            .where(Notification.conversation_id == conversation_id)
            .where(Notification.channel.in_(channels))
            .where(Notification.status == "pending")
            .where(Notification.fallback_reason.is_(None))  # gone by SMS: never shown twice
            .where(or_(Notification.next_attempt_at.is_(None),
                       Notification.next_attempt_at <= now))
            .order_by(Notification.created_at, Notification.id)
            .limit(limit)
        )
        return list(self.session.execute(query).scalars())

    def lease_if_due(self, notification_id: int, now: datetime, until: datetime) -> bool:
        """Hand one pending message to one poller until `until` with a conditional UPDATE; it
        stays pending, so it comes back after the lease unless acknowledged."""
        result = self.session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .where(Notification.status == "pending")
            .where(Notification.fallback_reason.is_(None))
            .where(or_(Notification.next_attempt_at.is_(None),
                       Notification.next_attempt_at <= now))
            .values(attempts=Notification.attempts + 1, next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def ids_of_conversation(
        self, ids: list[int], conversation_id: str, channels: tuple[str, ...]
    ) -> set[int]:
        """Those of `ids` that are messages to this conversation on a collecting channel."""
        if not ids:
            return set()
        query = (
            select(Notification.id)
            .where(Notification.id.in_(ids))
            .where(Notification.conversation_id == conversation_id)
            .where(Notification.channel.in_(channels))
        )
        return set(self.session.execute(query).scalars())

    def mark_delivered(self, ids: list[int], conversation_id: str, channels: tuple[str, ...],
                       now: datetime) -> int:
        """Mark this conversation's pending messages among `ids` delivered (the page showed
        them); how many changed. Another conversation's ids never match."""
        if not ids:
            return 0
        result = self.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .where(Notification.conversation_id == conversation_id)
            .where(Notification.channel.in_(channels))
            .where(Notification.status == "pending")
            .where(Notification.fallback_reason.is_(None))
            .values(status="sent", sent_at=now, next_attempt_at=None,
                    delivered_channel=Notification.channel)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount


    def due(self, now: datetime, channels: list[str] | None, limit: int, *,
            fallen_back: bool = False) -> list[tuple[int, int]]:
        """(id, attempts) of the pending messages due at `now`, oldest first, on `channels`
        (None: any channel); with `fallen_back`, also those handed to SMS, whatever their
        channel."""
        query = (
            select(Notification.id, Notification.attempts)
            .where(Notification.status == "pending")
            .where(or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
            .order_by(Notification.created_at, Notification.id)
            .limit(limit)
        )
        if not fallen_back:  # no SMS sender here: handed-over ones wait for a worker with it
            query = query.where(Notification.fallback_reason.is_(None))
            if channels is not None:
                query = query.where(Notification.channel.in_(channels))
        elif channels is not None:
            query = query.where(or_(Notification.channel.in_(channels),
                                    Notification.fallback_reason.is_not(None)))
        return [(row.id, row.attempts) for row in self.session.execute(query)]

    def unpicked(self, channels: tuple[str, ...], created_before: datetime, now: datetime,
                 limit: int) -> list[int]:
        """Ids of pending messages to a known customer on collecting channels (web chat)
        queued before `created_before` that no page holds now and that have not fallen back
        yet. (A message to a visitor nobody knows has no phone to go to: it waits.)"""
        query = (
            select(Notification.id)
            .where(Notification.status == "pending")
            .where(Notification.customer_id.is_not(None))
            .where(Notification.channel.in_(channels))
            .where(Notification.fallback_reason.is_(None))
            .where(Notification.created_at <= created_before)
            .where(or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
            .order_by(Notification.created_at, Notification.id)
            .limit(limit)
        )
        return list(self.session.execute(query).scalars())

    def hand_to_fallback(self, notification_id: int, now: datetime, reason: str) -> bool:
        """Mark a collected-channel message for SMS with one conditional UPDATE (still pending,
        not leased to a page, not already handed over): a page can no longer collect it."""
        result = self.session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .where(Notification.status == "pending")
            .where(Notification.fallback_reason.is_(None))
            .where(or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
            .values(fallback_reason=reason, fell_back_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def in_period(self, start: datetime, end: datetime) -> list[Notification]:
        """Messages queued in [start, end), oldest first (delivery figures)."""
        query = (
            select(Notification)
            .where(Notification.created_at >= start)
            .where(Notification.created_at < end)
            .order_by(Notification.created_at, Notification.id)
        )
        return list(self.session.execute(query).scalars())

    def take(self, notification_id: int, seen_attempts: int, now: datetime,
             until: datetime) -> Notification | None:
        """Lease one message to this worker until `until` with one conditional UPDATE (still
        pending, same attempt count, not leased); the fresh row, or None when another worker
        got it first."""
        taken = self.session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .where(Notification.status == "pending")
            .where(Notification.attempts == seen_attempts)
            .where(or_(Notification.next_attempt_at.is_(None),
                       Notification.next_attempt_at <= now))
            .values(attempts=Notification.attempts + 1, next_attempt_at=until)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            return None
        return self.session.get(Notification, notification_id, populate_existing=True)

    def finish(self, notification_id: int, attempt: int, **values: object) -> None:
        """Record the outcome of attempt `attempt` (only while that attempt's lease holds)."""
        self.session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .where(Notification.status == "pending")
            .where(Notification.attempts == attempt)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def listing(self, status: str | None = None,
                claim_id: int | None = None) -> list[Notification]:
        """Outbox rows, oldest first, optionally by status and claim."""
        query = select(Notification).order_by(Notification.created_at, Notification.id)
        if status is not None:
            query = query.where(Notification.status == status)
        if claim_id is not None:
            query = query.where(Notification.claim_id == claim_id)
        return list(self.session.execute(query).scalars())

    def pending_of_claims(self, claim_ids: list[int]) -> list[Notification]:
        """The pending notices of these claims, oldest first (the demo history marks them)."""
        return list(self.session.execute(
            select(Notification).where(Notification.claim_id.in_(claim_ids))
            .where(Notification.status == "pending").order_by(Notification.id)).scalars())

    def first_sent_at(self, claim_id: int, kind: str) -> datetime | None:
        """When the claim's first `kind` message was sent, or None."""
        query = (
            select(func.min(Notification.sent_at))
            .where(Notification.claim_id == claim_id)
            .where(Notification.kind == kind)
            .where(Notification.status == "sent")
        )
        return self.session.execute(query).scalar_one_or_none()

    def last_sent_at(self, conversation_id: str) -> datetime | None:
        """When a message was last sent to this conversation, or None."""
        return self.session.execute(
            select(func.max(Notification.sent_at))
            .where(Notification.conversation_id == conversation_id)
            .where(Notification.status == "sent")
        ).scalar()

    def latest_sent_of_kinds(self, conversation_id: str, kinds: list[str],
                             since: datetime) -> Notification | None:
        """The latest message of one of `kinds` sent to this conversation since `since`."""
        query = (
            select(Notification)
            .where(Notification.conversation_id == conversation_id)
            .where(Notification.kind.in_(kinds))
            .where(Notification.status == "sent")
            .where(Notification.sent_at >= since)
            .order_by(Notification.sent_at.desc(), Notification.id.desc())
            .limit(1)
        )
        return self.session.execute(query).scalars().first()

    def finished_before(self, cutoff: datetime) -> list[Notification]:
        """Sent or failed messages created before `cutoff` (retention's notices)."""
        return list(self.session.scalars(select(Notification).where(
            Notification.status.in_(("sent", "failed")),
            Notification.created_at < cutoff)).all())

    def remove(self, notification: Notification) -> None:
        self.session.delete(notification)


class SatisfactionRepository(_Repository[SatisfactionScore]):
    model = SatisfactionScore

    def for_claim(self, claim_id: int) -> SatisfactionScore | None:
        query = select(SatisfactionScore).where(SatisfactionScore.claim_id == claim_id)
        return self.session.execute(query).scalar_one_or_none()


class ReceivedFileRepository(_Repository[ReceivedFile]):
    model = ReceivedFile

    def of_claim(self, claim_id: int) -> list[ReceivedFile]:
        query = (
            select(ReceivedFile)
            .where(ReceivedFile.claim_id == claim_id)
            .order_by(ReceivedFile.received_at, ReceivedFile.id)
        )
        return list(self.session.execute(query).scalars())

    def claim_file_periods(self) -> list[tuple[str, date, date]]:
        """(stored path, policy start, policy end) of every file attached to a claim: how long
        retention keeps it."""
        rows = self.session.execute(
            select(ReceivedFile.stored_path, Policy.start_date, Policy.end_date)
            .join(Claim, ReceivedFile.claim_id == Claim.id)
            .join(Policy, Claim.policy_id == Policy.id)).all()
        return [(stored_path, start, end) for stored_path, start, end in rows]


class LoginFailureRepository(_Repository[LoginFailure]):
    """The agent-console login throttle's failures (bot/agents.LoginThrottle)."""

    model = LoginFailure

    def counts_since(self, keys: list[str], since: datetime) -> Dict[str, int]:
        """Failures after `since` per key; keys with none are left out."""
        rows = self.session.execute(
            select(LoginFailure.key, func.count(LoginFailure.id))
            .where(LoginFailure.key.in_(keys), LoginFailure.at > since)
            .group_by(LoginFailure.key)).all()
        return {key: int(count) for key, count in rows}

    def record(self, keys: Iterable[str], at: datetime) -> None:
        for key in keys:
            self.session.add(LoginFailure(key=key, at=at))

    def forget_before(self, cutoff: datetime, *, keep_prefix: str | None = None) -> None:
        """Rows older than `cutoff`, except keys starting with `keep_prefix`."""
        query = delete(LoginFailure).where(LoginFailure.at < cutoff)
        if keep_prefix:
            query = query.where(~LoginFailure.key.startswith(keep_prefix))
        self.session.execute(query.execution_options(synchronize_session=False))

    def forget_keys(self, keys: list[str]) -> None:
        self.session.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))


class InboundReceiptRepository(_Repository[InboundReceipt]):
    """Webhook deliveries a channel has accepted (bot/inbound): once-only handling."""

    model = InboundReceipt

    def by_key(self, channel: str, external_id: str) -> InboundReceipt:
        return self.session.execute(select(InboundReceipt).where(
            InboundReceipt.channel == channel,
            InboundReceipt.external_id == external_id)).scalar_one()

    def exists(self, channel: str, external_id: str) -> bool:
        return self.session.execute(select(InboundReceipt.id).where(
            InboundReceipt.channel == channel,
            InboundReceipt.external_id == external_id)).first() is not None

    def take_expired_lease(self, receipt_id: int, now: datetime, until: datetime) -> bool:
        """Lease an unfinished delivery whose lease has run out until `until`, with one
        conditional UPDATE: of two handlers exactly one gets True."""
        return bool(self.session.execute(
            update(InboundReceipt)
            .where(InboundReceipt.id == receipt_id, InboundReceipt.done_at.is_(None),
                   InboundReceipt.lease_until <= now)
            .values(lease_until=until)).rowcount)

    def set_values(self, channel: str, external_id: str, **values: Any) -> None:
        self.session.execute(update(InboundReceipt).where(
            InboundReceipt.channel == channel,
            InboundReceipt.external_id == external_id,
        ).values(**values))

    def count_before(self, cutoff: datetime) -> int:
        return int(self.session.scalar(select(func.count(InboundReceipt.id))
                                       .where(InboundReceipt.received_at < cutoff)) or 0)

    def delete_before(self, cutoff: datetime) -> int:
        """Drops receipts received before `cutoff`; how many."""
        result = self.session.execute(
            delete(InboundReceipt).where(InboundReceipt.received_at < cutoff))
        return int(result.rowcount or 0)


class TrackerRetention:
    """Rasa's tracker store (another database: the tracker store URL, table `events` of its
    SQLTrackerStore), as far as retention deletes old conversations from it."""

    TABLE = "events"
    BATCH = 500

    def __init__(self, tracker_url: str) -> None:
        self.tracker_url = tracker_url

    def _missing_file(self) -> bool:
        url = sa.engine.make_url(self.tracker_url)
        return url.get_backend_name() == "sqlite" and bool(url.database) \
            and url.database != ":memory:" and not Path(url.database).exists()

    def expire_conversations(self, before_epoch: float, keep: set[str],
                             dry_run: bool = False) -> int:
        """Deletes every conversation (sender) whose last event is older than `before_epoch`
        (seconds), except those in `keep`; returns how many (dry: would be)."""
        if self._missing_file():
            return 0  # no conversation yet (and connecting would create the file)
        engine = sa.create_engine(self.tracker_url)
        try:
            if not sa.inspect(engine).has_table(self.TABLE):
                return 0
            events = sa.table(self.TABLE, sa.column("sender_id"), sa.column("timestamp"))
            with engine.begin() as connection:
                stale = [
                    row[0] for row in connection.execute(
                        select(events.c.sender_id).group_by(events.c.sender_id)
                        .having(func.max(events.c.timestamp) < before_epoch))
                    if row[0] not in keep
                ]
                if not dry_run:
                    for start in range(0, len(stale), self.BATCH):
                        connection.execute(delete(events).where(
                            events.c.sender_id.in_(stale[start:start + self.BATCH])))
            return len(stale)
        finally:
            engine.dispose()


class TaskRepository(_Repository[Task]):
    model = Task

    def by_dedupe_key(self, dedupe_key: str) -> Task | None:
        return self.session.execute(
            select(Task).where(Task.dedupe_key == dedupe_key)).scalar_one_or_none()

    def for_update(self, task_id: int) -> Task | None:
        _lock_rows(self.session, Task, Task.id == task_id)
        return self.session.get(Task, task_id, populate_existing=True)

    def list(self, *, statuses: Iterable[str] | None = None, roles: Iterable[str] | None = None,
             claim_id: int | None = None, complaint_id: int | None = None,
             conversation_id: str | None = None, kind: str | None = None,
             key_prefix: str | None = None, limit: int = 500) -> list[Task]:
        """Tasks, the soonest due first."""
        query = select(Task).order_by(Task.due_at, Task.id).limit(limit)
        if statuses is not None:
            query = query.where(Task.status.in_(list(statuses)))
        if roles is not None:
            query = query.where(Task.owner_role.in_(list(roles)))
        if claim_id is not None:
            query = query.where(Task.claim_id == claim_id)
        if complaint_id is not None:
            query = query.where(Task.complaint_id == complaint_id)
        if conversation_id is not None:
            query = query.where(Task.conversation_id == conversation_id)
        if kind is not None:
            query = query.where(Task.kind == kind)
        if key_prefix is not None:
            query = query.where(Task.dedupe_key.startswith(key_prefix, autoescape=True))
        return list(self.session.execute(query).scalars())


# --- w-lights: escalations (issue #14, item 2) -------------------------------------------------

class EscalationRepository(_Repository[Escalation]):
    model = Escalation

    def by_dedupe_key(self, dedupe_key: str) -> Escalation | None:
        return self.session.execute(
            select(Escalation).where(Escalation.dedupe_key == dedupe_key)).scalar_one_or_none()

    def list(self, *, claim_id: int | None = None,
             regulator_only: bool = False) -> list[Escalation]:
        """Escalations, the newest first."""
        query = select(Escalation).order_by(Escalation.created_at.desc(), Escalation.id.desc())
        if claim_id is not None:
            query = query.where(Escalation.claim_id == claim_id)
        if regulator_only:
            query = query.where(Escalation.regulator_report.is_(True))
        return list(self.session.execute(query).scalars())


class IdempotencyKeyRepository(_Repository[IdempotencyKey]):
    """Answers kept for core-system calls made with an Idempotency-Key (bot/core_calls.py)."""

    model = IdempotencyKey

    def by_key(self, key: str) -> IdempotencyKey | None:
        return self.session.execute(
            select(IdempotencyKey).where(IdempotencyKey.key == key)).scalar_one_or_none()

    def remove(self, row: IdempotencyKey) -> None:
        self.session.delete(row)

    def purge(self, before: datetime) -> int:
        """Forget the answers whose retention ended before `before`; how many."""
        result = self.session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.expires_at < before))
        return int(result.rowcount or 0)


class ChannelContactRepository(_Repository[ChannelContact]):
    """When each customer last wrote on a conversation (bot.outbox.windows)."""

    model = ChannelContact

    def move_forward(self, conversation_id: str, channel: str, at: datetime) -> bool:
        """Set the conversation's last inbound time to `at` if it is later; whether a row of
        this conversation exists now (False: the caller adds it)."""
        changed = self.session.execute(
            update(ChannelContact)
            .where(ChannelContact.conversation_id == conversation_id)
            .where(ChannelContact.last_inbound_at < at)
            .values(last_inbound_at=at, channel=channel)
            .execution_options(synchronize_session=False)
        ).rowcount
        return bool(changed) or self.last_inbound_at(conversation_id) is not None

    def last_inbound_at(self, conversation_id: str) -> datetime | None:
        return self.session.execute(
            select(ChannelContact.last_inbound_at)
            .where(ChannelContact.conversation_id == conversation_id)
        ).scalar_one_or_none()

    def channel_of(self, conversation_id: str) -> str | None:
        return self.session.execute(
            select(ChannelContact.channel)
            .where(ChannelContact.conversation_id == conversation_id)
        ).scalar_one_or_none()

    def set_channel(self, conversation_id: str, channel: str) -> None:
        self.session.execute(
            update(ChannelContact)
            .where(ChannelContact.conversation_id == conversation_id)
            .values(channel=channel)
            .execution_options(synchronize_session=False))


class LoginLinkRepository(_Repository[LoginLink]):
    """One-time web chat login links (bot.login_links); kept by the token's hash."""

    model = LoginLink

    def by_hash(self, token_hash: str) -> LoginLink | None:
        return self.session.execute(
            select(LoginLink).where(LoginLink.token_hash == token_hash)
        ).scalar_one_or_none()

    def spend(self, link_id: int, conversation_id: str, now: datetime) -> bool:
        """Mark the link used by `conversation_id` with one conditional UPDATE (unused, not
        expired): of two pages racing, one wins."""
        return self.session.execute(
            update(LoginLink)
            .where(LoginLink.id == link_id)
            .where(LoginLink.used_at.is_(None))
            .where(LoginLink.expires_at > now)
            .values(used_at=now, used_by=conversation_id[:255])
            .execution_options(synchronize_session=False)
        ).rowcount == 1


class WeChatTokenRepository(_Repository[WeChatToken]):
    """The WeChat access token every replica shares (bot/wechat/api.py), one row per app id."""

    model = WeChatToken

    def by_app(self, app_id: str) -> WeChatToken | None:
        return self.session.get(WeChatToken, app_id)

    def forget(self, app_id: str, token: str) -> bool:
        """Drop `token` with one conditional DELETE: a token another replica has already
        replaced stays."""
        return self.session.execute(
            delete(WeChatToken)
            .where(WeChatToken.app_id == app_id, WeChatToken.access_token == token)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
