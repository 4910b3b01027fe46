"""The KPI registry (definitions.yml beside this module) and its rendering into docs/kpis.md."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List

import yaml

DEFINITIONS_FILE = Path(__file__).with_name("definitions.yml")
DOCS_FILE = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    group: str
    title_zh: str
    title_en: str
    unit: str
    target: float | None
    direction: str
    source: str
    counted_when: str
    numerator: str
    denominator: str
    excluded: str
    per_stage: bool = False


@lru_cache(maxsize=1)
def definitions() -> Dict[str, KpiDefinition]:
    """Every KPI definition by key, in the file's order."""
    with DEFINITIONS_FILE.open(encoding="utf-8") as handle:
        items = yaml.safe_load(handle)
    return {item["key"]: KpiDefinition(**item) for item in items}


def definition(key: str) -> KpiDefinition:
    """The definition of `key`; a per-stage key ("stage_hours_avg.assessment") gives its base."""
    return definitions()[key.split(".", 1)[0]]


_TARGET_SIGN = {"at_least": "≥", "at_most": "≤"}


def _target_text(item: KpiDefinition) -> str:
    if item.target is None:
        return "reported, no target"
    value = f"{item.target:.0%}" if item.unit == "share" else f"{item.target:g} {item.unit}"
    return f"{_TARGET_SIGN[item.direction]} {value}"


def render_markdown() -> str:
    """docs/kpis.md: one section per KPI, from definitions.yml (never edited by hand)."""
    lines: List[str] = [
        "# Service KPIs: definitions",
        "",
        "<!-- Rendered from bot/kpis/definitions.yml by `python -m bot report definitions "
        "--write`; do not edit by hand (tests/bot/test_kpis.py checks it). -->",
        "",
        "Periods are local days FROM to TO, both included (the settings' timezone; internally "
        "[FROM 00:00, TO+1 00:00) local time). \"As of\" is the period's end, or the report's "
        "`--now` when earlier: the period is then cut at `--now` (nothing later has happened "
        "yet), and a clock still running then is neither met nor missed and is left out. "
        "Open claims by light are counted at the period's end, as the dashboard counts the "
        "period's last day. A KPI with nothing to count shows \"no data\" "
        "(无数据), never 0%. Percentiles are nearest-rank. Per line of business: through the "
        "claim's policy; per channel: the claim's channel (a complaint's or a handoff's own).",
        "",
        "| key | KPI | target | source |",
        "|---|---|---|---|",
    ]
    for item in definitions().values():
        lines.append(f"| `{item.key}` | {item.title_en} / {item.title_zh} | "
                     f"{_target_text(item)} | {item.source} |")
    lines.append("")
    for item in definitions().values():
        lines += [
            f"## `{item.key}` — {item.title_en} ({item.title_zh})",
            "",
            f"- **Unit:** {item.unit}" + (" (one figure per stage)" if item.per_stage else ""),
            f"- **Target:** {_target_text(item)}",
            f"- **Source:** {item.source}",
            f"- **In the period when:** {item.counted_when}",
            f"- **Numerator:** {item.numerator}",
            f"- **Denominator:** {item.denominator}",
            f"- **Excluded:** {item.excluded}",
            "",
        ]
    return "\n".join(lines)
