"""The one place that turns a reply key and its fields, money, dates and times into words in the
customer's language."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, Union

import yaml

from bot.clock import to_local
from bot.language import DEFAULT_LANGUAGE, LANGUAGES
from bot.settings import DEMO_HOTLINE, get_settings

CATALOG = Path(__file__).with_name("catalog") / "replies.yml"


@lru_cache(maxsize=1)
def catalog() -> Dict[str, Dict[str, str]]:
    with CATALOG.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _lang(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def say(key: str, lang: str | None, **fields: object) -> str:
    """The reply `key` in `lang`, with {fields} filled in; the hotline is always available."""
    template = catalog()[key][_lang(lang)]
    if "hotline" not in fields:
        fields["hotline"] = hotline(lang)
    return template.format(**fields)


def hotline(lang: str | None) -> str:
    """The service line as replies name it: the demo's fictional number says it is one."""
    number = get_settings().hotline
    if number == DEMO_HOTLINE:
        return catalog()["hotline_demo"][_lang(lang)].format(number=number)
    return number


def join(items: Iterable[str], lang: str | None) -> str:
    return say("list_separator", lang).join(items)


def money(amount: Union[Decimal, float, int, None], lang: str | None) -> str:
    if amount is None:
        return "-"
    value = Decimal(str(amount))
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} 元" if _lang(lang) == "zh" else f"CNY {text}"


def date_text(value: Union[dt.date, dt.datetime, None], lang: str | None) -> str:
    if value is None:
        return "-"
    if _lang(lang) == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {value:%b} {value.year}"



def when_text(moment: dt.datetime, lang: str | None) -> str:
    """Local date and time in the customer's words, e.g. '2026年11月26日 16:00' (`moment` naive
    UTC, as the store keeps it)."""
    local = to_local(moment)
    return f"{date_text(local, lang)} {local:%H:%M}"
