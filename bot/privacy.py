"""Personal data kept to what is needed (PIPL): masking, keyed hashing and the redaction of what is
stored, published or logged, plus private file modes for everything under the var directory.

What is redacted (`redact_text`): dates of birth, Chinese resident ID numbers (18 digits, the last
may be X, or the old 15), bank-card numbers (16-19 Luhn-valid digits, spaced or not), mainland
mobile numbers and one-time SMS codes. Stored forms (`masked=True`: tracker store, event broker,
handoff summaries, agent transcripts) keep what an agent needs to recognise a value ("138****0001",
"1101**********1234", "***************0123"); logs (`masked=False`) keep labels only. Dates of
birth and one-time codes always become a label.

Conversations (`EventRedactor`): the user message that answered the identity question (the
tracker's requested_slot was a secret slot, or the turn filled one) is replaced wholesale, and so is
the raw value in the slot event; the in-memory tracker of the live turn keeps the text. Slot values
a later turn needs in clear (`SEALED_SLOTS`, e.g. a complaint's callback number) are sealed with a
key held outside the database (AES-GCM) and opened again when the tracker is read back.

The ID-number hash is an HMAC-SHA256 keyed by CLAIMS_ID_HASH_KEY (a demo or development install
generates one into <var>/id_hash.key, mode 0600; production refuses to start without it).
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, MutableMapping

# --- file modes -----------------------------------------------------------------------------

PRIVATE_UMASK = 0o077
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def restrict_new_files() -> None:
    """Files this process (and every child it starts) creates are 0600, folders 0700."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path | str) -> Path:
    """`path` (and missing parents) as a folder only its owner may enter."""
    folder = Path(path)
    # The folder itself unless it is a shared one (/tmp: sticky), and every parent made here.
    created = [] if folder.exists() and folder.stat().st_mode & 0o1000 else [folder]
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        created.append(parent)
        parent = parent.parent
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    for each in created:
        with contextlib.suppress(OSError):  # not ours (a shared /tmp): leave it
            os.chmod(each, PRIVATE_DIR_MODE)
    return folder


def private_file(path: Path | str) -> None:
    """Make an existing file readable by its owner only (and SQLite's -wal/-shm beside it)."""
    for candidate in (Path(path), Path(f"{path}-wal"), Path(f"{path}-shm"),
                      Path(f"{path}-journal")):
        with contextlib.suppress(OSError):
            os.chmod(candidate, PRIVATE_FILE_MODE)


# --- ID numbers -----------------------------------------------------------------------------

ID_HASH_KEY_ENV = "CLAIMS_ID_HASH_KEY"
ID_HASH_KEY_FILE = "id_hash.key"
ENVIRONMENT_ENV = "CLAIMS_ENV"  # "production" (bot/deployment.py): secrets must be configured


class MissingSecret(RuntimeError):
    """A secret production needs was not configured."""


