"""The KPI report in every form a person reads it: a terminal table, CSV, JSON, an HTML page, and
the monthly report (this month against the one before, with inline SVG charts) printed to PDF
by the system's headless Chromium."""
from __future__ import annotations

import csv
import html
import io
import os
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import format_local, to_local
from bot.kpis import AT_MOST, KpiResult, Period, compute
from bot.kpis.compute import TIMED_STAGES, channels_in
from bot.kpis.definitions import definition
from bot.store.models import LINES_OF_BUSINESS

NO_DATA = "无数据 / no data"
CHROMIUM_ENV = "CLAIMS_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# The figures a manager looks at first, per line and per channel.
HEADLINE = ("small_claims_paid_24h", "large_claims_paid_7wd", "closure_rate",
            "documents_rerequested_share", "notice_delivery_rate", "satisfaction_mean",
            "complaint_first_contact_resolution", "complaint_repeat_rate")
# Counts of open claims by light are a snapshot as of the report, not activity in the period.
SNAPSHOT_KEYS = ("lights_green", "lights_yellow", "lights_red")


class PdfToolMissing(RuntimeError):
    """No Chromium to print the PDF with."""


# --- figures as text ---------------------------------------------------------------------------

def value_text(value: float | None, unit: str) -> str:
    if value is None:
        return NO_DATA
    if unit == "share":
        return f"{value:.1%}"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "hours":
        return f"{value:,.1f} h"
    if unit == "minutes":
        return f"{value:,.1f} min"
    return f"{value:.2f}"


def target_text(item: KpiResult) -> str:
    if item.target is None:
        return "—"
    sign = "≤" if item.direction == AT_MOST else "≥"
    if item.unit == "share":
        return f"{sign} {item.target:.0%}"
    return f"{sign} {value_text(item.target, item.unit)}"


def met_text(item: KpiResult) -> str:
    return {True: "达标 met", False: "未达标 missed", None: "—"}[item.met]


def basis_text(item: KpiResult) -> str:
    if item.note:
        return item.note
    if item.unit == "count" or item.denominator is None:
        return ""
    if item.numerator is None:
        return f"n={item.denominator:,.0f}"
    return f"{item.numerator:,.0f}/{item.denominator:,.0f}"


def title_text(item: KpiResult) -> str:
    return f"{item.title_zh} {item.title_en}" + _stage_suffix(item)


def _stage_suffix(item: KpiResult) -> str:
    return f" [{item.key.split('.', 1)[1]}]" if "." in item.key else ""


def is_empty(results: Iterable[KpiResult]) -> bool:
    """True when the period holds nothing any KPI counts (open-claim lights aside)."""
    return all((item.value in (None, 0) if item.unit == "count" else item.value is None)
               for item in results if item.key not in SNAPSHOT_KEYS)


def rows(results: Sequence[KpiResult]) -> list[list[str]]:
    return [[item.key, title_text(item), value_text(item.value, item.unit), target_text(item),
             met_text(item), basis_text(item)] for item in results]


