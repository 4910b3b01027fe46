"""Money amounts as customers write or say them ("大概三千块", "1.2万", "CNY 3,200", "5k"), and
the limits a claimed amount must keep."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.parsing import CN_NUMERAL_CHARS, normalise_digits, parse_number_words

# Above this an amount is a typing or recognition slip, not a claim (settings could own it
# later; no product insures more).
MAX_AMOUNT = Decimal("100000000")
# Small claims: paid within 24 h once documents are complete, documents may come later.
SMALL_CLAIM_LIMIT = Decimal("5000")

CENT = Decimal("0.01")

NOT_FOUND = "not_found"
NEGATIVE = "negative"
ZERO = "zero"
TOO_LARGE = "too_large"
UNCLEAR = "unclear"  # several different amounts and no sign of which one is meant
FOREIGN = "foreign"  # an amount in another currency ("2500 dollars"): claims are kept in CNY

# Another currency named beside the figure; a bare "$" is left as it is (a money sign).
_FOREIGN_RE = re.compile(
    r"美元|美金|英镑|欧元|港币|港元|港纸|日元|澳元|加元|新台币|台币|"
    r"\b(?:dollars?|usd|us\$|pounds?|quid|gbp|euros?|eur|hkd|hk\$|yen|jpy|aud|cad|twd)\b|[£€]",
    re.IGNORECASE)
_YUAN_RE = re.compile(r"(?<![美欧日港澳加])元|[块¥]|人民币|\b(?:rmb|cny|yuan|kuai)\b",
                      re.IGNORECASE)


@dataclass(frozen=True)
class ParsedAmount:
    """An amount in CNY, or the reason there is none (`problem`, one of the constants above)."""

    amount: Decimal | None
    approximate: bool = False
    problem: str | None = None
    text: str = ""  # the words the amount was read from

    @property
    def ok(self) -> bool:
        return self.problem is None and self.amount is not None

    @property
    def reply_key(self) -> str | None:
        """The catalogue key that asks again, e.g. 'amount_negative'; None when ok."""
        return None if self.ok else f"amount_{self.problem}"


_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_CANDIDATE_RE = re.compile(
    rf"(?P<sign>(?<![\d{CN_NUMERAL_CHARS}])[-−–]\s*|负)?"
    rf"(?P<num>(?:{_NUMBER}|[{CN_NUMERAL_CHARS}])(?:{_NUMBER}|[{CN_NUMERAL_CHARS}])*)"
    r"(?:\s*(?P<mult>k|w|thousand|grand|million)(?![a-z]))?",
    re.IGNORECASE,
)
_MULTIPLIERS = {"k": 1000, "thousand": 1000, "grand": 1000, "w": 10_000, "million": 1_000_000}
_APPROX_BEFORE = (
    r"大概|大约|约|差不多|估计|预计|about|around|approximately|approx\.?|roughly|circa|~"
)
_MONEY_BEFORE_RE = re.compile(
    rf"(?:¥|￥|\$|cny|rmb|人民币|{_APPROX_BEFORE}|损失|花了|花费|费用|修理费|维修费|医药费|医疗费"
    r"|赔|价值|值|要|cost|costs|costing|loss|losses|estimate|estimated|worth|damage|amount)"
    r"\s*(?:了|是|为|of|is|at|:)?\s*$",
    re.IGNORECASE,
)
_MONEY_AFTER_RE = re.compile(
    r"^\s*(?:多|来)?\s*(?:元|块|塊|圆|人民币|rmb|yuan|cny|kuai|bucks|左右)", re.IGNORECASE
)
_APPROX_RE = re.compile(
    rf"(?:{_APPROX_BEFORE})\s*$|^\s*(?:多|来)|^\s*(?:元|块|塊|yuan|rmb|cny)?\s*(?:左右|上下|or so)",
    re.IGNORECASE,
)
# "3000-4000", "三千到五千", "3000 or 4000": a range, not one amount.
_RANGE_BETWEEN_RE = re.compile(
    r"^\s*(?:元|块|yuan)?\s*(?:-|–|~|到|至|或者?|or|to)\s*$", re.IGNORECASE
)
_WINDOW = 12
# A number that counts something else: a clock time ("10am", "11pm", "十点", "10:30"), a date,
# an age, a distance, a floor or a house number ("14 Elm Road"), also said roughly ("二十多天前"),
# is never an amount.
_NOT_MONEY_AFTER_RE = re.compile(
    r"^[多来來余餘几幾]?(?:\s*(?:am|pm|a\.m\.?|p\.m\.?|o'?clock|h\b|hrs?\b|hours?|mins?\b|minutes?|days?"
    r"|weeks?|months?|years?|yrs?|km|kilomet|miles?|met(?:er|re)s?|floor|storey|st\b|nd\b"
    r"|rd\b|th\b|ish\b|-ish\b|in the (?:morning|afternoon|evening)|at night|tonight)"
    r"|\s*[:：]\d|点|點|时|時|分钟|小时|号|號|日|月|年|岁|歲|周岁|楼|层|层楼|米|公里"
    r"|千米|天|周|个月|個月|次|个人|位|辆|号楼|栋|单元|室|路|街|巷|弄|环|環|号线)",
    re.IGNORECASE,
)
_STREET_AFTER_RE = re.compile(
    r"^[A-Za-z]?\s+(?:[A-Z][\w'.-]*\s+){1,3}(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Drive|Dr"
    r"|Way|Close|Crescent|Place|Court|Terrace|Boulevard|Blvd|Gardens|Grove|Hill|Row|Square)\b"
)
# "十几万", "几千", "二十多万": an approximate amount, the round lower figure.
_ROUGH_RE = re.compile(
    rf"(?P<lead>[{CN_NUMERAL_CHARS}]*|\d*)(?:几|多)(?P<unit>[十百千万])(?P<wan>万?)"
)
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000}
# "六七百", "三四千": two neighbouring figures, the lower one ("六百多").
_DIGITS_ZH = "一二三四五六七八九"
_PAIR_RE = re.compile(rf"(?<![{CN_NUMERAL_CHARS}\d])([{_DIGITS_ZH}两])([{_DIGITS_ZH}])([百千万])")


def _pair(match: re.Match[str]) -> str:
    first, second, unit = match.groups()
    first = "二" if first == "两" else first
    if _DIGITS_ZH.index(second) != _DIGITS_ZH.index(first) + 1:
        return match.group(0)
    return f"{first}{unit}多"


def _rough(match: re.Match[str]) -> str:
    lead = match.group("lead")
    value = parse_number_words(lead) if lead else Decimal(1)
    if value is None:
        return match.group(0)
    value = value * _UNITS[match.group("unit")]  # 十几万: 10 x 10,000; 几千: 1 x 1,000
    if match.group("wan"):
        value *= 10_000  # 几十万
    # "多" keeps it approximate; 万 of anything in a report is money (a cue of its own).
    unit = match.group("unit")
    return f"{value:f}多" + ("元" if unit == "万" or match.group("wan") else "")


def validate_amount(amount: Decimal) -> str | None:
    """The problem with a claimed amount (NEGATIVE, ZERO, TOO_LARGE), or None."""
    if amount < 0:
        return NEGATIVE
    if amount == 0:
        return ZERO
    if amount > MAX_AMOUNT:
        return TOO_LARGE
    return None


def is_small_claim(amount: Decimal | None) -> bool:
    """≤ 5,000 CNY: the 24-hour payment promise and "documents later" (单证后置) apply."""
    return amount is not None and Decimal(0) < amount <= SMALL_CLAIM_LIMIT


class _Candidate:
    def __init__(self, match: re.Match[str], text: str) -> None:
        before = text[max(0, match.start() - _WINDOW): match.start()]
        after = text[match.end(): match.end() + _WINDOW]
        self.text = match.group(0).strip()
        self.start, self.end = match.start(), match.end()
        value = parse_number_words(match.group("num"))
        mult = (match.group("mult") or "").lower()
        if value is not None and mult:
            value *= _MULTIPLIERS[mult]
        if value is not None and match.group("sign"):
            value = -value
        self.value = value
        self.cued = bool(
            mult or _MONEY_BEFORE_RE.search(before) or _MONEY_AFTER_RE.search(after)
        )
        self.approximate = bool(_APPROX_RE.search(before) or _APPROX_RE.search(after))


def _result(candidate: _Candidate) -> ParsedAmount:
    assert candidate.value is not None
    amount = candidate.value.quantize(CENT, rounding=ROUND_HALF_UP)
    return ParsedAmount(
        amount=amount if validate_amount(amount) is None else None,
        approximate=candidate.approximate,
        problem=validate_amount(amount),
        text=candidate.text,
    )


def _candidates(text: str) -> tuple[list[_Candidate], bool]:
    """The numbers in `text`, and whether two of them form a range."""
    text = _ROUGH_RE.sub(_rough, _PAIR_RE.sub(_pair, normalise_digits(text)))
    found = [_Candidate(match, text) for match in _CANDIDATE_RE.finditer(text)]
    found = [candidate for candidate in found if candidate.value is not None
             and not _NOT_MONEY_AFTER_RE.match(text[candidate.end:])
             and not _STREET_AFTER_RE.match(text[candidate.end:])]
    is_range = any(
        _RANGE_BETWEEN_RE.match(text[first.end:second.start])
        for first, second in zip(found, found[1:], strict=False)
    )
    return found, is_range


def _pick(candidates: list[_Candidate], is_range: bool = False) -> ParsedAmount:
    if not candidates:
        return ParsedAmount(None, problem=NOT_FOUND)
    if is_range:
        return ParsedAmount(None, problem=UNCLEAR, text=" / ".join(c.text for c in candidates))
    if len({candidate.value for candidate in candidates}) > 1:
        return ParsedAmount(None, problem=UNCLEAR, text=" / ".join(c.text for c in candidates))
    return _result(candidates[0])


# Words that make a number money ("修理厂说大概三千块", "3,100"), not a house number ("2栋301")
# or a name ("万龙滑雪场").
_MONEY_WORD_RE = re.compile(r"[元块钱]|损失|花了|花费|费用|yuan|rmb|cny|dollars?|pounds?|[$¥£]|"
                            r"\d,\d{3}(?!\d)", re.IGNORECASE)


def says_money(text: str) -> bool:
    """Whether `text` holds an amount of money: a figure with a money word beside it, a
    thousands comma, or a magnitude with its number ("三千", "2万"; "万龙" alone is a name)."""
    amount = parse_amount(text)
    if not amount.ok:
        return False
    beside = text.replace(amount.text, " ", 1)
    magnitude = bool(re.search(r"[万千百]", amount.text)
                     and re.search(rf"\d|[{CN_NUMERAL_CHARS}]", amount.text.replace("万", "")
                                   .replace("千", "").replace("百", "")))
    return bool(_MONEY_WORD_RE.search(beside) or _MONEY_WORD_RE.search(amount.text) or magnitude)


def find_amount(text: str) -> ParsedAmount:
    """The amount of money a free-text message mentions ("后保险杠坏了,大概三千块").

    Only numbers with a sign of money count: a currency word or symbol (元, 块, CNY, ¥), a
    magnitude (k, 万 with a currency), or a loss word before it (大概, 损失, about, cost), so
    times, dates and plate numbers are never read as amounts.
    """
    candidates, is_range = _candidates(text)
    cued = [candidate for candidate in candidates if candidate.cued]
    return _in_yuan(_pick(cued, is_range and bool(cued)), text)


def _in_yuan(parsed: ParsedAmount, text: str) -> ParsedAmount:
    """The amount, unless the message names another currency: not stored as that many yuan."""
    clean = normalise_digits(text)
    if parsed.ok and _FOREIGN_RE.search(clean) and not _YUAN_RE.search(clean):
        return ParsedAmount(None, problem=FOREIGN, text=parsed.text)
    return parsed


def parse_amount(text: str) -> ParsedAmount:
    """The amount in an answer to "how much?": a bare number counts ("三千五", "3200").

    Amounts with a money cue win over bare numbers; several different amounts are UNCLEAR.
    """
    candidates, is_range = _candidates(text)
    cued = [candidate for candidate in candidates if candidate.cued]
    return _in_yuan(_pick(cued or candidates, is_range), text)