def is_production(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get(ENVIRONMENT_ENV, "").strip().lower() == "production"


_key_lock = threading.Lock()
_key_cache: Dict[str, bytes] = {}


def id_hash_key(env: Mapping[str, str] | None = None, var_dir: Path | None = None) -> bytes:
    """The HMAC key of ID-number hashes: CLAIMS_ID_HASH_KEY; outside production, a key made once
    into <var>/id_hash.key (0600) when the variable is unset."""
    return configured_secret(ID_HASH_KEY_ENV, ID_HASH_KEY_FILE, env=env, var_dir=var_dir)


def configured_secret(env_name: str, file_name: str, *, env: Mapping[str, str] | None = None,
                      var_dir: Path | None = None) -> bytes:
    """A server key every replica must share: the variable `env_name`; outside production, when
    it is unset, a random key made once into <var>/<file_name> (0600) and read back after."""
    env = os.environ if env is None else env
    configured = env.get(env_name, "").strip()
    if configured:
        return configured.encode("utf-8")
    if is_production(env):
        raise MissingSecret(f"{env_name} must be set in production "
                            "(e.g. openssl rand -hex 32)")
    if var_dir is None:
        from bot.settings import get_settings

        var_dir = get_settings().var_dir
    path = Path(var_dir) / file_name
    with _key_lock:
        cached = _key_cache.get(str(path))
        if cached is not None:
            return cached
        private_dir(path.parent)
        if not path.exists():
            # Written aside, then linked into place: another process (a second replica on the
            # same var dir) sees the whole key or none, never an empty file.
            draft = path.with_name(f".{file_name}.{os.getpid()}.{secrets.token_hex(4)}")
            handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(secrets.token_hex(32) + "\n")
            try:
                os.link(draft, path)
            except FileExistsError:  # made meanwhile: that one is the key
                pass
            finally:
                draft.unlink()
        key = path.read_text(encoding="utf-8").strip().encode("utf-8")
        if not key:
            raise MissingSecret(f"{path} is empty: delete it or set {env_name}")
        _key_cache[str(path)] = key
        return key


def normalise_id_number(id_number: str) -> str:
    """Uppercase, no spaces: the form that is hashed (the check digit may be 'x' or 'X')."""
    return "".join(id_number.split()).upper()


def hash_id_number(id_number: str, key: bytes | None = None) -> str:
    """HMAC-SHA256 (hex) of the normalised ID number under the ID-hash key: matches an ID without
    storing it, and a stolen database alone cannot be reversed by trying every ID."""
    key = id_hash_key() if key is None else key
    return hmac.new(key, normalise_id_number(id_number).encode("utf-8"),
                    hashlib.sha256).hexdigest()


def mask_id_number(id_number: str) -> str:
    """'110105198504121234' -> '1101**********1234'; short IDs (passports) keep less."""
    clear = normalise_id_number(id_number)
    if len(clear) >= 15:
        return clear[:4] + "*" * (len(clear) - 8) + clear[-4:]
    if len(clear) >= 5:
        return clear[:1] + "*" * (len(clear) - 3) + clear[-2:]
    return "*" * len(clear)


def phone_digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def phone_last4(phone: str) -> str:
    return phone_digits(phone)[-4:]


def mask_phone(phone: str | None) -> str:
    """'13800000001' -> '138****0001', '+8613800000003' -> '+86138****0003'."""
    if not phone:
        return ""
    digits = phone_digits(phone)
    if len(digits) < 7:
        return "*" * len(digits)
    prefix = "+" if phone.strip().startswith("+") else ""
    return prefix + digits[:-8] + "****" + digits[-4:]


def mask_card_number(number: str) -> str:
    """Only the last four digits of a bank card: '6222021234567890123' -> '***************0123'."""
    digits = phone_digits(number)
    return "*" * (len(digits) - 4) + digits[-4:]


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# --- labels ---------------------------------------------------------------------------------

# Staff-facing (agents, operators, logs); never a reply to a customer.
LABELS: Dict[str, Dict[str, str]] = {
    # Neutral: the label says what kind of answer was hidden, never whether it was right.
    "dob_answer": {"zh": "[出生日期（已隐去）]", "en": "[date of birth, hidden]"},
    "last4_answer": {"zh": "[手机尾号（已隐去）]", "en": "[phone last 4, hidden]"},
    "answer": {"zh": "[验证答案已隐去]", "en": "[verification answer removed]"},
    "date_of_birth": {"zh": "[出生日期已隐去]", "en": "[date of birth removed]"},
    "id_number": {"zh": "[身份证号已隐去]", "en": "[ID number removed]"},
    "card_number": {"zh": "[银行卡号已隐去]", "en": "[bank card number removed]"},
    "phone": {"zh": "[手机号已隐去]", "en": "[phone number removed]"},
    "code": {"zh": "[验证码已隐去]", "en": "[one-time code removed]"},
}
_CJK = re.compile(r"[\u3400-\u9fff]")


def label(kind: str, language: str | None) -> str:
    return LABELS[kind]["en" if language == "en" else "zh"]


def _language_of(text: str, language: str | None) -> str:
    if language in ("zh", "en"):
        return language
    # Chinese unless the text is written in Latin letters only ("0001" is Chinese by default).
    return "en" if not _CJK.search(text) and re.search(r"[A-Za-z]", text) else "zh"


# --- patterns -------------------------------------------------------------------------------

# A date older than this many years is taken for a date of birth; recent dates (an incident, a
# hospital stay) stay readable. Claims are time-barred after 2 years (5 for life cover).
DOB_MIN_AGE_YEARS = 5
_DASH = r"\-‐‑‒–—―－"
_SEP = rf"[{_DASH}/.／．]"
_GAP = rf"[ {_DASH}]?"
_CODE_RE = re.compile(
    r"((?:验证码|校验码|动态码|动态密码|短信码|确认码|one[- ]time (?:code|password)|"
    r"verification code|security code|\bcode\b|\bOTP\b|passcode)\D{0,8}?)"
    r"(\d(?:[ \-]?\d){3,7})(?! ?\d)",
    re.IGNORECASE,
)
# Spaced any way a person groups it ("110105 1985 0412 1234", "110105 19850412 123X").
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6}(?: ?\d){11} ?[\dXx]|\d{15})(?! ?[0-9A-Za-z])")
_CARD_WORD_RE = re.compile(r"卡|账号|帳號|账户|帳戶|card|account", re.IGNORECASE)
_CARD_RE = re.compile(rf"(?<!\d)(\d(?:{_GAP}\d){{15,18}})(?!\d)")
# Grouped with spaces, dashes or dots, the first three digits maybe in brackets.
_PGAP = rf"[ .{_DASH}]{{0,2}}"
_PHONE_RE = re.compile(
    rf"(?<![\d+])((?:(?:\+|00)?86{_GAP})?(?:\(\s*)?1[3-9]\d(?:\s*\))?{_PGAP}\d{{4}}{_PGAP}"
    r"\d{4})(?!\d)"
)
_MONTH_WORD = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
               r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
           "sep": 9, "oct": 10, "nov": 11, "dec": 12}
