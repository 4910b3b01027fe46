"""Attack: a conversation verified as 张伟 and then left idle past the idle time is used to act
on his behalf: file a claim, confirm a report begun before the pause, file a complaint in his
name, read a clause answer from his policy. Each must ask who the customer is again instead.

In-process on trackers whose event times the test sets, and once through the real servers
(the web chat's webhook), with the stored events' times moved back past the idle time.
"""
from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest
import requests

from bot.replies import say
from bot.store.db import unit_of_work
from tests.support.store import seeded_store
from tests.support.webchat import new_session, session_headers

ZHANG = {"policy": "AUTO-2026-0001", "born": "1985-04-12", "customer_id": 1}
T0 = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc).timestamp()
REPORT = "我要报案,昨天下午三点在中山路被追尾了,后保险杠坏了,大概三千块"


def _tracker(minutes_idle: float, text: str, intent: str, *, slots: Dict[str, Any] | None = None,
             active_loop: str | None = None) -> Any:
    from rasa_sdk import Tracker

    verified = [{"event": "user", "text": "[出生日期（已隐去）]", "timestamp": T0,
                 "parse_data": {"intent": {"name": "inform"}}},
                {"event": "slot", "name": "verified", "value": True, "timestamp": T0 + 1}]
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    message = {"event": "user", "text": text, "parse_data": latest,
               "timestamp": T0 + 1 + minutes_idle * 60}
    all_slots = {"language": "zh", "verified": True, "customer_id": ZHANG["customer_id"],
                 "customer_name": "张伟", "policy_number": ZHANG["policy"]}
    all_slots.update(slots or {})
    return Tracker(
        sender_id=f"web-idle-{uuid.uuid4().hex[:8]}", slots=all_slots, latest_message=latest,
        events=verified + [message], paused=False, followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def _run(action: Any, tracker: Any, domain: Dict[str, Any] | None = None) -> tuple:
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {}))
    return [m.get("text") for m in dispatcher.messages], events


def _slots(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def _claims(url: str) -> int:
    with unit_of_work(url) as uow:
        return len(uow.policies.by_number(ZHANG["policy"]).claims)


@pytest.fixture
def store(tmp_path, monkeypatch):
    with seeded_store(monkeypatch, tmp_path) as url:
        yield url


def _report_domain() -> Dict[str, Any]:
    slots = {name: {"type": "any", "mappings": [{"type": "from_text"}]}
             for name in ("policy_number", "verification_answer", "report_answer")}
    return {"slots": slots, "forms": {"report_form": {"required_slots": list(slots)}}}


def test_a_report_started_after_the_idle_time_asks_who_the_customer_is(store):
    from actions.report import ValidateReportForm

    texts, events = _run(ValidateReportForm(), _tracker(16, REPORT, "report_claim",
                                                        active_loop="report_form"),
                         _report_domain())
    assert say("identity_expired", "zh") in texts
    slots = _slots(events)
    assert slots["verified"] is False and slots["customer_id"] is None
    assert slots["policy_number"] is None and slots["customer_name"] is None


def test_an_answer_to_the_report_after_the_idle_time_drops_the_draft(store):
    from actions.report import ValidateReportForm

    draft = {"policy_number": ZHANG["policy"], "description": "追尾"}
    texts, events = _run(ValidateReportForm(), _tracker(
        16, "没人受伤", "inform", active_loop="report_form",
        slots={"requested_slot": "report_answer", "report_draft": draft,
               "report_asking": "injuries"}), _report_domain())
    assert say("identity_expired", "zh") in texts
    slots = _slots(events)
    assert slots["verified"] is False and slots["report_draft"] is None


def test_a_confirmed_report_after_the_idle_time_is_not_filed(store):
    from actions.report import ActionSubmitReport

    before = _claims(store)
    draft = {"policy_number": ZHANG["policy"], "line_of_business": "motor",
             "description": "昨天下午三点在中山路被追尾了,后保险杠坏了", "language": "zh"}
    texts, events = _run(ActionSubmitReport(), _tracker(
        16, "对", "affirm", slots={"report_ready": True, "report_draft": draft}))
    assert _claims(store) == before
    assert not any("CLM-" in (text or "") for text in texts)
    assert say("identity_expired", "zh") in texts
    assert _slots(events)["verified"] is False


def test_a_complaint_after_the_idle_time_is_not_filed_in_the_customers_name(store):
    from actions.access import own_policy
    from actions.complaints import ActionSubmitComplaint

    assert own_policy(_tracker(14, "x", "inform")) == ZHANG["policy"]
    assert own_policy(_tracker(16, "x", "inform")) is None
    _run(ActionSubmitComplaint(), _tracker(
        16, "理赔员态度很差", "complain",
        slots={"complaint_about": "理赔员", "complaint_facts": "理赔员态度很差,一直不回电话"}))
    with unit_of_work(store) as uow:
        from bot.store.models import Complaint

        rows = uow.session.query(Complaint).all()
    assert all(row.customer_id != ZHANG["customer_id"] for row in rows)


def test_a_clause_answer_in_a_report_after_the_idle_time_uses_no_policy_data(store):
    from actions.report import ActionReportClause

    texts, _ = _run(ActionReportClause(), _tracker(16, "我的免赔额是多少", "ask_clause"))
    fresh, _ = _run(ActionReportClause(), _tracker(1, "我的免赔额是多少", "ask_clause"))
    assert ZHANG["policy"] not in " ".join(t or "" for t in texts)
    assert texts != fresh or ZHANG["policy"] not in " ".join(t or "" for t in fresh)


# --- through the real servers ---------------------------------------------------------------

@pytest.mark.e2e
def test_a_claim_cannot_be_filed_after_the_idle_time_through_the_web_chat(
    claims_servers: Any, claims_e2e_dir: Any, claims_db_url: str
) -> None:
    base = f"{claims_servers.rasa_url}/webhooks/webchat/webhook"
    sender, token = new_session(claims_servers.rasa_url)

    def says(message: str) -> str:
        res = requests.post(base, timeout=60, json={"sender": sender, "message": message},
                            headers=session_headers(token))
        assert res.status_code == 200, res.text
        return "\n".join(m.get("text") or "" for m in res.json())

    answer = says(f"查进度 {ZHANG['policy']} {ZHANG['born']}")
    assert "CLM-" in answer  # verified as 张伟
    # Sixteen minutes pass: the conversation's stored events move back in time.
    with sqlite3.connect(str(claims_e2e_dir / "var" / "trackers.db")) as connection:
        # Rasa reads events back from their JSON (`data`); the column is for queries.
        connection.execute(
            "UPDATE events SET timestamp = timestamp - 960, data = json_set(data, '$.timestamp',"
            " json_extract(data, '$.timestamp') - 960) WHERE sender_id = ?", (sender,))
    with unit_of_work(claims_db_url) as uow:
        before = len(uow.policies.by_number(ZHANG["policy"]).claims)
    replies = [says(REPORT)]
    for message in ("没人受伤", "对", "对"):
        replies.append(says(message))
    assert say("identity_expired", "zh") in replies[0]
    # It asks for the policy number again (in the same words), and reads nothing as an answer.
    assert replies[0].strip() == say("identity_expired", "zh")
    assert not any("CLM-2026" in reply for reply in replies)
    with unit_of_work(claims_db_url) as uow:
        assert len(uow.policies.by_number(ZHANG["policy"]).claims) == before
