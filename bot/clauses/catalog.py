"""The policy wordings: products and their numbered clauses, read from products/*.yml."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Tuple

import yaml

HERE = Path(__file__).resolve().parent
PRODUCTS_DIR = HERE / "products"
SYNONYMS_FILE = HERE / "synonyms.yml"

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(number: int) -> str:
    """1..99 in Chinese as clause numbers are written: 12 -> 十二, 20 -> 二十, 21 -> 二十一."""
    if not 0 < number < 100:
        raise ValueError(f"clause number out of range: {number}")
    tens, units = divmod(number, 10)
    if tens == 0:
        return _DIGITS[units]
    head = "" if tens == 1 else _DIGITS[tens]
    return head + "十" + (_DIGITS[units] if units else "")


def parse_chinese_numeral(text: str) -> int | None:
    """The inverse of chinese_numeral for 1..99; None when `text` is not such a numeral."""
    if not text or any(ch not in _DIGITS + "十" for ch in text):
        return None
    if "十" not in text:
        return _DIGITS.index(text) if len(text) == 1 else None
    head, _, tail = text.partition("十")
    if len(head) > 1 or len(tail) > 1 or "十" in head + tail:
        return None
    tens = _DIGITS.index(head) if head else 1
    units = _DIGITS.index(tail) if tail else 0
    return tens * 10 + units if tens >= 1 else None


@dataclass(frozen=True)
class Clause:
    """One numbered clause of a policy wording, with its plain explanation in both languages."""

    id: str  # "<product key>.<number>", e.g. "home.12"
    product: str  # product key, e.g. "home"
    number: int
    topic: str  # waiting_period, exclusions, deductible, sum_insured, pre_existing, ...
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str
    plain_zh: str
    plain_en: str
    keywords_zh: Tuple[str, ...]
    keywords_en: Tuple[str, ...]

    def reference(self, lang: str | None) -> str:
        """'第十二条' or 'Clause 12'."""
        return f"Clause {self.number}" if lang == "en" else f"第{chinese_numeral(self.number)}条"

    def title(self, lang: str | None) -> str:
        return self.title_en if lang == "en" else self.title_zh

    def text(self, lang: str | None) -> str:
        return self.text_en if lang == "en" else self.text_zh

    def plain(self, lang: str | None) -> str:
        return self.plain_en if lang == "en" else self.plain_zh


@dataclass(frozen=True)
class Product:
    """A policy wording: the product key, the line of business and product codes it serves."""

    key: str
    line_of_business: str
    codes: Tuple[str, ...]
    name_zh: str
    name_en: str
    clauses: Tuple[Clause, ...]

    def name(self, lang: str | None) -> str:
        return self.name_en if lang == "en" else self.name_zh

    def clause(self, number: int) -> Clause | None:
        return next((clause for clause in self.clauses if clause.number == number), None)


def _clause(product: str, spec: dict) -> Clause:
    keywords = spec.get("keywords") or {}
    return Clause(
        id=f"{product}.{spec['number']}",
        product=product,
        number=int(spec["number"]),
        topic=spec["topic"],
        title_zh=spec["title"]["zh"],
        title_en=spec["title"]["en"],
        text_zh=spec["text"]["zh"],
        text_en=spec["text"]["en"],
        plain_zh=spec["plain"]["zh"],
        plain_en=spec["plain"]["en"],
        keywords_zh=tuple(keywords.get("zh") or ()),
        keywords_en=tuple(keywords.get("en") or ()),
    )


@lru_cache(maxsize=1)
def products() -> Dict[str, Product]:
    """Every product wording by key (motor, medical, home, accident, critical_illness, life)."""
    found: Dict[str, Product] = {}
    for path in sorted(PRODUCTS_DIR.glob("*.yml")):
        with path.open(encoding="utf-8") as handle:
            spec = yaml.safe_load(handle)
        key = spec["key"]
        found[key] = Product(
            key=key,
            line_of_business=spec["line"],
            codes=tuple(spec["codes"]),
            name_zh=spec["name"]["zh"],
            name_en=spec["name"]["en"],
            clauses=tuple(
                sorted((_clause(key, c) for c in spec["clauses"]), key=lambda c: c.number)
            ),
        )
    return found


@lru_cache(maxsize=1)
def topic_synonyms() -> Dict[str, Dict[str, Tuple[str, ...]]]:
    """Customer wording per clause topic and language (synonyms.yml)."""
    with SYNONYMS_FILE.open(encoding="utf-8") as handle:
        spec = yaml.safe_load(handle) or {}
    return {
        topic: {lang: tuple(words or ()) for lang, words in by_lang.items()}
        for topic, by_lang in spec.items()
    }


def product_for(product_code_or_line: str | None) -> Product | None:
    """The wording for a product code (MED-HOSP), a line of business (medical) or a product key;
    None when nothing matches."""
    if not product_code_or_line:
        return None
    wanted = product_code_or_line.strip()
    for product in products().values():
        if wanted.upper() in product.codes:
            return product
    lowered = wanted.lower()
    for product in products().values():
        if lowered in (product.key, product.line_of_business):
            return product
    return None


def all_clauses() -> Tuple[Clause, ...]:
    return tuple(clause for product in products().values() for clause in product.clauses)


def clause_by_id(clause_id: str) -> Clause | None:
    return next((clause for clause in all_clauses() if clause.id == clause_id), None)


_CLAUSE_EN = re.compile(r"(?i)\bclause\s*(\d{1,2})\b")
_CLAUSE_ZH = re.compile(r"第\s*([零一二三四五六七八九十]{1,3}|\d{1,2})\s*条")


def clause_number_in(reference: str | None) -> int | None:
    """The clause number in a reference such as '第十二条 / Clause 12', 'Clause 12' or '第12条'."""
    if not reference:
        return None
    match = _CLAUSE_EN.search(reference)
    if match:
        return int(match.group(1))
    match = _CLAUSE_ZH.search(reference)
    if match:
        token = match.group(1)
        return int(token) if token.isdigit() else parse_chinese_numeral(token)
    return None


def clause_by_reference(product_code_or_line: str | None, reference: str | None) -> Clause | None:
    """The clause a denial or a letter cites, e.g. ('HOME-CONTENTS', '第十二条 / Clause 12')."""
    product = product_for(product_code_or_line)
    number = clause_number_in(reference)
    if product is None or number is None:
        return None
    return product.clause(number)