_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "".join(_CN_DIGITS)
# (pattern, order of the year/month/day groups); the year may be 2 digits ("85.4.12").
_DATE_PATTERNS = [
    (re.compile(rf"(?<!\d)(\d{{4}}|\d{{2}})\s*(?:{_SEP}|年)\s*(\d{{1,2}})\s*(?:{_SEP}|月)"
                rf"\s*(\d{{1,2}})(?:\s*[日号號])?(?![\d])"), "ymd"),
    (re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)"), "ymd"),
    (re.compile(rf"(?<!\d)(\d{{1,2}})\s*{_SEP}\s*(\d{{1,2}})\s*{_SEP}\s*(\d{{4}}|\d{{2}})(?!\d)"),
     "dmy"),
    (re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:of\s+)?{_MONTH_WORD}(?:\s*,\s*|\s+)"
                r"'?(\d{4}|\d{2})(?!\d)", re.IGNORECASE), "dMy"),
    (re.compile(rf"(?<![A-Za-z]){_MONTH_WORD}\s*(\d{{1,2}})(?:st|nd|rd|th)?(?:\s*,\s*|\s+)"
                r"'?(\d{4}|\d{2})(?!\d)", re.IGNORECASE), "Mdy"),
    # 民国/民國 years (+1911), in digits or Chinese numerals: what bot.parsing reads.
    (re.compile(r"民[国國]\s*(\d{1,3}|[一二三四五六七八九十百]{1,5})\s*年\s*"
                r"(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*"
                r"(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号號]?"), "roc"),
    (re.compile(rf"([{_CN}]{{2,4}})\s*年\s*([一二三四五六七八九十]{{1,3}})\s*月"
                r"\s*([一二三四五六七八九十]{1,3})\s*[日号號]?"), "cn"),
]
# Slot names and values as Rasa writes them in debug logs ("verification_answer: 0001").
SECRET_SLOTS = frozenset({"verification_answer", "otp_code", "sms_code", "one_time_code",
                          "verification_code", "step_up_code",
                          # the date of birth of the way in without the policy number
                          "login_birth_date"})
