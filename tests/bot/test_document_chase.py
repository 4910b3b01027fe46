"""Documents later and missing-document chasing (issue 14, items 2 and 4): the customer's promise
is recorded with its words and time and starts the clock; reminders at the configured days name
only what the first notice named or what was rejected since, in the customer's language, and stop
when the checklist is complete; re-requests are counted per claim."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from bot.claims.deadlines import deadline_clocks
from bot.claims.lifecycle import claim_view
from bot.cli import main as cli
from bot.documents.chase import (
    PROMISE_CLOCK,
    chase_missing_documents,
    chaseable,
    promise_reply,
    record_documents_promise,
    reminder_text,
    rerequest_figures,
    rerequested,
    says_documents_later,
)
from bot.outbox.notices import list_notices
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Claim, ClaimDocument, Customer, Policy
from bot.tasks import list_tasks

NUMBER = "CLM-2026-000004"  # 张伟's collision: driving licence and repair invoice missing
REPORTED = datetime(2026, 11, 19, 2, 15)
NOW = datetime(2026, 11, 22, 2, 0)
DAYS = (3, 7, 14)


@pytest.mark.parametrize("text", [
    "我稍后补材料", "材料我过几天再交", "先赔后补吧", "发票明天发给你们", "稍後補資料",
    "I'll send them later", "I will send the documents later", "documents to follow",
    "can I send the papers later?",
])
def test_a_promise_to_send_later_is_recognised(text: str) -> None:
    assert says_documents_later(text)


@pytest.mark.parametrize("text", [
    "需要什么材料", "我要补交材料", "材料发给你了", "我没法补交材料", "what documents do I need",
    "I can't send them later", "", None, "后面发现后保险杠也坏了", "之后交警来了，开了事故证明",
    "I'll get to the hospital later", "明天再说吧",
])
def test_other_words_about_documents_are_no_promise(text) -> None:
    assert not says_documents_later(text)


def _set_conversation(url: str, conversation: str = "tg-zhang", language: str = "zh") -> None:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(NUMBER)
        claim.conversation_id, claim.language = conversation, language
        for doc in claim.documents:
            doc.first_notice = True
        uow.commit()


def test_the_promise_is_recorded_with_words_and_time_and_a_chase_due_24_hours_later(
        seeded_url: str) -> None:
    _set_conversation(seeded_url)
    first = record_documents_promise(NUMBER, "我稍后补材料", actor="conversation:tg-zhang",
                                     now=NOW, url=seeded_url)
    assert first.recorded and first.first_promise and first.small_claim
    assert first.chase_due_at == NOW + PROMISE_CLOCK
    assert {item.code for item in first.items} == {"driving_licence", "repair_invoice"}
    later = record_documents_promise(NUMBER, "明天一定发", actor="conversation:tg-zhang",
                                     now=NOW + timedelta(hours=3), url=seeded_url)
    assert later.recorded and not later.first_promise
    assert later.promised_at == NOW and later.words == "我稍后补材料"  # the clock stays
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(NUMBER)
        assert claim.documents_promised_at == NOW
        assert claim.documents_promise_words == "我稍后补材料"
        actions = [entry.action for entry in uow.audit.for_subject("claim", NUMBER)]
        assert actions.count("claim.documents_promised") == 2
    [task] = list_tasks(claim_number=NUMBER, url=seeded_url)
    assert task.kind == "document_chase" and task.due_at == NOW + PROMISE_CLOCK
    assert task.detail["words"] == "我稍后补材料" and task.conversation_id == "tg-zhang"
    text = promise_reply(first, "zh")
    assert "驾驶证" in text and "24 小时内审核赔付" in text and "联系您" not in text


def test_a_small_claims_24_hour_clock_starts_at_the_promise(seeded_url: str) -> None:
    before = {clock.name for clock in deadline_clocks(claim_view(NUMBER, url=seeded_url), NOW)}
    assert "settlement" not in before  # documents not complete: no settlement clock yet
    record_documents_promise(NUMBER, "先赔后补", actor="t", now=NOW, url=seeded_url)
    view = claim_view(NUMBER, url=seeded_url)
    clocks = {clock.name: clock for clock in deadline_clocks(view, NOW)}
    settlement = clocks["settlement"]
    assert settlement.started_at == NOW and settlement.due_at == NOW + timedelta(hours=24)
    assert "decision" not in clocks  # the legal clocks still wait for complete documents


def test_nothing_to_promise_when_the_checklist_is_complete(seeded_url: str) -> None:
    result = record_documents_promise("CLM-2026-000003", "我稍后补", actor="t", now=NOW,
                                      url=seeded_url)
    assert not result.recorded and list_tasks(claim_number="CLM-2026-000003",
                                              url=seeded_url) == []
    assert promise_reply(result, "en") == say("documents_later_nothing_missing", "en",
                                              claim_number="CLM-2026-000003")
    with unit_of_work(seeded_url) as uow:  # a decided claim takes no documents any more
        uow.claims.by_number(NUMBER).stage = "denied"
        uow.commit()
    closed = record_documents_promise(NUMBER, "我稍后补", actor="t", now=NOW, url=seeded_url)
    assert not closed.recorded and closed.items
    assert promise_reply(closed, "zh") == say("documents_later_not_open", "zh",
                                              claim_number=NUMBER)


def _reminders(url: str) -> list:
    return [n for n in list_notices(claim_number=NUMBER, url=url)
            if n.kind == "documents_reminder"]


def test_reminders_fall_due_on_the_configured_days_once_each(seeded_url: str) -> None:
    _set_conversation(seeded_url)
    assert chase_missing_documents(REPORTED + timedelta(days=2), days=DAYS,
                                   url=seeded_url).reminded == []
    day3 = REPORTED + timedelta(days=3, minutes=1)
    assert chase_missing_documents(day3, days=DAYS, url=seeded_url).reminded == [NUMBER]
    assert chase_missing_documents(day3 + timedelta(hours=1), days=DAYS,
                                   url=seeded_url).reminded == []  # the next round: nothing
    [reminder] = _reminders(seeded_url)
    assert reminder.conversation_id == "tg-zhang" and reminder.language == "zh"
    assert "驾驶证" in reminder.body and "维修发票" in reminder.body
    assert "交通事故责任认定书" not in reminder.body  # fetched by us: never asked of the customer
    day7 = REPORTED + timedelta(days=7, minutes=1)
    assert chase_missing_documents(day7, days=DAYS, url=seeded_url).reminded == [NUMBER]
    report = chase_missing_documents(REPORTED + timedelta(days=14, minutes=1), days=DAYS,
                                     url=seeded_url)
    assert report.reminded == [NUMBER] and report.tasks == [NUMBER]
    assert len(_reminders(seeded_url)) == 3
    [task] = list_tasks(claim_number=NUMBER, url=seeded_url)
    assert task.kind == "document_chase" and task.detail["reminders"] == 3


def test_a_reminder_names_only_the_first_notices_items_in_the_customers_language(
        seeded_url: str) -> None:
    _set_conversation(seeded_url, language="en")
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(NUMBER)
        claim.documents.append(ClaimDocument(
            code="police_report", label_zh="公安报案回执", label_en="Police report receipt",
            mandatory=True, fetched_by_insurer=False, status="missing", first_notice=False))
        uow.commit()
    chase_missing_documents(REPORTED + timedelta(days=3, minutes=1), days=DAYS, url=seeded_url)
    [reminder] = _reminders(seeded_url)
    assert reminder.language == "en" and "Driving licence" in reminder.body
    assert "Police report" not in reminder.body  # added after the first notice: no surprise


def test_the_promise_brings_a_reminder_24_hours_after_it(seeded_url: str) -> None:
    _set_conversation(seeded_url)
    promised = REPORTED + timedelta(hours=1)
    record_documents_promise(NUMBER, "我稍后补材料", actor="t", now=promised, url=seeded_url)
    assert chase_missing_documents(promised + timedelta(hours=23), days=DAYS,
                                   url=seeded_url).reminded == []
    assert chase_missing_documents(promised + timedelta(hours=24), days=DAYS,
                                   url=seeded_url).reminded == [NUMBER]


def test_the_chase_stops_when_the_checklist_is_complete(seeded_url: str) -> None:
    _set_conversation(seeded_url)
    record_documents_promise(NUMBER, "我稍后补材料", actor="t", now=NOW, url=seeded_url)
    with unit_of_work(seeded_url) as uow:
        for doc in uow.claims.by_number(NUMBER).documents:
            if doc.status == "missing" and not doc.fetched_by_insurer:
                doc.status, doc.received_at = "received", NOW
        uow.commit()
    report = chase_missing_documents(NOW + timedelta(days=20), days=DAYS, url=seeded_url)
    assert report.reminded == [] and report.complete == [NUMBER]
    assert _reminders(seeded_url) == []
    [task] = list_tasks(claim_number=NUMBER, status="all", url=seeded_url)
    assert task.status == "cancelled"


def _claim_in_memory(*docs: ClaimDocument) -> Claim:
    customer = Customer(name="张伟", preferred_language="zh")
    policy = Policy(number="AUTO-2026-0001", customer=customer, product_name_zh="机动车险",
                    product_name_en="Motor")
    return Claim(number="CLM-2026-000099", policy=policy, language="zh",
                 documents=list(docs))


def _doc(code: str, status: str = "missing", first_notice: bool | None = True,
         **fields) -> ClaimDocument:
    return ClaimDocument(code=code, label_zh=code, label_en=code, mandatory=True,
                         fetched_by_insurer=False, status=status, first_notice=first_notice,
                         **fields)


def test_a_rejected_item_is_named_again_and_the_claim_counts_as_re_requested() -> None:
    """'rejected' (with its reason) is the document API's status, built beside this part."""
    claim = _claim_in_memory(_doc("id_card", "rejected"), _doc("invoice"),
                             _doc("photos", "received"), _doc("added", first_notice=False))
    assert [doc.code for doc in chaseable(claim)] == ["id_card", "invoice"]
    text = reminder_text(claim, chaseable(claim), "zh")
    assert "id_card" + say("documents_reminder_again", "zh") in text
    assert "added" not in text
    assert rerequested(claim)


