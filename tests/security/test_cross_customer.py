"""Attack: a verified customer reaches for another customer's data, and the next person at a
shared computer inherits a verified conversation.

The walk goes through the real servers (the web chat's own webhook, document list and upload
routes): verify as John Smith, name 李秀英's and 张伟's policies and claims, ask for status, list
documents, upload a file. Nothing of theirs may come back and nothing may be stored against
their claims; every reach is audited. The verified state ends on "退出" / "log out" (through the
servers) and after the idle time (on trackers whose event times are set by the test).
"""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest

from bot.replies import money, say
from bot.store.db import unit_of_work
from tests.support.store import seeded_store
from tests.support.webchat import WebChat

JOHN = {"policy": "HOME-2026-0001", "born": "1990-07-01", "name": "John Smith"}
LI_POLICY, ZHANG_POLICY = "MED-2026-0002", "AUTO-2026-0001"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _others(url: str) -> Dict[str, Any]:
    """What belongs to 李秀英 and 张伟: names, claim numbers, amounts (both languages)."""
    secrets: List[str] = []
    claims: Dict[str, str] = {}
    with unit_of_work(url) as uow:
        for number in (LI_POLICY, ZHANG_POLICY):
            policy = uow.policies.by_number(number)
            secrets.append(policy.customer.name)
            for claim in uow.claims.of_customer(policy.customer_id):
                claims.setdefault(number, claim.number)
                secrets.append(claim.number)
                for amount in (claim.estimated_amount, claim.approved_amount, claim.paid_amount):
                    if amount:
                        secrets += [money(amount, "en"), money(amount, "zh")]
    return {"secrets": secrets, "claims": claims}


def _stored(url: str, claim_number: str) -> tuple:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(claim_number)
        return (len(claim.files), sorted((d.code, d.status) for d in claim.documents),
                claim.stage)


def _refusals(url: str, sender: str) -> List[tuple]:
    with unit_of_work(url) as uow:
        return [(e.subject_type, e.subject_id) for e in uow.audit.list()
                if e.actor == f"conversation:{sender}"
                and e.action in ("access.refused", "claim.read_refused")]


