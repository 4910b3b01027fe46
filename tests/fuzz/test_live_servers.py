"""Thousands of hostile requests against the real Rasa and action servers (tests/conftest.py
`claims_servers`): conversation text through the web chat webhook and Rasa's REST channel, broken
bodies, the web chat's outbox, document list and upload, the core system's endpoint and the agent
console. Seeded (CLAIMS_FUZZ_SEED replays a run; CLAIMS_FUZZ_SCALE=10 runs ten times as many).

After each group: no answer was a 5xx, both servers still run and answer, their logs gained no
traceback, and the store holds nothing that garbage must not create: no claim, claim event,
document, file, complaint, dispute, notification or score; a handoff only where the bot
misunderstood twice in a row or was asked for a person (what it does for anyone).
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple
from urllib.parse import parse_qs

import pytest
import requests
from sqlalchemy import delete, select

from bot.language import clean_text
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Handoff, IdentityLock
from tests.fuzz.conftest import row_counts
from tests.fuzz.corpus import STAGES, Fuzzer, seed_from_env, volume
from tests.support.e2e import E2E_AGENTS, E2E_CORE_API_TOKEN
from tests.support.webchat import signed_headers

pytestmark = pytest.mark.e2e

WORKERS = 4  # concurrent clients: enough to interleave turns, few enough for two cores
FUZZ_PREFIX = "fz-"
LONE_SURROGATE = range(0xD800, 0xE000)


@dataclass
class Outcome:
    what: str
    status: int
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Run:
    """Requests sent concurrently, each answer kept with what was sent."""

    servers: Any
    outcomes: List[Outcome] = field(default_factory=list)
    _local: threading.local = field(default_factory=threading.local)

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def send(self, what: str, method: str, path: str, **kwargs: Any) -> Outcome:
        kwargs.setdefault("timeout", 120)
        res = self._session().request(method, self.servers.rasa_url + path, **kwargs)
        outcome = Outcome(what, res.status_code, res.content)
        self.outcomes.append(outcome)
        return outcome

    def all(self, jobs: List[Callable[[], Any]]) -> None:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for future in [pool.submit(job) for job in jobs]:
                future.result()

    def server_errors(self) -> List[str]:
        return [f"{o.status} {o.what[:300]} -> {o.body[:200]!r}" for o in self.outcomes
                if o.status >= 500]


def tracebacks(servers: Any) -> int:
    return sum((Path(servers.log_dir) / name).read_text(errors="replace").count("Traceback")
               for name in ("rasa.log", "actions.log"))


@pytest.fixture
def run(claims_servers, claims_db_url) -> Iterator[Run]:
    """A run, and the checks every fuzz group ends with."""
    before = row_counts(claims_db_url)
    traces = tracebacks(claims_servers)
    handoffs_before = _handoff_ids(claims_db_url)
    locks_before = _lock_ids(claims_db_url)
    fuzz = Run(claims_servers)
    try:
        yield fuzz
        errors = fuzz.server_errors()
        assert not errors, (f"{len(errors)} of {len(fuzz.outcomes)} answers were 5xx "
                            f"(seed {seed_from_env()}):\n" + "\n".join(errors[:20]))
        claims_servers.check()  # both processes still run
        for path in ("/webhooks/webchat/health", "/webhooks/core/health", "/"):
            assert requests.get(claims_servers.rasa_url + path, timeout=30).status_code == 200
        after = f"after-fuzz-{uuid.uuid4().hex[:8]}"
        greeting = requests.post(claims_servers.webchat_webhook_url, json={
            "sender": after, "message": "你好"}, headers=signed_headers(after), timeout=60)
        assert greeting.status_code == 200 and greeting.json()[0]["text"]
        new_traces = tracebacks(claims_servers) - traces
        assert new_traces == 0, f"{new_traces} new tracebacks in {claims_servers.log_dir}"
        after = row_counts(claims_db_url)
        new_handoffs = _new_handoffs(claims_db_url, handoffs_before)
        # Two misunderstandings in a row hand any conversation to a person, and so does a
        # request for one ("/request_human" is the payload of the "转人工" button).
        assert all(reason in ("not_understood", "request") for _, reason in new_handoffs), (
            new_handoffs)
        assert after == {**before, "handoffs": before["handoffs"] + len(new_handoffs)}
    finally:
        _unlock(claims_db_url, locks_before)  # wrong identity answers lock demo policies


def _handoff_ids(url: str) -> set[int]:
    with unit_of_work(url) as uow:
        return set(uow.session.execute(select(Handoff.id)).scalars())


def _new_handoffs(url: str, before: set[int]) -> List[Tuple[str, str]]:
    with unit_of_work(url) as uow:
        rows = uow.session.execute(select(Handoff).where(Handoff.id.not_in(before))).scalars()
        return [(row.conversation_id, row.reason) for row in rows]


def _lock_ids(url: str) -> set[int]:
    with unit_of_work(url) as uow:
        return set(uow.session.execute(select(IdentityLock.id)).scalars())


def _unlock(url: str, keep: set[int]) -> None:
    with unit_of_work(url) as uow:
        uow.session.execute(delete(IdentityLock).where(IdentityLock.id.not_in(keep)))
        uow.commit()


def sender_of(query: str) -> str:
    """The ?sender= of a query string as the server reads it."""
    return parse_qs(query.lstrip("?")).get("sender", [""])[0]


def _texts(outcome: Outcome) -> List[str]:
    return [m.get("text") or "" for m in outcome.json()]


# --- conversations ---------------------------------------------------------------------------

def test_hostile_conversation_text_gets_an_answer_and_stores_nothing(run, claims_servers,
                                                                     claims_db_url) -> None:
    fuzz = Fuzzer(seed_from_env())
    conversations = []
    for n in range(volume(100)):
        channel = "rest" if fuzz.chance(0.35) else "webchat"
        texts = [fuzz.text() for _ in range(fuzz.choice([1, 1, 2, 3]))]
        if channel == "rest":  # Rasa's own channel (tests only) passes lone surrogates on
            texts = ["".join("\ufffd" if ord(c) in LONE_SURROGATE else c for c in t)
                     for t in texts]
        conversations.append((f"{FUZZ_PREFIX}{n}-{uuid.uuid4().hex[:6]}", channel, texts))

    silent: List[str] = []

    def converse(sender: str, channel: str, texts: List[str]) -> None:
        path = "/webhooks/rest/webhook" if channel == "rest" else "/webhooks/webchat/webhook"
        for text in texts:
            body = json.dumps({"sender": sender, "message": text}).encode()
            outcome = run.send(f"{channel} {sender} {text[:200]!r}", "POST", path, data=body,
                               headers=signed_headers(sender) if channel == "webchat" else {})
            if outcome.status != 200:
                cleaned = clean_text(text).strip() and len(text) <= 2000
                assert channel == "webchat" and outcome.status in (400, 413), outcome
                assert outcome.json()["error"] in ("empty_message", "message_too_long"), outcome
                assert outcome.status == 413 or not cleaned
                continue
            replies = _texts(outcome)
            if not any(replies):
                silent.append(sender)
            for reply in replies:
                reply.encode("utf-8")  # no lone surrogate comes back
                assert "<script" not in reply.lower() and "onerror=" not in reply.lower()

    run.all([lambda c=c: converse(*c) for c in conversations])
    turns = sum(len(texts) for _, _, texts in conversations)
    assert len(run.outcomes) == turns
    handed_over = {conversation for conversation, _ in _new_handoffs(claims_db_url, set())}
    assert set(silent) <= handed_over, "silence is only for a conversation a person holds"


def test_an_identity_check_with_hostile_answers_is_refused_cleanly(run) -> None:
    """The identity form sees the hostile text as answers: each is refused, nothing leaks."""
    fuzz = Fuzzer(seed_from_env() + 1)
    sender = f"{FUZZ_PREFIX}identity-{uuid.uuid4().hex[:6]}"

    def say_(text: str) -> List[str]:
        outcome = run.send(f"identity {text[:100]!r}", "POST", "/webhooks/webchat/webhook",
                           json={"sender": sender, "message": text},
                           headers=signed_headers(sender))
        return _texts(outcome) if outcome.status == 200 else []

    assert say_("查一下我的理赔进度") == [say("ask_policy_number", "zh")]
    for _ in range(volume(12)):
        text = fuzz.text(40)
        while "2026-0001" in text or "1985-04-12" in text:  # the demo customer's real answers
            text = fuzz.text(40)
        for reply in say_(text):
            assert "张伟" not in reply and "CLM-2026-000004" not in reply


# --- broken bodies, other routes ---------------------------------------------------------------

def test_broken_bodies_methods_and_paths_get_a_4xx(run) -> None:
    fuzz = Fuzzer(seed_from_env() + 2)
    jobs = []
    for _ in range(volume(900)):
        body = fuzz.raw_body(["sender", "message", "metadata"])
        headers = {"Content-Type": fuzz.choice(["application/json", "text/plain",
                                                "application/x-www-form-urlencoded"])}
        if fuzz.chance(0.1):
            headers[fuzz.choice(["X-Forwarded-For", "Origin", "Accept", "Cookie"])] = (
                fuzz.header_value())
        query = fuzz.choice(["", "?stream=true", "?stream=1", f"?sender={fuzz.query_value()}"])
        jobs.append((body, headers, query))
    for _ in range(volume(100)):
        method = fuzz.choice(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "POST"])
        path = fuzz.choice(["/webhooks/webchat/webhook", "/webhooks/webchat/",
                            "/webhooks/webchat/static/" + fuzz.query_value(),
                            "/webhooks/agent/static/" + fuzz.query_value(),
                            "/webhooks/" + fuzz.query_value(), "/webhooks/webchat/%2e%2e/",
                            "/webhooks/webchat/static/..%2f..%2fwebchat.py"])
        jobs.append((method, path))

    def post(body: bytes, headers: Dict[str, str], query: str) -> None:
        outcome = run.send(f"webhook{query} {body[:200]!r}", "POST",
                           "/webhooks/webchat/webhook" + query, data=body, headers=headers)
        # 401: a well-formed message for a conversation whose session token it lacks
        assert outcome.status in (200, 400, 401, 413), outcome
        if outcome.status != 200:
            assert outcome.json()["error"]

    def other(method: str, path: str) -> None:
        outcome = run.send(f"{method} {path}", method, path)
        assert outcome.status in (200, 204, 301, 302, 400, 404, 405), outcome
        if outcome.status == 200 and "/static/" in path:
            assert not outcome.body.lstrip().startswith((b'"""', b"import", b"from"))

    run.all([lambda j=j: post(*j) if len(j) == 3 else other(*j) for j in jobs])


