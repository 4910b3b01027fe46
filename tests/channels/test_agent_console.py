"""The agent console and the web chat outbox, in-process: a real tracker and lock store, a
stand-in for Rasa's processor (no model), and a real claims store."""
from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from rasa.core.channels.channel import register
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    UserUttered,
)
from sanic import Sanic

from bot.agents import add_agent, start_session
from bot.complaints import NewComplaint, record_complaint
from bot.handoff import Reason, open_queue, request_handoff
from bot.replies import say
from bot.store.db import unit_of_work
from channels.agent_console import COOKIE, AgentConsoleInput
from channels.pages import STATIC_DIR
from channels.webchat import WebChatInput
from tests.support.asgi import AsgiClient, AsgiResponse
from tests.support.store import seeded_store
from tests.support.webchat import PageClient

PREFIX = "/webhooks/agent"
ORIGIN = {"origin": "http://testserver"}
PASSWORD = "correct horse battery"
GREETING_BACK = "欢迎回来，还有什么可以帮您？"


class StandInProcessor:
    """What the console asks of Rasa's processor; the greeting stands for the bot's reply."""

    def __init__(self, tracker_store: InMemoryTrackerStore) -> None:
        self.tracker_store = tracker_store
        self.triggered: List[str] = []

    async def get_tracker(self, conversation_id: str):
        return await self.tracker_store.get_or_create_tracker(
            conversation_id, append_action_listen=False)

    async def fetch_tracker_and_update_session(self, conversation_id, output_channel=None,
                                               metadata=None):
        return await self.get_tracker(conversation_id)

    async def trigger_external_user_uttered(self, intent, entities, tracker, output_channel):
        self.triggered.append(intent)
        tracker.update(UserUttered.create_external(intent, []))
        if not tracker.is_paused():
            await output_channel.send_text_message(tracker.sender_id, GREETING_BACK)
            tracker.update(BotUttered(GREETING_BACK))
        await self.tracker_store.save(tracker)


class StandInRasaAgent:
    """Logs what the customer writes; answers only while the conversation is not paused."""

    def __init__(self, domain: Domain | None = None) -> None:
        self.tracker_store = InMemoryTrackerStore(domain or Domain.empty())
        self.lock_store = InMemoryLockStore()
        self.processor = StandInProcessor(self.tracker_store)

    async def handle_message(self, message) -> None:
        async with self.lock_store.lock(message.sender_id):
            tracker = await self.processor.get_tracker(message.sender_id)
            tracker.update(UserUttered(message.text, {"name": "inform"},
                                       input_channel=message.input_channel))
            if not tracker.is_paused():
                await message.output_channel.send_text_message(message.sender_id, "bot reply")
                tracker.update(BotUttered("bot reply"))
            await self.tracker_store.save(tracker)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with seeded_store(monkeypatch, tmp_path, seeded=False) as url:
        add_agent("a1", PASSWORD, "王小明", url=url)
        add_agent("a2", PASSWORD, "李娜", url=url)
        add_agent("o1", PASSWORD, "赵敏", role="complaint_officer", url=url)
        add_agent("s1", PASSWORD, "陈主管", role="supervisor", url=url)
        yield url


@pytest.fixture
def rasa_agent() -> StandInRasaAgent:
    return StandInRasaAgent()


@pytest.fixture
def client(store: str, rasa_agent: StandInRasaAgent) -> Iterator[AsgiClient]:
    app = Sanic(f"console_test_{uuid.uuid4().hex}")
    app.ctx.agent = rasa_agent
    register([WebChatInput(max_message_chars=2000), AgentConsoleInput()], app,
             route="/webhooks/")
    with PageClient(app) as c:
        yield c


