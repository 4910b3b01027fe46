"""The claim model: stages and their labels, allowed moves, the errors of the claim services and
the read model (ClaimView) of a claim. No SQL: bot.store.models takes its stage values from here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # the ORM row to_view reads; the model itself imports no store code
    from bot.store.models import Claim


class ClaimStage(str, Enum):
    REPORTED = "reported"
    DOCUMENTS_REVIEW = "documents_review"
    INVESTIGATION = "investigation"
    ASSESSMENT = "assessment"
    PAYMENT = "payment"
    CLOSED = "closed"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"

    def __str__(self) -> str:
        return self.value

    @property
    def label_zh(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]

    def label(self, language: str) -> str:
        return self.label_en if language == "en" else self.label_zh


_LABELS = {
    ClaimStage.REPORTED: ("报案受理", "Reported"),
    ClaimStage.DOCUMENTS_REVIEW: ("材料审核", "Documents under review"),
    ClaimStage.INVESTIGATION: ("调查", "Investigation"),
    ClaimStage.ASSESSMENT: ("定损核赔", "Assessment and decision"),
    ClaimStage.PAYMENT: ("赔付", "Payment"),
    ClaimStage.CLOSED: ("结案", "Closed"),
    ClaimStage.DENIED: ("拒赔", "Denied"),
    ClaimStage.WITHDRAWN: ("撤案", "Withdrawn"),
}

_S = ClaimStage
# reported -> documents_review -> (investigation) -> assessment -> payment -> closed.
# Denied and withdrawn are side exits before payment starts; a denied claim is later closed.
ALLOWED_TRANSITIONS: dict[ClaimStage, frozenset[ClaimStage]] = {
    _S.REPORTED: frozenset({_S.DOCUMENTS_REVIEW, _S.DENIED, _S.WITHDRAWN}),
    _S.DOCUMENTS_REVIEW: frozenset({_S.INVESTIGATION, _S.ASSESSMENT, _S.DENIED, _S.WITHDRAWN}),
    _S.INVESTIGATION: frozenset({_S.ASSESSMENT, _S.DENIED, _S.WITHDRAWN}),
    _S.ASSESSMENT: frozenset({_S.PAYMENT, _S.DENIED, _S.WITHDRAWN}),
    _S.PAYMENT: frozenset({_S.CLOSED}),
    _S.DENIED: frozenset({_S.CLOSED}),
    _S.CLOSED: frozenset(),
    _S.WITHDRAWN: frozenset(),
}
OPEN_STAGES = frozenset(
    {_S.REPORTED, _S.DOCUMENTS_REVIEW, _S.INVESTIGATION, _S.ASSESSMENT, _S.PAYMENT}
)


class ClaimError(Exception):
    """Base of the errors the claim services raise."""


class ClaimNotFound(ClaimError):
    def __init__(self, number: str) -> None:
        super().__init__(f"claim {number} not found")
        self.number = number


class InvalidTransition(ClaimError):
    def __init__(self, number: str, from_stage: ClaimStage, to_stage: ClaimStage) -> None:
        allowed = ", ".join(sorted(s.value for s in ALLOWED_TRANSITIONS[from_stage])) or "none"
        super().__init__(
            f"claim {number} cannot move from {from_stage.value} to {to_stage.value} "
            f"(allowed: {allowed})"
        )
        self.number = number
        self.from_stage = from_stage
        self.to_stage = to_stage


def can_move(from_stage: ClaimStage | str, to_stage: ClaimStage | str) -> bool:
    return ClaimStage(to_stage) in ALLOWED_TRANSITIONS[ClaimStage(from_stage)]


class DocumentItem(NamedTuple):
    code: str
    label_zh: str
    label_en: str


class ClaimEventView(NamedTuple):
    from_stage: ClaimStage | None
    to_stage: ClaimStage
    at: datetime  # naive UTC
    actor: str
    note: str | None


@dataclass(frozen=True)
class ClaimView:
    """What the assistant may tell a verified customer about one claim. Datetimes: naive UTC."""

    number: str
    policy_number: str
    line_of_business: str
    customer_id: int
    stage: ClaimStage
    incident_type: str
    incident_at: datetime | None
    incident_place: str | None
    description: str | None
    injuries: bool
    estimated_amount: Decimal | None
    approved_amount: Decimal | None
    paid_amount: Decimal | None
    paid_at: datetime | None
    denial_reason_zh: str | None
    denial_reason_en: str | None
    denial_clause: str | None
    reported_at: datetime
    documents_completed_at: datetime | None
    language: str | None
    conversation_id: str | None
    missing_documents: tuple[DocumentItem, ...]
    events: tuple[ClaimEventView, ...]
    incident_time_precision: str | None = None  # exact, part_of_day, day, unknown
    # The customer's "documents later" promise (bot/documents/chase.py): a small claim's 24-hour
    # settlement clock starts from it when the documents are not complete yet.
    documents_promised_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


# A checklist item is still to come while missing, or once rejected (blurred, the wrong one):
# every reader of "what is outstanding" (status, chasing, completion) uses these.
OUTSTANDING_DOCUMENT_STATUSES = ("missing", "rejected")


def missing_documents(claim: Claim) -> tuple[DocumentItem, ...]:
    """Mandatory checklist items still outstanding that the insurer cannot fetch itself."""
    return tuple(
        DocumentItem(doc.code, doc.label_zh, doc.label_en)
        for doc in claim.documents
        if doc.mandatory and not doc.fetched_by_insurer
        and doc.status in OUTSTANDING_DOCUMENT_STATUSES
    )


def to_view(claim: Claim) -> ClaimView:
    """The read model of a loaded claim (call inside its unit of work)."""
    return ClaimView(
        number=claim.number,
        policy_number=claim.policy.number,
        line_of_business=claim.policy.line_of_business,
        customer_id=claim.policy.customer_id,
        stage=ClaimStage(claim.stage),
        incident_type=claim.incident_type,
        incident_at=claim.incident_at,
        incident_time_precision=claim.incident_time_precision,
        incident_place=claim.incident_place,
        description=claim.description,
        injuries=bool(claim.injuries),
        estimated_amount=claim.estimated_amount,
        approved_amount=claim.approved_amount,
        paid_amount=claim.paid_amount,
        paid_at=claim.paid_at,
        denial_reason_zh=claim.denial_reason_zh,
        denial_reason_en=claim.denial_reason_en,
        denial_clause=claim.denial_clause,
        reported_at=claim.reported_at,
        documents_completed_at=claim.documents_completed_at,
        language=claim.language,
        conversation_id=claim.conversation_id,
        missing_documents=missing_documents(claim),
        events=tuple(
            ClaimEventView(
                from_stage=ClaimStage(event.from_stage) if event.from_stage else None,
                to_stage=ClaimStage(event.to_stage),
                at=event.at,
                actor=event.actor,
                note=event.note,
            )
            for event in claim.events
        ),
        documents_promised_at=claim.documents_promised_at,
    )