def _verified(run: Run, sender: str) -> None:
    """张伟's conversation, identity checked: his open claim takes documents."""
    for text in ("查一下我的理赔进度", "AUTO-2026-0001", "1985-04-12"):
        outcome = run.send(f"verify {text}", "POST", "/webhooks/webchat/webhook",
                           json={"sender": sender, "message": text},
                           headers=signed_headers(sender))
        assert outcome.status == 200, outcome
    assert "CLM-2026-000004" in " ".join(_texts(outcome))


def test_outbox_document_list_and_uploads_take_garbage_and_store_none(run) -> None:
    fuzz = Fuzzer(seed_from_env() + 3)
    verified = f"{FUZZ_PREFIX}docs-{uuid.uuid4().hex[:6]}"
    _verified(run, verified)
    jobs = []
    for _ in range(volume(300)):
        sender = verified if fuzz.chance(0.4) else fuzz.query_value()
        route = fuzz.choice(["messages", "documents", "upload", "upload"])
        query = f"?sender={sender}"
        if fuzz.chance(0.5):
            query += f"&document={fuzz.choice(['driving_licence', fuzz.query_value()])}"
        content = fuzz.raw_body(["x"])
        if content.startswith((b"\x89PNG", b"\xff\xd8\xff", b"%PDF")):
            content = b"not " + content
        # The verified conversation's token, or (a stranger) none, or another's.
        session = signed_headers(fuzz.choice([verified, sender])) if fuzz.chance(0.8) else {}
        jobs.append((route, query, content, fuzz.header_value(), session))

    def call(route: str, query: str, content: bytes, filename: str,
             session: Dict[str, str]) -> None:
        path = f"/webhooks/webchat/{route}{query}"
        if route == "upload":
            outcome = run.send(f"upload {query} {filename!r}", "POST", path, data=content,
                               headers={"X-Filename": filename,
                                        "Content-Type": "application/octet-stream", **session})
        else:
            outcome = run.send(f"{route} {query}", "GET", path, headers=session)
        assert outcome.status in (200, 400, 401, 413), outcome
        if outcome.status == 200:
            assert session == signed_headers(sender_of(query)), outcome
        if outcome.status == 200 and route == "upload":
            assert _texts(outcome)[0]  # what happened and what is still missing

    run.all([lambda j=j: call(*j) for j in jobs])


