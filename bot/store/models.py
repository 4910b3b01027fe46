"""Declarative SQLAlchemy models of the claims store; datetimes are naive UTC."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

from bot.claims.model import ClaimStage
from bot.clock import utc_now

# Stable constraint names, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

LANGUAGES = ("zh", "en")
LINES_OF_BUSINESS = ("motor", "medical", "accident", "critical_illness", "life", "home")
POLICY_STATUSES = ("active", "lapsed", "cancelled")
# The stage values come from the claim model (bot.claims.model imports no store code).
CLAIM_STAGES = tuple(stage.value for stage in ClaimStage)
DOCUMENT_STATUSES = ("missing", "received", "waived", "rejected")
HANDOFF_STATUSES = ("queued", "taken", "closed")
AGENT_ROLES = ("agent", "supervisor", "complaint_officer")
TASK_STATUSES = ("open", "taken", "done", "cancelled")
NOTIFICATION_STATUSES = ("pending", "sent", "failed")

CENT = Decimal("0.01")


class Money(TypeDecorator):
    """Numeric(12, 2) read and written as Decimal on every database.

    SQLite has no decimal type: there the value travels as a float (12 significant digits fit
    a double exactly) and is rounded back to cents here, instead of SQLAlchemy's lossy-decimal
    warning on every read.
    """

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(12, 2, asdecimal=False))
        return dialect.type_descriptor(Numeric(12, 2))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
        return float(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (CheckConstraint(_one_of("preferred_language", LANGUAGES), name="language"),)

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    date_of_birth = Column(Date, nullable=False)
    phone = Column(String(32), nullable=False)
    phone_last4 = Column(String(4), nullable=False)
    id_number_masked = Column(String(32), nullable=False)
    # sha256 of the normalised ID number; the clear number is never stored (PIPL).
    id_number_hash = Column(String(64), nullable=False, unique=True)
    preferred_language = Column(String(2), nullable=False, default="zh")
    created_at = Column(DateTime, nullable=False, default=utc_now)

    policies = relationship("Policy", back_populates="customer", order_by="Policy.number")


class Policy(Base):
    __tablename__ = "policies"
    __table_args__ = (
        CheckConstraint(_one_of("line_of_business", LINES_OF_BUSINESS), name="line_of_business"),
        CheckConstraint(_one_of("status", POLICY_STATUSES), name="status"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(32), nullable=False, unique=True)  # always stored upper case
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    line_of_business = Column(String(32), nullable=False)
    product_code = Column(String(32), nullable=False)
    product_name_zh = Column(String(100), nullable=False)
    product_name_en = Column(String(200), nullable=False)
    sum_insured = Column(Money(), nullable=False)
    deductible = Column(Money(), nullable=False, default=0)
    waiting_period_days = Column(Integer, nullable=False, default=0)
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    status = Column(String(16), nullable=False, default="active")

    customer = relationship("Customer", back_populates="policies")
    claims = relationship("Claim", back_populates="policy", order_by="Claim.reported_at")


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (CheckConstraint(_one_of("stage", CLAIM_STAGES), name="stage"),)

    id = Column(Integer, primary_key=True)
    number = Column(String(32), nullable=False, unique=True)
    policy_id = Column(ForeignKey("policies.id"), nullable=False, index=True)
    stage = Column(String(32), nullable=False, default="reported", index=True)
    incident_type = Column(String(64), nullable=False)
    incident_at = Column(DateTime, nullable=True)
    # exact | part_of_day | day | unknown (bot.dates); NULL on claims stored before it was kept.
    incident_time_precision = Column(String(16), nullable=True)
    incident_place = Column(String(255), nullable=True)
    description = Column(Text, nullable=True)
    injuries = Column(Boolean, nullable=False, default=False)
    estimated_amount = Column(Money(), nullable=True)
    approved_amount = Column(Money(), nullable=True)
    paid_amount = Column(Money(), nullable=True)
    paid_at = Column(DateTime, nullable=True)
    denial_reason_zh = Column(Text, nullable=True)
    denial_reason_en = Column(Text, nullable=True)
    denial_clause = Column(String(64), nullable=True)
    channel = Column(String(32), nullable=True)
    language = Column(String(2), nullable=True)
    conversation_id = Column(String(255), nullable=True, index=True)  # Rasa sender id
    flags = Column(JSON, nullable=False, default=list)
    reported_at = Column(DateTime, nullable=False, default=utc_now)
    documents_completed_at = Column(DateTime, nullable=True)
    # Promises kept (bot/documents/chase.py, migration 0012_promises): the customer's own
    # "documents later" promise, its words and time, and the reminders sent for what is missing.
    documents_promised_at = Column(DateTime, nullable=True)
    documents_promise_words = Column(Text, nullable=True)
    document_reminders = Column(Integer, nullable=False, default=0, server_default="0")
    last_document_reminder_at = Column(DateTime, nullable=True)
    # The core system's decision as it came (bot/claims/decisions.py): the approved amount's
    # make-up with a plain line per part, the payment, the denial's clause id. None: none yet.
    decision = Column(JSON, nullable=True)

    policy = relationship("Policy", back_populates="claims")
    events = relationship(
        "ClaimEvent", back_populates="claim", order_by=lambda: (ClaimEvent.at, ClaimEvent.id)
    )
    documents = relationship(
        "ClaimDocument", back_populates="claim", order_by="ClaimDocument.id"
    )
    files = relationship("ReceivedFile", back_populates="claim", order_by="ReceivedFile.id")


class ClaimEvent(Base):
    __tablename__ = "claim_events"

    id = Column(Integer, primary_key=True)
    claim_id = Column(ForeignKey("claims.id"), nullable=False, index=True)
    from_stage = Column(String(32), nullable=True)  # None for the first "reported" event
    to_stage = Column(String(32), nullable=False)
    at = Column(DateTime, nullable=False, default=utc_now)
    actor = Column(String(100), nullable=False)
    note = Column(Text, nullable=True)

    claim = relationship("Claim", back_populates="events")


class ClaimDocument(Base):
    __tablename__ = "claim_documents"
    __table_args__ = (
        UniqueConstraint("claim_id", "code"),
        CheckConstraint(_one_of("status", DOCUMENT_STATUSES), name="status"),
    )

    id = Column(Integer, primary_key=True)
    claim_id = Column(ForeignKey("claims.id"), nullable=False)
    code = Column(String(64), nullable=False)
    label_zh = Column(String(100), nullable=False)
    label_en = Column(String(200), nullable=False)
    mandatory = Column(Boolean, nullable=False, default=True)
    fetched_by_insurer = Column(Boolean, nullable=False, default=False)
    status = Column(String(16), nullable=False, default="missing")
    received_at = Column(DateTime, nullable=True)
    # Promises kept (bot/documents/chase.py): whether the first documents notice named this item
    # (None: not known, an item of a claim stored without one), and when a later notice asked
    # for it again because it was rejected or added after that notice (a re-request).
    first_notice = Column(Boolean, nullable=True)
    rerequested_at = Column(DateTime, nullable=True)
    # How the core system marked it (bot/documents/status.py): branch, data_link, waived...
    received_via = Column(String(16), nullable=True)
    # A document the insurer could not accept (blurred, wrong one): outstanding again, with why.
    rejected_at = Column(DateTime, nullable=True)
    rejection_reason_zh = Column(Text, nullable=True)
    rejection_reason_en = Column(Text, nullable=True)

    claim = relationship("Claim", back_populates="documents")


class ReceivedFile(Base):
    __tablename__ = "received_files"

    id = Column(Integer, primary_key=True)
    claim_id = Column(ForeignKey("claims.id"), nullable=False, index=True)
    document_id = Column(ForeignKey("claim_documents.id"), nullable=True)
    filename = Column(String(255), nullable=False)
    content_type = Column(String(100), nullable=True)
    size_bytes = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    stored_path = Column(String(500), nullable=False)
    received_at = Column(DateTime, nullable=False, default=utc_now)

    claim = relationship("Claim", back_populates="files")
    document = relationship("ClaimDocument")


class Complaint(Base):
    __tablename__ = "complaints"

    id = Column(Integer, primary_key=True)
    reference = Column(String(32), nullable=False, unique=True)
    # None when the complainant was not verified: then name and phone say who they are.
    customer_id = Column(ForeignKey("customers.id"), nullable=True, index=True)
    claim_id = Column(ForeignKey("claims.id"), nullable=True)
    subject = Column(String(255), nullable=False)  # what or whom it is about, their words
    request = Column(Text, nullable=True)
    facts = Column(Text, nullable=True)
    channel = Column(String(32), nullable=True)
    received_at = Column(DateTime, nullable=False, default=utc_now)
    status = Column(String(32), nullable=False, default="received")
    outcome = Column(Text, nullable=True)
    accepted = Column(Boolean, nullable=True)  # None until the customer has answered
    repeat_of_id = Column(ForeignKey("complaints.id"), nullable=True)
    # Complaint rules Art. 13: who complains and how to reach them, what it is about.
    complainant_name = Column(String(100), nullable=True)
    complainant_phone = Column(String(32), nullable=True)
    about_kind = Column(String(16), nullable=False, default="other")  # claim, staff, stage, other
    language = Column(String(2), nullable=True)
    conversation_id = Column(String(255), nullable=True, index=True)  # Rasa sender id
    # Clocks: acknowledge within 48 h; decide in 15 days, 30 when complex, 60 with notice.
    complexity = Column(String(16), nullable=False, default="standard")
    acknowledged_at = Column(DateTime, nullable=True)
    extended_at = Column(DateTime, nullable=True)  # when the customer was told of 60 days
    decided_at = Column(DateTime, nullable=True)
    decided_by = Column(String(100), nullable=True)
    accepted_at = Column(DateTime, nullable=True)
    # Where a complaint came from when an agent recorded it (bot.complaints.SOURCES: hotline,
    # letter, email, regulator); None for one the assistant took in a conversation.
    source = Column(String(16), nullable=True)

    customer = relationship("Customer")
    claim = relationship("Claim")
    repeat_of = relationship("Complaint", remote_side=[id])


class Agent(Base):
    __tablename__ = "agents"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(100), nullable=False)
    password_hash = Column(String(255), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    # What the agent may see and do (bot.tasks.ROLE_CAN_WORK): agent, supervisor, complaint_officer.
    role = Column(String(32), nullable=False, default="agent", server_default="agent")


class Handoff(Base):
    __tablename__ = "handoffs"
    __table_args__ = (CheckConstraint(_one_of("status", HANDOFF_STATUSES), name="status"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(32), nullable=True)
    reason = Column(String(64), nullable=False)
    priority = Column(Integer, nullable=False, default=0)
    language = Column(String(2), nullable=True)
    summary = Column(JSON, nullable=False, default=dict)
    status = Column(String(16), nullable=False, default="queued", index=True)
    agent_id = Column(ForeignKey("agents.id"), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    taken_at = Column(DateTime, nullable=True)
    closed_at = Column(DateTime, nullable=True)
    resolution = Column(Text, nullable=True)  # what was agreed, told to the customer at hand-back
    # While queued (bot/waiting.py): when the customer's messages were last acknowledged, and a
    # call-back they booked out of hours (when, naive UTC, and the number to ring).
    acknowledged_at = Column(DateTime, nullable=True)
    callback_at = Column(DateTime, nullable=True)
    callback_phone = Column(String(32), nullable=True)
    # Where the handoff goes first (bot.handoff): the agent who owns the customer's case
    # (routed_why "case_owner"), or a colleague or a role's queue it was transferred to
    # ("transfer"), with who transferred it, when and why.
    routed_to_id = Column(ForeignKey("agents.id"), nullable=True)
    routed_role = Column(String(32), nullable=True)
    routed_why = Column(String(16), nullable=True)
    transferred_at = Column(DateTime, nullable=True)
    transferred_by = Column(String(100), nullable=True)
    transfer_note = Column(Text, nullable=True)

    agent = relationship("Agent", foreign_keys=[agent_id])
    routed_to = relationship("Agent", foreign_keys=[routed_to_id])


class Task(Base):
    """A promise made to a customer, or a clock that ran out, as work with an owner and a due time
    (bot.tasks)."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(_one_of("status", TASK_STATUSES), name="status"),
        CheckConstraint(_one_of("owner_role", AGENT_ROLES), name="owner_role"),
        Index(None, "status", "due_at"),
    )

    id = Column(Integer, primary_key=True)
    kind = Column(String(48), nullable=False, index=True)
    owner_role = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False, default="open")
    claim_id = Column(ForeignKey("claims.id"), nullable=True, index=True)
    complaint_id = Column(ForeignKey("complaints.id"), nullable=True, index=True)
    conversation_id = Column(String(255), nullable=True, index=True)
    # What to do, in the words agents read (zh, then en), and the facts it rests on.
    title = Column(String(255), nullable=False)
    detail = Column(JSON, nullable=False, default=dict)
    due_at = Column(DateTime, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    created_by = Column(String(100), nullable=False)
    assignee_id = Column(ForeignKey("agents.id"), nullable=True)
    taken_at = Column(DateTime, nullable=True)
    done_at = Column(DateTime, nullable=True)
    done_by = Column(String(100), nullable=True)
    outcome = Column(Text, nullable=True)
    # One task per promise: the same trigger seen twice (a retried action, the next job round)
    # finds the task it opened.
    dedupe_key = Column(String(255), nullable=False, unique=True)

    claim = relationship("Claim")
    complaint = relationship("Complaint")
    assignee = relationship("Agent")


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(_one_of("status", NOTIFICATION_STATUSES), name="status"),
    )

    id = Column(Integer, primary_key=True)
    claim_id = Column(ForeignKey("claims.id"), nullable=True, index=True)
    # None for a message to a conversation whose customer is not known (an agent's reply).
    customer_id = Column(ForeignKey("customers.id"), nullable=True)
    conversation_id = Column(String(255), nullable=True)
    channel = Column(String(32), nullable=True)
    kind = Column(String(64), nullable=False)
    body = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default="pending", index=True)
    attempts = Column(Integer, nullable=False, default=0)
    # One message per (claim, event, channel): a retried trigger cannot notify twice.
    dedupe_key = Column(String(255), nullable=False, unique=True)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    sent_at = Column(DateTime, nullable=True)
    last_error = Column(Text, nullable=True)
    language = Column(String(2), nullable=True)  # the language the body is written in
    # Not before this time: a retry's backoff, or the lease of a worker sending it now.
    next_attempt_at = Column(DateTime, nullable=True)
    # The delivery policy (bot.outbox.delivery): the channel that delivered it ("sms" when it
    # fell back), and, when the customer's own channel could not carry it, why and when it
    # was handed to SMS instead (a fallen-back notice never goes by the first channel again).
    delivered_channel = Column(String(32), nullable=True)
    fallback_reason = Column(Text, nullable=True)
    fell_back_at = Column(DateTime, nullable=True)

    claim = relationship("Claim")
    customer = relationship("Customer")


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "subject_type", "subject_id"),)

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utc_now, index=True)
    actor = Column(String(100), nullable=False)
    action = Column(String(64), nullable=False)
    subject_type = Column(String(32), nullable=False)
    subject_id = Column(String(64), nullable=True)
    detail = Column(JSON, nullable=True)


