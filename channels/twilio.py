"""Twilio SMS and WhatsApp channel: a signed webhook in, the Messages API out (in-turn replies,
notices and agents' words), photos and PDFs stored against the claim, voice notes recognised.

    POST /webhooks/twilio/webhook     (Twilio's form fields, X-Twilio-Signature)

Answers: 200 with empty TwiML as soon as the message is accepted (a retried delivery of the same
MessageSid is acknowledged and ignored); 403 for a missing or wrong signature; 400 without
From/MessageSid; 413 for a body over MAX_BODY_BYTES; 503 when no Twilio account is configured.
Nothing is processed unless the answer is 200.

Why every reply goes through the Messages API and none as TwiML <Message>: Twilio gives a webhook
15 seconds, and a turn with a voice note to recognise or a slow store can take longer; a reply
returned as TwiML that misses the deadline is lost without a trace, while an API call that fails
is seen here, and a reply that could not be sent is queued in the outbox (bot.outbox), which
retries it until it is delivered. Notices and agents' words take the same road (a sender
registered with bot.outbox.senders), so all three are split and addressed by one piece of code.

Photos, PDFs and voice notes take channels/media.py's journey, shared with every channel; the
Messages API, media downloads and the notice senders are channels/twilio_rest.py.

Conversations are "sms-<E.164>" and "wa-<E.164>"; the claims they report record the channel
"twilio", and its notice sender reads the address back from the conversation id. Logs name
customers only by masked number.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Mapping, Sequence, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.documents.captions import item_named
from bot.documents.intake import intake_text, match_file
from bot.language import PICKED_CHOICE, clean_text, detect, in_script, normalise
from bot.outbox.senders import SMS_FALLBACK, register_sender
from bot.replies import say
from bot.settings import Settings, get_settings
from channels.conversation import Conversation, read_conversation
from channels.customer_text import customer_text
from channels.media import (
    SPEECH_TOO_LARGE,
    Refused,
    hear_voice_note,
    receive_media_file,
    upload_too_large,
)
from channels.twilio_auth import form_params, is_signed
from channels.twilio_rest import (
    CHANNEL,
    Address,
    MediaFailed,
    MediaTooLarge,
    SendFailed,
    queue_unsent,
    send_call_notice,
    send_notice,
    sending_number,
    split_message,
    twilio_api,
)

logger = logging.getLogger(__name__)

# Claims reported by phone (channels/twilio_voice.py) get their notices by SMS.
CALL_CHANNEL = "twilio_voice"
MESSAGE_SID = re.compile(r"[A-Za-z0-9]{2,64}")

# Twilio posts a few kilobytes; far more is not Twilio.
MAX_BODY_BYTES = 64 * 1024
MAX_MEDIA = 10  # Twilio sends at most ten media per message
CHOICE_TTL_S = 30 * 60  # how long "which document is this?" waits for its number
SHUTDOWN_GRACE_S = 30.0
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

DOCUMENT_TYPES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/heic", "image/heif",
                            "application/pdf"})
EXTENSIONS = {"image/jpeg": "jpg", "image/jpg": "jpg", "image/png": "png", "image/heic": "heic",
              "image/heif": "heic", "application/pdf": "pdf"}

# --- buttons as numbered options ----------------------------------------------------------------

_CHOICE = re.compile(r"^\s*([0-9]{1,2})\s*[.。、)）]?\s*$")


def chosen_number(text: str) -> int | None:
    """1 for a reply that is only '1' (or '1.', '１'); None for anything else."""
    match = _CHOICE.match(normalise(text or ""))
    return int(match.group(1)) if match else None


def numbered(header: str, titles: Sequence[str]) -> str:
    return "\n".join([header, *(f"{number}. {title}" for number, title in
                                enumerate(titles, start=1))])


def render_bot_message(message: Mapping[str, Any], lang: str, script: str | None = None) -> str:
    """One message Rasa collected, as SMS text: buttons become numbered options, under a header
    in the customer's script (the bot's text and titles are in it already)."""
    text = str(message.get("text") or "").strip()
    buttons = [b for b in message.get("buttons") or [] if isinstance(b, Mapping)]
    if buttons:
        header = in_script(say("sms_options", detect(text) or lang), script)
        options = numbered(header, [str(b.get("title") or b.get("payload") or "") for b in buttons])
        text = f"{text}\n{options}" if text else options
    if not text and message.get("image"):
        text = str(message["image"])
    return text


# --- what Twilio posts --------------------------------------------------------------------------

@dataclass(frozen=True)
class Media:
    url: str
    content_type: str


@dataclass(frozen=True)
class Inbound:
    """One accepted webhook: who wrote, to which of our numbers, what."""

    sid: str
    address: Address
    to: str  # our number as Twilio names it ("whatsapp:+1415...")
    text: str
    media: Tuple[Media, ...] = ()
    location: Dict[str, str] | None = None  # a WhatsApp location: Latitude, Longitude, Label...


class BadInbound(ValueError):
    """The form is signed but not a message we can take; `code` explains."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def parse_inbound(form: Mapping[str, str]) -> Inbound:
    sid = (form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()
    if not MESSAGE_SID.fullmatch(sid):
        raise BadInbound("invalid_message_sid", "'MessageSid' is missing or malformed.")
    address = Address.from_twilio(form.get("From"))
    if address is None:
        raise BadInbound("invalid_from", "'From' must be an E.164 number, optionally "
                                         "'whatsapp:'-prefixed.")
    # Some carriers turn @ into ¡ (GSM 03.38); control characters and lone surrogates go.
    text = clean_text((form.get("Body") or "").replace("¡", "@"))
    location = None
    if not text.strip() and form.get("Latitude") and form.get("Longitude"):
        location = {key: clean_text(form.get(key) or "")
                    for key in ("Latitude", "Longitude", "Label", "Address")}
    try:
        count = min(int(form.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    media = tuple(
        Media(form[f"MediaUrl{i}"], (form.get(f"MediaContentType{i}") or "").split(";")[0]
              .strip().lower())
        for i in range(count) if form.get(f"MediaUrl{i}")
    )
    return Inbound(sid=sid, address=address, to=(form.get("To") or "").strip(), text=text,
                   media=media, location=location)


# --- the conversation's state as the channel needs it -------------------------------------------

def last_push_at(conversation_id: str) -> float:
    """When a message was last pushed to this conversation outside a turn, epoch seconds; 0 when
    never (bot.outbox.notices.last_push_at)."""
    from bot.outbox.notices import last_push_at as pushed_at

    return pushed_at(conversation_id)


@dataclass
class DocumentChoice:
    """Files stored for a claim that still wait for "which document is it?"."""

    claim_number: str
    files: List[str]  # sha256 of each file, oldest first
    items: Tuple[Any, ...]  # bot.documents Item, numbered from 1
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Taken:
    """What became of one photo or PDF: the reply, whether it asks which document it is, and
    whether the caption named the document (then the caption is not passed on to the bot)."""

    reply: str
    question: bool = False
    caption_used: bool = False


# --- the channel --------------------------------------------------------------------------------

class TwilioMessagingInput(InputChannel):
    """SMS and WhatsApp through one Twilio webhook."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        # Secrets come from the environment (bot.settings), never from credentials.yml.
        return cls()

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()
        self._turns: Dict[str, Tuple[asyncio.Lock, int]] = {}
        self._choices: Dict[str, DocumentChoice] = {}

    @property
    def settings(self) -> Settings:
        return get_settings()

    def get_output_channel(self) -> None:
        """None on purpose: words written outside a turn (the agent console's) then go through
        the outbox, whose sender retries them, instead of a direct call that could fail once
        and be lost."""
        return None

    # -- the webhook ------------------------------------------------------------------------
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"twilio_messaging_{type(self).__name__}")
        if twilio_api(self.settings).configured:
            register_sender(CHANNEL, send_notice)
            register_sender(CALL_CHANNEL, send_call_notice)
            # Any channel that cannot deliver a notice falls back to SMS (bot.outbox.delivery).
            register_sender(SMS_FALLBACK, send_call_notice)
        else:
            logger.info("twilio: TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN unset; the SMS and "
                        "WhatsApp webhook answers 503 and sends nothing")

        @webhook.listener("before_server_stop")
        async def finish_turns(app: Any, loop: Any) -> None:
            await self.wait_idle(SHUTDOWN_GRACE_S)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            from channels.twilio_auth import health as twilio_health

            return twilio_health(self.settings)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            settings = self.settings
            if not (settings.twilio_auth_token and settings.twilio_account_sid):
                return response.json({"error": "not_configured", "message":
                                      "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."}, status=503)
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.json({"error": "body_too_large"}, status=413)
            if not is_signed(request, settings.twilio_auth_token, settings.public_url):
                return response.json({"error": "forbidden",
                                      "message": "Missing or invalid X-Twilio-Signature."},
                                     status=403)
            try:
                inbound = parse_inbound(form_params(request))
            except BadInbound as error:
                logger.warning("twilio: signed request refused: %s", error.code)
                return response.json({"error": error.code, "message": str(error)}, status=400)
            from bot.inbound import CLAIMED, DONE, claim_receipt

            state = await asyncio.to_thread(claim_receipt, CHANNEL, inbound.sid)
            if state == DONE:
                logger.info("twilio: message %s from %s delivered again; ignored", inbound.sid,
                            inbound.address.masked)
                return self._twiml()
            if state != CLAIMED:  # being handled now: a retry later is answered then
                return response.json({"error": "in_progress", "message": "Retry later."},
                                     status=429, headers={"Retry-After": "30"})
            logger.info("twilio: message %s from %s (%d chars, %d media)", inbound.sid,
                        inbound.address.masked, len(inbound.text), len(inbound.media))
            # The customer wrote: WhatsApp's 24-hour window for free text opens again.
            from bot.outbox.windows import record_inbound

            await asyncio.to_thread(record_inbound, inbound.address.sender_id, CHANNEL)
            self._start(self._process_once(request.app, on_new_message, inbound))
            return self._twiml()

        return webhook

    @staticmethod
    def _twiml() -> HTTPResponse:
        return response.text(EMPTY_TWIML, content_type="text/xml; charset=utf-8")

    def _start(self, work: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(work)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Until every accepted message is handled (tests; a stopping server)."""
        while self._tasks:
            done, _ = await asyncio.wait(set(self._tasks), timeout=timeout)
            if timeout is not None and not done:
                logger.warning("twilio: %d message(s) still in hand at shutdown", len(self._tasks))
                return

    @contextlib.asynccontextmanager
    async def _turn(self, sender_id: str) -> AsyncIterator[None]:
        """One message at a time per customer, in the order they arrived."""
        lock, users = self._turns.get(sender_id) or (asyncio.Lock(), 0)
        self._turns[sender_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._turns[sender_id]
            if users <= 1:
                del self._turns[sender_id]
            else:
                self._turns[sender_id] = (lock, users - 1)

    # -- one message ------------------------------------------------------------------------
    async def _process_once(self, app: Any,
                            on_new_message: Callable[[UserMessage], Awaitable[Any]],
                            inbound: Inbound) -> None:
        """Handles a claimed message and marks it done only afterwards: a crash mid-turn leaves
        it open for Twilio's retry (after the lease, bot.inbound), which is then handled once."""
        from bot.inbound import finish_receipt, release_receipt

        try:
            await self._process(app, on_new_message, inbound)
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(release_receipt, CHANNEL, inbound.sid)
            raise
        await asyncio.to_thread(finish_receipt, CHANNEL, inbound.sid)

    async def _process(self, app: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                       inbound: Inbound) -> None:
        async with self._turn(inbound.address.sender_id):
            lang = detect(inbound.text) or "zh"
            try:
                conversation = await read_conversation(app, inbound.address.sender_id)
                lang = conversation.language or lang
                replies = await self._handle(app, on_new_message, inbound, conversation, lang)
            except Exception:
                logger.exception("twilio: handling message %s from %s failed", inbound.sid,
                                 inbound.address.masked)
                replies = [say("sms_failed", lang)]
            try:
                await self._reply(inbound, replies, lang)
            except Exception:  # not even the outbox could keep it: at least say so in the log
                logger.exception("twilio: the reply to message %s from %s was lost",
                                 inbound.sid, inbound.address.masked)

    async def _handle(self, app: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      inbound: Inbound, conversation: Conversation, lang: str) -> List[str]:
        sender_id = inbound.address.sender_id
        replies: List[str] = []
        questions: List[str] = []  # "which document is this?" goes last: it is what is open
        texts: List[str] = []
        text = inbound.text or self._location_text(inbound, lang)
        limit = self.settings.max_message_chars
        if len(text) > limit:
            logger.info("twilio: message %s is %d chars, over %d", inbound.sid, len(text), limit)
            replies.append(say("message_too_long", lang, limit=limit))
            text = ""
        for index, media in enumerate(inbound.media):
            if media.content_type in DOCUMENT_TYPES:
                taken = await self._take_document(inbound, index, media, conversation, lang, text)
                (questions if taken.question else replies).append(taken.reply)
                if taken.caption_used:
                    text = ""
            elif media.content_type.startswith("audio/"):
                lines, heard = await self._hear(inbound, media, conversation, lang)
                replies.extend(lines)
                if heard:
                    texts.append(heard)
            else:
                logger.info("twilio: message %s carries unsupported %s", inbound.sid,
                            media.content_type or "media")
                replies.append(say("sms_media_unsupported", lang))
        if text.strip():
            texts.insert(0, text)
        elif not inbound.media and not replies:
            replies.append(say("no_text", lang))
        for said in texts:
            answer = await self._answer_choice(sender_id, said, conversation, lang)
            if answer is not None:
                replies.append(answer)
                continue
            payload = await self._button_payload(sender_id, said, conversation)
            replies.extend(await self._ask_bot(on_new_message, inbound, payload or said, lang,
                                               script=conversation.script,
                                               picked=payload is not None))
        if questions and sender_id in self._choices:
            self._choices[sender_id].at = time.time()  # asked after the bot's answer
        # The channel's own lines (an upload's answer, "which document?") in the customer's
        # script, like the bot's turns (the bot's are converted already: unchanged).
        return [conversation.in_script(line) for line in replies + questions]

    @staticmethod
    def _location_text(inbound: Inbound, lang: str) -> str:
        """A shared location in the words Telegram's channel uses for one, which the report
        form reads as the place."""
        if not inbound.location:
            return ""
        from channels.locations import location_text

        try:
            point = {"latitude": float(inbound.location["Latitude"]),
                     "longitude": float(inbound.location["Longitude"])}
        except ValueError:
            return ""
        venue = {"title": inbound.location.get("Label"),
                 "address": inbound.location.get("Address")}
        return location_text(point, lang, venue) or ""

    async def _ask_bot(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                       inbound: Inbound, text: str, lang: str, *, script: str | None = None,
                       picked: bool = False) -> List[str]:
        """One turn of the bot. `picked`: `text` is the payload of the button the customer
        picked by its number: the bot's own words, sent as they are (bot.language.PICKED_CHOICE:
        they never change the conversation's language)."""
        from rasa_server.turns import watch_turn

        collector = CollectingOutputChannel()
        metadata: Dict[str, Any] = {"twilio": {"kind": inbound.address.kind,
                                               "message_sid": inbound.sid}}
        if picked:
            metadata[PICKED_CHOICE] = True
        with watch_turn(inbound.address.sender_id) as turn:
            try:
                await on_new_message(UserMessage(
                    text if picked else customer_text(text), collector,
                    inbound.address.sender_id, input_channel=CHANNEL, metadata=metadata,
                ))
            except Exception:
                if not turn.failed:
                    raise
        if turn.failed:
            # The action server or a store was down: nothing of the turn was kept
            # (rasa_server/turns.py), so the customer is asked to send it again shortly.
            logger.warning("twilio: turn of message %s failed (%s)", inbound.sid, turn.failure)
            return [say("try_again_shortly", lang)]
        return [rendered for message in collector.messages
                if (rendered := render_bot_message(message, lang, script))]

    # -- choices: numbered buttons, and which document a file is ----------------------------
    async def _button_payload(self, sender_id: str, text: str,
                              conversation: Conversation) -> str | None:
        """The payload of option N when the bot's last message offered options and nothing was
        asked or pushed since."""
        number = chosen_number(text)
        if number is None or not 1 <= number <= len(conversation.buttons):
            return None
        choice = self._choices.get(sender_id)
        if choice is not None and choice.at > conversation.last_bot_at:
            return None
        if await asyncio.to_thread(self._pushed_since, sender_id, conversation.last_bot_at):
            return None
        return str(conversation.buttons[number - 1]["payload"])

    @staticmethod
    def _pushed_since(sender_id: str, moment: float) -> bool:
        try:
            return last_push_at(sender_id) > moment
        except Exception:  # the store is down: the plain digit goes to the bot
            logger.exception("twilio: reading the outbox failed")
            return True

    async def _answer_choice(self, sender_id: str, text: str, conversation: Conversation,
                             lang: str) -> str | None:
        """Ties the oldest waiting file to the document the customer named or numbered; None
        when the text is not such an answer (it then goes to the bot)."""
        choice = self._choices.get(sender_id)
        if choice is None:
            return None
        if time.time() - choice.at > CHOICE_TTL_S or choice.at < conversation.last_bot_at:
            self._choices.pop(sender_id, None)  # the bot has asked something else since
            return None
        number = chosen_number(text)
        if number is not None:
            item = choice.items[number - 1] if 1 <= number <= len(choice.items) else None
        else:
            item = item_named(text, choice.items)
        if item is None:
            return None
        if await asyncio.to_thread(self._pushed_since, sender_id, choice.at):
            self._choices.pop(sender_id, None)
            return None
        result = await asyncio.to_thread(match_file, choice.claim_number, choice.files[0],
                                         item.code, actor=f"conversation:{sender_id}")
        del choice.files[0]
        lines = [intake_text(result, lang)]
        if choice.files and result.ok:
            wanted = tuple(i for i in result.missing if not i.fetched_by_insurer)
            if wanted:
                choice.items, choice.at = wanted, time.time()
                lines.append(numbered(say("sms_which_next_document", lang),
                                      [i.name(lang) for i in wanted]))
                return "\n".join(lines)
        self._choices.pop(sender_id, None)
        return "\n".join(lines)

    # -- files and voice --------------------------------------------------------------------
    def _fetch(self, inbound: Inbound, what: str, media: Media,
               too_large: Refused) -> Callable[[], Awaitable[bytes]]:
        """channels.media's fetch adapter for a Twilio media URL (the account's credentials)."""

        async def fetch() -> bytes:
            limit = self.settings.max_upload_bytes
            try:
                return await asyncio.to_thread(twilio_api(self.settings).download, media.url,
                                               limit)
            except MediaTooLarge:
                raise too_large from None
            except MediaFailed as error:
                logger.warning("twilio: %s of message %s from %s not fetched: %s", what,
                               inbound.sid, inbound.address.masked, error)
                raise Refused("sms_media_failed") from None

        return fetch

    async def _take_document(self, inbound: Inbound, index: int, media: Media,
                             conversation: Conversation, lang: str, caption: str) -> Taken:
        """Store one photo or PDF against the open claim (channels.media); when the caption did
        not name it, a numbered list asks which document it is."""
        sender_id = inbound.address.sender_id
        filename = f"{inbound.sid}-{index}.{EXTENSIONS.get(media.content_type, 'bin')}"
        limit = self.settings.max_upload_bytes
        taken = await receive_media_file(
            sender_id, conversation.viewer, lang,
            self._fetch(inbound, f"media {index}", media, upload_too_large(limit)), filename,
            media.content_type, caption=caption if caption.strip() else None, channel=CHANNEL)
        result = taken.result
        if not (result is not None and result.ok and result.needs_document_code):
            return Taken(taken.text, caption_used=taken.named is not None)
        wanted = taken.wanted()
        if not wanted:
            return Taken(intake_text(replace(result, needs_document_code=False), lang))
        choice = self._choices.get(sender_id)
        if choice is not None and choice.claim_number == taken.claim_number and choice.files:
            choice.files.append(result.sha256 or "")
            return Taken(say("sms_file_saved", lang, claim_number=taken.claim_number))
        self._choices[sender_id] = DocumentChoice(taken.claim_number, [result.sha256 or ""],
                                                  wanted)
        return Taken(numbered(say("sms_which_document", lang, claim_number=taken.claim_number),
                              [item.name(lang) for item in wanted]), question=True)

    async def _hear(self, inbound: Inbound, media: Media,
                    conversation: Conversation, lang: str) -> Tuple[List[str], str | None]:
        """A voice note (channels.media): what was heard (shown first) and the text for the
        bot, if understood."""
        note = await hear_voice_note(
            self._fetch(inbound, "voice note", media, Refused(SPEECH_TOO_LARGE)),
            conversation.language, lang=lang, channel=CHANNEL, asked=conversation.asked)
        return [note.line], note.text

    # -- replies ----------------------------------------------------------------------------
    async def _reply(self, inbound: Inbound, replies: Sequence[str], lang: str) -> None:
        """This turn's replies in as few messages as the limit allows, from the number the
        customer wrote to; what cannot be sent now is kept in the outbox."""
        parts = split_message("\n\n".join(r.strip() for r in replies if r and r.strip()))
        if not parts:
            return
        api = twilio_api(self.settings)
        from_ = inbound.to or sending_number(inbound.address.kind, self.settings)
        for index, part in enumerate(parts):
            try:
                await asyncio.to_thread(api.send, inbound.address.twilio_to, from_, part)
            except SendFailed as error:
                if error.permanent:
                    logger.warning("twilio: reply to %s refused for good: %s",
                                   inbound.address.masked, error)
                    return
                logger.warning("twilio: reply to %s failed: %s", inbound.address.masked, error)
                await asyncio.to_thread(queue_unsent, inbound.address, parts[index:],
                                        kind="reply", language=lang)
                return
            except Exception as error:
                logger.warning("twilio: reply to %s failed: %s", inbound.address.masked,
                               type(error).__name__)
                await asyncio.to_thread(queue_unsent, inbound.address, parts[index:],
                                        kind="reply", language=lang)
                return
