"""A photo, PDF or voice note from any channel, through the core, to the reply lines: the one
journey every connector (web chat, Telegram, Twilio SMS/WhatsApp, the next one) uses.

A channel brings two small adapters and nothing else: `fetch`, an async callable that returns
the file's bytes or raises `Refused` with the reply to give (too large, not fetched), and its
own way of sending the lines this module returns.

- A voice note (`hear_voice_note`): fetched, recognised on this machine (bot.speech, on the
  "speech" worker pool) in the language forced from the conversation's choice (never guessed
  on a short clip; unknown: the recogniser chooses between Chinese and English), and shown
  back ("I heard: …"). Understood words are then the channel's to hand to Rasa as text.
- A photo or PDF (`receive_media_file`): stored against the conversation's open claim
  (bot.access.upload_target_for, bot.documents.intake.receive_file); a caption names the
  checklist item through bot.documents.captions, the one matcher; the reply says what was
  received and what is still missing.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List

from bot.documents.captions import item_named
from bot.replies import say

logger = logging.getLogger(__name__)

# Why a voice note got no transcript: the reply key said instead (bot/replies).
SPEECH_TOO_LARGE = "speech_too_large"
SPEECH_BUSY = "speech_busy"  # a flood of voice notes: turned away at once, typing still works
SPEECH_UNAVAILABLE = "speech_unavailable"  # no model, no decoder: the customer is asked to type

Fetch = Callable[[], Awaitable[bytes]]


class Refused(Exception):
    """What a channel's fetch raises instead of bytes: the reply key (and its fields)."""

    def __init__(self, key: str, **fields: Any) -> None:
        super().__init__(key)
        self.key, self.fields = key, fields

    def line(self, lang: str) -> str:
        return say(self.key, lang, **self.fields)


def upload_too_large(limit: int) -> Refused:
    """The refusal of a photo or PDF over the upload limit (bytes)."""
    return Refused("intake_error.too_large", limit_mb=limit // (1024 * 1024))


# --- voice notes --------------------------------------------------------------------------------

@dataclass(frozen=True)
class VoiceNote:
    """One voice note heard (or not): `refusal` when there is no transcript at all."""

    lang: str  # the language the customer is answered in
    transcript: Any = None  # bot.speech.Transcript
    refusal: Refused | None = None

    @property
    def understood(self) -> bool:
        return (self.transcript is not None and self.transcript.understood
                and bool(self.transcript.text.strip()))

    @property
    def text(self) -> str | None:
        """The words for the bot, when understood."""
        return self.transcript.text if self.understood else None

    @property
    def line(self) -> str:
        """The one line the customer is shown: the refusal, "I heard: …" (in the language
        heard), or the ask-again line (in the conversation's language)."""
        if self.refusal is not None:
            return self.refusal.line(self.lang)
        if self.transcript.understood:
            from bot.speech import heard_line

            return heard_line(self.transcript, self.transcript.language or self.lang)
        from bot.speech import not_understood_line

        return not_understood_line(self.transcript, self.lang)


async def hear_voice_note(fetch: Fetch, language: str | None, *, lang: str,
                          channel: str, asked: str = "") -> VoiceNote:
    """Fetch and recognise a voice note. `language` is the conversation's chosen language
    (channels.conversation: None when unknown), forced on the recogniser; `lang` answers;
    `asked`: what the bot said since the customer's last words (Conversation.asked), the
    recogniser's context for a short answer."""
    from bot import workers

    try:
        audio = await fetch()
    except Refused as refused:
        return VoiceNote(lang, refusal=refused)
    try:
        from bot.speech import recognise

        transcript = await workers.pool("speech").run(recognise, audio, language=language,
                                                       context=asked or None)
    except workers.Busy:
        return VoiceNote(lang, refusal=Refused(SPEECH_BUSY))
    except Exception:
        logger.exception("%s: speech recognition is unavailable", channel)
        return VoiceNote(lang, refusal=Refused(SPEECH_UNAVAILABLE))
    logger.info("%s: voice note %s, %.1f s of audio, %s, confidence %.2f, %.2f s to recognise",
                channel,
                "understood" if transcript.understood else f"not understood ({transcript.reason})",
                transcript.duration_s or 0.0, transcript.language, transcript.confidence,
                transcript.processing_s)
    return VoiceNote(lang, transcript)


# --- photos and PDFs ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FileReply:
    """What became of one photo or PDF: the reply line, and what the channel may need next
    (the intake result, to ask which document it is; the item the caption named)."""

    text: str
    claim_number: str | None = None
    result: Any = None  # bot.documents.intake result; None when nothing was stored
    named: Any = None  # the checklist item the caption named

    @property
    def asks_which_document(self) -> bool:
        return bool(self.result is not None and self.result.ok
                    and self.result.needs_document_code and self.result.sha256)

    def wanted(self) -> tuple:
        """The items the file may be (missing, not fetched by the insurer)."""
        return tuple(item for item in (self.result.missing if self.result else ())
                     if not item.fetched_by_insurer)


async def upload_target(sender: str, viewer: Any) -> Any:
    """The open claim this conversation may send documents to (bot.access), or None."""
    from bot.access import upload_target_for

    return await asyncio.to_thread(upload_target_for, sender, viewer)


async def receive_media_file(sender: str, viewer: Any, lang: str, fetch: Fetch, filename: str,
                             mime: str | None, *, caption: str | None = None,
                             document_code: str | None = None,
                             channel: str = "media") -> FileReply:
    """Store one photo or PDF against the conversation's open claim: no open claim, nothing is
    fetched; the caption (or the code the page picked) says which checklist item it is."""
    from bot.documents.intake import intake_text, receive_file

    target = await upload_target(sender, viewer)
    if target is None:
        return FileReply(say("upload_no_claim", lang))
    if not target.takes_documents:  # the claim in focus needs nothing more: never another one
        return FileReply(say("upload_nothing_for_claim", lang, claim_number=target.claim_number),
                         target.claim_number)
    try:
        content = await fetch()
    except Refused as refused:
        return FileReply(refused.line(lang), target.claim_number)
    named = item_named(caption, target.documents) if caption else None
    result = await asyncio.to_thread(
        receive_file, target.claim_number, filename, content, mime,
        document_code=named.code if named else document_code, actor=f"conversation:{sender}")
    logger.info("%s: a file for claim %s: %s", channel, target.claim_number,
                "stored" if result.ok else result.error)
    return FileReply(intake_text(result, lang), target.claim_number, result, named)


def document_buttons(reply: FileReply, lang: str, payload: Callable[[Any], str],
                     limit: int) -> List[Dict[str, str]] | None:
    """Buttons asking which document a stored file is (channels with buttons), or None."""
    if not reply.asks_which_document:
        return None
    return [{"title": item.name(lang), "payload": payload(item)}
            for item in reply.wanted()][:limit] or None
