"""The claim workspace routes of the agent console, in-process (see test_agent_console.py for the
stand-ins): look-up with a reason, files, tasks, offline complaints, transfers, the case owner,
internal notes, quick replies, and each role's limits."""
from __future__ import annotations

from typing import Any, Dict, Tuple

from bot.documents.intake import receive_file
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Notification
from bot.tasks import open_task_now
from tests.channels import test_agent_console as base
from tests.channels.test_agent_console import PREFIX, get, login, park, poll, post, tracker_of
from tests.support.asgi import AsgiClient

# The console's in-process fixtures: a store with agents a1, a2, o1 (complaint officer) and s1
# (supervisor), the stand-in Rasa agent, the app's client.
store, rasa_agent, client = base.store, base.rasa_agent, base.client

COLLISION = "CLM-2026-000004"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
Auth = Tuple[Dict[str, str], str]


def _seed_claims(store: str) -> None:
    from bot.seed import seed
    from tests.support.store import SEED_TODAY

    seed(store, today=SEED_TODAY)


def _audit(action: str) -> list:
    with unit_of_work() as uow:
        return [(e.actor, e.subject_id, e.detail) for e in uow.audit.list(action)]


def test_login_and_me_say_the_agents_role(client: AsgiClient) -> None:
    auth = login(client, "o1")
    assert get(client, "/api/me", auth).json()["agent"]["role"] == "complaint_officer"
    assert [a["username"] for a in get(client, "/api/agents", auth).json()["agents"]] == [
        "a1", "a2", "s1"]


def test_a_look_up_needs_a_reason_is_audited_and_shows_the_claim_and_its_files(
    client: AsgiClient, store: str
) -> None:
    _seed_claims(store)
    receive_file(COLLISION, "scene.png", PNG, "image/png", actor="customer")
    auth = login(client)
    no_reason = post(client, "/api/lookup", auth, {"query": COLLISION})
    assert no_reason.status == 400 and no_reason.json()["error"] == "reason_required"
    res = post(client, "/api/lookup", auth, {"query": COLLISION, "reason": "客户来电查进度"})
    assert res.status == 200, res.text
    claim = res.json()["claim"]
    assert claim["number"] == COLLISION and claim["checklist"] and claim["deadlines"]
    assert isinstance(claim["history"], list)
    assert _audit("workspace.lookup")[-1] == ("agent:a1", COLLISION,
                                              {"reason": "客户来电查进度", "found": True})
    [stored] = claim["files"]
    served = get(client, f"/api/files/{stored['id']}", auth)
    assert served.status == 200 and served.body == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "script-src" not in served.headers["content-security-policy"]
    assert served.headers["content-security-policy"].startswith("default-src 'none'")
    assert served.headers["content-disposition"].startswith('inline; filename="scene.png"')
    assert get(client, f"/api/files/{stored['id']}").status == 401  # logged-in agents only
    assert get(client, "/api/files/99999999999", auth).status == 404
    assert get(client, f"/api/files/{stored['id'] + 1}", auth).status == 404
    # A GET cannot name a path: only the id in the store.
    assert client.get(PREFIX + "/api/files/..%2f..%2fetc%2fpasswd",
                      headers=auth[0]).status == 404


def test_the_lookup_is_a_change_and_needs_the_csrf_token(client: AsgiClient, store) -> None:
    headers, _ = login(client)
    res = client.post(PREFIX + "/api/lookup", json_body={"query": COLLISION, "reason": "查看理赔"},
                      headers={**headers, "origin": "http://testserver"})
    assert res.status == 403 and res.json()["error"] == "csrf"


