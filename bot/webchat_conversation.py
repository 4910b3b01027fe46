"""A web chat conversation as the page shows it again, and how the customer ends it.

`visible_history(events)` is what the customer was shown and said in the conversation's current
session (after its latest restart or session start), in order: the customer's words (as the
tracker store keeps them, i.e. redacted: a date of birth typed as an identity answer comes back
as its label), the bot's and agents' messages, never an external trigger, a slot or an action.
A button the customer pressed comes back as the button's title, as the page showed it. Only the
last MAX_MESSAGES messages are given, each cut to MAX_TEXT_CHARS, and phones, ID and card numbers
are masked again (bot.privacy.redact_text), as the agents' transcript shows them: a page
restored on a shared computer shows no more than the customer's own view did.

`record_end(sender)` is the bookkeeping of "结束对话 / End chat" (the channel resets the tracker
itself, with Rasa's restart): a request for a person not yet taken is withdrawn, and the end is
audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Tuple

from bot.access import _field, _is_customer_message, _kind

MAX_MESSAGES = 100
MAX_TEXT_CHARS = 2000
ELLIPSIS = "…"
# The events after which the conversation starts afresh (Rasa's restart, a new session).
_RESETS = ("restart", "session_started")
END_ACTOR = "webchat"
ENDED_RESOLUTION = "客户结束了对话 / the customer ended the chat"


@dataclass(frozen=True)
class History:
    """What the page shows again: messages oldest first, and whether older ones were left out."""

    messages: Tuple[Dict[str, Any], ...] = ()
    truncated: bool = False

    def as_json(self) -> Dict[str, Any]:
        return {"messages": list(self.messages), "truncated": self.truncated}


def _current_session(events: Iterable[Any]) -> List[Any]:
    """The events after the latest restart or session start."""
    current: List[Any] = []
    for event in events:
        if _kind(event) in _RESETS:
            current = []
        else:
            current.append(event)
    return current


def _shown(text: str) -> str:
    from bot.privacy import redact_text

    text = redact_text(text, masked=True)
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS - 1] + ELLIPSIS


def _buttons(event: Any) -> List[Dict[str, str]]:
    data = _field(event, "data") or {}
    return [{"title": str(b.get("title") or b.get("payload")), "payload": str(b["payload"])}
            for b in (data.get("buttons") if isinstance(data, dict) else None) or []
            if isinstance(b, dict) and isinstance(b.get("payload"), str) and b["payload"]]


def _bare(payload: str) -> str:
    """A payload as the customer's message keeps it (the web chat takes a leading "/" away from
    all but a few: channels/customer_text.py)."""
    return payload.strip().lstrip("/")


def visible_history(events: Iterable[Any], *, limit: int = MAX_MESSAGES) -> History:
    """What the page shows of the conversation `events` (a tracker's, oldest first)."""
    messages: List[Dict[str, Any]] = []
    offered: List[Dict[str, str]] = []  # the buttons the customer could press last
    with_buttons: List[Dict[str, Any]] = []  # the lines showing them
    for event in _current_session(events):
        kind = _kind(event)
        if kind == "user" and _is_customer_message(event):
            text = str(_field(event, "text") or "")
            titles = {_bare(b["payload"]): b["title"] for b in offered}
            if text.strip():
                messages.append({"from": "customer",
                                 "text": _shown(titles.get(_bare(text), text))})
            # Buttons above the customer's words were answered (or passed by): text only now.
            for line in with_buttons:
                del line["buttons"]
            offered, with_buttons = [], []
        elif kind == "bot":
            text = str(_field(event, "text") or "")
            buttons = _buttons(event)
            offered = buttons or offered
            if not text.strip():
                continue
            agent = (_field(event, "metadata") or {}).get("agent")
            line: Dict[str, Any] = {"from": "agent" if agent else "bot", "text": _shown(text)}
            if buttons:
                line["buttons"] = buttons
                with_buttons.append(line)
            messages.append(line)
    return History(tuple(messages[-limit:] if limit > 0 else ()), len(messages) > limit)


def record_end(sender: str, *, now: datetime | None = None, url: str | None = None) -> bool:
    """The customer ended web chat conversation `sender`: its request for a person, while no
    agent has taken it, is withdrawn; the end is audited. True when a request was withdrawn."""
    from bot.clock import as_utc_naive
    from bot.store.db import unit_of_work

    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        row = uow.handoffs.open_for_conversation(sender)
        withdrawn = (row is not None and row.status == "queued"
                     and uow.handoffs.withdraw(row.id, at, ENDED_RESOLUTION))
        uow.audit.record(END_ACTOR, "webchat.ended", "conversation", sender,
                         {"handoff_withdrawn": bool(withdrawn)}, at=at)
        uow.commit()
    return bool(withdrawn)