def test_only_a_request_again_counts_as_a_re_request() -> None:
    assert not rerequested(_claim_in_memory(_doc("a"), _doc("b", "received")))
    assert not rerequested(_claim_in_memory(_doc("a", first_notice=None)))  # not known: none
    assert rerequested(_claim_in_memory(_doc("a"), _doc("b", first_notice=None)))  # added
    assert rerequested(_claim_in_memory(_doc("a", "received", rerequested_at=NOW)))


def test_the_re_request_figure_and_the_cli(seeded_url: str, capsys) -> None:
    figures = rerequest_figures(url=seeded_url)
    assert figures["claims"] == 4 and figures["rerequested"] == 0 and figures["meets_target"]
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(NUMBER)
        for doc in claim.documents:
            doc.first_notice = doc.code != "repair_invoice"  # added after the first notice
        uow.commit()
    assert cli(["--db-url", seeded_url, "documents", "rerequests", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rerequested"] == 1 and out["share"] == 0.25 and out["target"] == 0.1
    assert out["meets_target"] is False and out["claim_numbers"] == [NUMBER]
    assert out["baseline"] == 0.38


def test_the_chase_cli_runs_one_round(seeded_url: str, capsys) -> None:
    _set_conversation(seeded_url)
    assert cli(["--db-url", seeded_url, "documents", "chase", "--now",
                "2026-11-22T10:30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reminded"] == [NUMBER] and out["checked"] == 1
    assert cli(["--db-url", seeded_url, "documents", "chase", "--now", "nonsense"]) == 2


def test_the_reminder_days_come_from_settings() -> None:
    from bot.settings import Settings

    assert Settings.from_env({"CLAIMS_DOCUMENT_REMINDER_DAYS": "7, 2,0"}).document_reminder_days \
        == (2, 7)
    assert Settings.from_env({}).document_reminder_days == DAYS
    assert Settings.from_env({"CLAIMS_DOCUMENT_CHASE_MINUTES": "0"}) \
        .document_chase_interval_minutes == 0


def test_an_amount_is_not_needed_for_the_promise(seeded_url: str) -> None:
    with unit_of_work(seeded_url) as uow:
        uow.claims.by_number(NUMBER).estimated_amount = Decimal("80000")
        uow.commit()
    result = record_documents_promise(NUMBER, "I'll send them later", actor="t", now=NOW,
                                      url=seeded_url)
    assert result.recorded and not result.small_claim
    assert promise_reply(result, "en").startswith("OK, noted")
    names = {clock.name for clock in deadline_clocks(claim_view(NUMBER, url=seeded_url), NOW)}
    assert "settlement" not in names  # only a small claim's clock starts at the promise