class IdentityLock(Base):
    __tablename__ = "identity_locks"

    id = Column(Integer, primary_key=True)
    # Keyed by the canonical number, not the policy id: a lock check needs no policy lookup.
    policy_number = Column(String(32), nullable=False, unique=True)
    failures = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime, nullable=True)
    # Failures count within a window from the first one; each lock lasts longer than the last
    # (lock_level steps through the settings' durations) until the holder verifies.
    window_started_at = Column(DateTime, nullable=True)
    lock_level = Column(Integer, nullable=False, default=0)


class ClaimNumberCounter(Base):
    __tablename__ = "claim_number_counters"

    year = Column(Integer, primary_key=True, autoincrement=False)
    last = Column(Integer, nullable=False, default=0)


class SatisfactionScore(Base):
    """The customer's 1-10 answer to the closed-claim notice; one per claim, the latest wins."""

    __tablename__ = "satisfaction_scores"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 10", name="score"),)

    id = Column(Integer, primary_key=True)
    claim_id = Column(ForeignKey("claims.id"), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    score = Column(Integer, nullable=False)
    actor = Column(String(100), nullable=False)
    answered_at = Column(DateTime, nullable=False, default=utc_now)

    claim = relationship("Claim")


class AgentSession(Base):
    """A console login. Only hashes of the session and CSRF tokens are kept."""

    __tablename__ = "agent_sessions"

    id = Column(Integer, primary_key=True)
    agent_id = Column(ForeignKey("agents.id"), nullable=False, index=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    csrf_hash = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    expires_at = Column(DateTime, nullable=False)
    revoked_at = Column(DateTime, nullable=True)

    agent = relationship("Agent")


DISPUTE_STEPS = ("explained", "negotiation", "mediation", "arbitration", "litigation")


class Dispute(Base):
    """Where a customer stands on the ladder after disputing a claim decision."""

    __tablename__ = "disputes"
    __table_args__ = (CheckConstraint(_one_of("step", DISPUTE_STEPS), name="step"),)

    id = Column(Integer, primary_key=True)
    claim_id = Column(ForeignKey("claims.id"), nullable=False, index=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    conversation_id = Column(String(255), nullable=True)
    step = Column(String(16), nullable=False, default="explained")
    opened_at = Column(DateTime, nullable=False, default=utc_now)
    updated_at = Column(DateTime, nullable=False, default=utc_now)

    claim = relationship("Claim")
    customer = relationship("Customer")


class InboundReceipt(Base):
    """One webhook delivery a channel has accepted (Telegram update_id, Twilio MessageSid...),
    so that a retried delivery is recognised and handled once."""

    __tablename__ = "inbound_receipts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(32), nullable=False)
    external_id = Column(String(128), nullable=False)
    received_at = Column(DateTime, nullable=False, default=utc_now, index=True)
    # None while the turn runs (claimed until `lease_until`); set once the turn was handled.
    done_at = Column(DateTime, nullable=True)
    lease_until = Column(DateTime, nullable=True)


class LoginFailure(Base):
    """One failed agent-console login, counted per key (a hash of the normalised username, or
    the client address) within the throttle window; every replica and a restart see it."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id = Column(Integer, primary_key=True)
    key = Column(String(80), nullable=False)
    at = Column(DateTime, nullable=False, index=True)


class IdentityCounter(Base):
    """Wrong identity answers of one conversation (scope "conversation", key: the sender id) or
    one client address (scope "address", key: sha256 of the address), within a window. Reaching
    the limit pauses the identity check for that conversation or address only."""

    __tablename__ = "identity_counters"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id = Column(Integer, primary_key=True)
    scope = Column(String(16), nullable=False)
    key = Column(String(255), nullable=False)
    failures = Column(Integer, nullable=False, default=0)
    window_started_at = Column(DateTime, nullable=False, default=utc_now)
    locked_until = Column(DateTime, nullable=True)


class IdentityCode(Base):
    """A one-time code sent by SMS to the phone on file. Only a salted HMAC of the code is kept;
    it works in the conversation that asked for it, until `expires_at`, for a few tries."""

    __tablename__ = "identity_codes"
    __table_args__ = (Index(None, "policy_number", "created_at"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    policy_number = Column(String(32), nullable=False)
    code_hash = Column(String(64), nullable=False)
    salt = Column(String(32), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    expires_at = Column(DateTime, nullable=False)
    tries = Column(Integer, nullable=False, default=0)
    # Set when the code is spent: verified, too many wrong tries, expired or replaced.
    closed_at = Column(DateTime, nullable=True)
    outcome = Column(String(16), nullable=True)


# --- w-lights: escalations (issue #14, item 2) -------------------------------------------------

ESCALATION_LIGHTS = ("red",)


class Escalation(Base):
    """A claim past its deadline (a red light) escalated to the supervisors (bot.escalations):
    which clock, to whom it went, why, and whether it is on the list reported to the regulator.
    History: it stays when the claim is settled later."""

    __tablename__ = "escalations"
    __table_args__ = (
        CheckConstraint(_one_of("light", ESCALATION_LIGHTS), name="light"),
        CheckConstraint(_one_of("sent_to_role", AGENT_ROLES), name="sent_to_role"),
    )

    id = Column(Integer, primary_key=True)
    claim_id = Column(ForeignKey("claims.id"), nullable=False, index=True)
    light = Column(String(8), nullable=False, default="red")
    clock = Column(String(32), nullable=False)  # bot.claims.deadlines.Clock.name
    clock_due_at = Column(DateTime, nullable=False)
    sent_to_role = Column(String(32), nullable=False, default="supervisor")
    # The supervisor it went to by name, when one has an account (else the role's queue).
    sent_to_agent_id = Column(ForeignKey("agents.id"), nullable=True)
    reason = Column(Text, nullable=False)
    regulator_report = Column(Boolean, nullable=False, default=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    created_by = Column(String(100), nullable=False)
    # One escalation per claim and clock: the next round (or a status question) finds it.
    dedupe_key = Column(String(255), nullable=False, unique=True)

    claim = relationship("Claim")
    sent_to_agent = relationship("Agent")


class IdempotencyKey(Base):
    """The answer given to one core-system call made with an Idempotency-Key (bot/core_calls.py):
    the same key with the same request is answered this again; kept until `expires_at`."""

    __tablename__ = "idempotency_keys"

    id = Column(Integer, primary_key=True)
    key = Column(String(128), nullable=False, unique=True)
    # sha256 of the method, path and canonical JSON body the key was first used with.
    fingerprint = Column(String(64), nullable=False)
    route = Column(String(255), nullable=False)
    status_code = Column(Integer, nullable=False)
    response = Column(JSON, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    expires_at = Column(DateTime, nullable=False, index=True)


class InternalNote(Base):
    """An agent's note on a claim or a conversation (bot.workspace): staff read it in the
    console; it is never sent to the customer and never written to a conversation."""

    __tablename__ = "internal_notes"

    id = Column(Integer, primary_key=True)
    claim_id = Column(ForeignKey("claims.id"), nullable=True, index=True)
    conversation_id = Column(String(255), nullable=True, index=True)
    author = Column(String(100), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utc_now)

    claim = relationship("Claim")


class CaseOwner(Base):
    """The agent who first took a customer's case (首问负责制); their next handoff is routed to
    them first. `case_key` is "claim:<number>", "policy:<number>" or "conversation:<id>"."""

    __tablename__ = "case_owners"

    id = Column(Integer, primary_key=True)
    case_key = Column(String(300), nullable=False, unique=True)
    agent_id = Column(ForeignKey("agents.id"), nullable=False)
    since = Column(DateTime, nullable=False, default=utc_now)

    agent = relationship("Agent")


class WeChatToken(Base):
    """The WeChat access token of one Official Account (app id), shared by every replica: one
    fetch serves them all until it expires or WeChat revokes it (bot/wechat/api.py)."""

    __tablename__ = "wechat_tokens"

    app_id = Column(String(64), primary_key=True)
    access_token = Column(String(512), nullable=False)
    expires_at = Column(DateTime, nullable=False)
    fetched_at = Column(DateTime, nullable=False, default=utc_now)


class ChannelContact(Base):
    """When the customer last wrote on a conversation (bot.outbox.windows): WhatsApp accepts
    free text only within 24 hours of it, WeChat's customer-service messages within 48."""

    __tablename__ = "channel_contacts"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, unique=True)
    channel = Column(String(32), nullable=False)
    last_inbound_at = Column(DateTime, nullable=False)


class LoginLink(Base):
    """A one-time link that logs a customer into the web chat for one claim (bot.login_links),
    sent in the SMS receipt of a claim reported by phone. Only a SHA-256 of the token is kept;
    it works once, before `expires_at`."""

    __tablename__ = "login_links"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    claim_id = Column(ForeignKey("claims.id"), nullable=False, index=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime, nullable=True)
    used_by = Column(String(255), nullable=True)  # the web chat conversation it logged in

    claim = relationship("Claim")
    customer = relationship("Customer")


# --- k-kpis: what the service KPIs pick their cases by (bot/kpis, migration 0014_kpi_indexes) ---
# Declared here, after the tables, so the classes above stay as they were.

Index("ix_claims_reported_at_stage_channel_policy_id", Claim.reported_at, Claim.stage,
      Claim.channel, Claim.policy_id)
Index("ix_claims_paid_at_documents_completed_at", Claim.paid_at, Claim.documents_completed_at)
Index("ix_claim_events_to_stage_at_from_stage_claim_id", ClaimEvent.to_stage, ClaimEvent.at,
      ClaimEvent.from_stage, ClaimEvent.claim_id)
Index("ix_claim_events_at_claim_id", ClaimEvent.at, ClaimEvent.claim_id)
Index("ix_claim_events_claim_id_at_to_stage", ClaimEvent.claim_id, ClaimEvent.at,
      ClaimEvent.to_stage)
Index("ix_complaints_received_at", Complaint.received_at)
Index("ix_complaints_decided_at", Complaint.decided_at)
Index("ix_handoffs_created_at_taken_at", Handoff.created_at, Handoff.taken_at)
Index("ix_satisfaction_scores_answered_at_score", SatisfactionScore.answered_at,
      SatisfactionScore.score)
Index("ix_escalations_created_at", Escalation.created_at)
Index("ix_notifications_created_at_channel_status", Notification.created_at,
      Notification.channel, Notification.status)