def login(client: AsgiClient, username: str = "a1") -> Tuple[Dict[str, str], str]:
    """Logs in; returns the cookie header to send and the CSRF token."""
    res = client.post(PREFIX + "/api/login", json_body={"username": username,
                                                        "password": PASSWORD}, headers=ORIGIN)
    assert res.status == 200, res.text
    token = res.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    return {"cookie": f"{COOKIE}={token}"}, res.json()["csrf_token"]


def post(client: AsgiClient, path: str, auth: Tuple[Dict[str, str], str] | None,
         body: Any = None, **headers: str) -> AsgiResponse:
    all_headers = dict(ORIGIN)
    if auth is not None:
        all_headers.update(auth[0])
        all_headers["x-csrf-token"] = auth[1]
    all_headers.update(headers)
    return client.post(PREFIX + path, json_body=body if body is not None else {},
                       headers=all_headers)


def get(client: AsgiClient, path: str, auth: Tuple[Dict[str, str], str] | None = None
        ) -> AsgiResponse:
    return client.get(PREFIX + path, headers=auth[0] if auth else {})


def park(client: AsgiClient, rasa_agent: StandInRasaAgent, sender: str = "web-1",
         reason: Reason = Reason.REQUEST, **summary: Any) -> int:
    """A customer asked for a person: their tracker is paused and a queue entry exists."""
    async def setup() -> None:
        tracker = await rasa_agent.processor.get_tracker(sender)
        tracker.update(UserUttered("转人工", {"name": "request_human"}, input_channel="webchat"))
        tracker.update(ConversationPaused())
        await rasa_agent.tracker_store.save(tracker)

    client.loop.run_until_complete(setup())
    return request_handoff(sender, reason=reason, language="zh", channel="webchat",
                           summary=summary).entry.id


def tracker_of(client: AsgiClient, rasa_agent: StandInRasaAgent, sender: str):
    return client.loop.run_until_complete(rasa_agent.tracker_store.retrieve(sender))


def poll(client: AsgiClient, sender: str) -> List[Dict[str, Any]]:
    """What the page collects, acknowledged as the page acknowledges what it showed."""
    res = client.get(f"/webhooks/webchat/messages?sender={sender}")
    assert res.status == 200
    ids = [m["id"] for m in res.json()]
    if ids:
        acked = client.post("/webhooks/webchat/messages/ack",
                            json_body={"sender": sender, "ids": ids})
        assert acked.status == 200 and acked.json() == {"acknowledged": ids}
    return res.json()


# --- logging in --------------------------------------------------------------------------------

def test_the_page_and_assets_load_without_login_but_no_api_does(client: AsgiClient) -> None:
    page = client.get(PREFIX + "/")
    assert page.status == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get(PREFIX + "/static/agent_console.js").status == 200
    assert client.get(PREFIX + "/static/..%2fagent_console.py").status == 404
    for path in ("/api/queue", "/api/me", "/api/complaints", "/api/handoffs/1"):
        res = get(client, path)
        assert res.status == 401 and res.json()["error"] == "not_logged_in"
    assert post(client, "/api/handoffs/1/take", None).status == 401


def test_login_sets_an_httponly_strict_cookie_and_wrong_passwords_fail(client) -> None:
    wrong = client.post(PREFIX + "/api/login", json_body={"username": "a1", "password": "nope"},
                        headers=ORIGIN)
    assert wrong.status == 401 and "set-cookie" not in wrong.headers
    res = client.post(PREFIX + "/api/login", json_body={"username": "a1", "password": PASSWORD},
                      headers=ORIGIN)
    cookie = res.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/webhooks/agent" in cookie
    assert "secure" not in cookie.replace("samesite", "")  # plain HTTP in this test
    assert res.json()["agent"]["display_name"] == "王小明" and "token" not in res.json()
    assert PASSWORD not in res.text


