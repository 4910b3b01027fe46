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
    if text.startswith("/"):
        return None  # Rasa's "/intent" command syntax, not words in any language
    without_codes = _CODE.sub(" ", _MARKUP.sub(" ", text))
    words = _LATIN_WORD.findall(without_codes)
    if len(words) >= 2 or (len(words) == 1 and len(words[0]) >= 5):
        return EN
    return None


def requested(text: str) -> str | None:
    """The language a customer explicitly asks for ("请说英文", "Chinese please"), if any."""
    wants_en = bool(_ASK_ENGLISH.search(text))
    wants_zh = bool(_ASK_CHINESE.search(text))
    if wants_en == wants_zh:
        return None
    return EN if wants_en else ZH


def conversation_language(
    current: str | None, text: str, *, pinned: bool = False, switch_request: bool = False
) -> tuple[str, bool]:
    """The language to answer in after this message, and whether it is now pinned.

    An explicit request switches and pins the language for the rest of the conversation.
    Otherwise the language follows what the customer writes, unless it was pinned.
    """
    current = current if current in LANGUAGES else DEFAULT_LANGUAGE
    if switch_request:
        target = requested(text)
        if target:
            return target, True
    if pinned:
        return current, True
    return detect(text) or current, False