HEADERS = ["key", "KPI", "value", "target", "met", "basis"]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(headers: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """Columns padded for a terminal, Chinese characters two columns wide. (bot.cli has the
    same for its commands; importing it from here would make bot.cli and this a cycle.)"""
    widths = [max([_width(h)] + [_width(row[i]) for row in body]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = (c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in body])


def to_csv(results: Sequence[KpiResult]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["key", "title_zh", "title_en", "value", "unit", "target", "direction", "met",
                     "numerator", "denominator", "line", "channel", "source", "note"])
    for item in results:
        writer.writerow([item.key, item.title_zh, item.title_en,
                         "" if item.value is None else f"{item.value:.6g}", item.unit,
                         "" if item.target is None else f"{item.target:g}", item.direction,
                         "" if item.met is None else str(item.met).lower(),
                         "" if item.numerator is None else f"{item.numerator:g}",
                         "" if item.denominator is None else f"{item.denominator:g}",
                         item.line or "", item.channel or "", item.source, item.note or ""])
    return out.getvalue()


def to_json(results: Sequence[KpiResult], period: Period, line: str | None,
            channel: str | None) -> dict[str, Any]:
    return {"from": to_local(period.start).isoformat(), "to": to_local(period.end).isoformat(),
            "line": line, "channel": channel, "empty": is_empty(results),
            "kpis": [item.as_dict() for item in results]}


def period_text(period: Period) -> str:
    """The local days the period covers, both included."""
    last = period.end - timedelta(microseconds=1)
    return f"{format_local(period.start, with_time=False)} – {format_local(last, with_time=False)}"


# --- HTML and SVG ------------------------------------------------------------------------------

_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",sans-serif;margin:24px;
color:#1f2933;font-size:13px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px;break-after:avoid}
table{border-collapse:collapse;width:100%;margin:4px 0 12px}
th,td{border-bottom:1px solid #d9e2ec;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f0f4f8}td.num{text-align:right;white-space:nowrap}
.met{color:#1b7f3b}.missed{color:#c62828;font-weight:600}.nodata{color:#7b8794}
.better{color:#1b7f3b}.worse{color:#c62828}.muted{color:#7b8794;font-size:11px}
figure{margin:8px 0 16px;break-inside:avoid}figcaption{font-weight:600;margin-bottom:4px}
section{break-inside:avoid-page}
@page{size:A4;margin:12mm}
@media print{body{margin:0;font-size:10px}section{break-inside:auto}
table{table-layout:fixed;font-size:9px}
th,td{padding:2px 3px;overflow-wrap:anywhere}td.num{white-space:normal}}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _cell_class(item: KpiResult) -> str:
    if item.value is None:
        return "nodata"
    return {True: "met", False: "missed", None: ""}[item.met]


def kpi_table_html(results: Sequence[KpiResult]) -> str:
    body = "".join(
        f"<tr><td>{_e(title_text(item))}<div class='muted'>{_e(item.key)}</div></td>"
        f"<td class='num {_cell_class(item)}'>{_e(value_text(item.value, item.unit))}</td>"
        f"<td class='num'>{_e(target_text(item))}</td><td class='{_cell_class(item)}'>"
        f"{_e(met_text(item))}</td><td class='num muted'>{_e(basis_text(item))}</td>"
        f"<td class='muted'>{_e(item.source)}</td></tr>"
        for item in results)
    return ("<table><thead><tr><th>KPI</th><th>value</th><th>target</th><th>met</th>"
            f"<th>basis</th><th>source</th></tr></thead><tbody>{body}</tbody></table>")


def html_page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{_e(title)}"
            f"</title><style>{_CSS}</style></head><body>{body}</body></html>")


def kpis_html(results: Sequence[KpiResult], period: Period, line: str | None,
              channel: str | None) -> str:
    scope = " · ".join(filter(None, [line and f"line {line}", channel and f"channel {channel}"]))
    body = (f"<h1>服务指标 Service KPIs</h1><p>{_e(period_text(period))}"
            f"{' · ' + _e(scope) if scope else ''}</p>{kpi_table_html(results)}")
    return html_page("Service KPIs", body)


def bar_chart_svg(title: str, labels: Sequence[str], series: Sequence[tuple[str, str,
                  Sequence[float | None]]], unit: str, targets: Sequence[float | None] = (),
                  width: int = 760) -> str:
    """Horizontal grouped bars: one group per label, one bar per series (name, colour, values);
    a dashed tick per group at its target. No value: the bar is left out and "no data" said."""
    values = [v for _, _, vs in series for v in vs if v is not None]
    values += [t for t in targets if t is not None]
    top = max(values, default=0) or 1.0
    if unit == "share":
        top = max(top, 1.0)
    label_w, bar_h, gap = 250, 12, 10
    group_h = bar_h * len(series) + gap
    plot_w = width - label_w - 80
    height = 30 + group_h * len(labels) + 24
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}' role='img' aria-label='{_e(title)}'>"]
    for index, (name, colour, _) in enumerate(series):  # legend
        x = label_w + index * 150
        parts.append(f"<rect x='{x}' y='4' width='12' height='12' fill='{colour}'/>"
                     f"<text x='{x + 16}' y='14' font-size='11'>{_e(name)}</text>")
    if any(t is not None for t in targets):
        x = label_w + len(series) * 150
        parts.append(f"<line x1='{x}' y1='4' x2='{x}' y2='16' stroke='#c62828' "
                     f"stroke-dasharray='3,2' stroke-width='2'/>"
                     f"<text x='{x + 6}' y='14' font-size='11'>目标 target</text>")
    for row, label in enumerate(labels):
        y0 = 26 + row * group_h
        parts.append(f"<text x='{label_w - 6}' y='{y0 + group_h / 2}' font-size='11' "
                     f"text-anchor='end'>{_e(label)}</text>")
        for index, (_, colour, vs) in enumerate(series):
            y = y0 + index * bar_h
            value = vs[row]
            if value is None:
                parts.append(f"<text x='{label_w + 4}' y='{y + bar_h - 2}' font-size='10' "
                             f"fill='#7b8794'>{_e(NO_DATA)}</text>")
                continue
            w = max(1.0, plot_w * value / top)
            parts.append(f"<rect x='{label_w}' y='{y}' width='{w:.1f}' height='{bar_h - 2}' "
                         f"fill='{colour}'><title>{_e(value_text(value, unit))}</title></rect>"
                         f"<text x='{label_w + w + 4:.1f}' y='{y + bar_h - 3}' font-size='10'>"
                         f"{_e(value_text(value, unit))}</text>")
        target = targets[row] if row < len(targets) else None
        if target is not None:
            x = label_w + plot_w * target / top
            parts.append(f"<line x1='{x:.1f}' y1='{y0 - 2}' x2='{x:.1f}' "
                         f"y2='{y0 + bar_h * len(series)}' stroke='#c62828' "
                         f"stroke-dasharray='3,2' stroke-width='2'/>")
    parts.append(f"<line x1='{label_w}' y1='22' x2='{label_w}' y2='{height - 20}' "
                 "stroke='#9aa5b1'/></svg>")
    return f"<figure><figcaption>{_e(title)}</figcaption>{''.join(parts)}</figure>"


# --- the monthly report ------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthlyReport:
    month: str                      # YYYY-MM
    period: Period
    previous_period: Period
    current: list[KpiResult]
    previous: list[KpiResult]
    per_line: dict[str, list[KpiResult]]
    per_channel: dict[str, list[KpiResult]]
    line: str | None
    generated_at: datetime

    @property
    def empty(self) -> bool:
        return is_empty(self.current)


def monthly_report(year: int, month: int, *, line: str | None = None, url: str | None = None,
                   now: datetime | None = None) -> MonthlyReport:
    """This month's KPIs, last month's beside them, and the headline figures per line of
    business and per channel."""
    from bot.clock import as_utc_naive

    generated = as_utc_naive(now)
    period = Period.of_month(year, month)
    previous = Period.of_month(year - 1, 12) if month == 1 else Period.of_month(year, month - 1)
    current = compute(period, line=line, url=url, now=now)
    before = compute(previous, line=line, url=url, now=now)
    lines = [line] if line else list(LINES_OF_BUSINESS)
    per_line = {name: _headline(compute(period, line=name, url=url, now=now,
                                        lights_snapshot=False)) for name in lines}
    per_channel = {name: _headline(compute(period, line=line, channel=name, url=url, now=now,
                                           lights_snapshot=False))
                   for name in channels_in(period, url=url)}
    return MonthlyReport(f"{year:04d}-{month:02d}", period, previous, current, before, per_line,
                         per_channel, line, generated)


def _headline(results: Sequence[KpiResult]) -> list[KpiResult]:
    by_key = {item.key: item for item in results}
    return [by_key[key] for key in HEADLINE]


def delta_text(now: KpiResult, before: KpiResult) -> tuple[str, str]:
    """The change since last month in the KPI's unit, and whether it is better or worse."""
    if now.value is None or before.value is None:
        return "—", ""
    change = now.value - before.value
    if now.unit == "share":
        text = f"{change * 100:+.1f} pp"
    elif now.unit == "count":
        text = f"{change:+,.0f}"
    else:
        text = f"{change:+,.2f}" + {"hours": " h", "minutes": " min"}.get(now.unit, "")
    if abs(change) < 1e-12 or now.unit == "count" and now.target is None:
        return text, ""
    better = change < 0 if now.direction == AT_MOST else change > 0
    return text, "better" if better else "worse"


def monthly_html(report: MonthlyReport) -> str:
    before = {item.key: item for item in report.previous}
    rows_html = []
    for item in report.current:
        prev = before[item.key]
        change, mood = delta_text(item, prev)
        rows_html.append(
            f"<tr><td>{_e(title_text(item))}</td>"
            f"<td class='num {_cell_class(item)}'>{_e(value_text(item.value, item.unit))}</td>"
            f"<td class='num'>{_e(value_text(prev.value, prev.unit))}</td>"
            f"<td class='num {mood}'>{_e(change)}</td><td class='num'>{_e(target_text(item))}</td>"
            f"<td class='{_cell_class(item)}'>{_e(met_text(item))}</td>"
            f"<td class='num muted'>{_e(basis_text(item))}</td></tr>")
    table = ("<table><thead><tr><th>KPI</th><th>本月 this month</th><th>上月 last month</th>"
             "<th>变化 change</th><th>target</th><th>met</th><th>basis</th></tr></thead>"
             f"<tbody>{''.join(rows_html)}</tbody></table>")

    shares = [item for item in report.current
              if item.unit == "share" and item.target is not None]
    share_chart = bar_chart_svg(
        "达标情况：本月与上月 Shares against their targets, this month and last",
        [item.title_zh for item in shares],
        [("本月 this month", "#2f6fdf", [item.value for item in shares]),
         ("上月 last month", "#9fb8e8", [before[item.key].value for item in shares])],
        "share", [item.target for item in shares])
    stage_keys = [f"stage_hours_avg.{stage.value}" for stage in TIMED_STAGES]
    by_key = {item.key: item for item in report.current}
    stage_chart = bar_chart_svg(
        "各环节平均停留时长 Average hours in each stage",
        [stage.label_zh + " " + stage.label_en for stage in TIMED_STAGES],
        [("本月 this month", "#2f6fdf", [by_key[key].value for key in stage_keys]),
         ("上月 last month", "#9fb8e8", [before[key].value for key in stage_keys])], "hours")
    light_chart = bar_chart_svg(
        "在办案件红绿灯 Open claims by light (as of the report)",
        ["绿灯 green", "黄灯 yellow", "红灯 red"],
        [("在办 open", "#5b8c5a", [by_key[f"lights_{light}"].value
                                   for light in ("green", "yellow", "red")])], "count")
    per_line = _headline_section("分险种 Per line of business", report.per_line)
    per_channel = _headline_section("分渠道 Per channel (the claim's channel)",
                                    report.per_channel)
    line_chart = bar_chart_svg(
        "各险种小额案件24小时赔付 Small claims paid in 24 h, per line",
        list(report.per_line),
        [("本月 this month", "#2f6fdf", [items[0].value for items in report.per_line.values()])],
        "share", [items[0].target for items in report.per_line.values()])
    empty_note = (f"<p class='missed'>{_e(NO_DATA)}: 本月没有可统计的案件、投诉或转人工记录。"
                  " Nothing in this month for any KPI to count.</p>" if report.empty else "")
    scope = f" · line {report.line}" if report.line else ""
    body = (
        f"<h1>理赔服务月报 Claims service report — {_e(report.month)}{_e(scope)}</h1>"
        f"<p>{_e(period_text(report.period))}; 对比上月 compared with "
        f"{_e(period_text(report.previous_period))}. 生成于 generated "
        f"{_e(format_local(report.generated_at))}. 指标定义 definitions: docs/kpis.md.</p>"
        f"{empty_note}<section><h2>图表 Charts</h2>{share_chart}{stage_chart}{light_chart}"
        f"{line_chart}</section><section><h2>全部指标 Every KPI</h2>{table}</section>"
        f"{per_line}{per_channel}")
    return html_page(f"Claims service report {report.month}", body)


def _headline_section(title: str, groups: dict[str, list[KpiResult]]) -> str:
    if not groups:
        return f"<section><h2>{_e(title)}</h2><p class='nodata'>{_e(NO_DATA)}</p></section>"
    head = "".join(f"<th>{_e(definition(key).title_zh)}<div class='muted'>{_e(key)}</div></th>"
                   for key in HEADLINE)
    body = "".join(
        f"<tr><td>{_e(name)}</td>" + "".join(
            f"<td class='num {_cell_class(item)}'>{_e(value_text(item.value, item.unit))}</td>"
            for item in items) + "</tr>"
        for name, items in groups.items())
    return (f"<section><h2>{_e(title)}</h2><table><thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></section>")


def monthly_text(report: MonthlyReport) -> list[list[str]]:
    before = {item.key: item for item in report.previous}
    return [[item.key, title_text(item), value_text(item.value, item.unit),
             value_text(before[item.key].value, item.unit), delta_text(item, before[item.key])[0],
             target_text(item), met_text(item)] for item in report.current]


MONTHLY_HEADERS = ["key", "KPI", "this month", "last month", "change", "target", "met"]


# --- PDF ---------------------------------------------------------------------------------------

def chromium_path() -> str | None:
    """The Chromium that prints PDFs: CLAIMS_CHROMIUM, else /usr/bin/chromium or on the PATH."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured if Path(configured).exists() else None
    if Path(DEFAULT_CHROMIUM).exists():
        return DEFAULT_CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


def print_pdf(page_html: str, pdf: Path, timeout_s: int = 120) -> None:
    """Print `page_html` to `pdf` with headless Chromium (the charts are inline SVG, so they
    print as vectors). Raises PdfToolMissing when there is no Chromium."""
    browser = chromium_path()
    if browser is None:
        raise PdfToolMissing(
            "no Chromium to print the PDF: install Debian's chromium (scripts/system_deps.sh) or "
            f"set {CHROMIUM_ENV} to its path; --html writes the same report without it")
    pdf = pdf.resolve()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "report.html"
        source.write_text(page_html, encoding="utf-8")
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={folder}/profile", "--no-pdf-header-footer",
             f"--print-to-pdf={pdf}", source.as_uri()],
            check=True, timeout=timeout_s, capture_output=True)
    if not pdf.exists() or pdf.stat().st_size == 0:
        raise RuntimeError(f"Chromium wrote no PDF at {pdf}")