def test_tasks_are_listed_by_role_taken_and_done_with_an_outcome(
    client: AsgiClient, store: str
) -> None:
    _seed_claims(store)
    callback = open_task_now("callback", dedupe_key="cb:1", actor="bot", claim_number=COLLISION)
    review = open_task_now("review", dedupe_key="rv:1", actor="bot", claim_number=COLLISION)
    agent, boss = login(client, "a1"), login(client, "s1")
    assert [t["id"] for t in get(client, "/api/tasks", agent).json()["tasks"]] == [callback.id]
    assert {t["id"] for t in get(client, "/api/tasks", boss).json()["tasks"]} == {
        callback.id, review.id}
    refused = post(client, f"/api/tasks/{review.id}/take", agent)
    assert refused.status == 403 and refused.json()["error"] == "role_not_allowed"
    taken = post(client, f"/api/tasks/{callback.id}/take", agent)
    assert taken.status == 200 and taken.json()["task"]["assignee"] == "a1"
    no_outcome = post(client, f"/api/tasks/{callback.id}/done", agent, {"outcome": " "})
    assert no_outcome.status == 400 and no_outcome.json()["error"] == "outcome_required"
    done = post(client, f"/api/tasks/{callback.id}/done", agent, {"outcome": "已回电，客户满意"})
    assert done.json()["task"]["status"] == "done"
    assert post(client, "/api/tasks/99999999999/take", agent).status == 404
    assert get(client, "/api/tasks?status=nope", agent).status == 400


def test_only_complaint_officers_and_supervisors_record_and_see_complaints(
    client: AsgiClient, store: str
) -> None:
    _seed_claims(store)
    agent, officer, boss = login(client, "a1"), login(client, "o1"), login(client, "s1")
    body = {"source": "hotline", "subject": "理赔员不回电话", "policy_number": "AUTO-2026-0001",
            "claim_number": COLLISION}
    refused = post(client, "/api/complaints", agent, body)
    assert refused.status == 403 and refused.json()["error"] == "role_not_allowed"
    assert "complaint officers and supervisors may" in refused.json()["message"]
    assert get(client, "/api/complaints", agent).status == 403
    assert _audit("console.refused")[0][2] == {"action": "record_complaint", "role": "agent"}
    made = post(client, "/api/complaints", officer, body)
    assert made.status == 201, made.text
    complaint = made.json()["complaint"]
    assert complaint["source"] == "hotline" and complaint["claim_number"] == COLLISION
    assert get(client, "/api/complaints", boss).json()["complaints"][0]["reference"] == \
        complaint["reference"]
    bad = post(client, "/api/complaints", officer, {"source": "pigeon", "subject": "x"})
    assert bad.status == 400 and bad.json()["error"] == "invalid_source"
    referral = post(client, "/api/complaints", officer,
                    {"source": "regulator", "subject": "监管转办", "claim_number": COLLISION})
    assert referral.status == 201
    assert get(client, "/api/regulator", officer).status == 403
    listed = get(client, "/api/regulator", boss).json()
    assert [r["reference"] for r in listed["referrals"]] == [referral.json()["complaint"][
        "reference"]]


def test_a_transfer_goes_to_the_named_colleague_and_the_customer_is_told(
    client: AsgiClient, rasa_agent
) -> None:
    handoff_id = park(client, rasa_agent, "web-t1")
    a1, a2 = login(client, "a1"), login(client, "a2")
    assert post(client, f"/api/handoffs/{handoff_id}/transfer", a1,
                {"to_agent": "a2"}).status == 403  # not taken yet
    assert post(client, f"/api/handoffs/{handoff_id}/take", a1).status == 200
    poll(client, "web-t1")
    moved = post(client, f"/api/handoffs/{handoff_id}/transfer", a1,
                 {"to_agent": "a2", "note": "客户要求女性专员"})
    assert moved.status == 200, moved.text
    told = say("handoff_transferred", "zh", agent="李娜")
    assert moved.json()["customer_told"] == told
    assert [m["text"] for m in poll(client, "web-t1")] == [told]
    first = get(client, "/api/queue", a2).json()["queue"][0]
    assert first["id"] == handoff_id and first["theirs"] is True
    assert first["routed_to_name"] == "李娜" and first["transfer_note"] == "客户要求女性专员"
    refused = post(client, f"/api/handoffs/{handoff_id}/take", a1)
    assert refused.status == 403 and refused.json()["error"] == "routed_elsewhere"
    assert post(client, f"/api/handoffs/{handoff_id}/take", a2).status == 200
    assert _audit("handoff.transferred")[0][0] == "agent:a1"