def test_forged_and_expired_sessions_are_refused(client, store) -> None:
    assert get(client, "/api/queue", ({"cookie": f"{COOKIE}=forged"}, "x")).status == 401
    forged_bearer = client.get(PREFIX + "/api/queue", headers={"authorization": "Bearer forged"})
    assert forged_bearer.status == 401
    from bot.agents import authenticate

    agent = authenticate("a1", PASSWORD, url=store)
    old = start_session(agent, now=dt.datetime(2020, 1, 1), minutes=1, url=store)
    expired = {"cookie": f"{COOKIE}={old.token}"}
    assert get(client, "/api/queue", (expired, old.csrf_token)).status == 401
    fresh = login(client)
    assert get(client, "/api/queue", fresh).status == 200


def test_too_many_wrong_passwords_block_the_username(client) -> None:
    for _ in range(5):
        client.post(PREFIX + "/api/login", json_body={"username": "a2", "password": "wrong!"},
                    headers=ORIGIN)
    blocked = client.post(PREFIX + "/api/login", json_body={"username": "a2",
                                                            "password": PASSWORD},
                          headers=ORIGIN)
    assert blocked.status == 429


def test_state_changes_need_the_csrf_token_and_this_origin(client, rasa_agent) -> None:
    handoff_id = park(client, rasa_agent)
    cookie, csrf = login(client)
    assert post(client, f"/api/handoffs/{handoff_id}/take", (cookie, "wrong")).status == 403
    no_token = client.post(PREFIX + f"/api/handoffs/{handoff_id}/take", json_body={},
                           headers={**cookie, **ORIGIN})
    assert no_token.status == 403
    other_site = post(client, f"/api/handoffs/{handoff_id}/take", (cookie, csrf),
                      origin="https://evil.example")
    assert other_site.status == 403 and open_queue()[0].status == "queued"
    assert post(client, f"/api/handoffs/{handoff_id}/take", (cookie, csrf)).status == 200


def test_a_bearer_token_works_without_csrf_and_logout_ends_the_session(client, rasa_agent
                                                                       ) -> None:
    res = client.post(PREFIX + "/api/login", json_body={"username": "a1", "password": PASSWORD,
                                                        "want_token": True})
    bearer = {"authorization": f"Bearer {res.json()['token']}"}
    handoff_id = park(client, rasa_agent)
    assert client.post(PREFIX + f"/api/handoffs/{handoff_id}/take", json_body={},
                       headers=bearer).status == 200
    auth = login(client)
    assert post(client, "/api/logout", auth).status == 200
    assert get(client, "/api/queue", auth).status == 401
    assert client.get(PREFIX + "/api/queue", headers=bearer).status == 200


def test_me_gives_a_fresh_csrf_token_after_a_reload(client, rasa_agent) -> None:
    cookie, old_csrf = login(client)
    me = get(client, "/api/me", (cookie, old_csrf)).json()
    assert me["agent"]["username"] == "a1" and me["csrf_token"] != old_csrf
    handoff_id = park(client, rasa_agent)
    assert post(client, f"/api/handoffs/{handoff_id}/take", (cookie, old_csrf)).status == 403
    assert post(client, f"/api/handoffs/{handoff_id}/take", (cookie, me["csrf_token"])
                ).status == 200


# --- the queue and one conversation ------------------------------------------------------------

def test_two_agents_taking_at_once_one_wins_the_other_is_told(client, rasa_agent) -> None:
    handoff_id = park(client, rasa_agent)
    first, second = login(client, "a1"), login(client, "a2")

    async def both():
        def request(auth):
            headers = {**ORIGIN, **auth[0], "x-csrf-token": auth[1],
                       "content-type": "application/json", "host": "testserver",
                       "content-length": "2"}
            return client._request("POST", PREFIX + f"/api/handoffs/{handoff_id}/take", b"{}",
                                   headers)
        return await asyncio.gather(request(first), request(second))

    results = client.loop.run_until_complete(both())
    statuses = sorted(r.status for r in results)
    assert statuses == [200, 409]
    loser = next(r for r in results if r.status == 409).json()
    winner = open_queue()[0].agent_name
    assert loser["error"] == "already_taken" and loser["by"] == winner


