"""Voice notes in the web chat: the page posts recorded or picked audio, we recognise it on this
machine (bot.speech), show the customer what was heard and hand the words to Rasa exactly as if
they had been typed. Audio that is not understood never reaches Rasa; the customer is asked to
say it again, and after two failures in a row is offered a person.

The failures are counted in the conversation's own tracker, as bot messages marked with
SPEECH_FAILED: a typed or understood message (a user event) ends the run, the count survives a
restart or another replica, and the agent who takes the conversation sees them in the transcript.
"""
from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Awaitable, Callable, Dict, Iterable, List

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.conversation import read_conversation
from channels.customer_text import customer_text
from channels.media import (
    SPEECH_BUSY,
    SPEECH_TOO_LARGE,
    SPEECH_UNAVAILABLE,
    Refused,
    hear_voice_note,
)

logger = logging.getLogger(__name__)

# Marks a bot message of the tracker as an answer to a voice note that was not understood.
SPEECH_FAILED = "speech_not_understood"
FAILURES_BEFORE_PERSON = 2
# The answer's status for a voice note that got no transcript.
_REFUSAL_STATUS = {SPEECH_TOO_LARGE: 413, SPEECH_BUSY: 429, SPEECH_UNAVAILABLE: 503}
_LOCALE_RE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}")


def consecutive_failures(events: Iterable[Any]) -> int:
    """Voice notes not understood since the customer last got through (typed or spoken)."""
    count = 0
    for event in reversed(list(events)):
        name = getattr(event, "type_name", None)
        if name == "user":
            break
        if name == "bot" and SPEECH_FAILED in (getattr(event, "metadata", None) or {}):
            count += 1
    return count


def offer_buttons(lang: str) -> List[Dict[str, str]]:
    """The same two choices as the bot's own offer of a person (actions/handoff.py)."""
    from bot.replies import say

    return [{"title": say("button.human", lang), "payload": "/request_human"},
            {"title": say("button.no_thanks", lang), "payload": "/deny"}]


async def _not_understood(agent: Any, sender: str, transcript: Any,
                          lang: str) -> List[Dict[str, Any]]:
    """The ask-again reply, recorded in the tracker; from the second failure in a row, with the
    offer of a person (a "yes" then hands over through the bot's own rule on human_offered)."""
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.shared.core.events import BotUttered, SlotSet

    from bot.replies import say
    from bot.speech import not_understood_line

    text = not_understood_line(transcript, lang)
    message: Dict[str, Any] = {"recipient_id": sender, "text": text}
    try:
        async with agent.lock_store.lock(sender):
            # A session started now, as a message would start it: one started later would
            # reset the offer's slot (carry_over_slots_to_new_session is off).
            tracker = await agent.processor.fetch_tracker_and_update_session(
                sender, CollectingOutputChannel())
            offer = (consecutive_failures(tracker.events) + 1 >= FAILURES_BEFORE_PERSON
                     and not tracker.is_paused())
            if offer:
                message["text"] = say("speech_offer_person", lang)
                message["buttons"] = offer_buttons(lang)
            tracker.update(BotUttered(message["text"],
                                      data={"buttons": message.get("buttons")},
                                      metadata={SPEECH_FAILED: transcript.reason}))
            if offer:
                tracker.update(SlotSet("human_offered", True))
            await agent.tracker_store.save(tracker)
    except Exception:  # the store is down: still answer, without counting
        logger.exception("webchat voice: recording a failed voice note of %s failed", sender)
    return [message]


async def handle_voice_note(
    request: Request,
    sender: str,
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    input_channel: str,
) -> HTTPResponse:
    from bot.settings import get_settings
    from rasa_server.turns import RETRY_AFTER_SECONDS, try_again_text, watch_turn

    agent = request.app.ctx.agent
    settings = get_settings()
    audio = request.body or b""
    try:  # the conversation's chosen language (unknown: the recogniser chooses), what was asked
        conversation = await read_conversation(request.app, sender)
        language, asked = conversation.language, conversation.asked
    except Exception:
        logger.exception("webchat voice: reading the conversation %s failed", sender)
        language, asked = None, ""
    lang = language or "zh"
    locale = request.args.get("locale", "")
    locale = locale if _LOCALE_RE.fullmatch(locale) else ""

    async def fetch() -> bytes:  # channels.media's adapter: the request's body
        if len(audio) > settings.max_upload_bytes:
            raise Refused(SPEECH_TOO_LARGE)
        return audio

    note = await hear_voice_note(fetch, language, lang=lang, channel="webchat voice",
                                 asked=asked)
    if note.refusal is not None:
        headers = ({"Retry-After": str(RETRY_AFTER_SECONDS)}
                   if note.refusal.key == SPEECH_BUSY else None)
        return response.json([{"recipient_id": sender, "text": note.line}],
                             status=_REFUSAL_STATUS[note.refusal.key], headers=headers)
    transcript = note.transcript
    if not transcript.understood:
        return response.json(await _not_understood(agent, sender, transcript, lang))

    heard = {"recipient_id": sender, "text": note.line, "heard": True}
    collector = CollectingOutputChannel()
    # The identity check counts wrong answers per client address: the server's view of the
    # peer, as for typed messages (channels/webchat.py), so voice notes are counted too.
    metadata = {"input": "voice", "asr_confidence": round(transcript.confidence, 3),
                "client_address": request.remote_addr or request.ip}
    if locale:
        metadata["locale"] = locale
    from bot.speech import audit_fields

    metadata.update(audit_fields(transcript))  # the raw words, when a correction changed them
    with watch_turn(sender) as turn:
        try:
            await on_new_message(UserMessage(customer_text(transcript.text), collector, sender,
                                             input_channel=input_channel, metadata=metadata))
        except (Exception, asyncio.CancelledError):
            logger.exception("webchat voice: handling the voice note of %s failed", sender)
            if not collector.messages and not turn.failed:
                return response.json(
                    {"error": "processing_failed",
                     "message": "The assistant could not handle this message."}, status=500)
    if turn.failed:
        logger.warning("webchat voice: turn of %s refused (%s)", sender, turn.failure)
        return response.json(
            [heard, {"recipient_id": sender,
                     "text": try_again_text(transcript.text, locale, language)}],
            status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return response.json([heard, *collector.messages])
