"""The claim in focus: the one the conversation is about now, for "还缺什么材料？" and for what the
web chat's document list and upload are for.

It is the claim last picked from the status list or named (a tap on its button, its number
typed, its place "第二个" or line "the car one"), last told in full by the status reply, or
reported in this conversation, whichever came last. Each of these leaves the claim's number in
a slot (`claim_number`, cleared again by the status reply, or `last_claim_number`); the latest
such value is the focus. One rule for the actions (rasa_sdk's events are dicts) and the
channels (Rasa's are Event objects)."""
from __future__ import annotations

from typing import Any, Iterable

from bot.parsing import parse_claim_number

FOCUS_SLOTS = ("claim_number", "last_claim_number")


def _slot_set(event: Any) -> tuple[str | None, Any]:
    """(slot name, value) of a slot event, dict or Event object; (None, None) otherwise."""
    if isinstance(event, dict):
        if event.get("event") == "slot":
            return event.get("name"), event.get("value")
        return None, None
    if getattr(event, "type_name", "") == "slot":
        return getattr(event, "key", None), getattr(event, "value", None)
    return None, None


def _restart(event: Any) -> bool:
    kind = event.get("event") if isinstance(event, dict) else getattr(event, "type_name", "")
    return kind == "restart"


def claim_in_focus(events: Iterable[Any]) -> str | None:
    """The claim number in focus after `events` (oldest first; a restart forgets), or None."""
    for event in reversed(list(events)):
        if _restart(event):
            return None
        name, value = _slot_set(event)
        if name in FOCUS_SLOTS and value:
            return parse_claim_number(str(value)) or None
    return None
