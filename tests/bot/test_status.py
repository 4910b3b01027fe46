"""Status replies per stage in both languages: stage, what the customer still owes (all at once),
what the insurer is doing, the binding deadline and whether it is kept, payment, refusal."""
from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta

import pytest

from bot.claims.deadlines import claim_deadlines
from bot.claims.lifecycle import advance_claim, claim_view
from bot.claims.model import ClaimStage
from bot.claims.status import describe_claim, describe_claims, describe_one, status_of_customer
from bot.clauses import clause_by_reference
from bot.replies import date_text, money, say
from bot.store.db import unit_of_work

S = ClaimStage
WATER, THEFT, HOSPITAL, COLLISION = (f"CLM-2026-{i:06d}" for i in (1, 2, 3, 4))
CJK = re.compile(r"[\u4e00-\u9fff]")
LANGS = ("zh", "en")


def _text(view, lang, now) -> str:
    return "\n".join(describe_claim(view, lang, now))


def _no_other_language(text: str, lang: str) -> None:
    if lang == "en":
        assert not CJK.search(text), text
    else:
        assert CJK.search(text)


@pytest.mark.parametrize("lang", LANGS)
def test_documents_review_names_every_missing_document_at_once(seeded_url, now, lang):
    view = claim_view(COLLISION, url=seeded_url)
    text = _text(view, lang, now)
    labels = [d.label_en if lang == "en" else d.label_zh for d in view.missing_documents]
    assert len(labels) == 2  # the liability record is fetched by the insurer: not asked for
    missing_lines = [line for line in text.splitlines() if all(label in line for label in labels)]
    assert len(missing_lines) == 1  # one message names them all
    assert say("stage.documents_review", lang) in text
    assert say("status_doing.waiting_documents", lang) in text
    # Documents not complete yet: the small-claim promise (3,200 CNY) that starts with them.
    assert say("status_promise_small", lang, hours=24) in text
    _no_other_language(text, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_reported_claim_is_being_picked_up_within_15_minutes(seeded_url, now, lang):
    view = dataclasses.replace(
        claim_view(COLLISION, url=seeded_url), stage=S.REPORTED, reported_at=now,
        events=claim_view(COLLISION, url=seeded_url).events[:1],
    )
    text = _text(view, lang, now + timedelta(minutes=5))
    assert say("stage.reported", lang) in text
    assert say("status_progress.ok", lang) in text
    assert ("15 minutes" if lang == "en" else "15 分钟") in text


@pytest.mark.parametrize("lang", LANGS)
def test_investigation_says_what_the_insurer_does_and_the_decision_deadline(seeded_url, now,
                                                                            lang):
    advance_claim(COLLISION, S.INVESTIGATION, actor="test", now=now, url=seeded_url)
    view = claim_view(COLLISION, url=seeded_url)
    text = _text(view, lang, now)
    assert say("stage.investigation", lang) in text
    assert say("status_doing.investigation", lang) in text
    binding = claim_deadlines(view, now).binding
    assert binding is not None and binding.rule_text(lang)[1:] in text
    assert say("status_progress.ok", lang) in text
    assert say("status_missing", lang, documents="x").split("x")[0] not in text


@pytest.mark.parametrize("lang", LANGS)
def test_assessment_deadline_on_time_then_late_then_escalated(seeded_url, now, lang):
    view = claim_view(HOSPITAL, url=seeded_url)
    settlement = claim_deadlines(view, now).clock("settlement")
    assert settlement is not None
    on_time = _text(view, lang, now)
    assert say("status_doing.assessment", lang) in on_time
    assert say("status_progress.ok", lang) in on_time
    assert settlement.rule_text(lang)[1:] in on_time  # names the due date and time
    late = _text(view, lang, settlement.due_at + timedelta(hours=1))
    assert say("status_progress.yellow", lang) in late
    # Past the red line: "escalated" only when an escalation record exists (bot.escalations).
    late = settlement.red_at + timedelta(hours=1)
    not_yet = _text(view, lang, late)
    assert say("status_progress.red_not_escalated", lang) in not_yet
    assert say("status_progress.red", lang) not in not_yet
    escalated = "\n".join(describe_claim(view, lang, late, escalated={"settlement"}))
    assert say("status_progress.red", lang) in escalated


@pytest.mark.parametrize("lang", LANGS)
def test_payment_stage_names_the_payment_deadline(seeded_url, now, lang):
    advance_claim(HOSPITAL, S.PAYMENT, actor="test", now=now, url=seeded_url)
    view = claim_view(HOSPITAL, url=seeded_url)
    text = _text(view, lang, now)
    assert say("status_doing.payment", lang) in text
    assert ("Time limit:" if lang == "en" else "时限：") in text


@pytest.mark.parametrize("lang", LANGS)
def test_payment_stage_says_the_agreed_amount(seeded_url, now, lang):
    """"赔多少钱？": once the amount is agreed, the status says it, not only that there is one."""
    with unit_of_work(seeded_url) as uow:
        uow.claims.by_number(HOSPITAL).approved_amount = 8650
        uow.commit()
    advance_claim(HOSPITAL, S.PAYMENT, actor="test", now=now, url=seeded_url)
    text = _text(claim_view(HOSPITAL, url=seeded_url), lang, now)
    assert money(8650, lang) in text
    assert say("status_doing.payment_amount", lang, amount=money(8650, lang)) in text


@pytest.mark.parametrize("lang", LANGS)
def test_paid_claim_states_amount_and_date_and_no_deadline(seeded_url, now, lang):
    view = claim_view(WATER, url=seeded_url)
    text = _text(view, lang, now)
    assert say("status_paid", lang, amount=money(view.paid_amount, lang),
               date=date_text(view.paid_at, lang)) in text
    assert say("stage.closed", lang) in text
    assert ("Time limit" if lang == "en" else "时限") not in text


@pytest.mark.parametrize("lang", LANGS)
def test_denied_claim_quotes_the_clause_and_gives_the_route_of_appeal(seeded_url, now, lang):
    view = claim_view(THEFT, url=seeded_url)
    text = _text(view, lang, now)
    clause = clause_by_reference("home", view.denial_clause)
    assert clause is not None and clause.number == 12
    assert clause.text(lang) in text and clause.plain(lang) in text
    assert clause.reference(lang) in text
    assert say("status_appeal", lang) in text
    assert ("agent" if lang == "en" else "转人工") in text  # a person is offered
    assert ("Time limit" if lang == "en" else "时限") not in text
    _no_other_language(text, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_withdrawn_claim_has_no_deadline(seeded_url, now, lang):
    advance_claim(COLLISION, S.WITHDRAWN, actor="test", now=now, url=seeded_url)
    text = _text(claim_view(COLLISION, url=seeded_url), lang, now)
    assert say("stage.withdrawn", lang) in text
    assert ("Time limit" if lang == "en" else "时限") not in text


@pytest.mark.parametrize("lang", LANGS)
def test_several_claims_are_listed_to_pick_from(seeded_url, now, lang):
    views = [claim_view(THEFT, url=seeded_url), claim_view(WATER, url=seeded_url)]
    text = describe_claims(views, lang, now)
    assert say("status_pick", lang, example=THEFT) in text
    assert THEFT in text and WATER in text
    assert say("status_appeal", lang) not in text  # details only for the one picked


def test_one_claim_is_told_in_full(seeded_url, now):
    view = claim_view(COLLISION, url=seeded_url)
    assert describe_claims([view], "zh", now).startswith(say("status_intro", "zh", count=1))
    assert describe_one(view, "en", now).endswith(say("status_next", "en"))
    assert describe_claims([], "en", now) == say("status_no_claims", "en")


def test_a_claim_of_someone_else_is_refused_and_audited(seeded_url, now):
    reply = status_of_customer("HOME-2026-0001", "en", actor="conversation:t1",
                               claim_number=COLLISION, url=seeded_url)
    assert not reply.found
    assert reply.text == say("status_unknown_claim", "en", claim_number=COLLISION)
    with unit_of_work(seeded_url) as uow:
        refused = [(e.subject_id, e.actor) for e in uow.audit.list(action="claim.read_refused")]
    assert refused == [(COLLISION, "conversation:t1")]


def test_the_named_claim_of_the_customer(seeded_url):
    reply = status_of_customer("HOME-2026-0001", "zh", actor="t", claim_number=THEFT,
                               url=seeded_url)
    assert reply.found and THEFT in reply.text and WATER not in reply.text


def test_deadline_wording_is_fixed_for_a_fixed_clock(seeded_url):
    view = claim_view(HOSPITAL, url=seeded_url)
    at = datetime(2026, 11, 22, 2, 0)
    assert _text(view, "en", at) == _text(view, "en", at)
    line = [ln for ln in _text(view, "en", at).splitlines() if ln.startswith("  Time limit:")]
    assert line and line[0].startswith("  Time limit: settle within 7 working days")
