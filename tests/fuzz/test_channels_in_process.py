"""Hypothesis against the channels' own routes, in-process: the web chat (webhook, outbox,
document list, upload), the core system's endpoint and the agent console (login and its JSON
routes), with a real claims store on SQLite and on PostgreSQL and a stand-in for Rasa's agent.

Every answer must be a 2xx or a 4xx, never a 5xx; refused requests and garbage change none of
the rows in GUARDED_TABLES; what reaches the bot or the store is text that UTF-8 and PostgreSQL
take (no NUL, no lone surrogate). A failure is shrunk by hypothesis to its smallest input.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import register
from sanic import Sanic
from sqlalchemy import select, update

from bot.agents import add_agent
from bot.handoff import Reason, request_handoff
from bot.language import clean_text, normalise
from bot.settings import get_settings
from bot.store.db import unit_of_work
from bot.store.models import Claim, ClaimEvent, Handoff, Notification, ReceivedFile
from channels.agent_console import COOKIE, AgentConsoleInput
from channels.core_api import CoreApiInput
from channels.webchat import WebChatInput
from tests.channels.test_agent_console import StandInRasaAgent
from tests.fuzz.conftest import CORE_TOKEN, row_counts
from tests.fuzz.corpus import STAGES, hostile_text, json_objects, raw_bodies, volume
from tests.support.asgi import AsgiClient, AsgiResponse
from tests.support.webchat import PageClient

AGENT, PASSWORD = "fuzz-agent", "fuzz password 1"
OPEN_CLAIM, OPEN_SENDER = "CLM-2026-000004", "web-fuzz-open-claim"
REAL_CLAIMS = [f"CLM-2026-{n:06d}" for n in range(1, 6)]
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=volume(examples), deadline=None, database=None, derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def clean(text: str) -> bool:
    """Text that every store and log takes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def percent(text: str) -> str:
    return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")


def no_server_error(res: AsgiResponse, what: str) -> None:
    assert res.status < 500, f"{what} -> {res.status}: {res.body[:300]!r}"
    assert res.status in (200, 201, 301, 302, 400, 401, 403, 404, 405, 409, 413, 415, 429), (
        f"{what} -> unexpected {res.status}")


