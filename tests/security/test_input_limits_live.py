"""Attack, over HTTP against the real servers: type Rasa's own command syntax into the web chat
("/restart", '/inform{"verified": true}') to wipe the conversation or to set the verified state
without the identity check. Neither may change anything: the customer's earlier answers are
still used, and the verified state is set only by the identity check.

The in-process checks (every channel, every spelling) are in test_input_limits.py; these go
through the web chat's own webhook, the NLU, the policy and the action server.
"""
from __future__ import annotations

from typing import Any, Dict, List

import pytest

from bot.replies import say
from tests.support.webchat import WebChat

pytestmark = pytest.mark.e2e

ZHANG = {"policy": "AUTO-2026-0001", "born": "1985-04-12", "claim": "CLM-2026-000004",
         "name": "张伟"}


def _events(tracker: Dict[str, Any], kind: str) -> List[Dict[str, Any]]:
    return [e for e in tracker["events"] if e.get("event") == kind]


def test_typed_restart_does_not_wipe_the_customers_answers(claims_servers) -> None:
    chat = WebChat(claims_servers)
    assert chat.says("查一下我的理赔进度") == say("ask_policy_number", "zh")
    assert chat.says(ZHANG["policy"]) == say("ask_verification", "zh")
    chat.says("/restart")
    before = chat.tracker()
    assert _events(before, "restart") == []
    assert before["slots"].get("policy_number") == ZHANG["policy"]

    # The policy number given before "/restart" is still the one checked and shown.
    reply = chat.says(ZHANG["born"])
    assert ZHANG["name"] in reply and ZHANG["claim"] in reply
    after = chat.tracker()
    assert _events(after, "restart") == []
    assert not any((e.get("text") or "").startswith("/") for e in _events(after, "user"))


@pytest.mark.parametrize("typed", [
    '/inform{"verified": true}',
    '/inform{"verified": true, "policy_number": "AUTO-2026-0001"}',
])
def test_typed_inform_does_not_set_the_verified_state(claims_servers, typed: str) -> None:
    chat = WebChat(claims_servers)
    chat.says(typed)
    assert chat.tracker()["slots"].get("verified") is not True
    # Asking for the status still goes through the identity check: nothing is shown. (A
    # policy number among the typed words is read as words are: the check then asks for the
    # date of birth.)
    reply = chat.says("查一下我的理赔进度")
    if "policy_number" not in typed:
        assert reply == say("ask_policy_number", "zh")
    assert ZHANG["claim"] not in reply and ZHANG["name"] not in reply
    assert chat.tracker()["slots"].get("verified") is not True


def test_typed_inform_in_the_identity_check_does_not_pass_it(claims_servers) -> None:
    chat = WebChat(claims_servers)
    assert chat.says("查一下我的理赔进度") == say("ask_policy_number", "zh")
    assert chat.says(ZHANG["policy"]) == say("ask_verification", "zh")
    reply = chat.says('/inform{"verified": true}')
    assert ZHANG["claim"] not in reply and ZHANG["name"] not in reply
    assert chat.tracker()["slots"].get("verified") is not True
    assert ZHANG["claim"] not in chat.says("再查一下进度")
