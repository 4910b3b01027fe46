"""The 1-10 satisfaction question of a closed claim's notice, answered in the conversation that
received it: which claim a bare number scores, and keeping the answer (bot.notify)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.clock import as_utc_naive
from bot.notify import (
    SATISFACTION_KINDS,
    SatisfactionRefused,
    parse_satisfaction_score,
    record_satisfaction,
)
from bot.store.db import unit_of_work
from bot.store.models import Notification

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


def open_survey(conversation_id: str, *, now: datetime | None = None,
                url: str | None = None) -> str | None:
    """The claim number of the latest satisfaction question delivered to this conversation in
    the last SURVEY_OPEN_FOR, or None. Only delivered questions count: a customer answers what
    they have seen."""
    since = as_utc_naive(now) - SURVEY_OPEN_FOR
    query = (
        select(Notification)
        .where(Notification.conversation_id == conversation_id)
        .where(Notification.kind.in_(sorted(SATISFACTION_KINDS)))
        .where(Notification.status == "sent")
        .where(Notification.sent_at >= since)
        .order_by(Notification.sent_at.desc(), Notification.id.desc())
        .limit(1)
    )
    with unit_of_work(url) as uow:
        row = uow.session.execute(query).scalars().first()
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
