"""The cached check of action server answers gives Rasa's own verdicts and messages."""
from __future__ import annotations

from typing import Any, Dict, List

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from rasa_server import patches

ANSWERS: List[Dict[str, Any]] = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "language", "value": "zh", "timestamp": None}],
     "responses": [{"text": "您好", "buttons": [], "template": None}]},
    {"events": [{"event": "active_loop", "name": "identity_form"},
                {"event": "followup", "name": "action_listen"}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot"}]},
    {"events": "not a list"},
    {"responses": ["not an object"]},
    {"events": [{"event": "bot", "text": 5}]},
]


def verdict(check: Any, answer: Dict[str, Any]) -> str:
    try:
        check(RemoteAction("action_x", None), answer)
        return "ok"
    except ValidationError as error:
        return error.message


@pytest.mark.parametrize("answer", ANSWERS)
def test_the_cached_check_agrees_with_rasas_own(answer: Dict[str, Any]) -> None:
    patches.install()
    patches.install()  # idempotent: still one wrapper
    cached = RemoteAction._validate_action_result
    original = cached.__wrapped__
    assert not hasattr(original, "__wrapped__")
    assert verdict(cached, answer) == verdict(original, answer)


def test_a_bad_answer_is_still_refused_with_rasas_explanation() -> None:
    patches.install()
    message = verdict(RemoteAction._validate_action_result, {"events": [{"event": "nope"}]})
    assert message != "ok" and "Failed to validate Action server response" in message