class RecordingAgent(StandInRasaAgent):
    """The stand-in for Rasa's agent, keeping every text that reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    async def handle_message(self, message: Any) -> None:
        self.texts.append(message.text)
        await super().handle_message(message)


@dataclass
class Channels:
    client: AsgiClient
    rasa_agent: RecordingAgent
    console: AgentConsoleInput
    token: str = ""  # an agent's bearer token, once logged in

    def bearer(self) -> Dict[str, str]:
        if not self.token:
            res = self.client.post("/webhooks/agent/api/login", json_body={
                "username": AGENT, "password": PASSWORD, "want_token": True})
            assert res.status == 200, res.text
            self.token = res.json()["token"]
        return {"authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def app_client(store_url: str) -> Iterator[Channels]:
    """The three channels on one app, as the Rasa server serves them."""
    add_agent(AGENT, PASSWORD, "模糊测试", url=store_url)
    with unit_of_work(store_url) as uow:  # the web chat customer who may send documents
        uow.session.execute(update(Claim).where(Claim.number == OPEN_CLAIM)
                            .values(conversation_id=OPEN_SENDER))
        uow.commit()
    rasa_agent = RecordingAgent()
    console = AgentConsoleInput()
    app = Sanic(f"fuzz_{uuid.uuid4().hex}")
    app.ctx.agent = rasa_agent
    register([WebChatInput(max_message_chars=2000),
              CoreApiInput(delivery_interval_s=3600, senders=dict), console],
             app, route="/webhooks/")
    with PageClient(app) as client:
        yield Channels(client, rasa_agent, console)


# --- the text every channel takes in -----------------------------------------------------------

@fuzz_settings(200)
@given(text=hostile_text(200))
def test_clean_text_leaves_text_any_store_takes_and_normalise_never_fails(text: str) -> None:
    cleaned = clean_text(text)
    assert clean(cleaned) and clean_text(cleaned) == cleaned
    assert not any(ord(c) < 32 and c not in "\t\n\r" for c in cleaned)
    assert clean(normalise(text))  # the NLU's first step: OpenCC once failed on a surrogate


def test_clean_text_keeps_what_customers_write() -> None:
    for text in ("查一下我的理赔进度\n谢谢", "請問 AUTO-2026-0001", "where is my claim? 😀",
                 "مرحبا\u200f", "e\u0301", "<b>x</b> {0} %s"):
        assert clean_text(text) == text
    assert clean_text("张三\ud800\x00\x1b[31m") == "张三\ufffd[31m"


# --- the web chat --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def webchat_client() -> Iterator[Channels]:
    """The web chat alone: its webhook touches no store."""
    rasa_agent = RecordingAgent()
    app = Sanic(f"fuzz_webchat_{uuid.uuid4().hex}")
    app.ctx.agent = rasa_agent
    register([WebChatInput(max_message_chars=2000)], app, route="/webhooks/")
    with PageClient(app) as client:
        yield Channels(client, rasa_agent, AgentConsoleInput())


@fuzz_settings(200)
@given(body=raw_bodies(["sender", "message", "metadata"]), stream=st.booleans(),
       content_type=st.sampled_from(["application/json", "text/plain", "", "multipart/form-data"]))
def test_webchat_webhook_answers_any_body_with_a_reply_or_a_4xx(
        webchat_client, body: bytes, stream: bool, content_type: str) -> None:
    client, rasa_agent = webchat_client.client, webchat_client.rasa_agent
    before = len(rasa_agent.texts)
    res = client.post("/webhooks/webchat/webhook" + ("?stream=true" if stream else ""),
                      body=body, headers={"content-type": content_type} if content_type else {})
    no_server_error(res, f"webhook {body[:120]!r}")
    if res.status != 200:
        assert res.json()["error"]  # a JSON error that says what is wrong
        assert len(rasa_agent.texts) == before  # nothing reached the bot
        return
    assert len(rasa_agent.texts) == before + 1
    assert clean(rasa_agent.texts[-1]) and rasa_agent.texts[-1].strip()


@fuzz_settings(80)
@given(route=st.sampled_from(["messages", "documents", "upload"]),
       sender=st.one_of(hostile_text(30), st.sampled_from([OPEN_SENDER, "web-1", "tg-1"])),
       document=st.one_of(st.none(), hostile_text(20), st.sampled_from(["driving_licence"])),
       filename=hostile_text(40), content=st.binary(max_size=2000))
def test_webchat_outbox_documents_and_upload_take_any_query_and_store_no_garbage(
        app_client, store_url, route: str, sender: str, document: str | None, filename: str,
        content: bytes) -> None:
    assume(not content.startswith((b"\x89PNG", b"\xff\xd8\xff", b"%PDF")))  # not an image
    client = app_client.client
    before = row_counts(store_url)
    query = f"sender={percent(sender)}" + (f"&document={percent(document)}" if document else "")
    url = f"/webhooks/webchat/{route}?{query}"
    if route == "upload":
        res = client.post(url, body=content, headers={"x-filename": percent(filename)})
    else:
        res = client.get(url)
    no_server_error(res, f"{route} {query}")
    if res.status == 200 and route == "upload":
        assert res.json()[0]["text"]  # the customer is told what happened
    assert row_counts(store_url) == before


def _statuses(url: str) -> Dict[int, str]:
    with unit_of_work(url) as uow:
        return dict(uow.session.execute(select(Notification.id, Notification.status)).all())


@fuzz_settings(120)
@given(body=st.one_of(
    raw_bodies(["sender", "ids"]),
    st.fixed_dictionaries({"sender": st.one_of(hostile_text(30), st.sampled_from(
        [OPEN_SENDER, "web-1", "tg-1"])), "ids": st.lists(st.one_of(
            st.integers(min_value=-2, max_value=2 ** 70), st.booleans(), hostile_text(5)),
            max_size=120)}).map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass"))))
def test_webchat_ack_takes_any_body_and_delivers_nothing_of_another_conversation(
        app_client, store_url, body: bytes) -> None:
    client = app_client.client
    theirs = [i for i, in _other_conversations_messages(store_url)]
    before, statuses = row_counts(store_url), _statuses(store_url)
    res = client.post("/webhooks/webchat/messages/ack", body=body,
                      headers={"content-type": "application/json"})
    no_server_error(res, f"ack {body[:120]!r}")
    assert res.status in (200, 400, 413)
    if res.status != 200:
        assert res.json()["error"]
    assert row_counts(store_url) == before
    after = _statuses(store_url)
    assert all(after[i] == statuses[i] for i in theirs)


def _other_conversations_messages(url: str) -> list:
    """A pending message of a conversation no fuzzed body is the sender of."""
    from bot.outbox.notices import queue_message

    with unit_of_work(url) as uow:
        ids = uow.session.execute(select(Notification.id).where(
            Notification.conversation_id == "web-fuzz-victim")).all()
    if not ids:
        queue_message("web-fuzz-victim", "webchat", "victim's notice", kind="notice", url=url)
        return _other_conversations_messages(url)
    return ids


def test_an_upload_with_a_hostile_name_is_stored_under_its_hash_with_a_clean_name(
        app_client, store_url) -> None:
    client = app_client.client
    hostile = "../../../etc/passwd\x00<script>\ud800.png"
    res = client.post(f"/webhooks/webchat/upload?sender={OPEN_SENDER}", body=PNG,
                      headers={"x-filename": percent(hostile)})
    assert res.status == 200 and res.json()[0]["text"]
    with unit_of_work(store_url) as uow:
        stored = uow.session.execute(select(ReceivedFile)).scalars().one()
        assert clean(stored.filename) and stored.filename.startswith("../../../etc/passwd")
        path = Path(stored.stored_path)
    assert path.name.endswith(".png") and ".." not in path.parts
    assert path.resolve().is_relative_to(get_settings().var_dir.resolve()) and path.is_file()


# --- the core system's endpoint ------------------------------------------------------------------

AUTHORISATIONS = [None, f"Bearer {CORE_TOKEN}", f"bearer {CORE_TOKEN}", "Bearer wrong",
                  f"Basic {CORE_TOKEN}", "Bearer ", f"Bearer {CORE_TOKEN}x", "Bearer \u00e9"]


@fuzz_settings(120)
@given(number=st.one_of(hostile_text(30), st.sampled_from(REAL_CLAIMS + ["CLM-2099-999999"])),
       authorisation=st.sampled_from(AUTHORISATIONS),
       body=st.one_of(raw_bodies(["stage", "note", "handler"]),
                      json_objects(["stage", "note", "handler"]).map(
                          lambda b: json.dumps(b).encode())))
def test_core_api_refuses_garbage_and_moves_nothing(
        app_client, store_url, number: str, authorisation: str | None, body: bytes) -> None:
    client = app_client.client
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        decoded = None
    legit = (isinstance(decoded, dict) and decoded.get("stage") in STAGES
             and authorisation in AUTHORISATIONS[1:3])
    assume(not legit)  # a real move by the real core system is not garbage
    before = row_counts(store_url)
    headers = {"authorization": authorisation} if authorisation else {}
    res = client.post(f"/webhooks/core/claims/{percent(number)}/stage", body=body,
                      headers=headers)
    no_server_error(res, f"core {number!r} {body[:120]!r}")
    assert res.status in (400, 401, 403, 404, 409, 413), res.text
    assert row_counts(store_url) == before


def test_a_note_with_nul_and_a_lone_surrogate_is_stored_clean(app_client, store_url) -> None:
    """Was a 500: SQLite cannot encode a lone surrogate, PostgreSQL refuses NUL."""
    client = app_client.client
    body = json.dumps({"stage": "assessment", "note": "材料齐全\x00\ud800 ok"}).encode()
    res = client.post(f"/webhooks/core/claims/{OPEN_CLAIM}/stage", body=body,
                      headers={"authorization": f"Bearer {CORE_TOKEN}"})
    assert res.status == 200, res.text
    with unit_of_work(store_url) as uow:
        notes = [e.note for e in uow.session.execute(select(ClaimEvent)).scalars() if e.note]
    assert "材料齐全\ufffd ok" in notes


# --- the agent console ---------------------------------------------------------------------------

CONSOLE_ROUTES = [
    ("GET", "/api/me"), ("GET", "/api/queue"), ("GET", "/api/complaints"),
    ("GET", "/api/handoffs/{id}"), ("POST", "/api/handoffs/{id}/take"),
    ("POST", "/api/handoffs/{id}/messages"), ("POST", "/api/handoffs/{id}/handback"),
    ("POST", "/api/complaints/{ref}/outcome"), ("POST", "/api/complaints/{ref}/acknowledge"),
    ("POST", "/api/complaints/{ref}/complexity"), ("POST", "/api/logout"),
    ("GET", "/static/{ref}"), ("GET", "/{ref}"),
    # The claim workspace.
    ("POST", "/api/lookup"), ("GET", "/api/files/{id}"), ("GET", "/api/tasks"),
    ("POST", "/api/tasks/{id}/take"), ("POST", "/api/tasks/{id}/done"),
    ("POST", "/api/complaints"), ("GET", "/api/regulator"),
    ("POST", "/api/handoffs/{id}/transfer"), ("POST", "/api/notes"), ("GET", "/api/templates"),
    ("GET", "/api/agents"),
]


@fuzz_settings(120)
@given(route=st.sampled_from(CONSOLE_ROUTES),
       handoff_id=st.one_of(st.integers(), st.sampled_from([2**31, 2**63, 2**70, -1, 0]),
                            hostile_text(10)),
       reference=st.one_of(hostile_text(20), st.sampled_from(["CMP-2026-000001", "..%2f"])),
       auth=st.sampled_from(["bearer", "cookie-no-csrf", "forged-cookie", "forged-bearer",
                             "none"]),
       body=raw_bodies(["text", "resolution", "outcome", "accepted", "complexity", "query",
                        "reason", "to_agent", "to_role", "note", "handoff_id", "claim_number",
                        "source", "subject"]),
       content_type=st.sampled_from(["application/json", "application/json; charset=utf-8",
                                     "text/plain", ""]))
def test_agent_console_routes_refuse_garbage_and_change_nothing(
        app_client, store_url, route, handoff_id, reference, auth, body, content_type) -> None:
    client = app_client.client
    signed_in = auth in ("bearer", "cookie-no-csrf")
    token = app_client.bearer()["authorization"][7:] if signed_in else ""
    headers = {
        "bearer": {"authorization": f"Bearer {token}"},
        "cookie-no-csrf": {"cookie": f"{COOKIE}={token}"},
        "forged-cookie": {"cookie": f"{COOKIE}=forged", "x-csrf-token": "forged"},
        "forged-bearer": {"authorization": "Bearer forged"},
        "none": {},
    }[auth]
    if content_type:
        headers["content-type"] = content_type
    before = row_counts(store_url)
    method, path = route
    path = path.replace("{id}", percent(str(handoff_id))).replace("{ref}", percent(reference))
    res = client.request(method, "/webhooks/agent" + path, body=body, headers=headers)
    no_server_error(res, f"{method} {path} {auth} {body[:100]!r}")
    assert row_counts(store_url) == before
    if path == "/api/logout" and res.status == 200:
        app_client.token = ""  # that session is over: the next example logs in again


@fuzz_settings(6)  # each try costs an argon2 verification on purpose
@given(username=st.one_of(hostile_text(30), st.sampled_from([AGENT, AGENT.upper(), "a" * 65])),
       password=st.one_of(hostile_text(30), st.just(PASSWORD)),
       extra=json_objects(["want_token"]))
def test_agent_login_refuses_garbage_without_a_server_error(
        app_client, store_url, username, password, extra) -> None:
    client = app_client.client
    res = client.post("/webhooks/agent/api/login", body=json.dumps(
        {**extra, "username": username, "password": password}).encode(),
        headers={"content-type": "application/json"})
    no_server_error(res, f"login {username!r}")
    if res.status == 200:
        assert username.strip().lower() == AGENT and password == PASSWORD


@pytest.mark.parametrize("handoff_id", [2**31, 2**63, 2**70])
def test_handoff_ids_beyond_the_store_integers_are_not_found(app_client, handoff_id) -> None:
    """Was a 500: SQLite overflowed, PostgreSQL's int4 column was out of range."""
    client = app_client.client
    auth = app_client.bearer()
    assert client.get(f"/webhooks/agent/api/handoffs/{handoff_id}", headers=auth).status == 404
    res = client.post(f"/webhooks/agent/api/handoffs/{handoff_id}/take", headers=auth)
    assert res.status == 404 and res.json()["error"] == "not_found"