def test_an_agent_may_not_send_a_conversation_to_the_supervisors_queue(
    client: AsgiClient, rasa_agent
) -> None:
    handoff_id = park(client, rasa_agent, "web-t2")
    a1, s1 = login(client, "a1"), login(client, "s1")
    post(client, f"/api/handoffs/{handoff_id}/take", a1)
    refused = post(client, f"/api/handoffs/{handoff_id}/transfer", a1, {"to_role": "supervisor"})
    assert refused.status == 403 and "only a supervisor" in refused.json()["message"]
    assert _audit("handoff.transfer_refused")[0][2]["reason"] == "role_not_allowed"
    # Naming the supervisor is allowed.
    named = post(client, f"/api/handoffs/{handoff_id}/transfer", a1, {"to_agent": "s1"})
    assert named.status == 200
    assert get(client, "/api/queue", s1).json()["queue"][0]["theirs"] is True


def test_the_customers_next_handoff_goes_to_the_agent_who_owns_their_case(
    client: AsgiClient, rasa_agent
) -> None:
    summary: Dict[str, Any] = {"customer": {"policy_number": "AUTO-2026-0001"}}
    first = park(client, rasa_agent, "web-o1", **summary)
    a1, a2 = login(client, "a1"), login(client, "a2")
    post(client, f"/api/handoffs/{first}/take", a1)
    post(client, f"/api/handoffs/{first}/handback", a1, {"resolution": "已解答"})
    again = park(client, rasa_agent, "web-o2", **summary)  # another conversation, same policy
    mine = get(client, "/api/queue", a1).json()["queue"]
    assert mine[0]["id"] == again and mine[0]["theirs"] is True
    assert mine[0]["routed_why"] == "case_owner" and mine[0]["routed_to_name"] == "王小明"
    assert get(client, "/api/queue", a2).json()["queue"][0]["theirs"] is False


def test_an_internal_note_never_reaches_the_customers_channel_or_tracker(
    client: AsgiClient, rasa_agent
) -> None:
    handoff_id = park(client, rasa_agent, "web-n1")
    a1 = login(client, "a1")
    post(client, f"/api/handoffs/{handoff_id}/take", a1)
    poll(client, "web-n1")
    secret = "内部备注：疑似重复索赔，先别告诉客户"
    res = post(client, "/api/notes", a1, {"text": secret, "handoff_id": handoff_id})
    assert res.status == 201 and res.json()["note"]["conversation_id"] == "web-n1"
    assert poll(client, "web-n1") == []
    tracker = tracker_of(client, rasa_agent, "web-n1")
    assert secret not in str([getattr(e, "text", None) for e in tracker.events])
    assert secret not in str([e.as_dict() for e in tracker.events])
    with unit_of_work() as uow:
        assert all(secret not in n.body for n in uow.session.query(Notification))
    shown = get(client, f"/api/handoffs/{handoff_id}", a1).json()
    assert [n["text"] for n in shown["notes"]] == [secret]
    assert post(client, "/api/notes", a1, {"text": "x", "handoff_id": 99999}).status == 404
    assert post(client, "/api/notes", a1, {"text": ""}).status == 400


def test_quick_replies_are_given_in_both_languages(client: AsgiClient) -> None:
    templates = get(client, "/api/templates", login(client)).json()["templates"]
    assert templates and all(t["zh"] and t["en"] for t in templates)


# --- outside tester (console findings) ----------------------------------------------------------