def test_outbox_acknowledgements_of_garbage_change_nothing(run) -> None:
    """POST /webhooks/webchat/messages/ack: garbage bodies, other conversations' ids, huge id
    lists; never a 5xx, and no message of anyone is marked delivered (the `run` checks)."""
    fuzz = Fuzzer(seed_from_env() + 11)
    jobs = []
    for _ in range(volume(200)):
        sender = fuzz.choice([f"{FUZZ_PREFIX}ack-{uuid.uuid4().hex[:6]}", fuzz.query_value()])
        if fuzz.chance(0.5):
            ids = fuzz.choice([[fuzz.choice([1, -1, 0, 2**63, "1", None, 1.5])],
                               list(range(fuzz.choice([1, 100, 101, 5000])))])
            body = json.dumps({"sender": sender, "ids": ids}).encode("utf-8")
        else:
            body = fuzz.raw_body(["sender", "ids"])
        jobs.append((body, signed_headers(sender) if fuzz.chance(0.8) else {}))

    def call(body: bytes, session: Dict[str, str]) -> None:
        outcome = run.send(f"ack {body[:80]!r}", "POST", "/webhooks/webchat/messages/ack",
                           data=body, headers={"Content-Type": "application/json", **session})
        assert outcome.status in (200, 400, 401, 413), outcome

    run.all([lambda j=j: call(*j) for j in jobs])