_LOG_SLOT_RE = re.compile(
    r"""(['"]?(?:""" + "|".join(sorted(SECRET_SLOTS)) + r""")['"]?\s*[:=]\s*)(['"]?)([^'"\n,)}]+)"""
)


def _cn_number(text: str) -> int | None:
    if all(ch in _CN_DIGITS for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    tens, ten, units = text.partition("十")
    if not ten or len(tens) > 1 or len(units) > 1:
        return None
    return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(units, 0)
                                                             if units else 0)


def _full_year(year: int, digits: int, today: date) -> int:
    if digits > 2:
        return year
    return 2000 + year if 2000 + year <= today.year else 1900 + year


def _is_birth_date(match: re.Match, order: str, today: date) -> bool:
    groups = match.groups()
    try:
        if order == "ymd":
            year = _full_year(int(groups[0]), len(groups[0]), today)
            month, day = int(groups[1]), int(groups[2])
        elif order == "dmy":
            day, month = int(groups[0]), int(groups[1])
            if len(groups[2]) == 2 and int(groups[2]) <= 31:
                return False  # "3.5.12": which part is the year? bot.parsing does not read it
            year = _full_year(int(groups[2]), len(groups[2]), today)
            if month > 12:  # 09/30/1999: month first
                day, month = month, day
        elif order == "dMy":
            day, month = int(groups[0]), _MONTHS[groups[1].lower()[:3]]
            year = _full_year(int(groups[2]), len(groups[2]), today)
        elif order == "Mdy":
            month, day = _MONTHS[groups[0].lower()[:3]], int(groups[1])
            year = _full_year(int(groups[2]), len(groups[2]), today)
        elif order == "roc":
            from bot.parsing import read_date_of_birth

            return read_date_of_birth(match.group(0), today=today).date is not None
        else:
            year_number, month_number, day_number = (_cn_number(g) for g in groups)
            if year_number is None or month_number is None or day_number is None:
                return False
            year = _full_year(year_number, len(groups[0]), today)
            month, day = month_number, day_number
        born = date(year, month, day)
    except (ValueError, KeyError):
        return False
    try:
        limit = today.replace(year=today.year - DOB_MIN_AGE_YEARS)
    except ValueError:  # 29 February
        limit = date(today.year - DOB_MIN_AGE_YEARS, 2, 28)
    return today.year - 130 <= born.year and born <= limit


def _id_checksum_valid(number: str) -> bool:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=False))
    return "10X98765432"[total % 11] == number[17].upper()


_CN_DIGIT_RUN = re.compile(rf"[{_CN}]{{7,}}")


def _readable(text: str) -> str:
    """The text as the parsers read it (bot/parsing.normalise_digits: NFKC, so "①⑨⑧⑤",
    "¹⁹⁸⁵", "1985﹣04﹣12" are plain digits), runs of Chinese digits ("幺三八零…") as digits."""
    import unicodedata

    plain = unicodedata.normalize("NFKC", text)
    return _CN_DIGIT_RUN.sub(lambda m: "".join(str(_CN_DIGITS[ch]) for ch in m.group(0)), plain)


def redact_text(text: str, language: str | None = None, *, masked: bool = False,
                today: date | None = None) -> str:
    """`text` with the identifiers of the module docstring replaced. `masked`: ID, card and phone
    numbers keep a masked form agents can recognise; otherwise (logs) a label in `language`
    ("zh"/"en"; None: English for text in Latin letters, else Chinese).

    Whatever the parsers can read as a date, phone or code is recognised: the text is read as
    they read it (NFKC, Chinese digits); when that reveals something to redact, the stored text
    is the normalised one with it replaced, otherwise the text is kept as written."""
    if not text or not isinstance(text, str):
        return text
    if today is None:
        from bot.clock import local_today

        today = local_today()
    lang = _language_of(text, language)
    readable = _readable(text)
    if readable != text:
        redacted = _redact(readable, lang, masked, today)
        if redacted != readable:
            return redacted
    return _redact(text, lang, masked, today)


