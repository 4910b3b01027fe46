"""Document checklists (checklists.yml) and the one-time notice (一次性告知) of what is missing."""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Protocol, Sequence

import yaml

from bot.claims.amounts import SMALL_CLAIM_LIMIT
from bot.claims.model import OUTSTANDING_DOCUMENT_STATUSES
from bot.replies import money, say

CHECKLISTS = Path(__file__).with_name("checklists.yml")
COMMON_BLOCK = "common"

# Other spellings of incident types that callers and customers use, per line ("*": any line).
_ALIASES: dict[str, dict[str, str]] = {
    "*": {
        "water": "water_damage", "leak": "water_damage",
        "hospital": "hospitalisation", "hospitalization": "hospitalisation",
        "hospitalisation": "hospitalisation", "death": "death", "fire": "fire",
        "theft": "theft", "glass": "glass", "collision": "collision",
    },
    "motor": {"accident": "collision", "water": "flood", "flooded": "flood"},
    "accident": {"accident": "injury"},
    "critical_illness": {"critical_illness": "diagnosis", "illness": "diagnosis"},
    "life": {"life": "death"},
}


@dataclass(frozen=True)
class Item:
    """One document of a checklist."""

    code: str
    name_zh: str
    name_en: str
    hint_zh: str
    hint_en: str
    mandatory: bool = True
    fetched_by_insurer: bool = False

    def name(self, lang: str | None) -> str:
        return self.name_en if lang == "en" else self.name_zh

    def hint(self, lang: str | None) -> str:
        return self.hint_en if lang == "en" else self.hint_zh

    @property
    def customer_must_send(self) -> bool:
        """Mandatory and not fetched by us: the file is not complete until the customer sends it."""
        return self.mandatory and not self.fetched_by_insurer


class UnknownChecklist(KeyError):
    """No checklist for this line of business and incident type."""

    def __init__(self, line: str, incident_type: str | None) -> None:
        super().__init__(f"no checklist for {line!r} / {incident_type!r}")
        self.line = line
        self.incident_type = incident_type


class DocumentRow(Protocol):
    """What missing_items() reads from a claim's checklist row (ClaimDocument fits)."""

    code: str
    status: str
    mandatory: bool
    fetched_by_insurer: bool
    label_zh: str
    label_en: str


def _entry(raw: Any) -> tuple[str, bool]:
    if isinstance(raw, str):
        return raw, True
    return raw["code"], not raw.get("optional", False)


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    with CHECKLISTS.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Item]:
    """Every document the checklists know, by code (mandatory=True as read; a checklist says)."""
    return {
        code: Item(
            code=code,
            name_zh=spec["zh"],
            name_en=spec["en"],
            hint_zh=spec["hint_zh"],
            hint_en=spec["hint_en"],
            fetched_by_insurer=bool(spec.get("fetched_by_insurer", False)),
        )
        for code, spec in _data()["items"].items()
    }


def lines_of_business() -> tuple[str, ...]:
    return tuple(_data()["checklists"])


def incident_types(line: str) -> tuple[str, ...]:
    """The incident types a line of business has checklists for (what the line covers)."""
    return tuple(_data()["checklists"].get(line, {}))


def normalise_incident_type(line: str | None, incident_type: str | None) -> str | None:
    """The checklist's name for `incident_type` on `line` ("water" -> "water_damage"), or None
    when the line has no such incident type."""
    if not incident_type:
        return None
    key = incident_type.strip().lower()
    if line is None:
        return _ALIASES["*"].get(key, key)
    key = _ALIASES.get(line, {}).get(key) or _ALIASES["*"].get(key, key)
    return key if key in incident_types(line) else None


@lru_cache(maxsize=64)
def _checklist(line: str, incident_type: str) -> tuple[Item, ...]:
    spec = _data()["checklists"][line][incident_type]
    blocks = _data()["blocks"]
    entries: dict[str, bool] = {}
    for block in (COMMON_BLOCK, *spec.get("include", ())):
        for raw in blocks[block]:
            code, mandatory = _entry(raw)
            entries[code] = mandatory
    for raw in spec.get("items", ()):
        code, mandatory = _entry(raw)
        entries.pop(code, None)  # re-added at its new place with its new flag
        entries[code] = mandatory
    items = catalogue()
    return tuple(replace(items[code], mandatory=mandatory) for code, mandatory in entries.items())


