"""How a reply is said on the phone: the one place that turns the bot's chat wording into words a
caller can act on without a screen or a keyboard.

The bot's replies reach the phone channel as text (actions and Rasa know nothing of the channel),
so the wording is found again from the text:

1. **A phone wording per reply** (`bot/catalog/phone.yml`, keyed like `bot/catalog/replies.yml`):
   a bot message, or a run of its lines, that is one of those replies whatever its fields is said
   in its phone wording instead, with the same fields (a phone wording of "" leaves it unsaid).
   The status of a claim, for one, is stage, what is missing and what happens next, not the
   chat's deadline rules and clause quotes.
2. **Phrases** that only make sense in writing ("请再发一次", "回复“转人工”", "add anything else
   right here") are said the phone's way in any other reply, and format examples in brackets
   ("（例如 AUTO-2026-XXXX）") are left out.

Used for every reply a call hears, recorded (`<Say>`) and streamed alike
(channels.twilio_voice_twiml.speakable). Text that matches nothing is said as written.
"""
from __future__ import annotations

import re
import string
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import yaml

from bot.language import LANGUAGES

PHONE_CATALOG = Path(__file__).resolve().parent.parent / "catalog" / "phone.yml"


@lru_cache(maxsize=1)
def phone_catalog() -> Dict[str, Dict[str, str]]:
    with PHONE_CATALOG.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def fields_of(template: str) -> List[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


@lru_cache(maxsize=1)
def _patterns() -> Tuple[Tuple[int, re.Pattern[str], str, str], ...]:
    """(lines, pattern, key, language) for every reply with a phone wording, longest first."""
    from bot.replies import catalog, template_pattern

    found = []
    for key in phone_catalog():
        for lang in LANGUAGES:
            template = "\n".join(line.strip() for line in catalog()[key][lang].splitlines())
            template = template.strip()
            found.append((template.count("\n") + 1, len(template), template_pattern(template),
                          key, lang))
    found.sort(key=lambda item: (-item[0], -item[1]))
    return tuple((lines, pattern, key, lang) for lines, _, pattern, key, lang in found)


def _phone_wording(text: str, lines: int) -> str | None:
    """`text` (of `lines` lines) in its phone wording, or None when it is no such reply."""
    from bot.replies import hotline

    for count, pattern, key, lang in _patterns():
        if count != lines:
            continue
        match = pattern.fullmatch(text)
        if match:
            fields = {name: value.strip() for name, value in match.groupdict().items()}
            fields.setdefault("hotline", hotline(lang))
            return phone_catalog()[key][lang].format(**fields)
    return None


# Phrases written for a screen, as a caller hears them: (pattern, replacement), in order.
_PHRASES = [(re.compile(pattern), replacement) for pattern, replacement in (
    (r"有补充可以直接写在这里", "有补充可以直接跟我说"),
    (r"您可以先把情况写在这里", "您可以先把情况跟我说"),
    (r"(?:您)?写在这里的内容", "您跟我说的内容"),
    (r"写在这里", "跟我说"),
    (r"请再发一次|请重新发送|请重新发一次", "请再说一遍"),
    (r"再发一次", "再说一遍"),
    (r"请把([^，。“”]{1,12}?)(?:直接)?发给我", r"请把\1告诉我"),
    (r"，开头写“([^”]{0,20})”", r"，先说“\1”"),
    (r"请发给我您的", "请告诉我您的"),
    (r"请发给我|直接发过来就行", "请直接说出来"),
    (r"请回复(?=其中|\s?\d)", "请说"),
    (r"发一下(?=保单号)", "说一下"),
    (r"发(?=投保时留的手机号)", "说"),
    (r"点下面的按钮", "按它的数字键"),
    (r"请点下面", "请从下面选"),
    (r"点按钮", "按数字键"),
    (r"回复序号", "说序号"),
    (r"等方便时再发", "等方便时再说"),
    (r"只发一项就行", "只说一项就行"),
    (r"出生日期按“年-月-日”写，比如 ?1990-01-31", "出生日期按年月日说，比如1990年1月31日"),
    (r"请发送短信里的", "请说出短信里的"),
    (r"请(再)?发(?=您|保单号|出生日期|投保人|一个|手机号)", r"请\1说"),
    (r"请(?:回复|点)“", "请说“"),
    (r"(?:回复|点)“", "说“"),
    (r"(?i)add anything else right here", "tell me anything else now"),
    (r"(?i)anything you write here", "anything you tell me"),
    (r"(?i)write down what happened here", "tell me what happened"),
    (r"(?i)\b(?:reply|tap)(?: with)? \"", 'say "'),
    (r"(?i)\bsend it again\b", "say it again"),
    (r"\bTap (?=the closest|one below|one,|it or)", "Choose "),
    (r"\btap (?=the closest|one below|one,|it or)", "choose "),
    (r"\bsend its number\b", "say its number"),
    (r"\bPlease tap one\b", "Please choose one"),
    (r"\breply with its place\b", "say its place"),
    (r"\b[Pp]lease reply with\b", "Please say"),
    (r"\b[Ss]end (?:me )?(?=the new wording|your phone number)", "Tell me "),
    (r"\bsend it when you can\b", "say it when you can"),
    (r"\bsend the policy number\b", "say the policy number"),
    (r"\bjust send them\b", "just say them"),
    (r"\bSend just one thing\b", "Say just one thing"),
    (r"as year-month-day, for example 1990-01-31", "as day, month and year, like 31 January 1990"),
    (r"(?i)\bsend (?:me )?the code\b", "say the code"),
    (r"\bPlease send (?=the |your |an? |me )", "Please say "),
    (r"\bplease send (?=the |your |a |me )", "please say "),
)]
# Format examples in brackets, there to be copied: "（例如 AUTO-2026-XXXX）", "(e.g. 1234)".
_EXAMPLE = re.compile(r"\s*[（(](?:比如|例如|如|for example|e\.g\.)[^（）()]*[）)]", re.IGNORECASE)
# A code to copy in brackets: "（CLM-2026-XXXXXX）".
_FORMAT = re.compile(r"\s*[（(][A-Z]{2,5}-\d{4}-X{4,}[）)]")


def phrases(text: str) -> str:
    """Screen-only phrases said the phone's way; format examples left out."""
    text = _EXAMPLE.sub("", text)
    text = _FORMAT.sub("", text)
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    return text


def for_phone(text: str) -> str:
    """A bot message as a caller hears it: each reply with a phone wording in that wording
    (the whole message, else runs of its lines), then screen-only phrases said the phone's way.
    Either language, whichever the text is in; a reply in traditional script (the customer's)
    is found in simplified, and said back in the script it came in."""
    from bot.language import SIMPLIFIED, detect_script, in_script, to_simplified

    script = detect_script(text)
    if script not in (None, SIMPLIFIED):
        return in_script(_for_phone(to_simplified(text)), script)
    return _for_phone(text)


def _for_phone(text: str) -> str:
    whole = text.strip()
    lines = [line.strip() for line in whole.splitlines()]
    said = _phone_wording("\n".join(lines), len(lines)) if whole else None
    if said is None:
        out, index = [], 0
        longest = max((count for count, *_ in _patterns()), default=1)
        while index < len(lines):
            for size in range(min(longest, len(lines) - index), 0, -1):
                found = _phone_wording("\n".join(lines[index:index + size]), size)
                if found is not None:
                    out.append(found)
                    index += size
                    break
            else:
                out.append(lines[index])
                index += 1
        said = "\n".join(line for line in out if line.strip())
    return phrases(said)


# A claim, complaint or policy reference in a choice's title ("第1笔 车险 CLM-2026-000004").
_REFERENCE = re.compile(r"\b[A-Z]{2,5}-\d{4}-\d{4,6}\b")


def lists_choices(texts: Sequence[str], titles: Sequence[str]) -> bool:
    """Whether the message already names every choice of its buttons by its place and its
    reference: a line starting "第1笔" / "1." that holds the first choice's number, and so on
    (the status list). The phone then reads no menu after it: the caller would hear each claim
    twice, and the list says which key is which."""
    lines = [line.strip() for text in texts for line in text.splitlines()]
    for index, title in enumerate(titles, 1):
        reference = _REFERENCE.search(title)
        if reference is None or not any(
                line.startswith((f"第{index}笔", f"{index}.", f"{index}、"))
                and reference.group(0) in line for line in lines):
            return False
    return bool(titles)