def _redact(text: str, lang: str, masked: bool, today: date) -> str:

    def code(match: re.Match) -> str:
        return match.group(1) + label("code", lang)

    def id_number(match: re.Match) -> str:
        clear = normalise_id_number(match.group(1))
        if (len(clear) == 18 and clear[-1].isdigit() and not _id_checksum_valid(clear)
                and luhn_valid(clear)):
            return card_of(clear)
        return mask_id_number(clear) if masked else label("id_number", lang)

    def card_of(digits: str) -> str:
        return mask_card_number(digits) if masked else label("card_number", lang)

    def card(match: re.Match) -> str:
        digits = phone_digits(match.group(1))
        before = match.string[max(0, match.start() - 14):match.start()]
        # A customer who names a card may mistype it: a long number after "卡"/"card" is one.
        if 16 <= len(digits) <= 19 and (luhn_valid(digits) or _CARD_WORD_RE.search(before)):
            return card_of(digits)
        return match.group(0)

    def phone(match: re.Match) -> str:
        return mask_phone(match.group(1)) if masked else label("phone", lang)

    out = _CODE_RE.sub(code, text)
    out = _ID_RE.sub(id_number, out)
    out = _CARD_RE.sub(card, out)
    out = _PHONE_RE.sub(phone, out)
    for pattern, order in _DATE_PATTERNS:
        out = pattern.sub(
            lambda m, order=order: label("date_of_birth", lang)
            if _is_birth_date(m, order, today) else m.group(0), out)
    return out


def redact_log_text(text: str) -> str:
    """A log line: labels only, and secret slots' values ("verification_answer: 0001") too."""
    lang = _language_of(text, None)
    out = _LOG_SLOT_RE.sub(lambda m: m.group(1) + m.group(2) + label("answer", lang), text)
    return redact_text(out, lang, masked=False)


def answer_label(text: str, language: str | None, today: date | None = None) -> str:
    """The label that replaces a whole verification answer: which kind of answer it was."""
    lang = _language_of(text or "", language)
    from bot.parsing import parse_date_of_birth, parse_phone_last4

    try:
        if parse_date_of_birth(text or "", today=today):
            return label("dob_answer", lang)
        if parse_phone_last4(text or ""):
            return label("last4_answer", lang)
    except Exception:  # a label is all that is needed; never fail a write over it
        pass
    return label("answer", lang)


# --- sealed slot values ----------------------------------------------------------------------

# Slots whose value a later turn needs in clear: stored sealed, never in clear.
SEALED_SLOTS = frozenset({"complainant_phone",
                          # the phone of the way in without the policy number, until checked
                          "login_phone"})
SEAL_PREFIX = "sealed:v1:"
# Values of secret slots that are flags, not answers (the identity form marks success).
_SECRET_SLOT_FLAGS = (None, "verified", True, False)


def _seal_key() -> bytes:
    return hmac.new(id_hash_key(), b"claims tracker seal v1", hashlib.sha256).digest()


