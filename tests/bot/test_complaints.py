"""Complaints: what the record holds, the reference, the clocks, repeats, outcomes, the CLI."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from bot.claims.deadlines import ClockStatus
from bot.cli import main
from bot.complaints import (
    ComplaintClosed,
    ComplaintError,
    NewComplaint,
    acknowledge,
    classify_about,
    complaint_clocks,
    get_complaint,
    list_complaints,
    parse_contact_phone,
    parse_person_name,
    receipt_text,
    record_complaint,
    record_outcome,
    same_matter,
    set_complexity,
)
from bot.replies import say
from bot.store.db import unit_of_work
from bot.tasks import list_tasks

NOW = datetime(2026, 11, 22, 2, 0)  # naive UTC


def _anonymous(**overrides) -> NewComplaint:
    fields = dict(subject="理赔员态度很差", facts="说好三天回电话，一周了都没人联系我",
                  request="请尽快处理并道歉", complainant_name="王小明",
                  complainant_phone="139 1234 5678", channel="webchat", language="zh",
                  conversation_id="web-abc")
    fields.update(overrides)
    return NewComplaint(**fields)


def test_an_unverified_complaint_records_what_the_rules_require(seeded_url):
    view = record_complaint(_anonymous(), now=NOW, url=seeded_url)
    assert view.reference == "CMP-2026-000001"
    assert view.complainant_name == "王小明" and view.complainant_phone == "13912345678"
    assert view.phone_masked == "139****5678"
    assert view.customer_id is None and view.about_kind == "staff"
    assert view.subject == "理赔员态度很差" and view.request == "请尽快处理并道歉"
    assert view.facts.startswith("说好三天") and view.channel == "webchat"
    assert view.received_at == NOW and view.status == "received"
    assert view.conversation_id == "web-abc" and view.language == "zh"
    assert not view.repeated
    with unit_of_work(seeded_url) as uow:
        actions = [e.action for e in uow.audit.for_subject("complaint", view.reference)]
    assert actions == ["complaint.received"]


def test_references_count_up(seeded_url):
    first = record_complaint(_anonymous(), now=NOW, url=seeded_url)
    second = record_complaint(_anonymous(subject="APP 老是闪退", facts="上传材料时闪退",
                                         complainant_phone="13700000000"),
                              now=NOW, url=seeded_url)
    assert (first.reference, second.reference) == ("CMP-2026-000001", "CMP-2026-000002")


def test_an_unverified_complainant_must_leave_a_name_and_a_phone(seeded_url):
    with pytest.raises(ComplaintError):
        record_complaint(_anonymous(complainant_phone="12"), url=seeded_url)
    with pytest.raises(ComplaintError):
        record_complaint(_anonymous(complainant_name=None), url=seeded_url)


def test_a_verified_customer_is_known_and_only_their_own_claim_is_linked(seeded_url):
    own = record_complaint(NewComplaint(subject="CLM-2026-000004 一直让我补材料",
                                        facts="同样的材料要我交三遍",
                                        policy_number="AUTO-2026-0001"),
                           now=NOW, url=seeded_url)
    assert own.customer_id is not None and own.complainant_name == "张伟"
    assert own.about_kind == "claim" and own.claim_number == "CLM-2026-000004"
    other = record_complaint(NewComplaint(subject="CLM-2026-000002 太慢",
                                          policy_number="AUTO-2026-0001"),
                             now=NOW, url=seeded_url)
    with unit_of_work(seeded_url) as uow:
        assert uow.complaints.by_reference(other.reference).claim_id is None
    assert other.claim_number == "CLM-2026-000002"  # kept in the words, not linked


def test_clocks_acknowledge_in_48_hours_and_decide_in_15_30_or_60_days():
    ack, decision = complaint_clocks(NOW, "standard", None, None, NOW)
    assert ack.due_at == NOW + timedelta(hours=48) and ack.status is ClockStatus.OK
    assert decision.due_at == NOW + timedelta(days=15)
    assert complaint_clocks(NOW, "complex", None, None, NOW)[1].due_at == NOW + timedelta(days=30)
    assert complaint_clocks(NOW, "extended", None, None, NOW)[1].due_at == NOW + timedelta(days=60)
    ack, _ = complaint_clocks(NOW, "standard", None, None, NOW + timedelta(hours=40))
    assert ack.status is ClockStatus.YELLOW
    ack, decision = complaint_clocks(NOW, "standard", None, None, NOW + timedelta(days=16))
    assert ack.status is ClockStatus.OVERDUE and decision.status is ClockStatus.OVERDUE
    ack, _ = complaint_clocks(NOW, "standard", NOW + timedelta(hours=50), None,
                              NOW + timedelta(days=3))
    assert ack.status is ClockStatus.MET and ack.late


def test_complexity_extends_and_the_longest_extension_tells_the_customer(seeded_url):
    view = record_complaint(_anonymous(), now=NOW, url=seeded_url)
    complex_view, notice = set_complexity(view.reference, "complex", "agent:a1", now=NOW,
                                          url=seeded_url)
    assert complex_view.decision.due_at == NOW + timedelta(days=30) and notice is None
    extended, notice = set_complexity(view.reference, "extended", "agent:a1", now=NOW,
                                      url=seeded_url)
    assert extended.decision.due_at == NOW + timedelta(days=60)
    assert notice.conversation_id == "web-abc" and view.reference in notice.text
    assert "2027年1月21日" in notice.text
    with pytest.raises(ComplaintError):
        set_complexity(view.reference, "standard", "agent:a1", url=seeded_url)


def test_the_same_matter_again_is_linked_to_the_first_complaint(seeded_url):
    first = record_complaint(_anonymous(), now=NOW, url=seeded_url)
    again = record_complaint(_anonymous(subject="理赔员态度差",
                                        facts="一周了都没人联系我，电话也不回",
                                        conversation_id="web-other"),
                             now=NOW + timedelta(days=2), url=seeded_url)
    third = record_complaint(_anonymous(subject="还是那个理赔员", facts="一周了都没人联系我"),
                             now=NOW + timedelta(days=4), url=seeded_url)
    assert again.repeated and again.repeat_of == first.reference
    assert third.repeat_of == first.reference  # always the first, never a chain
    other_matter = record_complaint(_anonymous(subject="APP 上传照片老是闪退",
                                               facts="安卓手机上传材料照片就闪退"),
                                    now=NOW, url=seeded_url)
    assert not other_matter.repeated
    someone_else = record_complaint(_anonymous(complainant_phone="13700000000"),
                                    now=NOW, url=seeded_url)
    assert not someone_else.repeated
    assert say("complaint_repeat", "zh", first=first.reference) in receipt_text(again, "zh")


def test_the_same_claim_is_the_same_matter_for_a_verified_customer(seeded_url):
    first = record_complaint(NewComplaint(subject="CLM-2026-000004", facts="太慢",
                                          policy_number="AUTO-2026-0001"), now=NOW,
                             url=seeded_url)
    again = record_complaint(NewComplaint(subject="还是 CLM-2026-000004 的事",
                                          facts="材料交了三遍", policy_number="AUTO-2026-0001"),
                             now=NOW, url=seeded_url)
    assert again.repeat_of == first.reference


def test_same_matter_rules():
    assert same_matter("CLM-2026-000004", "x", "CLM-2026-000004", "y")
    assert not same_matter("CLM-2026-000004", "理赔员态度差", "CLM-2026-000003", "理赔员态度差")
    assert same_matter(None, "The adjuster never called me back", None,
                       "adjuster never called back after the accident")
    assert not same_matter(None, "app crashes on upload", None, "adjuster was rude")


def test_acknowledge_and_outcome_with_the_customers_answer(seeded_url):
    view = record_complaint(_anonymous(), now=NOW, url=seeded_url)
    acked = acknowledge(view.reference, "agent:a1", now=NOW + timedelta(hours=1), url=seeded_url)
    assert acked.status == "acknowledged" and acked.acknowledge.status is ClockStatus.MET
    decided, notice = record_outcome(view.reference, "已向您道歉，理赔员已调岗", True, "agent:a1",
                                     now=NOW + timedelta(days=2), url=seeded_url)
    assert decided.status == "closed" and decided.accepted is True
    assert decided.decision.status is ClockStatus.MET and decided.decided_by == "agent:a1"
    assert notice.text == say("complaint_outcome_accepted", "zh", reference=view.reference,
                              outcome="已向您道歉，理赔员已调岗")
    assert notice.channel == "webchat" and notice.conversation_id == "web-abc"
    other = record_complaint(_anonymous(subject="app 上传失败", facts="照片传不上去"),
                             now=NOW, url=seeded_url)
    _, notice = record_outcome(other.reference, "维持原结论", False, "agent:a1", url=seeded_url)
    assert "调解" in notice.text
    third = record_complaint(_anonymous(subject="电话打不通", facts="客服热线一直占线"),
                             now=NOW, url=seeded_url)
    undecided, _ = record_outcome(third.reference, "维持原结论", None, "agent:a1", url=seeded_url)
    assert undecided.status == "decided" and undecided.accepted is None
    assert get_complaint(third.reference, url=seeded_url).outcome == "维持原结论"


def test_a_complaint_with_its_outcome_is_not_given_a_second_one(seeded_url):
    """Outside tester: two contradicting outcomes on one complaint, both told the customer."""
    view = record_complaint(_anonymous(), now=NOW, url=seeded_url)
    record_outcome(view.reference, "已道歉并调岗", True, "agent:a1", now=NOW, url=seeded_url)
    with pytest.raises(ComplaintClosed):
        record_outcome(view.reference, "维持原结论", False, "agent:a1", url=seeded_url)
    assert get_complaint(view.reference, url=seeded_url).outcome == "已道歉并调岗"
    # Decided with the customer's answer not yet known: the answer is recorded on the same
    # outcome, a different outcome is refused; once answered, nothing more.
    other = record_complaint(_anonymous(subject="电话打不通", facts="客服热线一直占线"),
                             now=NOW, url=seeded_url)
    record_outcome(other.reference, "已增加坐席", None, "agent:a1", now=NOW, url=seeded_url)
    with pytest.raises(ComplaintClosed):
        record_outcome(other.reference, "不予处理", None, "agent:a1", url=seeded_url)
    answered, _ = record_outcome(other.reference, "已增加坐席", False, "agent:a1",
                                 url=seeded_url)
    assert answered.status == "decided" and answered.accepted is False
    with pytest.raises(ComplaintClosed):
        record_outcome(other.reference, "已增加坐席", True, "agent:a1", url=seeded_url)


def test_the_call_back_task_closes_when_the_complaint_is_taken_on_or_decided(seeded_url):
    first = record_complaint(_anonymous(), now=NOW, url=seeded_url)
    second = record_complaint(_anonymous(subject="电话打不通", facts="客服热线一直占线"),
                              now=NOW, url=seeded_url)
    for view in (first, second):
        [task] = list_tasks(complaint_reference=view.reference, url=seeded_url)
        assert task.kind == "complaint_callback" and task.status == "open"
    acknowledge(first.reference, "agent:a1", now=NOW + timedelta(hours=1), url=seeded_url)
    record_outcome(second.reference, "已增加坐席", True, "agent:a1",
                   now=NOW + timedelta(hours=2), url=seeded_url)
    assert list_tasks(complaint_reference=first.reference, url=seeded_url) == []
    assert list_tasks(complaint_reference=second.reference, url=seeded_url) == []
    [done] = list_tasks(status="cancelled", complaint_reference=first.reference, url=seeded_url)
    assert done.kind == "complaint_callback" and "acknowledged" in done.outcome


def test_the_complainant_keeps_their_own_name_and_phone_beside_the_holders_policy(seeded_url):
    """Outside tester: someone other than the holder complained about the holder's policy and
    was recorded under the holder's name and phone."""
    view = record_complaint(NewComplaint(
        subject="理赔员不回电话", policy_number="AUTO-2026-0001", complainant_name="赵六",
        complainant_phone="13900001111", channel="hotline", source="hotline"),
        now=NOW, url=seeded_url)
    assert view.complainant_name == "赵六" and view.complainant_phone == "13900001111"
    assert view.customer_id is not None  # the policy's holder stays linked
    with pytest.raises(ComplaintError):
        record_complaint(NewComplaint(subject="x", policy_number="AUTO-2026-0001",
                                      complainant_phone="abc", source="hotline"),
                         now=NOW, url=seeded_url)
    with pytest.raises(ComplaintError):  # a date of birth is never a phone
        record_complaint(_anonymous(complainant_phone="1985-04-12"), now=NOW, url=seeded_url)


