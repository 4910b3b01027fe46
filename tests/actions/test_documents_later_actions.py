""""我稍后补材料" / "I'll send them later" in the documents journey (actions/documents.py): the
promise is recorded on the claim with the customer's words and time, a document_chase task is
due 24 hours later, and the customer is told what happens next; without a claim of theirs
waiting for documents the ordinary documents answer is given."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine

from actions.documents import ActionAnswerDocuments
from bot.replies import say
from bot.store.db import unit_of_work
from bot.tasks import list_tasks
from tests.support.actions import make_tracker, run_action

NUMBER = "CLM-2026-000004"  # 张伟's collision: driving licence and repair invoice missing
ZHANG = {"verified": True, "customer_id": 1, "customer_name": "张伟",
         "policy_number": "AUTO-2026-0001"}
MOMENT = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)


def _promise_on_file():
    with unit_of_work() as uow:
        claim = uow.claims.by_number(NUMBER)
        return claim.documents_promised_at, claim.documents_promise_words


def test_the_claim_just_reported_gets_the_promise(claims_store, domain):
    tracker = make_tracker("我稍后补材料", "ask_documents", sender_id="tg-later",
                           slots={**ZHANG, "last_claim_number": NUMBER})
    with time_machine.travel(MOMENT, tick=False):
        texts, events = run_action(ActionAnswerDocuments(), tracker, domain)
    assert events == [] and len(texts) == 1
    assert NUMBER in texts[0] and "驾驶证" in texts[0] and "24 小时内审核赔付" in texts[0]
    assert _promise_on_file() == (MOMENT.replace(tzinfo=None), "我稍后补材料")
    [task] = list_tasks(claim_number=NUMBER)
    assert task.kind == "document_chase" and task.conversation_id == "tg-later"
    assert task.due_at == MOMENT.replace(tzinfo=None) + timedelta(hours=24)


def test_a_verified_customer_promises_for_their_open_claim_in_english(claims_store, domain):
    tracker = make_tracker("I'll send them later", "ask_documents", sender_id="web-later",
                           slots={**ZHANG, "language": "en"})
    with time_machine.travel(MOMENT, tick=False):
        texts, _ = run_action(ActionAnswerDocuments(), tracker, domain)
    assert texts[0].startswith("OK, your promise is noted: claim " + NUMBER)
    assert _promise_on_file()[1] == "I'll send them later"


def test_without_a_claim_waiting_the_documents_answer_is_given(claims_store, domain):
    tracker = make_tracker("我稍后补材料", "ask_documents", sender_id="anon-later")
    texts, _ = run_action(ActionAnswerDocuments(), tracker, domain)
    assert texts and say("documents_later_recorded", "zh", claim_number="x", documents="y",
                         due="z")[:6] not in texts[0]
    assert _promise_on_file() == (None, None)
    assert list_tasks(claim_number=NUMBER) == []


def test_inside_a_report_form_no_earlier_claim_gets_the_promise(claims_store, domain):
    tracker = make_tracker("对，材料我稍后补", "ask_documents", sender_id="form-later",
                           slots={**ZHANG, "last_claim_number": NUMBER},
                           active_loop="report_form")
    texts, _ = run_action(ActionAnswerDocuments(), tracker, domain)
    assert texts and _promise_on_file() == (None, None)
    assert list_tasks(claim_number=NUMBER) == []


def test_the_small_claim_notice_teaches_words_that_are_read_as_the_promise():
    import re

    from bot.documents.chase import says_documents_later

    for lang, quote in (("zh", "“([^”]+)”"), ("en", '"([^"]+)"')):
        [words] = re.findall(quote, say("notice_small_claim", lang, limit="5,000"))
        assert says_documents_later(words), words
