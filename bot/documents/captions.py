"""Which checklist item does a caption or a typed answer name? One answer for every channel: a
photo's caption ("驾驶证", "my ID card, both sides") or a reply to "which document is it?" names
an item when it names it better than any other, else the channel asks."""
from __future__ import annotations

import re
from typing import Any, Dict, Iterable, TypeVar

from bot.language import to_simplified

ItemT = TypeVar("ItemT")

_NAME_ALTERNATIVES = re.compile(r"[/／、或]|\s+or\s+", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_CAPTION_STOP_WORDS = frozenset({
    "a", "an", "the", "my", "our", "this", "that", "it", "is", "here", "of", "for", "and", "or",
    "photo", "picture", "pic", "scan", "copy", "both", "sides", "side", "page", "pages",
})
_MIN_CAPTION_SCORE = 0.6
_CAPTION_NOISE = re.compile(r"[\s()（）\[\]【】,，.。:：;；!！?？'\"“”‘’`~\-_/]+")


def _plain(text: str) -> str:
    return _CAPTION_NOISE.sub("", to_simplified(text).lower())


def _words(text: str) -> set:
    return {word for word in _WORD.findall(text.lower().replace("'s", ""))
            if word not in _CAPTION_STOP_WORDS}


def _caption_score(said: str, said_words: set, name: str) -> float:
    """1 when the caption holds the name (or is part of it); else the share of the name's
    English words it holds ("my ID card" holds 2 of "Claimant's ID card")."""
    best = 0.0
    # "维修发票/估损单 (…)": each alternative before the parenthesis is a name.
    for alternative in _NAME_ALTERNATIVES.split(re.split(r"[(（]", name, maxsplit=1)[0]):
        core = _plain(alternative)
        # A caption inside a name counts for Chinese ("身份证" of "申请人身份证"), not for a
        # Latin fragment ("card" would name every card).
        if len(core) >= 2 and (core in said or (said in core and _CJK.search(said))):
            return 1.0
        words = _words(alternative)
        if words:
            best = max(best, len(words & said_words) / len(words))
    return best


def document_for_caption(caption: str | None, items: Iterable[Any]) -> str | None:
    """The checklist code a caption or answer names ("驾驶证", "my ID card"), when it names one
    of `items` (anything with code, name_zh and name_en, e.g. bot.documents.Item) better than any
    other; else None and the channel asks which document it is."""
    said = _plain(caption or "")
    if len(said) < 2:
        return None
    said_words = _words(to_simplified(caption or ""))
    scores: Dict[str, float] = {}
    for item in items:
        scores[item.code] = max(_caption_score(said, said_words, name)
                                for name in (item.name_zh, item.name_en))
    best = max(scores.values(), default=0.0)
    winners = [code for code, score in scores.items() if score == best]
    return winners[0] if best >= _MIN_CAPTION_SCORE and len(winners) == 1 else None


def item_named(text: str | None, items: Iterable[ItemT]) -> ItemT | None:
    """The item of `items` that `text` names (see document_for_caption), or None."""
    items = list(items)
    code = document_for_caption(text, items)
    return next((item for item in items if item.code == code), None) if code else None