def test_receipt_names_reference_deadlines_and_next_step(seeded_url):
    view = record_complaint(_anonymous(language="en"), now=NOW, url=seeded_url)
    text = receipt_text(view, "en")
    assert view.reference in text and "48 hours" in text and "15 days" in text
    assert "24 Nov 2026 10:00" in text and "7 Dec 2026 10:00" in text
    assert say("complaint_next", "en") in text


@pytest.mark.parametrize("text, expected", [
    ("13912345678", "13912345678"), ("139 1234 5678", "13912345678"),
    ("+86 139-1234-5678", "13912345678"), ("电话 021-12345678", "02112345678"),
    ("１３９１２３４５６７８", "13912345678"), ("12", None), ("no phone", None),
    ("13912345678 或 13800000000", None),
    # Outside tester: a date of birth or a policy number is never a phone.
    ("1985-04-12", None), ("19850412", None), ("1985/4/12", None), ("AUTO-2026-0001", None),
    ("12345678", None), ("12345678901", None), ("+44 20 7946 0958", "+442079460958"),
    ("0086 139 1234 5678", "13912345678"),
])
def test_contact_phone(text, expected):
    assert parse_contact_phone(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("王小明", "王小明"), ("我叫王小明", "王小明"), ("My name is John Smith", "John Smith"),
    ("13912345678", None), ("😀", None), ("", None), ("x" * 60, None),
    # Outside tester: a policy number, a claim number or a date is never a name.
    ("AUTO-2026-0001", None), ("我叫AUTO-2026-0001", None), ("CLM-2026-000004", None),
    ("1985年4月12日", None),
])
def test_person_name(text, expected):
    assert parse_person_name(text) == expected


