"""Spoken numbers to digits, so that what the recogniser heard reads like what a customer types:
"幺三八零零一三八零零零" -> "13800138000", "两千五百元" -> "2500元", "double five" -> "55",
"one three eight" -> "138", "two thousand five hundred" -> "2500", "A U T O" -> "AUTO".

Chinese numerals are valued by bot.parsing.parse_number_words (the one Chinese-numeral reader).
Words that only look like numbers are left alone: "查一下", "万一", "千万别", "第三者", "this one".
"""
from __future__ import annotations

import re

from bot.parsing import CN_NUMERAL_DIGITS, POLICY_PREFIXES, parse_number_words

# --- Chinese ------------------------------------------------------------------------------------

_CN_DIGIT_CHARS = "零〇一幺二两三四五六七八九"
_CN_UNIT_CHARS = "十百千万亿"
_CN_NUMBER_RE = re.compile(rf"[{_CN_DIGIT_CHARS}{_CN_UNIT_CHARS}\d]+")
# Fixed words made of numeral characters that are not numbers. "一二" ("一两个") is one only
# on its own: inside a run of digits read one by one it is two of them ("后四位是一二三四").
_CN_NOT_NUMBERS = re.compile(
    r"万一|千万(?![元块])|十分(?!钟)|一一|百分之|三三两两|七上八下|乱七八糟|一五一十"
    rf"|(?<![{_CN_DIGIT_CHARS}])一二(?![{_CN_DIGIT_CHARS}])"
)
# Lone numerals count as numbers before these ("四月", "五号", "三岁", "两块"), not elsewhere
# ("一个", "查一下", "一点": times and counts are left to the NLU, which reads them).
_CN_COUNTED_RE = re.compile(r"[月日号號岁歲元块塊]")
# A spoken separator inside a reference number: "AUTO杠二零二六杠零零零一".
_CN_DASH_RE = re.compile(r"(?<=[A-Za-z0-9])\s*(?:横杠|杠|减)\s*(?=[A-Za-z0-9])")


def _chinese_number(match: re.Match[str]) -> str:
    token = match.group()
    if token.isascii():
        return token  # plain digits
    if token[0] in "千百万亿":
        return token  # "千万别", "百忙": a number never starts with these
    if all(ch in _CN_DIGIT_CHARS for ch in token):
        # Digits read one by one ("幺三八", "一九八五"); two or fewer are words ("一个", "五六").
        if len(token) < 3 and "幺" not in token and not _CN_COUNTED_RE.match(
                match.string, match.end()):
            return token
        return "".join(str(CN_NUMERAL_DIGITS[ch]) for ch in token)
    if not any(ch in _CN_UNIT_CHARS for ch in token) or not any(not ch.isascii() for ch in token):
        return token
    value = parse_number_words(token)
    if value is None:
        return token  # "三五千": a range, not one number
    return str(int(value)) if value == value.to_integral_value() else str(value)


def chinese_numbers_to_digits(text: str) -> str:
    # Protect the fixed words by splitting around them, then convert the pieces in between.
    pieces: list[str] = []
    last = 0
    for fixed in _CN_NOT_NUMBERS.finditer(text):
        pieces.append(_CN_NUMBER_RE.sub(_chinese_number, text[last:fixed.start()]))
        pieces.append(fixed.group())
        last = fixed.end()
    pieces.append(_CN_NUMBER_RE.sub(_chinese_number, text[last:]))
    return _CN_DASH_RE.sub("-", "".join(pieces))


# --- English ------------------------------------------------------------------------------------

_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
          "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
         "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_REPEATS = {"double": 2, "triple": 3}
_ZERO_WORDS = {"oh", "o"}
_NUMBER_WORDS = (set(_UNITS) | set(_TEENS) | set(_TENS) | set(_SCALES) | set(_REPEATS)
                 | _ZERO_WORDS | {"hundred", "and", "a"})
_WORD_RE = re.compile(r"[A-Za-z]+|\d+|[^A-Za-z\d]+")
# What may stand between two number words of one spoken number: spaces, a hyphen, a comma.
_JOINER_RE = re.compile(r"\s*(?:[-,]\s*)?")


def _is_digit_word(word: str) -> bool:
    return word in _UNITS or word in _ZERO_WORDS