def test_deeply_nested_json_is_a_400_on_every_route(app_client) -> None:
    """Was a 500: json.loads raises RecursionError, which no route caught."""
    client = app_client.client
    deep = b"[" * 20_000 + b"]" * 20_000
    core = {"authorization": f"Bearer {CORE_TOKEN}"}
    json_type = {"content-type": "application/json"}
    assert client.post("/webhooks/webchat/webhook", body=deep[:60_000]).status == 400
    assert client.post(f"/webhooks/core/claims/{OPEN_CLAIM}/stage", body=deep[:16_000],
                       headers=core).status == 400
    assert client.post("/webhooks/agent/api/login", body=deep[:16_000],
                       headers=json_type).status == 400


def test_text_with_nul_and_surrogates_from_an_agent_and_a_login_is_stored_clean(
        app_client, store_url) -> None:
    """Were 500s: a lone surrogate in a login name (audited) and in an agent's message."""
    client = app_client.client
    refused = client.post("/webhooks/agent/api/login", body=json.dumps(
        {"username": "x\ud800", "password": "y"}).encode(),
        headers={"content-type": "application/json"})
    assert refused.status == 401
    auth = app_client.bearer()
    handoff = request_handoff("web-fuzz-handoff", reason=Reason.REQUEST, language="zh",
                              channel="webchat", summary={}).entry.id
    assert client.post(f"/webhooks/agent/api/handoffs/{handoff}/take", headers=auth).status == 200
    res = client.post(f"/webhooks/agent/api/handoffs/{handoff}/messages", headers=auth,
                      json_body={"text": "您好\x00，我来处理\ud800"})
    assert res.status == 200, res.text
    with unit_of_work(store_url) as uow:
        bodies = [n.body for n in uow.session.execute(select(Notification)).scalars()]
        assert uow.session.get(Handoff, handoff).status == "taken"
    assert "您好，我来处理\ufffd" in bodies


