"""One turn's outcome: a turn that could not be completed is not stored, and the customer is told
to try again shortly instead of getting a half-answer.

Rasa 3.6 keeps going when a custom action fails ("Bot will continue, but the actions events are
lost") and saves the tracker anyway, and its FailSafeTrackerStore answers a tracker store that
cannot be read with a brand-new, empty conversation. Either way the customer would get a wrong
or empty answer and the conversation a half-stored turn. So:

- the lock stores (rasa_server/stores.py) open a `Turn` for every locked turn;
- rasa_server/patches.py wraps Rasa's RemoteAction (`guarded_run`) so that an action server that
  cannot be reached (or fails) marks the turn failed, and no later custom action of that turn
  runs;
- the tracker store marks the turn failed when it cannot read, and does not save a failed turn
  (nor stream its events);
- a channel wraps its call into Rasa in `watch_turn()` and answers a failed turn with
  `say("try_again_shortly", lang)` (HTTP 503 with Retry-After for the web chat).

The turn lives in a context variable: Rasa runs a whole turn in the request's task.
"""
from __future__ import annotations

import contextlib
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator

logger = logging.getLogger(__name__)

# Why a turn could not be completed.
ACTIONS_UNAVAILABLE = "actions_unavailable"  # the action server could not run an action
STORE_UNAVAILABLE = "store_unavailable"  # the tracker store could not be read or written
LOCK_UNAVAILABLE = "lock_unavailable"  # the lock store (Redis) could not be reached

# How long a client is asked to wait before sending the same message again.
RETRY_AFTER_SECONDS = 5


@dataclass
class Turn:
    """What happened to one turn; `failure` stays None when it completed."""

    conversation_id: str | None = None
    failure: str | None = None
    detail: str = ""

    def fail(self, reason: str, detail: str = "") -> None:
        if self.failure is None:  # the first cause is the one worth telling
            self.failure = reason
            self.detail = detail[:300]

    @property
    def failed(self) -> bool:
        return self.failure is not None


_current: ContextVar[Turn | None] = ContextVar("claims_turn", default=None)


def current_turn() -> Turn | None:
    return _current.get()


@contextlib.contextmanager
def watch_turn(conversation_id: str | None = None) -> Iterator[Turn]:
    """For a channel: the turn it is about to hand to Rasa; read `.failed` afterwards."""
    turn = Turn(conversation_id)
    token = _current.set(turn)
    try:
        yield turn
    finally:
        _current.reset(token)


@contextlib.contextmanager
def turn_scope(conversation_id: str) -> Iterator[Turn]:
    """For a lock store: the turn running under the lock. Joins the channel's watched turn when
    there is one; otherwise (Rasa's REST channel, the HTTP API) opens its own."""
    outer = _current.get()
    if outer is not None:
        if outer.conversation_id is None:
            outer.conversation_id = conversation_id
        yield outer
        return
    with watch_turn(conversation_id) as turn:
        yield turn


def mark_failed(reason: str, detail: str = "") -> None:
    """Marks the running turn failed (no-op outside a turn)."""
    turn = _current.get()
    if turn is not None:
        turn.fail(reason, detail)


def reply_language(text: str, locale: str | None = None, known: str | None = None) -> str:
    """The language to refuse a turn in without reading the conversation (its store may be the
    thing that is down): the conversation's when the channel knows it, else the message's own,
    else the client's locale, else Chinese."""
    from bot.language import detect

    if known in ("zh", "en"):
        return known
    detected = detect(text or "")
    if detected in ("zh", "en"):
        return detected
    if isinstance(locale, str) and locale.lower().startswith("en"):
        return "en"
    return "zh"


def try_again_text(text: str, locale: str | None = None, known: str | None = None) -> str:
    """'Not handled, not saved: please send it again shortly' in the customer's language."""
    from bot.replies import say

    return say("try_again_shortly", reply_language(text, locale, known))