def test_what_a_complaint_is_about():
    assert classify_about("CLM-2026-000004 太慢") == ("claim", "CLM-2026-000004")
    assert classify_about("查勘员迟到") == ("staff", None)
    assert classify_about("材料审核太慢") == ("stage", None)
    assert classify_about("the adjuster was rude") == ("staff", None)
    assert classify_about("你们太差了") == ("other", None)


def test_cli_lists_complaints_with_their_clocks(seeded_url, capsys):
    first = record_complaint(_anonymous(), now=NOW, url=seeded_url)
    record_complaint(_anonymous(subject="理赔员态度差", facts="一周了都没人联系我"),
                     now=NOW + timedelta(hours=1), url=seeded_url)
    assert main(["--db-url", seeded_url, "complaints", "list", "--json",
                 "--now", "2026-11-25T10:00"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["reference"] for c in data] == [first.reference, "CMP-2026-000002"]
    assert data[1]["repeat_of"] == first.reference and data[1]["repeated"] is True
    assert data[0]["acknowledge"]["status"] == "overdue"
    assert data[0]["decision"]["due_at"].startswith("2026-12-07T10:00")
    assert data[0]["phone_masked"] == "139****5678"
    assert main(["--db-url", seeded_url, "complaints", "list"]) == 0
    out = capsys.readouterr().out
    assert first.reference in out and "acknowledge by" in out
    assert list_complaints(url=seeded_url)[0].reference == first.reference
