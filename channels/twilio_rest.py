"""Twilio's messaging REST side: customer addresses ("sms-<E.164>", "wa-<E.164>"), messages
split to Twilio's limit, the Messages API and media downloads, and the outbox senders for
notices and agents' words (SMS and WhatsApp; SMS for claims reported by phone)."""
from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, replace
from typing import Dict, List, Sequence, Tuple
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.outbox.senders import ChannelCannotDeliver, Notice, PermanentDeliveryError
from bot.privacy import mask_phone
from bot.settings import Settings, get_settings

# The channel's own logger: its logs read as one, whichever module writes them.
logger = logging.getLogger("channels.twilio")

CHANNEL = "twilio"
SMS, WHATSAPP = "sms", "whatsapp"
SENDER_PREFIXES = {SMS: "sms-", WHATSAPP: "wa-"}
WHATSAPP_SCHEME = "whatsapp:"
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# Twilio's own limit on one Messages API body (SMS concatenates up to it; WhatsApp takes as much).
MAX_PART_CHARS = 1600
API_TIMEOUT_S = 15.0
DOWNLOAD_TIMEOUT_S = (5.0, 30.0)  # connect, read (between bytes)
DOWNLOAD_DEADLINE_S = 90.0  # the whole download

# Twilio error codes that no retry will cure: the recipient opted out (STOP) or blocked us, the
# number cannot receive this channel, or WhatsApp refuses a free-form message outside the 24-hour
# window. Anything else (5xx, 429, timeouts, our own credentials) may pass and is retried.
PERMANENT_ERRORS: Dict[int, str] = {
    21211: "invalid 'To' number",
    21408: "region not enabled for this number",
    21610: "recipient unsubscribed (STOP) or blocked",
    21612: "number cannot be reached from this sender",
    21614: "'To' is not a mobile number",
    63003: "WhatsApp: recipient address not reachable",
    63016: "WhatsApp: outside the 24-hour window without a template",
    63024: "WhatsApp: invalid message recipient",
}
# Of those, the ones where WhatsApp cannot carry the message but SMS to the same phone may
# (bot.outbox.delivery falls back to it): not on WhatsApp, or the 24-hour window is closed.
WHATSAPP_CANNOT_DELIVER = frozenset({63003, 63016, 63024})


# --- addresses ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Address:
    """One customer on one of Twilio's messaging channels."""

    kind: str  # SMS or WHATSAPP
    number: str  # E.164

    @classmethod
    def from_twilio(cls, value: str | None) -> Address | None:
        """'+8613800000001' or 'whatsapp:+8613800000001', as Twilio posts From."""
        value = (value or "").strip()
        kind = SMS
        if value.lower().startswith(WHATSAPP_SCHEME):
            kind, value = WHATSAPP, value[len(WHATSAPP_SCHEME):]
        return cls(kind, value) if E164.fullmatch(value) else None

    @classmethod
    def from_sender_id(cls, sender_id: str | None) -> Address | None:
        """The address behind a conversation id made by `sender_id`."""
        for kind, prefix in SENDER_PREFIXES.items():
            if sender_id and sender_id.startswith(prefix):
                number = sender_id[len(prefix):]
                return cls(kind, number) if E164.fullmatch(number) else None
        return None

    @property
    def sender_id(self) -> str:
        return SENDER_PREFIXES[self.kind] + self.number

    @property
    def twilio_to(self) -> str:
        return WHATSAPP_SCHEME + self.number if self.kind == WHATSAPP else self.number

    @property
    def masked(self) -> str:
        return f"{self.kind}:{mask_phone(self.number)}"


def _as_whatsapp(number: str) -> str:
    number = number.strip()
    return number if number.lower().startswith(WHATSAPP_SCHEME) else WHATSAPP_SCHEME + number


def sending_number(kind: str, settings: Settings) -> str:
    """Our configured number for out-of-turn messages (notices, agents' words) on `kind`."""
    if kind == WHATSAPP:
        return _as_whatsapp(settings.twilio_whatsapp_from) if settings.twilio_whatsapp_from else ""
    return settings.twilio_sms_from


# --- splitting ----------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[。！？；!?;…]+[”’」』）)\"']*|[.](?=\s)")


def _cut_at(window: str) -> int:
    """Where to end a part taken from `window`: after the last line break, else the last
    sentence end, else the last space, in the second half of the window; else the whole window."""
    floor = len(window) // 2
    newline = window.rfind("\n")
    if newline >= floor:
        return newline + 1
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() >= floor]
    if ends:
        return ends[-1]
    space = window.rfind(" ")
    if space >= floor:
        return space + 1
    return len(window)


