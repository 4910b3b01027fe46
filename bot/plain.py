""""说简单点" / "看不懂" / "simpler please": the last answer again, shorter and plainer.

The shorter version keeps the answer's substance: its first sentence of fact, the answer's own
plain words ("简单说：…") and the last sentence when that says what to do next; frames (an
identity confirmation, a "general wording" disclaimer, an offer of a person), quoted clause texts,
lists, details and asides are left out.
"""
from __future__ import annotations

import re
from functools import lru_cache

from bot.language import to_simplified
from bot.replies import catalog, say

_ASKS_SIMPLER = re.compile(
    r"(?i)(说?(得|的)?简单(一)?点|简单(一)?点说|说简单些|简单说|通俗(一)?点|说白了|说人话|"
    r"看不(太)?懂|听不(太)?懂|没看懂|没听懂|不(太)?明白你(说)?的|太复杂|太长了|看不明白|"
    r"\b(?:simpler|plainer|simple words|plain english|too (?:long|complicated|complex)|"
    r"(?:don'?t|do not|didn'?t) (?:understand|get) (?:that|it|this|you)|what does that mean|"
    r"in plain|eli5|shorter)\b)"
)
# A message that is about the wording and nothing else: short.
MAX_REQUEST_CHARS = 24
_SENTENCE_END = re.compile(r"(?<=[。！？])|(?<=[.!?])\s+")
_NEXT_STEP = re.compile(r"(?i)([？?]\s*$|(?<!申)请|您可以|可以说|回复|说“|拨打|\bplease\b|\bsay\b|"
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
    from bot.claims.disputes import asks_why_refused

    if asks_why_refused(to_simplified(text)):
        return False  # "为什么拒赔？我看不懂": the refusal explained, not the last line shorter
    return bool(_ASKS_SIMPLER.search(to_simplified(text)))


# What frames an answer rather than answers: said again in simpler words it would crowd out
# the facts ("身份已核实", "下面是…一般说明，不是针对您这份保单的", "现在为您转人工吗？").
_FRAME_KEYS = ("identity_verified", "identity_already", "clause_general_intro",
               "clause_line_not_held", "clause_for_policy", "report_resume", "simpler",
               "simpler_nothing")
_OFFER = re.compile(r"(?i)(转人工(?:客服)?吗|为您转人工|回复“转人工”|说“转人工”|请回复“转人工”|"
                    r"不太确定|put you through|reply \"agent\"|say \"agent\"|"
                    r"not (?:completely |entirely )?sure this is)")
# "简单说：…" / "In plain words: …" inside an answer: its own plain version.
_PLAIN_LABEL = re.compile(r"^\s*(?:简单说|通俗地说|In plain words|In short)\s*[:：]\s*")
# A clause quoted word for word ("“…”", "\"…\""): the plain words beside it say it shorter.
_LONG_QUOTE = re.compile(r"“[^”]{30,}”|\"[^\"]{60,}\"")
# Asides: examples in brackets.
_ASIDE = re.compile(r"\s*[（(](?:比如|例如|如|for example|e\.g\.|such as)[^（）()]*[）)]",
                    re.IGNORECASE)
MAX_NEXT_STEP_CHARS = {"zh": 60, "en": 150}


def _template_pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.compile(".+?".join(re.escape(part) for part in parts), re.DOTALL)


@lru_cache(maxsize=1)
def _frames() -> tuple:
    """Each frame reply's sentences, as patterns a sentence of an answer may match."""
    found = []
    for key in _FRAME_KEYS:
        for template in (catalog().get(key) or {}).values():
            for sentence in _split(template):
                found.append(_template_pattern(sentence.strip()))
    return tuple(found)


def _split(line: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(line) if part and part.strip()]


def _is_frame(sentence: str) -> bool:
    bare = sentence.strip()
    if _OFFER.search(bare):
        return True
    return any(pattern.fullmatch(bare) for pattern in _frames())


def _sentences(text: str) -> tuple[list[str], list[str], list[str]]:
    """The answer's sentences that carry its substance, its list items apart, and its own
    plain-words sentences ("简单说：…"); frames, offers and quoted clause texts left out."""
    found: list[str] = []
    items: list[str] = []
    plain: list[str] = []
    for line in text.splitlines():
        if _BULLET.match(line):
            items.append(_BULLET.sub("", line).strip())
            continue
        if _PLAIN_LABEL.match(line):
            plain += [part for part in _split(_PLAIN_LABEL.sub("", line)) if not _is_frame(part)]
            continue
        line = _ASIDE.sub("", _LONG_QUOTE.sub("", line))
        for part in _split(line):
            if _is_frame(part) or _quoted_away(part) or not re.sub(r"[\W_]+", "", part):
                continue
            found.append(part)
    return found, items, plain


def _quoted_away(part: str) -> bool:
    """A sentence that only introduced a quotation now removed ("依据是保单第十二条「…」：")."""
    return bool(re.search(r"(」|原文|\bsays|\)|\bon [^.]*)\s*[:：]\s*$", part))


def simpler(last_answer: str | None, lang: str | None) -> str:
    """The last answer's substance, shorter: its facts first (frames such as an identity
    confirmation, a disclaimer or an offer of a person left out, a quoted clause replaced by its
    own plain words), and what to do next when the answer says it; with nothing to shorten,
    what the customer can say instead. Traditional text is read as simplified (the reply is
    put back into the customer's script on its way out)."""
    sentences, items, plain = _sentences(to_simplified(last_answer or ""))
    if not sentences and not plain:
        return say("simpler_nothing", lang)
    chinese = _is_chinese(" ".join(sentences + plain))
    next_step = sentences.pop() if len(sentences) > 1 and _NEXT_STEP.search(sentences[-1]) \
        else None
    kept: list[str] = []
    if sentences:
        first = sentences[0]
        if first.endswith(("：", ":")) and items:
            listed = say("list_separator", "zh" if chinese else "en").join(items[:3])
            first += listed + "。" if chinese else " " + listed + "."
        kept.append(first)
    if plain:
        kept.append(plain[0])  # the answer's own plain words
    elif len(sentences) > 1 and (not kept or len(kept[0]) < 8):
        kept.append(sentences[1])  # "好的。" alone says nothing
    if next_step and len(next_step) <= MAX_NEXT_STEP_CHARS["zh" if chinese else "en"]:
        kept.append(next_step)
    if chinese:
        return say("simpler", lang, text="".join(kept))
    return say("simpler", lang, text=" ".join(part[:1].upper() + part[1:] for part in kept))


def _is_chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))
