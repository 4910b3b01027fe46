"""What a words check (components/*) makes of a message the classifier read as `guessed`."""
from __future__ import annotations

from typing import Any

from rasa.shared.nlu.training_data.message import Message


def intent_after(check: Any, text: str, guessed: str, confidence: float = 0.5) -> str:
    """The intent after `check` (a component: SideQuestionCheck(), PersonRequestCheck()...)
    processed `text`, guessed as `guessed` with `confidence`."""
    message = Message(data={"text": text, "intent": {"name": guessed, "confidence": confidence},
                            "intent_ranking": [{"name": guessed, "confidence": confidence}]})
    check.process([message])
    return message.get("intent")["name"]