def checklist(line: str, incident_type: str) -> list[Item]:
    """The documents a claim of `incident_type` on a `line` policy needs, in asking order.

    Raises UnknownChecklist when the line has no such incident type.
    """
    normalised = normalise_incident_type(line, incident_type)
    if line not in lines_of_business() or normalised is None:
        raise UnknownChecklist(line, incident_type)
    return list(_checklist(line, normalised))


def all_checklists() -> dict[tuple[str, str], list[Item]]:
    """Every checklist, keyed by (line, incident type)."""
    return {
        (line, incident_type): checklist(line, incident_type)
        for line in lines_of_business()
        for incident_type in incident_types(line)
    }


def item_for_row(row: DocumentRow) -> Item:
    """The checklist item a claim's document row stands for; hints come from the catalogue."""
    known = catalogue().get(row.code)
    return Item(
        code=row.code,
        name_zh=row.label_zh,
        name_en=row.label_en,
        hint_zh=known.hint_zh if known else "",
        hint_en=known.hint_en if known else "",
        mandatory=bool(row.mandatory),
        fetched_by_insurer=bool(row.fetched_by_insurer),
    )


def missing_items(claim_docs: Iterable[DocumentRow]) -> list[Item]:
    """Every item of a claim's checklist still outstanding (missing, or rejected and to be sent
    again): mandatory, optional and those we fetch."""
    return [item_for_row(row) for row in claim_docs
            if row.status in OUTSTANDING_DOCUMENT_STATUSES]


def outstanding(items: Sequence[Item], received: Iterable[str]) -> list[Item]:
    """The items of `items` whose code is not among `received` (pure helper for callers/tests)."""
    done = set(received)
    return [item for item in items if item.code not in done]


def is_complete(items: Iterable[Item]) -> bool:
    """Whether nothing the customer must send is among these missing items."""
    return not any(item.customer_must_send for item in items)


def notice_sections(items_missing: Iterable[Item]) -> tuple[list[Item], list[Item], list[Item]]:
    """(needed from the customer, optional, fetched by us), each in checklist order."""
    items = list(items_missing)
    fetched = [item for item in items if item.fetched_by_insurer]
    needed = [item for item in items if item.mandatory and not item.fetched_by_insurer]
    optional = [item for item in items if not item.mandatory and not item.fetched_by_insurer]
    return needed, optional, fetched


BULLET = "· "


def item_line(item: Item, lang: str | None, *, with_hint: bool = True) -> str:
    """One line of a notice: "· name: hint" (the name never contains a colon)."""
    hint = item.hint(lang) if with_hint else ""
    if not hint:
        return f"{BULLET}{item.name(lang)}"
    return f"{BULLET}{item.name(lang)}:{hint}" if lang != "en" else (
        f"{BULLET}{item.name(lang)}: {hint}"
    )


def one_time_notice(
    items_missing: Iterable[Item],
    lang: str | None,
    *,
    small_claim: bool = False,
    follow_up: bool = False,
) -> str:
    """All missing items in one message (law Art. 22): what we need from the customer first,
    then the optional ones marked as optional, then those we get ourselves; and what happens
    next. `small_claim` (≤ 5,000 CNY) adds "pay first, documents later" (单证后置).
    `follow_up` is the shorter form for later reminders: names only, under a heading saying
    they all come from the first list (a later notice never names anything new)."""
    lang = lang or "zh"
    needed, optional, fetched = notice_sections(items_missing)
    with_hint = not follow_up
    if not needed and not optional:
        lines = [say("notice_complete", lang)]
        if fetched:
            lines.append(say("notice_fetched_heading", lang))
            lines.extend(item_line(item, lang, with_hint=False) for item in fetched)
        return "\n".join(lines)
    lines = [say("notice_intro_remaining" if follow_up else "notice_intro", lang)]
    if needed:
        lines.append(say("notice_needed_heading", lang))
        lines.extend(item_line(item, lang, with_hint=with_hint) for item in needed)
    if optional:
        lines.append(say("notice_optional_heading", lang))
        lines.extend(item_line(item, lang, with_hint=with_hint) for item in optional)
    if fetched:
        lines.append(say("notice_fetched_heading", lang))
        lines.extend(item_line(item, lang, with_hint=False) for item in fetched)
    if needed:
        lines.append(say("notice_next", lang))
        if small_claim:
            lines.append(say("notice_small_claim", lang, limit=money(SMALL_CLAIM_LIMIT, lang)))
    else:
        lines.append(say("notice_next_optional_only", lang))
    return "\n".join(lines)