class _Run:
    """Number words in a row, read as one spoken number: "one three eight" -> "138",
    "two thousand five hundred" -> "2500", "nineteen eighty five" -> "1985"."""

    def __init__(self, words: list[str]) -> None:
        self.words = words

    def digits(self) -> str | None:
        words = self.words
        out: list[str] = []
        i = 0
        while i < len(words):
            word = words[i]
            if word in _REPEATS:
                if i + 1 >= len(words) or not _is_digit_word(words[i + 1]):
                    return None
                digit = "0" if words[i + 1] in _ZERO_WORDS else str(_UNITS[words[i + 1]])
                out.append(digit * _REPEATS[word])
                i += 2
                continue
            if word in _ZERO_WORDS:
                out.append("0")
                i += 1
                continue
            value, i = self._compound(i)
            if value is None:
                return None
            out.append(value)
        return "".join(out)

    def _compound(self, i: int) -> tuple[str | None, int]:
        """One number in ordinary grammar from words[i] on ("three hundred and twenty", "a
        thousand", "twenty six"); a lone digit word is one digit of a longer run."""
        words = self.words
        total = 0
        current = 0
        seen_any = False
        last_kind = None  # "unit", "teen", "tens", "hundred", "scale"
        start = i
        while i < len(words):
            word = words[i]
            if word == "a" and i + 1 < len(words) and words[i + 1] in {"hundred", *_SCALES}:
                current, last_kind, seen_any = 1, "unit", True
            elif word == "and":
                if last_kind not in ("hundred", "scale") or i + 1 >= len(words):
                    break
            elif word in _UNITS:
                if last_kind in ("unit", "teen"):
                    break
                if last_kind is None and i + 1 < len(words) and words[i + 1] not in (
                    "hundred", *_SCALES
                ) and words[i + 1] != "and":
                    # A lone digit word followed by more digits: read digit by digit.
                    return str(_UNITS[word]), i + 1
                current += _UNITS[word]
                last_kind, seen_any = "unit", True
            elif word in _TEENS:
                if last_kind in ("unit", "teen", "tens"):
                    break
                current += _TEENS[word]
                last_kind, seen_any = "teen", True
            elif word in _TENS:
                if last_kind in ("unit", "teen", "tens"):
                    break
                current += _TENS[word]
                last_kind, seen_any = "tens", True
            elif word == "hundred":
                if current >= 100 or last_kind == "hundred":
                    break
                current = (current or 1) * 100
                last_kind, seen_any = "hundred", True
            elif word in _SCALES:
                scale = _SCALES[word]
                if last_kind == "scale" and not current:
                    break
                total += (current or 1) * scale
                current = 0
                last_kind, seen_any = "scale", True
            else:
                break
            i += 1
        if not seen_any:
            return None, start
        if words[i - 1] == "and":
            i -= 1
        return str(total + current), i


def _digit_words_after(words: list[str], index: int) -> int:
    count = 0
    for word in words[index + 1:]:
        if not (_is_digit_word(word) or word in _REPEATS):
            break
        count += 1
    return count


def _convert_run(tokens: list[str]) -> str:
    """`tokens` alternate word, joiner, word...; returns the run's text with numbers as digits."""
    words = [token.lower() for token in tokens[::2]]
    # Leading "a"/"and" and trailing "and"/"a"/"o" are ordinary words around the number.
    lead = 0
    while lead < len(words) and (
        words[lead] == "and"
        or (words[lead] in _ZERO_WORDS and _digit_words_after(words, lead) < 2)
        or (words[lead] == "a" and (lead + 1 >= len(words)
                                    or words[lead + 1] not in ("hundred", *_SCALES)))):
        lead += 1
    tail = len(words)
    while tail > lead and (
        words[tail - 1] in ("and", "a", "double", "triple")
        or (words[tail - 1] in _ZERO_WORDS and (
            tail - 2 < lead or not (_is_digit_word(words[tail - 2])
                                    or words[tail - 2] in _REPEATS)))):
        tail -= 1
    core = words[lead:tail]
    if not core or core == ["one"] or all(word in ("a", "and") for word in core):
        return "".join(tokens)
    digits = _Run(core).digits()
    if digits is None:
        return "".join(tokens)
    before = "".join(tokens[: 2 * lead])
    after = "".join(tokens[2 * tail - 1:]) if tail < len(words) else ""
    return before + digits + after


# "triple 0", "double O": the recogniser wrote the digit, or the letter O, after the word.
_REPEATED_DIGIT_RE = re.compile(r"(?<![A-Za-z])(double|triple)[\s-]+(\d|o|oh)(?![A-Za-z\d])",
                                re.IGNORECASE)


