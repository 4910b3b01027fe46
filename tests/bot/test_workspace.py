"""The claim workspace (bot/workspace.py), transfers and case owners (bot/handoff.py) and
complaints received offline (bot/complaints.py): look-ups need a reason and are audited, roles
allow only their actions, files are served from the store only, notes stay internal."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot import handoff, workspace
from bot.agents import add_agent
from bot.claims.deadlines import add_working_days
from bot.complaints import (
    REGULATOR_WORKING_DAYS,
    ComplaintError,
    NewComplaint,
    complaint_clocks,
    record_complaint,
)
from bot.documents.intake import receive_file
from bot.settings import get_settings
from bot.store.db import unit_of_work
from bot.store.models import Notification
from bot.tasks import KINDS, list_tasks

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 23, 2, 0)  # Monday 10:00 in Shanghai
COLLISION = "CLM-2026-000004"  # 张伟, AUTO-2026-0001, documents_review
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def staff(claims_store: str) -> str:
    add_agent("ann", PASSWORD, "安娜", role="agent")
    add_agent("bob", PASSWORD, "鲍勃", role="agent")
    add_agent("sam", PASSWORD, "陈主管", role="supervisor")
    add_agent("cora", PASSWORD, "赵敏", role="complaint_officer")
    return claims_store


def _agent_id(username: str) -> int:
    with unit_of_work() as uow:
        return uow.agents.by_username(username).id


def _audit(action: str) -> list:
    with unit_of_work() as uow:
        return [(e.actor, e.subject_type, e.subject_id, e.detail) for e in uow.audit.list(action)]


# --- look-up --------------------------------------------------------------------------------

def test_a_look_up_needs_a_reason_and_the_audit_keeps_who_what_and_why(staff: str) -> None:
    with pytest.raises(workspace.WorkspaceError) as refused:
        workspace.lookup(COLLISION, "  ", "agent:ann", now=NOW)
    assert refused.value.code == "reason_required" and refused.value.status == 400
    found = workspace.lookup(COLLISION.lower(), "客户来电询问进度", "agent:ann", now=NOW)
    assert found["kind"] == "claim" and found["claim"]["number"] == COLLISION
    assert _audit("workspace.lookup") == [
        ("agent:ann", "claim", COLLISION, {"reason": "客户来电询问进度", "found": True})]


def test_a_customer_is_found_by_policy_or_phone_and_the_phone_is_audited_masked(
    staff: str
) -> None:
    by_policy = workspace.lookup("auto-2026-0001", "hotline call", "agent:ann", now=NOW)
    by_phone = workspace.lookup("138 0000 0001", "hotline call", "agent:ann", now=NOW)
    for found in (by_policy, by_phone):
        assert found["kind"] == "customer"
        [customer] = found["customers"]
        assert customer["name"] == "张伟" and customer["phone_masked"] == "138****0001"
        assert COLLISION in [claim["number"] for claim in customer["claims"]]
    phone_entry = _audit("workspace.lookup")[-1]
    assert phone_entry[2] == "138****0001" and "13800000001" not in str(phone_entry)
    with pytest.raises(workspace.WorkspaceError) as missing:
        workspace.lookup("CLM-2026-999999", "hotline call", "agent:ann", now=NOW)
    assert missing.value.status == 404
    with pytest.raises(workspace.WorkspaceError) as nonsense:
        workspace.lookup("hello", "hotline call", "agent:ann", now=NOW)
    assert nonsense.value.code == "unknown_query"


def test_the_workspace_shows_checklist_files_deadlines_flags_tasks_and_complaints(
    staff: str
) -> None:
    receive_file(COLLISION, "scene.png", PNG, "image/png", actor="customer", now=NOW)
    with unit_of_work() as uow:
        claim = uow.claims.by_number(COLLISION)
        claim.flags = [{"code": "new_policy", "route": "review", "note_zh": "新保单",
                        "note_en": "New policy", "detail": {}}]
        uow.commit()
    task = workspace.task_service.open_task_now(
        "review", dedupe_key=f"review:{COLLISION}", actor="test", claim_number=COLLISION,
        now=NOW)
    record_complaint(NewComplaint(subject=f"{COLLISION} 太慢", policy_number="AUTO-2026-0001",
                                  channel="webchat"), now=NOW)
    ws = workspace.claim_workspace(COLLISION, now=NOW)
    assert ws["stage"] == "documents_review" and ws["customer"]["name"] == "张伟"
    assert {item["status"] for item in ws["checklist"]} >= {"received", "missing"}
    [stored] = ws["files"]
    assert stored["filename"] == "scene.png" and stored["content_type"] == "image/png"
    assert ws["light"] in ("green", "yellow", "red")
    assert ws["deadlines"] and all(c["rule_zh"] and c["rule_en"] for c in ws["deadlines"])
    assert [flag["code"] for flag in ws["flags"]] == ["new_policy"]
    # The review task, and the complaint's 48-hour call-back (bot/promises.py) on the same claim.
    assert task.id in [t["id"] for t in ws["tasks"]]
    assert {t["kind"] for t in ws["tasks"]} <= {"review", "complaint_callback"}
    assert isinstance(ws["tasks"][0]["due_at"], str)
    assert ws["complaints"][0]["about_this_claim"] is True


# --- files ------------------------------------------------------------------------------------

def test_a_file_is_served_from_its_stored_path_with_a_safe_type_and_name(staff: str) -> None:
    receive_file(COLLISION, "现场 照片\".png", PNG, "image/png", actor="customer", now=NOW)
    with unit_of_work() as uow:
        row = uow.claims.by_number(COLLISION).files[0]
        file_id = row.id
    served = workspace.file_to_serve(file_id, "agent:ann")
    assert served.path.read_bytes() == PNG and served.content_type == "image/png"
    assert served.disposition.startswith('inline; filename="') and '\\"' not in \
        served.disposition and "filename*=UTF-8''" in served.disposition
    assert _audit("file.viewed") == [("agent:ann", "claim", COLLISION, {"file": file_id})]
    with pytest.raises(workspace.WorkspaceError):
        workspace.file_to_serve(file_id + 99, "agent:ann")


def test_a_stored_path_outside_the_uploads_folder_or_an_odd_type_is_not_served_inline(
    staff: str, tmp_path: Path
) -> None:
    receive_file(COLLISION, "a.png", PNG, "image/png", actor="customer", now=NOW)
    with unit_of_work() as uow:
        row = uow.claims.by_number(COLLISION).files[0]
        file_id, row.content_type = row.id, "text/html"
        uow.commit()
    assert workspace.file_to_serve(file_id, "agent:ann").content_type == \
        "application/octet-stream"
    assert workspace.file_to_serve(file_id, "agent:ann").disposition.startswith("attachment")
    outside = tmp_path.parent / "secret.txt"
    outside.write_text("secret", encoding="utf-8")
    with unit_of_work() as uow:
        uow.claims.by_number(COLLISION).files[0].stored_path = str(outside)
        uow.commit()
    with pytest.raises(workspace.WorkspaceError) as refused:
        workspace.file_to_serve(file_id, "agent:ann")
    assert refused.value.status == 404
    assert (get_settings().var_dir / "uploads").is_dir()


# --- roles ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role,action,ok", [
    ("agent", "lookup", True), ("agent", "record_complaint", False),
    ("agent", "regulator_list", False), ("complaint_officer", "record_complaint", True),
    ("complaint_officer", "regulator_list", False), ("supervisor", "regulator_list", True),
    ("supervisor", "work_complaint", True), ("complaint_officer", "work_complaint", True),
])
def test_each_role_may_do_only_what_it_allows(role: str, action: str, ok: bool) -> None:
    assert workspace.allowed(role, action) is ok


def test_a_forbidden_action_is_refused_with_a_clear_message_and_audited(staff: str) -> None:
    with pytest.raises(workspace.WorkspaceError) as refused:
        workspace.require("agent", "record_complaint", "agent:ann")
    assert refused.value.status == 403 and refused.value.code == "role_not_allowed"
    assert refused.value.message == ("An agent may not record complaints; complaint officers "
                                     "and supervisors may.")
    assert _audit("console.refused") == [
        ("agent:ann", "agent", "ann", {"action": "record_complaint", "role": "agent"})]


# --- complaints received offline ------------------------------------------------------------

def test_a_regulator_referral_is_due_in_three_working_days_and_opens_its_task(
    staff: str
) -> None:
    friday = datetime(2026, 11, 27, 2, 0)  # Friday 10:00 in Shanghai
    view = workspace.record_offline_complaint(
        {"source": "regulator", "subject": "监管转办：理赔拖延", "claim_number": COLLISION,
         "facts": "客户向金融监管局反映"}, "agent:cora", now=friday)
    assert view.source == "regulator" and view.claim_number == COLLISION
    assert view.decision.due_at == add_working_days(friday, REGULATOR_WORKING_DAYS)
    assert view.decision.due_at == datetime(2026, 12, 2, 2, 0)  # Wednesday: weekend skipped
    # The referral's own task (the 48-hour call-back of every complaint comes beside it).
    [task] = list_tasks(complaint_reference=view.reference, kind="regulator_referral")
    assert task.kind == "regulator_referral" and task.owner_role == "complaint_officer"
    assert task.due_at == view.decision.due_at
    assert KINDS["regulator_referral"].working_days == 3
    with unit_of_work() as uow:
        [entry] = uow.audit.for_subject("complaint", view.reference)
        assert entry.actor == "agent:cora" and entry.detail["source"] == "regulator"


def test_hotline_letter_and_email_complaints_keep_the_usual_clocks(staff: str) -> None:
    for source in ("hotline", "letter", "email"):
        view = workspace.record_offline_complaint(
            {"source": source, "subject": f"{source} 投诉理赔员态度", "name": "刘女士",
             "phone": "13912345678"}, "agent:cora", now=NOW)
        assert view.source == source and view.channel == source
        assert view.decision.due_at == NOW + timedelta(days=15)
        [task] = list_tasks(complaint_reference=view.reference)
        assert task.kind == "complaint_callback" and task.due_at == view.acknowledge.due_at
    ack, decision = complaint_clocks(NOW, "standard", None, None, NOW, "hotline")
    assert decision.due_at == NOW + timedelta(days=15)


def test_an_offline_complaint_with_a_bad_source_or_no_contact_changes_nothing(
    staff: str
) -> None:
    for fields, code in (({"source": "fax", "subject": "x"}, "invalid_source"),
                         ({"source": "hotline", "subject": "太慢"}, "invalid_complaint"),
                         ({"source": "letter", "subject": "x", "claim_number": "CLM-2026-999999"},
                          "invalid_complaint")):
        with pytest.raises(workspace.WorkspaceError) as refused:
            workspace.record_offline_complaint(fields, "agent:cora", now=NOW)
        assert refused.value.code == code
    with pytest.raises(ComplaintError):
        record_complaint(NewComplaint(subject="x", source="fax", complainant_name="a",
                                      complainant_phone="13912345678"))
    assert workspace.complaint_service.list_complaints() == []


# --- transfers and the case owner -------------------------------------------------------------

def _queued(conversation: str, claim: str | None = COLLISION) -> int:
    summary = {"claim_number": claim, "customer": {"policy_number": "AUTO-2026-0001"}}
    return handoff.request_handoff(conversation, reason="request", language="zh",
                                   channel="webchat", summary=summary, now=NOW).entry.id


def test_a_returning_customer_is_routed_to_the_agent_who_owns_their_case(staff: str) -> None:
    first = _queued("web-1")
    assert handoff.get_entry(first).routed_to_id is None
    handoff.take(first, _agent_id("ann"), actor="agent:ann", role="agent", now=NOW)
    handoff.hand_back(first, _agent_id("ann"), "done", actor="agent:ann", now=NOW)
    # The same customer comes back days later from another conversation.
    again = handoff.get_entry(_queued("web-2"))
    assert again.routed_to_id == _agent_id("ann") and again.routed_why == "case_owner"
    assert again.routed_to_name == "安娜"
    assert handoff.case_owner(claim_number=COLLISION) == "安娜"
    # Anyone may still take it (the owner may be away); the owner stays the first taker.
    handoff.take(again.id, _agent_id("bob"), actor="agent:bob", role="agent", now=NOW)
    assert handoff.case_owner(policy_number="AUTO-2026-0001") == "安娜"


def test_a_transfer_to_a_colleague_routes_it_to_them_only_and_is_audited(staff: str) -> None:
    handoff_id = _queued("web-3")
    handoff.take(handoff_id, _agent_id("ann"), actor="agent:ann", role="agent", now=NOW)
    entry, name = handoff.transfer(handoff_id, _agent_id("ann"), actor="agent:ann",
                                   to_username="sam", note="客户要求主管", now=NOW)
    assert name == "陈主管" and entry.status == "queued" and entry.routed_why == "transfer"
    assert entry.routed_to_id == _agent_id("sam") and entry.transfer_note == "客户要求主管"
    with pytest.raises(handoff.RoutedElsewhere):
        handoff.take(handoff_id, _agent_id("bob"), actor="agent:bob", role="agent", now=NOW)
    taken = handoff.take(handoff_id, _agent_id("sam"), actor="agent:sam", role="supervisor",
                         now=NOW)
    assert taken.agent_id == _agent_id("sam")
    assert handoff.case_owner(claim_number=COLLISION) == "陈主管"  # the case went with it
    [(actor, _, subject, detail)] = _audit("handoff.transferred")
    assert actor == "agent:ann" and subject == str(handoff_id) and detail["to"] == "sam"


def test_only_a_supervisor_routes_to_the_supervisors_queue_and_refusals_are_audited(
    staff: str
) -> None:
    handoff_id = _queued("web-4")
    handoff.take(handoff_id, _agent_id("ann"), actor="agent:ann", role="agent", now=NOW)
    with pytest.raises(handoff.TransferRefused) as refused:
        handoff.transfer(handoff_id, _agent_id("ann"), actor="agent:ann",
                         to_role="supervisor", role="agent", now=NOW)
    assert refused.value.status == 403
    with pytest.raises(handoff.TransferRefused):
        handoff.transfer(handoff_id, _agent_id("ann"), actor="agent:ann",
                         to_username="nobody", now=NOW)
    with pytest.raises(handoff.NotYours):
        handoff.transfer(handoff_id, _agent_id("bob"), actor="agent:bob", to_username="sam",
                         now=NOW)
    assert handoff.get_entry(handoff_id).status == "taken"  # nothing changed
    assert [d["reason"] for *_, d in _audit("handoff.transfer_refused")] == [
        "role_not_allowed", "unknown_agent", "NotYours"]
    # A supervisor holding it may send it to the complaint officers' queue.
    handoff.hand_back(handoff_id, _agent_id("ann"), None, actor="agent:ann", now=NOW)
    other = _queued("web-5")
    handoff.take(other, _agent_id("sam"), actor="agent:sam", role="supervisor", now=NOW)
    entry, _ = handoff.transfer(other, _agent_id("sam"), actor="agent:sam",
                                to_role="complaint_officer", role="supervisor", now=NOW)
    assert entry.routed_role == "complaint_officer" and entry.routed_to_id is None
    with pytest.raises(handoff.RoutedElsewhere):
        handoff.take(other, _agent_id("ann"), actor="agent:ann", role="agent", now=NOW)
    handoff.take(other, _agent_id("cora"), actor="agent:cora", role="complaint_officer",
                 now=NOW)


# --- notes and quick replies ------------------------------------------------------------------

def test_an_internal_note_is_kept_apart_and_never_queued_for_the_customer(staff: str) -> None:
    note = workspace.add_note("客户情绪激动，勿提拒赔", "agent:ann", claim_number=COLLISION,
                              now=NOW)
    on_chat = workspace.add_note("已电话核实", "agent:ann", conversation_id="web-7", now=NOW)
    assert note["claim_number"] == COLLISION and on_chat["conversation_id"] == "web-7"
    assert [n["text"] for n in workspace.notes_for(claim_number=COLLISION)] == [
        "客户情绪激动，勿提拒赔"]
    assert workspace.claim_workspace(COLLISION, now=NOW)["notes"][0]["author"] == "agent:ann"
    with unit_of_work() as uow:
        assert uow.session.query(Notification).count() == 0
    for bad in ("", "x" * 2001):
        with pytest.raises(workspace.WorkspaceError):
            workspace.add_note(bad, "agent:ann", claim_number=COLLISION)
    with pytest.raises(workspace.WorkspaceError):
        workspace.add_note("no home", "agent:ann")


def test_quick_replies_come_in_both_languages() -> None:
    templates = workspace.quick_replies()
    assert len(templates) >= 4
    for template in templates:
        assert template["zh"] and template["en"] and template["title_zh"]
        assert workspace.quick_reply(template["key"], "en") == template["en"]
        assert workspace.quick_reply(template["key"], "zh") == template["zh"]
        assert workspace.quick_reply(template["key"], None) == template["zh"]
    assert workspace.quick_reply("nope", "zh") is None


def test_the_regulator_list_has_red_claims_and_regulator_referrals(staff: str) -> None:
    workspace.record_offline_complaint(
        {"source": "regulator", "subject": "监管转办", "claim_number": COLLISION},
        "agent:sam", now=NOW)
    later = NOW + timedelta(days=60)
    listed = workspace.regulator_list(now=later)
    assert [r["source"] for r in listed["referrals"]] == ["regulator"]
    assert listed["referrals"][0]["decision_status"] == "overdue"
    assert all(set(c) >= {"number", "stage", "clock"} for c in listed["red_claims"])


def test_the_conversations_about_a_claim_are_in_its_workspace(staff: str) -> None:
    _queued("web-about", claim=COLLISION)
    _queued("web-other", claim="CLM-2026-000003")
    workspace.add_note("回访已安排", "agent:ann", conversation_id="web-about", now=NOW)
    ws = workspace.claim_workspace(COLLISION, now=NOW)
    assert "web-about" in ws["conversations"] and "web-other" not in ws["conversations"]
    assert [n["text"] for n in ws["notes"]] == ["回访已安排"]


# --- outside tester (console findings) ----------------------------------------------------------

def test_an_offline_complainant_keeps_their_own_name_and_phone_and_a_bad_phone_is_refused(
    staff: str
) -> None:
    view = workspace.record_offline_complaint(
        {"source": "hotline", "subject": "理赔员不回电话", "name": "赵六",
         "phone": "13900001111", "policy_number": "AUTO-2026-0001"}, "agent:cora", now=NOW)
    assert view.complainant_name == "赵六" and view.complainant_phone == "13900001111"
    [task] = list_tasks(complaint_reference=view.reference)
    assert task.detail["phone"] == "13900001111" and task.detail["name"] == "赵六"
    for phone in ("abc", "1985-04-12"):
        with pytest.raises(workspace.WorkspaceError) as refused:
            workspace.record_offline_complaint(
                {"source": "hotline", "subject": "x", "name": "赵六", "phone": phone,
                 "policy_number": "AUTO-2026-0001"}, "agent:cora", now=NOW)
        assert refused.value.status == 422 and refused.value.code == "invalid_phone"
    assert len(workspace.complaint_service.list_complaints()) == 1


def test_an_agents_look_up_leaves_complaints_and_complaint_tasks_out(staff: str) -> None:
    workspace.record_offline_complaint(
        {"source": "regulator", "subject": "监管转办：理赔拖延", "claim_number": COLLISION},
        "agent:cora", now=NOW)
    boss = workspace.lookup(COLLISION, "复核投诉", "agent:sam", now=NOW, role="supervisor")
    assert boss["claim"]["complaints"] and boss["claim"]["complaints_hidden"] is None
    assert "regulator_referral" in {t["kind"] for t in boss["claim"]["tasks"]}
    officer = workspace.lookup(COLLISION, "复核投诉", "agent:cora", now=NOW,
                               role="complaint_officer")
    assert officer["claim"]["complaints"]
    plain = workspace.lookup(COLLISION, "客户来电查进度", "agent:ann", now=NOW, role="agent")
    assert plain["claim"]["complaints"] == []
    assert plain["claim"]["complaints_hidden"] == (
        "complaints: visible to complaint officers and supervisors")
    assert all(t["owner_role"] != "complaint_officer" and not t["complaint_reference"]
               for t in plain["claim"]["tasks"])


def test_a_note_on_a_claim_and_another_customers_conversation_is_refused(staff: str) -> None:
    handoff.request_handoff("web-other", reason=handoff.Reason.REQUEST, channel="webchat",
                            summary={"claim_number": "CLM-2026-000001"}, now=NOW)
    with pytest.raises(workspace.WorkspaceError) as refused:
        workspace.add_note("客户说下午再打", "agent:ann", claim_number=COLLISION,
                           conversation_id="web-other", now=NOW)
    assert refused.value.status == 422 and refused.value.code == "note_mismatch"
    handoff.request_handoff("web-same", reason=handoff.Reason.REQUEST, channel="webchat",
                            summary={"claim_number": COLLISION}, now=NOW)
    note = workspace.add_note("客户说下午再打", "agent:ann", claim_number=COLLISION,
                              conversation_id="web-same", now=NOW)
    assert note["claim_number"] == COLLISION and note["conversation_id"] == "web-same"


def test_a_full_width_phone_finds_the_customer(staff: str) -> None:
    found = workspace.lookup("１３８ ００００ ０００１", "hotline call", "agent:ann", now=NOW)
    assert found["kind"] == "customer" and found["customers"][0]["name"] == "张伟"
