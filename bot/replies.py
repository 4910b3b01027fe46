"""The one place that turns a reply key and its fields, money, dates and times into words in the
customer's language."""
from __future__ import annotations

import datetime as dt
import re
import string
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Union

import yaml

from bot.clock import to_local
from bot.language import DEFAULT_LANGUAGE, LANGUAGES, in_script
from bot.settings import DEMO_HOTLINE, get_settings

CATALOG = Path(__file__).with_name("catalog") / "replies.yml"


@lru_cache(maxsize=1)
def catalog() -> Dict[str, Dict[str, str]]:
    with CATALOG.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def template_pattern(template: str) -> re.Pattern[str]:
    """A catalog reply's template as a pattern that matches the reply whatever its fields, each
    field's value in the named group of its name (how a reply is found again from its text)."""
    out, seen = [], set()
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(re.escape(literal))
        if name:
            out.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
    return re.compile("".join(out), re.DOTALL)


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
    """A day in the customer's words; a datetime is first put in the customer's time zone (naive
    ones are UTC, as the store keeps them), so no UTC day reaches a customer."""
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        value = to_local(value)
    if _lang(lang) == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {value:%b} {value.year}"



def when_text(moment: dt.datetime, lang: str | None, *, named: bool | None = None) -> str:
    """Local date and time in the customer's words, e.g. '2026年11月26日 16:00' (`moment` naive
    UTC, as the store keeps it), the time zone named where the customer may be abroad
    (`named=False` for a reply whose own words name the zone, "{when}（{zone}）": never twice)."""
    local = to_local(moment)
    text = f"{date_text(local, lang)} {local:%H:%M}"
    if named is None:
        named = names_zone(lang)
    return with_zone(text, lang) if named else text


def with_zone(text: str, lang: str | None) -> str:
    """"10:00（北京时间）" / "10:00 Beijing time"."""
    if _lang(lang) == "zh":
        return f"{text}（{zone_name(lang)}）"
    return f"{text} {zone_name(lang)}"


# Whether this conversation's customer may be abroad (slot `abroad`), set for the action being
# run (actions/server.py); English-speaking customers may always be.
_ABROAD: ContextVar[bool] = ContextVar("customer_abroad", default=False)


@contextmanager
def customer_abroad(abroad: bool) -> Iterator[None]:
    token = _ABROAD.set(bool(abroad))
    try:
        yield
    finally:
        _ABROAD.reset(token)


def set_customer_abroad(abroad: bool) -> None:
    """For the action server, once per action call (each call sets it anew)."""
    _ABROAD.set(bool(abroad))


def names_zone(lang: str | None) -> bool:
    """Times name their zone for a customer who may be abroad: one writing English, or one who
    said so."""
    return _lang(lang) == "en" or _ABROAD.get()


def zone_name(lang: str | None) -> str:
    """The customers' time zone in words: "北京时间" / "Beijing time" for China's, else its name."""
    zone = get_settings().timezone
    if zone in ("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"):
        return say("zone.beijing", lang)
    return zone


def clock_text(local: dt.datetime | dt.time, lang: str | None, *, named: bool | None = None) -> str:
    """"08:00", with the zone where it must be named (`named`; by default for a customer who may
    be abroad)."""
    text = f"{local:%H:%M}"
    if named or (named is None and names_zone(lang)):
        return with_zone(text, lang)
    return text


def script_after(slots: Mapping[str, Any], events: Iterable[Mapping[str, Any]] = ()) -> str | None:
    """The conversation's script (slot `script`) as it stands after `events` (an action's own
    SlotSet events included)."""
    script = slots.get("script")
    for event in events:
        if event.get("event") == "slot" and event.get("name") == "script":
            script = event.get("value")
    return script if isinstance(script, str) else None


def in_customer_script(messages: List[Dict[str, Any]], script: str | None) -> List[Dict[str, Any]]:
    """The bot's messages of a turn, their texts and button titles in the customer's script
    (bot.language.in_script: traditional, Taiwan or Hong Kong characters; unchanged otherwise).
    Payloads are never touched."""
    if not script:
        return messages
    converted = []
    for message in messages:
        message = dict(message)
        if isinstance(message.get("text"), str):
            message["text"] = in_script(message["text"], script)
        if isinstance(message.get("buttons"), list):
            message["buttons"] = [
                {**button, "title": in_script(button["title"], script)}
                if isinstance(button, dict) and isinstance(button.get("title"), str) else button
                for button in message["buttons"]
            ]
        converted.append(message)
    return converted
