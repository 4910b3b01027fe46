"""Which language a message is in, traditional-to-simplified normalisation, and switching rules."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

ZH = "zh"
EN = "en"
LANGUAGES = (ZH, EN)
DEFAULT_LANGUAGE = ZH

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Codes such as policy and claim numbers are written in Latin letters by everyone;
# they must not flip a Chinese conversation to English.
_CODE = re.compile(r"(?i)(?<![a-z0-9])(auto|med|home|acc|ci|life|clm)[- ]?\d{4}[- ]?\d{4,6}")

_MARKUP = re.compile(r"<[^<>]{0,200}>")
# A button's payload in Rasa's command syntax ('/inform{"claim_number": "CLM-…"}'), also once the
# channel has taken its "/" away (channels/customer_text.py): the bot's own words, no language.
_COMMAND = re.compile(r"/?[a-z_]+\{.*\}", re.DOTALL)
# Control characters other than tab and line breaks carry no words and break things downstream:
# PostgreSQL refuses NUL in text, terminals obey escape codes in logs. JSON can also carry a lone
# UTF-16 surrogate ("\ud800"), which no UTF-8 store, log or tokenizer can encode.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")

_ASK_ENGLISH = re.compile(r"(?i)(英文|英语|英語|(?<![a-z])english(?![a-z]))")
_ASK_CHINESE = re.compile(
    r"(?i)(中文|汉语|漢語|普通话|普通話|华语|華語|(?<![a-z])(chinese|mandarin)(?![a-z]))"
)


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # imported lazily: the converter loads its dictionaries on first use

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters become simplified ones; everything else is left alone."""
    if not _CJK.search(text):
        return text
    return _t2s().convert(text)


def clean_text(text: str) -> str:
    """Text as it may be stored and shown: control characters dropped (tab and line breaks
    kept), a lone surrogate replaced by U+FFFD. Every channel applies it to what comes in."""
    text = _CONTROL.sub("", text)
    return _LONE_SURROGATE.sub("\ufffd", text)


def normalise(text: str) -> str:
    """The form NLU sees: no markup, NFKC (full-width digits and letters), simplified characters.

    Markup is dropped so that pasted HTML or a script tag is judged by its words alone.
    """
    text = _MARKUP.sub(" ", unicodedata.normalize("NFKC", clean_text(text)))
    return " ".join(to_simplified(text).split())


def detect(text: str) -> str | None:
    """The language a message is clearly written in, or None when it could be either.

    Any Chinese character makes it Chinese. Two or more English words with no Chinese make it
    English. Digits, codes, emoji and a lone "ok" say nothing.
    """
    if _CJK.search(text):
        return ZH
    if text.startswith("/") or _COMMAND.fullmatch(text.strip()):
        return None  # Rasa's "/intent{…}" command syntax, not words in any language
    without_codes = _CODE.sub(" ", _MARKUP.sub(" ", text))
    words = _LATIN_WORD.findall(without_codes)
    if len(words) >= 2 or (len(words) == 1 and len(words[0]) >= 5):
        return EN
    return None


# Metadata a channel puts on a message that stands for a numbered choice the customer picked
# ("2" on SMS, WhatsApp or WeChat): the text is the button's payload, the bot's own words (a
# claim number, "/inform{...}", a date written in Chinese), so it never changes the
# conversation's language or script.
PICKED_CHOICE = "picked_choice"


def picked_choice(metadata: object) -> bool:
    """Whether a message's metadata says it is a picked numbered choice."""
    return isinstance(metadata, dict) and metadata.get(PICKED_CHOICE) is True


def requested(text: str) -> str | None:
    """The language a customer explicitly asks for ("请说英文", "Chinese please"), if any."""
    wants_en = bool(_ASK_ENGLISH.search(text))
    wants_zh = bool(_ASK_CHINESE.search(text))
    if wants_en == wants_zh:
        return None
    return EN if wants_en else ZH


def conversation_language(
    current: str | None, text: str, *, pinned: bool = False, switch_request: bool = False,
    picked: bool = False,
) -> tuple[str, bool]:
    """The language to answer in after this message, and whether it is now pinned.

    An explicit request switches and pins the language for the rest of the conversation.
    Otherwise the language follows what the customer writes, unless it was pinned or the
    message is a picked choice (`picked`: the button's payload, not the customer's words).
    """
    current = current if current in LANGUAGES else DEFAULT_LANGUAGE
    if switch_request:
        target = requested(text)
        if target:
            return target, True
    if pinned or picked:
        return current, pinned
    return detect(text) or current, False


