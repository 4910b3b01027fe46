"""A bare score in the conversation that received a closed claim's satisfaction question."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.claims.lifecycle import advance_claim
from bot.claims.model import ClaimStage
from bot.outbox.delivery import deliver_pending
from bot.outbox.satisfaction import answer_survey, open_survey, score_in
from bot.store.db import unit_of_work
from bot.store.models import Claim, SatisfactionScore

HOSPITAL = "CLM-2026-000003"


def _close_hospital_claim(url, now, conversation="web-42", channel="webchat"):
    with unit_of_work(url) as uow:
        uow.session.execute(update(Claim).where(Claim.number == HOSPITAL)
                            .values(conversation_id=conversation, channel=channel))
        uow.commit()
    advance_claim(HOSPITAL, ClaimStage.PAYMENT, actor="test", now=now, url=url)
    advance_claim(HOSPITAL, ClaimStage.CLOSED, actor="test", now=now, url=url)


@pytest.mark.parametrize("text,score", [
    ("9", 9), ("10分", 10), ("打9分", 9), ("给你们打7分", 7), ("評9分", 9), ("8/10", 8),
    ("I'd give it 9", 9), ("my score is 6", 6), ("8 out of 10", 8),
    ("0003", None), ("1234", None), ("11", None), ("我打算明天去医院", None), ("9点见", None),
])
def test_score_in(text, score):
    assert score_in(text) == score


def test_only_a_delivered_question_is_open(seeded_url, now):
    _close_hospital_claim(seeded_url, now)
    assert open_survey("web-42", now=now, url=seeded_url) is None  # queued, not yet seen
    deliver_pending({"webchat": lambda notice: None}, now=now, url=seeded_url)
    assert open_survey("web-42", now=now, url=seeded_url) == HOSPITAL
    assert open_survey("web-other", now=now, url=seeded_url) is None
    assert open_survey("web-42", now=now + timedelta(days=8), url=seeded_url) is None


def test_score_recorded_for_the_conversation_claim(seeded_url, now):
    _close_hospital_claim(seeded_url, now)
    deliver_pending({"webchat": lambda notice: None}, now=now, url=seeded_url)
    assert answer_survey("web-42", "哈哈", "conversation:web-42", now=now,
                         url=seeded_url).outcome == "not_a_score"
    answer = answer_survey("web-42", "打9分", "conversation:web-42", now=now, url=seeded_url)
    assert (answer.outcome, answer.claim_number, answer.score) == ("recorded", HOSPITAL, 9)
    with unit_of_work(seeded_url) as uow:
        scores = [(row.score, row.actor) for row in uow.session.query(SatisfactionScore)]
    assert scores == [(9, "conversation:web-42")]


def test_a_number_without_a_question_records_nothing(seeded_url, now):
    assert answer_survey("web-42", "9", "t", now=now, url=seeded_url).outcome == "no_question"
    with unit_of_work(seeded_url) as uow:
        assert uow.session.query(SatisfactionScore).count() == 0
