"""The SMS receipt's one-time link in the web chat (POST /webhooks/webchat/login): the token
logs one conversation in for the claim, as the identity check would, once; a spent, unknown or
malformed token is refused alike with words to show."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from rasa.shared.core.domain import Domain

from bot.access import viewer_of
from bot.login_links import issue
from bot.replies import say
from bot.store.db import unit_of_work
from tests.channels.test_agent_console import StandInRasaAgent
from tests.support.asgi import AsgiClient
from tests.support.store import seeded_store
from tests.support.webchat import webchat_client

LOGIN = "/webhooks/webchat/login"
CLAIM = "CLM-2026-000004"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with seeded_store(monkeypatch, tmp_path) as url:
        yield url


DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(DOMAIN))


@pytest.fixture
def rasa(domain: Domain) -> StandInRasaAgent:
    """The console tests' stand-in agent, keeping trackers with the bot's own slots."""
    return StandInRasaAgent(domain)


@pytest.fixture
def client(db: str, rasa: StandInRasaAgent) -> Iterator[AsgiClient]:
    with webchat_client(rasa) as c:
        yield c


def _token(url: str) -> tuple[str, int]:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(CLAIM)
        token = issue(uow, claim)
        uow.commit()
        return token, claim.policy.customer_id


def test_the_link_logs_the_conversation_in_for_the_claim_once(client: AsgiClient, db: str,
                                                              rasa: StandInRasaAgent) -> None:
    token, customer_id = _token(db)
    res = client.post(LOGIN, json_body={"sender": "web-abc", "token": token,
                                        "metadata": {"locale": "zh-CN"}})
    assert res.status == 200, res.text
    assert res.json()["claim_number"] == CLAIM and CLAIM in res.json()["text"]
    tracker = client.loop.run_until_complete(rasa.tracker_store.retrieve("web-abc"))
    slots = {name: slot.value for name, slot in tracker.slots.items()}
    assert slots["verified"] is True and slots["customer_id"] == customer_id
    assert slots["claim_number"] == slots["last_claim_number"] == CLAIM
    viewer = viewer_of("web-abc", slots, list(tracker.events))
    assert viewer.verified and viewer.customer_id == customer_id
    assert tracker.latest_bot_utterance.text == res.json()["text"]

    again = client.post(LOGIN, json_body={"sender": "web-other", "token": token})
    assert again.status == 403 and again.json()["error"] == "link_refused"
    assert again.json()["text"] == say("webchat_link_refused", "zh")
    assert client.loop.run_until_complete(rasa.tracker_store.retrieve("web-other")) is None


@pytest.mark.parametrize("body, status", [
    ({"sender": "web-abc", "token": "not a token!"}, 403),
    ({"sender": "web-abc", "token": "A" * 22}, 403),
    ({"sender": "web-abc"}, 403),
    ({"sender": "tg-12345", "token": "A" * 22}, 400),  # never for a Telegram conversation
    ({"token": "A" * 22}, 400),
])
def test_bad_requests_are_refused(client: AsgiClient, body: dict, status: int) -> None:
    res = client.post(LOGIN, json_body=body)
    assert res.status == status, res.text


@pytest.mark.parametrize("method, path, allowed", [
    ("GET", LOGIN, "POST"), ("PUT", LOGIN, "POST"), ("POST", "/webhooks/webchat/messages", "GET"),
])
def test_a_wrong_method_is_answered_in_json_like_every_web_chat_route(
    client: AsgiClient, method: str, path: str, allowed: str
) -> None:
    answer = client.request(method, path)
    assert answer.status == 405 and answer.headers.get("allow") == allowed
    assert answer.json()["error"] == "method_not_allowed"


def test_the_refusal_speaks_the_pages_language(client: AsgiClient) -> None:
    res = client.post(LOGIN, json_body={"sender": "web-abc", "token": "A" * 22,
                                        "metadata": {"locale": "en-GB"}})
    assert res.json()["text"] == say("webchat_link_refused", "en")


def test_the_page_spends_a_link_from_the_fragment_only() -> None:
    script = (Path(__file__).resolve().parents[2] / "channels" / "static" / "webchat.js"
              ).read_text(encoding="utf-8")
    assert "window.location.hash" in script and 'fetch("login"' in script
    assert "replaceState" in script  # the token leaves the address bar at once