def seal(value: Any) -> str:
    """AES-GCM of the JSON value under a key derived from the ID-hash key."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_seal_key()).encrypt(nonce, json.dumps(value).encode("utf-8"), None)
    return SEAL_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(value: Any) -> Any:
    """The clear value of `seal(...)`; None when it cannot be opened (the key changed): the
    conversation asks again. Any other value comes back unchanged."""
    if not isinstance(value, str) or not value.startswith(SEAL_PREFIX):
        return value
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = base64.urlsafe_b64decode(value[len(SEAL_PREFIX):].encode("ascii"))
        clear = AESGCM(_seal_key()).decrypt(raw[:12], raw[12:], None)
        return json.loads(clear)
    except (InvalidTag, ValueError, MissingSecret):
        logging.getLogger(__name__).warning("a sealed slot value could not be opened")
        return None


def unseal_events(events: Iterable[MutableMapping[str, Any]]) -> List[MutableMapping[str, Any]]:
    """Stored event dicts with sealed slot values opened, for a tracker read back from the store."""
    opened = []
    for event in events:
        if event.get("event") == "slot" and isinstance(event.get("value"), str) \
                and event["value"].startswith(SEAL_PREFIX):
            event = {**event, "value": unseal(event["value"])}
        opened.append(event)
    return opened


# --- conversations ----------------------------------------------------------------------------

def redact_value(value: Any, lang: str | None, today: date | None = None) -> Any:
    """Free text inside a slot value (a report draft): strings redacted, structure kept."""
    if isinstance(value, str):
        return redact_text(value, lang, masked=True, today=today)
    if isinstance(value, list):
        return [redact_value(item, lang, today) for item in value]
    if isinstance(value, dict):
        return {key: redact_value(item, lang, today) for key, item in value.items()}
    return value


# Metadata keys that hold identifiers of a message, call or model, never a person's data.
_METADATA_ID_KEYS = frozenset({"call_sid", "message_id", "model_id", "assistant_id", "id"})


# Metadata keys that are dropped wherever they sit: the client's address served the turn's
# identity counting (under a hash) and is not kept with the conversation.
_METADATA_DROPPED_KEYS = frozenset({"client_address", "remote_addr", "client_ip"})


def redact_metadata(value: Any, lang: str | None, today: date | None = None) -> Any:
    """A channel's metadata (a caller's number: `phone_call.from`) as it may be kept: the
    identifiers of the module docstring masked, ids of messages and calls untouched, client
    addresses dropped at any depth."""
    if isinstance(value, dict):
        return {key: item if key in _METADATA_ID_KEYS else redact_metadata(item, lang, today)
                for key, item in value.items() if key not in _METADATA_DROPPED_KEYS}
    if isinstance(value, list):
        return [redact_metadata(item, lang, today) for item in value]
    return redact_value(value, lang, today)


def _is_identity_message(text: Any) -> bool:
    """A message the identity check reads as an answer on its own: a policy number with a date
    of birth beside it ("查进度 AUTO-2026-0001 1985-04-12"), read exactly as actions/identity.py
    reads it. Stored wholesale as the neutral label, like an answer to the question."""
    if not isinstance(text, str) or not text:
        return False
    from bot.parsing import parse_date_of_birth, parse_policy_number, without_reference_numbers

    try:
        return bool(parse_policy_number(text)
                    and parse_date_of_birth(without_reference_numbers(text)))
    except Exception:  # never fail a write over it
        return False


@dataclass
class EventRedactor:
    """Redacts Rasa event dicts in conversation order. `observe_*` feed it what is already stored
    (so it knows which slot the bot asked for, and the conversation's language); `redact` returns
    the stored form of the new events and never changes its input."""

    language: str | None = None
    requested_slot: str | None = None
    today: date | None = None
    seal_slots: bool = True
    _asked: List[str] = field(default_factory=list)

    def observe_slot(self, name: str, value: Any) -> None:
        if name == "requested_slot":
            self.requested_slot = value if isinstance(value, str) else None
        elif name == "language" and value in ("zh", "en"):
            self.language = value

    def observe_reset(self) -> None:
        """A restart or a new session: no question is pending."""
        self.requested_slot = None

    def observe(self, event: Mapping[str, Any]) -> None:
        kind = event.get("event")
        if kind == "slot":
            self.observe_slot(str(event.get("name")), event.get("value"))
        elif kind in ("restart", "session_started"):
            self.observe_reset()

    def _answers(self, events: List[Mapping[str, Any]]) -> set[int]:
        """Positions of user messages that answered a secret question."""
        answers: set[int] = set()
        requested = self.requested_slot
        last_user: int | None = None
        for position, event in enumerate(events):
            kind = event.get("event")
            if kind == "user":
                last_user = position
                if requested in SECRET_SLOTS or _is_identity_message(event.get("text")):
                    answers.add(position)
            elif kind == "slot":
                name, value = event.get("name"), event.get("value")
                if name == "requested_slot":
                    requested = value if isinstance(value, str) else None
                elif name in SECRET_SLOTS and value not in _SECRET_SLOT_FLAGS \
                        and last_user is not None:
                    answers.add(last_user)
            elif kind in ("restart", "session_started"):
                requested = None
        return answers

    def redact(self, events: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
        from bot.clock import local_today

        today = self.today or local_today()
        events = list(events)
        answers = self._answers(events)
        stored: List[Dict[str, Any]] = []
        for position, event in enumerate(events):
            data = json.loads(json.dumps(event, default=str))  # a deep copy of plain JSON
            kind = data.get("event")
            lang = self.language
            # The client's address served this turn's identity counting; it is not kept.
            if isinstance(data.get("metadata"), dict):
                data["metadata"].pop("client_address", None)
                # A channel's metadata may hold a phone number (the caller's, phone_call.from).
                data["metadata"] = redact_metadata(data["metadata"], lang, today)
            if kind == "user":
                text = data.get("text") or ""
                parse_data = data.get("parse_data")
                if isinstance(parse_data, dict) and isinstance(parse_data.get("metadata"), dict):
                    parse_data["metadata"].pop("client_address", None)
                    parse_data["metadata"] = redact_metadata(parse_data["metadata"], lang, today)
                if position in answers:
                    replacement = answer_label(text, lang, today)
                    data["text"] = replacement
                    parse = data.get("parse_data") or {}
                    if parse:
                        parse["text"] = replacement
                        for entity in parse.get("entities") or []:
                            entity["value"] = replacement
                            entity.pop("text", None)
                else:
                    data["text"] = redact_text(data.get("text"), lang, masked=True, today=today)
                    parse = data.get("parse_data") or {}
                    if parse:
                        parse["text"] = redact_text(parse.get("text"), lang, masked=True,
                                                    today=today)
                        for entity in parse.get("entities") or []:
                            entity["value"] = redact_value(entity.get("value"), lang, today)
                            if "text" in entity:
                                entity["text"] = redact_text(entity["text"], lang, masked=True,
                                                             today=today)
            elif kind == "bot":
                data["text"] = redact_text(data.get("text"), lang, masked=True, today=today)
            elif kind == "slot":
                name, value = data.get("name"), data.get("value")
                if name == "session_started_metadata" and isinstance(value, dict):
                    # Rasa copies the first message's metadata here.
                    data["value"] = value = redact_metadata(value, lang, today)
                if name in SECRET_SLOTS and value not in _SECRET_SLOT_FLAGS:
                    data["value"] = answer_label(str(value), lang, today)
                elif name in SEALED_SLOTS and value is not None and self.seal_slots:
                    data["value"] = seal(value)
                elif name not in ("requested_slot", "language"):
                    data["value"] = redact_value(value, lang, today)
            self.observe(event)
            stored.append(data)
        return stored


def redact_events(events: Iterable[Mapping[str, Any]], *, language: str | None = None,
                  today: date | None = None, seal_slots: bool = False) -> List[Dict[str, Any]]:
    """A whole conversation's events (Rasa event dicts) as agents and stores may see them."""
    return EventRedactor(language=language, today=today, seal_slots=seal_slots).redact(events)


# --- logs -------------------------------------------------------------------------------------

def install_log_redaction() -> None:
    """Every log record this process creates is redacted (labels) before any handler sees it,
    its traceback included: Rasa logs whole trackers at debug level when an action fails."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "claims_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
            clean = redact_log_text(message)
            if clean != message:
                record.msg, record.args = clean, None
            if record.exc_info and not record.exc_text:
                record.exc_text = redact_log_text(
                    logging.Formatter().formatException(record.exc_info))
        except Exception:  # a log line must never fail
            pass
        return record

    factory.claims_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
