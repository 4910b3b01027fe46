"""rasa_server/patches.py: a customer's message to a paused conversation runs
action_while_waiting (instead of nothing), and the turn ends with a listen."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ConversationPaused, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_server import patches


class _Processor(SimpleNamespace):
    async def _run_action(self, action, tracker, output_channel, nlg, prediction):
        self.ran.append(action)
        tracker.update(ActionExecuted(action))
        return True

    def _get_action(self, name):
        return name


def _paused_with(message: UserUttered) -> DialogueStateTracker:
    tracker = DialogueStateTracker("waiting-1", [])
    tracker.update(ConversationPaused())
    tracker.update(message)
    return tracker


def _processor() -> _Processor:
    domain = SimpleNamespace(action_names_or_texts=[patches.WAITING_ACTION])
    return _Processor(domain=domain, nlg=None, ran=[])


def test_a_message_to_a_paused_conversation_runs_the_waiting_action(monkeypatch):
    patches.install()
    monkeypatch.setattr("rasa.core.policies.policy.PolicyPrediction.for_action_name",
                        lambda domain, name: name)
    processor = _processor()
    tracker = _paused_with(UserUttered("怎么没人理我啊", {"name": "nlu_fallback"}))
    asyncio.run(MessageProcessor._run_prediction_loop(processor, None, tracker))
    assert processor.ran == [patches.WAITING_ACTION]
    assert tracker.events[-1] == ActionExecuted(ACTION_LISTEN_NAME)


@pytest.mark.parametrize("intent, paused, expected", [
    ("nlu_fallback", True, True),
    ("greet", True, True),
    ("restart", True, False),  # /restart always reaches Rasa's own loop
    ("EXTERNAL_handed_back", True, False),  # a trigger, not the customer's words
    ("greet", False, False),  # the bot is not paused: Rasa answers as usual
])
def test_which_turns_the_waiting_action_answers(intent, paused, expected):
    tracker = DialogueStateTracker("waiting-2", [])
    if paused:
        tracker.update(ConversationPaused())
    tracker.update(UserUttered("x", {"name": intent}))
    tracker.update(SlotSet("language", "zh"))  # action_extract_slots runs before the loop
    assert patches.answers_while_waiting(tracker, [patches.WAITING_ACTION]) is expected
    assert not patches.answers_while_waiting(tracker, [])  # a domain without the action


def test_a_turn_whose_action_already_ran_is_not_answered_again():
    tracker = DialogueStateTracker("waiting-3", [])
    tracker.update(ConversationPaused())
    tracker.update(UserUttered("x", {"name": "greet"}))
    tracker.update(ActionExecuted(patches.WAITING_ACTION))
    assert not patches.answers_while_waiting(tracker, [patches.WAITING_ACTION])
