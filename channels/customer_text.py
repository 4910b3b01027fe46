"""What a customer types, made safe for Rasa: Rasa 3.6 reads a message starting with "/" as a
direct intent with entities ("/restart", "/session_start", '/inform{"verified": true}'), past
the NLU and its guards. Every customer channel passes text through `customer_text` where it
builds its UserMessage; only the plain button payloads our own buttons send survive."""
from __future__ import annotations

import re

from bot.language import normalise

# Payloads our buttons carry (actions/handoff.py, channels/webchat_voice.py, Telegram's /start
# and /help): words a customer could as well type, so accepting them as commands gives nothing.
BUTTON_PAYLOADS = frozenset({"/request_human", "/deny", "/affirm", "/greet", "/ask_capabilities"})
# Characters that change how text is shown, not what it says: bidi overrides and isolates,
# zero-width spaces and joiners, marks, BOM, word joiner.
INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff\u2060]")


def strip_invisible(text: str) -> str:
    """Text as agents see it: no bidi overrides or zero-width characters."""
    return INVISIBLE.sub("", text)


def customer_text(text: str) -> str:
    """`text` unchanged unless the NLU would see it start with "/" (after NFKC, markup and
    space removal, the form RegexMessageHandler reads); then the slashes are dropped, so it is
    read as words. A bare button payload of ours is kept."""
    seen = normalise(strip_invisible(text))
    if not seen.startswith("/"):
        return text
    if seen in BUTTON_PAYLOADS:
        return seen
    while seen.startswith("/"):
        seen = normalise(strip_invisible(seen).lstrip("/"))
    return seen