def test_the_queue_is_in_priority_order_with_the_summary(client, rasa_agent) -> None:
    park(client, rasa_agent, "web-1", Reason.REQUEST, first_request="查进度")
    park(client, rasa_agent, "web-2", Reason.URGENT)
    park(client, rasa_agent, "web-3", Reason.ELDERLY, customer={"elderly": True})
    auth = login(client)
    queue = get(client, "/api/queue", auth).json()["queue"]
    assert [e["conversation_id"] for e in queue] == ["web-3", "web-2", "web-1"]
    assert queue[2]["summary"]["first_request"] == "查进度" and queue[2]["waiting_s"] >= 0


def test_taking_writing_and_what_the_customer_receives(client, rasa_agent) -> None:
    handoff_id = park(client, rasa_agent)
    holder, other = login(client, "a1"), login(client, "a2")
    assert post(client, f"/api/handoffs/{handoff_id}/messages", holder,
                {"text": "hi"}).status == 403  # not taken yet
    assert post(client, f"/api/handoffs/{handoff_id}/take", holder).status == 200
    joined = say("handoff_agent_joined", "zh", agent="王小明")
    assert [m["text"] for m in poll(client, "web-1")] == [joined]

    not_yours = post(client, f"/api/handoffs/{handoff_id}/messages", other, {"text": "我来"})
    assert not_yours.status == 403 and not_yours.json()["error"] == "not_yours"
    typed = "<script>alert(1)</script><b>您好</b>"
    assert post(client, f"/api/handoffs/{handoff_id}/messages", holder,
                {"text": typed}).status == 200
    delivered = poll(client, "web-1")
    assert [(m["kind"], m["text"]) for m in delivered] == [("agent_message", typed)]
    assert poll(client, "web-1") == []  # exactly once
    tracker = tracker_of(client, rasa_agent, "web-1")
    agent_lines = [e for e in tracker.events if isinstance(e, BotUttered)]
    assert [e.text for e in agent_lines] == [joined, typed]
    assert agent_lines[-1].metadata == {"agent": "王小明", "agent_username": "a1"}
    assert post(client, f"/api/handoffs/{handoff_id}/messages", holder,
                {"text": " "}).status == 400
    assert post(client, f"/api/handoffs/{handoff_id}/messages", holder,
                {"text": "长" * 2001}).status == 413


def test_customer_words_while_parked_are_kept_for_the_agent_not_answered(client, rasa_agent
                                                                         ) -> None:
    handoff_id = park(client, rasa_agent)
    res = client.post("/webhooks/webchat/webhook",
                      json_body={"sender": "web-1", "message": "我的车被追尾了 <img src=x>"})
    assert res.status == 200 and res.json() == []
    auth = login(client)
    detail = get(client, f"/api/handoffs/{handoff_id}", auth).json()
    customer_lines = [line["text"] for line in detail["transcript"]
                      if line["from"] == "customer"]
    assert customer_lines == ["转人工", "我的车被追尾了 <img src=x>"]
    assert detail["mine"] is False and {"from": "system", "event": "paused"}.items() <= \
        detail["transcript"][1].items()
    get(client, f"/api/handoffs/{handoff_id}", auth)  # the page polls: one audit entry only
    with unit_of_work() as uow:
        viewed = [e.actor for e in uow.audit.list("handoff.viewed")]
    assert viewed == ["agent:a1"]


