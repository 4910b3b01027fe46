"""Pure parsers of what customers type or say: policy/claim numbers, birth dates, phone digits."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.clock import age_on, local_today

POLICY_PREFIXES = ("AUTO", "MED", "HOME", "ACC", "CI", "LIFE")
MAX_AGE_YEARS = 120

# Separators people put inside reference numbers: spaces, dashes of all widths, dots, slashes.
_SEP = r"[\s\-_‐‑‒–—―./]*"
_POLICY_RE = re.compile(
    rf"(?<![A-Za-z0-9])({'|'.join(POLICY_PREFIXES)}){_SEP}(\d{{4}}){_SEP}(\d{{4}})(?!\d)",
    re.IGNORECASE,
)
_CLAIM_RE = re.compile(
    rf"(?<![A-Za-z0-9])CLM{_SEP}(\d{{4}}){_SEP}(\d{{6}})(?!\d)",
    re.IGNORECASE,
)

# Chinese digits as speech recognition and elderly writers produce them ("一九八五", "幺三八").
_CN_DIGITS = {"〇": "0", "零": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3",
              "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_DIGIT_CLASS = "".join(_CN_DIGITS)


def normalise_digits(text: str) -> str:
    """NFKC: full-width digits, letters and punctuation (０-９, ＡＢ, －) become ASCII."""
    return unicodedata.normalize("NFKC", text or "")


def parse_policy_number(text: str) -> str | None:
    """The first policy number in `text`, canonical ('AUTO-2026-0001'), or None.

    Tolerates case, full-width characters, spaces or no separators ("auto 2026 0001",
    "AUTO20260001").
    """
    match = _POLICY_RE.search(normalise_digits(text))
    if not match:
        return None
    prefix, year, serial = match.groups()
    return f"{prefix.upper()}-{year}-{serial}"


def parse_claim_number(text: str) -> str | None:
    """The first claim number in `text`, canonical ('CLM-2026-000123'), or None."""
    match = _CLAIM_RE.search(normalise_digits(text))
    if not match:
        return None
    year, serial = match.groups()
    return f"CLM-{year}-{serial}"


# --- dates of birth -------------------------------------------------------------------------

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH_WORD = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
_YMD_RE = re.compile(
    r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)"
)
_COMPACT_RE = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")
# A two-digit year first ("85/4/12", "85年4月12日"): read only when it cannot be a day (over 31).
_SHORT_YMD_RE = re.compile(
    r"(?<![\d.])(3[2-9]|[4-9]\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?![\d.])"
)
# Day, month and year in digits, year last: "07/01/1990", "1.7.1990", "30/9/99". Day first or
# month first: when both readings are real dates the order is asked, never guessed.
_NUMERIC_YEAR_LAST_RE = re.compile(
    r"(?<!\d)(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?![\d.])"
)
_D_MONTH_Y_RE = re.compile(
    rf"(?<!\d)(\d{{1,2}}){_ORDINAL}\s*(?:of\s+)?{_MONTH_WORD}(?:\s*,\s*|\s+)'?(\d{{4}}|\d{{2}})(?!\d)",
    re.IGNORECASE,
)
_MONTH_D_Y_RE = re.compile(
    rf"(?<![A-Za-z]){_MONTH_WORD}\s*(\d{{1,2}}){_ORDINAL}(?:\s*,\s*|\s+)'?(\d{{4}}|\d{{2}})(?!\d)",
    re.IGNORECASE,
)
# "85年4月12", "04年1月17日": a two-digit year before 年.
_SHORT_CN_YMD_RE = re.compile(r"(?<!\d)(\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})(?!\d)")
# 民国/民國 years (Taiwan): year + 1911. "民國74年4月12日", "民国七十四年四月十二号".
_ROC_RE = re.compile(
    r"民[国國]\s*(\d{1,3}|[一二三四五六七八九十百]{1,5})\s*年\s*"
    r"(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*(\d{1,2}|[一二三四五六七八九十]{1,3})"
)
# 一九八五年四月十二日, and the two-digit year people say: 八五年四月十二号, 四八年九月三十.
_CN_NUMERAL_DATE_RE = re.compile(
    rf"(?<![{_CN_DIGIT_CLASS}])([{_CN_DIGIT_CLASS}]{{4}}|[{_CN_DIGIT_CLASS}]{{2}})\s*年\s*"
    r"([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})(?![一二三四五六七八九十])"
)


def _chinese_small_number(text: str) -> int | None:
    """'十二' -> 12, '二十三' -> 23, '三十一' -> 31, '四' -> 4 (1..39 is all dates need)."""
    tens_text, ten, units_text = text.partition("十")
    if not ten:
        return int(_CN_DIGITS[text]) if len(text) == 1 and text in _CN_DIGITS else None
    if len(tens_text) > 1 or len(units_text) > 1:
        return None
    tens = _CN_DIGITS.get(tens_text, "") if tens_text else "1"
    units = _CN_DIGITS.get(units_text, "") if units_text else "0"
    if not tens or not units:
        return None
    return int(tens) * 10 + int(units)


def _small_number(text: str) -> int | None:
    """Digits or Chinese numerals up to 199 (民国 years, months, days)."""
    if text.isdigit():
        return int(text)
    hundreds, hundred, rest = text.partition("百")
    if hundred:
        if hundreds not in ("", "一"):
            return None
        if not rest:
            return 100
        rest_value = _chinese_small_number(rest.lstrip("零"))
        return None if rest_value is None else 100 + rest_value
    return _chinese_small_number(text)


def _month_number(word: str) -> int:
    word = word.lower().rstrip(".")
    return _MONTHS[word[:4]] if word[:4] == "sept" else _MONTHS[word[:3]]


def _full_year(text: str, today: date) -> int:
    """A two-digit year is the most recent such year not after this one (a date of birth lies
    in the past): '90' -> 1990, '04' -> 2004 in 2026, '30' -> 1930."""
    if len(text) != 2:
        return int(text)
    year = today.year // 100 * 100 + int(text)
    return year if year <= today.year else year - 100


def _readings(text: str, today: date) -> list[tuple[tuple[int, int, int], ...]]:
    """For each date written in `text`, most explicit formats first, its (year, month, day)
    readings: one, or two when the day/month order is open."""
    found: list[tuple[tuple[int, int, int], ...]] = []
    for match in _YMD_RE.finditer(text):
        year, month, day = match.groups()
        found.append(((int(year), int(month), int(day)),))
    for match in _COMPACT_RE.finditer(text):
        year, month, day = match.groups()
        found.append(((int(year), int(month), int(day)),))
    for match in _ROC_RE.finditer(text):
        year, month, day = (_small_number(group) for group in match.groups())
        if year is not None and month is not None and day is not None:
            found.append(((year + 1911, month, day),))
    for match in _CN_NUMERAL_DATE_RE.finditer(text):
        year_text, month_text, day_text = match.groups()
        month, day = _chinese_small_number(month_text), _chinese_small_number(day_text)
        if month is not None and day is not None:
            year = "".join(_CN_DIGITS[ch] for ch in year_text)
            found.append(((_full_year(year, today) if len(year) == 2 else int(year), month, day),))
    for match in _D_MONTH_Y_RE.finditer(text):
        day, month_word, year = match.groups()
        found.append(((_full_year(year, today), _month_number(month_word), int(day)),))
    for match in _MONTH_D_Y_RE.finditer(text):
        month_word, day, year = match.groups()
        found.append(((_full_year(year, today), _month_number(month_word), int(day)),))
    for match in _SHORT_CN_YMD_RE.finditer(text):
        year, month, day = match.groups()
        found.append(((_full_year(year, today), int(month), int(day)),))
    for match in _SHORT_YMD_RE.finditer(text):
        year, month, day = match.groups()
        found.append(((_full_year(year, today), int(month), int(day)),))
    for match in _NUMERIC_YEAR_LAST_RE.finditer(text):
        first, _, second, year_text = match.groups()
        if len(year_text) == 2 and (int(first) > 31 or int(year_text) <= 31):
            continue  # "85/4/12": year first, read above; "3.5.12": which part is the year?
        year = _full_year(year_text, today)
        found.append(((year, int(second), int(first)), (year, int(first), int(second))))
    return found


def _plausible(year: int, month: int, day: int, today: date) -> date | None:
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    return born if born <= today and age_on(born, today) <= MAX_AGE_YEARS else None


@dataclass(frozen=True)
class BirthDateReading:
    """A date of birth read from a message: the date, or the two readings to ask back between
    (07/01/1990: 7 January or 1 July), or neither (nothing readable)."""

    date: date | None = None
    alternatives: tuple[date, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.date is None and len(self.alternatives) == 2


def read_date_of_birth(text: str, today: date | None = None) -> BirthDateReading:
    """The first plausible date of birth in `text`, or the two readings of a day/month order
    in doubt ("07/01/1990", "1/7/90"), or neither.

    Reads 1985-04-12, 1985/4/12, 1985.4.12, 1985年4月12日 (or 号), 一九八五年四月十二日, 19850412,
    85年4月12, 85/4/12, 民國74年4月12日 (民国 years + 1911), 12 April 1985, 1 Jul 90,
    April 12, 1985, Jul 1 90, 30/9/99, 09/30/1999. A two-digit year is the century that puts the
    date in the past. Impossible dates, dates after `today` and ages over 120 years are no
    reading.
    """
    today = today or local_today()
    for readings in _readings(normalise_digits(text), today):
        dates = list(dict.fromkeys(
            born for born in (_plausible(*reading, today) for reading in readings) if born
        ))
        if len(dates) == 1:
            return BirthDateReading(dates[0])
        if len(dates) == 2:
            return BirthDateReading(None, (dates[0], dates[1]))
    return BirthDateReading()


def parse_date_of_birth(text: str, today: date | None = None) -> date | None:
    """A plausible date of birth in `text`, or None (read_date_of_birth() for the formats).

    Where the day/month order is in doubt, the day-first reading ("04/12/1985" is 4 December
    1985): what tells whether a message holds a date of birth at all (redaction). The identity
    check asks back instead (read_date_of_birth)."""
    reading = read_date_of_birth(text, today=today)
    return reading.date or (reading.alternatives[0] if reading.alternatives else None)


# --- phone digits ---------------------------------------------------------------------------

# "后四位", "尾号", "last 4 digits": the "4" in such phrases is not part of the answer.
_LAST_FOUR_PHRASE_RE = re.compile(
    r"(?:后|後|末|最后|最後)\s*[4四]\s*(?:位|個|个)?|last\s*(?:4|four)\s*(?:digits?|numbers?)?",
    re.IGNORECASE,
)
_CN_DIGIT_RUN_RE = re.compile(rf"[{_CN_DIGIT_CLASS}]{{4,}}")
# Digits split by spaces or dashes ("138 0000 0001", "+86-138-...") belong together.
_DIGIT_GAP_RE = re.compile(r"(?<=\d)[\s\-‐‑–—.()]+(?=\d)")
_DIGIT_RUN_RE = re.compile(r"\d+")
# A whole mainland mobile number, with or without the country code (+86 / 0086).
_MOBILE_RE = re.compile(r"(?:0086|86)?(1\d{10})")


# A date typed like a phone number ("1985-04-12", "1985/4/12", "12.04.1985"): never a phone.
_DATE_SHAPED_RE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})$")


def parse_phone(raw: str) -> str | None:
    """A real phone number as typed (one number, spaces and dashes allowed): a Chinese mobile
    1[3-9]xxxxxxxxx (with or without +86/0086), a landline with its area code (0 + 9-11
    digits), or an E.164 number (+ and 8-15 digits). Returns the mobile or landline digits, or
    "+digits" for another country; None for anything else (a date, a policy number, 8 digits
    without an area code)."""
    clean = normalise_digits(raw or "").strip()
    if not clean or _DATE_SHAPED_RE.match(clean) or not re.fullmatch(r"\+?[\d\s\-()]+", clean):
        return None
    digits = re.sub(r"\D", "", clean)
    international = clean.startswith("+") or digits.startswith("00")
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("86") and (international or len(digits) == 13):
        national = digits[2:]
        if re.fullmatch(r"1[3-9]\d{9}", national):
            return national
        if re.fullmatch(r"[1-9]\d{8,10}", national):  # a landline without its trunk 0
            return "0" + national
        return None
    if international:
        return "+" + digits if re.fullmatch(r"[1-9]\d{7,14}", digits) else None
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return digits
    if re.fullmatch(r"0[1-9]\d{8,10}", digits):
        return digits
    return None


def mentions_reference_number(text: str) -> bool:
    """Whether `text` holds a policy or claim number (in any spelling the parsers accept)."""
    return parse_policy_number(text) is not None or parse_claim_number(text) is not None


def without_reference_numbers(text: str) -> str:
    """`text` with every policy and claim number blanked out (their digits are no answer)."""
    text = normalise_digits(text)
    return _CLAIM_RE.sub(" ", _POLICY_RE.sub(" ", text))


def parse_phone_last4(text: str) -> str | None:
    """The last four digits of the customer's phone as given ("0001", "尾号0001", "后四位是0001"),
    or the last four of a whole mainland mobile number ("13800000001", "+86 138 0000 0001");
    None if absent or ambiguous.

    Only a standalone group of exactly four digits or a whole mobile number counts: the tail of
    any other number is no answer, and text that holds a policy or claim number never is one
    (the demo's phones end like their policy numbers).
    """
    text = normalise_digits(text)
    if mentions_reference_number(text):
        return None
    text = _LAST_FOUR_PHRASE_RE.sub(" ", text)
    text = _CN_DIGIT_RUN_RE.sub(lambda m: "".join(_CN_DIGITS[ch] for ch in m.group()), text)
    text = _DIGIT_GAP_RE.sub("", text)
    runs = _DIGIT_RUN_RE.findall(text)
    if len(runs) != 1:
        return None
    run = runs[0]
    if len(run) == 4:
        return run
    mobile = _MOBILE_RE.fullmatch(run)
    return mobile.group(1)[-4:] if mobile else None


# --- numbers in words -----------------------------------------------------------------------

# Everyday and financial (大写) Chinese numerals, as people type and speech recognition writes.
CN_NUMERAL_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
    "七": 7, "八": 8, "九": 9,
    "壹": 1, "贰": 2, "貳": 2, "叁": 3, "參": 3, "肆": 4, "伍": 5, "陆": 6, "陸": 6, "柒": 7,
    "捌": 8, "玖": 9,
}
_CN_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
CN_NUMERAL_CHARS = "".join(CN_NUMERAL_DIGITS) + "".join(_CN_SMALL_UNITS) + "".join(_CN_BIG_UNITS)
_NUMBER_TOKEN_RE = re.compile(rf"\d+(?:\.\d+)?|[{CN_NUMERAL_CHARS}]")
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def parse_number_words(text: str) -> Decimal | None:
    """The value of a number written in digits, Chinese numerals or a mix, or None.

    "3,200" -> 3200, "三千五" -> 3500 (a bare digit after a unit is one unit lower: 三千五 is
    3,500 and 一万二 is 12,000), "三千五百" -> 3500, "1.2万" -> 12000, "3万5000" -> 35000,
    "一千零五" -> 1005, "二十" -> 20, "一九八五" -> 1985 (digits read one by one).
    Anything else in `text` (words, currency, signs) makes it None.
    """
    compact = _THOUSANDS_RE.sub("", "".join(normalise_digits(text).split()))
    tokens = _NUMBER_TOKEN_RE.findall(compact)
    if not tokens or "".join(tokens) != compact:
        return None
    if not any(tok in _CN_SMALL_UNITS or tok in _CN_BIG_UNITS for tok in tokens):
        if len(tokens) == 1 and tokens[0][0].isdigit():
            return Decimal(tokens[0])
        if all(tok in CN_NUMERAL_DIGITS for tok in tokens):
            return Decimal("".join(str(CN_NUMERAL_DIGITS[tok]) for tok in tokens))
        return None

    total = Decimal(0)
    section = Decimal(0)
    pending: Decimal | None = None
    last_unit: int | None = None
    after_zero = False
    for tok in tokens:
        if tok in ("零", "〇"):
            if pending is not None:
                return None
            after_zero = True
        elif tok in CN_NUMERAL_DIGITS or tok[0].isdigit():
            if pending is not None:  # "三五千" (three to five thousand) is a range, not a number
                return None
            pending = Decimal(CN_NUMERAL_DIGITS[tok]) if tok in CN_NUMERAL_DIGITS else Decimal(tok)
        elif tok in _CN_SMALL_UNITS:
            unit = _CN_SMALL_UNITS[tok]
            section += (pending if pending is not None else Decimal(1)) * unit
            pending, last_unit, after_zero = None, unit, False
        else:
            unit = _CN_BIG_UNITS[tok]
            if pending is not None:
                section += pending
            total += (section or Decimal(1)) * unit
            section, pending, last_unit, after_zero = Decimal(0), None, unit, False
    if pending is not None:
        trailing_digit = pending == pending.to_integral_value() and 0 < pending < 10
        if trailing_digit and last_unit is not None and last_unit >= 100 and not after_zero:
            pending *= Decimal(last_unit) / 10
        section += pending
    return total + section
