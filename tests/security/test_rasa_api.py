"""Attacks on Rasa's own HTTP API and its CORS, over real HTTP against servers started as
`make run` starts them (issue 18: the API was on with no token and CORS reflected any origin)."""
from __future__ import annotations

import http.server
import threading
import uuid
from typing import Iterator, List, Tuple

import pytest
import requests
import sqlalchemy as sa

pytestmark = pytest.mark.e2e

CLOSED = (401, 403, 404)
EVIL = "https://evil.example"


def _attacks(conversation: str, model_url: str) -> List[Tuple[str, str, object]]:
    forged = [{"event": "slot", "name": "verified", "value": True},
              {"event": "slot", "name": "policy_number", "value": "MED-2026-0002"}]
    return [
        ("POST", f"/conversations/{conversation}/tracker/events", forged),
        ("PUT", f"/conversations/{conversation}/tracker/events", forged),
        ("GET", f"/conversations/{conversation}/tracker", None),
        ("GET", f"/conversations/{conversation}/story", None),
        ("POST", f"/conversations/{conversation}/messages",
         {"text": "查一下理赔进度", "sender": "user"}),
        ("POST", f"/conversations/{conversation}/trigger_intent", {"name": "check_status"}),
        ("POST", f"/conversations/{conversation}/execute", {"name": "action_show_status"}),
        ("POST", "/model/parse", {"text": "我的保单号是 MED-2026-0002"}),
        ("PUT", "/model", {"model_server": {"url": model_url}}),
        ("DELETE", "/model", None),
        ("GET", "/status", None),
        ("GET", "/domain", None),
    ]


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: List[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def model_server() -> Iterator[Tuple[str, List[str]]]:
    """Where an attacker would make the server fetch a 'model' from; records any fetch."""
    _Recorder.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/evil-model.tar.gz", _Recorder.hits
    finally:
        server.shutdown()
        server.server_close()


def _stored_events(servers, conversation: str) -> int:
    engine = sa.create_engine(f"sqlite:///{servers.env['CLAIMS_VAR_DIR']}/trackers.db")
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("events"):
                return 0
            return connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"),
                                      {"s": conversation}).scalar_one()
    finally:
        engine.dispose()


def test_a_default_start_has_no_http_api_to_forge_read_or_reload_with(
        default_servers, model_server) -> None:
    model_url, fetched = model_server
    conversation = f"victim{uuid.uuid4().hex[:8]}"
    for method, path, body in _attacks(conversation, model_url):
        answer = requests.request(method, default_servers.rasa_url + path, json=body, timeout=30)
        assert answer.status_code in CLOSED, (method, path, answer.status_code, answer.text[:200])
        assert "MED-2026-0002" not in answer.text and "李秀英" not in answer.text
    assert fetched == []  # PUT /model made the server fetch nothing
    assert _stored_events(default_servers, conversation) == 0  # no forged slot was stored
    assert requests.get(default_servers.rasa_url + "/", timeout=30).status_code == 200


def test_an_opted_in_api_refuses_calls_without_its_token(claims_servers, model_server) -> None:
    model_url, fetched = model_server
    conversation = f"victim{uuid.uuid4().hex[:8]}"
    for token in (None, "guessed-token", claims_servers.api_token + "x"):
        params = {"token": token} if token is not None else {}
        for method, path, body in _attacks(conversation, model_url):
            answer = requests.request(method, claims_servers.rasa_url + path, json=body,
                                      params=params, timeout=30)
            assert answer.status_code in CLOSED, (method, path, token, answer.status_code)
    assert fetched == []
    # The operator who holds the token gets in, and sees the forgeries were never stored.
    tracker = requests.get(f"{claims_servers.rasa_url}/conversations/{conversation}/tracker",
                           params={"token": claims_servers.api_token}, timeout=30)
    assert tracker.status_code == 200
    assert tracker.json()["slots"].get("verified") in (None, False)


def test_cors_preflight_from_another_site_is_not_allowed(default_servers) -> None:
    own = default_servers.rasa_url  # the web chat is served from here
    for path in ("/webhooks/webchat/webhook", "/webhooks/webchat/upload",
                 "/conversations/x/tracker/events", "/model/parse"):
        preflight = requests.options(default_servers.rasa_url + path, timeout=30, headers={
            "Origin": EVIL, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        allowed = preflight.headers.get("Access-Control-Allow-Origin")
        assert allowed not in (EVIL, "*"), (path, preflight.headers)
    simple = requests.post(default_servers.webchat_webhook_url, timeout=60,
                           headers={"Origin": EVIL},
                           json={"sender": f"cors{uuid.uuid4().hex[:8]}", "message": "你好"})
    assert simple.headers.get("Access-Control-Allow-Origin") not in (EVIL, "*")
    # The web chat's own origin still works.
    ours = requests.options(default_servers.webchat_webhook_url, timeout=30, headers={
        "Origin": own, "Access-Control-Request-Method": "POST"})
    assert ours.headers.get("Access-Control-Allow-Origin") == own