def test_failed_logins_with_long_names_leave_nothing_in_the_throttle(app_client) -> None:
    """Each failed name was kept in memory: unique 16 KB names would grow it without end."""
    for n in range(3):
        res = app_client.client.post("/webhooks/agent/api/login", json_body={
            "username": f"{n}" + "x" * 5000, "password": "p"})
        assert res.status == 401
    from bot.store.models import LoginFailure

    with unit_of_work(app_client.console.throttle.url) as uow:
        keys = [row.key for row in uow.session.execute(select(LoginFailure)).scalars()]
    assert all(len(key) <= 80 for key in keys)  # hashes, not the names


def test_tokens_with_undecodable_header_bytes_hash_and_match_nothing() -> None:
    """A real server reads header bytes that are not UTF-8 as surrogates ("\\udcc2"): hashing a
    session token or comparing the core system's token raised on them (a 500)."""
    from bot.agents import token_hash
    from channels.core_api import token_matches

    assert len(token_hash("\udcc2\udcff")) == 64
    assert not token_matches("\udcc2\udcff", CORE_TOKEN)
    assert token_matches(CORE_TOKEN, CORE_TOKEN)


def test_call_state_from_a_query_takes_only_decimal_counts() -> None:
    """Was a 500 on a signed call webhook: "²" passes str.isdigit() but int() refuses it."""
    from channels.twilio_voice_twiml import CallState

    state = CallState.from_args({"misses": "²", "asked": "١", "lang": "\ud800", "consent": ["1"]})
    assert (state.misses, state.asked, state.lang, state.consent) == (0, 1, "zh", True)