def _nothing_of(texts: List[str], secrets: List[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"{secret!r} disclosed in {text!r}"


@pytest.mark.e2e
def test_a_verified_customer_cannot_reach_another_customers_policy_or_claim(
    claims_servers, claims_db_url
):
    others = _others(claims_db_url)
    li_claim, zhang_claim = others["claims"][LI_POLICY], others["claims"][ZHANG_POLICY]
    zhang_before = _stored(claims_db_url, zhang_claim)
    li_before = _stored(claims_db_url, li_claim)

    john = WebChat(claims_servers)
    john.says("check my claim status")
    john.says(JOHN["policy"])
    assert say("identity_verified", "en", name=JOHN["name"]) in john.says(JOHN["born"])

    said: List[str] = []
    # Another person's policy gets exactly the words a policy that does not exist gets; the
    # status asked for next is John's own again, never the other person's (the issue's
    # reproduction showed 李秀英's claim here).
    other = [john.says(f"check the claim status of {LI_POLICY}"),
             john.says("check my claim status")]
    missing = [john.says("check the claim status of MED-2026-9999"),
               john.says("check my claim status")]
    assert [text.replace(LI_POLICY, "#") for text in other] == \
        [text.replace("MED-2026-9999", "#") for text in missing]
    assert other[0] == say("access_policy_not_found", "en", policy_number=LI_POLICY)
    said += other + missing
    # ... and the next question is about John's own claims again.
    said.append(john.says("check my claim status"))
    with unit_of_work(claims_db_url) as uow:
        johns = [c.number for c in uow.claims.of_customer(
            uow.policies.by_number(JOHN["policy"]).customer_id)]
    assert any(number in said[-1] for number in johns)  # his own claims, and only his (below)
    # A claim number of someone else's: the reply a non-existent claim gets.
    # (the number John typed is echoed, as for any number; nothing else of the claim)
    assert john.says(f"what is the status of {li_claim}") == \
        say("status_unknown_claim", "en", claim_number=li_claim)

    # 张伟's policy typed, then the document list, the documents answer and an upload.
    said.append(john.says(ZHANG_POLICY))
    listed = john.documents()
    assert listed["claim_number"] is None and listed["documents"] == []
    said.append(john.says("which documents do I need to send?"))
    said.append(john.uploads(PNG))
    said.append(john.uploads(PNG, document="driving_licence"))
    assert said[-1] in (say("upload_no_claim", "en"), say("upload_no_claim", "zh"))

    _nothing_of(said + [str(listed)], others["secrets"])
    assert _stored(claims_db_url, zhang_claim) == zhang_before
    assert _stored(claims_db_url, li_claim) == li_before
    refused = _refusals(claims_db_url, john.sender)
    assert ("policy", LI_POLICY) in refused and ("policy", ZHANG_POLICY) in refused
    assert ("claim", li_claim) in refused


@pytest.mark.e2e
@pytest.mark.parametrize("words,lang", [("退出", "zh"), ("log out", "en")])
def test_log_out_ends_the_verified_state(claims_servers, claims_db_url, words, lang):
    customer = WebChat(claims_servers)
    if lang == "en":
        customer.says("check my claim status")
        customer.says(JOHN["policy"])
        customer.says(JOHN["born"])
    else:
        customer.says("查一下我的理赔进度")
        customer.says(ZHANG_POLICY)
        customer.says("1985-04-12")
        assert customer.documents()["claim_number"]  # 张伟's open claim, while verified
    assert customer.says(words) == say("logged_out", lang)
    # The next person at this computer is asked who they are, and sees no claim to upload to.
    asked = customer.says("查一下我的理赔进度" if lang == "zh" else "check my claim status")
    assert asked == say("ask_policy_number", lang)
    assert customer.documents()["claim_number"] is None
    assert customer.uploads(PNG) == say("upload_no_claim", lang)


# --- the idle time, on trackers whose event times the test sets ----------------------------------

T0 = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc).timestamp()


def _tracker(minutes_idle: float, intent: str = "check_status", text: str = "where is my claim"):
    from rasa_sdk import Tracker

    verified = [{"event": "user", "text": "1990-07-01", "timestamp": T0,
                 "parse_data": {"intent": {"name": "inform"}}},
                {"event": "slot", "name": "verified", "value": True, "timestamp": T0 + 1}]
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    message = {"event": "user", "text": text, "parse_data": latest,
               "timestamp": T0 + 1 + minutes_idle * 60}
    return Tracker(
        sender_id=f"web-idle-{uuid.uuid4().hex[:8]}",
        slots={"language": "en", "verified": True, "customer_id": 3,
               "customer_name": "John Smith", "policy_number": JOHN["policy"]},
        latest_message=latest, events=verified + [message], paused=False,
        followup_action=None, active_loop={}, latest_action_name="action_listen",
    )


def _run(action: Any, tracker: Any) -> tuple:
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return [m.get("text") for m in dispatcher.messages], events


@pytest.fixture
def actions_store(tmp_path, monkeypatch):
    with seeded_store(monkeypatch, tmp_path) as url:
        yield url


def test_after_the_idle_time_nothing_is_shown_and_the_identity_check_starts_again(
    actions_store
):
    from actions.documents import ActionAnswerDocuments
    from actions.status import ActionShowStatus

    texts, _ = _run(ActionShowStatus(), _tracker(14))
    assert "CLM-" in texts[0]  # within the idle time: his claims
    for action, intent in ((ActionShowStatus(), "check_status"),
                           (ActionAnswerDocuments(), "ask_documents")):
        texts, events = _run(action, _tracker(16, intent=intent))
        assert texts == [say("identity_expired", "en")]
        slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
        assert slots["verified"] is False and slots["customer_id"] is None
        assert slots["policy_number"] is None and slots["customer_name"] is None
        assert {"event": "followup", "name": "identity_form"} in [
            {k: e.get(k) for k in ("event", "name")} for e in events]


def test_the_idle_time_is_configurable(actions_store, monkeypatch):
    from actions.status import ActionShowStatus
    from bot.settings import get_settings

    monkeypatch.setenv("CLAIMS_VERIFIED_IDLE_MINUTES", "5")
    get_settings.cache_clear()
    texts, _ = _run(ActionShowStatus(), _tracker(6))
    assert texts == [say("identity_expired", "en")]


def test_an_upload_after_the_idle_time_finds_no_claim(actions_store):
    from bot.access import upload_target_for, viewer_of

    zhang = {"verified": True, "customer_id": 1, "policy_number": ZHANG_POLICY}
    events = [{"event": "slot", "name": "verified", "value": True, "timestamp": T0}]
    fresh = viewer_of("web-z", zhang, events, now=T0 + 600)
    assert upload_target_for("web-z", fresh) is not None
    stale = viewer_of("web-z", zhang, events, now=T0 + 16 * 60)
    assert stale.expired and upload_target_for("web-z", stale) is None