def split_message(text: str, limit: int = MAX_PART_CHARS) -> List[str]:
    """`text` in parts of at most `limit` characters, cut between sentences (Chinese or English)
    where possible, never inside a word when a space allows; no part is empty."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    rest = text.strip()
    parts: List[str] = []
    while len(rest) > limit:
        cut = _cut_at(rest[:limit])
        part = rest[:cut].strip()
        if part:
            parts.append(part)
        rest = rest[cut:].strip()
    if rest:
        parts.append(rest)
    return parts


# --- Twilio's API -------------------------------------------------------------------------------

class SendFailed(Exception):
    """The Messages API refused a message. `permanent`: no retry will help."""

    def __init__(self, status: int, code: int | None) -> None:
        self.status = status
        self.code = code
        self.permanent = code in PERMANENT_ERRORS
        reason = PERMANENT_ERRORS.get(code or 0, "")
        # Twilio's own message may quote the number: it stays out of logs and the outbox.
        super().__init__(f"Twilio answered HTTP {status}, error {code}"
                         + (f" ({reason})" if reason else ""))


class MediaFailed(Exception):
    """A media URL could not be fetched (status, timeout, not Twilio's)."""


class MediaTooLarge(MediaFailed):
    """A media file is over the upload limit."""


class TwilioApi:
    """The account's Messages API and media downloads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # One client per thread: its requests session is not meant to be shared between the
        # delivery loop's thread and the turns' worker threads.
        self._local = threading.local()

    @property
    def configured(self) -> bool:
        return bool(self.settings.twilio_account_sid and self.settings.twilio_auth_token)

    def client(self) -> Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = Client(self.settings.twilio_account_sid, self.settings.twilio_auth_token,
                            http_client=TwilioHttpClient(timeout=API_TIMEOUT_S))
            client.api.base_url = self.settings.twilio_api_base
            self._local.client = client
        return client

    def send(self, to: str, from_: str, body: str) -> str:
        """Send one message; returns its sid. Raises SendFailed, or requests' errors."""
        if not from_:
            raise RuntimeError("no sending number configured (TWILIO_SMS_FROM / "
                               "TWILIO_WHATSAPP_FROM)")
        try:
            message = self.client().messages.create(to=to, from_=from_, body=body)
        except TwilioRestException as error:
            raise SendFailed(int(error.status), error.code) from None
        return str(message.sid)

    def send_template(self, to: str, from_: str, content_sid: str, content_variables: str) -> str:
        """Send an approved Content Template (ContentSid and ContentVariables, no Body: what
        WhatsApp takes outside the 24-hour window); returns its sid. Raises SendFailed."""
        if not from_:
            raise RuntimeError("no sending number configured (TWILIO_WHATSAPP_FROM)")
        try:
            message = self.client().messages.create(to=to, from_=from_, content_sid=content_sid,
                                                    content_variables=content_variables)
        except TwilioRestException as error:
            raise SendFailed(int(error.status), error.code) from None
        return str(message.sid)

    def is_media_url(self, url: str) -> bool:
        """Only Twilio's own host gets the account's credentials."""
        ours, theirs = urlsplit(self.settings.twilio_api_base), urlsplit(url)
        return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc) and bool(theirs.path)

    def download(self, url: str, max_bytes: int) -> bytes:
        """A media file, with basic auth (Twilio's redirect to storage drops it, as it should)."""
        if not self.is_media_url(url):
            raise MediaFailed("not a media URL of the configured Twilio API")
        started = time.monotonic()
        auth = (self.settings.twilio_account_sid, self.settings.twilio_auth_token)
        try:
            with requests.get(url, auth=auth, timeout=DOWNLOAD_TIMEOUT_S, stream=True) as got:
                if got.status_code != 200:
                    raise MediaFailed(f"HTTP {got.status_code}")
                declared = int(got.headers.get("Content-Length") or 0)
                if declared > max_bytes:
                    raise MediaTooLarge(f"{declared} bytes declared")
                chunks: List[bytes] = []
                total = 0
                for chunk in got.iter_content(64 * 1024):
                    total += len(chunk)
                    if total > max_bytes:
                        raise MediaTooLarge(f"over {max_bytes} bytes")
                    if time.monotonic() - started > DOWNLOAD_DEADLINE_S:
                        raise MediaFailed("download too slow")
                    chunks.append(chunk)
        except requests.RequestException as error:
            raise MediaFailed(type(error).__name__) from None
        except ValueError as error:  # a Content-Length that is not a number
            raise MediaFailed(str(error)) from None
        return b"".join(chunks)


_apis: Dict[Tuple[str, str, str], TwilioApi] = {}
_apis_lock = threading.Lock()


def twilio_api(settings: Settings | None = None) -> TwilioApi:
    """One client per account and API base (settings may change between tests)."""
    settings = settings or get_settings()
    key = (settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base)
    with _apis_lock:
        api = _apis.get(key)
        if api is None:
            api = _apis[key] = TwilioApi(settings)
        return api