def test_hand_back_resumes_the_bot_which_greets_the_customer(client, rasa_agent) -> None:
    handoff_id = park(client, rasa_agent)
    holder, other = login(client, "a1"), login(client, "a2")
    post(client, f"/api/handoffs/{handoff_id}/take", holder)
    poll(client, "web-1")
    assert post(client, f"/api/handoffs/{handoff_id}/handback", other,
                {"resolution": "x"}).status == 403
    res = post(client, f"/api/handoffs/{handoff_id}/handback", holder,
               {"resolution": "下周一前补发维修发票即可"})
    assert res.status == 200 and res.json()["bot_said"] == [GREETING_BACK]
    assert rasa_agent.processor.triggered == ["EXTERNAL_handed_back"]
    assert [m["text"] for m in poll(client, "web-1")] == [GREETING_BACK]
    tracker = tracker_of(client, rasa_agent, "web-1")
    assert not tracker.is_paused()
    assert any(isinstance(e, ConversationResumed) for e in tracker.events)
    assert open_queue() == []
    # The bot answers the next message again.
    again = client.post("/webhooks/webchat/webhook", json_body={"sender": "web-1",
                                                                "message": "你好"})
    assert again.json() == [{"recipient_id": "web-1", "text": "bot reply"}]
    auth = login(client)
    transcript = get(client, f"/api/handoffs/{handoff_id}", auth).json()["transcript"]
    assert "EXTERNAL" not in str([line.get("text") for line in transcript])


def test_a_complaint_outcome_is_recorded_and_the_customer_told(client, rasa_agent) -> None:
    view = record_complaint(NewComplaint(
        subject="理赔员态度很差", facts="没人回电话", request="道歉", complainant_name="王小明",
        complainant_phone="13912345678", channel="webchat", language="zh",
        conversation_id="web-9"))
    auth = login(client, "o1")  # complaints are a complaint officer's (or supervisor's) work
    listed = get(client, "/api/complaints", auth).json()["complaints"]
    assert listed[0]["reference"] == view.reference and listed[0]["phone_masked"] == \
        "139****5678"
    bad = post(client, f"/api/complaints/{view.reference}/outcome", auth,
               {"outcome": "已道歉", "accepted": "maybe"})
    assert bad.status == 400
    res = post(client, f"/api/complaints/{view.reference}/outcome", auth,
               {"outcome": "已道歉，理赔员已调岗", "accepted": True})
    assert res.status == 200 and res.json()["complaint"]["status"] == "closed"
    told = poll(client, "web-9")
    assert told[0]["text"] == say("complaint_outcome_accepted", "zh", reference=view.reference,
                                  outcome="已道歉，理赔员已调岗")
    assert post(client, "/api/complaints/CMP-2026-999999/outcome", auth,
                {"outcome": "x"}).status == 404
    extended = post(client, f"/api/complaints/{view.reference}/complexity", auth,
                    {"complexity": "extended"})
    assert extended.status == 400  # already decided


def test_the_console_script_never_builds_html_from_strings() -> None:
    script = (STATIC_DIR / "agent_console.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    for name in ("agent_console.html", "agent_console.css", "agent_console.js"):
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text


def test_outbox_poll_checks_the_sender_id(client) -> None:
    assert client.get("/webhooks/webchat/messages?sender=../../x").status == 400
    assert client.get("/webhooks/webchat/messages").status == 400
    assert client.get("/webhooks/webchat/messages?sender=web-unknown").json() == []


def test_a_booked_call_back_is_in_the_queue_masked_and_in_the_detail_in_full():
    from bot.handoff import QueueEntry
    from channels.agent_console import _entry_data

    at = dt.datetime(2026, 11, 22, 14, 30)
    entry = QueueEntry(id=1, conversation_id="c1", channel="webchat", reason="request",
                       priority=20, language="zh", summary={}, status="queued", agent_id=None,
                       agent_name=None, created_at=at, taken_at=None, closed_at=None,
                       resolution=None, callback_at=dt.datetime(2026, 11, 23, 2, 0),
                       callback_phone="13900000000")
    listed = _entry_data(entry, now=at)
    assert listed["callback_phone"] == "139****0000"
    assert listed["callback_local"] == "2026-11-23 10:00"  # Beijing time
    assert _entry_data(entry, now=at, full_phone=True)["callback_phone"] == "13900000000"
