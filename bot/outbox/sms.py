"""SMS segments: how many a text takes and how to cut a long one into numbered parts.

A text of GSM 03.38 characters (GSM-7) fits 160 to a single SMS, 153 to each segment of a
concatenated one (the header takes the rest); a character of the extension table (€ [ ] { } ~
^ \\ |) takes two. Anything else (Chinese) goes as UCS-2: 70 characters to a single SMS, 67 to
each concatenated segment, a character outside the Basic Multilingual Plane taking two.
"""
from __future__ import annotations

import math
from typing import List

GSM7, UCS2 = "GSM-7", "UCS-2"
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
SINGLE = {GSM7: 160, UCS2: 70}
CONCATENATED = {GSM7: 153, UCS2: 67}
# One part of a long text: one concatenated SMS of at most this many segments.
SEGMENTS_PER_PART = 3


def encoding(text: str) -> str:
    """GSM-7 when every character is in the GSM alphabet (or its extension), else UCS-2."""
    return GSM7 if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text) else UCS2


def _units(char: str, enc: str) -> int:
    if enc == GSM7:
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def length(text: str, enc: str | None = None) -> int:
    """The text's length in the encoding's units (septets or UTF-16 code units)."""
    enc = enc or encoding(text)
    return sum(_units(c, enc) for c in text)


def segments(text: str) -> int:
    """How many SMS segments the text takes (0 for an empty text). A concatenated message's
    segments are filled greedily, never splitting an escape pair or a surrogate pair."""
    if not text:
        return 0
    enc = encoding(text)
    if length(text, enc) <= SINGLE[enc]:
        return 1
    limit, count, used = CONCATENATED[enc], 1, 0
    for char in text:
        size = _units(char, enc)
        if used + size > limit:
            count, used = count + 1, 0
        used += size
    return count


def fits(text: str, max_segments: int) -> bool:
    return segments(text) <= max_segments


def _label(index: int, total: int) -> str:
    return f"({index}/{total}) "


def split_parts(text: str, max_segments: int = SEGMENTS_PER_PART) -> List[str]:
    """The text in parts of at most `max_segments` segments each, cut between lines where
    possible (else between characters), numbered "(1/3) " when there is more than one part. A
    text that fits is returned whole. The numbering counts against each part's room."""
    text = text.strip()
    if not text:
        return []
    if fits(text, max_segments):
        return [text]
    total = 2
    while True:
        parts = _pack(text, max_segments, label_room=len(_label(total, total)))
        if len(parts) <= total:
            return [_label(i, len(parts)) + part for i, part in enumerate(parts, 1)]
        total = len(parts)


def _pack(text: str, max_segments: int, label_room: int) -> List[str]:
    """Greedy packing of lines (long lines cut by characters) into parts that, with a label of
    `label_room` characters, fit `max_segments` segments."""
    pad = "0" * label_room

    def ok(candidate: str) -> bool:
        return fits(pad + candidate, max_segments)

    pieces: List[str] = []
    for line in text.splitlines():
        while line and not ok(line):  # a line too long for one part: cut by characters
            cut = _longest_prefix(line, ok)
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    parts: List[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n{piece}" if current else piece
        if current and not ok(candidate):
            parts.append(current.strip())
            current = piece
        else:
            current = candidate
    if current.strip():
        parts.append(current.strip())
    return [part for part in parts if part]


def _longest_prefix(line: str, ok) -> int:  # noqa: ANN001 - a predicate on text
    low, high = 1, len(line)
    while low < high:
        middle = math.ceil((low + high) / 2)
        if ok(line[:middle]):
            low = middle
        else:
            high = middle - 1
    return max(low, 1)