def test_a_task_taken_by_someone_else_is_closed_only_by_them_or_a_supervisor(
    client: AsgiClient, store: str
) -> None:
    _seed_claims(store)
    task = open_task_now("callback", dedupe_key="cb:taken", actor="bot", claim_number=COLLISION)
    alice, bob, boss = login(client, "a1"), login(client, "a2"), login(client, "s1")
    assert post(client, f"/api/tasks/{task.id}/take", alice).status == 200
    refused = post(client, f"/api/tasks/{task.id}/done", bob, {"outcome": "已回电"})
    assert refused.status == 409 and refused.json()["error"] == "task_taken"
    assert "a1" in refused.json()["message"]
    done = post(client, f"/api/tasks/{task.id}/done", boss, {"outcome": "代为回电"})
    assert done.status == 200 and done.json()["task"]["assignee"] == "a1"
    assert done.json()["task"]["done_by"] == "s1"


def test_a_complaint_gets_one_outcome_and_its_complainant_keeps_their_name(
    client: AsgiClient, store: str
) -> None:
    _seed_claims(store)
    officer = login(client, "o1")
    made = post(client, "/api/complaints", officer, {
        "source": "hotline", "subject": "理赔员不回电话", "name": "赵六",
        "phone": "13900001111", "policy_number": "AUTO-2026-0001"})
    assert made.status == 201, made.text
    complaint = made.json()["complaint"]
    assert complaint["complainant_name"] == "赵六"
    assert complaint["phone_masked"] == "139****1111"
    bad = post(client, "/api/complaints", officer, {
        "source": "hotline", "subject": "x", "name": "赵六", "phone": "abc",
        "policy_number": "AUTO-2026-0001"})
    assert bad.status == 422 and bad.json()["error"] == "invalid_phone"
    reference = complaint["reference"]
    first = post(client, f"/api/complaints/{reference}/outcome", officer,
                 {"outcome": "已道歉", "accepted": True})
    assert first.status == 200
    second = post(client, f"/api/complaints/{reference}/outcome", officer,
                  {"outcome": "维持原结论", "accepted": False})
    assert second.status == 409 and second.json()["error"] == "complaint_closed"


def test_an_agents_look_up_shows_no_complaints_and_a_full_width_phone_is_found(
    client: AsgiClient, store: str
) -> None:
    _seed_claims(store)
    officer, agent = login(client, "o1"), login(client, "a1")
    assert post(client, "/api/complaints", officer, {
        "source": "regulator", "subject": "监管转办", "claim_number": COLLISION}).status == 201
    seen = post(client, "/api/lookup", officer, {"query": COLLISION, "reason": "处理投诉"})
    assert seen.json()["claim"]["complaints"]
    hidden = post(client, "/api/lookup", agent, {"query": COLLISION, "reason": "客户来电查进度"})
    claim = hidden.json()["claim"]
    assert claim["complaints"] == [] and "complaint officers" in claim["complaints_hidden"]
    assert all(t["owner_role"] != "complaint_officer" for t in claim["tasks"])
    by_phone = post(client, "/api/lookup", agent,
                    {"query": "１３８００００００01", "reason": "客户来电查进度"})
    assert by_phone.status == 200 and by_phone.json()["kind"] == "customer"


def test_a_note_for_a_claim_and_another_customers_handoff_is_refused(
    client: AsgiClient, rasa_agent, store: str
) -> None:
    _seed_claims(store)
    from bot.handoff import Reason, request_handoff

    queued = request_handoff("web-other", reason=Reason.REQUEST, channel="webchat",
                             summary={"claim_number": "CLM-2026-000001"})
    auth = login(client)
    refused = post(client, "/api/notes", auth, {"text": "下午回电", "claim_number": COLLISION,
                                                "handoff_id": queued.entry.id})
    assert refused.status == 422 and refused.json()["error"] == "note_mismatch"


def test_a_throttled_login_says_when_to_try_again(client: AsgiClient) -> None:
    for _ in range(5):
        client.post(PREFIX + "/api/login", json_body={"username": "a2", "password": "wrong!"},
                    headers=base.ORIGIN)
    blocked = client.post(PREFIX + "/api/login", json_body={"username": "a2",
                                                            "password": base.PASSWORD},
                          headers=base.ORIGIN)
    assert blocked.status == 429
    assert int(blocked.headers["retry-after"]) > 0