# --- the core system's endpoint and the agent console ---------------------------------------

def test_core_api_garbage_moves_no_claim(run) -> None:
    fuzz = Fuzzer(seed_from_env() + 4)
    right = f"Bearer {E2E_CORE_API_TOKEN}"
    jobs = []
    for _ in range(volume(400)):
        auth = fuzz.choice([None, right, right, "Bearer wrong", f"Basic {E2E_CORE_API_TOKEN}",
                            fuzz.header_value()])
        number = fuzz.choice([fuzz.query_value(), "CLM-2026-000004", "CLM-2099-999999"])
        body = fuzz.raw_body(["stage", "note", "handler"])
        try:
            decoded = json.loads(body)
        except (ValueError, RecursionError):
            decoded = None
        if auth == right and isinstance(decoded, dict) and decoded.get("stage") in STAGES:
            decoded["stage"] = f"{decoded['stage']}!"  # garbage, not a real move
            body = json.dumps(decoded).encode()
        jobs.append((auth, number, body))

    def call(auth: str | None, number: str, body: bytes) -> None:
        headers = {"Authorization": auth} if auth else {}
        outcome = run.send(f"core {number} {auth and auth[:20]!r} {body[:200]!r}", "POST",
                           f"/webhooks/core/claims/{number}/stage", data=body, headers=headers)
        assert outcome.status in (400, 401, 403, 404, 409, 413), outcome

    run.all([lambda j=j: call(*j) for j in jobs])


