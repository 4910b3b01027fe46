"""The one place that changes Rasa's own classes: `install()`, called once per Rasa server
process (rasa_server/stores.py calls it when Rasa loads endpoints.yml's stores).

Three changes. Two are on rasa.core.actions.action.RemoteAction (the custom-action client):

- `run` is wrapped by `guarded_run` (rasa_server/turns.py): an action server that cannot be
  reached or fails marks the turn failed, and no later custom action of a failed turn runs;
- `_validate_action_result` is replaced by rasa_server/action_results.py's validator, built
  once instead of on every action call.

The third is on rasa.core.processor.MessageProcessor: a customer's message to a paused
conversation (handed to a person) runs `action_while_waiting` (actions/handoff.py) instead of
nothing, so that a customer still waiting in the queue is answered (bot/waiting.py); once a person
has taken the conversation that action says nothing.

Each replaced function keeps the original as `__wrapped__`. `install()` is idempotent.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, List

from rasa_server.turns import ACTIONS_UNAVAILABLE, current_turn

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_installed = False


def install() -> None:
    """Changes Rasa's RemoteAction once per process (see the module docstring)."""
    global _installed
    with _lock:
        if _installed:
            return
        _guard_remote_action_run()
        _cache_action_result_validation()
        _answer_while_waiting()
        _installed = True


def _guard_remote_action_run() -> None:
    from rasa.core.actions import action as rasa_action
    from rasa.shared.exceptions import RasaException

    original = rasa_action.RemoteAction.run
    rejection = rasa_action.ActionExecutionRejection

    async def guarded_run(self: Any, output_channel: Any, nlg: Any, tracker: Any,
                          domain: Any) -> List[Any]:
        turn = current_turn()
        if turn is not None and turn.failed:
            # Something this turn needed is down: running more actions could store half a turn.
            raise RasaException(
                f"Custom action '{self.name()}' not run: the turn already failed "
                f"({turn.failure})."
            )
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except rejection:
            raise  # a form rejecting a value is a normal answer, not a failure
        except Exception as error:
            if turn is not None:
                turn.fail(ACTIONS_UNAVAILABLE, f"{self.name()}: {error}")
            raise

    guarded_run.__wrapped__ = original  # type: ignore[attr-defined]
    rasa_action.RemoteAction.run = guarded_run  # type: ignore[method-assign]
    logger.debug("turn guard installed on RemoteAction.run")


def _cache_action_result_validation() -> None:
    from rasa.core.actions.action import RemoteAction

    from rasa_server.action_results import cached_validation

    validate = cached_validation()
    validate.__wrapped__ = RemoteAction._validate_action_result  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = validate  # type: ignore[method-assign]


WAITING_ACTION = "action_while_waiting"


def answers_while_waiting(tracker: Any, action_names: Any) -> bool:
    """Whether this turn is a customer's message to a paused conversation (handed to a person)
    that action_while_waiting answers: not a restart, not an external trigger (the hand-back
    greeting, a notice), and only with a domain that has the action."""
    from rasa.shared.core.constants import USER_INTENT_RESTART
    from rasa.shared.core.events import ActionExecuted, UserUttered

    if not tracker.is_paused():
        return False
    # The customer's words, with only slots set since (action_extract_slots): no action yet.
    last = next((event for event in reversed(tracker.events)
                 if isinstance(event, (UserUttered, ActionExecuted))), None)
    if not isinstance(last, UserUttered):
        return False
    intent = (last.intent or {}).get("name") or ""
    return (intent != USER_INTENT_RESTART and not intent.startswith("EXTERNAL_")
            and WAITING_ACTION in action_names)


def _answer_while_waiting() -> None:
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecuted

    original = MessageProcessor._run_prediction_loop

    async def prediction_loop(self: Any, output_channel: Any, tracker: Any) -> None:
        if not answers_while_waiting(tracker, self.domain.action_names_or_texts):
            return await original(self, output_channel, tracker)
        await self._run_action(
            self._get_action(WAITING_ACTION), tracker, output_channel, self.nlg,
            PolicyPrediction.for_action_name(self.domain, WAITING_ACTION),
        )
        # The turn ends here either way: the next message is a new turn, for the bot again if
        # the customer left the queue.
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))

    prediction_loop.__wrapped__ = original  # type: ignore[attr-defined]
    MessageProcessor._run_prediction_loop = prediction_loop  # type: ignore[method-assign]
    logger.debug("waiting answer installed on MessageProcessor._run_prediction_loop")
