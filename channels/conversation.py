"""What a channel may read from a conversation's tracker, with one set of defaults: its language,
who is looking (bot.access), whether the customer has spoken, the bot's last message and its
buttons, what the bot said and did since the customer's last words.

A conversation without a tracker reads as `Conversation()`: language unknown (None; `lang()`
gives Chinese), nobody verified (viewer None), nothing said, no buttons. A language slot that is
not one the bot speaks reads as unknown.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Tuple

from bot.language import LANGUAGES, ZH

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Conversation:
    """The tracker's facts a channel acts on."""

    language: str | None = None  # the language slot when it is one the bot speaks
    viewer: Any = None  # who is looking (bot.access.Viewer); None without a tracker
    spoke: bool = False  # the customer has said something in this conversation
    last_bot_at: float = 0.0  # epoch seconds of the bot's last message
    buttons: Tuple[Dict[str, Any], ...] = ()  # the options (with a payload) under that message
    script: str | None = None  # the customer's script (slot `script`): traditional, Taiwan...
    # What the bot said since the customer's last words, its options after it (asked_since_user):
    # the question a voice note answers, for the recogniser (bot.speech.recognise's context).
    asked: str = ""

    def lang(self, default: str = ZH) -> str:
        """The conversation's language, else `default`."""
        return self.language or default

    def in_script(self, text: str) -> str:
        """A reply written outside a bot turn (an upload's answer, a list of documents) in the
        customer's script, as actions/server.py puts the bot's turns (bot.language.in_script)."""
        from bot.language import in_script

        return in_script(text, self.script)


def language_of(tracker: Any) -> str | None:
    """The tracker's language slot when it is one the bot speaks (None: no tracker, unset)."""
    language = tracker.get_slot("language") if tracker is not None else None
    return language if language in LANGUAGES else None


def conversation_of(tracker: Any, sender_id: str) -> Conversation:
    """The facts of `tracker` (None: a conversation without a record)."""
    if tracker is None:
        return Conversation()
    from bot.access import slots_for_access, viewer_of
    from bot.clock import utc_now

    events = list(tracker.events)
    # Who is looking (bot.access), not a policy number: uploads and lists go only to the verified
    # customer's own claims while the check is fresh.
    viewer = viewer_of(sender_id, slots_for_access(tracker), events, now=utc_now())
    last_bot_at, buttons = 0.0, ()
    for event in reversed(events):
        if getattr(event, "type_name", "") == "bot":
            last_bot_at = float(event.timestamp or 0.0)
            buttons = tuple(b for b in (getattr(event, "data", None) or {}).get("buttons") or []
                            if isinstance(b, dict) and b.get("payload"))
            break
    spoke = any(getattr(event, "type_name", "") == "user" for event in events)
    script = tracker.get_slot("script")
    return Conversation(language_of(tracker), viewer, spoke, last_bot_at, buttons,
                        script if isinstance(script, str) else None, asked_since_user(tracker))


def _store(app_or_agent: Any) -> Any:
    agent = getattr(getattr(app_or_agent, "ctx", None), "agent", None) or app_or_agent
    return getattr(agent, "tracker_store", None)


async def read_tracker(app_or_agent: Any, sender_id: str) -> Any:
    """The conversation's tracker from the Sanic app's (or the Rasa agent's) tracker store; None
    when there is no store or no such conversation."""
    store = _store(app_or_agent)
    if store is None:
        return None
    return await store.retrieve(sender_id)


async def read_conversation(app_or_agent: Any, sender_id: str) -> Conversation:
    """The conversation's facts as the tracker store holds them now."""
    return conversation_of(await read_tracker(app_or_agent, sender_id), sender_id)


def _since_user(tracker: Any) -> Iterator[Any]:
    """The tracker's events after the customer's latest words, latest first."""
    for event in reversed(list(getattr(tracker, "events", None) or [])):
        if getattr(event, "type_name", "") == "user":
            return
        yield event


def asked_since_user(tracker: Any) -> str:
    """What the bot said since the customer last spoke, one message a line, then the titles of
    the options under it ("" when nothing): what the customer's next words answer."""
    said: List[str] = []
    for event in _since_user(tracker):
        if getattr(event, "type_name", "") == "bot":
            data = getattr(event, "data", None) or {}
            titles = [str(b.get("title") or "") for b in data.get("buttons") or []
                      if isinstance(b, dict)]
            said[:0] = [line for line in (getattr(event, "text", None) or "", *titles)
                        if line.strip()]
    return "\n".join(said)


def buttons_since_user(tracker: Any) -> List[Dict[str, Any]]:
    """The buttons of the bot's latest message with buttons since the customer last spoke."""
    for event in _since_user(tracker):
        buttons = (getattr(event, "data", None) or {}).get("buttons")
        if getattr(event, "type_name", "") == "bot" and buttons:
            return list(buttons)
    return []


def actions_since_user(tracker: Any) -> List[str]:
    """The actions the bot ran after the customer's latest words, latest first."""
    return [event.action_name for event in _since_user(tracker)
            if getattr(event, "type_name", "") == "action" and event.action_name]