def test_agent_console_garbage_changes_nothing(run, claims_db_url) -> None:
    fuzz = Fuzzer(seed_from_env() + 5)
    username, _, password = E2E_AGENTS[0]
    for _ in range(volume(8)):  # each costs an argon2 verification, on purpose
        outcome = run.send("login garbage", "POST", "/webhooks/agent/api/login",
                           data=fuzz.raw_body(["username", "password", "want_token"]),
                           headers={"Content-Type": "application/json"})
        assert outcome.status in (400, 401, 413, 415, 429), outcome
    login = run.send("login", "POST", "/webhooks/agent/api/login",
                     json={"username": username, "password": password, "want_token": True})
    assert login.status == 200, login
    token = login.json()["token"]
    top = max(_handoff_ids(claims_db_url) | {0})
    routes = ["GET /api/me", "GET /api/queue", "GET /api/complaints", "GET /api/handoffs/{id}",
              "POST /api/handoffs/{id}/take", "POST /api/handoffs/{id}/messages",
              "POST /api/handoffs/{id}/handback", "POST /api/complaints/{ref}/outcome",
              "POST /api/complaints/{ref}/acknowledge", "POST /api/complaints/{ref}/complexity"]
    jobs = []
    for _ in range(volume(300)):
        method, path = fuzz.choice(routes).split(" ")
        handoff_id = fuzz.choice([str(top + fuzz.rng.randint(1, 10**6)), "-1", "0",
                                  str(2**31), str(2**64), fuzz.query_value()])
        path = path.replace("{id}", handoff_id).replace(
            "{ref}", fuzz.choice(["CMP-2099-999999", fuzz.query_value()]))
        auth = fuzz.choice(["bearer", "bearer", "cookie", "forged", "none"])
        headers = {"bearer": {"Authorization": f"Bearer {token}"},
                   "cookie": {"Cookie": f"claims_agent_session={token}"},
                   "forged": {"Authorization": "Bearer " + fuzz.header_value()},
                   "none": {}}[auth]
        headers["Content-Type"] = fuzz.choice(["application/json", "text/plain"])
        jobs.append((method, path, headers,
                     fuzz.raw_body(["text", "resolution", "outcome", "accepted", "complexity"])))

    def call(method: str, path: str, headers: Dict[str, str], body: bytes) -> None:
        outcome = run.send(f"{method} {path} {body[:150]!r}", method, "/webhooks/agent" + path,
                           data=body, headers=headers)
        assert outcome.status in (200, 400, 401, 403, 404, 405, 413, 415), outcome

    run.all([lambda j=j: call(*j) for j in jobs])


def test_header_bytes_that_are_not_utf8_are_refused_not_a_500(run, claims_servers) -> None:
    """Was a 500: the server reads such bytes as surrogates, and hashing or comparing the
    token failed on them (an in-process ASGI test cannot see this: ASGI reads latin-1)."""
    odd = "Bearer \u00c2\u00ff\u00e9"  # sent as the bytes C2 FF E9
    calls = [
        ("GET", "/webhooks/agent/api/queue", {"Authorization": odd}, 401),
        ("GET", "/webhooks/agent/api/queue", {"Cookie": "claims_agent_session=\u00c2\u00ff"}, 401),
        ("POST", "/webhooks/core/claims/CLM-2026-000004/stage", {"Authorization": odd}, 403),
    ]
    for method, path, headers, status in calls:
        outcome = run.send(f"{method} {path} {headers}", method, path, headers=headers,
                           data=b"{}")
        assert outcome.status == status, outcome
    username, _, password = E2E_AGENTS[0]
    login = requests.post(claims_servers.rasa_url + "/webhooks/agent/api/login",
                          json={"username": username, "password": password}, timeout=60)
    cookie = login.headers["Set-Cookie"].split(";")[0]
    outcome = run.send("csrf", "POST", "/webhooks/agent/api/logout",
                       headers={"Cookie": cookie, "X-CSRF-Token": "\u00c2\u00ff"})
    assert outcome.status == 403, outcome


# --- Telegram and Twilio (SMS, WhatsApp, calls): forged and properly signed --------------------