# --- the customer's script: simplified or traditional (Taiwan, Hong Kong) -----------------------
# The language stays "zh" for both scripts; the script is kept per conversation (slot `script`)
# and every reply is converted once, as it leaves the action server (actions/server.py).
SIMPLIFIED = "simplified"
TRADITIONAL = "traditional"
TAIWAN = "taiwan"
HONG_KONG = "hongkong"
SCRIPTS = (SIMPLIFIED, TRADITIONAL, TAIWAN, HONG_KONG)
# OpenCC's configurations. Taiwan uses s2tw (Taiwan's character forms, 為 and 裡) rather than
# s2twp: the phrase table turns 文件 (documents) into 檔案 (computer files), wrong for a claim.
# Plain traditional uses the same forms: OpenCC's own standard (s2t: 爲, 覈, 裏) is what few
# customers write or read.
_OPENCC_CONFIG = {TRADITIONAL: "s2tw", TAIWAN: "s2tw", HONG_KONG: "s2hk"}

# Cantonese words and Hong Kong terms; Taiwan's own terms and its calendar. Matched on the text
# after it was made simplified, so one list serves both scripts.
_HONG_KONG_WORDS = re.compile(
    r"(嘅|系咪|唔|咗|冇|喺|啲|嘢|佢哋|我哋|你哋|睇|咩|乜|咁|嗰|噉|揾|攞|俾|畀|嚟|香港|八达通|"
    r"的士|强积金|积金局)"
)
_TAIWAN_WORDS = re.compile(
    r"(民国|台湾|台北|台中|台南|高雄|新北|桃园|健保|劳保|机车|计程车|捷运|身分证|新台币|台币|"
    r"软体|资讯|网路|影片|这边|喔|唷)"
)


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


@lru_cache(maxsize=4)
def _converter(script: str):
    import opencc

    return opencc.OpenCC(_OPENCC_CONFIG[script])


def detect_script(text: str, current: str | None = None) -> str | None:
    """The script a message is written in, or `current` when it says nothing (no Chinese, or
    only characters both scripts share).

    Characters that simplification changes count for traditional, characters that
    traditionalisation changes count for simplified; the larger count wins. A traditional
    message with Cantonese or Hong Kong words is Hong Kong, one with Taiwan's words Taiwan;
    otherwise it keeps the variant already known, else plain traditional.
    """
    chinese = "".join(_CJK.findall(text or ""))[:200]  # enough to tell; bounds the work
    if not chinese:
        return current
    simplified = to_simplified(chinese)
    traditional_count = sum(1 for ch in chinese if _t2s().convert(ch) != ch)
    simplified_count = sum(1 for ch in chinese if _s2t().convert(ch) != ch)
    if traditional_count == simplified_count:
        if traditional_count == 0 and current in (TAIWAN, HONG_KONG, TRADITIONAL):
            return _variant(simplified, current)
        return current
    if simplified_count > traditional_count:
        return SIMPLIFIED
    return _variant(simplified, current)


def _variant(simplified_text: str, current: str | None) -> str:
    if _HONG_KONG_WORDS.search(simplified_text):
        return HONG_KONG
    if _TAIWAN_WORDS.search(simplified_text):
        return TAIWAN
    return current if current in (TAIWAN, HONG_KONG) else TRADITIONAL


def in_script(text: str, script: str | None) -> str:
    """A reply written in simplified Chinese, in the customer's script (unchanged for simplified,
    unknown scripts and text without Chinese)."""
    if not text or script not in _OPENCC_CONFIG or not _CJK.search(text):
        return text
    return _converter(script).convert(text)


_ABROAD = re.compile(
    r"(?i)(在国外|在海外|人在外国|出国了|在出国|出差在外国|在英国|在美国|在加拿大|在澳洲|在澳大利亚|"
    r"在日本|在新加坡|在欧洲|在德国|在法国|留学|"
    r"\b(?:abroad|overseas)\b|\bi(?:'m| am) (?:in|living in|based in) (?:the uk|london|the us|"
    r"america|canada|australia|europe|japan|singapore|germany|france)\b)"
)


def says_abroad(text: str | None) -> bool:
    """Whether the customer says they are abroad ("我人在国外", "I'm in London"): times are then
    named with their zone."""
    return bool(text and _ABROAD.search(to_simplified(text)))
