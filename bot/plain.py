""""说简单点" / "看不懂" / "simpler please": the last answer again, shorter and plainer.

The shorter version keeps the answer's first sentence and its last one when that says what to
do next (a question, "请…", "say …"); lists, details and asides in between are left out.
"""
from __future__ import annotations

import re

from bot.language import to_simplified
from bot.replies import say

_ASKS_SIMPLER = re.compile(
    r"(?i)(说?(得|的)?简单(一)?点|简单(一)?点说|说简单些|简单说|通俗(一)?点|说白了|说人话|"
    r"看不(太)?懂|听不(太)?懂|没看懂|没听懂|不(太)?明白你(说)?的|太复杂|太长了|看不明白|"
    r"\b(?:simpler|plainer|simple words|plain english|too (?:long|complicated|complex)|"
    r"(?:don'?t|do not|didn'?t) (?:understand|get) (?:that|it|this|you)|what does that mean|"
    r"in plain|eli5|shorter)\b)"
)
# A message that is about the wording and nothing else: short.
MAX_REQUEST_CHARS = 24
_SENTENCE_END = re.compile(r"(?<=[。！？；])|(?<=[.!?;])\s+")
_NEXT_STEP = re.compile(r"(?i)([？?]\s*$|请|您可以|可以说|回复|说“|拨打|\bplease\b|\bsay\b|"
                        r"\breply\b|\bjust tell\b|\byou can\b|\bcall\b)")
_BULLET = re.compile(r"^\s*(?:[·•\-*]|\d+[.)、])\s*")


_ASKS_FULL_TEXT = re.compile(r"(?i)^\s*(?:看|要|发|给我看|显示|我要看)?(?:条款)?"
                             r"(?:全文|原文|完整(?:的)?(?:条款|原文)|整条(?:原文)?)(?:吧|呢|呀)?\s*[。.!！?？]?\s*$|"
                             r"^\s*(?:(?:show|send|give) me )?(?:the )?(?:full|whole|complete) "
                             r"(?:text|clause|wording)(?: please)?\s*[.!?]?\s*$")


def asks_full_text(text: str | None) -> bool:
    """"全文" / "full text": the whole clause whose sentence was quoted."""
    return bool(text and _ASKS_FULL_TEXT.search(to_simplified(text)))


def asks_simpler(text: str | None) -> bool:
    """Whether a short message asks for the last answer in simpler words."""
    if not text or len(text) > MAX_REQUEST_CHARS:
        return False
    return bool(_ASKS_SIMPLER.search(to_simplified(text)))


def _sentences(text: str) -> tuple[list[str], list[str]]:
    """The answer's sentences, and its list items apart."""
    found: list[str] = []
    items: list[str] = []
    for line in text.splitlines():
        if _BULLET.match(line):
            items.append(_BULLET.sub("", line).strip())
            continue
        found += [part.strip() for part in _SENTENCE_END.split(line) if part and part.strip()]
    return found, items


def simpler(last_answer: str | None, lang: str | None) -> str:
    """The last answer, shorter: its first sentence (with the first items of a list it
    introduces), and the last one when it says what to do next; with nothing to shorten, what
    the customer can say instead."""
    sentences, items = _sentences(last_answer or "")
    if not sentences:
        return say("simpler_nothing", lang)
    first = sentences[0]
    if first.endswith(("：", ":")) and items:
        listed = say("list_separator", lang).join(items[:3])
        first += listed + "。" if _is_chinese(first) else " " + listed + "."
    kept = [first]
    if len(sentences) > 1 and _NEXT_STEP.search(sentences[-1]):
        kept.append(sentences[-1])
    elif len(sentences) > 1 and len(first) < 8:
        kept.append(sentences[1])  # "好的。" alone says nothing
    if _is_chinese(first):
        return say("simpler", lang, text="".join(kept))
    return say("simpler", lang, text=" ".join(part[:1].upper() + part[1:] for part in kept))


def _is_chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))