def _repeat_digit(match: re.Match[str]) -> str:
    digit = match.group(2)
    digit = digit if digit.isdigit() else "0"
    return digit * _REPEATS[match.group(1).lower()]


def english_numbers_to_digits(text: str) -> str:
    tokens = _WORD_RE.findall(text)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i].lower() not in _NUMBER_WORDS:
            out.append(tokens[i])
            i += 1
            continue
        run = [tokens[i]]
        j = i + 1
        while (j + 1 < len(tokens) and _JOINER_RE.fullmatch(tokens[j])
               and tokens[j + 1].lower() in _NUMBER_WORDS):
            run += [tokens[j], tokens[j + 1]]
            j += 2
        out.append(_convert_run(run))
        i = j
    return _REPEATED_DIGIT_RE.sub(_repeat_digit, "".join(out))


# --- letters and separators ---------------------------------------------------------------------

# "A U T O", "A-U-T-O", "A.U.T.O.": a code spelled letter by letter.
_SPELLED_RE = re.compile(r"(?<![A-Za-z])(?:[A-Z][\s.\-]{1,2}){2,}[A-Z](?![A-Za-z])\.?")
_EN_DASH_RE = re.compile(r"(?<=[A-Za-z0-9])\s+(?:dash|hyphen)\s+(?=[A-Za-z0-9])", re.IGNORECASE)
# Digits spoken in groups come out as "138 0013 8000" or "1-3-8": keep groups apart as written.
_SPACED_DIGITS_RE = re.compile(r"(?<![\d.,])\d(?:[\s,]\d){2,}(?![\d.])")


_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
             "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
             "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
             "thirtieth": 30}
_ORDINAL_WORD = (r"(?:(?P<tens>twenty|thirty)[\s-]+)?(?P<ord>" + "|".join(_ORDINALS) + r")")
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
# Day ordinals only beside a month ("April twelfth", "the twenty-first of May"): elsewhere
# "first" and "second" are ordinary words.
_DAY_AFTER_MONTH_RE = re.compile(rf"(?<![A-Za-z])(?P<month>{_MONTH})\s+(?:the\s+)?{_ORDINAL_WORD}"
                                 r"(?![A-Za-z])", re.IGNORECASE)
_DAY_BEFORE_MONTH_RE = re.compile(rf"(?<![A-Za-z]){_ORDINAL_WORD}\s+of\s+(?P<month>{_MONTH})"
                                  r"(?![A-Za-z])", re.IGNORECASE)


def _day(match: re.Match[str]) -> str | None:
    tens = {"twenty": 20, "thirty": 30}.get((match.group("tens") or "").lower(), 0)
    day = tens + _ORDINALS[match.group("ord").lower()]
    return str(day) if 1 <= day <= 31 else None


def _day_after_month(match: re.Match[str]) -> str:
    day = _day(match)
    return f"{match.group('month')} {day}" if day else match.group()


def _day_before_month(match: re.Match[str]) -> str:
    day = _day(match)
    return f"{day} {match.group('month')}" if day else match.group()


# "home, 2026, 0001", "Auto 2026. 0001": a policy number read out with pauses in it.
_SPOKEN_POLICY_RE = re.compile(
    rf"(?<![A-Za-z0-9])({'|'.join(POLICY_PREFIXES)})[\s,.:;\-]{{0,3}}(\d{{4}})[\s,.:;\-]{{0,3}}"
    r"(\d{4})(?![\d])", re.IGNORECASE)


def _join_spelled(match: re.Match[str]) -> str:
    return "".join(ch for ch in match.group() if ch.isalpha())


def spoken_to_digits(text: str) -> str:
    """`text` with spoken numbers as digits and spelled codes joined; nothing else changes."""
    if not text:
        return text
    text = chinese_numbers_to_digits(text)
    text = _DAY_AFTER_MONTH_RE.sub(_day_after_month, text)
    text = _DAY_BEFORE_MONTH_RE.sub(_day_before_month, text)
    text = english_numbers_to_digits(text)
    text = _EN_DASH_RE.sub("-", text)
    text = _SPELLED_RE.sub(_join_spelled, text)
    text = _SPACED_DIGITS_RE.sub(lambda m: re.sub(r"[\s,]", "", m.group()), text)
    return _SPOKEN_POLICY_RE.sub(lambda m: "-".join((m.group(1).upper(), *m.group(2, 3))), text)
