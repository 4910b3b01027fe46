"""Satisfaction, whole: the 1-10 question a closed claim's notice asks, which claim a bare number
in the conversation that received it scores, parsing the answer and keeping it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.claims.model import ClaimError, ClaimNotFound, ClaimStage
from bot.clock import as_utc_naive
from bot.store.db import unit_of_work
from bot.store.models import SatisfactionScore

# Kinds of notice that ask the customer for a 1-10 satisfaction score (bot.outbox.notices).
SATISFACTION_KINDS = frozenset({"paid_closed", "closed"})

# --- keeping a score ---------------------------------------------------------------------------

class SatisfactionRefused(ClaimError):
    """A score for a claim that is not closed: the question is only asked at closing."""

    def __init__(self, number: str, stage: ClaimStage) -> None:
        super().__init__(f"claim {number} is {stage.value}, not closed: no score to record")
        self.number = number
        self.stage = stage


@dataclass(frozen=True)
class SatisfactionRecord:
    claim_number: str
    score: int
    actor: str
    answered_at: datetime
    previous_score: int | None  # the score this answer replaced, if any


def record_satisfaction(
    claim_number: str,
    score: int,
    actor: str,
    *,
    now: datetime | None = None,
    url: str | None = None,
) -> SatisfactionRecord:
    """Keep the customer's 1-10 answer to a closed claim's notice; a later answer replaces the
    earlier one (both are in the audit log).

    Raises ValueError for a score outside 1-10, ClaimNotFound, SatisfactionRefused.
    """
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 10:
        raise ValueError(f"a satisfaction score is a whole number from 1 to 10, not {score!r}")
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(claim_number)
        if claim is None:
            raise ClaimNotFound(claim_number)
        stage = ClaimStage(claim.stage)
        if stage is not ClaimStage.CLOSED:
            raise SatisfactionRefused(claim.number, stage)
        row = uow.satisfaction.for_claim(claim.id)
        previous = row.score if row is not None else None
        if row is None:
            row = SatisfactionScore(claim_id=claim.id, customer_id=claim.policy.customer_id)
            uow.satisfaction.add(row)
        row.score, row.actor, row.answered_at = score, actor, at
        uow.audit.record(actor, "claim.satisfaction", "claim", claim.number,
                         {"score": score, "previous": previous}, at=at)
        uow.commit()
        return SatisfactionRecord(claim.number, score, actor, at, previous)


_SCORE_ZH = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9, "十": 10}
_SCORE_ONLY = re.compile(r"^\s*(10|[1-9])\s*(分|points?|/\s*10|out of 10)?\s*[。.!！]?\s*$",
                         re.IGNORECASE)
_SCORE_ZH_ONLY = re.compile(r"^\s*([一二两三四五六七八九十])\s*分\s*[。.!！]?\s*$")


def parse_satisfaction_score(text: str) -> int | None:
    """A reply that is only a score: '9', '10分', '8/10', '九分', '满分'; None otherwise (so a
    sentence that happens to hold a number is never taken for a score)."""
    if text.strip() in ("满分", "满分。"):
        return 10
    match = _SCORE_ONLY.match(text)
    if match:
        return int(match.group(1))
    match = _SCORE_ZH_ONLY.match(text)
    return _SCORE_ZH[match.group(1)] if match else None


# --- the answer in the conversation -------------------------------------------------------------

# How long after the question a bare number is still taken as its answer.
SURVEY_OPEN_FOR = timedelta(days=7)

# Lead-ins a score often comes with ("打9分", "I'd give it 8"); what follows must be a score alone.
_LEAD_IN = re.compile(
    r"^\s*(?:(?:我|我们)?(?:打|给|給|评|評)(?:你们|你們|您)?(?:打)?"
    r"|(?:i'?d |i would |i |we )?give (?:it |you )?(?:a )?|(?:my )?(?:score|rating)(?: is|:)?)\s*",
    re.IGNORECASE,
)


def score_in(text: str) -> int | None:
    """The 1-10 score a reply consists of ('9', '10分', '打9分', "I'd give it 8"), else None."""
    score = parse_satisfaction_score(text)
    if score is None:
        score = parse_satisfaction_score(_LEAD_IN.sub("", text, count=1))
    return score


# A rating the customer gives unasked ("你们服务太差了，1分"): a low score or words of
# dissatisfaction make it a grievance, answered with the complaint and a person on offer.
_LOW_SCORE = re.compile(r"(?<!\d)(?:[0-4]|[零一二两三四])\s*(?:分|星|颗星|/\s*10|out of 10|stars?)",
                        re.IGNORECASE)
_DISSATISFIED = re.compile(
    r"(太差|很差|真差|差劲|差评|不满意|不满|垃圾|太烂|很烂|失望|糟糕|恶心|坑人|太慢|投诉你们|"
    r"\b(?:terrible|awful|horrible|useless|worst|rubbish|appalling|disappointed|disappointing|"
    r"unhappy|not happy|poor service|bad service|very bad|so bad)\b)",
    re.IGNORECASE,
)


def sounds_dissatisfied(text: str | None) -> bool:
    """Whether a message rates the service badly ("你们服务太差了，1分", "2/10, useless")."""
    from bot.language import to_simplified

    words = to_simplified(text or "")
    return bool(_DISSATISFIED.search(words) or _LOW_SCORE.search(words))


def open_survey(conversation_id: str, *, now: datetime | None = None,
                url: str | None = None) -> str | None:
    """The claim number of the latest satisfaction question delivered to this conversation in
    the last SURVEY_OPEN_FOR, or None. Only delivered questions count: a customer answers what
    they have seen."""
    since = as_utc_naive(now) - SURVEY_OPEN_FOR
    with unit_of_work(url) as uow:
        row = uow.notifications.latest_sent_of_kinds(conversation_id, sorted(SATISFACTION_KINDS),
                                                     since)
        return row.claim.number if row is not None and row.claim is not None else None


@dataclass(frozen=True)
class SurveyAnswer:
    outcome: str  # "recorded", "not_a_score" (a question is open) or "no_question"
    claim_number: str | None = None
    score: int | None = None


def answer_survey(conversation_id: str, text: str, actor: str, *,
                  now: datetime | None = None, url: str | None = None) -> SurveyAnswer:
    """Keep `text` as the score of the claim whose closing notice asked this conversation."""
    claim_number = open_survey(conversation_id, now=now, url=url)
    if claim_number is None:
        return SurveyAnswer("no_question")
    score = score_in(text)
    if score is None:
        return SurveyAnswer("not_a_score", claim_number)
    try:
        record_satisfaction(claim_number, score, actor, now=now, url=url)
    except SatisfactionRefused:  # reopened since the question: nothing to score now
        return SurveyAnswer("no_question")
    return SurveyAnswer("recorded", claim_number, score)