def send_notice(notice: Notice) -> None:
    """bot.outbox sender for the "twilio" channel: notices and agents' words as messages.

    Permanent refusals (opted out, invalid number, WhatsApp window) raise PermanentDeliveryError
    and are never retried; anything else raises as it is, to be retried. When a long message
    fails after its first part went out, the rest is queued as a message of its own, so a retry
    never sends a part twice.
    """
    address = Address.from_sender_id(notice.conversation_id)
    if address is None:
        raise PermanentDeliveryError("the conversation is not an SMS or WhatsApp number")
    settings = get_settings()
    api = twilio_api(settings)
    if address.kind == WHATSAPP and not _whatsapp_window_open(notice):
        _send_whatsapp_template(api, address, notice, settings)
        return
    parts = _parts(notice, address)
    for index, part in enumerate(parts):
        try:
            api.send(address.twilio_to, sending_number(address.kind, settings), part)
        except SendFailed as error:
            if error.permanent and address.kind == WHATSAPP \
                    and error.code in WHATSAPP_CANNOT_DELIVER and index == 0:
                raise ChannelCannotDeliver(f"whatsapp: {error}") from None
            if error.permanent:
                logger.warning("twilio: notice %s to %s refused for good: %s", notice.id,
                               address.masked, error)
                raise PermanentDeliveryError(str(error)) from None
            if index == 0:
                raise
            queue_unsent(address, parts[index:], kind=notice.kind, language=notice.language,
                        customer_id=notice.customer_id)
            return
        except Exception:
            if index == 0:
                raise
            queue_unsent(address, parts[index:], kind=notice.kind, language=notice.language,
                        customer_id=notice.customer_id)
            return
    logger.info("twilio: notice %s sent to %s in %d part(s)", notice.id, address.masked,
                len(parts))


def _parts(notice: Notice, address: Address) -> List[str]:
    """A written receipt by SMS goes in numbered parts that each fit a few SMS segments
    (bot.outbox.sms); anything else in parts of Twilio's own limit."""
    from bot.outbox.receipts import PHONE_RECEIPT_KIND, receipt_parts

    if address.kind == SMS and notice.kind == PHONE_RECEIPT_KIND:
        return receipt_parts(notice.body)
    return split_message(notice.body)


def _whatsapp_window_open(notice: Notice) -> bool:
    from bot.outbox.windows import WHATSAPP_WINDOW, window_open

    return window_open(notice.conversation_id, WHATSAPP_WINDOW, now=notice.now)


def _send_whatsapp_template(api: TwilioApi, address: Address, notice: Notice,
                            settings: Settings) -> None:
    """Past the 24-hour window: the notice kind's approved template, or ChannelCannotDeliver
    (the delivery policy sends it by SMS instead)."""
    from bot.outbox.templates import template_for

    template = template_for(notice.kind, notice.language)
    if template is None:
        raise ChannelCannotDeliver(
            f"whatsapp: over 24 hours since the customer's last message and no approved "
            f"template for {notice.kind!r} ({notice.language or 'zh'})")
    try:
        api.send_template(address.twilio_to, sending_number(WHATSAPP, settings),
                          template.content_sid, template.content_variables(notice))
    except SendFailed as error:
        if error.code in WHATSAPP_CANNOT_DELIVER:
            raise ChannelCannotDeliver(f"whatsapp template: {error}") from None
        if error.permanent:
            raise PermanentDeliveryError(str(error)) from None
        raise
    logger.info("twilio: notice %s sent to %s as template %s", notice.id, address.masked,
                template.content_sid)


def e164(phone: str | None, default_country: str = "86") -> str | None:
    """A phone number as kept in the store ("13800000001", "+86 138-0000-0001") in E.164."""
    digits = re.sub(r"[^0-9+]", "", phone or "")
    if not digits.startswith("+"):
        digits = f"+{default_country}{digits.lstrip('0')}"
    return digits if E164.fullmatch(digits) else None


def send_call_notice(notice: Notice) -> None:
    """bot.outbox sender for claims reported in a phone call: a call cannot be rung back with a
    notice, so it goes by SMS to the phone number on the customer's record. It is also the
    delivery policy's SMS fallback (bot.outbox.senders.SMS_FALLBACK) for any channel that
    cannot deliver."""
    from bot.outbox.senders import phone_on_file

    number = e164(phone_on_file(notice.customer_id))
    if number is None:
        raise PermanentDeliveryError("no phone number on file for the caller")
    send_notice(replace(notice, conversation_id=Address(SMS, number).sender_id))


def queue_unsent(address: Address, parts: Sequence[str], *, kind: str, language: str | None,
                customer_id: int | None = None) -> int:
    """Keep what could not be sent in the outbox; the notice sender retries it."""
    from bot.outbox.notices import queue_message

    queued = queue_message(address.sender_id, CHANNEL, "\n".join(parts), kind=kind,
                           language=language, customer_id=customer_id)
    logger.warning("twilio: %d part(s) for %s kept in the outbox as message %s", len(parts),
                   address.masked, queued)
    return queued