def _settle(count: Callable[[], int], quiet_s: float = 3.0, limit_s: float = 120.0) -> None:
    """Until the channel's background turns stop calling out (their replies are counted)."""
    deadline = time.monotonic() + limit_s
    last, since = count(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return


def _no_surrogates(text: str) -> str:
    """Form fields travel as UTF-8: a lone surrogate cannot be sent at all."""
    return "".join("\ufffd" if ord(c) in LONE_SURROGATE else c for c in text)


def test_telegram_webhook_refuses_forgeries_and_survives_signed_garbage(
        run, claims_servers, telegram_standin) -> None:
    from tests.standins.telegram import SECRET, SECRET_HEADER

    fuzz = Fuzzer(seed_from_env() + 6)
    url = "/webhooks/telegram/webhook"
    jobs = []
    for _ in range(volume(150)):  # forged: no secret, a wrong one, bytes that are not UTF-8
        secret = fuzz.choice([None, "wrong", SECRET + "x", SECRET[:-1], fuzz.header_value()])
        headers = {SECRET_HEADER: secret} if secret else {}
        jobs.append(("forged", headers, fuzz.raw_body(["update_id", "message"])))
    signed = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    for n in range(volume(200)):
        # A chat of its own per update: a long random walk through one conversation could file
        # a real complaint (the corpus holds a demo customer's real identity answers).
        chat_id = fuzz.choice([7_000_000_000 + n, -(10**12) - n, 2**70 + n, 9_000_000_000 + n])
        kind = fuzz.rng.random()
        if kind < 0.25:
            body = fuzz.raw_body(["update_id", "message", "callback_query"])
        elif kind < 0.6:
            update = telegram_standin.text_update(chat_id, fuzz.text(),
                                                  language_code=fuzz.choice(["zh", "en", None]))
            body = json.dumps(update).encode()
        elif kind < 0.7:
            body = json.dumps(telegram_standin.callback_update(chat_id, fuzz.text(30))).encode()
        elif kind < 0.8:
            content = fuzz.choice([
                {"voice": {"file_id": "missing", "duration": fuzz.choice([1, 10**9, -1, "x"])}},
                {"photo": [{"file_id": "missing", "width": 1, "height": 1}]},
                {"photo": "not a list"},
                {"document": {"file_id": "missing", "file_name": fuzz.text(30),
                              "mime_type": fuzz.text(20), "file_size": fuzz.scalar()}},
                {"location": {"latitude": fuzz.scalar(), "longitude": fuzz.scalar()}},
                {"sticker": {"file_id": "x"}}, {"text": fuzz.scalar()},
            ])
            update = telegram_standin.update(message={
                "message_id": 1, "date": 0, "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "is_bot": False, "first_name": fuzz.text(10)}, **content})
            body = json.dumps(update).encode()
        else:  # the right shape with wrong types anywhere
            update = {"update_id": fuzz.choice([fuzz.rng.randint(1, 10**9), fuzz.scalar()]),
                      fuzz.choice(["message", "edited_message", "callback_query", "poll"]):
                          fuzz.choice([fuzz.value(), {"chat": fuzz.value(), "text": fuzz.text(),
                                                      "from": fuzz.value()}])}
            body = json.dumps(update, allow_nan=True).encode()
        jobs.append(("signed", signed, body))

    def post(kind: str, headers: Dict[str, str], body: bytes) -> None:
        outcome = run.send(f"telegram {kind} {body[:200]!r}", "POST", url, data=body,
                           headers=headers)
        if kind == "forged":
            assert outcome.status == 403, outcome
        else:
            assert outcome.status in (200, 400, 413), outcome

    run.all([lambda j=j: post(*j) for j in jobs])
    _settle(lambda: len(telegram_standin.calls))


def test_twilio_webhooks_refuse_forgeries_and_survive_signed_garbage(
        run, claims_servers, twilio_standin) -> None:
    fuzz = Fuzzer(seed_from_env() + 7)
    base = claims_servers.rasa_url

    def sid(prefix: str) -> str:
        return prefix + uuid.uuid4().hex

    def sms_form() -> Dict[str, str]:
        form = {
            "MessageSid": fuzz.choice([sid("SM"), sid("MM"), fuzz.text(20)]),
            "From": fuzz.choice([f"+86139{fuzz.rng.randint(0, 10**8 - 1):08d}",
                                 f"whatsapp:+86138{fuzz.rng.randint(0, 10**8 - 1):08d}",
                                 fuzz.text(20)]),
            "To": "+15005550006", "Body": fuzz.text(),
            "NumMedia": fuzz.choice(["0", "1", "-1", "99", "x", fuzz.text(5)]),
        }
        if fuzz.chance(0.2):
            form.update(MediaUrl0=fuzz.choice([twilio_standin.base_url + "/files/missing",
                                               "http://127.0.0.1:9/nothing", fuzz.text(30)]),
                        MediaContentType0=fuzz.choice(["image/jpeg", fuzz.text(20)]))
        if fuzz.chance(0.1):
            form.update(Latitude=str(fuzz.scalar()), Longitude=str(fuzz.scalar()), Body="")
        return {k: _no_surrogates(str(v)) for k, v in form.items()}

    def call_form() -> Dict[str, str]:
        form = {"CallSid": fuzz.choice([sid("CA"), sid("CA"), fuzz.text(34)]),
                "From": fuzz.choice(["+8613800000001", fuzz.text(15)]),
                "Digits": fuzz.choice(["1", "2", "9", "0", "*", "#", "hangup", "١", "²",
                                       fuzz.text(10)]),
                "DialCallStatus": fuzz.choice(["completed", "busy", fuzz.text(10)]),
                "SpeechResult": fuzz.text()}
        return {k: _no_surrogates(v) for k, v in form.items()}

    def call_query() -> str:
        args = {name: fuzz.choice(["0", "1", "9", "99999999999999999999", "-1", "²", "١",
                                   "zh", "en", "xx", fuzz.text(5)])
                for name in ("lang", "consent", "misses", "asked") if fuzz.chance(0.5)}
        from urllib.parse import urlencode

        return ("?" + urlencode({k: _no_surrogates(v) for k, v in args.items()})) if args else ""

    jobs: List[Tuple[str, str, Dict[str, str], bool]] = []
    for _ in range(volume(100)):
        jobs.append(("sms", f"{base}/webhooks/twilio/webhook", sms_form(), fuzz.chance(0.7)))
    for _ in range(volume(80)):
        route = fuzz.choice(["webhook", "language", "consent", "digits", "dial", "digits"])
        url = f"{base}/webhooks/twilio_voice/{route}{call_query()}"
        jobs.append(("call", url, call_form(), fuzz.chance(0.7)))

    # Were a 500 ("²" passes str.isdigit(), not int()) and a traceback per forged request (a
    # multipart type without a boundary): each kept here, whatever the seed draws.
    jobs.append(("call", f"{base}/webhooks/twilio_voice/digits?misses=%C2%B2&asked=%C2%B2",
                 {"CallSid": sid("CA"), "Digits": "1", "From": "+8613800000001"}, True))
    raw: List[Tuple[str, bytes, Dict[str, str]]] = [
        ("/webhooks/twilio/webhook", b"Body=hi", {"Content-Type": "multipart/form-data",
                                                  "X-Twilio-Signature": "forged="})]
    for _ in range(volume(60)):  # not a form at all, or bytes that are not UTF-8
        path = fuzz.choice(["/webhooks/twilio/webhook", "/webhooks/twilio_voice/webhook",
                            "/webhooks/twilio_voice/turn" + call_query()])
        headers = {"Content-Type": fuzz.choice(["application/x-www-form-urlencoded",
                                                "multipart/form-data", "text/plain"])}
        if fuzz.chance(0.7):
            headers["X-Twilio-Signature"] = fuzz.header_value()
        raw.append((path, fuzz.raw_body(["Body", "From", "CallSid"]), headers))

    def post_raw(path: str, body: bytes, headers: Dict[str, str]) -> None:
        outcome = run.send(f"twilio raw {path} {headers} {body[:150]!r}", "POST", path,
                           data=body, headers=headers)
        assert outcome.status in (400, 403, 413), outcome

    def post(kind: str, url: str, form: Dict[str, str], signed: bool) -> None:
        if signed:
            headers = {"X-Twilio-Signature": twilio_standin.signature(url, form)}
        else:
            headers = fuzz.choice([{}, {"X-Twilio-Signature": "forged="},
                                   {"X-Twilio-Signature": twilio_standin.signature(url, {})}])
        outcome = run.send(f"{kind} {'signed' if signed else 'forged'} {url} {form}", "POST",
                           url[len(base):], data=form, headers=headers)
        if not signed and form:  # 413: a query string past the server's header limit
            assert outcome.status in (403, 413), outcome
        else:
            assert outcome.status in (200, 400, 403, 413), outcome

    run.all([lambda j=j: post(*j) for j in jobs] + [lambda r=r: post_raw(*r) for r in raw])
    _settle(lambda: len(twilio_standin.messages))


def test_webchat_voice_notes_of_garbage_are_answered_not_crashed(run) -> None:
    """Bytes that are not audio, truncated audio, silence and a bare tone: each gets an answer
    in words (or a 4xx), never a 5xx; nothing reaches the bot as text."""
    from tests.support.audio import silence, tone

    fuzz = Fuzzer(seed_from_env() + 8)
    wav = silence(1.0)
    bodies = [b"", b"RIFF" + b"\x00" * 40, wav[: len(wav) // 3], wav, tone(1.0),
              b"OggS" + fuzz.raw_body(["x"]), b"ID3" + fuzz.raw_body(["x"])]
    bodies += [fuzz.raw_body(["x"]) for _ in range(volume(30))]
    jobs = []
    for body in bodies:
        sender = (f"{FUZZ_PREFIX}voice-{uuid.uuid4().hex[:6]}" if fuzz.chance(0.8)
                  else fuzz.query_value())
        query = f"?sender={sender}" + (f"&locale={fuzz.query_value()}" if fuzz.chance(0.3)
                                       else "")
        content_type = fuzz.choice(["audio/webm", "audio/wav", "application/octet-stream",
                                    "text/plain"])
        jobs.append((query, body, content_type,
                     signed_headers(sender) if fuzz.chance(0.9) else {}))

    def call(query: str, body: bytes, content_type: str, session: Dict[str, str]) -> None:
        outcome = run.send(f"voice {query} {body[:60]!r}", "POST", "/webhooks/webchat/voice"
                           + query, data=body, headers={"Content-Type": content_type, **session})
        assert outcome.status in (200, 400, 401, 413), outcome
        if outcome.status == 200:
            assert _texts(outcome)[0]  # e.g. "没有听清,请再说一遍"

    run.all([lambda j=j: call(*j) for j in jobs])


# --- Rasa's own HTTP API: closed unless the token is presented -----------------------------------

RASA_API_ROUTES = [
    # GET /version stays open by Rasa's design: it tells the version and nothing else.
    "GET /status", "GET /domain", "POST /model/parse", "PUT /model",
    "DELETE /model", "POST /model/train", "POST /model/test/stories", "POST /model/test/intents",
    "POST /model/predict", "GET /conversations/{id}/tracker",
    "POST /conversations/{id}/tracker/events", "PUT /conversations/{id}/tracker/events",
    "GET /conversations/{id}/story", "POST /conversations/{id}/execute",
    "POST /conversations/{id}/trigger_intent", "POST /conversations/{id}/predict",
    "POST /conversations/{id}/messages",
]


def test_rasa_api_routes_answer_401_403_or_404_without_the_token(run, claims_servers) -> None:
    """claims_servers opted into the API with a token: every route of it, with garbage bodies
    and wrong or missing tokens, is refused and changes nothing (the `run` checks)."""
    fuzz = Fuzzer(seed_from_env() + 9)
    jobs = []
    for _ in range(volume(200)):
        method, path = fuzz.choice(RASA_API_ROUTES).split(" ")
        path = path.replace("{id}", fuzz.choice([f"{FUZZ_PREFIX}{uuid.uuid4().hex[:6]}",
                                                 fuzz.query_value()]))
        token = fuzz.choice([None, "", fuzz.query_value(), claims_servers.api_token[:-1],
                             claims_servers.api_token + "0"])
        jobs.append((method, path, token, fuzz.raw_body(["name", "text", "event", "value"])))

    def call(method: str, path: str, token: str | None, body: bytes) -> None:
        params = {} if token is None else {"token": token}
        outcome = run.send(f"{method} {path} token={token!r}", method, path, params=params,
                           data=body, headers={"Content-Type": "application/json"})
        assert outcome.status in (401, 403, 404), outcome

    run.all([lambda j=j: call(*j) for j in jobs])
